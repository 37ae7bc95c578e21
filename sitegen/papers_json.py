"""The papers as JSON: the stable, documented shape that `sitegen papers --json` prints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sitegen.model import Curation, Paper


def paper_record(paper: Paper, curation: Curation | None = None) -> dict[str, Any]:
    """Return one paper as a plain dict with the documented keys."""
    curation = curation or Curation()
    notes = curation.notes_of(paper.id)
    return {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "published": paper.published,
        "upvotes": paper.upvotes,
        "links": [{"url": link.url, "kind": link.kind} for link in paper.links],
        "sources": list(paper.sources),
        "themes": list(curation.themes_of(paper.id)),
        "tags": list(notes.tags),
        "note": notes.note,
        "arxiv": notes.arxiv,
    }


def dumps_papers(records: Iterable[dict[str, Any]]) -> str:
    """Serialise paper records deterministically: sorted by id, keys in a fixed order."""
    ordered = sorted(records, key=lambda record: record["id"])
    return json.dumps(ordered, ensure_ascii=False, indent=2) + "\n"
