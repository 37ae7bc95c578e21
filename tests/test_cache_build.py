"""Rebuilds: the cache never serves a stale page, and unchanged files are never rewritten."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.cli import main

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
    "themes.yaml": replace("content/themes.yaml", "title: State spaces", "title: State-space models"),
    "tags.yaml": replace("content/tags.yaml", "Papers with code.", "Papers whose code is public."),
    "site.yaml": replace("content/site.yaml", "Test Reading List", "Another Reading List"),
    "a template": replace("templates/base.html", "</footer>", "<p>Edited.</p></footer>"),
    "an asset": append("templates/assets/site.css", "\n.edited { color: red; }\n"),
    "a free page": replace("content/pages/about.md", "a *test*", "an *edited test*"),
}


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_every_kind_of_edit_shows_up_in_a_cached_rebuild_exactly_as_in_a_fresh_build(kind, project):
    build(project, "site")
    before = tree(project / "site")
    EDITS[kind](project)
    build(project, "site")
    build(project, "fresh", "--fresh")
    after = tree(project / "site")
    assert after != before, f"editing {kind} changed nothing"
    assert after == tree(project / "fresh")


def test_a_rebuild_with_nothing_changed_rewrites_no_file(project, capsys):
    build(project, "site")
    folder_inode = (project / "site").stat().st_ino
    before = stamps(project / "site")
    capsys.readouterr()
    build(project, "site")
    assert stamps(project / "site") == before
    assert (project / "site").stat().st_ino == folder_inode
    assert ", 0 written)" in capsys.readouterr().out


def test_a_rebuild_rewrites_only_the_pages_that_changed_and_removes_pages_no_longer_built(project, capsys):
    build(project, "site")
    (project / "content" / "pages" / "faq.md").write_text("# FAQ\n\nAsk.\n", encoding="utf-8")
    build(project, "site")
    before = stamps(project / "site")
    edit(project / "content" / "curation" / "state-spaces.yaml", "  - id: beta-state-spaces\n    tags: [ssm]\n",
         "  - id: beta-state-spaces\n    tags: [ssm]\n    note: Now with a note.\n")
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


def test_deleting_the_cache_changes_nothing_in_the_output(project):
    build(project, "site")
    shutil.rmtree(project / ".sitegen-cache")
    build(project, "again")
    assert tree(project / "again") == tree(project / "site")


def test_a_corrupted_cache_is_ignored_and_rebuilt(project):
    build(project, "site")
    entries = sorted((project / ".sitegen-cache").glob("*.pickle"))
    assert entries, "the build cached nothing"
    for entry in entries:
        entry.write_bytes(b"\x80\x05 not a pickle")
    build(project, "again")
    assert tree(project / "again") == tree(project / "site")
    assert all(entry.read_bytes() != b"\x80\x05 not a pickle" for entry in (project / ".sitegen-cache").glob("*.pickle"))


def test_a_damaged_compiled_template_is_compiled_again(project):
    import pickle

    build(project, "site")
    compiled = sorted((project / ".sitegen-cache").glob("template-*.pickle"))
    assert compiled, "no compiled template was cached"
    for entry in compiled:  # a readable entry whose bytecode is garbage
        entry.write_bytes(pickle.dumps(b"j2 garbage"))
    build(project, "again")
    assert tree(project / "again") == tree(project / "site")


def test_a_rebuild_with_nothing_changed_stops_before_loading_what_a_build_needs(project):
    build(project, "site")
    program = (
        "import sys\nfrom sitegen.cli import main\n"
        f"code = main(['build', '--content', {str(project / 'content')!r}, '--templates', {str(project / 'templates')!r},"
        f" '--out', {str(project / 'site')!r}])\n"
        "print(code, sorted(m for m in ('jinja2', 'markdown', 'sklearn', 'lunr', 'yaml', 'importlib.metadata')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert "nothing changed since the last build" in done.stdout
    assert done.stdout.strip().endswith("0 []")


def test_a_template_edit_reuses_the_pages_markdown_and_a_content_edit_makes_it_again(project):
    def pages_entry() -> tuple[str, int]:
        (entry,) = (project / ".sitegen-cache").glob("pages-*.pickle")
        return entry.name, entry.stat().st_mtime_ns

    def build_in_a_new_process() -> None:  # another hash seed: the key must not depend on it
        subprocess.run([sys.executable, "-m", "sitegen", "build", "--content", str(project / "content"),
                        "--templates", str(project / "templates"), "--out", str(project / "site")],
                       check=True, capture_output=True)

    build_in_a_new_process()
    first = pages_entry()
    edit(project / "templates" / "base.html", "</footer>", "<p>Edited.</p></footer>")
    build_in_a_new_process()
    assert pages_entry() == first, "the pages' Markdown was made again for a template edit"
    edit(project / "content" / "curation" / "attention.yaml", "Read it *first*.", "Read it *second*.")
    build_in_a_new_process()
    assert pages_entry()[0] != first[0]
    page = project / "site" / "papers" / "alpha-attention-is-enough" / "index.html"
    assert "Read it <em>second</em>." in page.read_text(encoding="utf-8")


def test_the_library_versions_in_the_fingerprint_are_the_installed_ones():
    from importlib import metadata

    from sitegen.fingerprint import LIBRARIES, installed_versions

    assert installed_versions(LIBRARIES) == [f"{library} {metadata.version(library)}" for library in LIBRARIES]
    assert installed_versions(["no-such-library"]) == ["no-such-library absent"]


def test_an_edit_made_while_a_build_runs_shows_in_the_next_build(project, capsys, monkeypatch):
    # `sitegen serve` rebuilds on each edit; a curator may save again while a build runs.
    import sitegen.build

    settings = project / "content" / "site.yaml"
    read_site = sitegen.build.read_site

    def read_then_edit(*args, **kwargs):
        found = read_site(*args, **kwargs)
        settings.write_text(settings.read_text(encoding="utf-8").replace("title:", "title: Renamed", 1), "utf-8")
        return found

    monkeypatch.setattr(sitegen.build, "read_site", read_then_edit)
    build(project, "site")
    monkeypatch.setattr(sitegen.build, "read_site", read_site)
    capsys.readouterr()
    build(project, "site")
    assert "nothing changed" not in capsys.readouterr().out
    assert "<title>Renamed" in (project / "site" / "index.html").read_text(encoding="utf-8")


def test_an_output_file_changed_or_removed_by_hand_is_rebuilt(project, capsys):
    build(project, "site")
    expected = tree(project / "site")
    (project / "site" / "robots.txt").write_text("edited by hand\n", encoding="utf-8")
    (project / "site" / "feed.xml").unlink()
    capsys.readouterr()
    build(project, "site")
    assert " files, 2 written)" in capsys.readouterr().out
    assert tree(project / "site") == expected


def test_the_warnings_of_the_last_build_are_repeated_when_nothing_changed(project, capsys):
    (project / "content" / "tags.yaml").write_text(
        (project / "content" / "tags.yaml").read_text(encoding="utf-8") + "  lonely: A tag no paper carries.\n",
        encoding="utf-8")
    build(project, "site")
    first = capsys.readouterr().err
    build(project, "site")
    assert "lonely" in first and capsys.readouterr().err == first


def test_the_records_of_output_folders_that_are_gone_are_forgotten(project, capsys):
    # `sitegen serve` builds into a temporary folder per session: its record must not stay.
    build(project, "site")
    build(project, "elsewhere")
    assert len(list((project / ".sitegen-cache").glob("build-*.json"))) == 2
    shutil.rmtree(project / "elsewhere")
    (project / ".sitegen-cache" / "build-0123456789abcdef.json").write_text('{"format": 1}')  # an older format
    capsys.readouterr()
    build(project, "site")
    assert ", 0 written)" in capsys.readouterr().out, "a build with nothing to do records nothing"
    (project / "content" / "site.yaml").write_text((project / "content" / "site.yaml").read_text() + "\n")
    build(project, "site")
    assert len(list((project / ".sitegen-cache").glob("build-*.json"))) == 1
    capsys.readouterr()
    build(project, "site")
    assert ", 0 written)" in capsys.readouterr().out, "the record kept still says nothing changed"
