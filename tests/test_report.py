"""The report page: built from a profile's files, rendered in headless Chromium, every figure and link resolves."""

from __future__ import annotations

import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from helpers import analysis as an
from helpers import browser, io, paths, report
from helpers.synthetic_results import SyntheticConfig, smaller
from synthetic_profile import fake_manifest, write_synthetic_profile

# small enough for seconds, large enough for every section: several seeds, four languages, English-only methods
REPORT_STUDY = smaller(SyntheticConfig(), methods=["BASE", "INST", "DAPT", "SGEAT", "BiasDPO", "DetoxDPO"],
                       languages=("en", "fr", "de", "es"), shares=(0.55, 0.2, 0.15, 0.1),
                       vocabulary_overlap=(1.0, 0.35, 0.3, 0.3), prompts=12, pairs=8, bold_prompts=4, facts=4,
                       heldout_docs=4)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images, self.ids, self.tables = [], [], set(), 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        self.tables += tag == "table"


def _statistics_config(seed: int = 0) -> an.StatisticsConfig:
    params = yaml.safe_load(paths.params_file("smoke").read_text())["06_statistics"]
    return an.StatisticsConfig.from_params({**params, "seed": seed, "bootstrap_resamples": 200,
                                            "mixed_metrics": ["EMT_multilingual"], "mixed_items_per_language": 4})


@pytest.fixture(scope="module")
def profile_dir(tmp_path_factory):
    """A profile with synthetic 00-05 outputs and 06's tables and figures, as the notebook writes them."""
    root = tmp_path_factory.mktemp("outputs")
    study = write_synthetic_profile(root, "smoke", REPORT_STUDY)
    folder = root / "smoke"
    config = _statistics_config()
    analysis, values = an.run_analysis(study.results, config)
    out = folder / "06_statistics"
    an.save_outputs(analysis, an.make_figures(analysis, values, config), out, 60)
    io.write_json(out / "metrics.json", an.metrics_summary(analysis, study.results, config))
    io.write_json(out / "manifest.json", fake_manifest("06_statistics", 30.0, 400.0))
    io.write_text(out / "06_statistics.html", "<html><body>06</body></html>")
    io.write_json(folder / "run_manifest.json", {"profile": "smoke", "git_commit": "feedface", "total_seconds": 99.0,
                                                 "started_at": "2026-01-01T00:00:00", "packages": {"numpy": "2"},
                                                 "device": {"cuda": False}, "stages": {}})
    return folder


def _check_page(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text())
    for href in parser.hrefs:
        if href.startswith("#"):
            assert href[1:] in parser.ids, f"anchor {href} has no target"
        else:
            assert not re.match(r"^[a-z]+://", href), f"external link {href}"
            assert (page.parent / href).resolve().is_file(), f"link {href} does not resolve"
    for src in parser.images:
        assert (page.parent / src).is_file(), f"image {src} does not resolve"
    return parser


def test_report_shows_claims_headline_figures_and_every_notebook(profile_dir):
    page = report.write_report(profile_dir)
    assert page == profile_dir / "report" / "index.html"
    text = page.read_text()
    parser = _check_page(page)
    assert len(parser.images) == 4 and parser.tables >= 5
    for claim_id in ("P1", "W1", "N3", "A1", "R1"):  # R1 is not run: no SR_LLM
        assert f"<td>{claim_id}</td>" in text
    assert "reproduced" in text and "not run" in text  # W2 and N1 need models the synthetic study lacks
    for stage in paths.STAGES:
        assert f"../{stage}/{stage}.html" in text
    assert "321" in text and "peak memory" in text  # from the manifests
    # the profile root's index.html sends readers to the report
    assert "report/index.html" in (profile_dir / "index.html").read_text()


def test_report_of_a_profile_without_statistics_still_renders(tmp_path):
    folder = tmp_path / "partial"
    io.write_json(folder / "00_data" / "manifest.json", fake_manifest("00_data"))
    io.write_text(folder / "00_data" / "00_data.html", "<html></html>")
    page = report.write_report(folder)
    text = page.read_text()
    assert "06_statistics has not run" in text and "00_data" in text
    _check_page(page)


@pytest.mark.skipif(browser.find_chromium() is None,
                    reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)")
def test_report_renders_in_headless_chromium(profile_dir, tmp_path):
    page = report.write_report(profile_dir)
    dom = browser.dump_dom(page)
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert 'data-checked="yes"' in body, "the page's load script did not run"
    assert 'data-images="4"' in body and 'data-images-broken=""' in body, body
    assert dom.count("<table") >= 5 and "The papers' claims" in dom
    shot = browser.screenshot(page, tmp_path / "report.png", width=1300, height=2400)
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1300, 2400) and shot.stat().st_size > 50_000  # a page, not a blank
