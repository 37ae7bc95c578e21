"""The project's input files: read from inside the project only, parsed once (through the memo)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import Problem, SitegenError
from sitegen.memo import Memo
from sitegen.model import Entry, Record
from sitegen.project import Project, display, read_inside
from sitegen.read.listings import parse_listing
from sitegen.read.yamlfile import YamlDocument, parse_yaml
from sitegen.records import parse_records


@dataclass(frozen=True)
class Files:
    """Reads a project's files; `name` is how sources and messages call a file."""

    project: Project
    memo: Memo

    def read(self, path: Path, name: str | None = None) -> bytes:
        """Return a content file's bytes; it must lie inside the project (see `read_inside`).
        `name` is the file as messages name it (`display(path)`), when the caller has it."""
        return read_inside(path, self.project.root, name or display(path))

    def text(self, path: Path, name: str | None = None) -> str:
        """Return a content file's text (UTF-8, with or without a byte-order mark)."""
        name = name or display(path)
        data = self.read(path, name)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SitegenError(Problem(name, 0, 0, f"the file is not UTF-8 (byte {error.start})",
                                       "save it as UTF-8")) from None

    def listing(self, path: Path) -> tuple[Entry, ...]:
        """Return the entries of a listing; an entry's path is the listing's place in the project."""
        data = self.read(path)
        try:
            return self.memo(parse_listing, self.project.relative(path), data)
        except SitegenError as error:
            raise SitegenError(self.shown(error.problems)) from None

    def records(self, path: Path) -> tuple[Record, ...]:
        """Return the records of a records file (see sitegen.records); a record's source is its line."""
        text = self.text(path)
        try:
            return self.memo(parse_records, self.project.relative(path), text)
        except SitegenError as error:
            raise SitegenError(self.shown(error.problems)) from None

    def shown(self, problems: list[Problem]) -> list[Problem]:
        """Return problems located by a file's place in the project as the user would type the path."""
        return [dataclasses.replace(p, path=display(self.project.root / p.path)) if not Path(p.path).is_absolute()
                else p for p in problems]

    def yaml(self, path: Path, name: str | None = None) -> tuple[YamlDocument | None, list[Problem]]:
        """Return a YAML file composed with its marks (see sitegen.read.yamlfile), and its problems."""
        name = name or display(path)
        try:
            text = self.text(path, name)
        except SitegenError as error:
            return None, error.problems
        # In memory only: libyaml composes a file faster than a pickle of its nodes loads.
        document, problems = self.memo.in_memory(parse_yaml, text, name)
        return document, list(problems)
