"""The fourth stage: every page's Markdown into sanitized HTML, then through its template."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sitegen.memo import Memo
from sitegen.render.markdown import to_html
from sitegen.render.templates import Layout, Templates, render_page
from sitegen.site.pages import Page
from sitegen.site.urls import output_path


def render_pages(pages: Iterable[Page], templates: Templates, layout: Layout, memo: Memo) -> Iterator[tuple[str, bytes]]:
    """Yield each page's file and bytes, made as they are asked for."""
    for page in pages:
        body = memo(to_html, page.markdown) if page.markdown is not None else ""
        yield output_path(page.route), memo(render_page, templates, layout, page, body)
