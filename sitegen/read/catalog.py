"""Merge listing entries into distinct papers with stable, readable ids."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TypeVar

from sitegen.errors import Problem, Severity, SitegenError
from sitegen.model import Catalog, Entry, Link, Paper
from sitegen.read.files import Files

MAX_ID_LENGTH = 80
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Greek letters are common in this field (μP, α-entmax); spell them out in ids.
T = TypeVar("T", str, int)

GREEK_NAMES = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip


def load_catalog(files: Files, paths: Sequence[Path], extra: Sequence[Entry] = ()) -> tuple[Catalog, list[Problem]]:
    """Read every listing and merge them with `extra` entries (papers that came from arXiv
    alone); raise SitegenError with all unreadable listings."""
    entries: list[Entry] = list(extra)
    per_source: list[tuple[str, int]] = []
    failures: list[Problem] = []
    for path in paths:
        try:
            found = files.listing(path)
        except SitegenError as error:
            failures.extend(error.problems)
            continue
        entries.extend(found)
        per_source.append((files.project.relative(path), len(found)))
    if failures:
        raise SitegenError(failures)
    papers, warnings = merge_entries(entries)
    return Catalog(papers=papers, entries_per_source=tuple(per_source)), files.shown(warnings)


def merge_entries(entries: Iterable[Entry]) -> tuple[tuple[Paper, ...], list[Problem]]:
    """Group entries by normalised title into papers, sorted by id; warn on conflicting values."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        groups[title_key(entry.title)].append(entry)
    ids = assign_ids(groups)
    papers: list[Paper] = []
    warnings: list[Problem] = []
    for key, group in groups.items():
        group.sort(key=lambda e: (e.path, e.line))
        paper, conflicts = _merge_group(ids[key], group)
        papers.append(paper)
        warnings.extend(conflicts)
    papers.sort(key=lambda p: p.id)
    warnings.sort()
    return tuple(papers), warnings


def title_key(title: str) -> str:
    """Return the form of a title that two listings of the same paper share."""
    text = unicodedata.normalize("NFKC", title).translate(_DASHES).translate(_QUOTES)
    return " ".join(text.casefold().split())


def slugify(text: str) -> str:
    """Return a lowercase, hyphenated, ASCII-where-possible slug of `text`."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():  # most titles are: no Greek letter or accent to work out, char by char
        text = "".join(GREEK_NAMES.get(char, char) for char in text)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("'", "").replace("\u2019", "")  # "Brauer's" reads "brauers", not "brauer-s"
    words = re.findall(r"[^\W_]+", text)
    return "-".join(words)


def assign_ids(groups: dict[str, list[Entry]]) -> dict[str, str]:
    """Give each normalised title an id: its slug, cut at a word within 80 characters.

    When slugs collide (long titles alike in their first 80 characters, or titles that differ
    only in punctuation), the paper first seen in the listings keeps the plain slug and every
    other gets its slug and a hash of its own title. Listings are named in the order they are
    added (000_, 001_, ...) and pasted top to bottom, so first seen is first added: a new
    listing never changes an id that exists, and no id depends on the order files are read in.
    """
    by_slug: dict[str, list[str]] = defaultdict(list)
    for key in groups:
        by_slug[short_slug(key)].append(key)
    first_seen = {key: min((_file_name(e.path), e.line) for e in group) for key, group in groups.items()
                  if len(by_slug[short_slug(key)]) > 1}
    ids: dict[str, str] = {}
    taken = {slug for slug in by_slug if slug}
    for slug, keys in by_slug.items():
        if len(keys) > 1:
            keys.sort(key=lambda key: (first_seen[key], key))
        for index, key in enumerate(keys):
            if slug and index == 0:
                ids[key] = slug
                continue
            ids[key] = suffixed_id(slug, key, taken)
            taken.add(ids[key])
    return ids


def suffixed_id(slug: str, key: str, taken: set[str] | frozenset[str]) -> str:
    """Return the id of a paper whose slug is taken: the slug and a hash of its own title."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
    length = 6
    while (suffixed := f"{slug or 'paper'}-{digest[:length]}") in taken:
        length += 2  # a title whose own slug ends in these very characters
    return suffixed


def new_paper_id(title: str, taken: set[str] | frozenset[str]) -> str:
    """Return the id a paper added after every listing gets: its slug, or suffixed when taken."""
    key = title_key(title)
    slug = short_slug(key)
    return slug if slug and slug not in taken else suffixed_id(slug, key, taken)


@functools.lru_cache(maxsize=4096)
def _file_name(path: str) -> str:
    return PurePosixPath(path).name


@functools.lru_cache(maxsize=1_000_000)
def short_slug(key: str) -> str:
    slug = slugify(key)
    if len(slug) <= MAX_ID_LENGTH:
        return slug
    cut = slug.rfind("-", 0, MAX_ID_LENGTH + 1)
    return slug[: cut if cut > 0 else MAX_ID_LENGTH]


def find_links(abstract: str) -> tuple[Link, ...]:
    """Return the URLs in an abstract, trailing punctuation trimmed, each once, in order."""
    if "://" not in abstract:
        return ()
    seen: dict[str, Link] = {}
    for match in URL_RE.finditer(abstract):
        url = _trim_url(match.group(0))
        if url and url not in seen and "." in url.split("://", 1)[1]:
            seen[url] = Link(url=url, kind=link_kind(url))
    return tuple(seen.values())


def link_kind(url: str) -> str:
    host = url.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    is_code = any(host == h or host.endswith("." + h) for h in CODE_HOSTS)
    return "code" if is_code else "page"


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def _merge_group(paper_id: str, group: list[Entry]) -> tuple[Paper, list[Problem]]:
    """Merge the entries of one paper: a known value beats null, disagreements are warned of."""
    if len(group) == 1:  # most papers: nothing to merge
        (entry,) = group
        return Paper(id=paper_id, title=entry.title, abstract=entry.abstract, authors=entry.authors,
                     published=entry.published, upvotes=entry.upvotes, links=find_links(entry.abstract),
                     sources=(entry.source,)), []
    warnings: list[Problem] = []

    def pick(field: str, values: list[T | None]) -> T | None:
        known = sorted({v for v in values if v is not None}, key=str)
        if len(known) > 1:
            warnings.append(_conflict(paper_id, group[0], field, known))
        return _most_common(values)

    abstract = pick("abstracts", [e.abstract for e in group])
    dates = [e.published for e in group]
    full_dates = [d for d in dates if d and not d.startswith("--")]
    # A year-less "--MM-DD" agrees with a full date of the same day; keep the full one.
    dates = [d for d in dates if not (d and d.startswith("--") and any(f.endswith(d[1:]) for f in full_dates))]
    upvotes = [e.upvotes for e in group if e.upvotes is not None]
    paper = Paper(
        id=paper_id,
        title=_most_common([e.title for e in group]) or group[0].title,
        abstract=abstract or "",
        authors=pick("author counts", [e.authors for e in group]),
        published=pick("dates", dates),
        # Upvote counts only grow: the later copy of a page has the larger one. Not a conflict.
        upvotes=max(upvotes) if upvotes else None,
        links=find_links(abstract or ""),
        sources=tuple(e.source for e in group),
    )
    return paper, warnings


def _conflict(paper_id: str, first: Entry, field: str, values: Sequence[object]) -> Problem:
    shown = ", ".join(repr(v if not isinstance(v, str) or len(v) < 40 else v[:37] + "...") for v in values)
    return Problem(
        first.path,
        first.line,
        1,
        f"paper {paper_id!r} has conflicting {field} across listings: {shown}",
        "the most frequent value is kept; correct the listing that is wrong",
        Severity.WARNING,
    )


def _most_common(values: Sequence[T | None]) -> T | None:
    """Return the most frequent known value; ties go to the smallest, so order never matters."""
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    return min(counts, key=lambda v: (-counts[v], str(v)))
