"""Worker processes, for the steps that pay for them: concurrent.futures, forked where the
system can, so that nothing is imported again. What a worker computes is what this process
would have computed; tests compare the two.

A forked worker must not run OpenMP code (scikit-learn's t-SNE and k-means): GNU libgomp
hangs in a child whose parent has used it. Workers convert Markdown only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Yield a pool of `workers` processes, or None for one (everything then runs here). They
    start with its first task; what is still queued when the block ends is dropped."""
    if workers <= 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def worker_count() -> int:
    """Return how many processes may work at once: the processors this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
