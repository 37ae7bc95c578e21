"""`sitegen summary`: the job summary a pull request gets, with what it changes in counts."""

from __future__ import annotations

import shutil

from sitegen.cli import main

from .test_curation import content, edit  # noqa: F401  (the fixture)


def test_the_summary_counts_the_reading_list(content, capsys):  # noqa: F811
    assert main(["summary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Reading list\n\n✅ The curation is valid.\n")
    assert "| Papers | 4 |" in out and "| Themes | 2 |" in out and "| Placements in themes | 6 |" in out
    assert "| Curator's notes | 1 |" in out and "| arXiv ids | 1 |" in out


def test_the_summary_shows_what_a_change_adds_against_the_base(content, tmp_path, capsys):  # noqa: F811
    shutil.copytree(content, tmp_path / "base")
    edit(content / "curation" / "attention.yaml", "  - id: script-alert-title-script-friends\n    added: 2026-01-05\n",
         "  - id: script-alert-title-script-friends\n    added: 2026-01-05\n  - id: beta-state-spaces\n"
         "    added: 2026-01-06\n    note: New.\n")
    assert main(["summary", "--compare", str(tmp_path / "base")]) == 0
    out = capsys.readouterr().out
    assert "| Papers placed by curators | 4 | 4 | · |" in out
    assert "| Curator's notes | 1 | 2 | +1 |" in out
    assert "| Placements in themes | 6 | 7 | +1 |" in out
    assert "| Papers | 4 | 4 | · |" in out
    assert "### Papers per theme\n\n| theme | base | this change |\n|---|---:|---:|\n| `attention` | 3 | 4 |\n" in out


def test_the_summary_lists_errors_and_warnings(content, capsys):  # noqa: F811
    edit(content / "curation" / "attention.yaml", "tags: [attention]", "tags: [atention]")
    assert main(["summary"]) == 1
    out = capsys.readouterr().out
    assert "❌ 1 error: the site cannot be built." in out
    assert "### Errors\n\n- `content/curation/attention.yaml:11:12: error: unknown tag 'atention'" in out
