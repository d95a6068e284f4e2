"""Stage manifests record what the README's budget table needs: wall time and peak resident memory."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_a_process_started_by_a_large_one_reports_its_own_peak_memory():
    # Linux carries ru_maxrss across fork and exec: a kernel started by a 600 MiB test process reported 600 MiB
    import subprocess
    import sys

    if not Path("/proc/self/status").is_file():
        pytest.skip("no /proc: peak memory comes from ru_maxrss here")
    ballast = bytearray(600 << 20)
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    code = "from helpers.manifest import peak_rss_mb; print(peak_rss_mb())"
    child = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert 5 < child < 300
    del ballast
