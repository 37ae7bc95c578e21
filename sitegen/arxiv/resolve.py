"""`sitegen resolve`: find every paper of the list on arXiv and keep what arXiv says of it.

A paper whose curation pins an arXiv id is asked for by id (`id_list`, up to 100 at a time);
every other paper by its title, several titles OR-ed into one query. Only certain matches are
kept (see sitegen.arxiv.titles). Records are saved after every answer, so a run stopped at any
moment loses nothing and the next run goes on where it stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sitegen.arxiv.atom import ArxivError
from sitegen.arxiv.client import MAX_IDS, Client
from sitegen.arxiv.titles import Match, match, title_query
from sitegen.model import Catalog, Curation, Paper, Record
from sitegen.records import bare_id
from sitegen.write.records import RecordStore

T = TypeVar("T")
TITLES_PER_QUERY = 5
RESULTS_PER_QUERY = 50


@dataclass
class Outcome:
    """What a run did: records added or updated, papers left for a curator, and why it stopped."""

    resolved: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    known: int = 0
    not_found: list[tuple[str, Match]] = field(default_factory=list)
    ambiguous: list[tuple[str, Match]] = field(default_factory=list)
    error: str | None = None


Progress = Callable[[int, int], None]


def resolve(catalog: Catalog, curation: Curation, store: RecordStore, client: Client, refresh: bool = False,
            progress: Progress | None = None) -> Outcome:
    """Resolve the papers without a record (and, with `refresh`, update those with one)."""
    outcome = Outcome()
    pinned: list[tuple[Paper, str]] = []
    by_title: list[Paper] = []
    for paper in catalog.papers:
        notes = curation.notes_of(paper.id)
        record = store.records.get(paper.id)
        if notes.not_on_arxiv:
            continue
        if notes.arxiv and (record is None or record.arxiv != bare_id(notes.arxiv)):
            pinned.append((paper, bare_id(notes.arxiv)))
        elif record is None:
            by_title.append(paper)
        else:
            outcome.known += 1
    stale = list(store.records.values()) if refresh else []
    total = len(pinned) + len(by_title) + len(stale)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, total)

    try:
        for chunk in _chunks(pinned, MAX_IDS):
            _by_ids(chunk, store, client, outcome)
            store.save()
            advance(len(chunk))
        for records in _chunks(stale, MAX_IDS):
            _refresh(records, store, client, outcome)
            store.save()
            advance(len(records))
        for papers in _chunks(by_title, TITLES_PER_QUERY):
            _by_titles(papers, store, client, outcome)
            store.save()
            advance(len(papers))
    except ArxivError as error:
        outcome.error = str(error)
    finally:
        store.save()
    return outcome


def _by_ids(chunk: Sequence[tuple[Paper, str]], store: RecordStore, client: Client, outcome: Outcome) -> None:
    found = {record.arxiv: record for record in client.by_ids([arxiv for _, arxiv in chunk]).records}
    for paper, arxiv in chunk:
        record = found.get(arxiv)
        if record is None:
            outcome.not_found.append((paper.id, Match(None, f"arXiv does not know the pinned id {arxiv}")))
            continue
        if store.put(dataclasses.replace(record, paper=paper.id, abstract="")):
            outcome.resolved.append(paper.id)


def _refresh(records: Sequence[Record], store: RecordStore, client: Client, outcome: Outcome) -> None:
    found = {record.arxiv: record for record in client.by_ids([record.arxiv for record in records]).records}
    for old in records:
        new = found.get(old.arxiv)
        if new is None:
            continue  # withdrawn or renumbered: the record stays as it was
        fresh = dataclasses.replace(new, paper=old.paper, added=old.added, abstract=new.abstract if old.added else "")
        if store.put(fresh):
            outcome.refreshed.append(old.paper)


def _by_titles(papers: Sequence[Paper], store: RecordStore, client: Client, outcome: Outcome) -> None:
    queries = [query for query in map(title_query, (paper.title for paper in papers)) if query]
    candidates = client.search(" OR ".join(queries), max_results=RESULTS_PER_QUERY).records if queries else ()
    taken = store.by_arxiv()
    for paper in papers:
        found = match(paper.title, paper.abstract, candidates)
        if found.record is None:
            (outcome.ambiguous if found.reason.startswith("ambiguous") else outcome.not_found).append((paper.id, found))
            continue
        owner = taken.get(found.record.arxiv)
        if owner is not None and owner.paper != paper.id:
            outcome.ambiguous.append((paper.id, Match(None, f"arXiv:{found.record.arxiv} is already the record "
                                                            f"of {owner.paper!r}", found.record)))
            continue
        record = dataclasses.replace(found.record, paper=paper.id, abstract="")
        if store.put(record):
            taken[record.arxiv] = record
            outcome.resolved.append(paper.id)


def _chunks(items: Sequence[T], size: int) -> list[list[T]]:
    return [list(items[start:start + size]) for start in range(0, len(items), size)]
