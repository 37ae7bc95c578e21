"""Writing the site: only changed files are touched, and a failed write changes nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.writer import write_site


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def folders(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


SITE = {
    "index.html": b"home",
    "papers/alpha/index.html": b"alpha",
    "papers/beta/index.html": b"beta",
    "assets/site.css": b"body {}",
}


class Broken(Exception):
    pass


def failing_after(files: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    yield from files.items()
    raise Broken("a template failed halfway through the pages")


def test_a_first_write_makes_the_folder_with_every_file(tmp_path):
    report = write_site(SITE, tmp_path / "site")
    assert tree(tmp_path / "site") == SITE
    assert report.written == tuple(sorted(SITE)) and report.kept == 0 and report.removed == ()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_rewrite_touches_only_changed_files_and_takes_away_files_and_folders_no_longer_built(tmp_path):
    out = tmp_path / "site"
    write_site(SITE, out)
    before, folder = stamps(out), out.stat().st_ino
    new = {**SITE, "papers/alpha/index.html": b"alpha, edited", "papers/gamma/index.html": b"gamma"}
    del new["papers/beta/index.html"]
    report = write_site(new, out)
    assert tree(out) == new
    after = stamps(out)
    assert after["index.html"] == before["index.html"] and after["assets/site.css"] == before["assets/site.css"]
    assert after["papers/alpha/index.html"] != before["papers/alpha/index.html"]
    assert report.written == ("papers/alpha/index.html", "papers/gamma/index.html")
    assert report.removed == ("papers/beta/index.html",) and report.kept == 2
    assert folders(out) == ["assets", "papers", "papers/alpha", "papers/gamma"]
    assert out.stat().st_ino == folder, "changed in place: a server serving the folder keeps it"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_rewrite_with_nothing_changed_touches_nothing(tmp_path):
    out = tmp_path / "site"
    write_site(SITE, out)
    before, folder = stamps(out), out.stat()
    report = write_site(iter(SITE.items()), out)
    assert stamps(out) == before and out.stat().st_mtime_ns == folder.st_mtime_ns
    assert not report.touched and report.kept == len(SITE)


@pytest.mark.parametrize("new", [
    {"index.html": b"home", "papers": b"papers is now a file"},
    {"index.html/index.html": b"index.html is now a folder", "papers/alpha/index.html": b"alpha"},
], ids=["a folder becomes a file", "a file becomes a folder"])
def test_a_file_can_take_the_place_of_a_folder_and_a_folder_of_a_file(tmp_path, new):
    out = tmp_path / "site"
    write_site(SITE, out)
    write_site(new, out)
    assert tree(out) == new
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


@pytest.mark.parametrize("new", [
    {**SITE, "papers/alpha/index.html": b"alpha, edited", "papers/delta/index.html": b"a new folder"},
    {"papers": b"a file where a folder was: staged", "index.html": b"home, edited", "assets/site.css": b"body {}"},
], ids=["changed in place", "staged"])
def test_a_write_failing_halfway_leaves_the_output_as_it_was(tmp_path, new):
    out = tmp_path / "site"
    write_site(SITE, out)
    before, folders_before = stamps(out), folders(out)
    with pytest.raises(Broken):
        write_site(failing_after(new), out)
    assert stamps(out) == before and tree(out) == SITE
    assert folders(out) == folders_before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_a_path_met_twice_gets_its_last_bytes(tmp_path):
    out = tmp_path / "site"
    twice = [*SITE.items(), ("index.html", b"home, edited"), ("papers/alpha/index.html", b"alpha, edited"),
             ("papers/alpha/index.html", b"alpha")]
    write_site(twice, out)  # a first write: staged
    assert tree(out) == {**SITE, "index.html": b"home, edited"}
    write_site(SITE, out)
    report = write_site(twice, out)  # a rewrite: in place
    assert tree(out) == {**SITE, "index.html": b"home, edited"}
    assert report.written == ("index.html",)


def test_what_a_killed_build_left_behind_is_taken_away_by_the_next(tmp_path):
    out = tmp_path / "site"
    write_site(SITE, out)
    (out / "papers" / "alpha" / ".index.html.sitegen-new").write_bytes(b"half")
    report = write_site(SITE, out)
    assert tree(out) == SITE
    assert report.removed == ("papers/alpha/.index.html.sitegen-new",)
