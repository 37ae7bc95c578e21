"""Benchmark: parse a synthetic listing of N papers; report MB/s on one core and peak memory.

    .venv/bin/python benchmarks/parse_listings.py [--papers 100000]

The listing is made from the bundled papers, cycled with numbered titles, in all three
layouts (a third each). Peak memory is the process's peak resident set size minus what it
held before parsing, measured in a child process so that writing the input does not count.
Targets (issue #2): at least 50 MB/s, peak memory under 3x the input size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def write_corpus(path: Path, count: int) -> int:
    """Write a synthetic listing of `count` papers; return its size in bytes."""
    from sitegen.memo import Memo
    from sitegen.project import Project
    from sitegen.read import read_catalog
    from sitegen.read.files import Files

    catalog, _ = read_catalog(Files(Project(REPO / "content", REPO / "templates"), Memo(None)))
    seeds = catalog.papers
    with path.open("w", encoding="utf-8") as out:
        out.write("Get trending papers in your email inbox!\nSubscribe")
        for index in range(count):
            paper = seeds[index % len(seeds)]
            title = f"{paper.title} (variant {index})"
            layout = index % 3
            if layout == 0:
                out.write(f"{title}\n{paper.abstract}\n")
            elif layout == 1:
                out.write(f"\n{title}\n\n{paper.abstract}\n\n")
            else:
                out.write(f"\n{title}\n\n{paper.abstract}\n\n  • {index % 12 + 1} authors\n·\nAug {index % 28 + 1}, 2024 {index % 50}\n")
    return path.stat().st_size


def measure(path: Path) -> dict[str, float]:
    """Parse the listing in this process (run as a child): time and peak memory."""
    from sitegen.read.listings import parse_listing

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    entries = parse_listing(path.name, path.read_bytes())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"entries": len(entries), "seconds": seconds, "peak_kb": peak - before}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "listing.txt"
        size = write_corpus(listing, args.papers)
        result = json.loads(
            subprocess.run(
                [sys.executable, __file__, "--child", str(listing)], check=True, capture_output=True, text=True
            ).stdout
        )
    mb = size / 1e6
    print(f"papers parsed     {result['entries']:>12,}")
    print(f"input size        {mb:>12.1f} MB")
    print(f"parse time        {result['seconds']:>12.2f} s")
    print(f"throughput        {mb / result['seconds']:>12.1f} MB/s   (target >= 50)")
    print(f"peak memory       {result['peak_kb'] / 1e3:>12.1f} MB    ({result['peak_kb'] * 1e3 / size:.2f}x input; target < 3x)")
    return 0 if result["entries"] == args.papers else 1


if __name__ == "__main__":
    sys.exit(main())
