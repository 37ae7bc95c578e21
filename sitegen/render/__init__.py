"""The fourth stage: every page's Markdown into sanitized HTML, then through its template.

Converting Markdown is most of the stage. When many documents are new, they are converted
a batch at a time in worker processes (concurrent.futures), each document exactly as one
process converts it; the templates are then applied in order, here.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import islice

from sitegen.memo import MISSING, Memo
from sitegen.render.markdown import to_html
from sitegen.render.templates import Layout, Templates, render_page
from sitegen.site.pages import Page
from sitegen.site.urls import output_path

BATCH = 512  # pages whose Markdown is converted together, and then laid out
PARALLEL_FROM = 128  # new documents in a batch from which workers convert them


def render_pages(pages: Iterable[Page], templates: Templates, layout: Layout, memo: Memo,
                 workers: int = 1) -> Iterator[tuple[str, bytes]]:
    """Yield each page's file and bytes, a batch at a time, in the order of `pages`.

    With `workers` above 1, a batch's new Markdown is converted by that many processes.
    """
    pool: Executor | None = None
    try:
        remaining = iter(pages)
        while batch := list(islice(remaining, BATCH)):
            known = [memo.peek(laid_out, templates, layout, page, memo) for page in batch]
            new = [page for page, found in zip(batch, known, strict=True) if found is MISSING]
            if workers > 1 and new:
                pool = pool or _pool(workers)  # its processes start with its first task
                memo.compute_missing(to_html, [(part,) for page in new for part in page.parts],
                                     functools.partial(_converted, pool))
            for page, found in zip(batch, known, strict=True):
                yield output_path(page.route), (
                    memo(laid_out, templates, layout, page, memo) if found is MISSING else found)
    finally:
        if pool is not None:
            pool.shutdown()


def laid_out(templates: Templates, layout: Layout, page: Page, memo: Memo) -> bytes:
    """Return one page's file: its Markdown's parts converted (each a step of its own), laid out."""
    return render_page(templates, layout, page, "\n".join(memo(to_html, part) for part in page.parts))


def _converted(pool: Executor, missing: Sequence[tuple[object, ...]]) -> list[str]:
    documents = [str(args[0]) for args in missing]
    if len(documents) < PARALLEL_FROM:
        return [to_html(document) for document in documents]
    return list(pool.map(to_html, documents, chunksize=16))


def _pool(workers: int) -> Executor:
    """Return a pool of worker processes, forked where the system can (nothing to import again)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def worker_count() -> int:
    """Return how many processes may convert Markdown: the processors this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
