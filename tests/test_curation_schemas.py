"""The JSON Schemas editors use agree with `sitegen check`, and the shipped curation passes both."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from sitegen.read.catalog import load_catalog
from sitegen.cli import main
from sitegen.read.curation import load_curation

from .conftest import CONTENT, REPO, files_for
from .test_curation import ATTENTION, TAGS, THEMES, content  # noqa: F401  (the fixture)

SCHEMAS = REPO / "sitegen" / "schemas"
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)")

# Mistakes of shape, which an editor can flag as the curator types: (file, its whole text).
MISTAKES = {
    "theme without a title": ("themes.yaml", "themes:\n  - slug: attention\n    description: D.\n"),
    "unknown key in a theme": ("themes.yaml", "themes:\n  - slug: attention\n    title: A\n    description: D.\n    colour: red\n"),
    "theme slug with capitals": ("themes.yaml", "themes:\n  - slug: Attention\n    title: A\n    description: D.\n"),
    "blank theme description": ("themes.yaml", "themes:\n  - slug: attention\n    title: A\n    description: ' '\n"),
    "title as a number": ("themes.yaml", "themes:\n  - slug: attention\n    title: 42\n    description: D.\n"),
    "themes as a mapping": ("themes.yaml", "themes:\n  attention: Attention\n"),
    "no themes at all": ("themes.yaml", "themes: []\n"),
    "unknown top-level key": ("themes.yaml", "themes:\n  - slug: attention\n    title: A\n    description: D.\nthemez: []\n"),
    "tag with capitals": ("tags.yaml", "tags:\n  Attention: Attention.\n  ssm: S.\n  code: C.\n"),
    "empty tag description": ("tags.yaml", "tags:\n  attention: ''\n  ssm: S.\n  code: C.\n"),
    "tag description as a list": ("tags.yaml", "tags:\n  attention: [a, b]\n  ssm: S.\n  code: C.\n"),
    "tags as a list": ("tags.yaml", "tags:\n  - attention\n  - ssm\n"),
    "unknown key in a paper entry": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    start-here: true\n"),
    "paper entry without an id": ("curation/attention.yaml", "papers:\n  - tags: [attention]\n"),
    "paper entry as a bare id": ("curation/attention.yaml", "papers:\n  - beta-state-spaces\n"),
    "start_here as text": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    start_here: maybe\n"),
    "tags as text": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    tags: attention\n"),
    "a tag twice": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    tags: [ssm, ssm]\n"),
    "empty note": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    note: ''\n"),
    "arXiv id as a number": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    arxiv: 2401.10100\n"),
    "arXiv id with a prefix": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    arxiv: 'arXiv:2401.10100'\n"),
    "added as a word": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    added: yesterday\n"),
    "added as no day of the calendar": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    added: 2026-02-30\n"),
    "arXiv id too short": ("curation/attention.yaml", "papers:\n  - id: beta-state-spaces\n    arxiv: '2401.101'\n"),
}


def schema_for(path: Path) -> dict:
    match = SCHEMA_LINE.fullmatch(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path} does not name its schema on its first line"
    if path.resolve().is_relative_to(REPO):  # fixtures elsewhere name the schema the same way
        assert (path.parent / match.group(1)).resolve().parent == SCHEMAS, f"{path} names {match.group(1)}"
    return json.loads((SCHEMAS / Path(match.group(1)).name).read_text(encoding="utf-8"))


class EditorLoader(yaml.SafeLoader):
    """YAML as editors read it (YAML 1.2, yaml-language-server): `added: 2026-11-23` is a string."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema_errors(schema: dict, text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(yaml.load(text, Loader=EditorLoader))]


def test_the_schemas_are_valid_draft_2020_12_schemas():
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_schema_rejects_what_the_validator_rejects(mistake, content):  # noqa: F811
    name, text = MISTAKES[mistake]
    path = content / name
    path.write_text(schema_line_of(path) + text, encoding="utf-8")
    catalog, _ = load_catalog(files_for(content), sorted((content / "sources").glob("*.txt")))
    errors = [p for p in load_curation(files_for(content), catalog)[1] if p.is_error]
    assert errors, f"sitegen check accepts the {mistake}"
    assert schema_errors(schema_for(path), text), f"the schema accepts the {mistake}"


def schema_line_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[0] + "\n"


def test_the_valid_fixture_passes_its_schemas(content):  # noqa: F811
    for name, text in (("themes.yaml", THEMES), ("tags.yaml", TAGS), ("curation/attention.yaml", ATTENTION)):
        assert schema_errors(schema_for(content / name), text) == []


def test_every_shipped_curation_file_names_its_schema_and_passes_it():
    files = [CONTENT / "themes.yaml", CONTENT / "tags.yaml", *sorted((CONTENT / "curation").glob("*.yaml"))]
    assert len(files) > 12
    for path in files:
        assert schema_errors(schema_for(path), path.read_text(encoding="utf-8")) == [], path


def test_the_shipped_content_passes_sitegen_check_without_warnings(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert re.fullmatch(r"Checked 550 papers, \d+ themes, \d+ tags and \d+ placements: no problems.\n", out)


def test_the_shipped_curation_is_a_real_first_pass():
    catalog, _ = load_catalog(files_for(CONTENT), sorted((CONTENT / "sources").glob("*.txt")))
    curation, _ = load_curation(files_for(CONTENT), catalog)
    per_theme = {theme.slug: 0 for theme in curation.themes}
    for placement in curation.placements:
        per_theme[placement.theme] += 1
    assert len(curation.themes) >= 12
    assert min(per_theme.values()) >= 8, per_theme
    assert len({placement.paper_id for placement in curation.placements}) >= 200
    assert 30 <= len(curation.tags) <= 80
    assert all(len(theme.description.split()) >= 40 for theme in curation.themes)


def test_the_worked_example_of_contributing_md_prints_what_the_guide_shows(tmp_path, capsys, monkeypatch):
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    target, edit = re.search(r"<!-- example-edit: (\S+) -->\n```yaml\n(.*?)```", guide, re.DOTALL).groups()
    shown = re.search(r"<!-- example-output -->\n```text\n(.*?)```", guide, re.DOTALL).group(1).splitlines()
    fixed_id, fixed_tags = re.findall(r"^\+  - id: (\S+)\n\+    tags: (.*)$", guide, re.MULTILINE)[0]
    shutil.copytree(CONTENT, tmp_path / "content")
    monkeypatch.chdir(tmp_path)
    with open(target, "a", encoding="utf-8") as file:
        file.write(edit)
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    # Line numbers move as curators edit the file; the messages must not.
    def without_lines(lines: list[str]) -> list[str]:
        return [re.sub(r":\d+:\d+:", ":", line) for line in lines]
    assert without_lines(err.splitlines() + out.splitlines()) == without_lines(shown)
    text = Path(target).read_text(encoding="utf-8")
    old_id, old_tags = re.search(r"  - id: (\S+)\n(?:    added: .*\n)?    tags: (.*)\n", edit).groups()
    Path(target).write_text(text.replace(old_id, fixed_id).replace(old_tags, fixed_tags), encoding="utf-8")
    assert main(["check"]) == 0
    assert capsys.readouterr().out.endswith(": no problems.\n")
