"""Pages written by hand: content/pages/<slug>.md becomes <slug>/ (about.md is the About page)."""

from __future__ import annotations

import re
from pathlib import Path

from sitegen.errors import Problem, SitegenError
from sitegen.model import FreePage
from sitegen.project import display
from sitegen.read.files import Files

PAGES_FOLDER = "pages"
# Routes the site writes itself; a free page must not take them.
RESERVED = frozenset({"assets", "papers", "themes", "tags", "search", "map", "404"})
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def load_free_pages(files: Files) -> tuple[FreePage, ...]:
    """Read every content/pages/*.md; raise SitegenError with all problems found."""
    folder = files.project.content / PAGES_FOLDER
    paths = sorted(folder.glob("*.md")) if folder.is_dir() else []
    pages: list[FreePage] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            pages.append(read_free_page(files, path))
        except SitegenError as error:
            problems.extend(error.problems)
    if problems:
        raise SitegenError(problems)
    return tuple(pages)


def read_free_page(files: Files, path: Path) -> FreePage:
    """Read one free page; its title is its first line, a `# ` heading."""
    name = display(path)
    slug = path.stem
    if not SLUG.fullmatch(slug) or slug in RESERVED:
        raise SitegenError(
            Problem(name, 0, 0, f"{path.name!r} cannot be the name of a page",
                    "use lowercase letters, digits and hyphens, and none of "
                    + ", ".join(sorted(RESERVED)))
        )
    text = files.text(path).replace("\r\n", "\n").replace("\r", "\n")
    first = text.split("\n", 1)[0]
    if not first.startswith("# ") or not first[2:].strip():
        raise SitegenError(
            Problem(name, 1, 1, "a page must start with its title as a '# ' heading",
                    "write '# About' on the first line")
        )
    return FreePage(slug=slug, title=first[2:].strip(), markdown=text.strip() + "\n",
                    path=files.project.relative(path))
