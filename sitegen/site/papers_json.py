"""The papers as JSON: the stable, documented shape that `sitegen papers --json` prints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sitegen.model import Curation, Learning, Paper


def paper_record(paper: Paper, curation: Curation | None = None, learning: Learning | None = None) -> dict[str, Any]:
    """Return one paper as a plain dict with the documented keys.

    `suggested_themes` and `related` come from the machine-learning step; they are empty
    without it, and `suggested_themes` is always empty for a curated paper.
    """
    curation = curation or Curation()
    learning = learning or Learning()
    notes = curation.notes_of(paper.id)
    curated = curation.themes_of(paper.id)
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
            {"theme": slug, "confidence": confidence} for slug, confidence in learning.themes_suggested_for(paper.id)
        ],
        "related": list(learning.related_to(paper.id)),
        "author_names": list(paper.author_names),
        "pdf": paper.record.pdf_url if paper.record else None,
        "doi": paper.record.doi if paper.record else None,
        "journal_ref": paper.record.journal_ref if paper.record else None,
        "primary_category": paper.record.primary_category if paper.record else None,
    }


def encode_papers(papers: Iterable[Paper], curation: Curation, learning: Learning | None) -> bytes:
    """Return the papers' records as a JSON list, UTF-8: sorted by id, keys in a fixed order,
    indented by two, exactly as `json.dumps(records, ensure_ascii=False, indent=2)` + newline.

    One record is made and dumped at a time: papers.json of 100,000 papers is 200 MB, its
    records as dicts and the whole text several times that.
    """
    parts = []
    for paper in sorted(papers, key=lambda paper: paper.id):
        text = json.dumps(paper_record(paper, curation, learning), ensure_ascii=False, indent=2)
        parts.append(("  " + text.replace("\n", "\n  ")).encode("utf-8"))  # one level in, as in the list
    return b"[\n" + b",\n".join(parts) + b"\n]\n" if parts else b"[]\n"
