"""The benchmarks keep working: each runs once on a tiny input (never timed here)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def test_the_parse_benchmark_runs_on_a_tiny_corpus():
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "parse_listings.py"), "--papers", "300"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "papers parsed" in result.stdout and "300" in result.stdout
    assert "MB/s" in result.stdout
