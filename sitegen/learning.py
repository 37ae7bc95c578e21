"""Machine learning with scikit-learn: suggested themes and tags, related papers, keywords, a map.

Everything here is a suggestion, never curation: curated placements always win, and pages
label what the machine adds. Features are TF-IDF over the title (counted three times) and
the abstract, with a tokenizer for this field's vocabulary. The classifier is a logistic
regression trained on the curated placements; related papers are the nearest by cosine
similarity, computed in blocks of rows so memory grows linearly with the number of papers;
the map is t-SNE over a truncated SVD of the same features.

Fixed seeds and a fixed order of papers (by id) make every result deterministic. scikit-learn
is imported inside the functions that need it: commands that do not learn never load it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sitegen.cache import Cache, content_hash
from sitegen.catalog import GREEK_NAMES
from sitegen.model import Catalog, Curation, Learning, Paper

if TYPE_CHECKING:
    import numpy as np
    from scipy.sparse import csr_matrix

    from sitegen.parallel import Helper

SEED = 0
TITLE_WEIGHT = 3  # the title counts as three copies of itself: it says what the paper is about
RELATED_COUNT = 5
SUGGESTED_COUNT = 3  # themes suggested per uncurated paper, best first
KEYWORD_COUNT = 8
TAG_NEIGHBOURS = 10  # curated papers whose tags vote for an uncurated paper's tags
TAG_THRESHOLD = 0.3  # share of the neighbours' similarity a tag needs to be suggested
MAP_SAMPLE = 2000  # t-SNE lays out at most this many papers; the others join their neighbours
BLOCK_CELLS = 2_000_000  # similarities computed at once (rows per block x papers): 8 MB, and a few copies

_WORD = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)*")
_HYPHEN = re.compile(r"[-\u2010\u2011]")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Za-z0-9]*[A-Z]s")  # LLMs, SSMs, GNNs, LoRAs


LIBRARIES = ("sklearn", "scipy")  # what fitting loads; `load_libraries` imports all of it


def load_libraries() -> None:
    """Import what fitting needs: about a second, most of it scikit-learn importing SciPy."""
    import sklearn.decomposition
    import sklearn.feature_extraction.text
    import sklearn.linear_model
    import sklearn.manifold
    import sklearn.preprocessing  # noqa: F401 - imported to be loaded, not used here


def learning_helper() -> Helper:
    """Start a helper process loading scikit-learn, in case this build must fit the models.

    Whether it must is known only once the content is read, and the import alone takes about
    a second: started first, the helper loads it on another core meanwhile. Under `sitegen
    serve`, the helper is a child of its warm fitter, with scikit-learn loaded already.
    """
    from sitegen.parallel import Helper
    from sitegen.warm import connect

    return Helper(load_libraries, modules=LIBRARIES, warm=connect())


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


def paper_terms(paper: Paper, stop_words: frozenset[str] = frozenset()) -> list[str]:
    """Return the terms of a paper: its title's TITLE_WEIGHT times, then its abstract's."""
    return tokenize(paper.title, stop_words) * TITLE_WEIGHT + tokenize(paper.abstract, stop_words)


@dataclass
class Features:
    """TF-IDF rows of the papers (in catalog order) and the term of each column."""

    matrix: csr_matrix
    terms: np.ndarray


def features(papers: Sequence[Paper]) -> Features:
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


# ---- Themes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingSet:
    """One row per curated placement: a paper in two themes teaches both."""

    rows: tuple[int, ...]
    labels: tuple[str, ...]


def training_set(papers: Sequence[Paper], curation: Curation, among: Sequence[int] | None = None) -> TrainingSet:
    rows, labels = [], []
    for index in range(len(papers)) if among is None else among:
        for slug in curation.themes_of(papers[index].id):
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


# ---- The whole step -----------------------------------------------------------------------


def learn(catalog: Catalog, curation: Curation, cache: Cache | None = None) -> Learning:
    """Fit everything and return what the site shows; deterministic for given inputs."""
    *_, whole = learn_in_parts(catalog, curation, cache)
    return whole


def learn_in_parts(catalog: Catalog, curation: Curation, cache: Cache | None = None) -> Iterator[Learning]:
    """Yield the learning twice: first without the map's positions, then whole (both whole
    when the map comes from the cache).

    Laying out the map (t-SNE) is the slowest part of a fit, and only the map page shows it:
    a build renders every other page while it is made.

    Two parts are cached, each under a hash of exactly what it reads: related papers and the
    map read only the papers' text; suggested themes and keywords read the curated
    placements too. A curation edit refits only the classifier, on cached features.
    """
    cache = cache or Cache(None)
    papers = catalog.papers
    if not papers:
        yield Learning()
        yield Learning()
        return
    text_key, themes_key = learning_keys(catalog, curation)
    found: list[Features] = []

    def features_once() -> Features:
        if not found:
            known = cache.load("features", text_key)
            found.append(known if isinstance(known, Features) else features(papers))
            if not isinstance(known, Features):
                cache.store("features", text_key, found[0])
        return found[0]

    text = cache.load("learning-text", text_key)
    related = text.related if isinstance(text, TextLearning) else related_papers(papers, features_once().matrix)
    themes = cache.load("learning-themes", themes_key)
    if not isinstance(themes, ThemeLearning):
        themes = theme_learning(papers, curation, features_once)
        cache.store("learning-themes", themes_key, themes)
    if not isinstance(text, TextLearning):
        yield combined(TextLearning(related=related, positions=()), themes)
        text = TextLearning(related=related, positions=paper_positions(papers, features_once().matrix))
        cache.store("learning-text", text_key, text)
    else:
        yield combined(text, themes)
    yield combined(text, themes)


def learning_keys(catalog: Catalog, curation: Curation) -> tuple[str, str]:
    """Return the cache keys of the two parts: the papers' text, and that plus the placements."""
    text_key = content_hash("papers' text", *(part for paper in catalog.papers
                                              for part in (paper.id, paper.title, paper.abstract)))
    themes_key = content_hash(
        text_key, *(f"{paper.id}\x1f{'|'.join(curation.themes_of(paper.id))}" for paper in catalog.papers),
        *(theme.slug for theme in curation.themes),
    )
    return text_key, themes_key


def known_learning(catalog: Catalog, curation: Curation, cache: Cache) -> Learning | None:
    """Return the learning from the cache when both parts are there, without fitting anything."""
    if not catalog.papers:
        return Learning()
    text_key, themes_key = learning_keys(catalog, curation)
    text, themes = cache.load("learning-text", text_key), cache.load("learning-themes", themes_key)
    if isinstance(text, TextLearning) and isinstance(themes, ThemeLearning):
        return combined(text, themes)
    return None


@dataclass(frozen=True)
class TextLearning:
    """What the papers' text alone decides: related papers and the map."""

    related: tuple[tuple[str, tuple[str, ...]], ...]
    positions: tuple[tuple[str, tuple[float, float]], ...]


@dataclass(frozen=True)
class ThemeLearning:
    """What the curated placements decide: themes suggested for the others, theme keywords."""

    suggested_themes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    keywords: tuple[tuple[str, tuple[str, ...]], ...]


def combined(text: TextLearning, themes: ThemeLearning) -> Learning:
    return Learning(related=text.related, suggested_themes=themes.suggested_themes,
                    keywords=themes.keywords, positions=text.positions)


def related_papers(papers: Sequence[Paper], matrix: csr_matrix) -> tuple[tuple[str, tuple[str, ...]], ...]:
    neighbours, similarities = nearest(matrix, RELATED_COUNT)
    return tuple(
        (paper.id, tuple(papers[j].id for j, score in zip(neighbours[i], similarities[i], strict=True) if score > 0))
        for i, paper in enumerate(papers)
    )


def paper_positions(papers: Sequence[Paper], matrix: csr_matrix) -> tuple[tuple[str, tuple[float, float]], ...]:
    positions = map_positions(matrix)
    return tuple((paper.id, (float(positions[i][0]), float(positions[i][1]))) for i, paper in enumerate(papers))


def theme_learning(papers: Sequence[Paper], curation: Curation, features_of: Callable[[], Features]) -> ThemeLearning:
    training = training_set(papers, curation)
    suggested: list[tuple[str, tuple[tuple[str, float], ...]]] = []
    keywords: dict[str, tuple[str, ...]] = {}
    if len(set(training.labels)) >= 2:
        found = features_of()
        classifier = fit_classifier(found.matrix, training)
        uncurated = [i for i, paper in enumerate(papers) if not curation.themes_of(paper.id)]
        if uncurated:
            probabilities = classifier.predict_proba(found.matrix[uncurated])
            for row, i in enumerate(uncurated):
                suggested.append((papers[i].id, best_themes(classifier.classes_, probabilities[row])))
        keywords = theme_keywords(found.matrix, found.terms, training)
    return ThemeLearning(
        suggested_themes=tuple(suggested),
        keywords=tuple((theme.slug, keywords.get(theme.slug, ())) for theme in curation.themes),
    )


def best_themes(classes: Sequence[str], probabilities: Sequence[float], count: int = SUGGESTED_COUNT) -> tuple[tuple[str, float], ...]:
    order = sorted(range(len(classes)), key=lambda k: (-probabilities[k], classes[k]))[:count]
    return tuple((str(classes[k]), round(float(probabilities[k]), 3)) for k in order)


# ---- For curators: suggestions and an honest evaluation ------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """What the machine suggests for one uncurated paper, with the evidence."""

    paper: Paper
    themes: tuple[tuple[str, float], ...]  # best first
    terms: tuple[str, ...]  # the paper's terms that drove the best theme
    tags: tuple[tuple[str, float], ...]  # tags of the most similar curated papers, with their share


def suggestions(catalog: Catalog, curation: Curation, threshold: float) -> list[Suggestion]:
    """Return a suggestion for each uncurated paper whose best theme reaches `threshold`."""
    papers = catalog.papers
    training = training_set(papers, curation)
    if len(set(training.labels)) < 2:
        return []
    found = features(papers)
    classifier = fit_classifier(found.matrix, training)
    uncurated = [i for i, paper in enumerate(papers) if not curation.themes_of(paper.id)]
    if not uncurated:
        return []
    probabilities = classifier.predict_proba(found.matrix[uncurated])
    curated = sorted(set(training.rows))
    neighbours, similarities = nearest(found.matrix, TAG_NEIGHBOURS, candidates=curated)
    result = []
    for row, i in enumerate(uncurated):
        themes = best_themes(classifier.classes_, probabilities[row])
        if themes[0][1] < threshold:
            continue
        terms = driving_terms(classifier, found.matrix[i], themes[0][0], found.terms)
        tags = suggested_tags(curation, [papers[j].id for j in neighbours[i]], similarities[i])
        result.append(Suggestion(paper=papers[i], themes=themes, terms=terms, tags=tags))
    return result


def suggested_tags(curation: Curation, neighbour_ids: Sequence[str], similarities: Sequence[float]) -> tuple[tuple[str, float], ...]:
    """Vote the neighbours' tags by similarity; keep those with at least TAG_THRESHOLD of the votes."""
    weights = [max(float(s), 0.0) for s in similarities]
    total = sum(weights)
    if total <= 0:
        return ()
    votes: dict[str, float] = {}
    for paper_id, weight in zip(neighbour_ids, weights, strict=True):
        for tag in curation.notes_of(paper_id).tags:
            votes[tag] = votes.get(tag, 0.0) + weight / total
    ranked = sorted(votes.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple((tag, round(share, 2)) for tag, share in ranked if share >= TAG_THRESHOLD)[:4]


@dataclass(frozen=True)
class Evaluation:
    """Cross-validated quality of the theme classifier on the curated papers."""

    papers: int
    themes: int
    folds: int
    accuracy: float  # the best theme is one of the paper's curated themes
    top3: float  # one of the three best is
    macro_f1: float
    by_confidence: tuple[tuple[float, float, float], ...]  # (threshold, share of papers, accuracy)
    per_theme: tuple[tuple[str, float, int], ...]  # (theme, F1, curated papers)


def evaluate(catalog: Catalog, curation: Curation, folds: int = 5) -> Evaluation:
    """Train on all folds but one, predict the held-out curated papers; repeat for each fold."""
    import warnings

    import numpy as np
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    papers = catalog.papers
    curated = [i for i, paper in enumerate(papers) if curation.themes_of(paper.id)]
    primary = [curation.themes_of(papers[i].id)[0] for i in curated]
    if len(set(primary)) < 2 or len(curated) < 2 * folds:
        raise ValueError(f"cross-validation needs two themes and {2 * folds} curated papers")
    matrix = features(papers).matrix
    best: list[str] = []
    in_top3: list[bool] = []
    confidence: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    order: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # themes with fewer papers than folds
        splits = list(splitter.split(np.zeros(len(curated)), primary))
    for train, test in splits:
        classifier = fit_classifier(matrix, training_set(papers, curation, [curated[j] for j in train]))
        probabilities = classifier.predict_proba(matrix[[curated[j] for j in test]])
        for row, j in enumerate(test):
            themes = best_themes(classifier.classes_, probabilities[row])
            best.append(themes[0][0])
            confidence.append(themes[0][1])
            in_top3.append(any(slug in curation.themes_of(papers[curated[j]].id) for slug, _ in themes))
            order.append(curated[j])
    truth = [theme if theme in curation.themes_of(papers[i].id) else curation.themes_of(papers[i].id)[0]
             for theme, i in zip(best, order, strict=True)]
    right = np.array([b == t for b, t in zip(best, truth, strict=True)])
    confidences = np.array(confidence)
    by_confidence = tuple(
        (threshold, float((confidences >= threshold).mean()), float(right[confidences >= threshold].mean()))
        for threshold in (0.0, 0.3, 0.5, 0.7, 0.9) if (confidences >= threshold).any()
    )
    labels = sorted(set(truth) | set(best))
    scores = f1_score(truth, best, labels=labels, average=None, zero_division=0)
    counts = {slug: sum(1 for i in curated if slug in curation.themes_of(papers[i].id)) for slug in labels}
    return Evaluation(
        papers=len(curated),
        themes=len(set(primary)),
        folds=folds,
        accuracy=float(right.mean()),
        top3=float(np.mean(in_top3)),
        macro_f1=float(f1_score(truth, best, average="macro", zero_division=0)),
        by_confidence=by_confidence,
        per_theme=tuple((slug, float(score), counts[slug]) for slug, score in zip(labels, scores, strict=True)),
    )
