"""The helper process and the worker pool give what one process would, and fail like it."""

from __future__ import annotations

import os
import time

import pytest

from sitegen.errors import Problem, SitegenError
from sitegen.parallel import MOST_BYTES_PER_CHUNK, Helper, can_fork, map_in_chunks, workers

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")


def warm() -> None:
    time.sleep(0.05)  # as if importing a large library


def pid_and_sum(numbers: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def fail(path: str) -> None:
    raise SitegenError(Problem(path, 3, 1, "broken", "fix it"))


def die_unless_in(pid: int) -> str:
    if os.getpid() != pid:
        os._exit(9)  # as if killed, or out of memory: the parent must not hang or lose the work
    return "done here"


def count_to(last: int, gate: str | None = None):
    for number in range(1, last + 1):
        yield os.getpid(), number
        while gate is not None and not os.path.exists(gate):  # the next part waits for the test
            time.sleep(0.01)


def die_after_one_unless_in(pid: int):
    yield "first, from wherever"
    if os.getpid() != pid:
        os._exit(9)
    yield "second, here"


def double_all(items: list[int]) -> list[int]:
    return [item * 2 for item in items]


@needs_fork
def test_a_helper_runs_the_job_in_another_process():
    with Helper(warm) as helper:
        assert helper.forked
        pending = helper.run(pid_and_sum, [1, 2, 3])
        pid, total = pending.result()
    assert total == 6
    assert pid != os.getpid()


@needs_fork
def test_an_error_in_the_helper_is_raised_here_whole():
    with Helper(warm) as helper, pytest.raises(SitegenError) as raised:
        helper.run(fail, "content/curation/x.yaml").result()
    assert raised.value.problems == [Problem("content/curation/x.yaml", 3, 1, "broken", "fix it")]


def test_a_helper_that_dies_leaves_the_job_to_this_process():
    with Helper(warm) as helper:
        assert helper.run(die_unless_in, os.getpid()).result() == "done here"


@needs_fork
def test_a_helper_given_no_job_is_stopped_at_once_even_while_warming_up():
    started = time.perf_counter()
    with Helper(lambda: time.sleep(30)) as helper:
        assert helper.forked
    assert time.perf_counter() - started < 5


@needs_fork
def test_a_helper_whose_result_is_no_longer_wanted_is_stopped_at_once():
    # The build failed, or was interrupted, while the helper was fitting.
    started = time.perf_counter()
    with Helper(warm) as helper:
        helper.run(time.sleep, 30)
    assert time.perf_counter() - started < 5


@needs_fork
def test_a_job_in_parts_sends_each_part_as_soon_as_it_is_made(tmp_path):
    gate = tmp_path / "go on"
    with Helper(warm) as helper:
        parts = helper.run_parts(count_to, 3, str(gate))
        pid, first = parts.next()  # while the helper waits for the gate: sent before the rest is made
        assert (first, pid != os.getpid()) == (1, True)
        assert parts.busy()
        gate.touch()
        assert parts.last()[1] == 3
        with pytest.raises(StopIteration):
            parts.next()


def test_a_job_in_parts_runs_here_as_far_as_asked_without_a_helper():
    with Helper(warm, modules=("os",)) as helper:
        parts = helper.run_parts(count_to, 3)
        assert parts.next() == (os.getpid(), 1)
        assert parts.last() == (os.getpid(), 3)


def test_a_helper_that_dies_between_parts_leaves_the_rest_to_this_process():
    with Helper(warm) as helper:
        parts = helper.run_parts(die_after_one_unless_in, os.getpid())
        assert parts.next() == "first, from wherever"
        assert parts.next() == "second, here"
        with pytest.raises(StopIteration):
            parts.next()


def test_no_helper_is_forked_once_the_named_libraries_are_loaded_here():
    # scikit-learn's OpenMP runtime is not fork-safe once used: the job then runs here.
    with Helper(warm, modules=("os",)) as helper:
        assert not helper.forked
        pid, total = helper.run(pid_and_sum, [4, 5]).result()
    assert (pid, total) == (os.getpid(), 9)


@needs_fork
def test_a_busy_helper_says_so_until_its_result_is_in():
    with Helper(warm) as helper:
        pending = helper.run(pid_and_sum, [1])
        assert pending.busy()  # still warming up
        deadline = time.perf_counter() + 10
        while pending.busy() and time.perf_counter() < deadline:
            time.sleep(0.01)
        assert not pending.busy()
        assert pending.result()[1] == 1


def test_work_shared_among_workers_comes_back_in_order():
    items = list(range(1000))
    with workers(True) as pool:
        assert map_in_chunks(pool, double_all, items) == [item * 2 for item in items]
    with workers(False) as pool:
        assert pool is None
        assert map_in_chunks(pool, double_all, items[:5]) == [0, 2, 4, 6, 8]


def fail_on_13(items):
    if 13 in items:
        raise ValueError("13 is not welcome")
    return list(items)


def test_items_made_as_they_are_taken_come_back_in_order_and_a_failure_comes_back():
    done = []
    with workers(True) as pool:
        made = (item + 1 for item in range(1000))
        assert map_in_chunks(pool, double_all, made, expected=1000, meanwhile=lambda: done.append(True)) == [
            (item + 1) * 2 for item in range(1000)]
        assert done == [True] or pool is None
        with pytest.raises(ValueError, match="13 is not welcome"):
            map_in_chunks(pool, fail_on_13, range(1000))


def test_items_are_made_a_chunk_at_a_time_and_a_few_are_done_here():
    made = []

    def making():
        for item in range(1200):
            made.append(item)
            yield item

    def seen_when_called(chunk):
        return [len(made)] * len(chunk)

    seen = map_in_chunks(None, seen_when_called, making())
    assert sorted(set(seen)) == [500, 1000, 1200], "every item was made before the first chunk was done"
    with workers(True) as pool:
        assert map_in_chunks(pool, pid_of_each, range(5)) == [os.getpid()] * 5


def pid_of_each(items):
    return [os.getpid() for _ in items]


def test_a_chunk_holds_at_most_its_bytes_or_one_larger_item():
    part = MOST_BYTES_PER_CHUNK * 4 // 10
    documents = [b"x" * part] * 3 + [b"y" * (MOST_BYTES_PER_CHUNK * 3)] + [b"z"] * 3
    assert map_in_chunks(None, chunk_length_of_each, documents, size_of=len) == [2, 2, 1, 1, 3, 3, 3]


def chunk_length_of_each(chunk):
    return [len(chunk)] * len(chunk)
