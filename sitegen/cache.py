"""The build cache: results of slow, pure steps, kept in one folder and keyed by content hashes.

Every entry is named by a hash of everything its value depends on (the step's inputs, its
parameters and the sitegen version), so a changed input can only miss, never serve a stale
value. The folder is safe to delete; an unreadable or corrupted entry counts as a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from sitegen import __version__

CACHE_FOLDER = ".sitegen-cache"
# Bump when the layout of cached values changes in a way the inputs' hash cannot see.
CACHE_FORMAT = "1"


def content_hash(*parts: bytes | str) -> str:
    """Return a hex digest of the parts, each length-prefixed so that ("ab", "c") != ("a", "bc")."""
    digest = hashlib.sha256()
    digest.update(f"sitegen {__version__} cache {CACHE_FORMAT}\0".encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """Pickled values in `folder/<kind>-<key>.pickle`; a Cache(None) never hits and never writes."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def path(self, kind: str, key: str) -> Path | None:
        return self.folder / f"{kind}-{key}.pickle" if self.folder is not None else None

    def load(self, kind: str, key: str) -> object | None:
        """Return the stored value, or None when there is none or it cannot be read."""
        path = self.path(kind, key)
        if path is None:
            return None
        try:
            with path.open("rb") as stream:
                return pickle.load(stream)
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
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
            for old in path.parent.glob(f"{kind}-*.pickle"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError:
            # A read-only or full disk costs speed, not correctness.
            return
