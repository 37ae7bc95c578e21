"""The website's documentation names every setting and build option the code knows."""

from __future__ import annotations

from sitegen.cli import build_parser
from sitegen.read.config import OPTIONAL, REQUIRED

from .conftest import REPO

SITE_DOC = (REPO / "docs" / "site.md").read_text(encoding="utf-8")


def test_every_site_setting_is_documented():
    for key in REQUIRED + OPTIONAL:
        assert f"| `{key}` |" in SITE_DOC, key


def test_every_build_option_is_in_the_readme_or_the_site_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    build = build_parser()[1]["build"]
    options = [o for action in build._actions for o in action.option_strings if o.startswith("--")]  # noqa: SLF001
    assert "--base-url" in options and "--markdown" in options
    for option in options:
        if option not in ("--help", "--content", "--templates"):
            assert option in readme or option in SITE_DOC, option
