"""The site as pages: each page's data, and its body as a Markdown document.

Every string from the listings or the YAML enters a Markdown document through `md_text`
(or `html_text` inside a raw HTML block), so it reads as text; curator Markdown (theme
descriptions, notes, free pages) is kept as Markdown and sanitized with the rest when the
document is rendered (sitegen.site.markup.to_html).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TypeVar
from urllib.parse import quote_plus

from sitegen.memo import Memo
from sitegen.model import Paper, PaperNotes, Site, Tag, Theme
from sitegen.site.citations import (
    FOLD_AUTHORS,
    bibtex_entry,
    citation_keys,
    family_name,
    highwire,
    json_ld,
    short_authors,
)
from sitegen.site.markup import (
    Body,
    Written,
    html_link,
    html_text,
    links,
    md_heading,
    md_link,
    md_text,
)
from sitegen.site.paper_map import MAP_ROUTE, PaperMap, paper_maps
from sitegen.site.urls import Urls, bibtex_route, paper_route, tag_route, theme_route

Link = Callable[[str], str]
T = TypeVar("T")

EXCERPT_LENGTH = 240
RECENT_COUNT = 10
# The header's navigation: (text, route, section); Map appears when the site has its page.
NAV = (
    ("Themes", "", "home"),
    ("Tags", "tags/", "tags"),
    ("All papers", "papers/", "papers"),
    ("Map", MAP_ROUTE, "map"),
    ("About", "about/", "about"),
)
# A theme page lists an uncurated paper when the classifier's best theme for it is this one
# with at least this probability (right about 85% of the time in cross-validation).
THEME_PAGE_CONFIDENCE = 0.3
SUGGESTED_SHOWN = 50  # of them, the most confident, so that the page stays small
# Lists paginate so that no page grows with the list: papers per page of a theme (with
# abstracts and notes), of a tag (without abstracts), and rows per page of the all-papers table.
THEME_PAGE_SIZE = 50
TAG_PAGE_SIZE = 100
ALL_PAPERS_PAGE_SIZE = 200
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class NavLink:
    """A link to another page, with the text to show."""

    title: str
    route: str


@dataclass(frozen=True)
class Neighbours:
    """A paper's previous and next paper in one theme's reading order."""

    theme: NavLink
    previous: NavLink | None
    next: NavLink | None


@dataclass(frozen=True)
class PaperExtras:
    """What a paper page shows around its Markdown body."""

    id: str
    neighbours: tuple[Neighbours, ...]
    citation: str
    bibtex: str = ""
    bibtex_route: str = ""
    json_ld: str = ""  # a schema.org ScholarlyArticle, safe inside a data block
    meta: tuple[tuple[str, str], ...] = ()  # the citation_* tags Google Scholar and Zotero read
    related: tuple[NavLink, ...] = ()  # from machine learning
    suggested_themes: tuple[Suggested, ...] = ()


@dataclass(frozen=True)
class Suggested:
    """A link the classifier suggests, with its probability: a theme for an uncurated paper,
    or an uncurated paper for a theme."""

    title: str
    route: str
    confidence: float

    @property
    def percent(self) -> str:
        return f"{round(self.confidence * 100)}%"


@dataclass(frozen=True)
class ThemeExtras:
    """What a theme page shows around its Markdown body: machine suggestions, labelled so."""

    keywords: tuple[str, ...]
    suggested: tuple[Suggested, ...]
    more: int = 0  # suggested papers left out of `suggested`


@dataclass(frozen=True)
class Pager:
    """Where one page of a paginated list is: its number, and the route of every page.

    The first page is at the list's own route, page n at `<route>page/<n>/`, so a list's
    addresses never change as it grows; only which papers a numbered page holds does.
    """

    number: int
    routes: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.routes)

    @property
    def route(self) -> str:
        return self.routes[self.number - 1]

    @property
    def previous(self) -> str | None:
        return self.routes[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.routes[self.number] if self.number < self.count else None

    @property
    def shown(self) -> tuple[int | None, ...]:
        """Return the page numbers to link: the first, the last and two each side of this one;
        None stands for the numbers left out between them (a gap of one number is shown)."""
        near = {1, self.count, *range(self.number - 2, self.number + 3)}
        numbers = sorted(n for n in near if 1 <= n <= self.count)
        found: list[int | None] = []
        for before, n in itertools.pairwise([0, *numbers]):
            if n - before == 2 and before:
                found.append(n - 1)
            elif n - before > 2 and before:
                found.append(None)
            found.append(n)
        return tuple(found)


def page_route(route: str, number: int) -> str:
    """Return the route of page `number` of the list at `route`."""
    return route if number == 1 else f"{route}page/{number}/"


def paginate(items: Sequence[T], size: int, route: str) -> list[tuple[Sequence[T], Pager | None]]:
    """Cut a list into pages of `size`: each page's items and its pager (None for a single page)."""
    count = max(1, -(-len(items) // size))
    if count == 1:
        return [(items, None)]
    routes = tuple(page_route(route, number) for number in range(1, count + 1))
    return [(items[(number - 1) * size:number * size], Pager(number, routes)) for number in range(1, count + 1)]


def position(pager: Pager, size: int, shown: int) -> str:
    """Say which papers of its list a numbered page holds: "Papers 51 to 100"."""
    first = (pager.number - 1) * size + 1
    return f"Papers {first} to {first + shown - 1}"


def page_title(title: str, pager: Pager | None) -> str:
    return title if pager is None or pager.number == 1 else f"{title} (page {pager.number} of {pager.count})"


@dataclass(frozen=True)
class PaperRow:
    """One row of the all-papers table; `sort_date` orders dates without a year last."""

    title: str
    route: str
    date: str
    sort_date: str
    upvotes: int | None
    themes: tuple[NavLink, ...]
    authors: str = ""


# A column of the all-papers table is shown when at least this share of its rows hold a value.
COLUMN_SHOWN = 0.2


@dataclass(frozen=True)
class Page:
    """One HTML page: its route, template, title, and its body as Markdown (if it has one)."""

    route: str
    template: str
    title: str
    description: str
    section: str
    # The body in parts: what sitegen wrote, with its HTML (`Written`), and what curators
    # wrote, as Markdown converted part by part, so an edit to one note converts that note.
    parts: tuple[str | Written, ...] = ()
    edit_url: str | None = None
    paper: PaperExtras | None = None
    rows: tuple[PaperRow, ...] = ()
    theme: ThemeExtras | None = None
    map: PaperMap | None = None
    count: int = 0  # the papers a page is about, where it says how many
    columns: tuple[str, ...] = ()  # the all-papers table's optional columns that hold data
    feed: str | None = None  # the route of the page's own Atom feed (a theme's, a tag's)
    pager: Pager | None = None  # where the page is in its list, when the list has several pages

    @property
    def markdown(self) -> str | None:
        """Return the page's Markdown document, its parts in order; None for a page without one."""
        return "\n".join(part if isinstance(part, str) else part.markdown for part in self.parts) if self.parts else None

    @property
    def markdown_path(self) -> str:
        """Return where --markdown writes this page's Markdown: beside its HTML, as index.md."""
        return self.route + "index.md"


# -- Pure helpers ---------------------------------------------------------------------------


def show_date(published: str | None) -> str:
    """Return a listing date as readers see it: "Aug 9, 2024", or "Feb 10" without a year."""
    if not published:
        return ""
    year, month, day = published.rsplit("-", 2) if not published.startswith("--") else ("", *published[2:].split("-"))
    shown = f"{MONTHS[int(month) - 1]} {int(day)}"
    return f"{shown}, {year}" if year else shown


def sort_date(published: str | None) -> str:
    """Return a key that sorts full dates in order, then dates without a year, then none."""
    if not published:
        return ""
    return published if not published.startswith("--") else "0000" + published[1:]


def metadata_pieces(paper: Paper, authors: bool = True) -> list[str]:
    """Return ["Gu, Dao", "Dec 1, 2023", "12 upvotes"] (or "4 authors" where names are unknown),
    leaving out what the listings and records lack; without `authors`, no authors at all."""
    parts = []
    if authors and paper.author_names:
        parts.append(short_authors(paper))
    if paper.published:
        parts.append(show_date(paper.published))
    if authors and not paper.author_names and paper.authors is not None:
        parts.append(f"{paper.authors} author" + ("" if paper.authors == 1 else "s"))
    if paper.upvotes is not None:
        parts.append(f"{paper.upvotes} upvote" + ("" if paper.upvotes == 1 else "s"))
    return [part for part in parts if part.strip()]


@functools.lru_cache(maxsize=200_000)
def split_excerpt(text: str, length: int = EXCERPT_LENGTH) -> tuple[str, str]:
    """Split an abstract at a word boundary near `length`: the excerpt and the rest."""
    text = " ".join(text.split())
    if len(text) <= length + 40:
        return text, ""
    cut = text.rfind(" ", 0, length)
    cut = cut if cut > 0 else length
    # The excerpt ends in an ellipsis, so drop the punctuation it was cut after.
    return text[:cut].rstrip(",;:"), text[cut:].lstrip()


def added_order(papers: tuple[Paper, ...]) -> tuple[Paper, ...]:
    """Return papers newest first by when they were added to the listings.

    The listings carry no date of addition, so the order is their position: listing files
    are named in the order they were added (000_, 001_, ...) and pasted top to bottom, so a
    paper first seen in a later file, or lower in the same file, was added later.
    """
    return tuple(sorted(papers, key=lambda p: (first_seen(p.sources), p.id), reverse=True))


@functools.lru_cache(maxsize=1 << 18)
def first_seen(sources: tuple[str, ...]) -> tuple[str, int]:
    """Return the earliest (listing file name, line) of a paper's sources: each feed and list sorts by it."""
    places = []
    for source in sources:
        path, _, line = source.rpartition(":")
        places.append((PurePosixPath(path).name, int(line) if line.isdigit() else 0))
    return min(places, default=("", 0))


def first_paragraph(markdown_text: str) -> str:
    """Return the first paragraph of curator Markdown, for summaries."""
    for block in markdown_text.strip().split("\n\n"):
        if block.strip():
            return " ".join(block.split())
    return ""


@functools.lru_cache(maxsize=200_000)
def search_links(title: str) -> tuple[tuple[str, str], ...]:
    """Return links that search for a title on arXiv, Hugging Face papers and Google Scholar."""
    query = quote_plus(title)
    return (
        ("Search arXiv", f"https://arxiv.org/search/?query={query}&searchtype=title"),
        ("Search Hugging Face papers", f"https://huggingface.co/papers?q={query}"),
        ("Search Google Scholar", f"https://scholar.google.com/scholar?q={quote_plus(chr(34) + title + chr(34))}"),
    )


# -- The site's structure ---------------------------------------------------------------------


@dataclass(frozen=True)
class Structure:
    """Lookups every page needs, computed once from the site."""

    papers: dict[str, Paper]
    themes: tuple[Theme, ...]
    theme_papers: dict[str, tuple[tuple[Paper, bool], ...]]
    tag_papers: dict[str, tuple[Paper, ...]]
    # theme slug -> paper id -> its index in theme_papers: no scan of a theme per paper page
    positions: dict[str, dict[str, int]]
    keys: dict[str, str]  # paper id -> BibTeX key

    @classmethod
    def of(cls, site: Site) -> Structure:
        papers = site.catalog.by_id()
        theme_papers: dict[str, list[tuple[Paper, bool]]] = {t.slug: [] for t in site.curation.themes}
        for placement in site.curation.placements:
            paper = papers.get(placement.paper_id)
            if paper is not None and placement.theme in theme_papers:
                theme_papers[placement.theme].append((paper, placement.start_here))
        # "Start here" papers lead; the curators' order is kept within each group.
        ordered = {
            slug: tuple(sorted(entries, key=lambda entry: not entry[1]))
            for slug, entries in theme_papers.items()
        }
        tag_papers: dict[str, list[Paper]] = {tag.slug: [] for tag in site.curation.tags}
        for paper_id, notes in site.curation.notes:
            for tag in notes.tags:
                if paper_id in papers:
                    tag_papers.setdefault(tag, []).append(papers[paper_id])
        return cls(
            papers=papers,
            themes=site.curation.themes,
            theme_papers=ordered,
            positions={
                slug: {paper.id: index for index, (paper, _) in reversed(list(enumerate(entries)))}
                for slug, entries in ordered.items()
            },
            tag_papers={
                tag: tuple(sorted(found, key=lambda p: (p.title.casefold(), p.id)))
                for tag, found in tag_papers.items()
            },
            keys=citation_keys(site.catalog.papers),
        )

    def theme(self, slug: str) -> Theme | None:
        return next((theme for theme in self.themes if theme.slug == slug), None)


def edit_url(site: Site, content_path: str) -> str:
    """Return the repository's edit page for a file of the content folder."""
    return _repository_url(site.config.repository, "edit", site.config.branch, content_path)


def folder_url(site: Site, content_path: str) -> str:
    """Return the repository's page of a folder of the content folder."""
    return _repository_url(site.config.repository, "tree", site.config.branch, content_path)


@functools.cache
def _repository_url(repository: str, view: str, branch: str, content_path: str) -> str:
    # One string per file: every paper of a theme links to the same one.
    return f"{repository}/{view}/{branch}/content/{content_path}"


def navigation(with_map: bool) -> tuple[tuple[str, str, str], ...]:
    return tuple(item for item in NAV if item[1] != MAP_ROUTE or with_map)


@dataclass(frozen=True)
class Planned:
    """A page of the site before it is made: its route, and the step and view that make it
    (or, for a page made at once, the page)."""

    route: str
    step: Callable[..., Page] | None = None
    view: object = None
    page: Page | None = None


PAGES_AT_ONCE = 512  # pages made (or read back from the memo) together, as render takes them


def plan_pages(site: Site, urls: Urls, with_map: bool = False) -> tuple[Planned, ...]:
    """Return every HTML page of the site to make, in route order.

    Each page of a paper, a theme or a tag is a step of its own, keyed on its view (what it
    shows, gathered from the site): an edit to one note makes again the pages that show it,
    not the others. The few other pages (the home page, the all-papers table, the map) are
    made now. `with_map` adds the map pages, when the templates have one and learning placed
    the papers.
    """
    link = urls.link
    structure = Structure.of(site)
    views: list[tuple[Callable[..., Page], ThemePageView | PaperView | TagPageView]] = [
        *((theme_page, view) for theme in structure.themes for view in theme_views(site, structure, theme)),
        *((paper_page, paper_view(site, structure, paper)) for paper in site.catalog.papers),
        *((tag_page, view) for tag in site.curation.tags for view in tag_views(site, structure, tag)),
    ]
    made = [home_page(site, structure, link), tags_page(site, structure, link), *all_papers_pages(site, structure),
            *(free_page(page.slug, page.title, page.markdown) for page in site.pages),
            search_page(site), not_found_page(), *(map_pages(site) if with_map else ())]
    plan = [Planned(view.route, step, view) for step, view in views] + [Planned(page.route, page=page) for page in made]
    return tuple(sorted(plan, key=lambda planned: planned.route))


def make_pages(plan: Sequence[Planned], urls: Urls, memo: Memo | None = None) -> Iterator[Page]:
    """Yield the pages of `plan` in its order, made (or found in the memo) PAGES_AT_ONCE at a
    time: a large site's pages are never all held at once."""
    for start in range(0, len(plan), PAGES_AT_ONCE):
        batch = plan[start:start + PAGES_AT_ONCE]
        made: dict[int, Page] = {}
        for step in dict.fromkeys(planned.step for planned in batch if planned.step is not None):
            indexes = [index for index, planned in enumerate(batch) if planned.step is step]
            inputs = [(batch[index].view, urls) for index in indexes]
            made.update(zip(indexes, memo.each(step, inputs) if memo is not None else [step(*args) for args in inputs],
                            strict=True))
        yield from (made[index] if planned.page is None else planned.page for index, planned in enumerate(batch))


def search_page(site: Site) -> Page:
    return Page(route="search/", template="search.html", title="Search", section="search",
                description=f"Search the papers of {site.config.title}.", count=len(site.catalog.papers))


def not_found_page() -> Page:
    return Page(route="404.html", template="404.html", title="Page not found", section="",
                description="This page does not exist.")


def map_pages(site: Site) -> list[Page]:
    """Return the map pages (none when machine learning has not placed the papers): the
    overview, and a map per theme when the overview can show only a sample."""
    found = paper_maps(site)
    if found is None:
        return []
    overview, own = found
    pages = [Page(route=MAP_ROUTE, template="map.html", title="Map of the papers", section="map",
                  description=f"A map of the papers of {site.config.title}, placed by what they are about.",
                  map=overview)]
    for slug, theme_map in sorted(own.items()):
        pages.append(Page(route=f"{MAP_ROUTE}{slug}/", template="map.html", title=f"Map: {theme_map.theme}",
                          section="map", description=f"A map of the papers of the theme {theme_map.theme}.",
                          map=theme_map))
    return pages


def related_links(site: Site, structure: Structure, paper_id: str) -> tuple[NavLink, ...]:
    """Return the papers machine learning finds most like this one."""
    if site.learning is None:
        return ()
    return tuple(NavLink(structure.papers[other].title, paper_route(other))
                 for other in site.learning.related_to(paper_id) if other in structure.papers)


def suggested_themes(site: Site, structure: Structure, paper_id: str) -> tuple[Suggested, ...]:
    """Return the themes the classifier suggests for an uncurated paper."""
    if site.learning is None:
        return ()
    return tuple(Suggested(theme.title, theme_route(theme.slug), confidence)
                 for slug, confidence in site.learning.themes_suggested_for(paper_id)
                 if (theme := structure.theme(slug)) is not None)


def home_page(site: Site, structure: Structure, link: Link) -> Page:
    lines = [md_heading(1, site.config.title), "", md_text(site.config.description), ""]
    if structure.themes:
        lines += ["## Themes in reading order", ""]
        for number, theme in enumerate(structure.themes, start=1):
            count = len(structure.theme_papers[theme.slug])
            lines.append(
                f"{number}. **{md_link(theme.title, link(theme_route(theme.slug)))}**"
                f" ({count} paper{'' if count == 1 else 's'}): {first_paragraph(theme.description)}"
            )
        lines.append("")
    lines += [
        "## Recently added",
        "",
        *(
            f"- {md_link(paper.title, link(paper_route(paper.id)))}"
            + (f" ({show_date(paper.published)})" if paper.published else "")
            for paper in added_order(site.catalog.papers)[:RECENT_COUNT]
        ),
        "",
        (f"All {len(site.catalog.papers)} papers are listed on "
         f"[one page]({link('papers/')}); the [tags]({link('tags/')}) cut across themes."),
        "",
    ]
    return Page(route="", template="index.html", title=site.config.title, section="home",
                description=site.config.description, parts=("\n".join(lines),))


def paper_entry(body: Body, paper: Paper, notes: PaperNotes, link: Link, level: int, abstract: bool = True) -> None:
    """Add one paper of a list to `body`: title, metadata, tags, code, note, abstract."""
    facts = [(md_text(piece), html_text(piece)) for piece in metadata_pieces(paper)]
    if notes.tags:
        tags = links(((tag, link(tag_route(tag))) for tag in notes.tags), ", ")
        facts.append(("tags: " + tags[0], "tags: " + tags[1]))
    if paper.code_url:
        facts.append(links([("code", paper.code_url)], ""))
    title = link(paper_route(paper.id))
    body.add(f"{'#' * level} {md_link(paper.title, title)}", f"<h{level}>{html_link(paper.title, title)}</h{level}>")
    if facts:
        body.paragraph(" · ".join(markdown for markdown, _ in facts), " · ".join(html for _, html in facts))
    if notes.note:
        body.markdown(notes.note.strip())
    if not abstract:
        return
    excerpt, rest = split_excerpt(paper.abstract)
    if rest:
        # A raw HTML block: Markdown leaves it alone, so its text is HTML-escaped, not Markdown-escaped.
        body.raw(f"<details><summary>{html_text(excerpt)}…</summary><p>…{html_text(rest)}</p></details>")
    else:
        body.paragraph(md_text(excerpt), html_text(excerpt))


@dataclass(frozen=True)
class ThemePageView:
    """What one page of a theme's list shows of the site: the step that makes it is keyed on this."""

    theme: Theme
    count: int  # papers in the whole theme
    any_start: bool  # whether the theme has "start here" papers
    start: tuple[tuple[Paper, PaperNotes], ...]  # this page's "start here" papers, with their notes
    more: tuple[tuple[Paper, PaperNotes], ...]  # and the others
    pager: Pager | None
    extras: ThemeExtras | None  # on its first page
    edit_url: str

    @property
    def route(self) -> str:
        return self.pager.route if self.pager else theme_route(self.theme.slug)


def theme_views(site: Site, structure: Structure, theme: Theme) -> list[ThemePageView]:
    """Return what each page of a theme shows: its papers in reading order, "start here" ones
    first, THEME_PAGE_SIZE a page."""
    entries = structure.theme_papers[theme.slug]
    ordered = [entry for entry in entries if entry[1]] + [entry for entry in entries if not entry[1]]
    notes = site.curation.notes_of
    any_start = any(start_here for _, start_here in entries)
    views = []
    for shown, pager in paginate(ordered, THEME_PAGE_SIZE, theme_route(theme.slug)):
        views.append(ThemePageView(
            theme=theme, count=len(entries), any_start=any_start,
            start=tuple((paper, notes(paper.id)) for paper, start_here in shown if start_here),
            more=tuple((paper, notes(paper.id)) for paper, start_here in shown if not start_here),
            pager=pager, extras=theme_extras(site, structure, theme) if pager is None or pager.number == 1 else None,
            edit_url=edit_url(site, f"curation/{theme.slug}.yaml")))
    return views


def theme_page(view: ThemePageView, urls: Urls) -> Page:
    """Return one page of a theme's list."""
    theme, pager, count, link = view.theme, view.pager, view.count, urls.link
    feed = theme_route(theme.slug) + "feed.xml"
    follow = tuple(f"Follow the theme with its {atom}." for atom in links([("Atom feed", link(feed))], ""))
    body = Body()
    body.heading(1, theme.title)
    if pager is None or pager.number == 1:
        body.markdown(theme.description.strip())
        counted = f"{count} paper{'' if count == 1 else 's'} in reading order."
    else:
        shown = len(view.start) + len(view.more)
        counted = f"{position(pager, THEME_PAGE_SIZE, shown)} of the theme's {count}, in reading order."
    body.paragraph(f"{counted} {follow[0]}", f"{counted} {follow[1]}")
    if view.start:
        body.heading(2, "Start here")
        for paper, notes in view.start:
            paper_entry(body, paper, notes, link, 3)
    if view.more:
        body.heading(2, "Then read" if view.any_start else "Papers")
        for paper, notes in view.more:
            paper_entry(body, paper, notes, link, 3)
    return Page(
        route=view.route, template="theme.html",
        title=page_title(theme.title, pager), section="themes",
        description=first_paragraph(theme.description)[:300], parts=body.done(), feed=feed,
        edit_url=view.edit_url, theme=view.extras, pager=pager)


def theme_extras(site: Site, structure: Structure, theme: Theme) -> ThemeExtras | None:
    """Return the theme's distinctive terms and the uncurated papers confidently suggested for it."""
    learning = site.learning
    if learning is None:
        return None
    suggested = sorted(
        (
            Suggested(structure.papers[paper_id].title, paper_route(paper_id), best[0][1])
            for paper_id, best in learning.suggested_themes
            if best and best[0][0] == theme.slug and best[0][1] >= THEME_PAGE_CONFIDENCE and paper_id in structure.papers
        ),
        key=lambda suggestion: (-suggestion.confidence, suggestion.title.casefold(), suggestion.route),
    )
    return ThemeExtras(keywords=learning.keywords_of(theme.slug), suggested=tuple(suggested[:SUGGESTED_SHOWN]),
                       more=max(0, len(suggested) - SUGGESTED_SHOWN))


def paper_links(paper: Paper, arxiv: str | None) -> list[tuple[str, str]]:
    """Return the links at the top of a paper page: the PDF, arXiv and code, where known."""
    found = []
    if paper.record is not None:
        found += [("PDF", paper.record.pdf_url), (f"arXiv:{paper.record.arxiv}", paper.record.abs_url)]
    elif arxiv:
        found += [("PDF", f"https://arxiv.org/pdf/{arxiv}"), (f"arXiv:{arxiv}", f"https://arxiv.org/abs/{arxiv}")]
    if paper.code_url:
        found.append(("Code", paper.code_url))
    return found


def more_links(paper: Paper, arxiv: str | None) -> list[tuple[str, str]]:
    """Return the other links of a paper page: pages from the abstract, or searches for it."""
    found = [(("Code: " if link.kind == "code" else "Page: ") + link.url, link.url)
             for link in paper.links if link.url != paper.code_url]
    if paper.record is None and not arxiv:
        found += list(search_links(paper.title))
    return found


def citation(paper: Paper, arxiv: str | None, url: str) -> str:
    """Return a one-line citation: authors, title, year, arXiv id when known, and the page's URL."""
    parts = []
    if paper.author_names:
        names = [family_name(name) for name in paper.author_names]
        parts.append((", ".join(names[:-1]) + " and " + names[-1] if len(names) <= 3 else names[0] + " et al.") + ".")
    elif paper.authors is not None:
        parts.append(f"{paper.authors} author{'' if paper.authors == 1 else 's'}.")
    parts.append(paper.title.rstrip(".") + ".")
    if paper.year:
        parts.append(f"{paper.year}.")
    if paper.arxiv or arxiv:
        parts.append(f"arXiv:{paper.arxiv or arxiv}.")
    parts.append(url)
    return " ".join(parts)


def neighbours(structure: Structure, paper: Paper) -> tuple[Neighbours, ...]:
    found = []
    for theme in structure.themes:
        index = structure.positions[theme.slug].get(paper.id)
        ordered = structure.theme_papers[theme.slug]
        if index is None or len(ordered) < 2:
            continue
        before = ordered[index - 1][0] if index > 0 else None
        after = ordered[index + 1][0] if index + 1 < len(ordered) else None
        found.append(Neighbours(
            theme=NavLink(theme.title, theme_route(theme.slug)),
            previous=NavLink(before.title, paper_route(before.id)) if before else None,
            next=NavLink(after.title, paper_route(after.id)) if after else None,
        ))
    return tuple(found)


@dataclass(frozen=True)
class PaperView:
    """All a paper page shows of the site beyond the paper: its page is made from this and
    the addresses alone, so the page's step is keyed on what the page shows, not on the site."""

    paper: Paper
    notes: PaperNotes
    themes: tuple[tuple[NavLink, bool], ...]  # the themes that hold it, and whether it starts each
    neighbours: tuple[Neighbours, ...]
    bibtex_key: str
    related: tuple[NavLink, ...]
    suggested: tuple[Suggested, ...]
    edit_url: str
    site_title: str

    @property
    def route(self) -> str:
        return paper_route(self.paper.id)


def paper_view(site: Site, structure: Structure, paper: Paper) -> PaperView:
    """Gather what the page of `paper` shows from the site."""
    themes = []
    for slug in site.curation.themes_of(paper.id):
        theme = structure.theme(slug)
        if theme is not None:
            index = structure.positions[slug].get(paper.id)
            starts = index is not None and structure.theme_papers[slug][index][1]
            themes.append((NavLink(theme.title, theme_route(slug)), starts))
    curated_in = site.curation.themes_of(paper.id)[:1]
    return PaperView(
        paper=paper, notes=site.curation.notes_of(paper.id), themes=tuple(themes),
        neighbours=neighbours(structure, paper), bibtex_key=structure.keys[paper.id],
        related=related_links(site, structure, paper.id), suggested=suggested_themes(site, structure, paper.id),
        # An uncurated paper has no YAML yet: the link opens the folder where it would be added.
        edit_url=edit_url(site, f"curation/{curated_in[0]}.yaml") if curated_in else folder_url(site, "curation"),
        site_title=site.config.title)


def paper_page(view: PaperView, urls: Urls) -> Page:
    """Return a paper's page: what the listings, its record and the curators say of it."""
    paper, notes = view.paper, view.notes
    arxiv = None if notes.not_on_arxiv else notes.arxiv
    url = urls.absolute(paper_route(paper.id))
    extras = PaperExtras(
        id=paper.id,
        neighbours=view.neighbours,
        citation=citation(paper, arxiv, url),
        bibtex=bibtex_entry(paper, view.bibtex_key, url),
        bibtex_route=bibtex_route(paper.id),
        json_ld=json_ld(paper, url, view.site_title, urls.absolute(""), notes.tags),
        meta=tuple(highwire(paper)),
        related=view.related,
        suggested_themes=view.suggested,
    )
    return Page(
        route=view.route,
        template="paper.html",
        title=paper.title,
        section="papers",
        description=split_excerpt(paper.abstract, 150)[0],
        parts=paper_parts(paper, notes, view.themes, urls),
        edit_url=view.edit_url,
        paper=extras,
    )


def paper_parts(paper: Paper, notes: PaperNotes, themes: tuple[tuple[NavLink, bool], ...],
                urls: Urls) -> tuple[Written | str, ...]:
    """Return the parts of a paper's page, given the themes that hold it: what sitegen writes
    of the paper, as Markdown with its HTML; the curator's note, as Markdown to convert."""
    arxiv = None if notes.not_on_arxiv else notes.arxiv
    body = Body()
    body.heading(1, paper.title)
    names = paper.author_names
    if len(names) > FOLD_AUTHORS:
        # A raw HTML block: Markdown leaves it alone, so its text is HTML-escaped, not Markdown-escaped.
        body.raw(f"<details><summary>{html_text(', '.join(names[:FOLD_AUTHORS]))} and "
                 f"{len(names) - FOLD_AUTHORS} more</summary><p>{html_text(', '.join(names))}</p></details>")
    elif names:
        body.paragraph(md_text(", ".join(names)), html_text(", ".join(names)))
    if pieces := metadata_pieces(paper, authors=not names):
        body.paragraph(" · ".join(map(md_text, pieces)), " · ".join(map(html_text, pieces)))
    if found := paper_links(paper, arxiv):
        body.paragraph(*links(found, " · "))
    body.heading(2, "Abstract")
    body.raw(f"<p>{html_text(paper.abstract)}</p>")
    if notes.note:
        body.markdown(f"## Curator's note\n\n{notes.note.strip()}")
    if themes:
        body.heading(2, "Themes")
        shown = [(links([(theme.title, urls.link(theme.route))], ""), " (start here)" if starts else "")
                 for theme, starts in themes]
        body.bullets([(markdown + starts, html + starts) for (markdown, html), starts in shown])
    if notes.tags:
        body.heading(2, "Tags")
        body.paragraph(*links(((tag, urls.link(tag_route(tag))) for tag in notes.tags), ", "))
    if more := more_links(paper, arxiv):
        body.heading(2, "Links")
        body.bullets([links([found], "") for found in more])
    return body.done()


def tags_page(site: Site, structure: Structure, link: Link) -> Page:
    lines = ["# Tags", "", "Tags cut across themes; each paper carries the tags its curators gave it.", ""]
    for tag in site.curation.tags:
        count = len(structure.tag_papers.get(tag.slug, ()))
        lines.append(f"- {md_link(tag.slug, link(tag_route(tag.slug)))} ({count}): {md_text(tag.description)}")
    lines.append("")
    return Page(route="tags/", template="page.html", title="Tags", section="tags",
                description=f"The tags of {site.config.title}, with their paper counts.",
                parts=("\n".join(lines),))


@dataclass(frozen=True)
class TagPageView:
    """What one page of a tag's list shows of the site: the step that makes it is keyed on this."""

    tag: Tag
    count: int  # papers with the tag
    shown: tuple[tuple[Paper, PaperNotes], ...]  # this page's papers, with their notes
    pager: Pager | None

    @property
    def route(self) -> str:
        return self.pager.route if self.pager else tag_route(self.tag.slug)


def tag_views(site: Site, structure: Structure, tag: Tag) -> list[TagPageView]:
    """Return what each page of a tag shows: its papers by title, TAG_PAGE_SIZE a page."""
    papers = structure.tag_papers.get(tag.slug, ())
    notes = site.curation.notes_of
    return [TagPageView(tag, len(papers), tuple((paper, notes(paper.id)) for paper in shown), pager)
            for shown, pager in paginate(papers, TAG_PAGE_SIZE, tag_route(tag.slug))]


def tag_page(view: TagPageView, urls: Urls) -> Page:
    """Return one page of a tag's list."""
    slug, pager, count, link = view.tag.slug, view.pager, view.count, urls.link
    feed = tag_route(slug) + "feed.xml"
    follow = tuple(f"Follow the tag with its {atom}." for atom in links([("Atom feed", link(feed))], ""))
    body = Body()
    body.heading(1, f"Tag: {slug}")
    body.paragraph(md_text(view.tag.description), html_text(view.tag.description))
    if pager is None or pager.number == 1:
        counted = f"{count} paper{'' if count == 1 else 's'}."
    else:
        counted = f"{position(pager, TAG_PAGE_SIZE, len(view.shown))} of the tag's {count}."
    body.paragraph(f"{counted} {follow[0]}", f"{counted} {follow[1]}")
    # As on theme pages: first authors, date, tags, the curator's note (not the abstract).
    for paper, notes in view.shown:
        paper_entry(body, paper, notes, link, 2, abstract=False)
    return Page(route=view.route, template="page.html",
                title=page_title(f"Tag: {slug}", pager), section="tags", description=view.tag.description,
                parts=body.done(), feed=feed, pager=pager)


def all_papers_pages(site: Site, structure: Structure) -> list[Page]:
    """Return the pages of the all-papers table, by title, ALL_PAPERS_PAGE_SIZE rows a page."""
    themes_of = {
        paper.id: tuple(
            NavLink(theme.title, theme_route(theme.slug))
            for slug in site.curation.themes_of(paper.id)
            if (theme := structure.theme(slug)) is not None
        )
        for paper in site.catalog.papers
    }
    rows = tuple(
        PaperRow(
            title=paper.title,
            route=paper_route(paper.id),
            date=show_date(paper.published),
            sort_date=sort_date(paper.published),
            upvotes=paper.upvotes,
            themes=themes_of[paper.id],
            authors=short_authors(paper),
        )
        for paper in sorted(site.catalog.papers, key=lambda p: (p.title.casefold(), p.id))
    )
    held = {"authors": sum(bool(row.authors) for row in rows), "date": sum(bool(row.date) for row in rows),
            "upvotes": sum(row.upvotes is not None for row in rows), "themes": sum(bool(row.themes) for row in rows)}
    columns = tuple(name for name, count in held.items() if rows and count >= COLUMN_SHOWN * len(rows))
    return [
        Page(route=pager.route if pager else "papers/", template="papers.html",
             title=page_title("All papers", pager), section="papers",
             description=f"All {len(rows)} papers of {site.config.title}.", rows=tuple(shown), columns=columns,
             count=len(rows), pager=pager)
        for shown, pager in paginate(rows, ALL_PAPERS_PAGE_SIZE, "papers/")
    ]


def free_page(slug: str, title: str, markdown_text: str) -> Page:
    return Page(route=f"{slug}/", template="page.html", title=title, section=slug,
                description=first_paragraph(markdown_text.split("\n", 1)[-1])[:200] or title,
                parts=(markdown_text,))
