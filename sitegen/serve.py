"""`sitegen serve`: build, serve on loopback under the site's base path, rebuild on change, reload.

Builds run in this process with one memo kept for all of them: scikit-learn stays loaded,
and the fit, the pages' HTML and the rendered pages of the last build are at hand, so an
edit costs only the steps it touches. The site is kept in memory and served from there:
no file is written (unless --out names a folder). The system's file events (watchfiles) start a
rebuild; a burst of saves is one rebuild. Pages are served with a small live-reload script
(reload.js, added on the way out: the built files are never touched). It listens for
server-sent events and shows the new version of its page when that page changed: the new
body swapped in when the stylesheets and scripts are the same, a reload otherwise. A build
makes the pages open in a browser first and tells them before it makes the rest, as hugo
server's fast render does. An edit to sitegen's own code restarts the server (the new code
could not be loaded into this process). While the last build failed, every page shows its
error instead, and the server keeps watching.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sitegen.errors import SitegenError
from sitegen.memo import Memo
from sitegen.pipeline import Options, build
from sitegen.project import PACKAGE, Project, display
from sitegen.read.config import load_config
from sitegen.read.files import Files
from sitegen.site.urls import Urls
from sitegen.write.folder import WriteReport
from sitegen.write.memory import InMemory

RELOAD_ROUTE = "__sitegen__/"
KEEPALIVE_SECONDS = 15.0
HISTORY = 16  # outcomes kept for the listeners that have not heard of them yet
SETTLE_MILLISECONDS = 50  # editors save in several writes: a rebuild waits until they are this quiet
WAKE_MILLISECONDS = 200  # how often the idle watcher looks at whether serve is stopping or should save
SAVE_AFTER_SECONDS = 3.0  # the memo is stored for the next process once no file changed for this long
RELOAD_SCRIPT = (Path(__file__).parent / "reload.js").read_bytes()  # added to every page served


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that reloads a page while it loads drops the connection: that is no error."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Outcome:
    """The result of one build: its number, whether it worked, what it printed and what it changed."""

    generation: int
    ok: bool
    output: str
    seconds: float
    pages: tuple[str, ...] | None = ()  # the addresses of the pages that changed; None for all

    def event(self, server: str) -> str:
        pages: object = "*" if self.pages is None else list(self.pages)
        return json.dumps({"server": server, "build": self.generation, "failed": not self.ok, "pages": pages})


class Builds:
    """The latest build's outcome, shared between the watcher, the server and the browsers."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.latest = Outcome(0, False, "the first build has not finished", 0.0)
        self.server = f"{os.getpid()}-{time.time_ns()}"
        # The last outcomes: a build can tell the open pages of their change, then the others,
        # faster than a listener writes the first event out.
        self._history: deque[Outcome] = deque(maxlen=HISTORY)
        self._open: Counter[str] = Counter()  # the route of each page a browser shows (one per event stream)

    def opened(self, route: str) -> None:
        with self.changed:
            self._open[route] += 1

    def closed(self, route: str) -> None:
        with self.changed:
            self._open[route] -= 1
            if self._open[route] <= 0:
                del self._open[route]

    def open_routes(self) -> frozenset[str]:
        """Return the routes of the pages open in a browser now."""
        with self.changed:
            return frozenset(self._open)

    def publish(self, ok: bool, output: str, seconds: float, pages: tuple[str, ...] | None = ()) -> Outcome:
        with self.changed:
            self.latest = Outcome(self.latest.generation + 1, ok, output, seconds, pages)
            self._history.append(self.latest)
            self.changed.notify_all()
            return self.latest

    def wait_after(self, generation: int, timeout: float) -> list[Outcome]:
        """Return the outcomes after `generation`, in order, once there is one (none after
        `timeout`); a new listener (generation -1) is given the latest alone. A listener left
        behind by more than HISTORY outcomes is given the latest as changing every page."""
        with self.changed:
            self.changed.wait_for(lambda: self.latest.generation != generation, timeout)
            if self.latest.generation == generation:
                return []
            if generation < 0:
                return [self.latest]
            missed = [outcome for outcome in self._history if outcome.generation > generation]
            if not missed or missed[0].generation != generation + 1:
                return [replace(self.latest, pages=None)]
            return missed


def open_route(request: str, base_path: str) -> str | None:
    """Return the route of the page an event stream's request names (`events?page=/base/papers/x/`),
    or None when it names no page of the site."""
    pages = parse_qs(urlsplit(request).query).get("page")
    page, base = unquote(pages[0]) if pages else "", unquote(base_path)  # a page's path, as its address has it
    if not page.startswith(base):
        return None
    route = page[len(base):]
    return route.removesuffix("index.html") if route.endswith("/index.html") or route == "index.html" else route


def changed_pages(changed: Sequence[str], base_path: str) -> tuple[str, ...] | None:
    """Return the addresses of the changed pages; None when a change can show on any page."""
    found: list[str] = []
    for path in changed:
        if path.startswith("assets/"):
            return None  # a stylesheet or script: every page
        if path.endswith("index.html"):
            folder = path[: -len("index.html")]
            found += [base_path + folder, base_path + path]
        elif path.startswith("search/"):
            found += [base_path + "search/", base_path + "search/index.html"]
        elif path.endswith(".html"):
            found.append(base_path + path)
    return tuple(sorted(set(found)))


class SiteFiles(Protocol):
    """What the server reads of a built site: a file's bytes by its path in the site (None if
    there is none), and whether a path is a folder (then its index.html is served)."""

    def read(self, path: str) -> bytes | None: ...

    def is_folder(self, path: str) -> bool: ...


class Folder:
    """The files of an output folder, read as the site in memory is: for `serve --out DIR`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, path: str) -> bytes | None:
        target = self.folder / path
        return target.read_bytes() if target.is_file() else None

    def is_folder(self, path: str) -> bool:
        return (self.folder / path).is_dir()


def content_type(name: str) -> str:
    """Return the Content-Type of a site file, by its name as a web server gives it."""
    found = mimetypes.guess_type(name)[0] or "application/octet-stream"
    text = found.startswith("text/") or found.endswith(("json", "xml", "javascript"))
    return f"{found}; charset=utf-8" if text else found


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


class Handler(BaseHTTPRequestHandler):
    """Serve the built site under its base path, plus the live-reload script and events."""

    builds: Builds
    files: SiteFiles  # the last build's files: an InMemory, or a Folder
    base_path: str  # percent-encoded, as links carry it
    hosts: frozenset[str]  # the Host names this server answers to
    stopping: threading.Event

    def do_GET(self) -> None:
        if not self.host_allowed():
            return self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "this server answers only for its own address")
        raw = urlsplit(self.path).path
        path, base = unquote(raw), unquote(self.base_path)
        if path == base + RELOAD_ROUTE + "reload.js":
            return self.send_bytes(RELOAD_SCRIPT, "text/javascript; charset=utf-8")
        if path == base + RELOAD_ROUTE + "events":
            return self.send_events()
        if not path.startswith(base):
            if path in ("/", "/index.html") or path + "/" == base:
                return self.redirect(self.base_path)
            return self.send_error(HTTPStatus.NOT_FOUND, f"the site is served under {self.base_path}")
        latest = self.builds.latest
        if not latest.ok and path.endswith(("/", ".html")):
            return self.send_bytes(error_page(latest.output, self.base_path), "text/html; charset=utf-8",
                                   HTTPStatus.INTERNAL_SERVER_ERROR)
        relative = path[len(base):]
        # Only a path inside the site: no `.` or `..`, no `/` or `//` that would make it absolute.
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts[:-1]) or parts[-1] in (".", "..") or "\0" in relative:
            return self.send_error(HTTPStatus.NOT_FOUND)
        if relative and not relative.endswith("/") and self.files.is_folder(relative):
            return self.redirect(raw + "/")
        name = relative + "index.html" if relative == "" or relative.endswith("/") else relative
        body = self.files.read(name)
        if body is None:
            return self.send_bytes(self.files.read("404.html") or b"not found", "text/html; charset=utf-8",
                                   HTTPStatus.NOT_FOUND)
        if name.endswith(".html"):
            script = f'<script src="{self.base_path}{RELOAD_ROUTE}reload.js"></script>\n</body>'
            return self.send_bytes(body.replace(b"</body>", script.encode(), 1), "text/html; charset=utf-8")
        return self.send_bytes(body, content_type(name))

    def do_HEAD(self) -> None:
        self.do_GET()

    def host_allowed(self) -> bool:
        """Answer only requests that name this server: a page of another site that resolves its
        own name to 127.0.0.1 (DNS rebinding) must not read the preview."""
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]", 1)[0]
        return name.lower() in self.hosts or is_loopback(name)

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
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_events(self) -> None:
        """Stream each build as it ends; the reload script reloads its page when that page changed.

        The script names its page (`?page=`): while it listens, builds make that page first.
        """
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        generation = -1
        route = open_route(self.path, self.base_path)
        if route is not None:
            self.builds.opened(route)
        try:
            self.wfile.write(b"retry: 300\n\n")  # after a restart, come back quickly
            while not self.stopping.is_set():
                outcomes = self.builds.wait_after(generation, KEEPALIVE_SECONDS)
                message = "".join(f"data: {outcome.event(self.builds.server)}\n\n" for outcome in outcomes)
                generation = outcomes[-1].generation if outcomes else generation
                self.wfile.write((message or ": keepalive\n\n").encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded
        finally:
            if route is not None:
                self.builds.closed(route)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would bury the build messages


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


class _Restart(Exception):
    """sitegen's own code changed: the server starts again with the new code."""


def serve(project: Project, host: str, port: int, out: Path | None, say: Callable[[str], None],
          arguments: Sequence[str] = ()) -> int:
    """Build, serve and rebuild on change until interrupted; return the exit code.

    `arguments` are serve's command line (`serve --port ...`), to start again with when
    sitegen's code changes; without them, the server stops instead.
    """
    try:
        base_path = Urls.from_base_url(load_config(Files(project, Memo(None))).base_url).base_path
    except SitegenError:
        base_path = "/"  # the build reports what is wrong with the settings, on the page too
    builds, stopping = Builds(), threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    hosts = frozenset({host.lower(), "localhost"})
    # The site is kept in memory and served from there; a folder the user named (--out) is
    # replaced whole at each build, as by sitegen build, and served from disk.
    announced: set[str] = set()  # the pages this build has told the browsers of already

    def shown(report: WriteReport) -> None:
        """The pages open in a browser are made: reload them while the rest is made."""
        pages = changed_pages(report.written, base_path)
        if builds.latest.ok and pages:
            builds.publish(True, "", 0.0, pages)
            announced.update(pages)

    files = InMemory(shown) if out is None else Folder(out.resolve())
    handler = type("SiteHandler", (Handler,), {"builds": builds, "base_path": base_path, "stopping": stopping,
                                                 "hosts": hosts, "files": files})
    memo = Memo(project.cache, keep=True)
    restart = threading.Event()
    server = _Server((host, port), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}{base_path}"
    # This process has threads (its server, its watcher): Markdown is converted in it, not by forked workers.
    options = Options(out=files if isinstance(files, InMemory) else files.folder, base_url=url, workers=1)
    if not is_loopback(host):
        say(f"warning: serving on {host}: anyone who can reach this machine can read the site")

    building = threading.Lock()  # one build at a time: the first, then each edit's

    def rebuild(reason: str) -> None:
        with building:
            build_once(reason)

    def build_once(reason: str) -> None:
        started = time.perf_counter()
        announced.clear()
        first = builds.open_routes() if isinstance(files, InMemory) else frozenset()
        try:
            result = build(project, replace(options, first=first), memo, save=False)
        except SitegenError as error:
            output = "\n".join(problem.format() for problem in error.problems)
            builds.publish(False, output, time.perf_counter() - started)
            say(f"{reason}: the build failed; the page shows the error until it is fixed\n{output}")
            unsaved.set()
            return
        for warning in result.warnings:
            say(warning.format())
        pages = changed_pages(result.changed, base_path) if builds.latest.ok else None
        if pages is not None:
            pages = tuple(page for page in pages if page not in announced)
        outcome = builds.publish(True, "", result.seconds, pages)
        say(f"{reason}: built in {outcome.seconds:.2f} s, {result.written} files changed, "
            f"{memo.misses} steps computed")
        unsaved.set()

    unsaved = threading.Event()  # the memo holds steps computed since it was last stored
    last_change = [time.monotonic()]

    def save_when_idle() -> None:
        """Store what the builds computed, for the next process, once no edit came for a
        moment: while the browsers load what a build changed, this process only serves them."""
        if unsaved.is_set() and time.monotonic() - last_change[0] >= SAVE_AFTER_SECONDS:
            save()

    def save() -> None:
        with building:  # a build waits for it
            unsaved.clear()
            memo.save()

    watching = threading.Event()

    def rebuild_on_change() -> None:
        import watchfiles

        folders = [project.content, project.templates, PACKAGE]
        # The watcher yields nothing every WAKE_MILLISECONDS when there is no change: its first
        # yield says its watches are in place, so no edit made after "Serving" is missed.
        for changes in watchfiles.watch(*folders, stop_event=stopping, step=SETTLE_MILLISECONDS,
                                        debounce=2000, raise_interrupt=False, yield_on_timeout=True,
                                        rust_timeout=WAKE_MILLISECONDS):
            watching.set()
            if not changes:
                save_when_idle()
                continue
            last_change[0] = time.monotonic()
            paths = sorted({Path(path) for _, path in changes})
            if any(path.is_relative_to(PACKAGE) and path.suffix in (".py", ".json", ".js") for path in paths):
                restart.set()
                server.shutdown()
                return
            names = ", ".join(display(path) for path in paths[:3]) + (" ..." if len(paths) > 3 else "")
            rebuild(f"changed {names}")

    watcher = threading.Thread(target=rebuild_on_change, name="sitegen-watch", daemon=True)
    try:
        watcher.start()  # before the first build: an edit made while it runs is built next
        rebuild("first build")
        watching.wait(timeout=10)
        say(f"Serving {url} (watching {display(project.content)}, {display(project.templates)} and "
            "sitegen's code; Ctrl-C to stop)")
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
        if unsaved.is_set():
            save()
        memo.close()
    if restart.is_set():
        if not arguments:
            say("sitegen's code changed: stopped; start sitegen serve again")
            return 0
        say("sitegen's code changed: restarting")
        os.execv(sys.executable, [sys.executable, "-m", "sitegen", *_with_port(list(arguments), port)])
    return 0


def _with_port(arguments: list[str], port: int) -> list[str]:
    """Return serve's arguments with the port it listens on, so that open pages find it again."""
    found, skip = [], False
    for index, argument in enumerate(arguments):
        if skip:
            skip = False
            continue
        if argument == "--port":
            skip = index + 1 < len(arguments)
            continue
        if argument.startswith("--port="):
            continue
        found.append(argument)
    return [*found, "--port", str(port)]
