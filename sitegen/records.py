"""The records file, content/records/arxiv.jsonl: what arXiv says of each paper, one line per paper.

One JSON object per line, sorted by paper id, keys in a fixed order: a pull request that adds
or refreshes records changes one line per paper, and two such pull requests rarely touch the
same lines. `encode_records` and `parse_records` are exact inverses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sitegen.errors import Problem, SitegenError
from sitegen.model import Record

RECORDS_FILE = "records/arxiv.jsonl"
ARXIV_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
KEYS = ("paper", "arxiv", "version", "title", "authors", "published", "updated", "primary_category",
        "categories", "doi", "journal_ref", "added", "abstract")
REQUIRED = ("paper", "arxiv", "title", "authors", "published")
HINT = "records are written by 'sitegen resolve' and 'sitegen add'; fix the line as the others are, or delete it"


def bare_id(arxiv_id: str) -> str:
    """Return an arXiv id without its version: 2312.00752v2 is 2312.00752."""
    return re.sub(r"v\d+$", "", arxiv_id.strip())


def encode_records(records: Iterable[Record]) -> str:
    """Return the records file's text: one line per record, sorted by paper id."""
    return "".join(encode_record(record) + "\n" for record in sorted(records, key=lambda r: (r.paper, r.arxiv)))


def encode_record(record: Record) -> str:
    value: dict[str, Any] = {
        "paper": record.paper, "arxiv": record.arxiv, "version": record.version, "title": record.title,
        "authors": list(record.authors), "published": record.published, "updated": record.updated,
        "primary_category": record.primary_category, "categories": list(record.categories),
        "doi": record.doi, "journal_ref": record.journal_ref,
    }
    if record.added:
        value["added"] = True
    if record.abstract:
        value["abstract"] = record.abstract
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def parse_records(name: str, text: str) -> tuple[Record, ...]:
    """Return the records of a file; raise SitegenError with every malformed line, located."""
    records: list[Record] = []
    problems: list[Problem] = []
    seen_paper: dict[str, int] = {}
    seen_arxiv: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = _record(json.loads(line), f"{name}:{number}")
        except json.JSONDecodeError as error:
            problems.append(Problem(name, number, error.colno, f"the line is not JSON: {error.msg}", HINT))
            continue
        except (ValueError, TypeError) as error:
            problems.append(Problem(name, number, 1, str(error), HINT))
            continue
        for seen, key, what in ((seen_paper, record.paper, "paper"), (seen_arxiv, record.arxiv, "arXiv id")):
            if key in seen:
                problems.append(Problem(name, number, 1, f"a second record for the {what} {key!r}",
                                        f"the first is on line {seen[key]}; delete one of them"))
            seen[key] = number
        records.append(record)
    if problems:
        raise SitegenError(problems)
    return tuple(records)


def _record(value: object, source: str) -> Record:
    if not isinstance(value, dict):
        raise TypeError("a record must be a JSON object")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} in a record (the keys are {', '.join(KEYS)})")
    missing = [key for key in REQUIRED if key not in value]
    if missing:
        raise ValueError(f"the record has no {missing[0]!r}")
    for key in ("paper", "arxiv", "title", "published", "updated", "primary_category"):
        item = value.get(key)
        if (item is not None or key in REQUIRED) and (not isinstance(item, str) or not item.strip()):
            raise ValueError(f"{key!r} must be a non-empty string" + ("" if key in REQUIRED else " or null"))
    if not ARXIV_ID.fullmatch(value["arxiv"]):
        raise ValueError(f"{value['arxiv']!r} is not an arXiv id without its version")
    for key in ("published", "updated"):
        if value.get(key) is not None and not DATE.fullmatch(value[key]):
            raise ValueError(f"{key!r} must be a date written YYYY-MM-DD, not {value[key]!r}")
    version = value.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 1):
        raise ValueError("'version' must be a whole number from 1, or null")
    for key in ("authors", "categories"):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
            raise ValueError(f"{key!r} must be a list of names")
    for key in ("doi", "journal_ref", "abstract"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ValueError(f"{key!r} must be a string or null")
    if not isinstance(value.get("added", False), bool):
        raise TypeError("'added' must be true or false")
    if value.get("added") and not (value.get("abstract") or "").strip():
        raise ValueError("a record added from arXiv alone needs its 'abstract'")
    return Record(
        arxiv=value["arxiv"], version=version, title=value["title"], authors=tuple(value["authors"]),
        published=value["published"], updated=value.get("updated"), primary_category=value.get("primary_category"),
        categories=tuple(value.get("categories", [])), doi=value.get("doi"), journal_ref=value.get("journal_ref"),
        abstract=value.get("abstract") or "", paper=value["paper"], added=bool(value.get("added", False)),
        source=source,
    )
