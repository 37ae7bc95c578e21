"""What `sitegen suggest` prints: YAML ready to paste into curation files, and an evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sitegen.curation import CURATION_SUFFIX
from sitegen.learning import Evaluation, Suggestion
from sitegen.model import Curation
from sitegen.project import display

DEFAULT_THRESHOLD = 0.5


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
