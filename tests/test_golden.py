"""Golden sites: each scenario under tests/golden/ is built and compared, file by file, with
the site it is expected to give.

    tests/golden/<scenario>/content/    the content a curator would write
    tests/golden/<scenario>/expected/   the site it builds into, minus assets/ (copies of templates/assets and lunr.js)

On a difference the test prints a unified diff of each file that changed. After an
intended change, regenerate the expected sites and review the diff before committing:

    make golden
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from sitegen.cli import main

from .conftest import TEMPLATES

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = sorted(path.name for path in GOLDEN.iterdir() if (path / "content").is_dir())
REGENERATE = os.environ.get("SITEGEN_GOLDEN") == "regenerate"
SKIPPED = ("assets/",)  # copied byte for byte from templates/assets and node_modules


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.relative_to(folder).as_posix().startswith(SKIPPED)
    }


def built(scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    project = tmp_path / scenario
    shutil.copytree(GOLDEN / scenario / "content", project / "content")
    monkeypatch.chdir(project)
    assert main(["build", "--templates", str(TEMPLATES), "--out", "site", "--fresh"]) == 0
    return files_of(project / "site")


def differences(expected: dict[str, bytes], found: dict[str, bytes]) -> list[str]:
    lines = [f"missing: {name}" for name in sorted(set(expected) - set(found))]
    lines += [f"not expected: {name}" for name in sorted(set(found) - set(expected))]
    for name in sorted(set(expected) & set(found)):
        if expected[name] != found[name]:
            lines += difflib.unified_diff(
                expected[name].decode("utf-8", "replace").splitlines(), found[name].decode("utf-8", "replace").splitlines(),
                f"expected/{name}", f"built/{name}", lineterm="", n=2)
    return lines


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_scenario_builds_exactly_its_expected_site(scenario, tmp_path, monkeypatch, capsys):
    found = built(scenario, tmp_path, monkeypatch)
    capsys.readouterr()
    expected_folder = GOLDEN / scenario / "expected"
    if REGENERATE:
        shutil.rmtree(expected_folder, ignore_errors=True)
        for name, data in found.items():
            (expected_folder / name).parent.mkdir(parents=True, exist_ok=True)
            (expected_folder / name).write_bytes(data)
    diff = differences(files_of(expected_folder), found)
    assert not diff, "the built site differs from the expected one (after an intended change: make golden):\n" + \
        "\n".join(diff[:400])


def test_there_is_a_scenario():
    assert SCENARIOS, "tests/golden/ holds no scenario"
