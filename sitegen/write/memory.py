"""The site kept in memory: what `sitegen serve` serves when no output folder is named.

A build publishes its files here as it would into a folder, and learns the same way which
files changed. No file is written: the pages are the very bytes the memo holds. A new
site replaces the old one in one assignment, so a request sees one build's files, never
a mix of two; a build can first publish the pages open in a browser (as `hugo server`'s
fast render does), among the old site's other files, then the rest. A build that fails
leaves the site it started from.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Self

from sitegen.write.folder import WriteReport, check_path


class InMemory:
    """The files of the last build published here, by site path."""

    def __init__(self, shown: Callable[[WriteReport], None] | None = None) -> None:
        self._site: tuple[dict[str, bytes], frozenset[str]] = ({}, frozenset())  # files, and their folders
        self.shown = shown  # told what a build's first files changed, once they are published

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def publish(self, files: Iterable[tuple[str, bytes]], first: Collection[str] = ()) -> WriteReport:
        """Make `files` (site path, bytes) the whole site; report what changed.

        A path given twice keeps its last bytes, as in a folder. With `first` (paths that
        `files` give before the others) and `shown`, those are published as soon as they have
        all come, beside the other files as they were, and `shown` is told what they changed.
        """
        start = self._site
        waiting = set(first) if self.shown is not None else set()
        early: WriteReport | None = None
        new: dict[str, bytes] = {}
        try:
            for path, data in files:
                check_path(path)
                new[path] = data
                if waiting:
                    waiting.discard(path)
                    if not waiting and self.shown is not None:
                        early = self._replace(start[0] | new)
                        self.shown(early)
            report = self._replace(new)
        except BaseException:
            self._site = start
            raise
        if early is None:
            return report
        written = tuple(sorted({*early.written, *report.written}))
        return WriteReport(written=written, kept=len(new) - len(written), removed=report.removed)

    def _replace(self, new: dict[str, bytes]) -> WriteReport:
        old = self._site[0]
        written = tuple(sorted(path for path, data in new.items()
                               if (before := old.get(path)) is not data and before != data))
        removed = tuple(sorted(path for path in old if path not in new))
        self._site = (new, self._site[1] if new.keys() == old.keys() else folders_of(new))
        return WriteReport(written=written, kept=len(new) - len(written), removed=removed)

    def read(self, path: str) -> bytes | None:
        """Return the bytes of the file at `path` (site path), or None when there is none."""
        return self._site[0].get(path)

    def is_folder(self, path: str) -> bool:
        """Return whether `path` (site path, without a trailing slash) holds files."""
        return path in self._site[1]


def folders_of(paths: Iterable[str]) -> frozenset[str]:
    """Return every folder that holds one of `paths`, at any depth (`a` and `a/b` for `a/b/c`)."""
    found: set[str] = set()
    for path in paths:
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in found:
            found.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    return frozenset(found)
