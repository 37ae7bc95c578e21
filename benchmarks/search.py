"""Time search in a real browser: each query of tests/search_queries.txt, typed into the box.

    .venv/bin/python benchmarks/search.py --rounds 5

Builds the bundled content into a scratch folder, serves it, and opens the search page in
Debian's Chromium (the browser tests' setup). Once the full index is in, every query is
typed in turn; search.js measures each ("sitegen search": from asking its worker to the rendering of the
results). Prints the median and the slowest per round, and the median of the rounds'
medians. The target (median under 10 ms) is checked here, not in a timed unit test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.cli import main as sitegen
from tests.browser import launched_chromium, serve_folder

SUBPATH = "/reading-list/"
QUERIES = [line for line in (REPO / "tests" / "search_queries.txt").read_text(encoding="utf-8").splitlines()
           if line.strip() and not line.startswith("#")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="times every query is typed (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        with serve_folder(site, SUBPATH) as origin, launched_chromium() as browser:
            code = sitegen(["build", "--content", str(REPO / "content"), "--templates", str(REPO / "templates"),
                            "--out", str(site), "--base-url", origin + SUBPATH])
            if code != 0:
                return code
            page = browser.new_page()
            page.goto(origin + SUBPATH + "search/")
            page.wait_for_function("() => document.getElementById('search-results').dataset.stage === 'full'")
            medians = []
            for round_number in range(1, args.rounds + 1):
                page.evaluate("performance.clearMeasures('sitegen search')")
                for query in QUERIES:
                    page.fill("#site-search", query)
                    page.wait_for_function(
                        "q => document.getElementById('search-results').dataset.query === q", arg=query.strip())
                durations = page.evaluate("performance.getEntriesByName('sitegen search').map(m => m.duration)")
                medians.append(statistics.median(durations))
                print(f"round {round_number}: {len(durations)} searches, median {medians[-1]:.2f} ms, "
                      f"slowest {max(durations):.2f} ms")
    print(f"median of the rounds' medians: {statistics.median(medians):.2f} ms (target: under 10 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
