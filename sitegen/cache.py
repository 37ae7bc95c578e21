"""The build cache: results of slow, pure steps, kept in one folder and keyed by content hashes.

Every entry is named by a hash of everything its value depends on (the step's inputs, its
parameters and the sitegen version), so a changed input can only miss, never serve a stale
value. The folder is safe to delete; an unreadable or corrupted entry counts as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import tempfile
from pathlib import Path

from sitegen import __version__

CACHE_FOLDER = ".sitegen-cache"
# Bump when the layout of cached values changes in a way the inputs' hash cannot see.
CACHE_FORMAT = "2"


@functools.cache
def code_fingerprint() -> str:
    """Return a hash of sitegen's own code: an edited module must miss, even at the same version."""
    return code_fingerprint_now()


def code_fingerprint_now() -> str:
    """Return a hash of sitegen's own code as it is on disk now (`code_fingerprint` keeps the first)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def content_hash(*parts: bytes | str) -> str:
    """Return a hex digest of the parts, each length-prefixed so that ("ab", "c") != ("a", "bc")."""
    digest = hashlib.sha256()
    digest.update(f"sitegen {__version__} {code_fingerprint()} cache {CACHE_FORMAT}\0".encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """Pickled values in `folder/<kind>-<key>.pickle`; a Cache(None) never hits and never writes.

    Each file ends with a SHA-256 of its pickle, checked as it is read: a damaged entry (a
    byte changed inside a page's stored HTML, say) is a miss, never a wrong value.

    A cache with `read=False` (`sitegen build --fresh`) never hits but stores what it computes,
    so the next build is warm again.
    """

    def __init__(self, folder: Path | None, read: bool = True) -> None:
        self.folder = folder
        self.read = read

    def path(self, kind: str, key: str) -> Path | None:
        return self.folder / f"{kind}-{key}.pickle" if self.folder is not None else None

    def load(self, kind: str, key: str) -> object | None:
        """Return the stored value, or None when there is none or it cannot be read."""
        path = self.path(kind, key)
        if path is None or not self.read:
            return None
        try:
            with path.open("rb") as stream:
                reading = _Summed(stream)
                value = pickle.load(reading)
                return value if stream.read() == reading.digest.digest() else None
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry is a miss: it is rebuilt and replaced
            return None

    def store(self, kind: str, key: str, value: object) -> None:
        """Write the value atomically and drop older entries of the same kind; never fail a build."""
        path = self.path(kind, key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{kind}-", suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                writing = _Summed(stream)
                pickle.dump(value, writing, protocol=pickle.HIGHEST_PROTOCOL)
                stream.write(writing.digest.digest())
            os.replace(temporary, path)
            for old in path.parent.glob(f"{kind}-*.pickle"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            # A read-only or full disk costs speed, not correctness.
            return


class _Summed:
    """A file to pickle to or from that hashes every byte going through it (see Cache)."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.stream.write(data)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        count = self.stream.readinto(buffer)
        self.digest.update(memoryview(buffer)[:count])
        return count

    def readline(self) -> bytes:
        line = self.stream.readline()
        self.digest.update(line)
        return line
