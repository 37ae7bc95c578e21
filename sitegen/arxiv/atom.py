"""The Atom feed the arXiv API answers with, read into records.

The format is the arXiv API user manual's: an Atom 1.0 feed with the OpenSearch extension
(totalResults, startIndex, itemsPerPage) and arXiv's own elements (primary_category, doi,
journal_ref). An error is an entry whose id is under http://arxiv.org/api/errors.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from sitegen.model import Record

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
ERRORS = "http://arxiv.org/api/errors"
ABS_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)v(?P<version>\d+)$")


class ArxivError(Exception):
    """The API answered with something that is not a usable feed; the message says what, in one line."""


@dataclass(frozen=True)
class Feed:
    total: int
    start: int
    records: tuple[Record, ...]


def parse_feed(data: bytes) -> Feed:
    """Return the records of an API answer; raise ArxivError for malformed XML, a page that is
    not an Atom feed, or an error entry."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise ArxivError(f"the answer is not well-formed XML ({error})") from None
    if root.tag != f"{ATOM}feed":
        raise ArxivError(f"the answer is not an Atom feed (its root element is <{_local(root.tag)}>)")
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        if _text(entry, f"{ATOM}id").startswith(ERRORS):
            raise ArxivError(f"arXiv says: {_text(entry, f'{ATOM}summary') or 'error'}")
    total = _number(root, f"{OPENSEARCH}totalResults", len(entries))
    start = _number(root, f"{OPENSEARCH}startIndex", 0)
    return Feed(total=total, start=start, records=tuple(r for r in map(_record, entries) if r is not None))


def _record(entry: ET.Element) -> Record | None:
    found = ABS_ID.search(_text(entry, f"{ATOM}id"))
    title = _folded(_text(entry, f"{ATOM}title"))
    if not found or not title:
        return None  # arXiv answers an id it does not know with an empty entry
    primary = entry.find(f"{ARXIV}primary_category")
    categories = tuple(dict.fromkeys(c.get("term", "") for c in entry.findall(f"{ATOM}category") if c.get("term")))
    return Record(
        arxiv=found["id"],
        version=int(found["version"]),
        title=title,
        authors=tuple(_folded(_text(author, f"{ATOM}name")) for author in entry.findall(f"{ATOM}author")),
        published=_text(entry, f"{ATOM}published")[:10],
        updated=_text(entry, f"{ATOM}updated")[:10],
        primary_category=primary.get("term", "") if primary is not None else (categories[0] if categories else ""),
        categories=categories,
        doi=_folded(_text(entry, f"{ARXIV}doi")) or None,
        journal_ref=_folded(_text(entry, f"{ARXIV}journal_ref")) or None,
        abstract=_text(entry, f"{ATOM}summary").strip(),
    )


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "") if found is not None else ""


def _folded(text: str) -> str:
    """arXiv folds long titles over lines (a line break and two spaces): unfold them."""
    return " ".join(text.split())


def _number(root: ET.Element, path: str, default: int) -> int:
    text = _text(root, path).strip()
    return int(text) if text.isdigit() else default


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
