"""Wall time per build phase, measured where each phase runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_END = object()


class Timings:
    """Seconds spent in each named phase, in the order the phases first ran.

    Phases may nest (templates rendered while the pages are written): the outer phase's clock
    stops while an inner one runs, so every second counts once.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._running: list[list[object]] = []  # [name, since] of each open phase, innermost last

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        now = time.perf_counter()
        self._stop_outer(now)
        self.seconds.setdefault(name, 0.0)
        self._running.append([name, now])
        try:
            yield
        finally:
            now = time.perf_counter()
            _, since = self._running.pop()
            self.seconds[name] += now - float(since)  # type: ignore[arg-type]
            if self._running:
                self._running[-1][1] = now  # the outer phase's clock runs again

    def each(self, name: str, items: Iterator[T]) -> Iterator[T]:
        """Yield the items, the time spent making each counted in the phase `name`."""
        while True:
            with self.phase(name):
                item = next(items, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def _stop_outer(self, now: float) -> None:
        if self._running:
            outer, since = self._running[-1]
            self.seconds[str(outer)] += now - float(since)  # type: ignore[arg-type]
            self._running[-1][1] = now

    def as_tuple(self) -> tuple[tuple[str, float], ...]:
        return tuple(self.seconds.items())
