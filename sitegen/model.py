"""The typed model every stage reads: papers from the listings, and what curation adds."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any


class _Lookups:
    """Keeps lookups computed once (cached properties) out of pickles: only the fields go.

    Rebuilt on first use where unpickled; a pickle of the same model is then the same bytes
    whether or not a lookup was used before (the build cache hashes one).
    """

    def __getstate__(self) -> dict[str, Any]:
        return {each.name: getattr(self, each.name) for each in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Link:
    """A URL found in an abstract; `kind` is "code" for code hosts, else "page"."""

    url: str
    kind: str


@dataclass(frozen=True)
class Entry:
    """One paper as one listing shows it, before duplicates across listings are merged."""

    title: str
    abstract: str
    authors: int | None
    published: str | None
    upvotes: int | None
    path: str
    line: int

    @property
    def source(self) -> str:
        return f"{self.path}:{self.line}"


ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"


@dataclass(frozen=True)
class Record:
    """What arXiv says of one paper, as `sitegen resolve` and `sitegen add` keep it in content/records/.

    `arxiv` is the id without its version; `published` is the date of the first version and
    `updated` that of the latest, both YYYY-MM-DD. A record written by hand from public sources
    may not know the latest version, its date or the categories (None, or empty) until
    `sitegen resolve --refresh` asks arXiv. `paper` is the id of the paper it belongs
    to; `added` says that the paper came from arXiv alone (`sitegen add`), so that the record
    is also the paper's listing, with arXiv's abstract. `source` is where the record was read.
    """

    arxiv: str
    version: int | None
    title: str
    authors: tuple[str, ...]
    published: str
    updated: str | None
    primary_category: str | None
    categories: tuple[str, ...]
    doi: str | None = None
    journal_ref: str | None = None
    abstract: str = ""
    paper: str = ""
    added: bool = False
    source: str = ""

    @property
    def abs_url(self) -> str:
        return ARXIV_ABS + self.arxiv

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF + self.arxiv


@dataclass(frozen=True)
class Paper:
    """One distinct paper of the reading list, merged from every listing that shows it.

    `record` is what arXiv says of it, when the project holds a record for it.
    """

    id: str
    title: str
    abstract: str
    authors: int | None
    published: str | None
    upvotes: int | None
    links: tuple[Link, ...]
    sources: tuple[str, ...]
    record: Record | None = None

    @property
    def code_url(self) -> str | None:
        return next((link.url for link in self.links if link.kind == "code"), None)

    @property
    def author_names(self) -> tuple[str, ...]:
        return self.record.authors if self.record else ()

    @property
    def arxiv(self) -> str | None:
        return self.record.arxiv if self.record else None

    @property
    def year(self) -> str | None:
        if self.published and not self.published.startswith("--"):
            return self.published[:4]
        return None


@dataclass(frozen=True)
class Catalog:
    """Every paper of the reading list, sorted by id, with how the listings were read."""

    papers: tuple[Paper, ...]
    entries_per_source: tuple[tuple[str, int], ...] = field(default=())

    @property
    def entry_count(self) -> int:
        return sum(count for _, count in self.entries_per_source)

    def by_id(self) -> dict[str, Paper]:
        return {paper.id: paper for paper in self.papers}


@dataclass(frozen=True)
class Theme:
    """A theme of the reading list, in reading order; `description` is Markdown for readers."""

    slug: str
    title: str
    description: str


@dataclass(frozen=True)
class Tag:
    """A tag of the controlled vocabulary, with its one-line description."""

    slug: str
    description: str


@dataclass(frozen=True)
class Placement:
    """A paper placed in a theme by a curator, in the theme's reading order."""

    paper_id: str
    theme: str
    start_here: bool = False
    added: str | None = None  # the day the curator placed it, YYYY-MM-DD: what feeds order by


@dataclass(frozen=True)
class PaperNotes:
    """What curators say of one paper, gathered from every theme file that places it.

    `arxiv` pins the paper's arXiv id (its record is the one with that id); `not_on_arxiv`
    says that the paper has none (`arxiv: no`), so that no record is looked for or used.
    """

    tags: tuple[str, ...] = ()
    note: str | None = None
    arxiv: str | None = None
    not_on_arxiv: bool = False


@dataclass(frozen=True)
class Curation(_Lookups):
    """Themes in reading order, the tag vocabulary, and every curated placement."""

    themes: tuple[Theme, ...] = ()
    tags: tuple[Tag, ...] = ()
    placements: tuple[Placement, ...] = ()
    notes: tuple[tuple[str, PaperNotes], ...] = ()

    def themes_of(self, paper_id: str) -> tuple[str, ...]:
        """Return the slugs of a paper's curated themes, in reading order of the themes."""
        return self._themes_by_paper.get(paper_id, ())

    def notes_of(self, paper_id: str) -> PaperNotes:
        return self._notes_by_paper.get(paper_id, PaperNotes())

    def placed_in(self, theme_slug: str) -> tuple[str, ...]:
        """Return the ids of a theme's papers, in the curators' order, each once."""
        return self._papers_by_theme.get(theme_slug, ())

    def added(self, paper_id: str, theme_slug: str | None = None) -> str | None:
        """Return the day a paper joined the list (its earliest placement's), or joined a theme."""
        if theme_slug is not None:
            return self._added_by_placement.get((paper_id, theme_slug))
        return self._added_by_paper.get(paper_id)

    def tagged(self, tag: str) -> tuple[str, ...]:
        """Return the ids of the papers that carry a tag, by id."""
        return self._papers_by_tag.get(tag, ())

    # Lookups computed once: every page of a 100,000-paper site asks for them.
    @cached_property
    def _themes_by_paper(self) -> dict[str, tuple[str, ...]]:
        order = {theme.slug: index for index, theme in enumerate(self.themes)}
        found: dict[str, set[str]] = {}
        for placement in self.placements:
            found.setdefault(placement.paper_id, set()).add(placement.theme)
        return {
            paper_id: tuple(sorted(slugs, key=lambda slug: (order.get(slug, len(order)), slug)))
            for paper_id, slugs in found.items()
        }

    @cached_property
    def _added_by_placement(self) -> dict[tuple[str, str], str]:
        return {(placement.paper_id, placement.theme): placement.added
                for placement in self.placements if placement.added is not None}

    @cached_property
    def _added_by_paper(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for (paper_id, _), day in self._added_by_placement.items():
            found[paper_id] = min(day, found.get(paper_id, day))
        return found

    @cached_property
    def _notes_by_paper(self) -> dict[str, PaperNotes]:
        return dict(self.notes)

    @cached_property
    def _papers_by_theme(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, dict[str, None]] = {}
        for placement in self.placements:
            found.setdefault(placement.theme, {})[placement.paper_id] = None
        return {slug: tuple(ids) for slug, ids in found.items()}

    @cached_property
    def _papers_by_tag(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for paper_id, notes in self.notes:
            for tag in notes.tags:
                found.setdefault(tag, []).append(paper_id)
        return {tag: tuple(ids) for tag, ids in found.items()}


@dataclass(frozen=True)
class SiteConfig:
    """The site settings of content/site.yaml (base_url possibly replaced by --base-url)."""

    title: str
    description: str
    author: str
    base_url: str
    repository: str
    branch: str = "main"
    domain: str | None = None


@dataclass(frozen=True)
class FreePage:
    """A page written by hand in content/pages/<slug>.md, such as About."""

    slug: str
    title: str
    markdown: str
    path: str


@dataclass(frozen=True)
class Learning(_Lookups):
    """What the machine-learning step adds to the site: suggestions, never curation.

    `related` maps every paper id to related paper ids, best first; `suggested_themes` maps
    an uncurated paper id to (theme slug, confidence from 0 to 1), best first; `keywords`
    maps a theme slug to the terms that most distinguish it; `positions` maps a paper id to
    its (x, y) on the map, both from 0 to 1.
    """

    related: tuple[tuple[str, tuple[str, ...]], ...] = ()
    suggested_themes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()
    positions: tuple[tuple[str, tuple[float, float]], ...] = ()

    def related_to(self, paper_id: str) -> tuple[str, ...]:
        return self._related.get(paper_id, ())

    def themes_suggested_for(self, paper_id: str) -> tuple[tuple[str, float], ...]:
        return self._suggested.get(paper_id, ())

    def keywords_of(self, theme_slug: str) -> tuple[str, ...]:
        return dict(self.keywords).get(theme_slug, ())

    @cached_property
    def _related(self) -> dict[str, tuple[str, ...]]:
        return dict(self.related)

    @cached_property
    def _suggested(self) -> dict[str, tuple[tuple[str, float], ...]]:
        return dict(self.suggested_themes)


@dataclass(frozen=True)
class Site:
    """Everything a build knows before it renders a byte: settings, papers, curation, pages."""

    config: SiteConfig
    catalog: Catalog
    curation: Curation
    pages: tuple[FreePage, ...] = ()
    learning: Learning | None = None
