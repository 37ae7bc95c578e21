"""The site's machine-readable files: Atom feed, sitemap, robots.txt, papers.json, CNAME."""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sitegen.memo import Memo
from sitegen.model import Paper, Site
from sitegen.site.pages import added_order
from sitegen.site.papers_json import encode_papers
from sitegen.site.urls import paper_route, tag_route, theme_route

Link = Callable[[str], str]

FEED_SIZE = 50
FEED_ROUTE = "feed.xml"
ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
# With no date in the listings, a paper still needs an Atom <updated>; this one says "unknown".
UNKNOWN_DATE = "1970-01-01T00:00:00Z"
# XML 1.0 forbids most control characters; a listing could hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def atom_date(paper: Paper) -> str | None:
    """Return a paper's date as an RFC 3339 timestamp, when the listings give its year."""
    return f"{paper.published}T00:00:00Z" if paper.year and paper.published else None


@dataclass(frozen=True)
class FeedEntry:
    """One paper as a feed shows it."""

    title: str
    url: str
    updated: str
    published: str | None
    abs_url: str | None  # the arXiv page and PDF, when the paper has a record
    pdf_url: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    content: str  # HTML: the curator's note above the abstract


@dataclass(frozen=True)
class FeedHead:
    """What an Atom feed says of itself."""

    title: str
    subtitle: str
    url: str  # the feed's own address
    page: str  # the page it follows, which is also its id
    updated: str
    author: str


def feed_xml(site: Site, absolute: Link, papers: Iterable[Paper] | None = None, route: str = FEED_ROUTE,
             title: str | None = None, theme: str | None = None, memo: Memo | None = None) -> bytes:
    """Return an Atom feed (RFC 4287) of the papers that joined the list last, newest first.

    The main feed holds the curated papers; a theme's or a tag's feed holds its own. A paper
    joins the list on the day of its curation entry's `added:` (in a theme's feed, its entry
    in that theme); papers of the same day, and papers without a day, keep the listings'
    order (sitegen.site.pages.added_order), the undated after the dated. An entry's <updated>
    is that day, its <published> its paper's date (its first version's, from its record),
    and the feed's <updated> the newest of its entries, so the feed never depends on the
    clock. Its content is the curator's note, as HTML, above the abstract. The XML is made
    through the memo, when given one, so an edit rewrites only the feeds it changes.
    """
    chosen = tuple(papers) if papers is not None else tuple(
        paper for paper in site.catalog.papers if site.curation.themes_of(paper.id))
    recent = joined_order(chosen, site, theme)[:FEED_SIZE]
    updated = {paper.id: joined_date(paper, site, theme) or atom_date(paper) for paper in recent}
    known = sorted(filter(None, updated.values()))
    feed_updated = known[-1] if known else UNKNOWN_DATE
    head = FeedHead(title=title or site.config.title, subtitle=site.config.description, url=absolute(route),
                    page=absolute(route.removesuffix(FEED_ROUTE)), updated=feed_updated, author=site.config.author)
    entries = []
    for paper in recent:
        notes = site.curation.notes_of(paper.id)
        entries.append(FeedEntry(
            title=paper.title, url=absolute(paper_route(paper.id)), updated=updated[paper.id] or feed_updated,
            published=atom_date(paper), abs_url=paper.record.abs_url if paper.record else None,
            pdf_url=paper.record.pdf_url if paper.record else None, authors=tuple(paper.author_names),
            tags=tuple(notes.tags), content=entry_html(notes.note, paper.abstract)))
    return memo(atom_feed, head, tuple(entries)) if memo is not None else atom_feed(head, tuple(entries))


def atom_feed(head: FeedHead, entries: tuple[FeedEntry, ...]) -> bytes:
    """Return the Atom XML of a feed."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", head.title)
    _text(feed, "subtitle", head.subtitle)
    _text(feed, "id", head.page)  # the main feed's id is the site's, as ever
    _text(feed, "updated", head.updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=head.url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=head.page)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", head.author)
    _text(feed, "generator", "sitegen")
    for paper in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", paper.title)
        _text(entry, "id", paper.url)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=paper.url)
        if paper.abs_url and paper.pdf_url:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", type="text/html", title="arXiv", href=paper.abs_url)
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", type="application/pdf", title="PDF",
                          href=paper.pdf_url)
        _text(entry, "updated", paper.updated)
        if paper.published:
            _text(entry, "published", paper.published)
        for name in paper.authors:
            _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", name)
        for tag in paper.tags:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=xml_text(tag))
        content = _text(entry, "content", paper.content)
        content.set("type", "html")
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode").encode("utf-8") + b"\n"


def joined_date(paper: Paper, site: Site, theme: str | None = None) -> str | None:
    """Return the day a paper joined the list (or the theme) as an RFC 3339 timestamp."""
    day = site.curation.added(paper.id, theme)
    return f"{day}T00:00:00Z" if day else None


def joined_order(papers: tuple[Paper, ...], site: Site, theme: str | None = None) -> tuple[Paper, ...]:
    """Return papers newest first by the day they joined, the listings' order within a day."""
    in_listings = added_order(papers)  # a stable sort keeps it among papers of one day
    return tuple(sorted(in_listings, key=lambda paper: site.curation.added(paper.id, theme) or "", reverse=True))


@functools.lru_cache(maxsize=200_000)
def entry_html(note: str | None, abstract: str) -> str:
    """Return a feed entry's content: the curator's note (sanitized Markdown) above the abstract."""
    from sitegen.render.markdown import to_html  # the one way HTML is made from Markdown

    parts = [f'<div class="note">{to_html(note)}</div>'] if note else []
    return "".join(parts) + f"<p>{html.escape(' '.join(abstract.split()))}</p>"


def theme_feeds(site: Site, absolute: Link, memo: Memo | None = None) -> dict[str, bytes]:
    """Return a feed per theme and per tag, beside its page: themes/<slug>/feed.xml, tags/<slug>/feed.xml."""
    by_id = site.catalog.by_id()
    files = {}
    for theme in site.curation.themes:
        route = theme_route(theme.slug) + FEED_ROUTE
        files[route] = feed_xml(site, absolute, [by_id[i] for i in site.curation.placed_in(theme.slug) if i in by_id],
                                route, f"{site.config.title}: {theme.title}", theme.slug, memo)
    for tag in site.curation.tags:
        route = tag_route(tag.slug) + FEED_ROUTE
        files[route] = feed_xml(site, absolute, [by_id[i] for i in site.curation.tagged(tag.slug) if i in by_id],
                                route, f"{site.config.title}: papers tagged {tag.slug}", memo=memo)
    return files


def sitemap_xml(routes: Iterable[str], absolute: Link) -> bytes:
    """Return the sitemap of every page route, sorted; no <lastmod>, which would need a clock."""
    ET.register_namespace("", SITEMAP)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for route in sorted(routes):
        url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = absolute(route)
    ET.indent(urlset)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(urlset, encoding="unicode").encode("utf-8") + b"\n"


def robots_txt(absolute: Link) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {absolute('sitemap.xml')}\n".encode()


def papers_json(site: Site, memo: Memo | None = None) -> bytes:
    """Return every paper with all its data: the same bytes as `sitegen papers --json`."""
    return encode_papers(site.catalog.papers, site.curation, site.learning, memo)


def feed_files(site: Site, page_routes: Iterable[str], absolute: Link, memo: Memo | None = None) -> dict[str, bytes]:
    """Return the feed, sitemap, robots.txt, .nojekyll, papers.json and (with a domain) CNAME."""
    files = {
        FEED_ROUTE: feed_xml(site, absolute, memo=memo),
        **theme_feeds(site, absolute, memo),
        "sitemap.xml": sitemap_xml(page_routes, absolute),
        # GitHub Pages would otherwise run Jekyll over a branch deploy and drop _-prefixed files.
        ".nojekyll": b"",
        "papers.json": papers_json(site, memo),
    }
    if urlsplit(absolute("")).path == "/":
        # Crawlers read robots.txt at a host's root only: under a project's path it is never read.
        files["robots.txt"] = robots_txt(absolute)
    if site.config.domain:
        files["CNAME"] = (site.config.domain + "\n").encode()
    return files


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = xml_text(text)
    return element
