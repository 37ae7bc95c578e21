"""`sitegen serve`: build, serve on loopback under the site's base path, rebuild on change, reload.

Each build runs `sitegen build` in a fresh Python process, so an edit to sitegen's own code
takes effect as surely as an edit to a template, and a crash never takes the server down.
The builds fit their models in children of a fitter kept warm meanwhile (sitegen/warm.py),
with scikit-learn loaded already: an edit to a placement shows up a second sooner.
Pages are served with a small live-reload script added on the way out (the built files are
never touched); it listens for server-sent events and reloads when a build finishes. While
the last build failed, every page shows its error instead, and the server keeps watching.
"""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import sitegen
from sitegen.config import load_config
from sitegen.errors import SitegenError
from sitegen.project import Project, display
from sitegen.urls import Urls
from sitegen.warm import WarmFitter

RELOAD_ROUTE = "__sitegen__/"
POLL_SECONDS = 0.3  # how often the watcher looks at modification times
SETTLE_SECONDS = 0.2  # editors save in several writes; wait for the last one
KEEPALIVE_SECONDS = 15.0
RELOAD_SCRIPT = b"""\
// Added by `sitegen serve` to the pages it serves; never part of the built site.
(function () {
  var script = document.currentScript;
  var events = new EventSource(script.src.replace(/reload\\.js$/, "events"));
  var first = null;
  events.onmessage = function (event) {
    if (first === null) { first = event.data; return; }
    if (event.data !== first) { events.close(); window.location.reload(); }
  };
})();
"""


@dataclass(frozen=True)
class Outcome:
    """The result of one build: its number, whether it worked, and what it printed."""

    generation: int
    ok: bool
    output: str
    seconds: float


class Builds:
    """The latest build's outcome, shared between the watcher, the server and the browsers."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.latest = Outcome(0, False, "the first build has not finished", 0.0)

    def publish(self, ok: bool, output: str, seconds: float) -> Outcome:
        with self.changed:
            self.latest = Outcome(self.latest.generation + 1, ok, output, seconds)
            self.changed.notify_all()
            return self.latest

    def wait_after(self, generation: int, timeout: float) -> Outcome:
        with self.changed:
            self.changed.wait_for(lambda: self.latest.generation != generation, timeout)
            return self.latest


def build_command(project: Project, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "sitegen", "build",
        "--content", str(project.content), "--templates", str(project.templates),
        "--out", str(out), "--base-url", base_url,
    ]  # fmt: skip


def run_build(command: list[str], environment: dict[str, str] | None = None) -> tuple[bool, str, float]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=None if environment is None else os.environ | environment)
    return done.returncode == 0, (done.stderr + done.stdout).strip(), time.perf_counter() - started


def watched_folders(project: Project) -> tuple[Path, ...]:
    return (project.content, project.templates, Path(sitegen.__file__).parent)


def snapshot(folders: tuple[Path, ...]) -> dict[Path, tuple[int, int]]:
    """Return the modification time and size of every file under the folders."""
    found: dict[Path, tuple[int, int]] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if "__pycache__" in path.parts or path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except OSError:  # deleted between listing and stat
                continue
            if path.is_file():
                found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def changes(before: dict[Path, tuple[int, int]], after: dict[Path, tuple[int, int]]) -> list[Path]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def watch(folders: tuple[Path, ...], stop: threading.Event) -> Iterator[list[Path]]:
    """Yield the files that changed, each time some did, until `stop` is set."""
    seen = snapshot(folders)
    while not stop.wait(POLL_SECONDS):
        now = snapshot(folders)
        if now == seen:
            continue
        while not stop.wait(SETTLE_SECONDS):
            settled = snapshot(folders)
            if settled == now:
                break
            now = settled
        changed, seen = changes(seen, now), now
        if changed:
            yield changed


def error_page(output: str, base_path: str) -> bytes:
    lines = "\n".join(html.escape(line) for line in output.splitlines()) or "the build failed"
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Build failed · sitegen serve</title>\n"
        f"<script src=\"{base_path}{RELOAD_ROUTE}reload.js\" defer></script>\n</head>\n<body>\n"
        "<h1>The build failed</h1>\n<p>Fix the problem below and save: this page reloads by itself. "
        "The last good site is not shown until then.</p>\n"
        f"<pre>{lines}</pre>\n</body>\n</html>\n"
    ).encode()


class Handler(SimpleHTTPRequestHandler):
    """Serve the built site under its base path, plus the live-reload script and events."""

    builds: Builds
    base_path: str
    stopping: threading.Event

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == self.base_path + RELOAD_ROUTE + "reload.js":
            return self.send_bytes(RELOAD_SCRIPT, "text/javascript; charset=utf-8")
        if path == self.base_path + RELOAD_ROUTE + "events":
            return self.send_events()
        if not path.startswith(self.base_path):
            if path in ("/", "/index.html"):
                return self.redirect(self.base_path)
            return self.send_error(HTTPStatus.NOT_FOUND, f"the site is served under {self.base_path}")
        latest = self.builds.latest
        if not latest.ok and (path.endswith(("/", ".html"))):
            return self.send_bytes(error_page(latest.output, self.base_path), "text/html; charset=utf-8",
                                   HTTPStatus.INTERNAL_SERVER_ERROR)
        self.path = "/" + self.path[len(self.base_path):]
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not path.endswith("/"):
                return self.redirect(path + "/")
            target = target / "index.html"
        if target.is_file() and target.suffix == ".html":
            script = f'<script src="{self.base_path}{RELOAD_ROUTE}reload.js"></script>\n</body>'
            return self.send_bytes(target.read_bytes().replace(b"</body>", script.encode(), 1),
                                   "text/html; charset=utf-8")
        if not target.is_file():
            missing = Path(self.directory) / "404.html"
            body = missing.read_bytes() if missing.is_file() else b"not found"
            return self.send_bytes(body, "text/html; charset=utf-8", HTTPStatus.NOT_FOUND)
        return super().do_HEAD() if self.command == "HEAD" else super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a page is never older than the last build
        super().end_headers()

    def send_bytes(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_events(self) -> None:
        """Stream the build number; the reload script reloads the page when it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        generation = -1
        try:
            while not self.stopping.is_set():
                latest = self.builds.wait_after(generation, KEEPALIVE_SECONDS)
                message = f"data: {latest.generation}\n\n" if latest.generation != generation else ": keepalive\n\n"
                generation = latest.generation
                self.wfile.write(message.encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would bury the build messages


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(project: Project, host: str, port: int, out: Path | None, say: Callable[[str], None]) -> int:
    """Build, serve and rebuild on change until interrupted; return the exit code."""
    try:
        base_path = Urls.from_base_url(load_config(project.content).base_url).base_path
    except SitegenError:
        base_path = "/"  # the build reports what is wrong with the settings, on the page too
    builds, stopping = Builds(), threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    handler = type("SiteHandler", (Handler,), {"builds": builds, "base_path": base_path, "stopping": stopping})
    with tempfile.TemporaryDirectory(prefix="sitegen-serve-") as scratch, WarmFitter() as fitter:
        site = (out or Path(scratch) / "site").resolve()
        server = ThreadingHTTPServer((host, port), partial(handler, directory=str(site)))
        server.daemon_threads = True
        url = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}{base_path}"
        command = build_command(project, site, url)
        if not is_loopback(host):
            say(f"warning: serving on {host}: anyone who can reach this machine can read the site")

        warm: dict[str, str] = {}  # what leads a build to the fitter

        def build(reason: str) -> None:
            ok, output, seconds = run_build(command, warm)
            # The fitter is (re)started between builds, not before one: its import would slow
            # the build down, which could not use it yet. A build after an edit to sitegen's
            # code finds the fitter of the old code and fits on its own.
            warm.update(fitter.environment())
            outcome = builds.publish(ok, output, seconds)
            if ok:
                say(f"{reason}: built in {outcome.seconds:.2f} s")
            else:
                say(f"{reason}: the build failed; the page shows the error until it is fixed\n{output}")

        def rebuild_on_change() -> None:
            for changed in watch(watched_folders(project), stopping):
                names = ", ".join(display(path) for path in changed[:3]) + (" ..." if len(changed) > 3 else "")
                build(f"changed {names}")

        watcher = threading.Thread(target=rebuild_on_change, name="sitegen-watch", daemon=True)
        try:
            build("first build")
            watcher.start()
            say(f"Serving {url} (watching {', '.join(display(p) for p in watched_folders(project))}; "
                "Ctrl-C to stop)")
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            say("stopped")
        finally:
            stopping.set()
            with builds.changed:
                builds.changed.notify_all()
            server.server_close()
            if watcher.is_alive():
                watcher.join(timeout=5)
    return 0
