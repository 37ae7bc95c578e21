"""The output folder: replaced whole or not at all, only when sitegen wrote it, one build at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from sitegen.errors import SitegenError
from sitegen.pool import worker_pool
from sitegen.write.folder import Output, WriteReport, _stamps_digest, _walk, walk_digest

from .conftest import REPO

SITE = {
    "index.html": b"home",
    "papers/alpha/index.html": b"alpha",
    "papers/beta/index.html": b"beta",
    "assets/site.css": b"body {}",
}


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def publish(out: Path, files: dict[str, bytes] | Iterator[tuple[str, bytes]], force: bool = False) -> WriteReport:
    with Output(out, out.parent / "state", force) as output:
        return output.publish(files.items() if isinstance(files, dict) else files)


class Broken(Exception):
    pass


def failing_after(files: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    yield from files.items()
    raise Broken("a template failed halfway through the pages")


def test_a_first_write_makes_the_folder_with_every_file(tmp_path):
    report = publish(tmp_path / "site", SITE)
    assert tree(tmp_path / "site") == SITE
    assert report.written == tuple(sorted(SITE)) and report.kept == 0 and report.removed == ()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "state"], "nothing is left beside the folder"


def test_a_rewrite_writes_only_changed_files_and_takes_away_files_no_longer_built(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    before = stamps(out)
    new = {**SITE, "papers/alpha/index.html": b"alpha, edited", "papers/gamma/index.html": b"gamma"}
    del new["papers/beta/index.html"]
    report = publish(out, new)
    assert tree(out) == new
    after = stamps(out)
    assert after["index.html"] == before["index.html"] and after["assets/site.css"] == before["assets/site.css"]
    assert after["papers/alpha/index.html"] != before["papers/alpha/index.html"]
    assert report.written == ("papers/alpha/index.html", "papers/gamma/index.html")
    assert report.removed == ("papers/beta/index.html",) and report.kept == 2
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()) == [
        "assets", "papers", "papers/alpha", "papers/gamma"]


def test_many_rewrites_keep_the_folder_exactly_the_site_of_the_last(tmp_path):
    # The private copy is two builds behind: every build must bring it all the way.
    out = tmp_path / "site"
    sites = [SITE, {**SITE, "index.html": b"two"}, {"index.html": b"three", "a/b/c.txt": b"deep"},
             {**SITE, "a": b"a file where a folder was"}, {"a/x.html": b"a folder again"}, SITE, SITE]
    for site in sites:
        publish(out, site)
        assert tree(out) == site
        holding = {parent.as_posix() for path in site for parent in PurePosixPath(path).parents} - {"."}
        assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()} == holding, "no empty folder"


def test_a_rewrite_with_nothing_changed_touches_nothing(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    before, folder = stamps(out), out.stat()
    report = publish(out, iter(SITE.items()))
    assert stamps(out) == before and out.stat().st_ino == folder.st_ino
    assert not report.touched and report.kept == len(SITE)


@pytest.mark.parametrize("new", [
    {"index.html": b"home", "papers": b"papers is now a file"},
    {"index.html/index.html": b"index.html is now a folder", "papers/alpha/index.html": b"alpha"},
], ids=["a folder becomes a file", "a file becomes a folder"])
def test_a_file_can_take_the_place_of_a_folder_and_a_folder_of_a_file(tmp_path, new):
    out = tmp_path / "site"
    publish(out, SITE)
    publish(out, new)
    assert tree(out) == new


def test_a_write_failing_halfway_leaves_the_output_as_it_was_and_the_next_build_recovers(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    before = stamps(out)
    new = {**SITE, "papers/alpha/index.html": b"alpha, edited", "papers/delta/index.html": b"a new folder"}
    with pytest.raises(Broken):
        publish(out, failing_after(new))
    assert stamps(out) == before and tree(out) == SITE
    publish(out, new)
    assert tree(out) == new


def test_a_path_met_twice_gets_its_last_bytes(tmp_path):
    out = tmp_path / "site"
    twice = [*SITE.items(), ("index.html", b"home, edited"), ("papers/alpha/index.html", b"alpha, edited"),
             ("papers/alpha/index.html", b"alpha")]
    publish(out, iter(twice))
    assert tree(out) == {**SITE, "index.html": b"home, edited"}
    publish(out, SITE)
    report = publish(out, iter(twice))
    assert tree(out) == {**SITE, "index.html": b"home, edited"}
    assert report.written == ("index.html",)


def test_a_published_file_edited_by_hand_is_written_again(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    (out / "index.html").write_bytes(b"edited by hand, same size? no")
    assert publish(out, SITE).written == ("index.html",)
    assert tree(out) == SITE


# ---- Only a folder sitegen wrote ------------------------------------------------------


def test_a_folder_with_files_sitegen_did_not_write_is_refused_and_kept(tmp_path):
    out = tmp_path / "thesis"
    (out / "notes").mkdir(parents=True)
    (out / "thesis.tex").write_text("\\documentclass{article}")
    (out / "notes" / "todo.txt").write_text("finish")
    (out / ".env").write_text("SECRET=1")
    before = tree(out)
    with pytest.raises(SitegenError) as raised:
        publish(out, SITE)
    assert [p.format() for p in raised.value.problems] == [
        f"{out}: error: the folder holds files sitegen did not write (.env and 2 more), so it is not replaced "
        "(pass --out a new or empty folder, or add --force to replace it and delete those files)"]
    assert tree(out) == before


def test_force_replaces_a_folder_sitegen_did_not_write(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    publish(out, SITE, force=True)
    assert tree(out) == SITE


def test_an_empty_folder_and_a_folder_of_sitegens_own_files_are_replaced(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(empty, SITE)
    assert tree(empty) == SITE
    # Its record gone (the cache deleted), a site sitegen built is still recognised by its files.
    import shutil

    shutil.rmtree(tmp_path / "state")
    publish(empty, {**SITE, "index.html": b"new home"})
    assert tree(empty)["index.html"] == b"new home"


def test_a_page_no_longer_built_is_removed_but_a_file_added_by_hand_stops_the_build(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    (out / "papers" / "alpha" / "my-notes.txt").write_text("mine")
    with pytest.raises(SitegenError, match="papers/alpha/my-notes.txt"):
        publish(out, {"index.html": b"home"})
    assert (out / "papers" / "alpha" / "my-notes.txt").read_text() == "mine"


def test_an_output_path_that_is_a_file_or_a_link_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SitegenError, match="the output path is a file, not a folder"):
        publish(tmp_path / "file", SITE)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(SitegenError, match="the output folder is a symbolic link"):
        publish(tmp_path / "link", SITE)


# ---- One build at a time, and what a killed build leaves ------------------------------


def test_a_second_build_into_the_same_folder_stops_at_once(tmp_path):
    out = tmp_path / "site"
    with Output(out, tmp_path / "state"):
        with pytest.raises(SitegenError) as raised:
            Output(out, tmp_path / "state").__enter__()
    assert raised.value.problems[0].message == "another sitegen build is writing into this folder"
    publish(out, SITE)  # released once the first is done


def test_what_an_older_sitegen_left_behind_is_taken_away(tmp_path):
    out = tmp_path / "site"
    publish(out, SITE)
    (tmp_path / ".site.new-abc123").mkdir()  # an older sitegen's staging folder, from a killed first build
    (tmp_path / ".site.new-abc123" / "index.html").write_text("half")
    (out / "papers" / "alpha" / ".index.html.sitegen-new").write_bytes(b"half")  # its pending file
    publish(out, {**SITE, "index.html": b"new"})
    assert tree(out) == {**SITE, "index.html": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "state"]


KILLER = """
import os, signal, sys
from pathlib import Path, PurePosixPath
import sitegen.write.folder as folder
after, target, state = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
step = sys.argv[4]
calls = [0]
def dying(original):
    def wrapped(*args, **kwargs):
        calls[0] += 1
        if calls[0] > after:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapped
if step == "write":
    folder._Back.write = dying(folder._Back.write)
elif step == "link":
    folder._Back.link = dying(folder._Back.link)
else:  # right after the swap, before the record is saved
    original = folder._exchange
    def exchange(first, second):
        original(first, second)
        os.kill(os.getpid(), signal.SIGKILL)
    folder._exchange = exchange
version = sys.argv[5]
pages = "two" if version.startswith("only-the-home-page") else version
site = {f"papers/p{i}/index.html": f"paper {i} {pages}".encode() for i in range(40)}
site["index.html"] = version.encode()
with folder.Output(target, state) as output:
    output.publish(site.items())
"""


def killed_publish(tmp_path: Path, after: int, step: str, version: str) -> int:
    done = subprocess.run([sys.executable, "-c", KILLER, str(after), str(tmp_path / "site"), str(tmp_path / "state"),
                           step, version], cwd=REPO, capture_output=True, text=True, check=False)
    return done.returncode


def versioned(version: str) -> dict[str, bytes]:
    pages = "two" if version.startswith("only-the-home-page") else version
    site = {f"papers/p{i}/index.html": f"paper {i} {pages}".encode() for i in range(40)}
    site["index.html"] = version.encode()
    return site


@pytest.mark.parametrize(("step", "after", "version"), [
    ("write", 0, "three"), ("write", 7, "three"), ("write", 39, "three"), ("swap", 0, "three"),
    ("link", 3, "only-the-home-page"),  # the other pages are taken from the published folder
])
def test_a_build_killed_at_any_moment_leaves_the_old_site_or_the_new_and_the_next_build_is_right(
        tmp_path, step, after, version):
    assert killed_publish(tmp_path, 10_000, "write", "one") == 0
    assert tree(tmp_path / "site") == versioned("one")
    assert killed_publish(tmp_path, 10_000, "write", "two") == 0  # the private copy now holds "one"
    assert killed_publish(tmp_path, after, step, version) == -signal.SIGKILL
    assert tree(tmp_path / "site") in (versioned("two"), versioned(version)), "a mix of two sites"
    for version in ("four", "five", "six"):
        assert killed_publish(tmp_path, 10_000, "write", version) == 0
        assert tree(tmp_path / "site") == versioned(version)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "state"]


def test_the_exchange_is_one_step_a_reader_never_sees_a_mix(tmp_path):
    out = tmp_path / "site"
    publish(out, versioned("a"))
    seen: list[str] = []
    stop = [False]

    def read() -> None:
        while not stop[0]:
            try:
                first = (out / "index.html").read_text()
                last = (out / "papers" / "p39" / "index.html").read_text()
            except FileNotFoundError:
                seen.append("missing")
                continue
            seen.append("ok" if last.endswith(first) else "mix")

    import threading

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for round_number in range(20):
            publish(out, versioned("b" if round_number % 2 == 0 else "a"))
    finally:
        stop[0] = True
        reader.join()
    if not sys.platform.startswith("linux"):
        pytest.skip("an exchange in one step is Linux's renameat2 (macOS: renamex_np)")
    # Two files are two reads: a swap may fall between them, but never a missing folder.
    assert "missing" not in seen and seen.count("ok") > 0


def test_system_errors_while_writing_are_one_line_and_leave_the_site(tmp_path, monkeypatch):
    import errno

    import sitegen.write.folder as folder

    out = tmp_path / "site"
    publish(out, SITE)
    for code, hint in ((errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permissions")):
        def refuse(*args, code=code, **kwargs):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(folder._Back, "write", refuse)
        with pytest.raises(SitegenError) as raised:
            publish(out, {**SITE, "index.html": b"new"})
        (problem,) = raised.value.problems
        assert problem.message == f"cannot write the site into this folder: {os.strerror(code)}"
        assert hint in problem.hint
        assert tree(out) == SITE
        monkeypatch.undo()
    publish(out, {**SITE, "index.html": b"new"})
    assert tree(out)["index.html"] == b"new"


def test_the_folder_sums_up_alike_walked_here_or_by_processes_and_any_change_to_a_file_shows(tmp_path):
    site = tmp_path / "site"
    files = {".hidden": b"h", "index.html": b"home", "papers/index.html": b"list", "papers/alpha/index.html": b"a",
             "papers/alpha/citation.bib": b"@a", "papers/beta/deep/er/file.txt": b"x", "assets/site.css": b"c"}
    for path, data in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_bytes(data)
    summed = _stamps_digest(_walk(site))  # as the record sums up the files it wrote
    assert summed.startswith(f"{len(files)}:")
    assert walk_digest(site)() == summed
    with worker_pool(2) as pool:
        assert walk_digest(site, pool)() == summed
    deep = site / "papers" / "beta" / "deep" / "er" / "file.txt"
    changes = [lambda: deep.write_bytes(b"xy"), lambda: os.utime(deep, ns=(1, 1)),
               lambda: (site / "papers" / "alpha" / "new.txt").write_bytes(b""), lambda: (site / ".hidden").unlink()]
    seen = {summed}
    for change in changes:
        change()
        with worker_pool(2) as pool:
            now = walk_digest(site, pool)()
        assert now == walk_digest(site)() == _stamps_digest(_walk(site)) and now not in seen
        seen.add(now)
