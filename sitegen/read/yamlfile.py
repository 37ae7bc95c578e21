"""YAML files read as node trees that keep the line and column of everything a curator wrote.

PyYAML's `compose` keeps a mark on every node, which plain `safe_load` throws away; every
problem found later in a value can then point at the exact place to fix. Duplicate keys,
which `safe_load` silently resolves to the last one, are reported here as errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import yaml

from sitegen.errors import Problem, Severity

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"

MAX_DEPTH = 100  # levels of nested lists and mappings; far more than any file of sitegen's needs
# libyaml (C) composes the same nodes with the same marks, several times faster.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# PyYAML's own words for the syntax errors curators make most, and what to do about each.
SYNTAX_HINTS = (
    ("cannot start any token", "indent with spaces, never tabs"),
    ("mapping values are not allowed here", "put text that contains ': ' in quotes"),
    ("could not find expected ':'", "every line of a mapping is 'key: value'; check the line above"),
    ("expected <block end>", "check the indentation: items of one list start in the same column"),
    ("did not find expected '-' indicator", "check the indentation: items of one list start in the same column"),
    ("expected a single document", "remove the '---' line: a file holds one document"),
    ("found undefined alias", "remove the '*' or quote the text"),
)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: its name as shown to users and the root of its node tree."""

    name: str
    root: yaml.Node | None


def parse_yaml(text: str, name: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse YAML text; syntax errors keep their position, duplicate keys are problems."""
    try:
        root = _compose(text, name)
    except RecursionError:
        return None, [too_deep(text, name)]
    except _Unreadable as failure:
        return None, [failure.problem]
    depth, mappings = _shape(root)
    if depth > MAX_DEPTH:
        return None, [too_deep(text, name)]
    return YamlDocument(name, root), duplicate_keys(mappings, name)


class _Unreadable(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def _compose(text: str, name: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.YAMLError:
        # libyaml words its errors differently; the pure-Python parser, slower, says them
        # the way the hints expect. Only a broken file pays for parsing twice.
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            raise _Unreadable(syntax_problem(error, name)) from None
        except yaml.YAMLError as error:
            raise _Unreadable(Problem(name, 0, 0, f"invalid YAML: {error}")) from None


def _shape(root: yaml.Node | None) -> tuple[int, list[yaml.MappingNode]]:
    """Return how deep the tree nests (stopping past MAX_DEPTH) and its mappings, each once."""
    deepest, mappings, seen = 0, [], set()
    stack: list[tuple[yaml.Node | None, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if node is None or id(node) in seen:  # aliases share nodes; visit each once
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            mappings.append(node)
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest, mappings
    return deepest, mappings


def too_deep(text: str, name: str) -> Problem:
    """Return where YAML too deeply nested to compose goes deeper than any curation needs.

    Composing is recursive; the parser's events are not, so they find the place.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                return Problem(name, mark.line + 1, mark.column + 1, f"the YAML is nested more than {MAX_DEPTH} levels deep",
                               "a curation file needs three levels: a list of papers, each a mapping with a list of tags")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return Problem(name, 1, 1, "the YAML is nested too deeply to read", "remove the deep nesting")


def syntax_problem(error: yaml.MarkedYAMLError, name: str) -> Problem:
    message = " ".join(filter(None, (error.context, error.problem)))
    hint = next((hint for words, hint in SYNTAX_HINTS if words in message), "")
    mark = error.problem_mark or error.context_mark
    if error.context_mark and error.context in ("while parsing a flow sequence", "while parsing a flow mapping"):
        # An unclosed [ or { is noticed lines later; the bracket itself is what to fix.
        mark = error.context_mark
        closing = "]" if "sequence" in error.context else "}"
        hint = f"close it with '{closing}' on the line it starts on"
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Problem(name, line, column, f"invalid YAML: {message}", hint)


def duplicate_keys(mappings: Iterable[yaml.MappingNode], name: str) -> list[Problem]:
    """Report every key given twice in one mapping."""
    problems: list[Problem] = []
    for mapping in mappings:
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in mapping.value:
            key = str(key_node.value)
            if key in seen:
                line, _column = where(seen[key])
                problems.append(
                    problem(name, key_node, f"the key {key!r} is given twice", f"the first is on line {line}; keep one")
                )
            else:
                seen[key] = key_node
    return problems


def where(node: yaml.Node | None) -> tuple[int, int]:
    """Return the 1-based line and column where a node starts (1, 1 for an empty file)."""
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def problem(
    name: str, node: yaml.Node | None, message: str, hint: str = "", severity: Severity = Severity.ERROR
) -> Problem:
    line, column = where(node)
    return Problem(name, line, column, message, hint, severity)


def describe(node: yaml.Node | None) -> str:
    """Say what a node holds, in a curator's words: "a list", "the number 3", "nothing"."""
    if node is None:
        return "nothing"
    if isinstance(node, yaml.MappingNode):
        return "a mapping of keys to values"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "nothing"
    if node.tag == BOOL:
        return f"the value {node.value}"
    if node.tag in (INT, FLOAT):
        return f"the number {node.value}"
    return f"the text {node.value!r}"


def text_of(node: yaml.Node | None) -> str | None:
    """Return a node's text if it is a string scalar, else None."""
    if isinstance(node, yaml.ScalarNode) and node.tag == STR:
        return str(node.value)
    return None


def bool_of(node: yaml.Node | None) -> bool | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
        return bool(yaml.safe_load(node.value))
    return None


def closest(word: str, candidates: Sequence[str], count: int = 3) -> list[str]:
    """Return the candidates most like `word`, best first (similarity of at least 60%).

    rapidfuzz's Indel ratio is difflib's ratio computed in C++: fast enough to suggest an id
    among 100,000 papers.
    """
    from rapidfuzz import fuzz, process

    found = process.extract(word, candidates, scorer=fuzz.ratio, limit=count, score_cutoff=60)
    return [str(choice) for choice, _, _ in found]


def did_you_mean(word: str, candidates: Sequence[str], count: int = 3) -> str:
    """Return "did you mean 'x'?" for the closest candidates, or "" when none is close."""
    close = closest(word, candidates, count)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"
