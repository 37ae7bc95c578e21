"""The worker processes a build shares its Markdown with."""

from __future__ import annotations

import multiprocessing

from sitegen.pool import worker_pool


def test_the_workers_start_with_the_pool_before_the_site_is_made_and_end_with_it():
    before = set(multiprocessing.active_children())
    with worker_pool(2) as pool:
        assert pool is not None
        started = set(multiprocessing.active_children()) - before
        assert len(started) == 2, "forked while the build's process is small, not once it holds the site"
    assert not set(multiprocessing.active_children()) & started


def test_one_worker_is_this_process():
    with worker_pool(1) as pool:
        assert pool is None
