"""The report page of a profile, `outputs/<profile>/report/index.html`: the papers' claims with their verdicts and
CIs, the headline table, 06's figures, the transfer and mixed-model results, every notebook's run record (wall
time, peak memory, parameters hash) with links to its rendered copy, and the environment.

Built only from files the stages wrote (06's `tables/*.csv` and `figures/*.png`, every `manifest.json` and
`metrics.json`, the runner's `run_manifest.json`), so it can be rebuilt at any time:
`python -m helpers.report --profile default`. A stage that has not run is shown as such, never an error.
"""

from __future__ import annotations

import argparse
import html
import math
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import io, paths

REPORT_DIR = "report"
STATISTICS_STAGE = "06_statistics"
FIGURE_CAPTIONS = {
    "claims_forest.png": "Each paper's claim as its paired comparison: the estimate, its CI, and the bound it is "
                         "judged against (dashed).",
    "multi_objective.png": "What each method costs: toxicity against fluency and knowledge, one point per method "
                           "(mean over its seeds), every seed run as a small point, bars = seed range.",
    "language_heatmaps.png": "Difference against the baseline per method and language, for every harm metric "
                             "(red: more harm); * = Holm-significant paired test.",
    "transfer.png": "Cross-lingual transfer of English-only mitigation against each language's share of "
                    "pretraining data: per-language bootstrap CIs, the least-squares line with its confidence band "
                    "(languages as the sample), the slope's bootstrap CI in each title; English (hollow) not fitted.",
}
VERDICT_CLASS = {"reproduced": "ok", "not reproduced": "bad", "inconclusive": "warn", "not run": "off"}
PEAK_MEMORY_KEYS = ("peak_memory_mb", "peak_rss_mb", "max_rss_mb")

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2327;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:1.6em;margin:.2em 0}h2{margin-top:1.8em;border-bottom:2px solid #dde1e6;padding-bottom:.2em}
.subtitle{color:#555;margin-top:0}.meta{font-size:.9em;color:#444}
table{border-collapse:collapse;margin:.6em 0 1.2em;background:#fff;font-size:.86em}
th,td{border:1px solid #d8dce1;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}tr:nth-child(even) td{background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85em;white-space:nowrap}
.badge.ok{background:#d8f3e0;color:#17663a}.badge.bad{background:#fadbd8;color:#922b21}
.badge.warn{background:#fcf0cf;color:#7d5a00}.badge.off{background:#e6e6e6;color:#555}
td.better{background:#e3f5e8!important}td.worse{background:#fbe4e1!important}
figure{background:#fff;border:1px solid #d8dce1;margin:1em 0;padding:10px}
figure img{max-width:100%;height:auto}figcaption{font-size:.85em;color:#444;margin-top:6px}
.scroll{overflow-x:auto}.note{font-size:.85em;color:#555}td.cost{font-size:.85em;color:#444;white-space:nowrap}
nav a{margin-right:14px}details{margin:.5em 0}code{background:#eef1f4;padding:0 3px}
"""

# after loading, the page records how many of its images decoded: the browser check reads it from the DOM
CHECK_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); });
  document.body.setAttribute('data-images', String(images.length));
  document.body.setAttribute('data-images-broken', broken.map(function (i) { return i.getAttribute('src'); }).join(' '));
  document.body.setAttribute('data-checked', 'yes');
});
</script>
"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _number(value: Any, digits: int = 3) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _esc(value)
    return "" if not math.isfinite(number) else f"{number:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], classes: str = "") -> str:
    """An HTML table; cells are already escaped HTML."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell if cell.startswith("<td") else f"<td>{cell}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<div class='scroll'><table class='{classes}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _badge(verdict: str) -> str:
    return f"<span class='badge {VERDICT_CLASS.get(verdict, 'off')}'>{_esc(verdict)}</span>"


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _manifests(profile_dir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for stage in paths.STAGES:
        source = profile_dir / stage / "manifest.json"
        if source.is_file():
            try:
                found[stage] = io.read_json(source)
            except ValueError:
                found[stage] = {"status": "unreadable manifest"}
    return found


def peak_memory(manifest: Mapping[str, Any]) -> float | None:
    """Peak memory (MiB) a stage manifest records, under any of the keys the runner has used."""
    for key in PEAK_MEMORY_KEYS:
        if isinstance(manifest.get(key), (int, float)):
            return float(manifest[key])
    return None


def wall_seconds(manifest: Mapping[str, Any]) -> float | None:
    """Wall time of a stage: the runner's measure, else the notebook's own."""
    for key in ("wall_seconds", "notebook_seconds"):
        if isinstance(manifest.get(key), (int, float)):
            return float(manifest[key])
    return None


def _claims_section(tables: Path) -> str:
    from helpers.claims import claim_costs

    claims, parts = _read_csv(tables / "claims.csv"), _read_csv(tables / "claim_parts.csv")
    if claims.empty:
        return "<p class='note'>06_statistics has not run for this profile: no claims are judged yet.</p>"
    costs = claim_costs(parts, _read_csv(tables / "headline.csv"))
    rows = []
    for claim in claims.to_dict("records"):
        mine = parts[parts["claim_id"] == claim["claim_id"]] if not parts.empty else parts
        lines = []
        for part in mine.to_dict("records"):
            if part["verdict"] == "not run":
                lines.append(f"{_esc(part['part'])}: <em>not run</em> ({_esc(part['reason'])})")
            else:
                lines.append(f"{_esc(part['part'])}: {_number(part['estimate'])} "
                             f"[{_number(part['low'])}, {_number(part['high'])}] {_badge(part['verdict'])}")
        mine_costs = costs[costs["claim_id"] == claim["claim_id"]]
        cost = "<br>".join(f"{_esc(c['method'])} {_esc(c['metric'])}: {float(c['estimate']):+.3f} "
                           f"[{float(c['low']):+.3f}, {float(c['high']):+.3f}]{'*' if c['significant'] else ''}"
                           for c in mine_costs.to_dict("records"))
        rows.append([_esc(claim["claim_id"]), _esc(claim["paper"]), _esc(claim["statement"]),
                     _badge(claim["verdict"]), "<br>".join(lines), f"<td class='cost'>{cost}</td>"])
    counts = claims["verdict"].value_counts()
    summary = ", ".join(f"{int(counts[v])} {v}" for v in VERDICT_CLASS if v in counts)
    return (f"<p>{_esc(summary)}. A part <code>treated - baseline &lt; bound</code> is reproduced when its whole "
            "CI satisfies it and not reproduced when the whole CI contradicts it; a claim holds when every part "
            "does. Next to it, what the treated methods cost against the baseline (knowledge, fluency, language "
            "fidelity; * = significant).</p>"
            + _table(["", "paper", "claim", "verdict", "comparisons: estimate [CI]", "cost against the baseline"],
                     rows, "claims"))


def _headline_section(tables: Path) -> str:
    headline = _read_csv(tables / "headline.csv")
    if headline.empty:
        return "<p class='note'>No headline table yet (06_statistics has not run).</p>"
    blocks = []
    for category, part in headline.groupby("category", sort=False):
        metrics = list(dict.fromkeys(part["metric"]))
        methods = list(dict.fromkeys(part["method"]))
        cells = {(r["method"], r["metric"]): r for r in part.to_dict("records")}
        rows = []
        for method in methods:
            row = [_esc(method)]
            for metric in metrics:
                r = cells.get((method, metric))
                if r is None:
                    row.append("<td></td>")
                    continue
                css = ("better" if r["improved"] else "worse" if r["worsened"] else "") if r["significant"] else ""
                text = (f"{float(r['estimate']):+.3f}<br><small>[{float(r['low']):+.3f}, {float(r['high']):+.3f}]"
                        f"{'*' if r['significant'] else ''}</small>")
                row.append(f"<td class='num {css}'>{text}</td>")
            rows.append(row)
        baseline = [f"{m}: {_number(part[part['metric'] == m]['baseline_mean'].iloc[0])}" for m in metrics]
        blocks.append(f"<h3>{_esc(category)}</h3><p class='note'>baseline means: {_esc('; '.join(baseline))}</p>"
                      + _table(["method"] + metrics, rows, "headline"))
    return ("<p>Difference against the baseline with its paired bootstrap CI (items, and seeds where a method "
            "has several, resampled); <code>*</code> = significant after Holm across the table and CI excluding 0; "
            "green: an improvement, red: a worsening.</p>" + "".join(blocks))


def _transfer_section(tables: Path) -> str:
    transfer = _read_csv(tables / "transfer.csv")
    if transfer.empty:
        return "<p class='note'>No transfer analysis (no English-only method, or 06 has not run).</p>"
    rows = []
    for r in transfer.to_dict("records"):
        fitted = isinstance(r.get("slope"), float) and math.isfinite(r["slope"])
        if fitted:
            grows = ("reproduced" if r["slope_low"] > 0 else "not reproduced" if r["slope_high"] < 0
                     else "inconclusive")
            cells = [f"<td class='num'>{float(r['slope']):+.2f} [{float(r['slope_low']):+.2f}, "
                     f"{float(r['slope_high']):+.2f}]</td>",
                     f"<td class='num'>[{float(r['slope_low_languages']):+.2f}, "
                     f"{float(r['slope_high_languages']):+.2f}]</td>",
                     f"<td class='num'>{_number(r.get('pearson_r'), 2)}</td>", _badge(grows)]
        else:
            cells = [f"<em>{_esc(r.get('reason', ''))}</em>", "", "", _badge("not run")]
        rows.append([_esc(r["method"]), _esc(r["metric"]), _esc(r.get("languages", "")), *cells,
                     _esc(r.get("share_source", ""))])
    return ("<p>Transfer in a language: 1 - harm(method) / harm(baseline). Slope of transfer on the language's share "
            "of pretraining tokens, with its bootstrap CI (items and training runs resampled: the verdict's "
            "interval) and the t interval of least squares over languages (as if the languages were a sample).</p>"
            + _table(["method", "metric", "languages in the regression", "slope [bootstrap CI]",
                      "CI, languages as sample", "Pearson r", "grows with share", "shares"], rows))


def _mixed_section(tables: Path) -> str:
    mixed = _read_csv(tables / "mixed_models.csv")
    if mixed.empty:
        return "<p class='note'>No mixed model was fitted.</p>"
    variance_columns = [c for c in mixed.columns if c.startswith("var(")]
    rows = [[_esc(r["metric"]), f"<td class='num'>{int(r['rows'])}</td>", _esc(r["converged"]),
             *[f"<td class='num'>{_number(r[c], 5)}</td>" for c in variance_columns], _esc(r["warnings"])]
            for r in mixed.to_dict("records")]
    return _table(["metric", "rows", "converged", *variance_columns, "warnings"], rows)


def _figures_section(profile_dir: Path, report_dir: Path) -> str:
    source = profile_dir / STATISTICS_STAGE / "figures"
    target = report_dir / "figures"
    shutil.rmtree(target, ignore_errors=True)
    blocks = []
    for name, caption in FIGURE_CAPTIONS.items():
        if (source / name).is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)
            blocks.append(f"<figure id='fig-{_esc(Path(name).stem)}'><img src='figures/{_esc(name)}' "
                          f"alt='{_esc(caption)}'><figcaption>{_esc(caption)}</figcaption></figure>")
    return "".join(blocks) or "<p class='note'>No figures yet (06_statistics has not run).</p>"


def _notebooks_section(profile_dir: Path, manifests: Mapping[str, Mapping[str, Any]],
                       run: Mapping[str, Any]) -> str:
    rows = []
    for stage in paths.STAGES:
        manifest = manifests.get(stage)
        run_entry = run.get("stages", {}).get(stage, {})
        if manifest is None and not run_entry:
            continue
        manifest = manifest or {}
        links = []
        for suffix, label in ((".html", "rendered"), (".ipynb", "notebook")):
            if (profile_dir / stage / f"{stage}{suffix}").is_file():
                links.append(f"<a href='../{stage}/{stage}{suffix}'>{label}</a>")
        if (profile_dir / stage / "metrics.json").is_file():
            links.append(f"<a href='../{stage}/metrics.json'>metrics.json</a>")
        wall, memory = wall_seconds(manifest), peak_memory(manifest)
        status = manifest.get("status") or run_entry.get("status", "")
        if run_entry.get("status") == "skipped":
            status = "ok (unchanged, skipped by --resume)"
        rows.append([_esc(stage), _esc(status), f"<td class='num'>{_number(wall, 1)}</td>",
                     f"<td class='num'>{_number(memory, 0) if memory is not None else 'n/a'}</td>",
                     _esc(manifest.get("params_hash", "")), _esc(str(manifest.get("git_commit", ""))[:12]),
                     " · ".join(links) or "not rendered"])
    if not rows:
        return "<p class='note'>No stage has run yet.</p>"
    return _table(["notebook", "status", "wall time (s)", "peak memory (MiB)", "parameters hash", "commit",
                   "files"], rows)


def _environment_section(run: Mapping[str, Any], manifests: Mapping[str, Mapping[str, Any]]) -> str:
    source = run or next(iter(manifests.values()), {})
    packages = source.get("packages", {})
    device = source.get("device", {})
    package_rows = [[_esc(k), _esc(v)] for k, v in sorted(packages.items())]
    device_rows = [[_esc(k), _esc(v)] for k, v in device.items()]
    return ("<details open><summary>device</summary>" + _table(["", ""], device_rows) + "</details>"
            "<details><summary>package versions</summary>" + _table(["package", "version"], package_rows)
            + "</details>")


def render_report(profile_dir: Path) -> str:
    """The report page's HTML for a profile folder (copies 06's figures next to it as a side effect)."""
    profile_dir = Path(profile_dir)
    report_dir = profile_dir / REPORT_DIR
    report_dir.mkdir(parents=True, exist_ok=True)
    manifests = _manifests(profile_dir)
    run_file = profile_dir / "run_manifest.json"
    run = io.read_json(run_file) if run_file.is_file() else {}
    tables = profile_dir / STATISTICS_STAGE / "tables"
    total = run.get("total_seconds")
    meta = [f"commit <code>{_esc(run.get('git_commit') or next(iter(manifests.values()), {}).get('git_commit', 'unknown'))}</code>",
            f"started {_esc(run.get('started_at', 'n/a'))}",
            f"total wall time {_number(total, 0)} s" if total is not None else "total wall time n/a",
            f"{len(manifests)} of {len(paths.STAGES)} notebooks finished"]
    sections = [
        ("claims", "The papers' claims", _claims_section(tables)),
        ("figures", "Figures", _figures_section(profile_dir, report_dir)),
        ("headline", "Headline: every method against the baseline", _headline_section(tables)),
        ("transfer", "Cross-lingual transfer", _transfer_section(tables)),
        ("mixed", "Mixed-effects models", _mixed_section(tables)),
        ("notebooks", "Notebooks", _notebooks_section(profile_dir, manifests, run)),
        ("environment", "Environment", _environment_section(run, manifests)),
    ]
    nav = "".join(f"<a href='#{key}'>{_esc(title)}</a>" for key, title, _ in sections)
    body = "".join(f"<section id='{key}'><h2>{_esc(title)}</h2>{content}</section>" for key, title, content in sections)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Detoxification and debiasing study: {_esc(profile_dir.name)}</title><style>{STYLE}</style></head>"
            f"<body><main><h1>Detoxification and debiasing study: profile <code>{_esc(profile_dir.name)}</code></h1>"
            "<p class='subtitle'>What works against toxicity and social bias in language models, and what it costs: "
            "paired comparisons on the same items, training seeds resampled, each paper's claim judged by its "
            "confidence interval.</p>"
            f"<p class='meta'>{' · '.join(meta)}</p><nav>{nav}</nav>{body}"
            "<p class='note'>Generated by <code>helpers.report</code> from the stages' manifests, metrics and 06's "
            "tables; rebuild with <code>python -m helpers.report --profile NAME</code>.</p>"
            f"</main>{CHECK_SCRIPT}</body></html>")


def write_report(profile_dir: Path) -> Path:
    """Write `report/index.html` for a profile folder, and `index.html` beside it redirecting there."""
    profile_dir = Path(profile_dir)
    page = io.write_text(profile_dir / REPORT_DIR / "index.html", render_report(profile_dir))
    io.write_text(profile_dir / "index.html",
                  "<!DOCTYPE html><html><head><meta charset='utf-8'>"
                  f"<meta http-equiv='refresh' content='0; url={REPORT_DIR}/index.html'></head>"
                  f"<body><a href='{REPORT_DIR}/index.html'>report</a></body></html>")
    return page


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m helpers.report --profile NAME`: rebuild a profile's report page."""
    parser = argparse.ArgumentParser(prog="python -m helpers.report", description=__doc__)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--screenshot", action="store_true",
                        help="also save report/screenshot.png (headless Chromium)")
    args = parser.parse_args(argv)
    folder = paths.profile_dir(args.profile)
    if not folder.is_dir():
        print(f"error: {folder} does not exist: run the profile first", file=sys.stderr)
        return 2
    page = write_report(folder)
    print(page)
    if args.screenshot:
        from helpers import browser

        if browser.find_chromium() is None:
            print("error: no Chromium found for the screenshot (apt-get install chromium)", file=sys.stderr)
            return 2
        print(browser.screenshot(page, page.parent / "screenshot.png", width=1300, height=4200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
