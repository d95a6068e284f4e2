"""Stage manifests record what the README's budget table needs: wall time and peak resident memory."""

from __future__ import annotations

from helpers import manifest, notebook
from helpers.params import Params


def test_resource_usage_reports_this_process_peak_memory_and_cpu():
    before = manifest.resource_usage()
    ballast = bytearray(64 << 20)  # 64 MiB touched: the high-water mark can only rise
    ballast[::4096] = b"x" * len(ballast[::4096])
    after = manifest.resource_usage()
    assert set(after) == {"peak_rss_mb", "peak_rss_mb_children", "cpu_seconds"}
    assert after["peak_rss_mb"] >= before["peak_rss_mb"] > 10
    assert 64 <= after["peak_rss_mb"] < 50_000  # MiB, not KiB or bytes
    assert after["cpu_seconds"] >= before["cpu_seconds"] > 0
    del ballast


def test_stage_manifest_has_peak_memory_and_time(outputs_root):
    context = notebook.StageContext(params=Params("05_evaluation", {"profile": "smoke", "seed": 0}),
                                    out_dir=outputs_root / "smoke" / "05_evaluation")
    record = notebook.stage_manifest(context)
    assert record["peak_rss_mb"] > 10 and record["notebook_seconds"] >= 0
    assert record["peak_rss_mb"] < manifest.MEMORY_BUDGET_MB
