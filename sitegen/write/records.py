"""The records file, written whole or not at all: a run stopped at any moment loses nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.errors import SitegenError, os_problem
from sitegen.model import Record
from sitegen.records import encode_records

TEMPORARY = ".{name}.*.tmp"


@dataclass
class RecordStore:
    """The records of a project, by paper id; `save` writes them when they changed (not when `dry_run`)."""

    path: Path
    records: dict[str, Record]
    dry_run: bool = False
    changes: list[str] = field(default_factory=list)
    _saved: str = ""

    def __post_init__(self) -> None:
        self._saved = encode_records(self.records.values())
        for leftover in self.path.parent.glob(TEMPORARY.format(name=self.path.name)):
            leftover.unlink(missing_ok=True)  # a run killed while it wrote

    def put(self, record: Record) -> bool:
        """Keep a record for its paper; return whether it changed anything."""
        old = self.records.get(record.paper)
        if old is not None and _facts(old) == _facts(record):
            return False
        self.records[record.paper] = record
        what = "adds" if old is None else "updates"
        self.changes.append(f"{what} the record of {record.paper!r}: arXiv:{record.arxiv}"
                            + (f"v{record.version}" if record.version else ""))
        return True

    def by_arxiv(self) -> dict[str, Record]:
        return {record.arxiv: record for record in self.records.values()}

    def save(self) -> None:
        text = encode_records(self.records.values())
        if text == self._saved or self.dry_run:
            return
        write_atomically(self.path, text)
        self._saved = text


def _facts(record: Record) -> tuple[object, ...]:
    return (record.arxiv, record.version, record.title, record.authors, record.published, record.updated,
            record.primary_category, record.categories, record.doi, record.journal_ref, record.abstract,
            record.paper, record.added)


def write_atomically(path: Path, text: str) -> None:
    """Replace a file's text in one step (a temporary file beside it, then rename)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise SitegenError(os_problem(error, path, "write")) from None
