"""Themes, tags and placements from the curators' YAML, with every mistake located and explained.

The files, each checked against its schema in `sitegen/schemas/` by editors and here:
- `content/themes.yaml`: the themes in reading order (slug, title, Markdown description);
- `content/tags.yaml`: the tag vocabulary, each tag with a one-line description;
- `content/curation/<theme>.yaml`: the papers of one theme in reading order, each with
  the day it was added, optional start_here, tags, a Markdown note and an arXiv id. One file per theme, so two
  curators working on different themes never touch the same lines.

`load_curation` reports every problem of every file in one pass and returns the curation
built from what is valid; the caller decides whether errors stop it.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import functools
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sitegen.errors import Problem, Severity
from sitegen.model import Catalog, Curation, Paper, PaperNotes, Placement, Tag, Theme
from sitegen.project import display
from sitegen.read.catalog import slugify
from sitegen.read.files import Files
from sitegen.read.yamlfile import bool_of, closest, describe, did_you_mean, problem, text_of, where

THEMES_FILE = "themes.yaml"
TAGS_FILE = "tags.yaml"
CURATION_FOLDER = "curation"
CURATION_SUFFIX = ".yaml"
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# New-style ids (2312.00752, five digits since 2015) and old-style ones (hep-th/9901001),
# each with an optional version; the same patterns are in curation.schema.json.
ARXIV = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
ARXIV_INSIDE = re.compile(r"\d{4}\.\d{4,5}(?:v\d+)?")
MIN_THEME_PAPERS = 3
THEME_KEYS = ("slug", "title", "description")
ENTRY_KEYS = ("id", "added", "start_here", "tags", "note", "arxiv")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
ADDED_HINT = "write the day the paper joins the list, like added: 2026-12-02; the feeds list papers by it"
PAPERS_HINT = "find ids with 'sitegen papers --json' or at the end of a paper page's address"


def load_curation(files: Files, catalog: Catalog) -> tuple[Curation, list[Problem]]:
    """Read and check the curation of a content folder; return it with every problem found.

    A content folder with no curation at all (no themes.yaml, tags.yaml or curation/) is an
    uncurated reading list, not a mistake.
    """
    content = files.project.content
    themes_path, tags_path = content / THEMES_FILE, content / TAGS_FILE
    folder = content / CURATION_FOLDER
    if not (themes_path.exists() or tags_path.exists() or folder.exists()):
        return Curation(), []
    problems: list[Problem] = []
    themes, theme_slugs = read_themes(files, themes_path, problems)
    tags, tag_slugs = read_tags(files, tags_path, problems)
    reader = PlacementReader(files=files, themes=theme_slugs, vocabulary=tag_slugs, papers=catalog.papers,
                             problems=problems)
    for path in curation_files(folder, [theme.slug for theme, _ in themes], problems):
        reader.read_file(path)
    if not any(problem.is_error for problem in problems):
        # Counts are only meaningful once every entry is valid: a mistyped id would
        # otherwise also make its theme look thin and its tags look unused.
        problems.extend(reader.warnings(themes, tags, display(themes_path), display(tags_path)))
    curation = Curation(
        themes=tuple(theme for theme, _ in themes),
        tags=tuple(tag for tag, _ in tags),
        placements=tuple(reader.placements),
        notes=reader.notes(),
    )
    return curation, sorted(problems)


def curation_files(folder: Path, theme_order: list[str], problems: list[Problem]) -> list[Path]:
    """Return the curation files in the themes' reading order, then any others by name."""
    if not folder.is_dir():
        return []
    for path in sorted(folder.glob("*.yml")):
        problems.append(Problem(display(path), 0, 0, "a curation file must end in .yaml, so this one is not read",
                                f"rename it to {path.stem}{CURATION_SUFFIX}"))
    paths = sorted(folder.glob(f"*{CURATION_SUFFIX}"))
    rank = {slug: index for index, slug in enumerate(theme_order)}
    return sorted(paths, key=lambda path: (rank.get(path.stem, len(rank)), path.name))


@dataclass
class Checker:
    """Checks the nodes of one file, adding a located problem for each mistake."""

    name: str
    problems: list[Problem]

    def error(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(problem(self.name, node, message, hint))

    def warning(self, node: yaml.Node | None, message: str, hint: str = "") -> None:
        self.problems.append(problem(self.name, node, message, hint, Severity.WARNING))

    def fields(self, node: yaml.Node | None, what: str, allowed: tuple[str, ...],
               required: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """Return a mapping's values by key; unknown keys and missing required keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of keys to values, not {describe(node)}",
                       f"write it as '{allowed[0]}: ...'")
            return None
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = text_of(key_node)
            if key not in allowed:
                close = did_you_mean(str(key_node.value), allowed, count=1)
                keys = f"the keys are {', '.join(allowed)}"
                self.error(key_node, f"unknown key {key_node.value!r} in {what}",
                           f"{close} {keys}" if close else keys)
            elif key not in found:  # a key given twice is reported by read_yaml
                found[key] = value_node
        for key in required:
            if key not in found:
                self.error(node, f"{what} has no {key!r}", f"add '{key}: ...'")
        return found

    def text(self, node: yaml.Node | None, what: str, hint: str) -> str | None:
        """Return non-blank text, or None after reporting what the node holds instead."""
        value = text_of(node)
        if value is None:
            self.error(node, f"{what} must be text, not {describe(node)}", hint)
            return None
        if not value.strip():
            self.error(node, f"{what} is empty", hint)
            return None
        return value

    def slug(self, node: yaml.Node | None, what: str) -> str | None:
        value = self.text(node, what, "use lowercase letters, digits and hyphens")
        if value is None:
            return None
        if not SLUG.fullmatch(value):
            suggestion = slugify(value)
            self.error(node, f"{what} {value!r} is not a slug",
                       f"use lowercase letters, digits and hyphens, like {suggestion!r}"
                       if suggestion else "use lowercase letters, digits and hyphens")
            return None
        return value

    def items(self, node: yaml.Node | None, key: str, example: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{key!r} must be a list, not {describe(node)}", f"write it as {example}")
            return []
        return list(node.value)


def read_document(files: Files, path: Path, problems: list[Problem], key: str,
                  what: str) -> tuple[Checker, yaml.Node | None]:
    """Read a file whose only key is `key`; return its checker and the value of that key."""
    name = display(path)
    checker = Checker(name, problems)
    if not path.exists() and not path.is_symlink():
        problems.append(Problem(name, 0, 0, f"the {what} file is missing",
                                f"create it with a '{key}:' key; see CONTRIBUTING.md"))
        return checker, None
    document, found = files.yaml(path, name)
    problems.extend(found)
    if document is None:
        return checker, None
    fields = checker.fields(document.root, "the file", (key,), (key,))
    return checker, (fields or {}).get(key)


Known = dict[str, yaml.Node] | None  # slugs defined in a file; None when it could not be read


def read_themes(files: Files, path: Path, problems: list[Problem]) -> tuple[list[tuple[Theme, yaml.Node]], Known]:
    """Read content/themes.yaml: each valid theme with its node, and every slug it defines.

    A theme with a mistake in its title still defines its slug, so that its curation file is
    not reported as well: one mistake, one message.
    """
    check, node = read_document(files, path, problems, "themes", "themes")
    if node is None:
        return [], None
    themes: list[tuple[Theme, yaml.Node]] = []
    seen: dict[str, yaml.Node] = {}
    items = check.items(node, "themes", "a list of '- slug: ...' entries")
    if isinstance(node, yaml.SequenceNode) and not items:
        check.error(node, "'themes' is empty", "add at least one theme")
    for item in items:
        fields = check.fields(item, "a theme", THEME_KEYS, THEME_KEYS)
        if fields is None:
            continue
        slug = check.slug(fields["slug"], "the theme's slug") if "slug" in fields else None
        title = check.text(fields["title"], "the theme's title", "give the theme a short title") \
            if "title" in fields else None
        description = check.text(
            fields["description"], "the theme's description",
            "write a few sentences of Markdown for readers: what the theme covers and where to start",
        ) if "description" in fields else None
        if slug is not None and slug in seen:
            check.error(fields["slug"], f"the theme {slug!r} is defined twice",
                        f"the first is on line {where(seen[slug])[0]}; give each theme its own slug")
            continue
        if slug is not None:
            seen[slug] = item
        if slug is not None and title is not None and description is not None:
            themes.append((Theme(slug, title.strip(), description.strip()), item))
    return themes, seen


def read_tags(files: Files, path: Path, problems: list[Problem]) -> tuple[list[tuple[Tag, yaml.Node]], Known]:
    """Read content/tags.yaml: each valid tag with its key's node, and every tag it defines."""
    check, node = read_document(files, path, problems, "tags", "tag vocabulary")
    if node is None:
        return [], None
    if not isinstance(node, yaml.MappingNode):
        check.error(node, f"'tags' must be a mapping of tags to descriptions, not {describe(node)}",
                    "write each tag on its own line as 'tag-name: what it means'")
        return [], None
    tags: list[tuple[Tag, yaml.Node]] = []
    seen: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        slug = check.slug(key_node, "the tag")
        description = check.text(value_node, f"the description of tag {key_node.value!r}",
                                 "describe the tag in one line")
        if slug is None or slug in seen:
            continue
        seen[slug] = key_node
        if description is None:
            continue
        if "\n" in description.strip():
            check.warning(value_node, f"the description of tag {slug!r} runs over several lines",
                          "keep it to one line: it is shown next to the tag")
        tags.append((Tag(slug, " ".join(description.split())), key_node))
    return tags, seen


@dataclass
class PlacementReader:
    """Reads the curation files one by one, checking each entry against everything known."""

    files: Files
    themes: Known
    vocabulary: Known
    papers: tuple[Paper, ...]
    problems: list[Problem]
    placements: list[Placement] = field(default_factory=list)
    tags_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    note_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (note, where)
    arxiv_of: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (arxiv, where)
    paper_of_arxiv: dict[str, str] = field(default_factory=dict)
    used_tags: set[str] = field(default_factory=set)
    not_on_arxiv: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ids = {paper.id for paper in self.papers}

    def read_file(self, path: Path) -> None:
        check, node = read_document(self.files, path, self.problems, "papers", "curation")
        theme = path.stem
        known_theme = self.themes is None or theme in self.themes
        if self.themes is not None and not known_theme:
            close = did_you_mean(theme, list(self.themes), count=1)
            check.error(None, f"the file name {theme!r} is not a theme of content/{THEMES_FILE}",
                        f"{close} a curation file is named after its theme's slug" if close
                        else f"add the theme to content/{THEMES_FILE} or rename the file after a theme's slug")
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return  # 'papers:' with nothing after it: a theme not curated yet
        listed: dict[str, yaml.Node] = {}
        after_others: yaml.Node | None = None
        for item in check.items(node, "papers", "a list of '- id: ...' entries"):
            entry = self.read_entry(check, item, listed)
            if entry is None:
                continue
            listed[entry.paper_id] = item
            if entry.start_here and after_others is not None:
                check.warning(item, "a start_here paper comes after papers that are not",
                              f"the theme page shows it first anyway; move it above line {where(after_others)[0]}")
            if not entry.start_here and after_others is None:
                after_others = item
            if known_theme:
                self.placements.append(dataclasses.replace(entry, theme=theme))

    def read_entry(self, check: Checker, item: yaml.Node, listed: dict[str, yaml.Node]) -> Placement | None:
        fields = check.fields(item, "a paper entry", ENTRY_KEYS, ("id",))
        if fields is None:
            return None
        paper_id = self.paper_id(check, fields["id"]) if "id" in fields else None
        start_here = False
        if "start_here" in fields:
            value = bool_of(fields["start_here"])
            if value is None:
                check.error(fields["start_here"], f"'start_here' must be true or false, not {describe(fields['start_here'])}",
                            "write start_here: true, or remove the line")
            start_here = bool(value)
        added = self.added(check, fields["added"]) if "added" in fields else None
        tags = self.tags(check, fields["tags"]) if "tags" in fields else []
        note = check.text(fields["note"], "the note", "write a few sentences of Markdown, or remove the note") \
            if "note" in fields else None
        not_on_arxiv = "arxiv" in fields and bool_of(fields["arxiv"]) is False
        arxiv = self.arxiv(check, fields["arxiv"]) if "arxiv" in fields and not not_on_arxiv else None
        if paper_id is None:
            return None
        if paper_id in listed:
            check.error(fields["id"], f"the paper {paper_id!r} is listed twice in this theme",
                        f"it is already on line {where(listed[paper_id])[0]}; remove one of them")
            return None
        if "added" not in fields:
            check.warning(fields["id"], "this paper has no 'added' date", ADDED_HINT)
        here = f"{check.name}:{where(item)[0]}"
        self.tags_of[paper_id].extend(tag for tag in tags if tag not in self.tags_of[paper_id])
        if note is not None:
            self.keep_once(check, fields["note"], paper_id, "note", self.note_of, note.strip(), here)
        if arxiv is not None:
            self.keep_arxiv(check, fields["arxiv"], paper_id, arxiv, here)
        if not_on_arxiv:
            self.not_on_arxiv.add(paper_id)
        return Placement(paper_id, "", start_here, added)

    def added(self, check: Checker, node: yaml.Node) -> str | None:
        """Return an entry's day of addition, checked: a real date, written YYYY-MM-DD."""
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, str) and DAY.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                check.error(node, f"'added' is not a day of the calendar: {value.strip()}", ADDED_HINT)
                return None
        check.error(node, f"'added' must be a date written YYYY-MM-DD, not {describe(node)}", ADDED_HINT)
        return None

    def paper_id(self, check: Checker, node: yaml.Node) -> str | None:
        given = check.text(node, "the paper id", PAPERS_HINT)
        if given is None:
            return None
        if given in self.ids:
            return given
        suggestions = self.similar_papers(given)
        close = "did you mean " + " or ".join(repr(s) for s in suggestions) + "? " if suggestions else ""
        check.error(node, f"unknown paper id {given!r}", close + PAPERS_HINT)
        return None

    def similar_papers(self, given: str) -> list[str]:
        """Return ids close to what a curator typed: a mistyped id, a pasted title, a prefix."""
        slug = slugify(given)
        if slug in self.ids:
            return [slug]
        found = self._prefixes(slug) if len(slug) >= 12 else []
        found += closest(slug, self._sorted_ids)
        titles = self._titles
        found += [titles[title] for title in closest(" ".join(given.casefold().split()), list(titles))]
        return list(dict.fromkeys(found))[:3]

    def _prefixes(self, slug: str) -> list[str]:
        """Return the ids that start with the slug (a title cut short) or that the slug starts with."""
        start = bisect.bisect_left(self._sorted_ids, slug)
        longer = itertools.takewhile(lambda pid: pid.startswith(slug), itertools.islice(self._sorted_ids, start, None))
        shorter = [slug[:cut] for cut in range(1, len(slug)) if slug[:cut] in self.ids]
        return sorted([*itertools.islice(longer, 3), *shorter])

    @functools.cached_property
    def _sorted_ids(self) -> list[str]:
        return sorted(self.ids)

    @functools.cached_property
    def _titles(self) -> dict[str, str]:
        return {" ".join(paper.title.casefold().split()): paper.id for paper in self.papers}

    def tags(self, check: Checker, node: yaml.Node) -> list[str]:
        tags: list[str] = []
        for tag_node in check.items(node, "tags", "[tag-one, tag-two]"):
            tag = check.text(tag_node, "a tag", "write tags as [tag-one, tag-two]")
            if tag is None:
                continue
            if self.vocabulary is not None and tag not in self.vocabulary:
                close = did_you_mean(tag, list(self.vocabulary))
                check.error(tag_node, f"unknown tag {tag!r}",
                            f"{close + ' ' if close else ''}the tags are defined in content/{TAGS_FILE}; add it there if it is new")
                continue
            if tag in tags:
                check.error(tag_node, f"the tag {tag!r} is given twice", "remove one of them")
                continue
            tags.append(tag)
            self.used_tags.add(tag)
        return tags

    def arxiv(self, check: Checker, node: yaml.Node) -> str | None:
        value = text_of(node)
        if value is None:
            quoted = f'write it in quotes: arxiv: "{node.value}"' if isinstance(node, yaml.ScalarNode) else \
                'write it in quotes, like arxiv: "2312.00752"'
            check.error(node, f"the arXiv id must be text, not {describe(node)}", quoted)
            return None
        value = value.strip()
        if ARXIV.fullmatch(value):
            return value
        inside = ARXIV_INSIDE.search(value)
        hint = f'write only the id: arxiv: "{inside.group()}"' if inside else \
            'write it like "2312.00752" (or "hep-th/9901001" for old papers), as in the arxiv.org/abs/ address'
        check.error(node, f"{value!r} is not an arXiv id", hint)
        return None

    def keep_once(self, check: Checker, node: yaml.Node, paper_id: str, what: str,
                  kept: dict[str, tuple[str, str]], value: str, here: str) -> None:
        if paper_id in kept:
            check.error(node, f"the paper {paper_id!r} already has a {what} in {kept[paper_id][1]}",
                        f"a paper has one {what}: keep it in one theme file")
            return
        kept[paper_id] = (value, here)

    def keep_arxiv(self, check: Checker, node: yaml.Node, paper_id: str, arxiv: str, here: str) -> None:
        other = self.paper_of_arxiv.get(arxiv)
        if other is not None and other != paper_id:
            check.error(node, f"the arXiv id {arxiv!r} is already given to the paper {other!r}",
                        "each arXiv id belongs to one paper; check which paper this is")
            return
        if paper_id in self.arxiv_of and self.arxiv_of[paper_id][0] == arxiv:
            return  # the same id repeated in a second theme says nothing new
        self.paper_of_arxiv[arxiv] = paper_id
        self.keep_once(check, node, paper_id, "arXiv id", self.arxiv_of, arxiv, here)

    def notes(self) -> tuple[tuple[str, PaperNotes], ...]:
        ids = set(self.tags_of) | set(self.note_of) | set(self.arxiv_of) | self.not_on_arxiv
        return tuple(
            (paper_id, PaperNotes(
                tags=tuple(self.tags_of.get(paper_id, ())),
                note=self.note_of[paper_id][0] if paper_id in self.note_of else None,
                arxiv=self.arxiv_of[paper_id][0] if paper_id in self.arxiv_of else None,
                not_on_arxiv=paper_id in self.not_on_arxiv and paper_id not in self.arxiv_of,
            ))
            for paper_id in sorted(ids)
        )

    def warnings(self, themes: list[tuple[Theme, yaml.Node]], tags: list[tuple[Tag, yaml.Node]],
                 themes_name: str, tags_name: str) -> list[Problem]:
        """Warn of thin themes and unused tags: the site still builds, but reads worse."""
        counts: dict[str, int] = defaultdict(int)
        for placement in self.placements:
            counts[placement.theme] += 1
        found = [
            problem(themes_name, node, f"the theme {theme.slug!r} has {_papers(counts[theme.slug])}",
                    f"themes read best with at least {MIN_THEME_PAPERS}; "
                    f"add papers in content/{CURATION_FOLDER}/{theme.slug}{CURATION_SUFFIX}",
                    Severity.WARNING)
            for theme, node in themes
            if counts[theme.slug] < MIN_THEME_PAPERS
        ]
        found += [
            problem(tags_name, node, f"the tag {tag.slug!r} is not used by any paper",
                    "tag a paper with it or remove it from the vocabulary", Severity.WARNING)
            for tag, node in tags
            if tag.slug not in self.used_tags
        ]
        return found


def _papers(count: int) -> str:
    return "no papers" if count == 0 else f"{count} paper" if count == 1 else f"{count} papers"
