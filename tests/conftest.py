"""Shared fixtures: the repository's own content, and helpers to write listings."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
TEMPLATES = REPO / "templates"
SEEDS = sorted((CONTENT / "sources").glob("*.txt"))


@pytest.fixture(autouse=True)
def outside_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test as on a laptop; tests of the workflow commands set GITHUB_ACTIONS themselves."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture
def repo() -> Path:
    return REPO


# The published site and the browser, shared by every module that looks at them: one build
# and one Chromium per session.
from .site_quality import chromium, hostile, published  # noqa: F401


def files_for(content: Path, templates: Path = TEMPLATES):
    """The project of a content folder, read as a build reads it (no memo on disk)."""
    from sitegen.memo import Memo
    from sitegen.project import Project
    from sitegen.read.files import Files

    return Files(Project(content, templates), Memo(None))
