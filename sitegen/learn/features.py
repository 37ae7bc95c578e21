"""The papers as features: terms from this field's vocabulary, weighted by TF-IDF.

scikit-learn is imported inside the functions that need it: commands that do not learn
never load it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sitegen.model import Paper
from sitegen.read.catalog import GREEK_NAMES

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import csr_matrix

TITLE_WEIGHT = 3  # the title counts as three copies of itself: it says what the paper is about

_WORD = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)*")
_HYPHEN = re.compile(r"[-\u2010\u2011]")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Za-z0-9]*[A-Z]s")  # LLMs, SSMs, GNNs, LoRAs


@dataclass(frozen=True)
class PaperText:
    """What learning reads of a paper: its id, title and abstract, nothing else."""

    id: str
    title: str
    abstract: str


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@functools.lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Lowercase a word, spell Greek letters out (μP and muP are one term), fold plurals."""
    if _ACRONYM_PLURAL.fullmatch(word):
        word = word[:-1]
    word = unicodedata.normalize("NFKC", word).casefold()
    word = "".join(GREEK_NAMES.get(char, char) for char in word)
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        word = word[:-1]
    return word


def tokenize(text: str, stop_words: frozenset[str] = frozenset()) -> list[str]:
    """Return the terms of a text: words, and hyphenated compounds both whole and in parts.

    "LoRA-based SSMs" gives lora, based, lora-based, ssm; "μP" gives mup; "GPT-4" gives
    gpt and gpt-4. Numbers alone, one-letter words and stop words are dropped.
    """
    return [term for word in _WORD.findall(text) for term in _word_terms(word, stop_words)]


@functools.lru_cache(maxsize=200_000)
def _word_terms(word: str, stop_words: frozenset[str]) -> tuple[str, ...]:
    # Most words recur across abstracts: each distinct one is worked out once.
    words = _HYPHEN.split(word)
    parts = [normalize_word(word) for word in words]
    terms = [
        part for word, part in zip(words, parts, strict=True)
        if len(part) > 1 and not part.isdigit() and part not in stop_words and word.casefold() not in stop_words
    ]
    if len(parts) > 1:
        terms.append("-".join(parts))
    return tuple(terms)


def paper_terms(paper: PaperText, stop_words: frozenset[str] = frozenset()) -> list[str]:
    """Return the terms of a paper: its title's TITLE_WEIGHT times, then its abstract's."""
    return tokenize(paper.title, stop_words) * TITLE_WEIGHT + tokenize(paper.abstract, stop_words)


@dataclass(frozen=True)
class Features:
    """TF-IDF rows of the papers (in catalog order) and the term of each column."""

    matrix: csr_matrix
    terms: np.ndarray


def features(papers: Sequence[PaperText]) -> Features:
    """Return the TF-IDF features of the papers; a term must occur in two papers to count.

    A term in one paper alone relates it to nothing and teaches the classifier nothing; only
    a list too small for that keeps every term, and one with no terms at all gets no columns.
    """
    import numpy as np
    from scipy.sparse import csr_matrix as sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop_words = _stop_words()
    for min_df in (2, 1):
        vectorizer = TfidfVectorizer(analyzer=lambda paper: paper_terms(paper, stop_words), sublinear_tf=True,
                                     min_df=min_df, dtype=np.float32)
        try:
            matrix = vectorizer.fit_transform(papers).tocsr()
        except ValueError:  # no term left
            continue
        return Features(matrix=matrix, terms=vectorizer.get_feature_names_out())
    return Features(matrix=sparse((len(papers), 0), dtype=np.float32), terms=np.array([], dtype=object))


def paper_texts(papers: Sequence[Paper]) -> tuple[PaperText, ...]:
    return tuple(PaperText(paper.id, paper.title, paper.abstract) for paper in papers)


