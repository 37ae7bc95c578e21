"""Rebuilds: the memo never serves a stale page, and unchanged files are never rewritten."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.cli import main
from sitegen.memo import KEEP_BUILDS, MISSING, REFRESH_BUILDS, Memo
from sitegen.model import Theme
from sitegen.pipeline import Options
from sitegen.pipeline import build as build_site
from sitegen.project import Project
from sitegen.write.memory import InMemory

from .conftest import TEMPLATES
from .test_curation import content, edit  # noqa: F401  (the fixture)


@pytest.fixture
def project(content: Path, tmp_path: Path) -> Path:  # noqa: F811
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path


def build(project: Path, out: str, *options: str) -> None:
    args = ["build", "--content", str(project / "content"), "--templates", str(project / "templates")]
    assert main([*args, "--out", str(project / out), *options]) == 0


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def append(path: str, text: str) -> Callable[[Path], None]:
    return lambda project: (project / path).write_text((project / path).read_text(encoding="utf-8") + text,
                                                       encoding="utf-8")


def replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda project: edit(project / path, old, new)


EDITS = {
    "a listing": append("content/sources/001_second.txt",
                        "\nDelta Newcomer\n\nDelta arrives late.\n\n  • 2 authors\n·\nMar 2, 2025 1\n"),
    "a curation file": replace("content/curation/attention.yaml", "Read it *first*.", "Read it *second*."),
    "a placement": replace("content/curation/state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n", ""),
    "themes.yaml": replace("content/themes.yaml", "title: State spaces", "title: State-space models"),
    "tags.yaml": replace("content/tags.yaml", "Papers with code.", "Papers whose code is public."),
    "site.yaml": replace("content/site.yaml", "Test Reading List", "Another Reading List"),
    "a template": replace("templates/base.html", "</footer>", "<p>Edited.</p></footer>"),
    "an asset": append("templates/assets/site.css", "\n.edited { color: red; }\n"),
    "a free page": replace("content/pages/about.md", "a *test*", "an *edited test*"),
}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_every_kind_of_edit_shows_up_in_a_rebuild_exactly_as_in_a_fresh_build(kind, project):
    build(project, "site")
    before = tree(project / "site")
    EDITS[kind](project)
    build(project, "site")
    build(project, "fresh", "--fresh")
    after = tree(project / "site")
    assert after != before, f"editing {kind} changed nothing"
    assert after == tree(project / "fresh")


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_every_kind_of_edit_shows_up_in_a_rebuild_of_one_memo_kept_in_memory(kind, project):
    # What `sitegen serve` does: one process, one memo, build after build.
    memo = Memo(project / ".sitegen-cache", keep=True)
    sitegen_project = Project(project / "content", project / "templates")
    build_site(sitegen_project, Options(out=project / "site"), memo)
    EDITS[kind](project)
    build_site(sitegen_project, Options(out=project / "site"), memo)
    build(project, "fresh", "--fresh")
    assert tree(project / "site") == tree(project / "fresh")


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_every_kind_of_edit_shows_up_in_the_site_serve_keeps_in_memory(kind, project):
    memo, memory = Memo(project / ".sitegen-cache", keep=True), InMemory()
    sitegen_project = Project(project / "content", project / "templates")
    build_site(sitegen_project, Options(out=memory, workers=1), memo)
    EDITS[kind](project)
    report = build_site(sitegen_project, Options(out=memory, workers=1), memo)
    assert report.changed, f"editing {kind} changed nothing"
    build(project, "fresh", "--fresh")
    fresh = tree(project / "fresh")
    assert {path: memory.read(path) for path in fresh} == fresh and report.files == len(fresh)


def test_a_rebuild_with_nothing_changed_rewrites_no_file_and_computes_nothing(project, capsys):
    build(project, "site")
    folder_inode = (project / "site").stat().st_ino
    before = stamps(project / "site")
    capsys.readouterr()
    build(project, "site", "--verbose")
    assert stamps(project / "site") == before
    assert (project / "site").stat().st_ino == folder_inode
    out = capsys.readouterr().out
    assert ", 0 written)" in out and "Nothing built: the inputs and the output folder are as" in out


def test_a_build_of_the_inputs_its_folder_was_built_from_reads_nothing_and_says_the_same(project, capsys):
    build(project, "site")
    said = capsys.readouterr().out
    build(project, "site", "--verbose")
    out = capsys.readouterr().out
    assert "Nothing built: the inputs and the output folder are as the last build left them." in out
    assert "steps reused" not in out, "not a listing parsed, not a page looked up"
    assert out.split(" in ")[0] == said.split(" in ")[0].replace("all written", "0 written")


def test_a_build_with_nothing_changed_reads_the_records_summary_not_its_list_of_every_file(project, capsys, monkeypatch):
    build(project, "site")
    monkeypatch.setattr("sitegen.write.folder.Output._read_record", lambda self: pytest.fail("the whole record read"))
    capsys.readouterr()
    build(project, "site", "--verbose")
    assert "Nothing built" in capsys.readouterr().out
    (project / "site" / "index.html").write_text("changed by hand", encoding="utf-8")
    monkeypatch.undo()
    build(project, "site", "--verbose")
    assert "Nothing built" not in capsys.readouterr().out
    assert "changed by hand" not in (project / "site" / "index.html").read_text(encoding="utf-8")


def test_an_input_outside_the_files_a_build_reads_makes_it_read_them_again(project, capsys):
    build(project, "site")
    build(project, "site", "--base-url", "https://reader.example/list/")
    assert "https://reader.example/list/papers/" in (project / "site" / "sitemap.xml").read_text(encoding="utf-8")
    (project / "content" / "notes.txt").write_text("A curator's scratch file.\n", encoding="utf-8")
    capsys.readouterr()
    build(project, "site", "--base-url", "https://reader.example/list/", "--verbose")
    assert "Nothing built" not in capsys.readouterr().out, "any new file is an input"


def test_the_inputs_hash_changes_with_any_file_of_the_content_or_templates_and_is_unsure_of_a_link(project):
    from sitegen.pipeline import inputs_hash

    sitegen_project, options, memo = Project(project / "content", project / "templates"), Options(out=project / "site"), Memo(None)
    first = inputs_hash(sitegen_project, options, memo)
    assert first is not None and inputs_hash(sitegen_project, options, memo) == first
    (project / "templates" / "assets" / "extra.css").write_text("p {}\n", encoding="utf-8")
    second = inputs_hash(sitegen_project, options, memo)
    assert second != first
    assert inputs_hash(sitegen_project, Options(out=project / "site", base_url="https://x.example/"), memo) != second
    (project / "content" / "linked.md").symlink_to(project / "content" / "site.yaml")
    assert inputs_hash(sitegen_project, options, memo) is None


def test_a_rebuild_rewrites_only_the_pages_that_changed_and_removes_pages_no_longer_built(project, capsys):
    build(project, "site")
    (project / "content" / "pages" / "faq.md").write_text("# FAQ\n\nAsk.\n", encoding="utf-8")
    build(project, "site")
    before = stamps(project / "site")
    edit(project / "content" / "curation" / "state-spaces.yaml", "  - id: beta-state-spaces\n    added: 2026-01-05\n    tags: [ssm]\n",
         "  - id: beta-state-spaces\n    added: 2026-01-05\n    tags: [ssm]\n    note: Now with a note.\n")
    (project / "content" / "pages" / "faq.md").unlink()
    capsys.readouterr()
    build(project, "site")
    after = stamps(project / "site")
    rewritten = sorted(name for name in after if after[name] != before.get(name))
    assert "papers/beta-state-spaces/index.html" in rewritten
    assert "papers.json" in rewritten
    assert "papers/alpha-attention-is-enough/index.html" not in rewritten
    assert "assets/site.css" not in rewritten
    assert len(rewritten) < len(after) / 2, rewritten
    assert "faq/index.html" in before and "faq/index.html" not in after
    assert f", {len(rewritten)} written, 1 removed)" in capsys.readouterr().out


def test_a_template_edit_converts_no_markdown_and_a_note_edit_refits_nothing(project):
    sitegen_project = Project(project / "content", project / "templates")

    def computed_by_a_new_build() -> dict[str, int]:
        memo = Memo(project / ".sitegen-cache", keep=False)
        build_site(sitegen_project, Options(out=project / "site"), memo)
        return {name.rsplit(".", 1)[1]: count for name, count in memo.computed.items()}

    first = computed_by_a_new_build()
    assert first["to_html"] > 5 and first["features"] == 1
    edit(project / "templates" / "base.html", "</footer>", "<p>Edited.</p></footer>")
    after_template = computed_by_a_new_build()
    assert "to_html" not in after_template and "fit" not in after_template
    assert after_template["laid_out"] == first["laid_out"]
    edit(project / "content" / "curation" / "attention.yaml", "Read it *first*.", "Read it *second*.")
    after_note = computed_by_a_new_build()
    assert "fit" not in after_note, "a note is not an input of the fit"
    # The paper's page, its theme's page and its tags' pages show the note.
    assert 0 < after_note["to_html"] <= 2 + 4, after_note
    edit(project / "content" / "curation" / "state-spaces.yaml", "  - id: gamma-late-addition\n    added: 2026-01-05\n", "")
    after_placement = computed_by_a_new_build()
    assert after_placement["theme_learning"] == 1 and "features" not in after_placement
    assert "related_papers" not in after_placement and "paper_positions" not in after_placement


def test_a_build_in_a_new_process_reuses_the_memo_whatever_its_hash_seed(project):
    def build_in_a_new_process(seed: str, out: str) -> str:
        done = subprocess.run([sys.executable, "-m", "sitegen", "build", "--verbose", "--content",
                               str(project / "content"), "--templates", str(project / "templates"),
                               "--out", str(project / out)], check=True, capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
        return done.stdout

    build_in_a_new_process("1", "site")
    # Another folder: the build goes through the memo instead of finding its folder built.
    out = build_in_a_new_process("2", "copy")
    assert " 0 computed." in out and "Memo: 0 steps reused" not in out


def test_deleting_the_cache_changes_nothing_in_the_output(project):
    build(project, "site")
    shutil.rmtree(project / ".sitegen-cache")
    build(project, "again")
    assert tree(project / "again") == tree(project / "site")


def test_a_damaged_memo_is_ignored_and_filled_again(project):
    build(project, "site")
    database = project / ".sitegen-cache" / "memo.sqlite"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM memo").fetchone()[0] > 10
        connection.execute("UPDATE memo SET value = x'7a00ff'")  # every entry damaged
    build(project, "again")
    assert tree(project / "again") == tree(project / "site")
    database.write_bytes(b"not a database at all")
    build(project, "third")
    assert tree(project / "third") == tree(project / "site")
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM memo").fetchone()[0] > 10


def double(value: int) -> int:
    return 2 * value


def test_peeking_at_the_memo_computes_nothing_and_finds_what_memory_or_disk_holds(tmp_path):
    memo = Memo(tmp_path, keep=True)
    assert memo.peek(double, [(21,)]) == [MISSING] and memo.misses == 0 and not memo.computed
    assert memo(double, 21) == 42 and memo.peek(double, [(21,)]) == [42]
    memo.save()
    again = Memo(tmp_path, keep=False)  # a new process
    assert again.peek(double, [(21,), (22,), (21,)]) == [42, MISSING, 42] and not again.computed


def test_a_step_made_for_each_of_many_inputs_is_computed_once_per_new_input_and_read_back_after(tmp_path, monkeypatch):
    monkeypatch.setattr("sitegen.memo.EACH_BATCH", 3)  # lookups span several batches
    memo = Memo(tmp_path, keep=False)
    assert memo.each(double, [(n,) for n in range(7)]) == [2 * n for n in range(7)]
    assert memo.computed["tests.test_rebuilds.double"] == 7
    memo.save()
    again = Memo(tmp_path, keep=False)  # a new process: the stored ones are read, the new one made
    assert again.each(double, [(n,) for n in (6, 2, 9, 2)]) == [12, 4, 18, 4]
    assert again.computed["tests.test_rebuilds.double"] == 1 and again.hits == 3
    assert again.each(double, []) == []


def files_of(count: int) -> dict[str, bytes]:
    return {f"{n}.txt": b"x" * n for n in range(count)}


def test_a_one_off_memo_lets_go_of_a_dict_a_step_returned_and_a_kept_memo_or_a_shared_value_holds_it(tmp_path):
    """A dict cannot be referred to weakly: a one-off build does not hold one (its data files
    are let go once written), while serve's memo holds every value, and share() is asked to."""
    import sys

    alone = sys.getrefcount(files_of(3))  # the references of a dict only the caller holds
    one_off = Memo(tmp_path, keep=False)
    files = one_off(files_of, 3)
    assert files == files_of(3) and sys.getrefcount(files) == alone + 1  # and the name `files`
    shared = one_off.share(files_of(2))
    assert sys.getrefcount(shared) > alone + 1
    kept = Memo(None, keep=True)
    assert sys.getrefcount(kept(files_of, 3)) > alone


def test_a_memo_kept_for_many_builds_knows_last_builds_keys_by_equal_inputs_without_pickling_them(monkeypatch):
    memo, one_off = Memo(None, keep=True), Memo(None, keep=False)
    theme = Theme("attention", "Attention", "Where it starts.")
    first = memo.key("step", (theme, 3))
    assert first == one_off.key("step", (theme, 3))
    pickled: list[str] = []
    digest = memo._digest
    monkeypatch.setattr(memo, "_digest", lambda name, inputs: pickled.append(name) or digest(name, inputs))
    memo.start_build()  # the next build: an equal theme, made anew
    assert memo.key("step", (Theme("attention", "Attention", "Where it starts."), 3)) == first and not pickled
    assert memo.key("step", (Theme("attention", "Attention", "Where it ends."), 3)) != first and len(pickled) == 1
    assert memo.key("step", (theme, 3.5)) != first
    assert memo.key("step", ([theme],)) == one_off.key("step", ([theme],))  # a list is pickled every time
    memo.start_build()
    memo.start_build()  # two builds that did not ask: it is pickled again
    pickled.clear()
    assert memo.key("step", (theme, 3)) == first and pickled == ["step"]


def test_a_step_kept_in_memory_only_is_made_once_while_recent_builds_use_it_and_never_stored(tmp_path):
    memo = Memo(tmp_path, keep=True)  # sitegen serve's
    assert memo.in_memory(double, 21) == 42 and memo.computed["tests.test_rebuilds.double"] == 1
    memo.start_build()
    assert memo.in_memory(double, 21) == 42 and not memo.computed and memo.hits == 1
    memo.save()
    assert Memo(tmp_path, keep=False).peek(double, [(21,)]) == [MISSING]
    for _ in range(3):  # builds that no longer use it
        memo.start_build()
    assert memo.in_memory(double, 21) == 42 and memo.computed["tests.test_rebuilds.double"] == 1
    one_off = Memo(tmp_path, keep=False)  # a build's own: made each time, nothing held
    assert one_off.in_memory(double, 21) == 42 and one_off.in_memory(double, 21) == 42 and not one_off.hits


def test_an_entry_stays_while_builds_use_it_and_is_dropped_once_unused_by_keep_builds_builds(tmp_path):
    def one_build(*values: int) -> None:
        memo = Memo(tmp_path, keep=False)  # each build a new process
        for value in values:
            memo(double, value)
        memo.save()
        memo.close()

    def stored(value: int) -> bool:
        return Memo(tmp_path, keep=False).peek(double, [(value,)]) != [MISSING]

    for _ in range(REFRESH_BUILDS - 1):  # used by a few builds: its mark stays that of the first
        one_build(1, 2)
    for _ in range(KEEP_BUILDS):
        one_build(1)
    assert stored(1) and stored(2), "unused by KEEP_BUILDS builds: still kept"
    for _ in range(REFRESH_BUILDS + 1):
        one_build(1)
    assert stored(1) and not stored(2)
    for _ in range(3 * KEEP_BUILDS):
        one_build(1)
    assert stored(1), "in use by every build: never dropped"


def made_of_double(value: int, memo: Memo) -> int:
    return memo(double, value) + 1


def test_the_steps_a_step_is_made_of_stay_in_use_for_as_long_as_it_is(tmp_path):
    # A page's render is found whole, without its Markdown's steps: they must not be let go,
    # or the next template edit converts every page again.
    memo = Memo(tmp_path, keep=True)
    assert memo(made_of_double, 4, memo) == 9
    memo.save()
    for _ in range(KEEP_BUILDS + 2):  # builds in one process (serve), then in new ones
        memo.start_build()
        assert memo(made_of_double, 4, memo) == 9
        memo.save()
    memo.start_build()
    assert memo(double, 4) == 8 and not memo.computed
    for _ in range(KEEP_BUILDS + 2):
        again = Memo(tmp_path, keep=False)
        assert again(made_of_double, 4, again) == 9 and not again.computed
        again.save()
        again.close()
    last = Memo(tmp_path, keep=False)
    assert last(double, 4) == 8 and not last.computed


def test_a_step_made_apart_in_a_worker_is_stored_with_the_steps_it_was_made_of(tmp_path):
    from sitegen.pool import worker_pool

    memo = Memo(tmp_path, keep=False)
    with worker_pool(2) as pool:
        assert pool is not None
        memo.make_apart(pool, made_of_double, [(4, memo)])
        assert memo.knows(made_of_double, 4, memo) and memo(made_of_double, 4, memo) == 9
    assert memo.computed == {"tests.test_rebuilds.made_of_double": 1, "tests.test_rebuilds.double": 1}
    memo.save()
    again = Memo(tmp_path, keep=False)
    assert again(double, 4) == 8 and again(made_of_double, 4, again) == 9 and not again.computed
    served = Memo(tmp_path / "served", keep=True)
    with worker_pool(2) as pool:
        assert pool is not None
        served.make_apart(pool, made_of_double, [(5, served)])
        with served.using(pool):
            served.start(double, 6)
    assert not served.knows(made_of_double, 5, served) and not served.knows(double, 6), "serve makes it here"
    last = Memo(tmp_path, keep=False)
    assert last(made_of_double, 4, last) == 9 and last(double, 4) == 8 and not last.computed


def test_a_step_started_by_a_step_within_using_is_made_in_a_worker_and_taken_by_its_call(tmp_path):
    from sitegen.pool import worker_pool

    memo = Memo(tmp_path, keep=False)
    memo.start(double, 3)
    assert not memo.knows(double, 3), "outside using, nothing is started"
    with worker_pool(2) as pool:
        assert pool is not None
        with memo.using(pool):
            memo.start(double, 3)
            assert memo.knows(double, 3) and not memo.computed
        assert memo(double, 3) == 6 and memo.computed == {"tests.test_rebuilds.double": 1}


def test_an_edit_made_while_a_build_runs_shows_in_the_next_build(project, monkeypatch):
    # `sitegen serve` rebuilds on each edit; a curator may save again while a build runs.
    import sitegen.pipeline

    settings = project / "content" / "site.yaml"
    read_site = sitegen.pipeline.read_site

    def read_then_edit(*args, **kwargs):
        found = read_site(*args, **kwargs)
        settings.write_text(settings.read_text(encoding="utf-8").replace("title:", "title: Renamed", 1), "utf-8")
        return found

    monkeypatch.setattr(sitegen.pipeline, "read_site", read_then_edit)
    build(project, "site")
    monkeypatch.setattr(sitegen.pipeline, "read_site", read_site)
    build(project, "site")
    assert "<title>Renamed" in (project / "site" / "index.html").read_text(encoding="utf-8")


def test_an_output_file_changed_or_removed_by_hand_is_rebuilt(project, capsys):
    build(project, "site")
    expected = tree(project / "site")
    (project / "site" / "sitemap.xml").write_text("edited by hand\n", encoding="utf-8")
    (project / "site" / "feed.xml").unlink()
    capsys.readouterr()
    build(project, "site")
    assert " files, 2 written)" in capsys.readouterr().out
    assert tree(project / "site") == expected


def test_the_warnings_are_repeated_when_nothing_changed(project, capsys):
    (project / "content" / "tags.yaml").write_text(
        (project / "content" / "tags.yaml").read_text(encoding="utf-8") + "  lonely: A tag no paper carries.\n",
        encoding="utf-8")
    build(project, "site")
    first = capsys.readouterr().err
    build(project, "site")
    assert "lonely" in first and capsys.readouterr().err == first
    args = ["build", "--content", str(project / "content"), "--templates", str(project / "templates")]
    assert main([*args, "--out", str(project / "site"), "--strict"]) == 1, "--strict fails on them, built or not"
    assert "lonely" in capsys.readouterr().err


def test_the_records_of_output_folders_that_are_gone_are_forgotten(project):
    # `sitegen serve` builds into a temporary folder per session: its record must not stay.
    outputs = project / ".sitegen-cache" / "outputs"
    build(project, "site")
    build(project, "elsewhere")
    assert len(list(outputs.glob("*.json"))) == 2
    shutil.rmtree(project / "elsewhere")
    edit(project / "content" / "site.yaml", "Test Reading List", "Another Reading List")
    build(project, "site")
    assert len(list(outputs.glob("*.json"))) == 1 and len(list(outputs.glob("*.built"))) == 1
    assert len(list(outputs.glob("*.back"))) <= 1
