"""Publish a built site into its output folder: whole or not at all, and only a folder sitegen wrote.

The new site is assembled in a private copy of the output folder (the "back" folder, kept in
the cache folder between builds) and swapped in with one atomic directory exchange:
`renameat2(RENAME_EXCHANGE)` on Linux, `renamex_np(RENAME_SWAP)` on macOS. A reader of the
output folder sees the old site or the new one, never a mix, and a build that fails or is
killed at any point leaves the published folder as it was.

The folder swapped out becomes the next build's back folder. It still holds the site of the
build before, so the next build rewrites in it only the files that differ; the files it
takes unchanged from the published folder are hard links, never copies. Which file is which
is known from a record kept beside the back folder: for every file of both folders, its
size, modification time and a hash of its bytes. A file whose size or time on disk is not
the recorded one counts as unknown and is written again.

Only a folder sitegen wrote is replaced: a missing or empty one, or one whose every file is
either in the record of what sitegen wrote there or a file this build writes. Anything else
(a project's own files, someone's notes) stops the build before a byte is touched, unless
`force` is given. A lock held for the whole build keeps two builds out of one folder.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import Any, Self

from sitegen.errors import Problem, SitegenError, os_problem
from sitegen.project import display

RECORD_FORMAT = 1
# An older sitegen assembled a first build in `.<name>.new-*` beside the output and left
# `.<file>.sitegen-new` files when killed: they are its own, and cleaned away.
LEGACY_SIBLINGS = (".new-", ".old-")
LEGACY_SUFFIX = ".sitegen-new"


@dataclass(frozen=True)
class Stamp:
    """What sitegen knows of a file it wrote: its size, modification time and a hash of its bytes."""

    size: int
    mtime: int
    digest: str


@dataclass(frozen=True)
class Walk:
    """A walk of an output folder begun by `Output.walk`: the summary its last build left, and
    the hash of its files' sizes and times, as a function that waits for the walk to end (and
    raises OSError if the folder changed under it)."""

    summary: dict[str, Any]
    stamps: Callable[[], str]


@dataclass(frozen=True)
class WriteReport:
    """What a publication changed: files whose bytes are new, files kept, files removed."""

    written: tuple[str, ...]
    kept: int
    removed: tuple[str, ...]

    @property
    def touched(self) -> bool:
        return bool(self.written or self.removed)


@dataclass(frozen=True)
class Built:
    """What a build publishes with its files: a hash of every input it read, and its summary
    (counts and warnings, as JSON), to be given again by a build of the same inputs."""

    inputs: str
    summary: dict[str, Any]


@dataclass
class _Record:
    """The output folder's files and the back folder's, as sitegen last left them."""

    out: str
    files: dict[str, Stamp] = field(default_factory=dict)
    back: dict[str, Stamp] = field(default_factory=dict)
    back_clean: bool = True  # False while the back folder is being changed
    built: Built | None = None  # what the output folder's files were built from

    def as_json(self) -> dict[str, object]:
        def stamps(found: dict[str, Stamp]) -> dict[str, list[object]]:
            return {path: [s.size, s.mtime, s.digest] for path, s in sorted(found.items())}

        built = None if self.built is None else {"inputs": self.built.inputs, "summary": self.built.summary}
        return {"format": RECORD_FORMAT, "out": self.out, "files": stamps(self.files), "back": stamps(self.back),
                "back_clean": self.back_clean, "built": built}

    @classmethod
    def from_json(cls, value: object, out: str) -> _Record:
        if not isinstance(value, dict) or value.get("format") != RECORD_FORMAT or value.get("out") != out:
            return cls(out, back_clean=False)

        def stamps(found: object) -> dict[str, Stamp]:
            if not isinstance(found, dict):
                raise TypeError("not a mapping")
            return {str(path): Stamp(int(s[0]), int(s[1]), str(s[2])) for path, s in found.items()}

        try:
            record = cls(out, stamps(value["files"]), stamps(value["back"]), bool(value["back_clean"]))
        except (KeyError, ValueError, TypeError, IndexError):
            return cls(out, back_clean=False)
        built = value.get("built")
        if isinstance(built, dict) and isinstance(built.get("inputs"), str) and isinstance(built.get("summary"), dict):
            record.built = Built(built["inputs"], built["summary"])
        return record


def output_key(folder: Path) -> str:
    return hashlib.sha256(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def absolute(folder: Path) -> Path:
    """Return the folder's absolute path, its parents' links resolved but not the folder itself."""
    folder = Path(os.path.abspath(folder))
    return folder.parent.resolve() / folder.name


class Output:
    """An output folder that sitegen replaces whole: lock it, build, then `publish` the files.

    `state` is where the records, the lock and (on the same file system) the back folder
    live: the project's cache folder.
    """

    def __init__(self, folder: Path, state: Path, force: bool = False, option: str = "--out") -> None:
        self.folder = absolute(folder)
        self.state = state
        self.force = force
        self.option = option
        self.key = output_key(self.folder)
        self._lock: int | None = None
        self._record: _Record | None = None  # read once while the lock is held: only this build changes it

    @property
    def record_path(self) -> Path:
        return self.state / f"{self.key}.json"

    @property
    def built_path(self) -> Path:
        """The record's summary: what the output folder was built from, and a hash of its files'
        sizes and times. `unchanged` reads it alone: the record lists every file, twice."""
        return self.state / f"{self.key}.built"

    def __enter__(self) -> Self:
        self._fail_if_unusable()
        try:
            self.state.mkdir(parents=True, exist_ok=True)
            self._lock = _take_lock(self.state / f"{self.key}.lock")
        except OSError as error:
            raise SitegenError(os_problem(error, self.state, "cannot keep the build's records here")) from None
        if self._lock is None:
            raise SitegenError(Problem(
                display(self.folder), 0, 0, "another sitegen build is writing into this folder",
                "wait for it to finish and build again; two builds never write one folder at once"))
        self._clean_leftovers()
        return self

    def __exit__(self, *_: object) -> None:
        self._record = None
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    def publish(self, files: Iterable[tuple[str, bytes]], built: Built | None = None) -> WriteReport:
        """Make `files` (site path, bytes) the whole content of the folder; report what changed.

        `files` may be made as they are taken; a path given twice keeps its last bytes. If no
        file changed and none is to be removed, no file on disk is touched. `built` is kept
        in the record, for `unchanged`.
        """
        if self._lock is None:
            raise RuntimeError("publish() outside `with Output(...)`")
        try:
            return self._publish(files, built)
        except OSError as error:
            raise SitegenError(os_problem(error, self.folder, "cannot write the site into this folder")) from None

    def walk(self, pool: Executor | None = None) -> Walk | None:
        """Start walking the folder to compare it with the summary its last build left, the pool's
        processes summing the deeper folders while this one goes on; None when there is no such
        summary, or no folder."""
        if self._lock is None:
            raise RuntimeError("walk() outside `with Output(...)`")
        summary = self._read_built()
        if summary is None or not isinstance(summary.get("summary"), dict):
            return None
        try:
            return Walk(summary, walk_digest(self.folder, pool))
        except OSError:
            return None

    def unchanged(self, inputs: str, walk: Walk) -> tuple[Built, int] | None:
        """Return what the folder was built from and how many files it holds, if it was built
        from `inputs` and every file is still as the build left it (none changed, removed or
        added since): `walk` is this build's walk of it. Else None."""
        if walk.summary.get("inputs") != inputs:
            return None
        try:
            stamps = walk.stamps()
        except OSError:
            return None
        if stamps != walk.summary.get("stamps") or not self.folder.is_dir():
            return None
        return Built(inputs, walk.summary["summary"]), int(stamps.split(":")[0])

    # -- the steps -------------------------------------------------------------------------

    def _publish(self, files: Iterable[tuple[str, bytes]], built: Built | None) -> WriteReport:
        record = self._load_record()
        out_now = _walk(self.folder)
        published = {path: stamp for path, stamp in record.files.items() if out_now.get(path) == _on_disk(stamp)}
        back = _Back(self._back_folder(), record, self._save_record)
        try:
            return self._assemble(files, out_now, record, published, back, built)
        except BaseException:
            if back.opened:  # what the back folder holds is known: the next build trusts it
                self._save_record(_Record(record.out, files=record.files, back=back.known, back_clean=True,
                                          built=record.built))
            raise

    def _assemble(self, files: Iterable[tuple[str, bytes]], out_now: dict[str, tuple[int, int]], record: _Record,
                  published: dict[str, Stamp], back: _Back, built: Built | None) -> WriteReport:
        new: dict[str, Stamp] = {}
        written: set[str] = set()
        for path, data in files:
            check_path(path)
            digest = hashlib.sha256(data).hexdigest()[:32]
            old = published.get(path)
            if old is not None and old.digest == digest:
                new[path] = old
                written.discard(path)
                if back.opened:
                    back.link(path, self.folder / path, old)
                continue
            if not back.opened:
                back.open()
                for earlier, stamp in new.items():
                    back.link(earlier, self.folder / earlier, stamp)
            new[path] = back.write(path, data, digest)
            written.add(path)
        removed = tuple(sorted(path for path in out_now if path not in new))
        if self.folder.is_dir() and not written and not removed:
            if built != record.built or (built is not None and not self.built_path.exists()):  # other inputs
                self._save_record(_Record(record.out, files=new, back=record.back, back_clean=record.back_clean,
                                          built=built))
            return WriteReport(written=(), kept=len(new), removed=())
        self._fail_if_foreign(out_now, record, new)
        if not back.opened:
            back.open()
            for path, stamp in new.items():
                back.link(path, self.folder / path, stamp)
        back.finish(new)
        if self.folder.exists():
            _exchange(back.folder, self.folder)
            self._save_record(_Record(str(self.folder), files=new, back=published, back_clean=True, built=built))
        else:
            os.rename(back.folder, self.folder)
            self._save_record(_Record(str(self.folder), files=new, back={}, back_clean=True, built=built))
        self._forget_gone_outputs()
        return WriteReport(written=tuple(sorted(written)), kept=len(new) - len(written), removed=removed)

    def _fail_if_unusable(self) -> None:
        if self.folder.is_symlink():
            raise SitegenError(Problem(display(self.folder), 0, 0, "the output folder is a symbolic link",
                                       f"pass {self.option} the folder it points to"))
        if self.folder.exists() and not self.folder.is_dir():
            raise SitegenError(Problem(display(self.folder), 0, 0, "the output path is a file, not a folder",
                                       f"pass {self.option} a folder"))

    def _fail_if_foreign(self, out_now: dict[str, tuple[int, int]], record: _Record, new: dict[str, Stamp]) -> None:
        if self.force:
            return
        foreign = sorted(path for path in out_now
                         if path not in record.files and path not in new and not _legacy_leftover(path))
        if foreign:
            shown = f"{foreign[0]}" + (f" and {len(foreign) - 1} more" if len(foreign) > 1 else "")
            raise SitegenError(Problem(
                display(self.folder), 0, 0, f"the folder holds files sitegen did not write ({shown}), so it is "
                "not replaced", f"pass {self.option} a new or empty folder, or add --force to replace it and "
                "delete those files"))

    def _back_folder(self) -> Path:
        """Return where the new site is assembled: in the cache folder, or beside the output
        folder when the cache is on another file system (an exchange cannot cross one)."""
        parent = self.folder.parent
        parent.mkdir(parents=True, exist_ok=True)
        if os.stat(parent).st_dev == os.stat(self.state).st_dev:
            return self.state / f"{self.key}.back"
        return parent / f".{self.folder.name}.sitegen-back"

    def _load_record(self) -> _Record:
        if self._record is None:
            self._record = self._read_record()
        return self._record

    def _read_record(self) -> _Record:
        try:
            value = json.loads(self.record_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return _Record(str(self.folder))
        except (OSError, ValueError):
            return _Record(str(self.folder), back_clean=False)
        return _Record.from_json(value, str(self.folder))

    def _save_record(self, record: _Record) -> None:
        self.built_path.unlink(missing_ok=True)  # it never outlives the record it sums up
        temporary = self.record_path.with_name(self.record_path.name + ".tmp")
        temporary.write_text(json.dumps(record.as_json(), separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, self.record_path)
        self._record = record
        if record.built is not None:
            stamps = _stamps_digest({path: _on_disk(stamp) for path, stamp in record.files.items()})
            summary = {"format": RECORD_FORMAT, "out": record.out, "inputs": record.built.inputs,
                       "summary": record.built.summary, "stamps": stamps}
            temporary.write_text(json.dumps(summary, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, self.built_path)

    def _read_built(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.built_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(value, dict) or value.get("format") != RECORD_FORMAT or value.get("out") != str(self.folder):
            return None
        return value

    def _clean_leftovers(self) -> None:
        """Remove what a killed build left: a half-written record, an older sitegen's staging."""
        self.record_path.with_name(self.record_path.name + ".tmp").unlink(missing_ok=True)
        _remove_tree(self.state / f"{self.key}.back.sitegen-old")
        parent = self.folder.parent
        if parent.is_dir():
            for sibling in parent.glob(f".{self.folder.name}.*"):
                if sibling.name[len(self.folder.name) + 1:].startswith(LEGACY_SIBLINGS) and sibling.is_dir():
                    _remove_tree(sibling)

    def _forget_gone_outputs(self) -> None:
        """Forget the records (and back folders) of output folders that are gone, such as
        the temporary folders `sitegen serve` builds into."""
        for path in self.state.glob("*.json"):
            if path == self.record_path:
                continue  # this folder's own, the largest: its folder is there
            try:
                out = json.loads(path.read_text(encoding="utf-8")).get("out")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(out, str) and not Path(out).exists():
                lock = _take_lock(path.with_suffix(".lock"))
                if lock is None:
                    continue  # a build is running for it right now
                try:
                    _remove_tree(path.with_suffix(".back"))
                    path.with_suffix(".built").unlink(missing_ok=True)
                    path.unlink(missing_ok=True)
                    path.with_suffix(".lock").unlink(missing_ok=True)
                finally:
                    os.close(lock)


class _Back:
    """The back folder, brought to the new site's files; opened at the first file that changed."""

    def __init__(self, folder: Path, record: _Record, save: Callable[[_Record], None]) -> None:
        self.folder = folder
        self.record = record
        self._save = save
        self.opened = False
        self.known: dict[str, Stamp] = {}
        self.now: dict[str, tuple[int, int]] = {}
        self.made: set[Path] = set()
        self.emptied = False  # the folder was opened empty: what it holds is what this build put there

    def open(self) -> None:
        """Mark the back folder as changing (a build killed now leaves it untrusted), and read it."""
        self.opened = True
        trusted = self.record.back_clean and self.folder.is_dir()
        if not trusted:
            _remove_tree(self.folder)
            self.emptied = True
        self.record.back_clean = False
        self._save(self.record)
        self.now = _walk(self.folder) if trusted else {}
        self.known = {path: stamp for path, stamp in self.record.back.items()
                      if trusted and self.now.get(path) == _on_disk(stamp)}
        self.folder.mkdir(parents=True, exist_ok=True)
        self.made.add(self.folder)

    def link(self, path: str, published: Path, stamp: Stamp) -> None:
        """Give the back folder the published file `path`, unchanged (`stamp`)."""
        if self.known.get(path) == stamp:
            return
        target = self._clear(path)
        try:
            os.link(published, target)
        except OSError:  # a file system without hard links
            shutil.copy2(published, target)
        self.known[path] = stamp

    def write(self, path: str, data: bytes, digest: str) -> Stamp:
        known = self.known.get(path)
        if known is not None and known.digest == digest:
            return known
        target = self._clear(path)
        # Never written in place: the old file may be a hard link to a published one.
        with open(target, "xb") as stream:
            stream.write(data)
        status = target.stat()
        stamp = self.known[path] = Stamp(status.st_size, status.st_mtime_ns, digest)
        return stamp

    def finish(self, new: dict[str, Stamp]) -> None:
        """Remove every file the new site does not have, then every folder that leaves empty."""
        emptied: set[PurePosixPath] = set()
        for path in self.now:
            if path not in new:
                (self.folder / path).unlink(missing_ok=True)
                emptied.update(PurePosixPath(path).parents)
        emptied.discard(PurePosixPath("."))
        for folder in sorted(emptied, key=lambda found: -len(found.parts)):  # the deepest first
            target = self.folder / folder
            if target.is_dir() and not target.is_symlink() and not os.listdir(target):
                target.rmdir()
        self.folder.chmod(0o755)

    def _clear(self, path: str) -> Path:
        """Make room for `path` in the back folder: its folders made, anything in the way removed."""
        target = self.folder / path
        self._folder(target.parent)
        if self.emptied and path not in self.known and target not in self.made:
            return target  # nothing can be there: no system call to make room
        if target.is_dir() and not target.is_symlink():
            _remove_tree(target)
        else:
            target.unlink(missing_ok=True)
        return target

    def _folder(self, folder: Path) -> None:
        if folder in self.made:
            return
        self._folder(folder.parent)
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()  # a file where the new site has a folder
        folder.mkdir(exist_ok=True)
        self.made.add(folder)


def _walk(top: Path) -> dict[str, tuple[int, int]]:
    """Return every file under `top` (hidden ones too) with its size and modification time."""
    if not top.is_dir():
        return {}
    return {path: (size, mtime) for path, size, mtime in _files_under([(str(top), "")])}


def _files_under(folders: list[tuple[str, str]], below: list[tuple[str, str]] | None = None,
                 ) -> Iterator[tuple[str, int, int]]:
    """Yield (path, size, modification time) of every file under `folders` (each a folder and
    the prefix of its files' paths). With `below`, only the files directly in them: the
    folders inside them are put in `below` instead."""
    pending = list(folders)
    while pending:
        folder, prefix = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    (pending if below is None else below).append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    status = entry.stat(follow_symlinks=False)
                    yield f"{prefix}{entry.name}", status.st_size, status.st_mtime_ns


STAMPS_MODULUS = 1 << 128


def _stamp_hash(path: str, size: int, mtime: int) -> int:
    line = f"{path}\0{size}\0{mtime}".encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.blake2b(line, digest_size=16).digest(), "little")


def _stamps_digest(files: dict[str, tuple[int, int]]) -> str:
    """Return a hash of every file's path, size and modification time: how many files, and
    the sum of a hash of each, so that it can be summed in parts, in any order (`walk_digest`)."""
    return _digest_of(*_stamps_sum((path, size, mtime) for path, (size, mtime) in files.items()), ())


def walk_digest(top: Path, pool: Executor | None = None) -> Callable[[], str]:
    """Start summing `_stamps_digest(_walk(top))` without holding the stamps, and return the
    function that waits for the sum. This process walks the first two levels; the folders below
    are walked in shares, by the pool's processes if given, while this one goes on."""
    second: list[tuple[str, str]] = []
    deeper: list[tuple[str, str]] = []
    # The second level is walked once the first has been, and has filled `second`.
    top_files = chain(_files_under([(str(top), "")], second), _files_under(second, deeper))
    total, count = _stamps_sum(top_files)
    shares = [deeper[start::WALK_SHARES] for start in range(WALK_SHARES)]
    if pool is None:
        summed = [_walk_sum(share) for share in shares]
        return lambda: _digest_of(total, count, summed)
    futures = [pool.submit(_walk_sum, share) for share in shares]
    return lambda: _digest_of(total, count, [future.result() for future in futures])


def _digest_of(total: int, count: int, shares: Iterable[tuple[int, int]]) -> str:
    for share_total, share_count in shares:
        total, count = total + share_total, count + share_count
    return f"{count}:{total % STAMPS_MODULUS:032x}"


WALK_SHARES = 8  # the folders below the first two levels, in as many shares for a pool to take in turn


def _walk_sum(folders: list[tuple[str, str]]) -> tuple[int, int]:
    """Return the sum of the stamp hashes of every file under `folders` (path, prefix), and their count."""
    return _stamps_sum(_files_under(folders))


def _stamps_sum(files: Iterable[tuple[str, int, int]]) -> tuple[int, int]:
    total, count = 0, 0
    for path, size, mtime in files:
        total, count = total + _stamp_hash(path, size, mtime), count + 1
    return total % STAMPS_MODULUS, count


def _on_disk(stamp: Stamp) -> tuple[int, int]:
    return (stamp.size, stamp.mtime)


def check_path(path: str) -> None:
    """Refuse a site path that is empty, absolute or steps out of its folder."""
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError(f"not a path inside the site: {path!r}")


def _legacy_leftover(path: str) -> bool:
    return path.endswith(LEGACY_SUFFIX) and PurePosixPath(path).name.startswith(".")


def _remove_tree(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)


def _take_lock(path: Path) -> int | None:
    """Return a descriptor holding an exclusive lock on `path`, or None when another process holds it."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl

        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    except ImportError:  # Windows: no fcntl; builds are not kept apart there
        pass
    return descriptor


RENAME_EXCHANGE = 2  # linux/fs.h
RENAME_SWAP = 2  # macOS stdio.h
AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders in one atomic step; where the system cannot, by three renames."""
    libc = _libc()
    if libc is not None:
        a, b = os.fsencode(first), os.fsencode(second)
        if sys.platform == "darwin":
            result = libc.renamex_np(a, b, RENAME_SWAP)
        else:
            result = libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
        if result == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(second))
    # The system has no exchange: for a moment between two renames the folder is missing.
    aside = first.with_name(first.name + ".sitegen-old")
    os.rename(second, aside)
    os.rename(first, second)
    os.rename(aside, first)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        getattr(libc, "renamex_np" if sys.platform == "darwin" else "renameat2")
        return libc
    except (OSError, AttributeError):
        return None
