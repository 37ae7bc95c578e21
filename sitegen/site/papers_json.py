"""The papers as JSON: the stable, documented shape that `sitegen papers --json` prints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sitegen.memo import Memo
from sitegen.model import Curation, Learning, Paper, PaperNotes


def paper_record(paper: Paper, curation: Curation | None = None, learning: Learning | None = None) -> dict[str, Any]:
    """Return one paper as a plain dict with the documented keys.

    `suggested_themes` and `related` come from the machine-learning step; they are empty
    without it, and `suggested_themes` is always empty for a curated paper.
    """
    curation = curation or Curation()
    learning = learning or Learning()
    return paper_fields(paper, curation.notes_of(paper.id), curation.themes_of(paper.id),
                        learning.themes_suggested_for(paper.id), learning.related_to(paper.id))


def paper_fields(paper: Paper, notes: PaperNotes, curated: tuple[str, ...],
                 suggested: tuple[tuple[str, float], ...], related: tuple[str, ...]) -> dict[str, Any]:
    """Return the documented keys of a paper from what the curation and learning say of it."""
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "published": paper.published,
        "upvotes": paper.upvotes,
        "links": [{"url": link.url, "kind": link.kind} for link in paper.links],
        "sources": list(paper.sources),
        "themes": list(curated),
        "tags": list(notes.tags),
        "note": notes.note,
        "arxiv": paper.arxiv or (None if notes.not_on_arxiv else notes.arxiv),
        "suggested_themes": [] if curated else [
            {"theme": slug, "confidence": confidence} for slug, confidence in suggested
        ],
        "related": list(related),
        "author_names": list(paper.author_names),
        "pdf": paper.record.pdf_url if paper.record else None,
        "doi": paper.record.doi if paper.record else None,
        "journal_ref": paper.record.journal_ref if paper.record else None,
        "primary_category": paper.record.primary_category if paper.record else None,
    }


def paper_json(paper: Paper, notes: PaperNotes, themes: tuple[str, ...],
               suggested: tuple[tuple[str, float], ...], related: tuple[str, ...]) -> bytes:
    """Return one paper's record as it stands in the list: dumped, indented one level in."""
    text = json.dumps(paper_fields(paper, notes, themes, suggested, related), ensure_ascii=False, indent=2)
    return ("  " + text.replace("\n", "\n  ")).encode("utf-8")


def encode_papers(papers: Iterable[Paper], curation: Curation, learning: Learning | None,
                  memo: Memo | None = None) -> bytes:
    """Return the papers' records as a JSON list, UTF-8: sorted by id, keys in a fixed order,
    indented by two, exactly as `json.dumps(records, ensure_ascii=False, indent=2)` + newline.

    One record is made and dumped at a time: papers.json of 100,000 papers is 200 MB, its
    records as dicts and the whole text several times that. Through `memo`, each record is a
    step keyed on what it holds: an edit to one note dumps one record again.
    """
    learning = learning or Learning()
    inputs = [(paper, curation.notes_of(paper.id), curation.themes_of(paper.id),
               learning.themes_suggested_for(paper.id), learning.related_to(paper.id))
              for paper in sorted(papers, key=lambda paper: paper.id)]
    parts = memo.each(paper_json, inputs) if memo is not None else [paper_json(*args) for args in inputs]
    return b"[\n" + b",\n".join(parts) + b"\n]\n" if parts else b"[]\n"
