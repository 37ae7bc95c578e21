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
from collections.abc import Mapping
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


def write_site(files: Mapping[str, bytes], out: Path) -> WriteReport:
    """Make `files` (site-relative path to bytes) the whole content of `out`; report the changes."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise SitegenError(
            Problem(str(out), 0, 0, "the output path is a file, not a folder", "choose another --out")
        )
    published = published_files(out)
    written = tuple(sorted(path for path, data in files.items() if not _same(out / path, data, published.get(path))))
    removed = tuple(sorted(set(published) - set(files)))
    report = WriteReport(written=written, kept=len(files) - len(written), removed=removed)
    if out.is_dir() and not report.touched:
        return report
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        changed = set(written)
        made: set[Path] = {staging}
        for relative in sorted(files):
            target = staging / relative
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if relative in changed:
                target.write_bytes(files[relative])
            else:
                _keep(out / relative, target)
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


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
