"""The second stage: what scikit-learn adds to the site, as plain data (suggestions, never curation).

Each part is a memoized step over exactly what it reads: the features, related papers and
the map read the papers' text alone; the suggested themes and keywords read the curated
placements too. An edit to a placement refits the classifier on the features it already has.
"""

from __future__ import annotations

import importlib
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

    A fit the memo must make is made by `pool`'s workers when they may run scikit-learn (this
    process then never loads it): the features first, then the three models side by side.
    Else it is made, or found, here and now.
    """
    if not catalog.papers:
        return Learning
    texts = paper_texts(catalog.papers)
    themes_of = tuple(curation.themes_of(text.id) for text in texts)
    inputs = (memo, texts, themes_of, tuple(theme.slug for theme in curation.themes))
    if pool is not None and may_learn(pool) and not memo.keep and not memo.knows(fit, *inputs):
        memo.make_apart(pool, features, [(texts,)])
        pool.submit(load_models)  # the other worker loads scikit-learn meanwhile, for the models

        def in_workers() -> Learning:
            with memo.using(pool):
                return memo(fit, *inputs)

        return in_workers
    learning = memo(fit, *inputs)
    return lambda: learning


def load_models() -> None:
    """Import what the models need (scikit-learn's estimators), for a worker to have it loaded."""
    for module in ("sklearn.cluster", "sklearn.decomposition", "sklearn.linear_model", "sklearn.manifold"):
        importlib.import_module(module)


def fit(memo: Memo, texts: tuple[PaperText, ...], themes_of: tuple[tuple[str, ...], ...],
        slugs: tuple[str, ...]) -> Learning:
    """Return the whole learning: one step made of steps, so that when nothing it reads changed,
    not even the features are loaded (nor scikit-learn imported)."""
    ids = tuple(text.id for text in texts)
    found = memo(features, texts)
    memo.start(theme_learning, ids, found, themes_of, slugs)
    memo.start(paper_positions, ids, found)
    memo.start(related_papers, ids, found)
    themes = memo(theme_learning, ids, found, themes_of, slugs)
    return Learning(
        related=memo(related_papers, ids, found),
        suggested_themes=themes.suggested_themes,
        keywords=themes.keywords,
        positions=memo(paper_positions, ids, found),
    )
