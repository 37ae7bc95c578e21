"""Installing sitegen, as `make site` does on a fresh clone, prints no warning."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_building_the_package_prints_no_setuptools_warning(tmp_path):
    # pip builds in an isolated environment with the setuptools pyproject.toml asks for, as the
    # Makefile's `pip install -e .` does; --verbose shows what setuptools prints.
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--verbose", "--editable", str(REPO),
                           "--wheel-dir", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    warnings = [line for line in (done.stdout + done.stderr).splitlines()
                if re.search(r"\b[A-Z]\w*Warning: ", line)]  # Python's warnings (pip's own say WARNING:)
    assert warnings == [], "\n".join(warnings)
