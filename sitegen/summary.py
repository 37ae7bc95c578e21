"""What a pull request changes in the reading list, as Markdown for the job summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sitegen.errors import Problem
from sitegen.model import Catalog, Curation


@dataclass(frozen=True)
class Counts:
    """The figures a reviewer compares between the base branch and a pull request."""

    papers: int
    curated: int
    themes: int
    tags: int
    placements: int
    notes: int
    arxiv_ids: int
    per_theme: tuple[tuple[str, int], ...] = field(default=())

    def rows(self) -> tuple[tuple[str, int], ...]:
        return (
            ("Papers", self.papers),
            ("Papers placed by curators", self.curated),
            ("Themes", self.themes),
            ("Tags", self.tags),
            ("Placements in themes", self.placements),
            ("Curator's notes", self.notes),
            ("arXiv ids", self.arxiv_ids),
        )


def count(catalog: Catalog, curation: Curation) -> Counts:
    per_theme = Counter(placement.theme for placement in curation.placements)
    return Counts(
        papers=len(catalog.papers),
        curated=len({placement.paper_id for placement in curation.placements}),
        themes=len(curation.themes),
        tags=len(curation.tags),
        placements=len(curation.placements),
        notes=sum(1 for _, notes in curation.notes if notes.note),
        arxiv_ids=sum(1 for _, notes in curation.notes if notes.arxiv),
        per_theme=tuple((theme.slug, per_theme[theme.slug]) for theme in curation.themes),
    )


def summary_markdown(counts: Counts, base: Counts | None, problems: list[Problem]) -> str:
    """Return the job summary: the counts, what changed against the base, and every problem."""
    errors = [problem for problem in problems if problem.is_error]
    warnings = [problem for problem in problems if not problem.is_error]
    verdict = (
        f"❌ {len(errors)} error{'s' if len(errors) != 1 else ''}: the site cannot be built"
        if errors
        else "✅ The curation is valid"
    )
    lines = ["## Reading list", "", verdict + ".", ""]
    if base is None:
        lines += ["| | count |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in counts.rows()]
    else:
        lines += ["| | base | this change | difference |", "|---|---:|---:|---:|"]
        lines += [
            f"| {name} | {old} | {new} | {_difference(new - old)} |"
            for (name, new), (_, old) in zip(counts.rows(), base.rows(), strict=True)
        ]
        lines += _theme_changes(counts, base)
    for title, found in (("Errors", errors), ("Warnings", warnings)):
        if found:
            lines += ["", f"### {title}", ""]
            lines += [f"- `{problem.format()}`" for problem in found]
    return "\n".join(lines) + "\n"


def _theme_changes(counts: Counts, base: Counts) -> list[str]:
    before, after = dict(base.per_theme), dict(counts.per_theme)
    changed = [
        (slug, before.get(slug), after.get(slug))
        for slug in [*after, *(slug for slug in before if slug not in after)]
        if before.get(slug) != after.get(slug)
    ]
    if not changed:
        return []
    lines = ["", "### Papers per theme", "", "| theme | base | this change |", "|---|---:|---:|"]
    lines += [f"| `{slug}` | {_or_new(old)} | {_or_new(new, 'removed')} |" for slug, old, new in changed]
    return lines


def _difference(delta: int) -> str:
    return f"+{delta}" if delta > 0 else str(delta) if delta < 0 else "·"


def _or_new(value: int | None, missing: str = "new") -> str:
    return missing if value is None else str(value)
