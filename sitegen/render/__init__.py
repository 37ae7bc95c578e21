"""The fourth stage: every page's Markdown into sanitized HTML, then through its template.

When many pages are new, worker processes (concurrent.futures) make them a batch at a time,
each exactly as this process would (`Memo.make_apart`), while this one writes the batch
before; the files come out in the order of the pages either way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from itertools import islice

from sitegen.memo import MISSING, Memo, Missing
from sitegen.render.markdown import sanitize, to_html
from sitegen.render.templates import Layout, Templates, render_page
from sitegen.site.markup import Written
from sitegen.site.pages import Page
from sitegen.site.urls import output_path

BATCH = 512  # pages made together: read back, or made by the workers while the batch before is written
PARALLEL_FROM = 128  # new pages in a batch from which workers make them
CHUNK = 16  # pages a worker is sent at once


def render_pages(pages: Iterable[Page], templates: Templates, layout: Layout, memo: Memo,
                 pool: Executor | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield each page's file and bytes, a batch at a time, in the order of `pages`.

    With worker processes, they make a batch's new pages (conversion and layout) while this
    process writes the batch before it.
    """
    remaining, ahead = iter(pages), deque[tuple[list[Page], list[bytes | Missing]]]()
    while batch := list(islice(remaining, BATCH)):
        known = memo.peek(laid_out, [(templates, layout, page, memo) for page in batch])
        new = [(templates, layout, page, memo) for page, found in zip(batch, known, strict=True) if found is MISSING]
        if pool is not None and len(new) >= PARALLEL_FROM:
            memo.make_apart(pool, laid_out, new, chunk=CHUNK)
        ahead.append((batch, known))
        if len(ahead) > (1 if pool is not None else 0):  # without workers, nothing to overlap
            yield from _files(*ahead.popleft(), templates, layout, memo)
    while ahead:
        yield from _files(*ahead.popleft(), templates, layout, memo)


def _files(batch: list[Page], known: list[bytes | Missing], templates: Templates, layout: Layout,
           memo: Memo) -> Iterator[tuple[str, bytes]]:
    for page, found in zip(batch, known, strict=True):
        yield output_path(page.route), (memo(laid_out, templates, layout, page, memo) if found is MISSING else found)


def laid_out(templates: Templates, layout: Layout, page: Page, memo: Memo) -> bytes:
    """Return one page's file: its Markdown's parts converted (each a step of its own) or, for
    a part sitegen wrote with its HTML, that HTML sanitized, laid out."""
    return render_page(templates, layout, page, body_html(page.parts, memo))


def body_html(parts: Iterable[str | Written], memo: Memo) -> str:
    """Return a page's body from its parts: as its whole Markdown document converts to."""
    found = (memo(to_html, part) if isinstance(part, str) else sanitize(part.html) for part in parts)
    return "\n".join(html for html in found if html)
