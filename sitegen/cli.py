"""The `sitegen` command line: papers, check, build, suggest, summary, serve."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sitegen import __version__
from sitegen.errors import Problem, SitegenError

if TYPE_CHECKING:
    from sitegen.project import Project
    from sitegen.summary import Counts

DESCRIPTION = """\
Build the website of a curated reading list of machine-learning papers.

Run from the repository root, sitegen reads ./content (paper listings and
curation) and ./templates; --content and --templates point elsewhere."""

EPILOG = """\
examples:
  sitegen papers                 summary of the papers in the listings
  sitegen papers --json          every paper as JSON, sorted by id
  sitegen check                  check the curation YAML, write nothing
  sitegen build                  build the site into _site/
  sitegen build --out public     build it somewhere else
  sitegen build --base-url https://user.github.io/repo/
                                 build it for another address
  sitegen suggest                YAML suggesting themes and tags for uncurated papers
  sitegen suggest --evaluate     how often the suggested theme is right (cross-validated)
  sitegen serve                  preview on http://127.0.0.1:8000/, rebuilt as you edit

Run 'sitegen COMMAND --help' for the options of a command."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except SitegenError as error:
        report(error.problems)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `sitegen papers --json | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content",
        type=Path,
        default=Path("content"),
        metavar="DIR",
        help="folder with sources/ and the curation YAML (default: ./content)",
    )
    common.add_argument(
        "--templates",
        type=Path,
        default=Path("templates"),
        metavar="DIR",
        help="folder with the Jinja templates (default: ./templates)",
    )
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    papers = commands.add_parser(
        "papers",
        parents=[common],
        help="list the papers read from the listings",
        description="Parse the paper listings and summarise them, or print every paper as JSON.",
    )
    papers.add_argument(
        "--json", action="store_true", help="print the papers as a JSON array sorted by id"
    )
    papers.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILES",
        help="listings to read (default: every content/sources/*.txt)",
    )
    papers.set_defaults(run=run_papers, command="papers")

    check = commands.add_parser(
        "check",
        parents=[common],
        help="check the listings, curation and settings without building",
        description="Read the listings, the curation YAML and the site settings, report every "
        "problem at once as file:line:column, and write nothing. Exit code 1 when there is an "
        "error; warnings alone exit with 0. In GitHub Actions (GITHUB_ACTIONS=true) each problem "
        "is also printed as a workflow command, so it shows on the pull request's diff.",
    )
    check.set_defaults(run=run_check, command="check")

    build = commands.add_parser(
        "build",
        parents=[common],
        help="build the website",
        description="Build the website from the content and templates into an output folder.",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=Path("_site"),
        metavar="DIR",
        help="where to write the site (default: ./_site); replaced whole, atomically",
    )
    build.add_argument(
        "--base-url",
        metavar="URL",
        help="the URL the site is served from, such as https://user.github.io/repo/ "
        "(default: base_url of content/site.yaml)",
    )
    build.add_argument(
        "--markdown",
        type=Path,
        metavar="DIR",
        help="also write the Markdown document of every page into DIR (replaced whole)",
    )
    build.add_argument(
        "--fresh",
        action="store_true",
        help="ignore the cache in .sitegen-cache/ and compute everything again (it is refilled)",
    )
    build.add_argument("--timings", action="store_true", help="print the time spent in each phase")
    build.set_defaults(run=run_build, command="build")

    suggest = commands.add_parser(
        "suggest",
        parents=[common],
        help="suggest themes and tags for uncurated papers, as YAML to paste into the curation",
        description="Train a classifier on the curated placements and print, for each uncurated "
        "paper whose best theme reaches the threshold, an entry to append to that theme's "
        "curation file: the confidence and the terms behind it as comments, and the tags of the "
        "most similar curated papers. With --evaluate, print the classifier's cross-validated "
        "accuracy on the curated papers instead.",
    )
    suggest.add_argument(
        "--threshold",
        type=_confidence,
        default=None,
        metavar="P",
        help="the least confidence, from 0 to 1, of a suggestion to print (default: 0.5)",
    )
    suggest.add_argument(
        "--evaluate", action="store_true", help="report cross-validated accuracy and macro-F1 instead"
    )
    suggest.set_defaults(run=run_suggest, command="suggest")

    summary = commands.add_parser(
        "summary",
        parents=[common],
        help="print the reading list's counts and problems as Markdown (for a CI job summary)",
        description="Print the counts of papers, themes, tags and placements, and every problem, "
        "as Markdown. With --compare, also show what changed against another content folder, "
        "such as the base branch's checkout of a pull request.",
    )
    summary.add_argument(
        "--compare", type=Path, metavar="DIR", help="a content folder to compare with, such as base/content"
    )
    summary.set_defaults(run=run_summary, command="summary")

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="build, serve the site locally and rebuild it on every change",
        description="Build the site, serve it on http://127.0.0.1:8000/ under its base path, "
        "and rebuild on every change to the content, the templates or sitegen itself; open "
        "pages reload by themselves. A build error is shown in the terminal and on the page, "
        "and the server keeps running. On Linux it keeps scikit-learn loaded in a second "
        "process (about 150 MB) for its builds, so that an edit to the placements shows up a "
        "second sooner; that process ends with it. Ctrl-C stops it.",
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 shares it with your network)",
    )
    serve.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="build into DIR (default: a temporary folder, removed when the server stops)",
    )
    serve.set_defaults(run=run_serve, command="serve")
    return parser


def project_from(args: argparse.Namespace) -> Project:
    from sitegen.project import Project

    return Project(content=args.content, templates=args.templates)


def run_papers(args: argparse.Namespace) -> int:
    from sitegen.build import cache_for, read_catalog
    from sitegen.catalog import load_catalog
    from sitegen.curation import load_curation
    from sitegen.learning import learn
    from sitegen.model import Curation
    from sitegen.papers_json import encode_papers
    from sitegen.project import display

    curation = Curation()
    curation_problems: list[Problem] = []
    cache = None
    if args.files:
        # Listings named on the command line are read alone: the curation is the whole list's.
        catalog, warnings = load_catalog(args.files, {path: display(path) for path in args.files})
    else:
        project = project_from(args)
        catalog, warnings = read_catalog(project)
        if args.json:
            curation, curation_problems = load_curation(project.content, catalog)
            cache = cache_for(project)
    report(warnings + curation_problems)
    if args.json:
        # The same suggestions and related papers as the site's papers.json (cached by the build).
        learning = learn(catalog, curation, cache) if cache is not None else None
        sys.stdout.write(encode_papers(catalog.papers, curation, learning).decode("utf-8"))
        # The papers are still printed, so a curator can look up the id a mistake names.
        return 1 if any(problem.is_error for problem in curation_problems) else 0
    print(f"{catalog.entry_count} entries in {len(catalog.entries_per_source)} listings:")
    width = max(len(name) for name, _ in catalog.entries_per_source)
    for name, count in catalog.entries_per_source:
        print(f"  {name:<{width}}  {count:>5} entries")
    merged = catalog.entry_count - len(catalog.papers)
    print(f"{len(catalog.papers)} distinct papers; {merged} duplicate entries merged.")
    spread = Counter(len(paper.sources) for paper in catalog.papers if len(paper.sources) > 1)
    for listings, count in sorted(spread.items()):
        print(f"  {count} papers appear {listings} times")
    print(f"{len(warnings)} warnings." if warnings else "No warnings.")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from sitegen.build import read_site

    try:
        site, problems = read_site(project_from(args))
    except SitegenError as error:
        site, problems = None, error.problems
    report(problems)
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    if site is None:
        print(f"{_count(errors, 'error')} and {_count(warnings, 'warning')}: "
              "fix the errors above; sitegen build refuses to build until then.")
        return 1
    curation = site.curation
    print(f"Checked {len(site.catalog.papers)} papers, {_count(len(curation.themes), 'theme')}, "
          f"{_count(len(curation.tags), 'tag')} and {_count(len(curation.placements), 'placement')}: "
          f"{_count(warnings, 'warning') if warnings else 'no problems'}.")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_build(args: argparse.Namespace) -> int:
    import time

    from sitegen.fingerprint import input_fingerprint

    started = time.perf_counter()
    root = Path(__file__).resolve().parent.parent  # as sitegen.build.SITEGEN_ROOT, without importing it
    inputs = input_fingerprint(project_from(args), args.out, args.base_url, root)  # before anything is read
    if not args.fresh and args.markdown is None and _nothing_to_build(args, inputs, started):
        return 0
    from sitegen.learning import learning_helper
    from sitegen.parallel import workers

    # First, while this process is small: a helper loads scikit-learn while the rest is read,
    # and workers wait to convert Markdown.
    with learning_helper() as helper, workers(True, now=True) as pool:
        from sitegen.build import build_site

        result = build_site(project_from(args), args.out, base_url=args.base_url, markdown_dir=args.markdown,
                            fresh=args.fresh, helper=helper, pool=pool, inputs=inputs)
    report(list(result.warnings))
    print(result.summary(args.out))
    if args.timings:
        print(result.timing_table())
    return 0


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a confidence from 0 to 1, such as 0.5")
    return value


def run_suggest(args: argparse.Namespace) -> int:
    from sitegen.build import read_site
    from sitegen.learning import evaluate, suggestions
    from sitegen.suggest import DEFAULT_THRESHOLD, evaluation_report, suggestions_yaml

    project = project_from(args)
    site, warnings = read_site(project)
    report(warnings)
    if args.evaluate:
        try:
            evaluation = evaluate(site.catalog, site.curation)
        except ValueError as error:
            raise SitegenError(
                Problem(f"{args.content}/curation", 0, 0, f"too few curated papers to evaluate: {error}",
                        "curate more papers, in at least two themes")
            ) from None
        sys.stdout.write(evaluation_report(evaluation))
        return 0
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    found = suggestions(site.catalog, site.curation, threshold)
    sys.stdout.write(suggestions_yaml(found, site.curation, project.content, threshold))
    return 0


def _nothing_to_build(args: argparse.Namespace, inputs: str, started: float) -> bool:
    """Say so and return True when the last build's output is what this build would write."""
    import time

    from sitegen.fingerprint import summary_line, unchanged_build

    known = unchanged_build(project_from(args), args.out, inputs)
    if known is None:
        return False
    counts, warnings = known
    for line in warnings:
        print(line, file=sys.stderr)
    print(summary_line(counts, 0, 0, time.perf_counter() - started, args.out, ": nothing changed since the last build"))
    if args.timings:
        print("Time per phase: every phase skipped (inputs and output as the last build left them)")
    return True


def run_summary(args: argparse.Namespace) -> int:
    from sitegen.summary import summary_markdown

    counts, problems = _counts(args.content)
    if counts is None:
        raise SitegenError(problems)
    base = _counts(args.compare)[0] if args.compare else None
    sys.stdout.write(summary_markdown(counts, base, problems))
    return 1 if any(problem.is_error for problem in problems) else 0


def _counts(content: Path) -> tuple[Counts | None, list[Problem]]:
    """Count a content folder's papers and curation; None when its listings cannot be read."""
    from sitegen.build import read_catalog
    from sitegen.curation import load_curation
    from sitegen.project import Project
    from sitegen.summary import count

    try:
        catalog, warnings = read_catalog(Project(content=content, templates=Path("templates")))
    except SitegenError as error:
        return None, error.problems
    curation, problems = load_curation(content, catalog)
    return count(catalog, curation), warnings + problems


def run_serve(args: argparse.Namespace) -> int:
    from sitegen.serve import serve

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        return serve(project_from(args), args.host, args.port, args.out, say)
    except OSError as error:
        raise SitegenError(
            Problem(f"{args.host}:{args.port}", 0, 0, f"cannot listen there: {error.strerror}",
                    "pass another --port, or stop the program using it")
        ) from None


def report(problems: Sequence[Problem]) -> None:
    """Print problems on stderr, and as workflow commands when running in GitHub Actions."""
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in problems:
        print(problem.format(), file=sys.stderr)
        if in_actions:
            print(problem.workflow_command())
