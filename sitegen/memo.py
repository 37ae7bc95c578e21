"""The build's one memo: the result of every expensive step, by a hash of exactly its inputs.

`memo(step, *inputs)` returns `step(*inputs)`, computed once. The key is a SHA-256 of the
step's name, sitegen's code and the versions of the libraries that shape the output, and
the inputs themselves (pickled without pickle's memo, so equal values always give equal
bytes). A value the memo returned is known by its key when it is the input of a later step,
so a large value (the papers' features, the templates) is never hashed twice.

Results live in memory for as long as the memo does (`sitegen serve` keeps one for all its
builds), and on disk between processes in one SQLite database in the cache folder. An entry
no build has used for a while is dropped; a step made of steps (a page, of its converted
Markdown) keeps them in use for as long as it is used. The database is safe to delete; one that cannot be
read or written costs speed, never correctness.

Steps must be pure: their result depends on their inputs alone, and nobody changes it.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import io
import pickle
import sqlite3
import sys
import weakref
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from importlib import metadata
from itertools import islice, repeat
from pathlib import Path
from typing import Any, TypeVar

from sitegen import __version__

T = TypeVar("T")
DATABASE = "memo.sqlite"
SCHEMA = 2
KEEP_BUILDS = 8  # an entry unused by this many builds in a row is dropped, within REFRESH_BUILDS more
# An entry in use is marked with the build that used it only once its mark is this old: a
# build rewrites a few rows, not one per step it used (docs/performance.md).
REFRESH_BUILDS = 4
MEMORY_BUILDS = 3  # with `keep`, a value stays in memory while one of this many last builds used it (undo an edit)
COMPRESS_FROM = 2048  # bytes of pickle from which a value is stored compressed
FLUSH_BYTES = 16 << 20  # new entries held before they are written: a large site's pages are not held whole
EACH_BATCH = 500  # keys `Memo.each` and `Memo.peek` look up in one query (SQLite allows 999 parameters at least)
# The libraries whose version can change a byte of what the steps make.
LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "pyyaml", "lunr", "scikit-learn", "scipy", "numpy")


@functools.cache
def code_version() -> str:
    """Return a hash of sitegen's code and of the libraries' versions: any change misses."""
    digest = hashlib.sha256(f"sitegen {__version__} python {sys.version_info[:2]}\0".encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for library in LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{library} {version}\0".encode())
    return digest.hexdigest()


class Missing(enum.Enum):
    """What `Memo.peek` returns for a step the memo does not know."""

    MISSING = "missing"


MISSING = Missing.MISSING


class Memo:
    """Memoized steps, in memory and (with a folder) on disk. `Memo(None)` remembers in memory only."""

    def __init__(self, folder: Path | None, read_disk: bool = True, keep: bool = True) -> None:
        self.folder = folder
        self.read_disk = read_disk  # False: compute everything again (and store it), as `build --fresh` does
        self.keep = keep  # keep values in memory for the next build: what `sitegen serve` wants
        self.hits = 0
        self.misses = 0
        self.computed: Counter[str] = Counter()  # steps computed, by name (`module.function`)
        self._values: dict[str, Any] = {}
        self._used: set[str] = set()  # keys used by the current build
        self._recent: deque[set[str]] = deque(maxlen=MEMORY_BUILDS - 1)  # keys used by the builds before
        self._origins: dict[int, tuple[Any, str]] = {}  # id of a value returned -> (it, or a weak reference, its key)
        self._pending: dict[str, tuple[str, bytes]] = {}  # new entries: key -> (step, blob)
        # The steps a step called while it was computed: when it is found, they count as used too,
        # so that what it was made of is kept for as long as it is (a page's converted Markdown).
        self._children: dict[str, tuple[str, ...]] = {}
        self._frames: list[set[str]] = []  # the keys called by each step being computed, innermost last
        # With `keep`, new values are in memory anyway: they are packed when saved, not when made.
        self._unpacked: dict[str, tuple[str, Any]] = {}
        self._pending_bytes = 0
        self._coming: dict[str, _Coming] = {}  # keys workers are making (make_apart) -> their results
        self._written: set[str] = set()  # keys written to disk since the last save
        self._fetched: dict[str, tuple[bytes, str] | None] = {}  # entries `each` read ahead of `_load`
        self._database: sqlite3.Connection | None = None
        self._generation = 0
        # With `keep`: (step, inputs) -> [key, the last build that asked], for this build and the one before.
        self._keys: dict[tuple[str, tuple[object, ...]], _KeyEntry] = {}
        self._builds = 0
        self._workers: Executor | None = None  # where `start` makes steps (`using`)

    def __call__(self, step: Callable[..., T], *inputs: object) -> T:
        """Return `step(*inputs)`, from memory, from disk, or computed now and remembered."""
        name = _name(step)
        return self._get(name, self.key(name, inputs), step, inputs)

    def in_memory(self, step: Callable[..., T], *inputs: object) -> T:
        """Return `step(*inputs)` as `memo(step, *inputs)` does, but kept in memory only, for as
        long as recent builds use it, and never stored: for a value faster to make again than
        to load (a YAML file's nodes). Without `keep`, it is made every time."""
        if not self.keep:
            return step(*inputs)
        name = _name(step)
        key = self.key(name, inputs)
        self._use(key)
        if key in self._values:
            self.hits += 1
            return self._values[key]  # type: ignore[no-any-return]
        self.misses += 1
        self.computed[name] += 1
        value = self._values[key] = step(*inputs)
        return value

    def each(self, step: Callable[..., T], inputs: Iterable[tuple[object, ...]]) -> list[T]:
        """Return `[memo(step, *args) for args in inputs]`, reading stored values a batch of
        keys per query: for a step made once per paper, where a query each would be most of it."""
        name, found = _name(step), []
        remaining = iter(inputs)
        while batch := list(islice(remaining, EACH_BATCH)):
            keys = [self.key(name, args) for args in batch]
            self._fetch([key for key in keys if key not in self._values])
            try:
                found += [self._get(name, key, step, args) for key, args in zip(keys, batch, strict=True)]
            finally:
                self._fetched = {}
        return found

    def _get(self, name: str, key: str, step: Callable[..., T], inputs: tuple[object, ...]) -> T:
        if self._frames:
            self._frames[-1].add(key)
        found = self._find(key)
        if found is not MISSING:
            return found  # type: ignore[no-any-return]
        self.misses += 1
        self.computed[name] += 1
        value: T
        blob: bytes | None = None
        if key in self._coming:
            made = self._coming.pop(key).take(key)
            value, blob = made.value, made.blob
            self._adopt(made, key)
        else:
            self._frames.append(set())
            try:
                value = step(*inputs)
            finally:
                if children := self._frames.pop():
                    self._children[key] = tuple(sorted(children))
        if self.keep:
            self._unpacked[key] = (name, value)  # packed by save(), after the build is shown
        elif self.folder is not None and (blob := blob or _pack(value)) is not None:
            self._pending[key] = (name, blob)
            self._pending_bytes += len(blob)
            if self._pending_bytes > FLUSH_BYTES:
                self._write_pending()
        return self._known(self._remember(key, value), key)

    def _adopt(self, made: _Made, key: str) -> None:
        """Store the steps a step made in a worker was made of, as if made here."""
        if made.children:
            self._children[key] = made.children
        self._children.update(made.parts_children)
        for part, (name, blob) in made.parts.items():
            if part in self._pending or part in self._written:
                continue  # made by another page too
            self.misses += 1
            self.computed[name] += 1
            if self.folder is not None:
                self._pending[part] = (name, blob)
                self._pending_bytes += len(blob)

    def peek(self, step: Callable[..., T], inputs: list[tuple[object, ...]]) -> list[T | Missing]:
        """Return what `memo(step, *args)` would for each of `inputs`, where it is known in memory
        or on disk; else MISSING. Nothing is computed; what is stored is read in one query."""
        name = _name(step)
        keys = [self.key(name, args) for args in inputs]
        self._fetch([key for key in keys if key not in self._values])
        try:
            return [self._find(key) for key in keys]
        finally:
            self._fetched = {}

    def _find(self, key: str) -> Any:
        self._use(key)
        if key in self._values:
            self.hits += 1
            return self._known(self._values[key], key)
        stored = self._load(key)
        if stored is not None:
            self.hits += 1
            self._use(key)  # its children, now known
            return self._known(self._remember(key, stored[0]), key)
        return MISSING

    def _in_use(self) -> set[str]:
        """Return the keys used by this build or one of the MEMORY_BUILDS - 1 before it."""
        return self._used.union(*self._recent)

    def _use(self, key: str) -> None:
        """Count a key as used by this build, with the steps it was made of."""
        todo = [key]
        while todo:
            found = todo.pop()
            self._used.add(found)
            todo.extend(child for child in self._children.get(found, ()) if child not in self._used)

    def make_apart(self, pool: Executor, step: Callable[..., T], inputs: Sequence[tuple[object, ...]],
                   chunk: int = 1) -> None:
        """Start `step` for each of `inputs` this memo knows neither in memory nor on disk, in
        worker processes of `pool` (`chunk` at a time), each through a memo of the worker's own
        in memory. The next `memo(step, *those)` waits for its result and takes it as if it had
        just computed it, with the steps it was made of, packed by the worker, stored as if made
        here. This memo, among the inputs, stands for the worker's. Not under `keep` (serve):
        everything is made here then."""
        if self.keep:
            return
        name = _name(step)
        missing: dict[str, tuple[object, ...]] = {}
        for args in inputs:
            key = self.key(name, args)
            if key not in self._values and key not in self._coming and not self._stored(key):
                missing.setdefault(key, tuple(_ITSELF if value is self else value for value in args))
        if missing:
            results = pool.map(_made_apart, repeat(step), missing.values(), chunksize=chunk)
            coming = _Coming(list(missing), results)
            self._coming.update(dict.fromkeys(missing, coming))

    def knows(self, step: Callable[..., Any], *inputs: object) -> bool:
        """Tell whether `memo(step, *inputs)` would find its value, in memory, coming or on disk."""
        key = self.key(_name(step), inputs)
        return key in self._values or key in self._coming or self._stored(key)

    @contextlib.contextmanager
    def using(self, workers: Executor) -> Iterator[None]:
        """Within the block, `start` makes steps in `workers`."""
        self._workers = workers
        try:
            yield
        finally:
            self._workers = None

    def start(self, step: Callable[..., Any], *inputs: object) -> None:
        """Start `memo(step, *inputs)` in a worker, as `make_apart` does, within `using`; else
        do nothing (the call makes it): a step made of steps that do not depend on one another
        starts them all before it asks for the first."""
        if self._workers is not None:
            self.make_apart(self._workers, step, [inputs])

    def _stored(self, key: str) -> bool:
        if not self.read_disk or self.folder is None or (database := self._open()) is None:
            return False
        try:
            return database.execute("SELECT 1 FROM memo WHERE key = ?", (key,)).fetchone() is not None
        except sqlite3.Error:
            self._close()
            return False

    def _remember(self, key: str, value: T) -> T:
        if self.keep:
            self._values[key] = value
        return value

    def share(self, value: T) -> T:
        """Return `value`, hashed once now: steps that take it as an input then hash its digest."""
        return self._known(value, self.key("shared", (value,)), hold=True)

    def key(self, name: str, inputs: tuple[object, ...]) -> str:
        """Return the hash of a step's name and inputs, under this version of the code.

        With `keep` (one memo for many builds), the keys of the last build are known by their
        inputs: inputs equal to last time's (Python's `hash` and `==`, which the model's frozen
        dataclasses give by value, and which cost far less than pickling them) have last
        time's key. Inputs that cannot be hashed so are pickled, as in a one-off build.
        """
        if not self.keep:
            return self._digest(name, inputs)
        try:
            entry = self._keys.get((name, inputs))
        except (TypeError, ValueError):  # an unhashable input (a list, an array)
            return self._digest(name, inputs)
        if entry is None:
            entry = self._keys[(name, inputs)] = _KeyEntry(self._digest(name, inputs), self._builds)
        else:
            entry.build = self._builds  # marked in place: the inputs are not hashed twice
        return entry.key

    def _digest(self, name: str, inputs: tuple[object, ...]) -> str:
        digest = hashlib.sha256(f"{code_version()}\0{name}\0".encode())
        pickler = pickle.Pickler(_Sink(digest), protocol=5)
        pickler.fast = True  # without pickle's memo: an object met twice is written twice, so equal values hash equal
        pickler.dump(tuple(self._known_as(value) for value in inputs))
        return digest.hexdigest()

    def _known_as(self, value: object) -> object:
        """Return an input as it is hashed: a value the memo returned (or shared) stands as its key."""
        if isinstance(value, Memo):
            return _Known("the memo")  # a step made of steps takes the memo: it is no input of its result
        found = self._origins.get(id(value))
        if found is None:
            return value
        held = found[0]() if isinstance(found[0], weakref.ref) else found[0]
        return _Known(found[1]) if held is value else value

    def _known(self, value: T, key: str, hold: bool = False) -> T:
        """Note that `value` was returned under `key`, for as long as something else holds it:
        a page streamed to the writer is let go once written. A value that cannot be referred
        to weakly (a tuple, a dict) is held until the next build when `hold` is given or under
        `keep`, where the memo holds it anyway; else it is not held (a one-off build's data
        files, written and let go), and a step given it hashes what it holds."""
        if isinstance(value, (str, bytes, int, float, bool, type(None))):
            return value
        origin = id(value)
        try:
            held: object = weakref.ref(value, functools.partial(self._forget, origin))
        except TypeError:
            if not (hold or self.keep):
                return value
            held = value
        self._origins[origin] = (held, key)
        return value

    def _forget(self, origin: int, gone: weakref.ref[Any]) -> None:
        if (found := self._origins.get(origin)) is not None and found[0] is gone:
            del self._origins[origin]

    def start_build(self) -> None:
        """Begin a build: values no recent build used are let go from memory."""
        self._recent.append(self._used)
        kept = self._in_use()
        self._values = {key: value for key, value in self._values.items() if key in kept}
        self._unpacked = {key: entry for key, entry in self._unpacked.items() if key in kept}
        self._children = {key: children for key, children in self._children.items() if key in kept}
        self._used = set()
        self._origins = {}
        self._builds += 1
        for stale in [inputs for inputs, entry in self._keys.items() if entry.build < self._builds - 1]:
            del self._keys[stale]
        self._coming = {}  # what a failed build asked for and never took
        self.hits, self.misses = 0, 0
        self.computed = Counter()

    def save(self) -> None:
        """Write the new entries to disk, note which were used, and drop the long unused."""
        if self.folder is None:
            return
        kept = self._in_use()
        for key, (name, value) in self._unpacked.items():
            # A value no recent build used was replaced by a newer one: it is not stored.
            if key in kept and (blob := _pack(value)) is not None:
                self._pending[key] = (name, blob)
        self._unpacked = {}
        written = set(self._written) | set(self._pending)
        self._write_pending()
        database = self._open()
        if database is None:
            return
        try:
            with database:
                generation = self._generation + 1
                database.execute("UPDATE state SET generation = ?", (generation,))
                database.executemany("UPDATE memo SET used = ? WHERE key = ? AND used < ?",
                                     [(generation, key, generation - REFRESH_BUILDS) for key in self._used | written])
                # A mark is at most REFRESH_BUILDS older than its entry's last use.
                database.execute("DELETE FROM memo WHERE used < ?", (generation - KEEP_BUILDS - REFRESH_BUILDS,))
            self._generation = generation
        except sqlite3.Error:
            self._close()
        self._written = set()

    def _write_pending(self) -> None:
        pending, self._pending, self._pending_bytes = self._pending, {}, 0
        database = self._open()
        if database is None or not pending:
            return
        try:
            with database:
                database.executemany(
                    "INSERT OR REPLACE INTO memo (key, step, value, used, children) VALUES (?, ?, ?, ?, ?)",
                    [(key, step, blob, self._generation, " ".join(self._children.get(key, ())))
                     for key, (step, blob) in pending.items()])
            self._written.update(pending)
        except sqlite3.Error:
            self._close()

    def close(self) -> None:
        self._close()

    def _load(self, key: str) -> tuple[Any] | None:
        if not self.read_disk or self.folder is None:
            return None
        if key in self._fetched:
            row = self._fetched.pop(key)
        elif (database := self._open()) is None:
            return None
        else:
            try:
                row = database.execute("SELECT value, children FROM memo WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                self._close()
                return None
        if row is None:
            return None
        if row[1]:
            self._children[key] = tuple(row[1].split())
        try:
            return (_unpack(row[0]),)
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, computed again and replaced
            return None

    def _fetch(self, keys: list[str]) -> None:
        """Read the stored entries of `keys` in one query, for `_load` to take (None: not stored)."""
        if not keys or not self.read_disk or self.folder is None or (database := self._open()) is None:
            return
        try:
            rows = database.execute(f"SELECT key, value, children FROM memo WHERE key IN ({','.join('?' * len(keys))})",
                                    keys).fetchall()
        except sqlite3.Error:
            self._close()
            return
        self._fetched = dict.fromkeys(keys)
        self._fetched.update((key, (value, children)) for key, value, children in rows)

    def _open(self) -> sqlite3.Connection | None:
        if self._database is not None or self.folder is None:
            return self._database
        path = self.folder / DATABASE
        for attempt in range(2):
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                database = sqlite3.connect(path, timeout=30)
                database.execute("PRAGMA journal_mode = WAL")
                database.execute("CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, step TEXT NOT NULL, "
                                 "value BLOB NOT NULL, used INTEGER NOT NULL, children TEXT NOT NULL)")
                database.execute("CREATE TABLE IF NOT EXISTS state (schema INTEGER, generation INTEGER)")
                row = database.execute("SELECT schema, generation FROM state").fetchone()
                if row is None:
                    database.execute("INSERT INTO state VALUES (?, 0)", (SCHEMA,))
                    database.commit()
                    row = (SCHEMA, 0)
                if row[0] != SCHEMA:
                    raise sqlite3.DatabaseError("another schema")
                self._generation = int(row[1])
                self._database = database
                return database
            except sqlite3.DatabaseError:
                with contextlib.suppress(OSError):  # damaged or of another schema: start afresh
                    for suffix in ("", "-wal", "-shm"):
                        path.with_name(DATABASE + suffix).unlink(missing_ok=True)
            except (sqlite3.Error, OSError):
                return None
        return None

    def _close(self) -> None:
        if self._database is not None:
            with contextlib.suppress(sqlite3.Error):
                self._database.close()
            self._database = None


def _name(step: Callable[..., Any]) -> str:
    return f"{step.__module__}.{step.__qualname__}"


class _Coming:
    """Results of one `make_apart`, in the order of its keys, taken as they are asked for."""

    def __init__(self, keys: list[str], results: Iterable[Any]) -> None:
        self._keys = iter(keys)
        self._results = iter(results)
        self._taken: dict[str, Any] = {}

    def take(self, key: str) -> Any:
        while key not in self._taken:
            self._taken[next(self._keys)] = next(self._results)
        return self._taken.pop(key)


class _Sink:
    """A file-like object that hashes what is written to it."""

    def __init__(self, digest: hashlib._Hash) -> None:
        self.write = digest.update


@dataclass
class _KeyEntry:
    """A key `Memo.key` knows by its inputs, and the last build that asked for it."""

    key: str
    build: int


@dataclass(frozen=True)
class _Known:
    """A value the memo knows, in a key: by the key it was returned under."""

    key: str


_ITSELF = _Known("the memo")  # the memo among a step's inputs, sent to a worker


@dataclass(frozen=True)
class _Made:
    """A step's value made in a worker, packed there too, with the steps it was made of."""

    value: Any
    blob: bytes | None
    children: tuple[str, ...]  # the keys of the steps it called
    parts: dict[str, tuple[str, bytes]]  # every step made for it: key -> (step, blob)
    parts_children: dict[str, tuple[str, ...]]


def _made_apart(step: Callable[..., Any], inputs: tuple[object, ...]) -> _Made:
    """In a worker: make `step(*inputs)` through a memo of its own, in memory."""
    memo = Memo(None)
    memo._frames.append(set())
    value = step(*(memo if isinstance(value, _Known) and value == _ITSELF else value for value in inputs))
    children = tuple(sorted(memo._frames.pop()))
    parts = {key: (name, blob) for key, (name, part) in memo._unpacked.items() if (blob := _pack(part)) is not None}
    return _Made(value, _pack(value), children, parts, memo._children)


def _pack(value: object) -> bytes | None:
    """Return a value as stored on disk, or None for one that cannot be (it is kept in memory only)."""
    packer = _Packer()
    try:
        pickle.dump(value, packer, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return None
    return packer.blob()


class _Packer:
    """The file a value is pickled into: compressed as pickle writes it, once it passes
    COMPRESS_FROM bytes, so that a large value's pickle is never held whole beside it."""

    def __init__(self) -> None:
        self._head = bytearray()
        self._compressor: Any = None
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        if self._compressor is not None:
            self._parts.append(self._compressor.compress(data))
        else:
            self._head += data
            if len(self._head) >= COMPRESS_FROM:
                self._compressor = zlib.compressobj(1)
                self._parts.append(self._compressor.compress(self._head))
                self._head = bytearray()
        return len(data)

    def blob(self) -> bytes:
        if self._compressor is None:
            return b"p" + bytes(self._head)
        return b"".join([b"z", *self._parts, self._compressor.flush()])


def _unpack(blob: bytes) -> Any:
    data = zlib.decompress(blob[1:]) if blob[:1] == b"z" else blob[1:]
    return pickle.load(io.BytesIO(data))
