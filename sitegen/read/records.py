"""Records: what arXiv says of the papers, attached to the papers they belong to."""

from __future__ import annotations

import dataclasses

from sitegen.errors import Problem, Severity
from sitegen.model import Catalog, Curation, Entry, Paper, Record
from sitegen.read.files import Files
from sitegen.records import RECORDS_FILE, bare_id


def read_records(files: Files) -> tuple[Record, ...]:
    """Return the project's records; a project without a records file has none."""
    path = files.project.content / RECORDS_FILE
    if not path.exists() and not path.is_symlink():
        return ()
    return files.records(path)


def record_entries(records: tuple[Record, ...]) -> list[Entry]:
    """Return the papers that came from arXiv alone as listing entries: their record lists them."""
    entries = []
    for record in records:
        if record.added:
            path, _, line = record.source.rpartition(":")
            entries.append(Entry(title=record.title, abstract=record.abstract, authors=len(record.authors) or None,
                                 published=record.published, upvotes=None, path=path, line=int(line)))
    return entries


def attach_records(catalog: Catalog, records: tuple[Record, ...], curation: Curation) -> tuple[Catalog, list[Problem]]:
    """Give each paper its record: the one its curation pins by arXiv id, else the one made for it.

    A curator's word wins: `arxiv: "id"` picks the record with that id, and `arxiv: no` leaves
    the paper without one. A paper without a date of its own takes its first version's.
    A record that no paper takes is a warning: it is stale, and `sitegen resolve` replaces it.
    """
    by_arxiv = {record.arxiv: record for record in records}
    by_source = {record.source: record for record in records if record.added}
    by_paper = {record.paper: record for record in records if not record.added}
    used: set[str] = set()
    papers: list[Paper] = []
    for paper in catalog.papers:
        notes = curation.notes_of(paper.id)
        record: Record | None = None
        if notes.arxiv:
            record = by_arxiv.get(bare_id(notes.arxiv))
        elif not notes.not_on_arxiv:
            record = next((by_source[s] for s in paper.sources if s in by_source), None) or by_paper.get(paper.id)
        if record is None:
            papers.append(paper)
            continue
        used.add(record.source)
        papers.append(dataclasses.replace(paper, record=record, published=paper.published or record.published))
    warnings = [_stale(record, curation) for record in records if record.source not in used]
    return dataclasses.replace(catalog, papers=tuple(papers)), warnings


def _stale(record: Record, curation: Curation) -> Problem:
    path, _, line = record.source.rpartition(":")
    notes = curation.notes_of(record.paper)
    if notes.not_on_arxiv:
        why = f"the curation says that {record.paper!r} is not on arXiv"
    elif notes.arxiv:
        why = f"the curation pins {record.paper!r} to arXiv:{notes.arxiv}"
    else:
        why = f"no paper of the list has the id {record.paper!r}"
    return Problem(path, int(line), 1, f"the record of arXiv:{record.arxiv} is not used: {why}",
                   "run 'sitegen resolve' to bring the records up to date, or delete the line", Severity.WARNING)
