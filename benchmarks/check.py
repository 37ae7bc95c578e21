"""Benchmark: `sitegen check` on a large list with unknown ids, each given did-you-mean suggestions.

    .venv/bin/python benchmarks/check.py [--papers 100000] [--unknown 50]

Writes a synthetic corpus (benchmarks/corpus.py), puts `--unknown` mistyped ids (a letter
dropped from real ids, alternating with ids that name no paper at all) at the end of one
curation file, and times `sitegen check` twice, each in a new process (check writes no
cache, so the two do the same work: the second shows the spread).
Target (issue #20): under 10 s with 50 unknown ids at 100,000 papers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import make_corpus


def add_unknown_ids(content: Path, count: int) -> int:
    """Append `count` unknown ids to the largest curation file; return how many it had."""
    curation = max(sorted((content / "curation").glob("*.yaml")), key=lambda path: path.stat().st_size)
    text = curation.read_text(encoding="utf-8")
    ids = [line.split("id:", 1)[1].strip() for line in text.splitlines() if line.lstrip().startswith("- id:")]
    wrong = [(ids[i * 7 % len(ids)][:-1] if i % 2 == 0 else f"no-such-paper-{i}") for i in range(count)]
    curation.write_text(text + "".join(f"- id: {paper_id}\n" for paper_id in wrong), encoding="utf-8")
    return len(ids)


def check(content: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sitegen", "check", "--content", str(content)], cwd=REPO,
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.stderr + done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--unknown", type=int, default=50)
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "out" / "check")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    content = make_corpus(args.papers, args.work / "content")
    placed = add_unknown_ids(content, args.unknown)
    first, output = check(content)
    again, _ = check(content)
    errors = output.count(": error: unknown paper id")
    suggested = output.count("did you mean")
    print(f"papers                {args.papers:>10,}")
    print(f"unknown ids           {errors:>10}   ({suggested} with a suggestion; {placed} placements in the file)")
    print(f"sitegen check, first  {first:>10.2f} s  (target < 10 s)")
    print(f"sitegen check, again  {again:>10.2f} s")
    return 0 if errors == args.unknown else 1


if __name__ == "__main__":
    sys.exit(main())
