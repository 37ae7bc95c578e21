"""The search index: Python lunr's analysis of the papers, split into shards lunr.js loads as needed.

A query fetches only what it needs, so the first result costs about the same few kilobytes at
550 papers as at 100,000 (see docs/search.md):

- `search/index.json`, the manifest: the fields and their boosts, the number of papers, each
  paper's standing, the themes, and the first term of every shard;
- `search/<version>/head/<n>.json`: the postings of the title, arXiv id, authors, tags and
  themes fields, one shard per range of terms. A query fetches the shards of its terms and
  answers from them first;
- `search/<version>/abstracts/<n>.json`: the abstracts' postings, fetched next for the same terms;
- `search/<version>/papers/<k>.json` and `snippets/<k>.json`: what a result shows, 8 papers a
  file, fetched for the results on screen.

Terms come from the Python `lunr` package (tokenizer, trimmer, stop words and stemmer, the
pipeline of lunr.js 2.3.9). Each posting carries the BM25 weight lunr.Builder would give it
over the whole list (to three decimals, in thousandths). lunr.js scores a document by the
dot product of the query's vector with the document's field vectors, divided by the query's
magnitude alone, so an index made of only some terms' postings scores every document it
matches exactly as the whole index would. `search.js` merges the shards it fetched into one
`lunr.Index`. The version in the path is a hash of every shard: a manifest never meets
shards of another build.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from sitegen.model import Site

if TYPE_CHECKING:
    import numpy as np

MANIFEST_ROUTE = "search/index.json"
PACK_FORMAT = 2
LUNR_VERSION = "2.3.9"  # the lunr.js that search.js builds its index with: package.json pins it
# Field name and boost, in the order results are worth: a title match beats an abstract match.
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10), ("arxiv", 10), ("authors", 5), ("tags", 4), ("themes", 2), ("abstract", 1),
)
HEAD_FIELDS = tuple(field for field in FIELDS if field[0] != "abstract")
# The two kinds of shard, in the order a query fetches them: the fields each holds, and the
# postings at which a shard is closed (a common term may hold more alone). The first answer
# waits for head shards, so they are small; abstracts' shards come after it.
STAGES: tuple[tuple[str, tuple[int, ...], int], ...] = (("head", tuple(range(len(HEAD_FIELDS))), 250),
                                                        ("abstracts", (len(HEAD_FIELDS),), 2000))
PAPER_CHUNK = 8  # papers (and snippets) per file of what results show
SNIPPET_LENGTH = 160
BM25_K1, BM25_B = 1.2, 0.75  # lunr.Builder's defaults, which the weights are computed with
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
    # lunr.js splits on every Unicode space, Python lunr on a few: make them agree. str.split
    # knows the spaces \s knows, and is several times faster than a regular expression.
    return " ".join(text.split())


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


@dataclass(frozen=True)
class Postings:
    """Every (term, field, document) of the index with the weight lunr.Builder gives it.

    Parallel columns (NumPy arrays of integers) sorted by term, then field, then document.
    `terms` are in the order JavaScript compares strings (UTF-16 code units), the order of
    the shards' ranges.
    """

    terms: tuple[str, ...]
    term: np.ndarray
    field: np.ndarray
    document: np.ndarray
    weight: np.ndarray  # lunr's BM25 weight, boost included, in thousandths (lunr rounds it to three decimals)


def postings(found: Sequence[Sequence[tuple[str, ...]]], boosts: Sequence[int]) -> Postings:
    """Weigh every posting of [field][doc] -> terms as lunr.Builder does (createFieldVectors).

    A term's document frequency counts each field it occurs in (lunr.idf), a field's average
    length is over every document, and the arithmetic is lunr.js's, in its order, in doubles.
    """
    import numpy as np  # scikit-learn's dependency: imported only when an index is made

    count = len(found[0]) if found else 0
    terms = tuple(sorted({term for field in found for document in field for term in document}, key=_js_order))
    number = {term: index for index, term in enumerate(terms)}
    columns = {name: array("i") for name in ("term", "field", "document", "frequency", "length")}
    average = []
    for field_number, field in enumerate(found):
        total = 0
        for document_number, document in enumerate(field):
            if not document:
                continue
            frequencies = Counter(document)
            columns["term"].extend(map(number.__getitem__, frequencies))
            columns["frequency"].extend(frequencies.values())
            columns["field"].extend([field_number] * len(frequencies))
            columns["document"].extend([document_number] * len(frequencies))
            columns["length"].extend([len(document)] * len(frequencies))
            total += len(document)
        average.append(total / count if count else 0.0)
    del found, number  # what is left is the columns: let the terms of each document go
    at_term, at_field, at_document, frequency, length = (
        np.frombuffer(columns[name], dtype=np.int32) for name in ("term", "field", "document", "frequency", "length"))
    containing = np.bincount(at_term, minlength=len(terms)).astype(np.float64)
    idf = np.log(1 + np.abs((count - containing + 0.5) / (containing + 0.5)))
    k1, b = BM25_K1, BM25_B
    # idf * ((k1 + 1) * frequency) / (k1 * (1 - b + b * (length / average)) + frequency), each
    # operation as that expression does it, in place: one array of doubles at a time, not six.
    denominator = length / np.array(average, dtype=np.float64)[at_field]
    denominator *= b
    denominator += 1 - b
    denominator *= k1
    denominator += frequency
    weight = idf[at_term]
    weight *= (k1 + 1) * frequency
    weight /= denominator
    del denominator
    weight *= np.array(boosts, dtype=np.float64)[at_field]
    order = np.lexsort((at_document, at_field, at_term))
    weight = weight[order]
    weight *= 1000
    weight += 0.5
    return Postings(terms=terms, term=at_term[order], field=at_field[order], document=at_document[order],
                    weight=np.floor(weight, out=weight).astype(np.int64))


def _js_order(term: str) -> bytes:
    return term.encode("utf-16-be", "surrogatepass")


def shards(index: Postings, fields: Sequence[int], size: int) -> Iterator[tuple[str, list[Any]]]:
    """Split the postings of some fields into shards of consecutive terms; yield each shard's
    first term and contents, one shard at a time.

    A shard lists its terms, each as [term, field, [document, weight, ...], field, ...], with
    each document number less the one before it in its list.
    """
    current: list[Any] = []
    held = 0
    entry: list[Any] = []
    listed: list[int] = []
    last_term = last_field = last_document = -1
    for term, field, document, weight in _rows(index, fields):
        if term != last_term:
            if held >= size:
                yield current[0][0], current
                current, held = [], 0
            entry = [index.terms[term]]
            current.append(entry)
            last_term, last_field = term, -1
        if field != last_field:
            listed = []
            entry += [field, listed]
            last_field, last_document = field, 0
        listed += [document - last_document, weight]
        last_document = document
        held += 1
    if current:
        yield current[0][0], current


ROWS_AT_ONCE = 1 << 16  # postings turned into Python numbers at a time by `_rows`


def _rows(index: Postings, fields: Sequence[int]) -> Iterator[tuple[int, int, int, int]]:
    """Yield (term, field, document, weight) of each posting of `fields`, in order."""
    import numpy as np

    chosen = np.flatnonzero(np.isin(index.field, fields))
    for start in range(0, len(chosen), ROWS_AT_ONCE):
        at = chosen[start:start + ROWS_AT_ONCE]
        yield from zip(index.term[at].tolist(), index.field[at].tolist(), index.document[at].tolist(),
                       index.weight[at].tolist(), strict=True)


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


def dumps(value: object) -> bytes:
    """Serialise compactly and deterministically."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def _deltas(numbers: Sequence[int]) -> list[int]:
    return [number - before for number, before in zip(numbers, chain((0,), numbers), strict=False)]


def search_files(documents: tuple[SearchDocument, ...], themes: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    """Return the manifest and the shards of the documents; `themes` are (slug, title) in reading order."""
    index = postings(field_terms(documents), [boost for _, boost in FIELDS])
    theme_numbers = {slug: number for number, (slug, _) in enumerate(themes)}
    parts: dict[str, bytes] = {}
    firsts: dict[str, list[str]] = {}
    for stage, fields, size in STAGES:
        firsts[stage] = []
        for number, (first, shard) in enumerate(shards(index, fields, size)):
            firsts[stage].append(first)
            parts[f"{stage}/{number}.json"] = dumps(shard)
    for start in range(0, len(documents), PAPER_CHUNK):
        chunk = documents[start:start + PAPER_CHUNK]
        parts[f"papers/{start // PAPER_CHUNK}.json"] = dumps(
            [[packed_id(d.id, d.title), d.title, d.published, theme_numbers.get(d.theme, -1)] for d in chunk])
        parts[f"snippets/{start // PAPER_CHUNK}.json"] = dumps([snippet(d.abstract) for d in chunk])
    digest = hashlib.sha256()
    for route in sorted(parts):
        digest.update(route.encode() + b"\0" + parts[route] + b"\0")
    version = digest.hexdigest()[:12]
    manifest = {
        "format": PACK_FORMAT,
        "lunr": LUNR_VERSION,
        "version": version,
        "fields": [list(field) for field in FIELDS],
        "papers": len(documents),
        "chunk": PAPER_CHUNK,
        # Paper numbers, delta-encoded: those curated into a theme, and those that "start here" somewhere.
        "standing": [_deltas([n for n, d in enumerate(documents) if d.standing >= level]) for level in (1, 2)],
        "themes": [[slug, title] for slug, title in themes],
        "shards": firsts,
    }
    files = {MANIFEST_ROUTE: dumps(manifest)}
    files.update((f"search/{version}/{route}", data) for route, data in sorted(parts.items()))
    return files
