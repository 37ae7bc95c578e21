"""The command line, driven as a user drives it."""

from __future__ import annotations

import json
import subprocess
import sys

from sitegen.cli import main

from .conftest import CONTENT, REPO, SEEDS, TEMPLATES

PAPER_KEYS = ["id", "title", "abstract", "authors", "published", "upvotes", "links", "sources"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_papers_summarises_the_listings(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run(capsys, "papers")
    assert code == 0, err
    assert "597 entries in 5 listings:" in out
    assert "550 distinct papers; 47 duplicate entries merged." in out
    assert "content/sources/003_c515543787832aad.txt     43 entries" in out


def test_papers_json_prints_every_paper_sorted_by_id_with_the_documented_keys(capsys):
    code, out, _ = run(capsys, "papers", "--json", "--content", str(CONTENT))
    papers = json.loads(out)
    assert code == 0
    assert len(papers) == 550
    assert [p["id"] for p in papers] == sorted(p["id"] for p in papers)
    assert all(list(p)[: len(PAPER_KEYS)] == PAPER_KEYS for p in papers)


def test_papers_json_reads_only_the_files_given(capsys):
    code, out, _ = run(capsys, "papers", "--json", str(SEEDS[3]))
    assert code == 0
    assert len(json.loads(out)) == 43


def test_a_bad_listing_is_one_line_and_exit_code_1_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("Title only\n", encoding="utf-8")
    code, out, err = run(capsys, "papers", "--json", str(bad))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "bad.txt:1:1: error: the title 'Title only' has no abstract" in err


def test_build_writes_an_index_listing_every_paper(tmp_path, capsys):
    out_dir = tmp_path / "site"
    code, out, err = run(
        capsys, "build", "--content", str(CONTENT), "--templates", str(TEMPLATES), "--out", str(out_dir)
    )
    assert code == 0, err
    assert out.startswith("Built ")
    assert (out_dir / "index.html").is_file()


def test_a_failed_build_leaves_the_previous_site_untouched(tmp_path, capsys):
    out_dir = tmp_path / "site"
    assert run(capsys, "build", "--content", str(CONTENT), "--templates", str(TEMPLATES), "--out", str(out_dir))[0] == 0
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    broken = tmp_path / "content"
    (broken / "sources").mkdir(parents=True)
    (broken / "sources" / "x.txt").write_bytes(b"Title\n\xff\n")
    code, _, err = run(capsys, "build", "--content", str(broken), "--templates", str(TEMPLATES), "--out", str(out_dir))
    assert code == 1 and "not UTF-8" in err
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sitegen-cache", "content", "site"]


def test_a_missing_content_folder_says_what_to_do(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "papers")
    assert code == 1
    assert err == "content: error: the content folder does not exist (run sitegen from the repository root or pass --content DIR)\n"


def test_python_dash_m_sitegen_and_help_work():
    result = subprocess.run(
        [sys.executable, "-m", "sitegen", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "papers" in result.stdout and "build" in result.stdout


def test_a_mistake_in_the_command_line_shows_that_commands_usage_and_exits_with_2(capsys):
    try:
        main(["build", "--no-such-option"])
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("usage: sitegen build ")
    assert err.rstrip().endswith("sitegen build: error: unrecognized arguments: --no-such-option")
    try:
        main(["suggest", "--threshold", "2"])
    except SystemExit as stop:
        assert stop.code == 2
    assert capsys.readouterr().err.startswith("usage: sitegen suggest ")
    assert main([]) == 2


def test_quiet_prints_errors_only_and_verbose_prints_the_stages(capsys, tmp_path):
    from .site_fixtures import write_content

    content = write_content(tmp_path / "content")
    (content / "tags.yaml").write_text("tags:\n  lonely: A tag no paper carries.\n")
    (content / "themes.yaml").write_text("themes:\n  - slug: t\n    title: T\n    description: D.\n")
    common = ["--content", str(content), "--templates", str(TEMPLATES), "--out", str(tmp_path / "site")]
    code, out, err = run(capsys, "build", *common, "--quiet")
    assert code == 0 and out == "" and err == ""
    code, out, err = run(capsys, "build", *common, "--verbose")
    assert code == 0 and "lonely" in err
    assert out.startswith("Built ") and "Time per phase:" in out and "Nothing built: the inputs" in out


def test_strict_makes_warnings_fail_check_and_build(capsys, tmp_path):
    from .site_fixtures import write_content

    content = write_content(tmp_path / "content")
    (content / "tags.yaml").write_text("tags:\n  lonely: A tag no paper carries.\n")
    (content / "themes.yaml").write_text("themes:\n  - slug: t\n    title: T\n    description: D.\n")
    common = ["--content", str(content), "--templates", str(TEMPLATES)]
    assert run(capsys, "check", *common)[0] == 0
    code, _, err = run(capsys, "check", *common, "--strict")
    assert code == 1 and "warning: the tag 'lonely' is not used" in err and "with --strict" in err
    code, out, err = run(capsys, "build", *common, "--out", str(tmp_path / "site"), "--strict")
    assert code == 1 and "with --strict: nothing was built." in err
    assert not (tmp_path / "site").exists()


def test_a_removed_working_folder_is_one_line_and_exit_code_1_without_traceback(tmp_path):
    gone, out = tmp_path / "gone", tmp_path / "site"
    gone.mkdir()
    command = (f'cd "{gone}" && rmdir "{gone}" && "{sys.executable}" -m sitegen build --content "{CONTENT}" '
               f'--templates "{TEMPLATES}" --out "{out}"')
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "the working folder was removed" in done.stderr
    assert not out.exists()
