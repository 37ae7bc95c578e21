"""`sitegen serve`, driven over HTTP as a maintainer's browser drives it, with bounded waits."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from sitegen.serve import HISTORY, Builds

from .conftest import REPO, TEMPLATES
from .site_fixtures import write_content

WAIT_SECONDS = 30


class Server:
    """A `sitegen serve` process and everything it printed so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = self.wait_for_line(r"Serving (\S+) ").group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"after {WAIT_SECONDS} s, still not: {what}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_content(tmp_path / "content")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path


@contextmanager
def serving(project: Path, *options: str) -> Iterator[Server]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen", "serve", "--port", "0", *options],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield Server(process)
    finally:
        if process.poll() is None:
            process.terminate()  # as kill does: the server stops cleanly
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait(timeout=10)


@pytest.fixture
def server(project: Path) -> Iterator[Server]:
    with serving(project) as started:
        yield started


def test_serve_builds_and_serves_the_home_page_under_the_base_path_on_loopback(server, project):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/repo/", server.url)
    status, page, headers = fetch(server.url)
    assert status == 200
    assert "<title>Test Reading List</title>" in page
    assert '<script src="/repo/__sitegen__/reload.js"></script>' in page
    assert headers["Cache-Control"] == "no-store"
    origin = server.url.removesuffix("repo/")
    assert fetch(origin)[2]["Location"] == "/repo/"
    assert fetch(server.url + "papers")[2]["Location"] == "/repo/papers/"
    assert fetch(server.url + "no-such-page/")[0] == 404
    assert fetch(server.url + "__sitegen__/reload.js")[0] == 200
    status, feed, headers = fetch(server.url + "feed.xml")
    assert status == 200 and feed.startswith("<?xml") and headers["Content-Type"] == "application/xml; charset=utf-8"
    assert fetch(server.url + "papers/../index.html")[0] == 404


def test_serve_keeps_the_site_in_memory_and_writes_no_file(server, project):
    assert fetch(server.url)[0] == 200
    written = sorted(path.relative_to(project).as_posix() for path in project.rglob("*")
                     if path.is_file() and not path.is_relative_to(project / ".sitegen-cache"))
    assert written == sorted(path.relative_to(project).as_posix() for path in project.rglob("*")
                             if path.is_file() and path.parts[len(project.parts)] in ("content", "templates"))


def test_serve_with_out_writes_the_site_into_that_folder_without_the_reload_script(project):
    with serving(project, "--out", str(project / "out")) as server:
        assert "<title>Test Reading List</title>" in fetch(server.url)[1]
        # The reload script is added on the way out, never written into the site.
        assert "__sitegen__" not in (project / "out" / "index.html").read_text(encoding="utf-8")
        about = project / "content" / "pages" / "about.md"
        about.write_text("# About\n\nWritten to disk.\n", encoding="utf-8")
        eventually(lambda: "Written to disk." in (project / "out" / "about" / "index.html").read_text("utf-8"),
                   "the edit is written into --out")
        assert "Written to disk." in fetch(server.url + "about/")[1]
        # A path that would leave the folder is not one of the site's.
        outside = project / "content" / "site.yaml"
        for address in (server.url + outside.as_posix(), server.url + "../content/site.yaml",
                        server.url + "papers/..%2f..%2fcontent/site.yaml", server.url + "%00"):
            assert fetch(address)[0] == 404, address


def test_serve_rebuilds_after_a_template_edit_and_a_yaml_edit(server, project):
    base = project / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</footer>", "<p>edited template</p></footer>"),
                    encoding="utf-8")
    eventually(lambda: "edited template" in fetch(server.url)[1], "the template edit shows")
    settings = project / "content" / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("Test Reading List", "Renamed List"),
                        encoding="utf-8")
    eventually(lambda: "<title>Renamed List</title>" in fetch(server.url)[1], "the YAML edit shows")
    server.wait_for_line(r"changed content/site\.yaml: built in")


def next_event(events) -> dict:
    while True:
        line = events.readline()
        if line.startswith(b"data: "):
            return json.loads(line[len(b"data: "):])


def test_open_pages_hear_of_each_new_build_and_which_pages_it_changed(server, project):
    events = urllib.request.urlopen(server.url + "__sitegen__/events", timeout=WAIT_SECONDS)
    first = next_event(events)
    assert first["build"] == 1 and not first["failed"]
    (project / "content" / "pages" / "about.md").write_text("# About\n\nChanged.\n", encoding="utf-8")
    second = next_event(events)
    assert second["build"] == 2 and second["server"] == first["server"]
    assert "/repo/about/" in second["pages"], second
    assert not any(page.startswith("/repo/papers/") for page in second["pages"]), "an unchanged page reloads"
    events.close()


def test_a_page_open_in_a_browser_is_made_first_and_hears_of_its_change_before_the_rest_is_made(server, project):
    # As hugo server's fast render: a template edit changes every page, the open one is shown first.
    page = "/repo/papers/alpha-attention-is-enough/"
    assert fetch(server.url + "papers/alpha-attention-is-enough/")[0] == 200
    events = urllib.request.urlopen(f"{server.url}__sitegen__/events?page={quote(page, safe='')}", timeout=WAIT_SECONDS)
    first = next_event(events)
    base = project / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</footer>", "<p>edited template</p></footer>"),
                    encoding="utf-8")
    early, rest = next_event(events), next_event(events)
    assert (early["build"], rest["build"]) == (first["build"] + 1, first["build"] + 2)
    assert early["pages"] == [page, page + "index.html"], early
    assert page not in rest["pages"] and "/repo/about/" in rest["pages"], "the open page reloads once"
    assert "edited template" in fetch(server.url + "about/")[1]
    events.close()


def test_a_listener_hears_every_outcome_it_missed_in_order_and_one_left_far_behind_reloads():
    builds = Builds()
    assert builds.wait_after(0, timeout=0.01) == []
    builds.publish(True, "", 0.1, ("/repo/",))
    assert [outcome.generation for outcome in builds.wait_after(-1, timeout=1)] == [1], "a new listener: the latest"
    builds.publish(True, "", 0.0, ("/repo/papers/a/",))  # the open page, then the rest, at once
    builds.publish(True, "", 0.2, ("/repo/about/",))
    assert [outcome.pages for outcome in builds.wait_after(1, timeout=1)] == [("/repo/papers/a/",), ("/repo/about/",)]
    for _ in range(HISTORY):
        builds.publish(True, "", 0.1, ("/repo/about/",))
    assert [outcome.pages for outcome in builds.wait_after(1, timeout=1)] == [None], "too far behind: every page"


def test_a_broken_build_shows_its_error_on_the_page_and_fixing_it_recovers(server, project):
    settings = project / "content" / "site.yaml"
    good = settings.read_text(encoding="utf-8")
    settings.write_text(good + "title: twice\n", encoding="utf-8")
    eventually(lambda: fetch(server.url)[0] == 500, "the page shows the failed build")
    status, page, _ = fetch(server.url + "papers/")
    assert status == 500
    assert "content/site.yaml:6:1: error: the key &#x27;title&#x27; is given twice" in page
    server.wait_for_line(r"content/site\.yaml:6:1: error: the key 'title' is given twice")
    assert server.process.poll() is None
    settings.write_text(good, encoding="utf-8")
    eventually(lambda: fetch(server.url)[0] == 200, "the fixed build is served again")


def children_of(pid: int) -> list[int]:
    return [int(child) for path in Path(f"/proc/{pid}/task").glob("*/children") for child in path.read_text().split()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_builds_in_its_own_process_and_an_edit_recomputes_only_what_it_touches(server, project):
    assert children_of(server.process.pid) == [], "no daemon, no helper, no forked fitter"
    curation = project / "content" / "pages" / "about.md"
    curation.write_text(curation.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    match = server.wait_for_line(r"changed content/pages/about\.md: built in [\d.]+ s, (\d+) files changed, "
                                 r"(\d+) steps computed")
    assert 1 <= int(match.group(1)) <= 3 and int(match.group(2)) <= 6, match.group(0)


def test_ctrl_c_stops_the_server_cleanly(server):
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=WAIT_SECONDS) == 0
    server.reader.join(timeout=5)
    assert server.lines[-1] == "stopped"
    assert not any("Traceback" in line for line in server.lines)


def fetch_as(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_answers_only_requests_addressed_to_it(server):
    port = server.url.split(":")[2].split("/")[0]
    assert fetch_as(server.url, f"127.0.0.1:{port}") == 200
    assert fetch_as(server.url, f"localhost:{port}") == 200
    # A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) reads nothing.
    assert fetch_as(server.url, f"attacker.example:{port}") == 421
    assert fetch_as(server.url + "papers.json", "attacker.example") == 421


@pytest.fixture
def accented(tmp_path: Path) -> Iterator[Server]:
    settings = "title: T\ndescription: D\nauthor: A\nbase_url: https://example.org/café list/\n" \
               "repository: https://github.com/u/r\n"
    write_content(tmp_path / "content", settings)
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", "0"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield Server(process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_handles_a_base_path_with_spaces_and_accents_and_redirects_it_without_its_slash(accented):
    assert accented.url.endswith("/caf%C3%A9%20list/")
    status, page, _ = fetch(accented.url)
    assert status == 200 and "<title>T</title>" in page
    assert fetch(accented.url + "papers/")[0] == 200
    status, _, headers = fetch(accented.url.rstrip("/"))
    assert status == 301 and headers["Location"] == "/caf%C3%A9%20list/"


def test_an_edit_to_sitegens_own_code_restarts_the_server_on_the_same_address(tmp_path):
    code = shutil.copytree(REPO / "sitegen", tmp_path / "code" / "sitegen",
                           ignore=shutil.ignore_patterns("__pycache__"))
    write_content(tmp_path / "content")
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    (tmp_path / "node_modules").symlink_to(REPO / "node_modules")  # lunr.js, beside the templates
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "code"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", "0"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        server = Server(process)
        module = code / "site" / "pages.py"
        module.write_text(module.read_text(encoding="utf-8").replace(
            '"Tags cut across themes;', '"Restarted with new code. Tags cut across themes;'), encoding="utf-8")
        server.wait_for_line(r"sitegen's code changed: restarting")
        def shows_new_code() -> bool:
            try:
                return "Restarted with new code" in fetch(server.url + "tags/")[1]
            except urllib.error.URLError:  # between the two servers
                return False

        eventually(shows_new_code, "the new code builds the site")
        # Its output is read by a thread, which may not have reached the new server's first line yet.
        eventually(lambda: sum(1 for line in server.lines if line.startswith(f"Serving {server.url} ")) == 2,
                   "the new server says it serves on the same address")
    finally:
        process.terminate()
        process.wait(timeout=10)
