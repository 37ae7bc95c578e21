"""The machine's other cores, for the two slow and independent steps of a build.

Fitting the models and converting the Markdown of every page do not depend on each other
(no page's Markdown depends on learning). A `Helper` is a process forked as the build
starts: it imports scikit-learn (about a second by itself) while this process reads the
content, then fits. A pool of forked workers shares the Markdown meanwhile. Results are the
same as in one process, in the same order; without fork or a second core, everything runs
in this process.

Forking is safe only before this process has used scikit-learn: its OpenMP runtime (GNU
libgomp) is not fork-safe, and a child that calls into it after the parent did can hang. So
a helper is forked only when scikit-learn is not loaded here; the Markdown workers never
call into it.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Generic, Self, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")
WORTH_IT = 300  # below this many documents or papers, starting workers costs more than it saves
MOST_PER_CHUNK = 500  # documents or papers: a task's round trip is about a millisecond
# A chunk's documents are held in this process three times at once (as text, encoded and
# pickled) and in a worker as it converts them: the theme pages of 100,000 papers are 6 MB each.
MOST_BYTES_PER_CHUNK = 2_000_000
WORKER_NICENESS = 19  # Markdown workers yield to the helper, whose result the build waits for


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use, in a container too
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def workers(wanted: bool, now: bool = False) -> Iterator[Executor | None]:
    """Yield a pool of forked workers when wanted and possible (several cores, fork), else None.

    With `now`, the workers are forked at once rather than at the first task: while this
    process is still small, so they share little with it and copy nothing of what it builds.
    """
    if not wanted or not can_fork():
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=cores(), mp_context=multiprocessing.get_context("fork"), initializer=_be_nice
    )
    try:
        if now:
            pool.submit(int)  # the first task forks every worker (fork pools start them all at once)
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _be_nice() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle, not a worker's
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not allowed here: the workers simply share the cores evenly
        pass


def map_in_chunks(
    pool: Executor | None,
    function: Callable[[Sequence[T]], list[R]],
    items: Iterable[T],
    expected: int | None = None,
    meanwhile: Callable[[], object] | None = None,
    size_of: Callable[[T], int] | None = None,
) -> list[R]:
    """Apply `function` to chunks of `items` and return the results in order.

    `items` may be made as they are taken (a generator): only the chunks being handed out
    are ever made at once, in the pool's feeding thread, while this process does
    `meanwhile`, work that runs only then. Without a pool, or when there turn out to be
    fewer than WORTH_IT items, they are done here, a chunk at a time, and `meanwhile` is
    not run. `expected`, about how many items there are, sets the size of the chunks; with
    `size_of` (a document's bytes, say), a chunk also holds at most MOST_BYTES_PER_CHUNK,
    or one larger item.
    """
    taking = iter(items)
    first = list(itertools.islice(taking, WORTH_IT))
    items = itertools.chain(first, taking)
    if pool is None or len(first) < WORTH_IT:  # too few to be worth a round trip to the workers
        return [result for chunk in _chunks(items, MOST_PER_CHUNK, size_of) for result in function(chunk)]
    # Small chunks: a worker slowed by the helper takes few, and few are made at once.
    size = max(1, min(max(expected or 0, WORTH_IT) // (4 * cores()), MOST_PER_CHUNK))
    results: list[list[R]] = []
    failures: list[BaseException] = []

    def feed() -> None:
        handed: deque[tuple[int, Future[list[R]]]] = deque()
        try:
            for index, chunk in enumerate(_chunks(items, size, size_of)):
                if len(handed) >= 2 * cores():  # every worker busy, one more chunk waiting for each
                    done, future = handed.popleft()
                    results[done] = future.result()
                results.append([])
                handed.append((index, pool.submit(function, chunk)))
            for done, future in handed:
                results[done] = future.result()
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread below
            failures.append(error)

    feeder = threading.Thread(target=feed, name="sitegen-chunks", daemon=True)
    feeder.start()
    if meanwhile is not None:
        meanwhile()
    feeder.join()
    if failures:
        raise failures[0]
    return [result for chunk in results for result in chunk]


def _chunks(items: Iterable[T], most: int, size_of: Callable[[T], int] | None = None) -> Iterator[list[T]]:
    """Yield lists of at most `most` items, each list's items at most MOST_BYTES_PER_CHUNK by `size_of`."""
    chunk: list[T] = []
    held = 0
    for item in items:
        size = size_of(item) if size_of is not None else 0
        if chunk and held + size > MOST_BYTES_PER_CHUNK:
            yield chunk
            chunk, held = [], 0
        chunk.append(item)
        held += size
        if len(chunk) == most:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


class Pending(Generic[R]):
    """A result on its way; `result()` waits for it (or computes it here, if no helper could)."""

    def __init__(self, wait: Callable[[], R], busy: Callable[[], bool] = lambda: False) -> None:
        self._wait = wait
        self._busy = busy

    def result(self) -> R:
        return self._wait()

    def busy(self) -> bool:
        """Return True while another process is still working on it: time to do something else."""
        return self._busy()


class Parts(Generic[R]):
    """What a job yields (a generator function's values), taken as they come.

    `next()` waits for the next value, `last()` for the job's end and its last value. Values
    come from a helper's connection; without one, or once the helper died, the job runs in
    this process, only as far as asked (values the helper sent are not taken twice).
    """

    def __init__(self, job: Callable[[], Iterator[R]], connection: Connection | None = None,
                 ended: Callable[[], None] = lambda: None) -> None:
        self._job = job
        self._connection = connection
        self._ended = ended
        self._taken = 0
        self._here: Iterator[R] | None = None
        self._last: list[R] = []

    def next(self) -> R:
        """Return the job's next value; raise StopIteration once it has none left."""
        if self._connection is not None:
            try:
                kind, value = self._connection.recv()
            except (EOFError, OSError):  # the helper died (killed, out of memory): go on here
                kind, value = "lost", None
            if kind == "part":
                self._taken += 1
                self._last[:] = [value]
                return cast(R, value)
            self._end()
            if kind == "lost":
                self._here = itertools.islice(self._job(), self._taken, None)
            else:
                self._here = iter(())  # the job is over, with this error or without
                if kind == "error":
                    raise value
        if self._here is None:
            self._here = iter(self._job())
        value = next(self._here)
        self._last[:] = [value]
        return value

    def last(self) -> R:
        """Wait for the job to end; return its last value (the one taken last, if none is left)."""
        try:
            while True:
                self.next()
        except StopIteration:
            pass
        if not self._last:
            raise LookupError("the job yielded nothing")
        return self._last[0]

    def busy(self) -> bool:
        """Return True while the helper is working and has sent nothing more: time to do something else."""
        try:
            return self._connection is not None and not self._connection.closed and not self._connection.poll()
        except (OSError, ValueError):
            return False

    def _end(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
            self._ended()


class Helper:
    """A forked process that does its slow imports at once and runs one job sent later.

    `warm_up` runs in the child as soon as it is forked. `run(function, *args)` sends the job
    (pickled: `function` must be a module-level function); `run_parts` sends one that yields
    several values, each sent back as soon as it is made. `close()` ends a helper that got
    no job. If no helper could be started, or it died, the job runs in this process. Given
    `warm`, a connection to a process already warmed up (see sitegen/warm.py), the job goes
    there and nothing is forked.
    """

    def __init__(self, warm_up: Callable[[], None], modules: Sequence[str] = (), warm: Connection | None = None) -> None:
        self._connection: Connection | None = warm
        self._process: Any = None
        self._warm = warm is not None
        if warm is not None or not can_fork() or any(module in sys.modules for module in modules):
            return
        context = multiprocessing.get_context("fork")
        mine, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, warm_up), daemon=True)
        self._process.start()
        theirs.close()
        self._connection = mine

    @property
    def forked(self) -> bool:
        return self._process is not None

    @property
    def warm(self) -> bool:
        """True when the job goes to a process that was warm before this helper was made."""
        return self._warm

    def run(self, function: Callable[..., R], *args: Any) -> Pending[R]:
        parts = self.run_parts(_whole, function, *args)
        return Pending(parts.last, parts.busy)

    def run_parts(self, function: Callable[..., Iterator[R]], *args: Any) -> Parts[R]:
        """Send a job that yields values (a module-level generator function); return them as they come."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.send((function, args))
            except (OSError, ValueError):  # the helper is gone: do the work here
                connection.close()
                connection = None
                self.close()
        return Parts(lambda: function(*args), connection, self._join)

    def close(self) -> None:
        """End the helper. One that got no job, or whose result is no longer wanted (the build
        failed or was interrupted meanwhile), is stopped at once, even in the middle of its work."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._process is not None:  # still here: its imports, or a result no longer wanted
            self._process.kill()
        self._join()

    def _join(self) -> None:
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _whole(function: Callable[..., R], *args: Any) -> Iterator[R]:
    yield function(*args)


def _serve(connection: Connection, warm_up: Callable[[], None]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends this process
    # Receive the job while warming up: the parent's send must not wait for the imports.
    jobs: list[Any] = []
    receiver = threading.Thread(target=lambda: jobs.append(_receive(connection)), daemon=True)
    receiver.start()
    try:
        warm_up()
    except Exception:  # noqa: BLE001, S110 - a failed warm-up: the job runs and fails, or succeeds, on its own
        pass
    receiver.join()
    if jobs[0] is not None:  # else the parent ended, or sent nothing
        run_job(connection, jobs[0])


def run_job(connection: Connection, job: tuple[Callable[..., Iterator[Any]], tuple[Any, ...]]) -> None:
    """Run a job sent by `Helper.run_parts` and send back each value it yields, then its end or its error."""
    function, args = job
    try:
        for value in function(*args):
            connection.send(("part", value))
        reply: tuple[str, Any] = ("end", None)
    except Exception as error:  # noqa: BLE001 - every failure goes back to the parent, raised there
        reply = ("error", error)
    try:
        connection.send(reply)
    except Exception:  # noqa: BLE001 - an unpicklable error: say what it was
        connection.send(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


def _receive(connection: Connection) -> Any:
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None
