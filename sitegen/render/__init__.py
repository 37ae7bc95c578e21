"""The fourth stage: every page's Markdown into sanitized HTML, then through its template.

Converting Markdown is most of the stage. When many documents are new, they are converted
a batch at a time in worker processes (concurrent.futures), each document exactly as one
process converts it; the templates are applied here, in order, to one batch while the
workers convert the next.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from itertools import islice

from sitegen.memo import MISSING, Memo, Missing
from sitegen.render.markdown import sanitize, to_html
from sitegen.render.templates import Layout, Templates, render_page
from sitegen.site.pages import Page
from sitegen.site.urls import output_path

BATCH = 512  # pages whose Markdown is converted together, and then laid out
PARALLEL_FROM = 128  # new documents in a batch from which workers convert them


def render_pages(pages: Iterable[Page], templates: Templates, layout: Layout, memo: Memo,
                 pool: Executor | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield each page's file and bytes, a batch at a time, in the order of `pages`.

    With worker processes, they convert a batch's new Markdown while the batch before it is
    laid out and written here.
    """
    remaining, ahead = iter(pages), deque[tuple[list[Page], list[bytes | Missing]]]()
    while batch := list(islice(remaining, BATCH)):
        known = memo.peek(laid_out, [(templates, layout, page, memo) for page in batch])
        new = [page for page, found in zip(batch, known, strict=True) if found is MISSING]
        if pool is not None and new:
            memo.compute_missing(to_html, [(part,) for page in new for part in page.parts if isinstance(part, str)],
                                 functools.partial(_converted, pool))
        ahead.append((batch, known))
        if len(ahead) > (1 if pool is not None else 0):  # without workers, nothing to overlap
            yield from _files(*ahead.popleft(), templates, layout, memo)
    while ahead:
        yield from _files(*ahead.popleft(), templates, layout, memo)


def convert_ahead(documents: Sequence[str], memo: Memo, pool: Executor) -> None:
    """Start converting the Markdown `documents` in the pool's workers: rendering then takes
    each as the page that holds it is laid out."""
    memo.compute_missing(to_html, [(document,) for document in documents], functools.partial(_converted, pool))


def _files(batch: list[Page], known: list[bytes | Missing], templates: Templates, layout: Layout,
           memo: Memo) -> Iterator[tuple[str, bytes]]:
    for page, found in zip(batch, known, strict=True):
        yield output_path(page.route), (memo(laid_out, templates, layout, page, memo) if found is MISSING else found)


def laid_out(templates: Templates, layout: Layout, page: Page, memo: Memo) -> bytes:
    """Return one page's file: its Markdown's parts converted (each a step of its own) or, for
    a part sitegen wrote with its HTML, that HTML sanitized, laid out."""
    body = "\n".join(memo(to_html, part) if isinstance(part, str) else sanitize(part.html) for part in page.parts)
    return render_page(templates, layout, page, body)


def _converted(pool: Executor, missing: Sequence[tuple[object, ...]]) -> Iterator[str]:
    """Return the documents' HTML as it is needed: converted here when they are few, else by
    the pool, which starts on all of them now."""
    documents = [str(args[0]) for args in missing]
    if len(documents) < PARALLEL_FROM:
        return map(to_html, documents)
    return pool.map(to_html, documents, chunksize=16)
