"""Write the built site into its output folder: atomically, and touching only what changed.

The new site is assembled in a staging folder beside the output: changed files are written,
unchanged ones are hard links to the files already published (same inode, same modification
time: servers, rsync and browsers see them unchanged), and the staging folder is then swapped
in whole. A reader or a failed build never sees a half-written site, and a rebuild that
changes nothing touches nothing at all. Whether a file changed is decided by comparing bytes
with the file on disk, never by trusting a record of an earlier build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import Problem, SitegenError


@dataclass(frozen=True)
class WriteReport:
    """What a write did to the output folder."""

    written: tuple[str, ...]
    kept: int
    removed: tuple[str, ...]

    @property
    def touched(self) -> bool:
        return bool(self.written or self.removed)


def write_site(files: Mapping[str, bytes] | Iterable[tuple[str, bytes]], out: Path) -> WriteReport:
    """Make `files` (site-relative path to bytes) the whole content of `out`; report the changes.

    `files` may be an iterator that makes each file as it is asked for: one pass writes each
    file as it comes, so a large site is never held in memory whole. The staging folder is
    made at the first changed file; if none changed and none is to be removed, nothing is
    touched. On any error, even one raised while making a file, the output stays as it was.
    """
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise SitegenError(
            Problem(str(out), 0, 0, "the output path is a file, not a folder", "choose another --out")
        )
    published = published_files(out)
    staging = _Staging(out)
    seen: set[str] = set()
    written: set[str] = set()
    try:
        for relative, data in files.items() if isinstance(files, Mapping) else files:
            seen.add(relative)
            if _same(out / relative, data, published.get(relative)):
                staging.keep(relative)
            else:
                staging.write(relative, data)
                written.add(relative)
        removed = tuple(sorted(set(published) - seen))
        report = WriteReport(written=tuple(sorted(written)), kept=len(seen) - len(written), removed=removed)
        if out.is_dir() and not report.touched:
            return report
        staging.open()
        _swap_in(staging.folder, out)
    except BaseException:
        staging.discard()
        raise
    return report


class _Staging:
    """The folder the new site is assembled in; made only once a file differs."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out  # replaced by the staging folder when opened
        self.opened = False
        self.kept: list[str] = []  # unchanged files met before the folder was made
        self.made: set[Path] = set()

    def open(self) -> None:
        if self.opened:
            return
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self.opened = True
        self.made.add(self.folder)
        for relative in self.kept:
            self.keep(relative)
        self.kept.clear()

    def keep(self, relative: str) -> None:
        if not self.opened:
            self.kept.append(relative)
            return
        target = self._target(relative)
        target.unlink(missing_ok=True)  # a path met twice: the last one counts
        _keep(self.out / relative, target)

    def write(self, relative: str, data: bytes) -> None:
        self.open()
        self._target(relative).write_bytes(data)

    def _target(self, relative: str) -> Path:
        target = self.folder / relative
        if target.parent not in self.made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(target.parent)
        return target

    def discard(self) -> None:
        if self.opened:
            shutil.rmtree(self.folder, ignore_errors=True)


def published_files(out: Path) -> dict[str, int]:
    """Return every file under `out` (hidden ones too) with its size."""
    if not out.is_dir():
        return {}
    found = {}
    for folder, _, names in os.walk(out):
        for name in names:
            path = Path(folder) / name
            found[path.relative_to(out).as_posix()] = path.stat().st_size
    return found


def _same(path: Path, data: bytes, size: int | None) -> bool:
    return size == len(data) and path.read_bytes() == data


def _keep(published: Path, target: Path) -> None:
    try:
        os.link(published, target)
    except OSError:  # a file system without hard links: a copy keeps the time, if not the inode
        shutil.copy2(published, target)


def _swap_in(staging: Path, out: Path) -> None:
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    os.replace(out, retired)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
