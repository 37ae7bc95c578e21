"""The real site, built once per test session and served over HTTP at a subpath, and a browser.

GitHub Pages serves a project site from `/<repository>/`; every quality test looks at the
site served exactly so, built from the repository's own content and templates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sitegen.cli import main

from .browser import launched_chromium, serve_folder
from .conftest import CONTENT, TEMPLATES
from .site_fixtures import write_content

SUBPATH = "/reading-list/"


@dataclass(frozen=True)
class PublishedSite:
    """A built site on disk and the address it is served from."""

    folder: Path
    origin: str

    @property
    def url(self) -> str:
        return self.origin + SUBPATH

    def pages(self) -> list[Path]:
        return sorted(self.folder.rglob("*.html"))


def build_and_serve(content: Path, out: Path) -> Iterator[PublishedSite]:
    with serve_folder(out, SUBPATH) as origin:
        code = main(["build", "--content", str(content), "--templates", str(TEMPLATES), "--out", str(out),
                     "--base-url", origin + SUBPATH])
        assert code == 0, "the site does not build"
        yield PublishedSite(out, origin)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedSite]:
    """The repository's content, built for and served at http://127.0.0.1:PORT/reading-list/."""
    yield from build_and_serve(CONTENT, tmp_path_factory.mktemp("published") / "site")


# A site whose listing and curation hold payloads: every one must come out as text.

HOSTILE_LISTING = """\
<img src=x onerror="window.__xss=1"> Hostile Title

An abstract with <script>window.__xss=2</script> and <svg onload="window.__xss=3"> and javascript:window.__xss=4.

  • 2 authors
·
Jan 2, 2023 3
"""

HOSTILE_CURATION = {
    "themes.yaml": "themes:\n  - slug: hostile\n    title: '<script>window.__xss=5</script> Theme'\n"
                   "    description: \"[click](javascript:window.__xss=6) <img src=x onerror='window.__xss=7'>\"\n",
    "tags.yaml": "tags:\n  danger: '<b onmouseover=\"window.__xss=8\">Danger</b>'\n",
    "curation/hostile.yaml": "papers:\n  - id: img-src-x-onerror-window-xss-1-hostile-title\n    tags: [danger]\n"
                             "    note: |\n      <script>window.__xss=9</script> [x](javascript:window.__xss=10)\n"
                             "      <a href=\"javascript:window.__xss=11\">link</a> <img src=x onerror=\"window.__xss=12\">\n"
                             "  - id: alpha-attention-is-enough\n  - id: beta-state-spaces\n",
}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishedSite]:
    content = write_content(tmp_path_factory.mktemp("hostile") / "content")
    (content / "sources" / "002_hostile.txt").write_text(HOSTILE_LISTING, encoding="utf-8")
    (content / "curation").mkdir()
    for name, text in HOSTILE_CURATION.items():
        (content / name).write_text(text, encoding="utf-8")
    yield from build_and_serve(content, content.parent / "site")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    with launched_chromium() as browser:
        yield browser


class PageParser(HTMLParser):
    """Collect what the quality checks look at in one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag.attribute, url)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts_inline = 0
        self._in_script_without_src = False
        self.h1 = 0
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        for name in ("href", "src", "action"):
            if attributes.get(name) is not None:
                self.links.append((f"{tag}.{name}", attributes[name] or ""))
        if attributes.get("srcset"):
            self.links += [(f"{tag}.srcset", part.split()[0]) for part in (attributes["srcset"] or "").split(",")]
        # A data block (JSON-LD) is not a script: browsers never run it, and the CSP still forbids inline code.
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/ld+json":
            self._in_script_without_src = True
        self.h1 += tag == "h1"
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False
        self._in_title = False if tag == "title" else self._in_title

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.scripts_inline += 1
        if self._in_title:
            self.title += data


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    return parser
