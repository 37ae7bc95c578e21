"""Never lose or expose a user's files: what a careless command or a hostile pull request tries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sitegen.cli import main

from .conftest import REPO, TEMPLATES
from .test_curation import content  # noqa: F401  (the fixture)


@pytest.fixture
def project(content: Path, tmp_path: Path) -> Path:  # noqa: F811
    """A clone: curated content, templates, docs and a git folder, the way a repository is."""
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return tmp_path


def run(capsys, project: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args[:1], "--content", str(project / "content"), "--templates", str(project / "templates"),
                 *args[1:]])
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".sitegen-cache" not in p.parts}


@pytest.mark.parametrize(("out", "relation"), [
    (".", "--out is the project folder"),
    ("content", "--out is the content folder"),
    ("content/sources", "--out is inside the content folder"),
    ("templates", "--out is the templates folder"),
    ("..", "--out holds the project folder"),
])
def test_an_output_folder_that_holds_or_lies_in_the_project_is_refused(capsys, project, monkeypatch, out, relation):
    monkeypatch.chdir(project)
    before = snapshot(project)
    code, printed, err = run(capsys, project, "build", "--out", out)
    assert code == 1 and printed == ""
    shown = out if out != ".." else str(project.parent)
    assert err.startswith(f"{shown}: error: {relation}: a build replaces its output folder whole and would delete it "
                          "(pass --out a folder of its own, such as _site; --force replaces it all the same)")
    assert snapshot(project) == before


def test_the_docs_folder_given_as_markdown_output_is_refused_and_kept(capsys, project, monkeypatch):
    monkeypatch.chdir(project)
    code, _, err = run(capsys, project, "build", "--markdown", "docs")
    assert code == 1 and "docs: error: the folder holds files sitegen did not write (guide.md)" in err
    assert (project / "docs" / "guide.md").read_text() == "# Guide\n"


def test_a_folder_of_someone_elses_files_is_refused_and_force_says_what_it_does(capsys, project, tmp_path):
    mine = tmp_path / "home"
    (mine / "notes").mkdir(parents=True)
    (mine / "thesis.tex").write_text("thesis")
    (mine / "notes" / "todo.txt").write_text("todo")
    code, _, err = run(capsys, project, "build", "--out", str(mine))
    assert code == 1 and "add --force to replace it and delete those files" in err
    assert (mine / "thesis.tex").read_text() == "thesis"
    code, _, err = run(capsys, project, "build", "--out", str(mine), "--force")
    assert code == 0, err
    assert not (mine / "thesis.tex").exists() and (mine / "index.html").is_file()


def test_the_markdown_folder_and_the_output_folder_cannot_overlap(capsys, project):
    code, _, err = run(capsys, project, "build", "--out", str(project / "_site"), "--markdown",
                       str(project / "_site" / "md"))
    assert code == 1 and "--markdown and --out overlap" in err


# ---- Reading only inside the project ---------------------------------------------------


@pytest.mark.parametrize("where", ["content/sources/leak.txt", "content/pages/leak.md", "content/curation/attention.yaml",
                                   "content/themes.yaml", "content/site.yaml", "templates/page.html", "templates/assets/leak.css"])
def test_a_link_out_of_the_project_is_refused_by_the_name_of_the_link(capsys, project, tmp_path, where):
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\nTop secret line\n")
    link = project / where
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    code, _, err = run(capsys, project, "build", "--out", str(project / "_site"))
    assert code == 1
    assert f"{link.relative_to(Path.cwd()) if link.is_relative_to(Path.cwd()) else link}: error: this is a link to a " \
           "file outside the project, which is never read (replace the link with the file itself)" in err
    assert "secret" not in err and "root:x" not in err and "Top secret" not in err
    assert not (project / "_site").exists()


def test_a_link_inside_the_project_is_followed(capsys, project):
    (project / "shared").mkdir()
    shutil.move(project / "content" / "pages" / "about.md", project / "shared" / "about.md")
    (project / "content" / "pages" / "about.md").symlink_to(project / "shared" / "about.md")
    code, _, err = run(capsys, project, "build", "--out", str(project / "_site"))
    assert code == 0, err
    assert (project / "_site" / "about" / "index.html").is_file()


def test_a_fifo_in_the_listings_is_refused_at_once(capsys, project):
    os.mkfifo(project / "content" / "sources" / "009_pipe.txt")
    result: list[tuple[int, str, str]] = []
    checker = threading.Thread(target=lambda: result.append(run(capsys, project, "check")), daemon=True)
    started = time.monotonic()
    checker.start()
    checker.join(timeout=20)
    assert result, "sitegen check hangs on a FIFO"
    code, _, err = result[0]
    assert code == 1 and time.monotonic() - started < 20
    assert "009_pipe.txt: error: this is not a regular file (a FIFO, device or socket), so it is not read" in err


def test_a_listing_that_is_a_link_loop_is_one_line(capsys, project):
    loop = project / "content" / "sources" / "010_loop.txt"
    loop.symlink_to(loop)
    code, _, err = run(capsys, project, "check")
    assert code == 1 and "Traceback" not in err
    assert "010_loop.txt: error: " in err and "symbolic link" in err


def test_yaml_nested_deeper_than_any_curation_is_one_line(capsys, project):
    deep = project / "content" / "curation" / "attention.yaml"
    deep.write_text("papers:\n  - id: alpha-attention-is-enough\n    tags: " + "[" * 3000 + "]" * 3000 + "\n")
    code, _, err = run(capsys, project, "check")
    assert code == 1 and "Traceback" not in err
    assert "attention.yaml:3:" in err and "the YAML is nested more than 100 levels deep" in err


# ---- The same output wherever and whenever it runs -----------------------------------


def build_in_a_process(project: Path, out: Path, cwd: Path, **environment: str) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **environment}
    subprocess.run([sys.executable, "-m", "sitegen", "build", "--fresh", "--content", str(project / "content"),
                    "--templates", str(project / "templates"), "--out", str(out)],
                   cwd=cwd, env=env, check=True, capture_output=True)


def test_the_output_does_not_depend_on_the_folder_the_time_zone_the_locale_or_the_hash_seed(project, tmp_path):
    build_in_a_process(project, tmp_path / "a", project, PYTHONHASHSEED="1", TZ="UTC", LC_ALL="C")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    build_in_a_process(project, tmp_path / "b", elsewhere, PYTHONHASHSEED="2", TZ="Asia/Kathmandu",
                       LC_ALL="C.UTF-8", LANG="de_DE.UTF-8")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    sources = {record["id"]: record["sources"] for record in json.loads((tmp_path / "a" / "papers.json").read_text())}
    assert all(source.startswith("content/sources/") for found in sources.values() for source in found)


def test_a_killed_build_leaves_no_process_behind(project, tmp_path):
    """Nothing a build started outlives it for more than a moment (kill -9 included)."""
    build = subprocess.Popen([sys.executable, "-m", "sitegen", "build", "--content", str(project / "content"),
                              "--templates", str(project / "templates"), "--out", str(tmp_path / "site"), "--fresh"],
                             cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline, children = time.monotonic() + 10, []
    while not children and build.poll() is None and time.monotonic() < deadline:  # into the build
        time.sleep(0.05)
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(build.pid)], capture_output=True, text=True,
                                  check=False).stdout.split()
    assert children, "the build's worker processes start with it"
    time.sleep(0.5)  # reading, learning or rendering
    build.kill()
    build.wait()
    deadline = time.monotonic() + 5
    while (group := subprocess.run(["ps", "-o", "pid=", "-g", str(build.pid)], capture_output=True, text=True,
                                   check=False).stdout.split()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert group == [], f"processes left of the killed build: {group} (its children were {children})"
