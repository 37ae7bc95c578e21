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


def test_the_build_benchmark_runs_on_a_tiny_corpus(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "30", "--runs", "1", "--work", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = {line.split(" | ")[1]: line for line in result.stdout.splitlines() if line.startswith("| 30 | ")}
    assert set(rows) >= {"fresh build", "no change", "one note edited", "one placement removed",
                         "one template edited"}
    assert rows["no change"].endswith("| 0 of " + rows["no change"].split(" of ")[-1])
    assert " 0 of " not in rows["one placement removed"], "the curation edit changed no page"
    assert " 0 of " not in rows["one note edited"], "the note edit changed no page"
    header = next(line for line in result.stdout.splitlines() if line.startswith("| papers | inputs | read |"))
    assert {"inputs", "read", "learn", "pages", "render", "write"} <= set(header.split(" | "))
