"""The models: a theme classifier, related papers, theme keywords and the map's layout.

Everything here is a suggestion, never curation: curated placements always win, and pages
label what the machine adds. The classifier is a logistic regression trained on the curated
placements; related papers are the nearest by cosine similarity, computed in blocks of rows
so memory grows linearly with the number of papers, and past EXACT_UP_TO papers searched
only among the papers of nearby k-means groups (docs/learning.md); the map is t-SNE over a truncated SVD of
the same features. Fixed seeds and a fixed order of papers (by id) make every result
deterministic.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sitegen.learn.features import Features

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import csr_matrix

T = TypeVar("T")
SEED = 0
RELATED_COUNT = 5
SUGGESTED_COUNT = 3  # themes suggested per uncurated paper, best first
KEYWORD_COUNT = 8
MAP_SAMPLE = 2000  # t-SNE lays out at most this many papers; the others join their neighbours
BLOCK_CELLS = 2_000_000  # similarities computed at once (rows per block x papers)
EXACT_UP_TO = 5_000  # papers whose related papers are found by comparing every pair
ANN_DIMENSIONS = 128  # of the SVD that groups papers for the approximate search
ANN_PROBES = 8  # groups whose papers each group is compared with


def one_thread(step: Callable[..., T]) -> Callable[..., T]:
    """Run `step` with BLAS and OpenMP on one thread. How many threads share a dot product or
    t-SNE's gradient changes the last bits of their sums, and with them the map and the order
    of near ties among related papers: the site would differ from one machine to the next."""

    @functools.wraps(step)
    def limited(*args: Any) -> T:
        import sklearn  # noqa: F401 - loads the OpenMP and BLAS libraries the limit applies to
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return step(*args)

    return limited


# ---- Themes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    """One row per curated placement: a paper in two themes teaches both."""

    rows: tuple[int, ...]
    labels: tuple[str, ...]


def training_set(themes_of: Sequence[tuple[str, ...]], among: Sequence[int] | None = None) -> TrainingSet:
    """Return the rows and labels of the curated papers (`themes_of` gives each paper's themes)."""
    rows, labels = [], []
    for index in range(len(themes_of)) if among is None else among:
        for slug in themes_of[index]:
            rows.append(index)
            labels.append(slug)
    return TrainingSet(tuple(rows), tuple(labels))


def fit_classifier(matrix: csr_matrix, training: TrainingSet) -> Any:
    from sklearn.linear_model import LogisticRegression

    # Weak regularisation: the probabilities come out closest to how often the top theme is
    # right in cross-validation (see `sitegen suggest --evaluate`).
    classifier = LogisticRegression(C=300, solver="newton-cg", max_iter=5000, random_state=SEED)
    return classifier.fit(matrix[list(training.rows)], list(training.labels))


def driving_terms(classifier: Any, row: csr_matrix, theme: str, terms: np.ndarray, count: int = 4) -> tuple[str, ...]:
    """Return the paper's terms that pushed the classifier most towards the theme."""
    coefficients = classifier.coef_[list(classifier.classes_).index(theme)]
    row = row.tocoo()
    contributions = sorted(
        ((float(value * coefficients[column]), str(terms[column])) for column, value in zip(row.col, row.data, strict=True)),
        key=lambda pair: (-pair[0], pair[1]),
    )
    return tuple(term for contribution, term in contributions[:count] if contribution > 0)


# ---- Related papers -----------------------------------------------------------------------


def nearest(matrix: Any, count: int, candidates: np.ndarray | Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each row, the `count` most cosine-similar other rows (indices, similarities).

    `matrix` (sparse or dense) has L2-normalised rows, so similarity is a dot product. It is
    computed for a block of rows at a time against all candidates, never as an n-by-n
    matrix; ties go to the lower index, so the result is deterministic.
    """
    import numpy as np

    rows = matrix.shape[0]
    pool = np.arange(rows) if candidates is None else np.asarray(candidates)
    count = min(count, len(pool) - 1 if candidates is None else len(pool))
    indices = np.zeros((rows, max(count, 0)), dtype=np.int64)
    scores = np.zeros((rows, max(count, 0)), dtype=np.float32)
    if count <= 0:
        return indices, scores
    against = matrix[pool].T
    block = max(1, BLOCK_CELLS // len(pool))
    for start in range(0, rows, block):
        stop = min(start + block, rows)
        similarity = matrix[start:stop] @ against
        # Kept as computed (float32 from the features): a float64 copy doubled the block's memory
        # and the time to rank it, and changed no result.
        similarity = np.asarray(similarity.toarray() if hasattr(similarity, "toarray") else similarity)
        mine = np.arange(start, stop)
        at = np.searchsorted(pool, mine).clip(max=len(pool) - 1)
        own = pool[at] == mine
        similarity[np.nonzero(own)[0], at[own]] = -np.inf  # a paper is not related to itself
        top = np.argpartition(-similarity, count - 1, axis=1)[:, :count] if count < len(pool) else (
            np.broadcast_to(np.arange(len(pool)), similarity.shape))
        top_scores = np.take_along_axis(similarity, top, axis=1)
        order = np.lexsort((top, -top_scores), axis=1)  # best first; equal scores by position
        top = np.take_along_axis(top, order, axis=1)
        indices[start:stop] = pool[top]
        scores[start:stop] = np.take_along_axis(similarity, top, axis=1)
    return indices, scores


def approximate_nearest(matrix: csr_matrix, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each row, `count` of the most cosine-similar other rows, found without
    comparing every pair: what `nearest` returns, but for a few misses, in time that grows
    with n^1.5 rather than n^2.

    The papers are grouped by k-means (about sqrt(n) groups) over a truncated SVD of the
    rows; each group's papers are compared, exactly and on the full rows, with the papers
    of the ANN_PROBES groups whose centres are nearest its own. Fixed seeds keep it
    deterministic; tests/test_learning.py measures its recall against `nearest`.
    """
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    papers = matrix.shape[0]
    components = max(2, min(ANN_DIMENSIONS, matrix.shape[1] - 1, papers - 1))
    reduced = normalize(TruncatedSVD(n_components=components, random_state=SEED).fit_transform(matrix))
    groups = max(2, round(papers ** 0.5))
    kmeans = MiniBatchKMeans(n_clusters=groups, random_state=SEED, n_init=1, batch_size=4096).fit(reduced)
    centres = normalize(kmeans.cluster_centers_)
    probed = np.argsort(-(centres @ centres.T), axis=1, kind="stable")[:, :ANN_PROBES]
    members = [np.flatnonzero(kmeans.labels_ == group) for group in range(groups)]
    indices = np.zeros((papers, count), dtype=np.int64)
    scores = np.full((papers, count), -np.inf, dtype=np.float32)
    for group, queries in enumerate(members):
        if not len(queries):
            continue
        near = [group, *(other for other in probed[group] if other != group)][:ANN_PROBES]  # its own first, always
        pool = np.sort(np.concatenate([members[other] for other in near]))
        similarity = np.asarray((matrix[queries] @ matrix[pool].T).toarray())
        similarity[np.arange(len(queries)), np.searchsorted(pool, queries)] = -np.inf  # not itself
        take = min(count, len(pool) - 1)
        top = np.argpartition(-similarity, take - 1, axis=1)[:, :take] if take < len(pool) else (
            np.broadcast_to(np.arange(len(pool)), similarity.shape))
        top_scores = np.take_along_axis(similarity, top, axis=1)
        order = np.lexsort((pool[top], -top_scores), axis=1)  # best first; equal scores by index
        top = np.take_along_axis(top, order, axis=1)[:, :count]
        indices[queries, :take] = pool[top]
        scores[queries, :take] = np.take_along_axis(similarity, top, axis=1)
    return indices, scores


# ---- Keywords and the map -----------------------------------------------------------------


def theme_keywords(matrix: csr_matrix, terms: np.ndarray, training: TrainingSet, count: int = KEYWORD_COUNT) -> dict[str, tuple[str, ...]]:
    """Return each theme's most distinctive terms: its mean TF-IDF minus the others' mean."""
    import numpy as np

    labels = np.asarray(training.labels)
    rows = np.asarray(training.rows)
    keywords = {}
    for theme in sorted(set(training.labels)):
        inside = matrix[rows[labels == theme]].mean(axis=0).A1
        outside_rows = rows[labels != theme]
        outside = matrix[outside_rows].mean(axis=0).A1 if len(outside_rows) else np.zeros_like(inside)
        score = inside - outside
        order = np.lexsort((terms, -score))
        keywords[theme] = tuple(str(terms[i]) for i in order[:count] if score[i] > 0)
    return keywords


def map_positions(matrix: csr_matrix) -> np.ndarray:
    """Lay the papers out in two dimensions, scaled to [0, 1]: SVD to 50 dimensions, then t-SNE.

    t-SNE costs more than linear time, so beyond MAP_SAMPLE papers it lays out an evenly
    spread sample and places every other paper at the mean of its three nearest sampled papers.
    """
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import normalize

    papers = matrix.shape[0]
    if papers < 4 or matrix.shape[1] < 3:  # too little to lay out: a circle, in id order
        angles = 2 * np.pi * np.arange(papers) / max(papers, 1)
        return np.round(np.column_stack([0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles)]), 4)
    components = max(2, min(50, matrix.shape[1] - 1, papers - 1))
    reduced = TruncatedSVD(n_components=components, random_state=SEED).fit_transform(matrix)
    reduced = normalize(reduced)
    sample = np.unique(np.linspace(0, papers - 1, min(papers, MAP_SAMPLE)).astype(np.int64))
    tsne = TSNE(n_components=2, perplexity=min(30.0, (len(sample) - 1) / 3), init="pca", random_state=SEED,
                learning_rate="auto", metric="cosine", max_iter=400)
    placed = tsne.fit_transform(reduced[sample])
    positions = np.zeros((papers, 2))
    positions[sample] = placed
    others = np.setdiff1d(np.arange(papers), sample)
    if len(others):
        neighbours, _ = nearest(reduced, 3, candidates=sample)
        rank = np.searchsorted(sample, neighbours[others])
        positions[others] = placed[rank].mean(axis=1)
    low, high = positions.min(axis=0), positions.max(axis=0)
    scaled: np.ndarray = np.round((positions - low) / np.where(high > low, high - low, 1), 4)
    return scaled




# ---- What the site shows ------------------------------------------------------------------


@one_thread
def related_papers(ids: tuple[str, ...], found: Features) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return each paper's most similar papers, best first (none with nothing in common):
    exactly up to EXACT_UP_TO papers, approximately beyond."""
    find = nearest if len(ids) <= EXACT_UP_TO else approximate_nearest
    neighbours, similarities = find(found.matrix, RELATED_COUNT)
    return tuple(
        (paper_id, tuple(ids[j] for j, score in zip(neighbours[i], similarities[i], strict=True) if score > 0))
        for i, paper_id in enumerate(ids)
    )


@one_thread
def paper_positions(ids: tuple[str, ...], found: Features) -> tuple[tuple[str, tuple[float, float]], ...]:
    """Return each paper's place on the map."""
    positions = map_positions(found.matrix)
    return tuple((paper_id, (float(positions[i][0]), float(positions[i][1]))) for i, paper_id in enumerate(ids))


@dataclass(frozen=True)
class ThemeLearning:
    """What the curated placements decide: themes suggested for the others, theme keywords."""

    suggested_themes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    keywords: tuple[tuple[str, tuple[str, ...]], ...]


@one_thread
def theme_learning(ids: tuple[str, ...], found: Features, themes_of: tuple[tuple[str, ...], ...],
                   slugs: tuple[str, ...]) -> ThemeLearning:
    """Fit the classifier on the curated papers; suggest themes for the others, and keywords."""
    training = training_set(themes_of)
    suggested: list[tuple[str, tuple[tuple[str, float], ...]]] = []
    keywords: dict[str, tuple[str, ...]] = {}
    if len(set(training.labels)) >= 2:
        classifier = fit_classifier(found.matrix, training)
        uncurated = [i for i, themes in enumerate(themes_of) if not themes]
        if uncurated:
            probabilities = classifier.predict_proba(found.matrix[uncurated])
            for row, i in enumerate(uncurated):
                suggested.append((ids[i], best_themes(classifier.classes_, probabilities[row])))
        keywords = theme_keywords(found.matrix, found.terms, training)
    return ThemeLearning(suggested_themes=tuple(suggested),
                         keywords=tuple((slug, keywords.get(slug, ())) for slug in slugs))


def best_themes(classes: Sequence[str], probabilities: Sequence[float],
                count: int = SUGGESTED_COUNT) -> tuple[tuple[str, float], ...]:
    order = sorted(range(len(classes)), key=lambda k: (-probabilities[k], classes[k]))[:count]
    return tuple((str(classes[k]), round(float(probabilities[k]), 3)) for k in order)
