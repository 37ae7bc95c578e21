"""Curation: what curators write in YAML, and what `sitegen check` tells them when it is wrong.

Each test starts from a small valid content folder, makes one edit a curator could make,
and asserts the exact lines sitegen prints: file, line, column, message and hint.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitegen.read.catalog import load_catalog
from sitegen.cli import main
from sitegen.read.curation import load_curation

from .conftest import TEMPLATES, files_for
from .site_fixtures import write_content

THEMES = """\
# yaml-language-server: $schema=../sitegen/schemas/themes.schema.json
themes:
  - slug: attention
    title: Attention
    description: |
      Papers about *attention*.
  - slug: state-spaces
    title: State spaces
    description: Recurrent models with a state.
"""

TAGS = """\
# yaml-language-server: $schema=../sitegen/schemas/tags.schema.json
tags:
  attention: Attention mechanisms.
  ssm: State-space models.
  code: Papers with code.
"""

ATTENTION = """\
# yaml-language-server: $schema=../../sitegen/schemas/curation.schema.json
papers:
  - id: alpha-attention-is-enough
    added: 2026-01-05
    start_here: true
    tags: [attention, code]
    note: Read it *first*.
    arxiv: "2401.00001"
  - id: script-alert-title-script-friends
    added: 2026-01-05
    tags: [attention]
  - id: gamma-late-addition
    added: 2026-01-05
"""

STATE_SPACES = """\
# yaml-language-server: $schema=../../sitegen/schemas/curation.schema.json
papers:
  - id: beta-state-spaces
    added: 2026-01-05
    tags: [ssm]
  - id: alpha-attention-is-enough
    added: 2026-01-05
    tags: [ssm]
  - id: gamma-late-addition
    added: 2026-01-05
"""

THEMES_FILE = "content/themes.yaml"
TAGS_FILE = "content/tags.yaml"
ATTENTION_FILE = "content/curation/attention.yaml"
STATE_SPACES_FILE = "content/curation/state-spaces.yaml"


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A valid curated content folder, with the working folder set so paths read content/..."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    folder = write_content(tmp_path / "content")
    (folder / "themes.yaml").write_text(THEMES, encoding="utf-8")
    (folder / "tags.yaml").write_text(TAGS, encoding="utf-8")
    (folder / "curation").mkdir()
    (folder / "curation" / "attention.yaml").write_text(ATTENTION, encoding="utf-8")
    (folder / "curation" / "state-spaces.yaml").write_text(STATE_SPACES, encoding="utf-8")
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the fixture has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """Run `sitegen check` as a curator does; return the exit code, problem lines and summary."""
    code = main(["check"])
    out, err = capsys.readouterr()
    return code, err.splitlines(), out.strip()


def problems(content: Path) -> list[str]:
    paths = sorted((content / "sources").glob("*.txt"))
    catalog, _ = load_catalog(files_for(content), paths)
    return [problem.format() for problem in load_curation(files_for(content), catalog)[1]]


# What a valid curation gives


def test_a_valid_curation_passes_with_a_summary_line(content, capsys):
    code, lines, summary = check(capsys)
    assert (code, lines) == (0, [])
    assert summary == "Checked 4 papers, 2 themes, 3 tags and 6 placements: no problems."


def test_themes_keep_reading_order_and_papers_keep_theirs(content):
    catalog, _ = load_catalog(files_for(content), sorted((content / "sources").glob("*.txt")))
    curation, found = load_curation(files_for(content), catalog)
    assert found == []
    assert [theme.slug for theme in curation.themes] == ["attention", "state-spaces"]
    assert curation.themes[0].description == "Papers about *attention*."
    assert [(p.theme, p.paper_id, p.start_here) for p in curation.placements] == [
        ("attention", "alpha-attention-is-enough", True),
        ("attention", "script-alert-title-script-friends", False),
        ("attention", "gamma-late-addition", False),
        ("state-spaces", "beta-state-spaces", False),
        ("state-spaces", "alpha-attention-is-enough", False),
        ("state-spaces", "gamma-late-addition", False),
    ]
    assert curation.themes_of("alpha-attention-is-enough") == ("attention", "state-spaces")
    alpha = curation.notes_of("alpha-attention-is-enough")
    assert (alpha.tags, alpha.note, alpha.arxiv) == (("attention", "code", "ssm"), "Read it *first*.", "2401.00001")


def test_a_valid_edit_adding_a_paper_with_a_new_tag_passes(content, capsys):
    edit(content / "tags.yaml", "  code:", "  recurrence: Recurrent computation.\n  code:")
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n",
         "  - id: gamma-late-addition\n    added: 2026-01-05\n  - id: script-alert-title-script-friends\n"
         "    added: 2026-01-06\n    tags: [recurrence]\n"
         "    note: |\n      A *second* paragraph.\n")
    code, lines, summary = check(capsys)
    assert (code, lines) == (0, [])
    assert summary == "Checked 4 papers, 2 themes, 4 tags and 7 placements: no problems."


def test_papers_json_gains_the_curated_themes_and_tags(content, capsys):
    assert main(["papers", "--json"]) == 0
    papers = {paper["id"]: paper for paper in json.loads(capsys.readouterr().out)}
    alpha = papers["alpha-attention-is-enough"]
    assert (alpha["themes"], alpha["tags"]) == (["attention", "state-spaces"], ["attention", "code", "ssm"])
    assert (alpha["note"], alpha["arxiv"]) == ("Read it *first*.", "2401.00001")
    assert (papers["beta-state-spaces"]["themes"], papers["beta-state-spaces"]["tags"]) == (["state-spaces"], ["ssm"])


def test_papers_json_still_prints_the_papers_when_the_curation_is_wrong(content, capsys):
    edit(content / "curation" / "attention.yaml", "id: gamma-late-addition", "id: gamma-late")
    assert main(["papers", "--json"]) == 1
    out, err = capsys.readouterr()
    assert len(json.loads(out)) == 4
    assert "unknown paper id 'gamma-late'" in err


# Every mistake, located and explained


def test_a_yaml_syntax_error_names_its_line_and_column(content, capsys):
    edit(content / "curation" / "attention.yaml", "    tags: [attention]\n", "    tags: [attention\n")
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines == [
        (f"{ATTENTION_FILE}:11:11: error: invalid YAML: while parsing a flow sequence "
        "expected ',' or ']', but got ':' (close it with ']' on the line it starts on)")
    ]


def test_a_tab_in_the_indentation_says_to_use_spaces(content):
    edit(content / "tags.yaml", "  ssm:", "\tssm:")
    assert problems(content) == [
        (f"{TAGS_FILE}:4:1: error: invalid YAML: while scanning for the next token found character "
        "'\\t' that cannot start any token (indent with spaces, never tabs)")
    ]


def test_a_key_given_twice_is_an_error(content):
    edit(content / "tags.yaml", "  code: Papers with code.\n", "  code: Papers with code.\n  ssm: Again.\n")
    assert problems(content) == [
        f"{TAGS_FILE}:6:3: error: the key 'ssm' is given twice (the first is on line 4; keep one)"
    ]


def test_unknown_keys_are_errors_with_the_closest_key(content):
    edit(content / "curation" / "attention.yaml", "start_here: true", "start-here: true")
    edit(content / "themes.yaml", "    title: State spaces", "    titel: State spaces")
    assert problems(content) == [
        (f"{ATTENTION_FILE}:5:5: error: unknown key 'start-here' in a paper entry "
        "(did you mean 'start_here'? the keys are id, added, start_here, tags, note, arxiv)"),
        f"{THEMES_FILE}:7:5: error: a theme has no 'title' (add 'title: ...')",
        (f"{THEMES_FILE}:8:5: error: unknown key 'titel' in a theme "
        "(did you mean 'title'? the keys are slug, title, description)"),
    ]


def test_wrong_types_say_what_was_found_and_what_to_write(content):
    edit(content / "curation" / "attention.yaml", "start_here: true", "start_here: maybe")
    edit(content / "curation" / "attention.yaml", "tags: [attention]", "tags: attention")
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05", "  - gamma-late-addition")
    edit(content / "themes.yaml", "title: Attention", "title: 42")
    assert problems(content) == [
        (f"{ATTENTION_FILE}:5:17: error: 'start_here' must be true or false, not the text 'maybe' "
        "(write start_here: true, or remove the line)"),
        (f"{ATTENTION_FILE}:11:11: error: 'tags' must be a list, not the text 'attention' "
        "(write it as [tag-one, tag-two])"),
        (f"{STATE_SPACES_FILE}:9:5: error: a paper entry must be a mapping of keys to values, "
        "not the text 'gamma-late-addition' (write it as 'id: ...')"),
        (f"{THEMES_FILE}:4:12: error: the theme's title must be text, not the number 42 "
        "(give the theme a short title)"),
    ]


def test_an_unknown_paper_id_suggests_ids_from_ids_and_titles(content):
    edit(content / "curation" / "attention.yaml", "id: gamma-late-addition", "id: gamma-late-adition")
    edit(content / "curation" / "state-spaces.yaml", "id: beta-state-spaces", "id: Beta State Spaces")
    edit(content / "curation" / "state-spaces.yaml", "id: gamma-late-addition", "id: an-unrelated-paper")
    hint = "find ids with 'sitegen papers --json' or at the end of a paper page's address"
    assert problems(content) == [
        (f"{ATTENTION_FILE}:12:9: error: unknown paper id 'gamma-late-adition' "
        f"(did you mean 'gamma-late-addition'? {hint})"),
        (f"{STATE_SPACES_FILE}:3:9: error: unknown paper id 'Beta State Spaces' "
        f"(did you mean 'beta-state-spaces'? {hint})"),
        f"{STATE_SPACES_FILE}:9:9: error: unknown paper id 'an-unrelated-paper' ({hint})",
    ]


def test_a_curation_file_not_named_after_a_theme_is_an_error(content):
    (content / "curation" / "attention.yaml").rename(content / "curation" / "atention.yaml")
    assert problems(content) == [
        ("content/curation/atention.yaml:1:1: error: the file name 'atention' is not a theme of "
        "content/themes.yaml (did you mean 'attention'? a curation file is named after its theme's slug)"),
    ]


def test_a_curation_file_ending_in_yml_is_not_silently_ignored(content):
    (content / "curation" / "state-spaces.yaml").rename(content / "curation" / "state-spaces.yml")
    assert problems(content)[0] == (
        "content/curation/state-spaces.yml: error: a curation file must end in .yaml, so this one "
        "is not read (rename it to state-spaces.yaml)"
    )


def test_an_unknown_tag_suggests_the_nearest_tags(content):
    edit(content / "curation" / "attention.yaml", "tags: [attention, code]", "tags: [atention, code]")
    assert problems(content) == [
        (f"{ATTENTION_FILE}:6:12: error: unknown tag 'atention' (did you mean 'attention'? "
        "the tags are defined in content/tags.yaml; add it there if it is new)"),
    ]


def test_a_paper_listed_twice_in_one_theme_is_an_error(content):
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n",
         "  - id: gamma-late-addition\n    added: 2026-01-05\n  - id: beta-state-spaces\n    added: 2026-01-06\n")
    assert problems(content) == [
        (f"{STATE_SPACES_FILE}:11:9: error: the paper 'beta-state-spaces' is listed twice in this theme "
        "(it is already on line 3; remove one of them)"),
    ]


def test_empty_descriptions_notes_and_titles_are_errors(content):
    edit(content / "themes.yaml", "description: Recurrent models with a state.", "description: ''")
    edit(content / "tags.yaml", "code: Papers with code.", "code:")
    edit(content / "curation" / "attention.yaml", "note: Read it *first*.", "note: '  '")
    assert problems(content) == [
        f"{ATTENTION_FILE}:7:11: error: the note is empty (write a few sentences of Markdown, or remove the note)",
        (f"{TAGS_FILE}:5:8: error: the description of tag 'code' must be text, not nothing "
        "(describe the tag in one line)"),
        (f"{THEMES_FILE}:9:18: error: the theme's description is empty "
        "(write a few sentences of Markdown for readers: what the theme covers and where to start)"),
    ]


def test_arxiv_ids_of_the_wrong_shape_are_errors_with_the_fix(content):
    edit(content / "curation" / "attention.yaml", 'arxiv: "2401.00001"', 'arxiv: "arXiv:2401.00001"')
    edit(content / "curation" / "state-spaces.yaml", "    tags: [ssm]\n  - id: alpha",
         "    tags: [ssm]\n    arxiv: 2402.10100\n  - id: alpha")
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n",
         "  - id: gamma-late-addition\n    arxiv: '24.001'\n")
    assert problems(content) == [
        (f"{ATTENTION_FILE}:8:12: error: 'arXiv:2401.00001' is not an arXiv id "
        "(write only the id: arxiv: \"2401.00001\")"),
        (f"{STATE_SPACES_FILE}:6:12: error: the arXiv id must be text, not the number 2402.10100 "
        "(write it in quotes: arxiv: \"2402.10100\")"),
        (f"{STATE_SPACES_FILE}:11:12: error: '24.001' is not an arXiv id "
        "(write it like \"2312.00752\" (or \"hep-th/9901001\" for old papers), as in the arxiv.org/abs/ address)"),
    ]


def test_old_and_versioned_arxiv_ids_are_accepted(content):
    edit(content / "curation" / "attention.yaml", 'arxiv: "2401.00001"', 'arxiv: "hep-th/9901001v2"')
    assert problems(content) == []


def test_a_paper_has_one_note_and_one_arxiv_id_across_themes(content):
    edit(content / "curation" / "state-spaces.yaml", "  - id: alpha-attention-is-enough\n    added: 2026-01-05\n    tags: [ssm]\n",
         "  - id: alpha-attention-is-enough\n    added: 2026-01-05\n    tags: [ssm]\n    note: Another note.\n"
         "    arxiv: '2401.00002'\n")
    edit(content / "curation" / "state-spaces.yaml", "  - id: beta-state-spaces\n",
         "  - id: beta-state-spaces\n    arxiv: '2401.00001'\n")
    assert problems(content) == [
        (f"{STATE_SPACES_FILE}:4:12: error: the arXiv id '2401.00001' is already given to the paper "
        "'alpha-attention-is-enough' (each arXiv id belongs to one paper; check which paper this is)"),
        (f"{STATE_SPACES_FILE}:10:11: error: the paper 'alpha-attention-is-enough' already has a note in "
        f"{ATTENTION_FILE}:3 (a paper has one note: keep it in one theme file)"),
        (f"{STATE_SPACES_FILE}:11:12: error: the paper 'alpha-attention-is-enough' already has a arXiv id in "
        f"{ATTENTION_FILE}:3 (a paper has one arXiv id: keep it in one theme file)"),
    ]


def test_a_theme_defined_twice_is_an_error(content):
    (content / "themes.yaml").write_text(THEMES + "  - slug: attention\n    title: Again\n    description: Again.\n",
                                         encoding="utf-8")
    assert problems(content) == [
        (f"{THEMES_FILE}:10:11: error: the theme 'attention' is defined twice "
        "(the first is on line 3; give each theme its own slug)"),
    ]


def test_a_slug_that_is_not_lowercase_with_hyphens_gets_one_suggested(content):
    (content / "themes.yaml").write_text(
        THEMES + "  - slug: Long Context\n    title: Long context\n    description: Long inputs.\n",
        encoding="utf-8")
    assert problems(content) == [
        (f"{THEMES_FILE}:10:11: error: the theme's slug 'Long Context' is not a slug "
        "(use lowercase letters, digits and hyphens, like 'long-context')"),
    ]


def test_missing_files_are_named(content):
    (content / "themes.yaml").unlink()
    (content / "tags.yaml").unlink()
    assert problems(content) == [
        "content/tags.yaml: error: the tag vocabulary file is missing (create it with a 'tags:' key; see CONTRIBUTING.md)",
        "content/themes.yaml: error: the themes file is missing (create it with a 'themes:' key; see CONTRIBUTING.md)",
    ]


# Warnings do not fail


def test_a_thin_theme_and_a_late_start_here_are_warnings_that_do_not_fail(content, capsys):
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n", "")
    edit(content / "curation" / "attention.yaml", "  - id: gamma-late-addition\n",
         "  - id: gamma-late-addition\n    start_here: true\n")
    code, lines, summary = check(capsys)
    assert code == 0
    assert lines == [
        (f"{ATTENTION_FILE}:12:5: warning: a start_here paper comes after papers that are not "
        "(the theme page shows it first anyway; move it above line 9)"),
        (f"{THEMES_FILE}:7:5: warning: the theme 'state-spaces' has 2 papers "
        "(themes read best with at least 3; add papers in content/curation/state-spaces.yaml)"),
    ]
    assert summary == "Checked 4 papers, 2 themes, 3 tags and 5 placements: 2 warnings."


def test_an_entry_without_its_day_of_addition_is_a_warning_naming_the_fix(content, capsys):
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n",
         "  - id: gamma-late-addition\n")
    code, lines, summary = check(capsys)
    assert code == 0
    assert lines == [
        (f"{STATE_SPACES_FILE}:9:9: warning: this paper has no 'added' date (write the day the paper joins "
         "the list, like added: 2026-12-02; the feeds list papers by it)"),
    ]


def test_a_day_of_addition_must_be_a_day_of_the_calendar_written_as_iso(content):
    edit(content / "curation" / "attention.yaml", "    added: 2026-01-05\n    start_here", "    added: 5 Jan 2026\n    start_here")
    edit(content / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05",
         "  - id: gamma-late-addition\n    added: 2026-02-30")
    hint = "write the day the paper joins the list, like added: 2026-12-02; the feeds list papers by it"
    assert problems(content) == [
        f"{ATTENTION_FILE}:4:12: error: 'added' must be a date written YYYY-MM-DD, not the text '5 Jan 2026' ({hint})",
        f"{STATE_SPACES_FILE}:10:12: error: 'added' is not a day of the calendar: 2026-02-30 ({hint})",
    ]


def test_a_paper_joins_the_list_on_the_day_of_its_first_placement(content):
    edit(content / "curation" / "state-spaces.yaml", "  - id: alpha-attention-is-enough\n    added: 2026-01-05",
         "  - id: alpha-attention-is-enough\n    added: '2026-03-01'")
    edit(content / "curation" / "attention.yaml", "  - id: alpha-attention-is-enough\n    added: 2026-01-05",
         "  - id: alpha-attention-is-enough\n    added: 2026-02-01")
    catalog, _ = load_catalog(files_for(content), sorted((content / "sources").glob("*.txt")))
    curation, found = load_curation(files_for(content), catalog)
    assert found == []
    assert curation.added("alpha-attention-is-enough") == "2026-02-01"
    assert curation.added("alpha-attention-is-enough", "state-spaces") == "2026-03-01"
    assert curation.added("beta-state-spaces", "attention") is None


# One run reports everything, where curators look


def test_check_reports_every_problem_of_every_file_in_one_run(content, capsys):
    edit(content / "curation" / "attention.yaml", "tags: [attention]", "tags: [atention]")
    edit(content / "curation" / "state-spaces.yaml", "id: beta-state-spaces", "id: beta-state-space")
    edit(content / "tags.yaml", "ssm: State-space models.", "ssm: ''")
    code, lines, summary = check(capsys)
    assert code == 1
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{ATTENTION_FILE}:11:12", f"{STATE_SPACES_FILE}:3:9", f"{TAGS_FILE}:4:8",
    ]
    assert summary == "3 errors and 0 warnings: fix the errors above; sitegen build refuses to build until then."


def test_in_github_actions_each_problem_is_also_a_workflow_command(content, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    edit(content / "curation" / "attention.yaml", "tags: [attention]", "tags: [atention]")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        f"::error file={ATTENTION_FILE},line=11,col=12::unknown tag 'atention' (did you mean 'attention'? "
        "the tags are defined in content/tags.yaml; add it there if it is new)"
    )


def test_build_checks_first_and_leaves_the_previous_site_untouched(content, capsys, tmp_path):
    out_dir = tmp_path / "site"
    assert main(["build", "--templates", str(TEMPLATES), "--out", str(out_dir)]) == 0
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    edit(content / "curation" / "attention.yaml", "tags: [attention]", "tags: [atention]")
    capsys.readouterr()
    assert main(["build", "--templates", str(TEMPLATES), "--out", str(out_dir)]) == 1
    assert "unknown tag 'atention'" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sitegen-cache", "content", "site"]


def test_the_curation_reaches_the_pages(content, capsys, tmp_path):
    assert main(["build", "--templates", str(TEMPLATES), "--out", str(tmp_path / "site")]) == 0
    page = (tmp_path / "site" / "themes" / "attention" / "index.html").read_text(encoding="utf-8")
    assert "Papers about <em>attention</em>." in page
    assert "Alpha Attention Is Enough" in page


def test_papers_json_of_listings_named_alone_has_no_curated_keys(content, capsys):
    assert main(["papers", "--json", "content/sources/000_first.txt"]) == 0
    papers = json.loads(capsys.readouterr().out)
    assert [(p["themes"], p["tags"], p["note"], p["arxiv"]) for p in papers] == [([], [], None, None)] * 3
