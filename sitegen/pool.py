"""Worker processes, for the steps that pay for them: concurrent.futures, forked where the
system can, so that nothing is imported again. What a worker computes is what this process
would have computed; tests compare the two.

A forked worker must not run OpenMP code (scikit-learn's t-SNE and k-means) when its parent
had used it: GNU libgomp hangs in such a child. `may_learn` tells whether this process may
start workers that fit: it has not loaded scikit-learn.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

PARENT_POLL_SECONDS = 0.1  # how often a worker looks whether the build's process is still there


@contextlib.contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """Yield a pool of `workers` processes, started now, or None for one (everything then runs
    here). What is still queued when the block ends is dropped."""
    if workers <= 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_end_with,
                               initargs=(os.getpid(),))
    # A first task forks every worker now, while this process is small: forked once the site
    # is made, they would share its memory and copy it page by page as their collector walks it.
    pool.submit(os.getpid)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


def may_learn() -> bool:
    """Tell whether workers started now may run scikit-learn: this process has not loaded it
    (and with it, maybe, used OpenMP), or they do not fork from it."""
    return "sklearn" not in sys.modules or "fork" not in multiprocessing.get_all_start_methods()


def _end_with(parent: int) -> None:
    """A worker's first step: end as soon as the build's process is gone, even killed (kill -9),
    which closes no queue a worker waits on."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="sitegen-parent-watch", daemon=True).start()


def worker_count() -> int:
    """Return how many processes may work at once: the processors this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
