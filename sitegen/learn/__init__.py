"""The second stage: what scikit-learn adds to the site, as plain data (suggestions, never curation).

Each part is a memoized step over exactly what it reads: the features, related papers and
the map read the papers' text alone; the suggested themes and keywords read the curated
placements too. An edit to a placement refits the classifier on the features it already has.
"""

from __future__ import annotations

import importlib

from sitegen.learn.features import PaperText, features, paper_texts
from sitegen.learn.models import paper_positions, related_papers, theme_learning
from sitegen.memo import Memo
from sitegen.model import Catalog, Curation, Learning
from sitegen.pool import may_learn, worker_pool


def learn(catalog: Catalog, curation: Curation, memo: Memo, workers: int = 1) -> Learning:
    """Fit everything and return what the site shows; deterministic for given inputs.

    With `workers` > 1, a fit the memo must make in a one-off build is made by that many worker
    processes of its own, which end with it (their memory goes back to the system): the
    features first, then the three models side by side. Not when this process has loaded
    scikit-learn (`may_learn`): the fit is then made here, as it is under serve.
    """
    if not catalog.papers:
        return Learning()
    texts = paper_texts(catalog.papers)
    themes_of = tuple(curation.themes_of(text.id) for text in texts)
    inputs = (memo, texts, themes_of, tuple(theme.slug for theme in curation.themes))
    if workers <= 1 or memo.keep or not may_learn() or memo.knows(fit, *inputs):
        return memo(fit, *inputs)
    with worker_pool(workers) as pool:
        if pool is None:
            return memo(fit, *inputs)
        memo.make_apart(pool, features, [(texts,)])
        pool.submit(load_models)  # the other worker loads scikit-learn meanwhile, for the models
        with memo.using(pool):
            return memo(fit, *inputs)


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
