"""The site kept in memory, as `sitegen serve` serves it: published whole, changes reported."""

from __future__ import annotations

import pytest

from sitegen.write.memory import InMemory, folders_of

SITE = {"index.html": b"home", "assets/site.css": b"css", "papers/alpha/index.html": b"alpha"}


def test_a_publication_reports_the_files_whose_bytes_are_new_and_those_gone():
    memory = InMemory()
    first = memory.publish(SITE.items())
    assert first.written == tuple(sorted(SITE)) and first.removed == ()
    new = {"index.html": b"home", "assets/site.css": b"css, edited", "papers/beta/index.html": b"beta"}
    report = memory.publish(new.items())
    assert report.written == ("assets/site.css", "papers/beta/index.html")
    assert report.removed == ("papers/alpha/index.html",) and report.kept == 1
    assert memory.read("assets/site.css") == b"css, edited" and memory.read("papers/alpha/index.html") is None
    assert not memory.publish(new.items()).touched


def test_folders_are_known_at_every_depth_and_files_are_not_folders():
    memory = InMemory()
    memory.publish(SITE.items())
    assert memory.is_folder("papers") and memory.is_folder("papers/alpha")
    assert not memory.is_folder("papers/alpha/index.html") and not memory.is_folder("pap")
    memory.publish([("index.html", b"home")])
    assert not memory.is_folder("papers")
    assert folders_of(["a/b/c.html", "a/d.html", "e.html"]) == {"a", "a/b"}


@pytest.mark.parametrize("path", ["", "/etc/passwd", "a//b", "a/../b", "./a", "a/"])
def test_a_path_outside_the_site_is_refused_and_the_site_stays_as_it_was(path):
    memory = InMemory()
    memory.publish(SITE.items())
    with pytest.raises(ValueError, match="not a path inside the site"):
        memory.publish([*SITE.items(), (path, b"x")])
    assert memory.read("index.html") == b"home" and memory.is_folder("papers")


def test_the_first_files_are_published_among_the_old_ones_before_the_rest_is_made():
    told, seen = [], []
    memory = InMemory(shown=lambda report: told.append(report) or seen.append(
        (memory.read("papers/alpha/index.html"), memory.read("index.html"), memory.read("papers/beta/index.html"))))
    memory.publish(SITE.items())  # no first files: told nothing
    assert told == []
    new = {"papers/alpha/index.html": b"alpha, edited", "index.html": b"home, edited", "papers/beta/index.html": b"beta"}
    report = memory.publish(new.items(), first=["papers/alpha/index.html"])
    assert [early.written for early in told] == [("papers/alpha/index.html",)]
    assert seen == [(b"alpha, edited", b"home", None)], "shown: the open page new, the others as they were"
    assert report.written == ("index.html", "papers/alpha/index.html", "papers/beta/index.html")
    assert report.removed == ("assets/site.css",) and report.kept == 0
    assert memory.read("assets/site.css") is None and memory.read("index.html") == b"home, edited"


def test_a_build_that_fails_after_its_first_files_leaves_the_site_it_started_from():
    memory = InMemory(shown=lambda report: None)
    memory.publish(SITE.items())

    def failing():
        yield "papers/alpha/index.html", b"alpha, edited"
        raise RuntimeError("a template broke")

    with pytest.raises(RuntimeError):
        memory.publish(failing(), first=["papers/alpha/index.html"])
    assert memory.read("papers/alpha/index.html") == b"alpha" and memory.read("index.html") == b"home"
