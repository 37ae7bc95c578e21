"""The third stage: the site as pages (their data and Markdown) and data files (search, feeds)."""

from __future__ import annotations

from collections.abc import Iterable

from sitegen.memo import Memo
from sitegen.model import Site
from sitegen.site.feeds import feed_files
from sitegen.site.pages import make_pages
from sitegen.site.search import search_documents, search_files
from sitegen.site.urls import Urls

__all__ = ["data_files", "make_pages"]


def data_files(site: Site, page_routes: Iterable[str], urls: Urls, memo: Memo) -> dict[str, bytes]:
    """Return the site's files for machines: the search index, feeds, sitemap and papers.json."""
    themes = tuple((theme.slug, theme.title) for theme in site.curation.themes)
    files = dict(memo(search_files, search_documents(site), themes))
    files.update(feed_files(site, page_routes, urls.absolute))
    return files
