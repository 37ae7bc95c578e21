"""The second stage: what scikit-learn adds to the site, as plain data (suggestions, never curation).

Each part is a memoized step over exactly what it reads: the features, related papers and
the map read the papers' text alone; the suggested themes and keywords read the curated
placements too. An edit to a placement refits the classifier on the features it already has.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from sitegen.learn.features import PaperText, features, paper_texts
from sitegen.learn.models import paper_positions, related_papers, theme_learning
from sitegen.memo import Memo
from sitegen.model import Catalog, Curation, Learning
from sitegen.pool import may_learn


def learn(catalog: Catalog, curation: Curation, memo: Memo) -> Learning:
    """Fit everything and return what the site shows; deterministic for given inputs."""
    return start_learning(catalog, curation, memo)()


def start_learning(catalog: Catalog, curation: Curation, memo: Memo,
                   pool: Executor | None = None) -> Callable[[], Learning]:
    """Start learning, and return a function that waits for it and returns what the site shows.

    A fit the memo must make is made by one of `pool`'s workers when they may run
    scikit-learn (this process then never loads it); else it is made, or found, here and now.
    """
    if not catalog.papers:
        return Learning
    texts = paper_texts(catalog.papers)
    themes_of = tuple(curation.themes_of(text.id) for text in texts)
    inputs = (memo, texts, themes_of, tuple(theme.slug for theme in curation.themes))
    if pool is not None and may_learn(pool) and (apart := memo.apart(pool, fit, *inputs)) is not None:
        return apart
    learning = memo(fit, *inputs)
    return lambda: learning


def fit(memo: Memo, texts: tuple[PaperText, ...], themes_of: tuple[tuple[str, ...], ...],
        slugs: tuple[str, ...]) -> Learning:
    """Return the whole learning: one step made of steps, so that when nothing it reads changed,
    not even the features are loaded (nor scikit-learn imported)."""
    ids = tuple(text.id for text in texts)
    found = memo(features, texts)
    themes = memo(theme_learning, ids, found, themes_of, slugs)
    return Learning(
        related=memo(related_papers, ids, found),
        suggested_themes=themes.suggested_themes,
        keywords=themes.keywords,
        positions=memo(paper_positions, ids, found),
    )
