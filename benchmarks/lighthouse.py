"""Benchmark: Lighthouse's scores for the search page, served gzipped as GitHub Pages serves it.

    (cd benchmarks && npm ci --no-audit --no-fund)   # Lighthouse, once
    .venv/bin/python benchmarks/lighthouse.py [--runs 3] [--page search/?q=mamba ...]

The bundled list is built for a project site (`/reading-list/`) into benchmarks/out/lighthouse/
and served on 127.0.0.1 by a server that answers as GitHub Pages does: gzip for text when the
browser asks for it, `Cache-Control: max-age=600`, and the 404 page for what does not exist.
Lighthouse (benchmarks/package.json) runs the real Chromium at /usr/bin/chromium with its
default mobile settings (a slow 4G network and a 4x slower CPU, simulated) and prints, for
each page, the median performance score over --runs runs with its metrics, and the
accessibility, best-practices and SEO scores. Target (issue #23): performance >= 95 on the
search page, also when it opens with `?q=`.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "out" / "lighthouse"
LIGHTHOUSE = REPO / "benchmarks" / "node_modules" / ".bin" / "lighthouse"
PREFIX = "/reading-list/"
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")
PAGES = ("search/", "search/?q=mamba", "search/?q=quantization+mamba", "", "themes/visual-generation/", "papers/",
         "papers/mamba-linear-time-sequence-modeling-with-selective-state-spaces/")
METRICS = (("first-contentful-paint", "FCP"), ("largest-contentful-paint", "LCP"),
           ("total-blocking-time", "TBT"), ("cumulative-layout-shift", "CLS"), ("speed-index", "SI"))


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the site under PREFIX as GitHub Pages does: gzip for text, a 404 page, a cache time."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(PREFIX):
            return self.answer(404, self.file("404.html"), "text/html")
        relative = path[len(PREFIX):]
        target = Path(self.directory, relative)
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.end_headers()
                return None
            target = target / "index.html"
        if not target.is_file():
            return self.answer(404, self.file("404.html"), "text/html")
        return self.answer(200, target.read_bytes(), self.guess_type(str(target)))

    def file(self, relative: str) -> bytes:
        return Path(self.directory, relative).read_bytes()

    def answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind if not kind.startswith("text/") else f"{kind}; charset=utf-8")
        self.send_header("Cache-Control", "max-age=600")
        self.send_header("Vary", "Accept-Encoding")
        textual = kind.startswith(("text/", "application/json", "application/javascript", "image/svg",
                                   "application/xml", "application/atom"))
        if textual and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(PagesHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def build(port: int) -> Path:
    out = WORK / "site"
    command = [str(REPO / ".venv" / "bin" / "sitegen"), "build", "--out", str(out), "--force",
               "--base-url", f"http://127.0.0.1:{port}{PREFIX}"]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return out


def lighthouse(url: str, report: Path) -> dict[str, object]:
    environment = dict(os.environ, CHROME_PATH="/usr/bin/chromium")
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
               "--only-categories=performance,accessibility,best-practices,seo",
               f"--chrome-flags={CHROME_FLAGS}"]
    subprocess.run(command, check=True, env=environment)
    return json.loads(report.read_text("utf-8"))


def summary(page: str, results: list[dict]) -> str:
    def score(result: dict, category: str) -> float:
        return round(100 * (result["categories"][category]["score"] or 0))

    performances = [score(result, "performance") for result in results]
    middle = sorted(results, key=lambda result: score(result, "performance"))[len(results) // 2]
    metrics = ", ".join(f"{label} {middle['audits'][audit]['displayValue']}" for audit, label in METRICS)
    others = " · ".join(f"{category} {score(middle, category):.0f}"
                        for category in ("accessibility", "best-practices", "seo"))
    return (f"| `/{page}` | {statistics.median(performances):.0f} ({min(performances):.0f}–{max(performances):.0f}) "
            f"| {metrics} | {others} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page", action="append", help="a page under the site's root (repeatable)")
    arguments = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: run (cd benchmarks && npm ci --no-audit --no-fund)")
    WORK.mkdir(parents=True, exist_ok=True)
    server, port = serve(WORK / "site")
    try:
        build(port)
        rows = []
        for page in arguments.page or PAGES:
            url = f"http://127.0.0.1:{port}{PREFIX}{page}"
            results = [lighthouse(url, WORK / f"report-{run}.json") for run in range(arguments.runs)]
            rows.append(summary(page, results))
            print(rows[-1], flush=True)
    finally:
        server.shutdown()
    print("\n| page | performance (median, range) | metrics of the median run | other categories |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
