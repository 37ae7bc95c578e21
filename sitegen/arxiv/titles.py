"""When a title on arXiv is the title of a paper of the list.

arXiv gives titles as their authors typed them: LaTeX (`$\\mu$P`, `Schr\\"odinger`, `{GPT}`),
folded over lines, in any case. Two titles name the same paper when they are equal once
LaTeX is read as text, Unicode is normalised and case, punctuation and spacing are dropped.
Titles close but not equal (a typo fixed, a subtitle dropped) need their abstracts to agree.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pylatexenc.latex2text import LatexNodes2Text
from rapidfuzz import fuzz

from sitegen.model import Record

CLOSE_TITLES = 90  # rapidfuzz ratio of normalised titles, out of 100
SAME_ABSTRACT = 0.5  # share of distinct abstract words in common (Jaccard)
_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=1)
def _latex() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def normalise_title(title: str) -> str:
    """Return the comparable form of a title: LaTeX read as text, NFKD without accents, case
    folded, words only."""
    text = " ".join(title.split())
    if "\\" in text or "$" in text or "{" in text:
        text = _latex().latex_to_text(text)  # tolerant: LaTeX it cannot read stays as written
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_WORD.findall(text))


def title_query(title: str) -> str:
    """Return a search_query that finds a title: each of its first ASCII words under `ti:`.

    Words, not a phrase: arXiv keeps `$\\mu$` where the list has `μ`, and a phrase with a
    word missing finds nothing. Words of one or two letters are left to the matching.
    """
    words = [word for word in normalise_title(title).split() if word.isascii() and len(word) > 2][:10]
    return "(" + " AND ".join(f"ti:{word}" for word in words) + ")" if words else ""


@dataclass(frozen=True)
class Match:
    """What a search found for one paper: a record when certain, else why not and the closest."""

    record: Record | None
    reason: str = ""
    closest: Record | None = None


def match(title: str, abstract: str, candidates: Sequence[Record]) -> Match:
    """Return the one candidate that is certainly the paper, or why none is."""
    wanted = normalise_title(title)
    equal = {c.arxiv: c for c in candidates if normalise_title(c.title) == wanted}
    if len(equal) == 1:
        return Match(next(iter(equal.values())))
    if len(equal) > 1:
        return Match(None, f"ambiguous: {len(equal)} arXiv papers have this title "
                           f"({', '.join(sorted(equal))}); pin one with arxiv: in the curation")
    scored = sorted(((fuzz.ratio(wanted, normalise_title(c.title)), c.arxiv, c) for c in candidates), reverse=True)
    if not scored:
        return Match(None, "no arXiv paper has a title like it")
    score, _, best = scored[0]
    if score >= CLOSE_TITLES and abstract.strip() and same_abstract(abstract, best.abstract):
        return Match(best)
    why = "the titles are close but the abstracts differ" if score >= CLOSE_TITLES and abstract.strip() else \
        "the closest title is not the same"
    return Match(None, why, best)


def same_abstract(one: str, other: str) -> bool:
    a, b = set(normalise_title(one).split()), set(normalise_title(other).split())
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_ABSTRACT
