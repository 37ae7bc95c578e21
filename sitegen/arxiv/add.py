"""`sitegen add`: add papers from arXiv by id, so that they are listed though no listing holds them.

Each paper's record is kept with `added: true` and arXiv's abstract: the record is its listing.
With a theme, the paper is also placed at the end of that theme's curation file, whose text is
otherwise kept as it is, comments and layout included. Nothing changes unless every id is well
formed, known to arXiv, and the theme exists.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.arxiv.client import MAX_IDS, Client
from sitegen.arxiv.titles import normalise_title
from sitegen.errors import Problem, SitegenError, os_problem
from sitegen.model import Catalog, Curation, Record
from sitegen.read.catalog import new_paper_id
from sitegen.read.yamlfile import did_you_mean
from sitegen.records import ARXIV_ID, bare_id
from sitegen.write.records import RecordStore, write_atomically

_GIVEN = re.compile(r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<id>[^?#\s]+?)(?:\.pdf)?/?(?:[?#].*)?$"
                    r"|(?:arxiv:)?(?P<bare>\S+)", re.IGNORECASE)
_VERSIONED = re.compile(rf"(?P<id>{ARXIV_ID.pattern})(?:v\d+)?")


def parse_arxiv_id(given: str) -> str | None:
    """Return the id, without version, of `2501.12948`, `arXiv:2501.12948v2` or an arxiv.org link."""
    found = _GIVEN.fullmatch(given.strip())
    if not found:
        return None
    text = found["id"] or found["bare"]
    versioned = _VERSIONED.fullmatch(text)
    return bare_id(versioned["id"]) if versioned else None


@dataclass
class Added:
    """What `add` did: papers added (with their ids), and papers already in the list."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (arXiv id, paper id)
    already: list[tuple[str, str]] = field(default_factory=list)
    placed: str | None = None


def add(given: list[str], theme: str | None, catalog: Catalog, curation: Curation, store: RecordStore,
        client: Client, curation_folder: Path, today: datetime.date | None = None) -> Added:
    """Add the papers of `given` ids; raise SitegenError, changing nothing, for any bad id or theme.

    Papers placed in a theme are added on `today` (by default the day in UTC).
    """
    ids: list[str] = []
    for text in given:
        arxiv = parse_arxiv_id(text)
        if arxiv is None:
            raise SitegenError(Problem(text, 0, 0, f"{text!r} is not an arXiv id",
                                       "write it like 2501.12948 or https://arxiv.org/abs/2501.12948"))
        if arxiv not in ids:
            ids.append(arxiv)
    slugs = [each.slug for each in curation.themes]
    if theme is not None and theme not in slugs:
        close = did_you_mean(theme, slugs, count=1)
        raise SitegenError(Problem(theme, 0, 0, f"{theme!r} is not a theme of the list",
                                   f"{close + ' ' if close else ''}the themes are in content/themes.yaml"))
    found: dict[str, Record] = {}
    for start in range(0, len(ids), MAX_IDS):
        found.update((r.arxiv, r) for r in client.by_ids(ids[start:start + MAX_IDS]).records)
    unknown = [arxiv for arxiv in ids if arxiv not in found]
    if unknown:
        raise SitegenError(Problem(unknown[0], 0, 0, f"arXiv does not know the id {unknown[0]}",
                                   "check the id on arxiv.org; nothing was added"))
    outcome = Added()
    with_record = {paper.arxiv: paper.id for paper in catalog.papers if paper.arxiv}
    by_title = {normalise_title(paper.title): paper for paper in catalog.papers}
    taken = {paper.id for paper in catalog.papers}
    for arxiv in ids:
        record = found[arxiv]
        listed = with_record.get(arxiv) or next((r.paper for r in store.records.values() if r.arxiv == arxiv), None)
        same_title = by_title.get(normalise_title(record.title))
        if listed is None and same_title is not None:
            listed = same_title.id
            if same_title.record is None and not curation.notes_of(listed).not_on_arxiv:
                store.put(dataclasses.replace(record, paper=listed, abstract=""))  # the listed paper's record
        if listed is not None:
            outcome.already.append((arxiv, listed))
            continue
        paper_id = new_paper_id(record.title, taken)
        taken.add(paper_id)
        store.put(dataclasses.replace(record, paper=paper_id, added=True))
        outcome.added.append((arxiv, paper_id))
    day = today or datetime.datetime.now(datetime.UTC).date()
    placing = _placed(curation_folder / f"{theme}.yaml", [pid for _, pid in outcome.added], day) if theme else None
    store.save()
    if placing is not None and outcome.added:
        write_atomically(*placing)
        outcome.placed = theme
    return outcome


def _placed(path: Path, paper_ids: list[str], day: datetime.date) -> tuple[Path, str]:
    """Return a curation file's text with the papers appended to its list, added on `day`, the rest untouched."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as error:
        raise SitegenError(os_problem(error, path, "read")) from None
    if not re.search(r"^papers:", text, re.MULTILINE):
        text += ("" if not text or text.endswith("\n") else "\n") + "papers:\n"
    elif re.search(r"^papers:\s*\[\s*\]\s*$", text, re.MULTILINE):
        text = re.sub(r"^papers:\s*\[\s*\]\s*$", "papers:", text, flags=re.MULTILINE)
    entry = re.search(r"^( *)- id:", text, re.MULTILINE)
    prefix = entry.group(1) if entry else "  "
    if text and not text.endswith("\n"):
        text += "\n"
    return path, text + "".join(f"{prefix}- id: {paper_id}\n{prefix}  added: {day.isoformat()}\n" for paper_id in paper_ids)
