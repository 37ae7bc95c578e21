"""Small sites for the website tests: a content folder on disk, and a curated in-memory Site."""

from __future__ import annotations

from pathlib import Path

from sitegen.model import (
    Catalog,
    Curation,
    FreePage,
    Link,
    Paper,
    PaperNotes,
    Placement,
    Site,
    SiteConfig,
    Tag,
    Theme,
)

SITE_YAML = """\
title: Test Reading List
description: Papers to test the site with.
author: Test Curators
base_url: https://user.github.io/repo/
repository: https://github.com/user/repo
"""

# Layout 3 of docs/listings.md: title, abstract, author count, a dot, date and upvotes.
LISTING = """\
Alpha Attention Is Enough

We show that alpha attention is enough. Code: https://github.com/a/alpha.

  • 4 authors
·
Aug 9, 2024 12

Beta State Spaces

Beta is a state-space model.

  • 1 authors
·
Feb 10

<script>alert('title')</script> & Friends

An abstract with <img src=x onerror=alert(1)> and *stars* and [a](javascript:alert(2)).

  • 2 authors
·
Jan 2, 2023 3
"""

LATER_LISTING = """\
Gamma Late Addition

Gamma was pasted into a later listing.

  • 3 authors
·
Mar 1, 2025 7
"""

ABOUT = "# About\n\nThis list is a *test*.\n"


def write_content(folder: Path, site_yaml: str = SITE_YAML) -> Path:
    """Write a content folder with two listings, site settings and an About page."""
    (folder / "sources").mkdir(parents=True)
    (folder / "sources" / "000_first.txt").write_text(LISTING, encoding="utf-8")
    (folder / "sources" / "001_second.txt").write_text(LATER_LISTING, encoding="utf-8")
    (folder / "pages").mkdir()
    (folder / "pages" / "about.md").write_text(ABOUT, encoding="utf-8")
    (folder / "site.yaml").write_text(site_yaml, encoding="utf-8")
    return folder


def paper(id: str, title: str, abstract: str = "An abstract.", **fields: object) -> Paper:
    values: dict[str, object] = dict(
        authors=None, published=None, upvotes=None, links=(), sources=(f"000_a.txt:{len(id)}",)
    )
    values.update(fields)
    return Paper(id=id, title=title, abstract=abstract, **values)  # type: ignore[arg-type]


CONFIG = SiteConfig(
    title="Test Reading List",
    description="Papers to test the site with.",
    author="Test Curators",
    base_url="https://user.github.io/repo/",
    repository="https://github.com/user/repo",
)

LONG_ABSTRACT = " ".join(["Long abstract words"] * 40) + " THE END."


def curated_site() -> Site:
    """Return a site with two themes, three tags and curator notes (one of them hostile)."""
    papers = (
        paper("alpha", "Alpha", LONG_ABSTRACT, authors=4, published="2024-08-09", upvotes=12,
              links=(Link("https://github.com/a/alpha", "code"), Link("https://alpha.example.org", "page"))),
        paper("beta", "Beta", "Beta is short.", published="--02-10"),
        paper("gamma", "Gamma", "Gamma abstract."),
        paper("loose", "Loose paper", "Nobody curated it."),
    )
    curation = Curation(
        themes=(
            Theme("ssm", "State spaces", "What state spaces are.\n\nSecond paragraph."),
            Theme("attention", "Attention", "All about *attention*."),
        ),
        tags=(Tag("mamba", "Mamba models."), Tag("theory", "Theory."), Tag("unused", "No papers.")),
        placements=(
            Placement("gamma", "ssm"),
            Placement("alpha", "ssm", start_here=True),
            Placement("beta", "ssm"),
            Placement("alpha", "attention"),
        ),
        notes=(
            ("alpha", PaperNotes(tags=("mamba", "theory"), note="Read **section 3**.", arxiv="2401.00001")),
            ("beta", PaperNotes(tags=("theory",), note="<script>alert('note')</script> [x](javascript:alert(3)) <b onclick=\"x()\">bold</b>")),
        ),
    )
    return Site(
        config=CONFIG,
        catalog=Catalog(papers=papers),
        curation=curation,
        pages=(FreePage("about", "About", ABOUT, "content/pages/about.md"),),
    )
