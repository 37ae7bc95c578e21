"""The third stage: the site as pages (their data and Markdown) and data files (search, feeds)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sitegen.memo import Memo
from sitegen.model import Catalog, Paper, Site
from sitegen.site.citations import bibtex_entry, bibtex_file, citation_keys, csl_json
from sitegen.site.feeds import feed_files
from sitegen.site.pages import make_pages, plan_pages
from sitegen.site.search import search_documents, search_files
from sitegen.site.urls import (
    BIBTEX_ROUTE,
    CSL_ROUTE,
    Urls,
    bibtex_route,
    paper_route,
    theme_bibtex_route,
)

__all__ = ["data_files", "make_pages", "plan_pages"]


def data_files(site: Site, page_routes: Iterable[str], urls: Urls, memo: Memo) -> Iterator[dict[str, bytes]]:
    """Yield the site's files for machines a group at a time, each made once the one before
    was taken: the search index; the feeds, sitemap and papers.json; the citations. Each group
    is a new dict, the caller's to empty."""
    themes = tuple((theme.slug, theme.title) for theme in site.curation.themes)
    yield dict(memo(search_files, search_documents(site), themes))
    yield dict(feed_files(site, page_routes, urls.absolute, memo))
    yield dict(citation_files(site, urls, memo))


def citation_files(site: Site, urls: Urls, memo: Memo | None = None) -> dict[str, bytes]:
    """Return the citations: a .bib per paper, per theme and for the whole list, and CSL-JSON.

    They depend on the papers and on which papers each theme holds, not on notes or tags:
    through the memo, an edit to a note makes none of them again.
    """
    themes = tuple((theme.slug, site.curation.placed_in(theme.slug)) for theme in site.curation.themes)
    if memo is None:
        return citations(site.catalog, themes, urls)
    return memo(citations, site.catalog, themes, urls)


def citations(catalog: Catalog, themes: tuple[tuple[str, tuple[str, ...]], ...], urls: Urls) -> dict[str, bytes]:
    """Return the citation files of the papers; `themes` are (slug, ids of its papers) in reading order."""
    keys = citation_keys(catalog.papers)

    def url_of(paper: Paper) -> str:
        return urls.absolute(paper_route(paper.id))

    files = {bibtex_route(paper.id): bibtex_entry(paper, keys[paper.id], url_of(paper)).encode("utf-8")
             for paper in catalog.papers}
    files[BIBTEX_ROUTE] = bibtex_file(catalog.papers, keys, url_of)
    files[CSL_ROUTE] = csl_json(catalog.papers, keys, url_of)
    by_id = catalog.by_id()
    for slug, ids in themes:
        files[theme_bibtex_route(slug)] = bibtex_file([by_id[i] for i in ids if i in by_id], keys, url_of)
    return files
