"""sitegen's own code passes the checks pyproject.toml configures: mypy (strict) and ruff.

Both are pinned in the test extras, so a new release of either cannot turn the suite red.
"""

from __future__ import annotations

import subprocess
import sys

from .conftest import REPO


def check(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True, check=False)


def test_sitegen_type_checks_strictly():
    result = check("mypy", "sitegen")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sitegen_and_the_benchmarks_pass_the_linter():
    result = check("ruff", "check", "--no-cache", "sitegen", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
