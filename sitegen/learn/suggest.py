"""For curators: `sitegen suggest` (YAML ready to paste into curation files) and an honest
evaluation of the theme classifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sitegen.learn.features import features, paper_texts
from sitegen.learn.models import (
    SEED,
    best_themes,
    driving_terms,
    fit_classifier,
    nearest,
    training_set,
)
from sitegen.model import Catalog, Curation, Paper
from sitegen.project import display
from sitegen.read.curation import CURATION_SUFFIX

DEFAULT_THRESHOLD = 0.5
TAG_NEIGHBOURS = 10  # curated papers whose tags vote for an uncurated paper's tags
TAG_THRESHOLD = 0.3  # share of the neighbours' similarity a tag needs to be suggested


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
    themes_of = [curation.themes_of(paper.id) for paper in papers]
    training = training_set(themes_of)
    if len(set(training.labels)) < 2:
        return []
    found = features(paper_texts(papers))
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
    matrix = features(paper_texts(papers)).matrix
    themes_of = [curation.themes_of(paper.id) for paper in papers]
    best: list[str] = []
    in_top3: list[bool] = []
    confidence: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    order: list[int] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # themes with fewer papers than folds
        splits = list(splitter.split(np.zeros(len(curated)), primary))
    for train, test in splits:
        classifier = fit_classifier(matrix, training_set(themes_of, [curated[j] for j in train]))
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


def suggestions_yaml(suggestions: Sequence[Suggestion], curation: Curation, content: Path, threshold: float) -> str:
    """Return the suggestions grouped by theme file, each block ready to append to its file.

    Every entry carries its confidence and the terms that drove it as comments; the tags are
    those of the most similar curated papers. A theme without a curation file gets a whole file.
    """
    count = f"{len(suggestions)} uncurated paper{'' if len(suggestions) == 1 else 's'}"
    lines = [
        f"# sitegen suggest: {count} whose best theme has a confidence of at least {threshold:.2f}.",
        "# Append each block to the end of the file it names (it continues the `papers:` list),",
        "# read the papers, keep what is right, then run `sitegen check`.",
    ]
    if not suggestions:
        lines.append("# Nothing to suggest: lower --threshold to see less confident suggestions.")
    titles = {theme.slug: theme.title for theme in curation.themes}
    for theme in curation.themes:
        chosen = [s for s in suggestions if s.themes[0][0] == theme.slug]
        if not chosen:
            continue
        path = content / "curation" / f"{theme.slug}{CURATION_SUFFIX}"
        lines += ["", f"# ---- {display(path)} ({titles[theme.slug]})"]
        if not path.exists():
            lines += ["# (a new file)", "papers:"]
        for suggestion in chosen:
            lines += entry_lines(suggestion)
    return "\n".join(lines) + "\n"


def entry_lines(suggestion: Suggestion) -> list[str]:
    confidence = suggestion.themes[0][1]
    others = ", ".join(f"{other} {p:.2f}" for other, p in suggestion.themes[1:])
    lines = [
        f"  # {_comment(suggestion.paper.title)}",
        f"  # confidence {confidence:.2f}" + (f" (next: {others})" if others else "")
        + (f"; terms: {', '.join(suggestion.terms)}" if suggestion.terms else ""),
        f"  - id: {suggestion.paper.id}",
    ]
    if suggestion.tags:
        shares = ", ".join(f"{tag} {share:.2f}" for tag, share in suggestion.tags)
        lines.append(f"    tags: [{', '.join(tag for tag, _ in suggestion.tags)}]  # from similar curated papers: {shares}")
    return lines


def _comment(text: str) -> str:
    return " ".join(text.split())


def evaluation_report(evaluation: Evaluation) -> str:
    """Return the cross-validation figures as a short report for the terminal."""
    setting = f"{evaluation.folds}-fold cross-validation on {evaluation.papers} curated papers"
    lines = [
        f"Theme classifier, {setting} in {evaluation.themes} themes:",
        f"  accuracy  {evaluation.accuracy:.3f}  (the best theme is one of the paper's curated themes)",
        f"  top-3     {evaluation.top3:.3f}  (one of the three best is)",
        f"  macro-F1  {evaluation.macro_f1:.3f}",
        "How often the best theme is right, by its confidence:",
    ]
    for threshold, share, accuracy in evaluation.by_confidence:
        lines.append(f"  confidence >= {threshold:.1f}: {share:6.1%} of the papers, {accuracy:6.1%} right")
    lines.append("Per theme (F1, curated papers), weakest first:")
    for slug, f1, count in sorted(evaluation.per_theme, key=lambda item: (item[1], item[0])):
        lines.append(f"  {f1:.2f}  {count:4d}  {slug}")
    return "\n".join(lines) + "\n"
