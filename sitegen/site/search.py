"""The search index: Python lunr over the papers, packed small for lunr.js in the browser.

Search loads in two stages so that a first-time visitor gets answers from very few bytes:

- `search/head.json` answers first: an index of titles (boosted), arXiv ids, authors, tags and themes, with the
  store of what a result shows (id, title, date, theme);
- `search/full.json` is fetched right after it: the index over every field, abstracts
  included, and a snippet of each abstract. Results switch to it as soon as it arrives.

Both indexes are built by the Python `lunr` package (tokenizer, trimmer, stop words and
stemmer, the pipeline of lunr.js 2.3.9). They travel packed: the sorted term list and, per
field and document, the indices of the document's terms (repeated as often as the term
occurs). That is everything lunr's BM25 scores are computed from, so `search.js` rebuilds
the exact serialized index (inverted index and field vectors) and hands it to
`lunr.Index.load`. A serialized lunr index spells out every posting twice and every score
to three decimals; packing makes the head index about a third of its gzipped size.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import sub
from typing import Any

from sitegen.model import Site

HEAD_ROUTE = "search/head.json"
FULL_ROUTE = "search/full.json"
PACK_FORMAT = 1
LUNR_VERSION = "2.3.9"  # the lunr.js whose Index.load reads the packed index: package.json pins it
# Field name and boost, in the order results are worth: a title match beats an abstract match.
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10), ("arxiv", 10), ("authors", 5), ("tags", 4), ("themes", 2), ("abstract", 1),
)
HEAD_FIELDS = tuple(field for field in FIELDS if field[0] != "abstract")
SNIPPET_LENGTH = 160
BM25_K1, BM25_B = 1.2, 0.75  # lunr.Builder's defaults, which the scores are computed with
_SPACE = re.compile(r"\s{2,}|[^\S ]")  # runs of spaces, and spaces other than " ": most text has none
_SEPARATORS = re.compile("[" + re.escape(" \t\n\r\f\v\xa0-") + "]+")  # lunr.tokenizer.SEPARATOR_CHARS


@dataclass(frozen=True)
class SearchDocument:
    """One paper as search sees it: the indexed fields and what a result shows."""

    id: str
    title: str
    arxiv: str  # the arXiv id: "2312.00752" finds its paper
    authors: str
    tags: str
    themes: str
    abstract: str
    published: str
    theme: str  # slug of the theme a result names; "" when the paper has none
    standing: int = 0  # 0 uncurated, 1 curated, 2 "start here" somewhere: search.js ranks by it at equal scores


@dataclass(frozen=True)
class PackedIndex:
    """A lunr index reduced to what its scores are computed from."""

    fields: tuple[tuple[str, int], ...]
    terms: tuple[str, ...]
    # postings[f][d]: the sorted indices into `terms` of field f of document d, one per
    # occurrence, delta-encoded (each index less the one before): mostly small numbers.
    postings: tuple[tuple[list[int], ...], ...]

    def as_json(self) -> dict[str, object]:
        """Return the packed form search.js reads; term indices delta-encoded per document."""
        return {
            "lunr": LUNR_VERSION,
            "k1": BM25_K1,
            "b": BM25_B,
            "fields": [list(field) for field in self.fields],
            "terms": list(self.terms),
            "postings": [list(field) for field in self.postings],
        }


def search_documents(site: Site) -> tuple[SearchDocument, ...]:
    """Return a search document per paper, in catalog (id) order; its position is its lunr ref."""
    titles = {theme.slug: theme.title for theme in site.curation.themes}
    starting = {placement.paper_id for placement in site.curation.placements if placement.start_here}
    documents = []
    for paper in site.catalog.papers:
        themes = site.curation.themes_of(paper.id)
        if not themes and site.learning is not None:
            themes = tuple(slug for slug, _ in site.learning.themes_suggested_for(paper.id)[:1])
        documents.append(
            SearchDocument(
                id=paper.id,
                title=_plain(paper.title),
                arxiv=paper.arxiv or "",
                authors=_plain(" ".join(paper.author_names)),
                tags=" ".join(site.curation.notes_of(paper.id).tags),
                themes=" ".join(titles.get(slug, slug) for slug in themes),
                abstract=_plain(paper.abstract),
                published=paper.published or "",
                theme=themes[0] if themes else "",
                standing=2 if paper.id in starting else 1 if site.curation.themes_of(paper.id) else 0,
            )
        )
    return tuple(documents)


def _plain(text: str) -> str:
    # lunr.js splits on every Unicode space, Python lunr on a few: make them agree.
    return _SPACE.sub(" ", text).strip()


FIELD_NAMES = tuple(name for name, _ in FIELDS)  # HEAD_FIELDS come first


def field_terms(documents: Sequence[SearchDocument]) -> list[list[tuple[str, ...]]]:
    """Run each field of each document through lunr's pipeline; return [field][doc] -> terms.

    A term comes once per occurrence: its count is what lunr's Builder.add keeps. The
    pipeline (trimmer, stop word filter, stemmer) treats each token alone, so each distinct
    token goes through it once.
    """
    return [[tuple(chain.from_iterable(map(token_terms, tokens(getattr(document, name))))) for document in documents]
            for name in FIELD_NAMES]


@functools.lru_cache(maxsize=500_000)
def token_terms(token: str) -> tuple[str, ...]:
    """Return what lunr's default pipeline makes of one token (the stemmer is pure Python)."""
    from lunr.token import Token

    return tuple(str(term) for term in _pipeline().run([Token(token)]))


@functools.cache
def _pipeline() -> Any:
    from lunr import get_default_builder  # imported only when an index is built

    return get_default_builder().pipeline


def tokens(text: str) -> list[str]:
    """Split text like lunr's Tokenizer (lowercase, on its separator characters), at C speed."""
    return [token for token in _SEPARATORS.split(text.lower()) if token]


def pack_index(found: Sequence[Sequence[tuple[str, ...]]], fields: Sequence[tuple[str, int]]) -> PackedIndex:
    """Pack the terms of some fields ([field][doc] -> terms, in `fields` order)."""
    terms = tuple(sorted({term for field in found for document in field for term in document}))
    number = {term: index for index, term in enumerate(terms)}
    postings = tuple(tuple(_deltas(sorted(map(number.__getitem__, document))) for document in field) for field in found)
    return PackedIndex(fields=tuple(fields), terms=terms, postings=postings)


def _deltas(indices: Sequence[int]) -> list[int]:
    return list(map(sub, indices, chain((0,), indices)))


def snippet(abstract: str, length: int = SNIPPET_LENGTH) -> str:
    """Return the abstract's opening, cut at a word boundary, with an ellipsis when cut."""
    if len(abstract) <= length:
        return abstract
    cut = abstract[: length + 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def title_slug(title: str) -> str | None:
    """Return the slug search.js derives from an ASCII title (its slugOf); None for others."""
    if not title.isascii():
        return None
    return "-".join(re.findall(r"[a-z0-9]+", title.lower().replace("'", "")))


def packed_id(paper_id: str, title: str) -> str | int:
    """Return the id, or its length when it is the title's slug cut at a word boundary.

    Most ids are their title's slug, shortened: sending a length instead of the id saves a
    quarter of the first download. search.js rebuilds the id with slugOf(title).slice(0, n).
    """
    slug = title_slug(title)
    if slug is not None and slug.startswith(paper_id) and slug[len(paper_id):len(paper_id) + 1] in ("", "-"):
        return len(paper_id)
    return paper_id


def head_json(themes: Sequence[tuple[str, str]], documents: Sequence[SearchDocument],
              found: Sequence[Sequence[tuple[str, ...]]]) -> dict[str, object]:
    """Return the first stage: the store of results and the index of titles, tags and themes."""
    theme_numbers = {slug: index for index, (slug, _) in enumerate(themes)}
    return {
        "format": PACK_FORMAT,
        "themes": [[slug, title] for slug, title in themes],
        "papers": [
            [packed_id(document.id, document.title), document.title, document.published,
             theme_numbers.get(document.theme, -1), document.standing]
            for document in documents
        ],
        "index": pack_index(found[: len(HEAD_FIELDS)], HEAD_FIELDS).as_json(),
    }


def full_json(documents: Sequence[SearchDocument], found: Sequence[Sequence[tuple[str, ...]]]) -> dict[str, object]:
    """Return the second stage: the index over every field, and a snippet of each abstract."""
    return {
        "format": PACK_FORMAT,
        "snippets": [snippet(document.abstract) for document in documents],
        "index": pack_index(found, FIELDS).as_json(),
    }


def dumps(value: object) -> bytes:
    """Serialise compactly and deterministically."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def search_files(documents: tuple[SearchDocument, ...], themes: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    """Return the two search files of the documents; `themes` are (slug, title) in reading order."""
    found = field_terms(documents)
    return {HEAD_ROUTE: dumps(head_json(themes, documents, found)), FULL_ROUTE: dumps(full_json(documents, found))}
