"""The report page of a profile: links to the rendered notebooks and their headline metrics."""

from __future__ import annotations

import html
import json
from pathlib import Path

from helpers import io, paths


def write_report(profile_dir: Path) -> Path:
    """Write `index.html` for a profile folder from the finished stages' manifests and metrics."""
    rows = []
    for stage in paths.STAGES:
        folder = profile_dir / stage
        manifest_file = folder / "manifest.json"
        if not manifest_file.is_file():
            continue
        manifest = io.read_json(manifest_file)
        metrics_file = folder / "metrics.json"
        metrics = io.read_json(metrics_file) if metrics_file.is_file() else {}
        headline = metrics.get("headline", {})
        rows.append(
            f"<tr><td><a href='{stage}/{stage}.html'>{stage}</a></td>"
            f"<td>{manifest.get('status')}</td><td>{manifest.get('wall_seconds', '')}</td>"
            f"<td><pre>{html.escape(json.dumps(headline, indent=1, sort_keys=True))}</pre></td></tr>"
        )
    body = (
        f"<html><head><meta charset='utf-8'><title>{profile_dir.name}</title></head><body>"
        f"<h1>Detoxification and debiasing study: profile {html.escape(profile_dir.name)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>notebook</th><th>status</th><th>seconds</th>"
        "<th>headline metrics</th></tr>" + "".join(rows) + "</table></body></html>"
    )
    return io.write_text(profile_dir / "index.html", body)
