"""The `sitegen` command line: papers, check, build, suggest, summary, serve.

Exit codes: 0 when the command did what it was asked, 1 when the input has a problem (printed
as one located line each), 2 for a mistake in the command line itself, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from sitegen import __version__
from sitegen.errors import Problem, SitegenError

if TYPE_CHECKING:
    from sitegen.arxiv.client import Client
    from sitegen.memo import Memo
    from sitegen.model import Catalog, Curation
    from sitegen.project import Project
    from sitegen.read.files import Files
    from sitegen.summary import Counts
    from sitegen.write.records import RecordStore

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

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

exit codes: 0 done, 1 a problem in the input (printed as file:line:column),
  2 a mistake in the command line, 130 interrupted.

Run 'sitegen COMMAND --help' for the options of a command."""

GC_YOUNG_THRESHOLD = 200_000


class _Parser(argparse.ArgumentParser):
    """A parser whose usage errors exit with EXIT_USAGE, showing the usage of the command at fault."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    parser, commands = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(arguments)
    args.arguments = arguments
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    if extra:
        commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    # A run builds millions of long-lived objects and frees few: collect the young
    # generation far less often than Python's default (as mypy does); see docs/performance.md.
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 100)
    try:
        os.getcwd()  # files are named from the working folder: it must still be there
    except FileNotFoundError:
        print("sitegen: error: the working folder was removed: cd into the project's folder again and "
              "run the command there", file=sys.stderr)
        return EXIT_PROBLEM
    try:
        return int(args.run(args))
    except SitegenError as error:
        report(error.problems, args)
        if getattr(args, "strict", False) and error.problems and not any(p.is_error for p in error.problems):
            print(f"{_count(len(error.problems), 'warning')} with --strict: nothing was built.", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `sitegen papers --json | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return EXIT_OK


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    common = _Parser(add_help=False)
    common.add_argument("--content", type=Path, default=Path("content"), metavar="DIR",
                        help="folder with sources/ and the curation YAML (default: ./content)")
    common.add_argument("--templates", type=Path, default=Path("templates"), metavar="DIR",
                        help="folder with the Jinja templates (default: ./templates)")
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    loudness.add_argument("-v", "--verbose", action="store_true",
                          help="also print the time of each stage and what the memo reused")
    strict = _Parser(add_help=False)
    strict.add_argument("--strict", action="store_true", help="fail on warnings as on errors (exit code 1)")

    parser = _Parser(prog="sitegen", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    commands: dict[str, argparse.ArgumentParser] = {}

    def command(name: str, run: object, help: str, description: str,
                parents: tuple[_Parser, ...] = ()) -> argparse.ArgumentParser:
        found = sub.add_parser(name, parents=[common, *parents], help=help, description=description)
        found.set_defaults(run=run, command=name)
        commands[name] = found
        return found

    papers = command("papers", run_papers, "list the papers read from the listings",
                     "Parse the paper listings and summarise them, or print every paper as JSON.")
    papers.add_argument("--json", action="store_true", help="print the papers as a JSON array sorted by id")
    papers.add_argument("files", nargs="*", type=Path, metavar="FILES",
                        help="listings to read (default: every content/sources/*.txt)")

    command("check", run_check, "check the listings, curation and settings without building",
            "Read the listings, the curation YAML and the site settings, report every problem at once as "
            "file:line:column, and write nothing. Exit code 1 when there is an error (or, with --strict, a "
            "warning). In GitHub Actions (GITHUB_ACTIONS=true) each problem is also printed as a workflow "
            "command, so it shows on the pull request's diff.", (strict,))

    build = command("build", run_build, "build the website",
                    "Build the website from the content and templates into an output folder. The folder is "
                    "replaced whole, in one atomic step, and only if sitegen wrote it: a new or empty "
                    "folder, or one that holds nothing but a site sitegen built there.", (strict,))
    build.add_argument("--out", type=Path, default=Path("_site"), metavar="DIR",
                       help="where to write the site (default: ./_site); replaced whole, atomically")
    build.add_argument("--base-url", metavar="URL",
                       help="the URL the site is served from, such as https://user.github.io/repo/ "
                       "(default: base_url of content/site.yaml)")
    build.add_argument("--markdown", type=Path, metavar="DIR",
                       help="also write the Markdown document of every page into DIR (replaced whole)")
    build.add_argument("--force", action="store_true",
                       help="replace --out (and --markdown) even when it holds files sitegen did not write; "
                       "they are deleted")
    build.add_argument("--fresh", action="store_true",
                       help="compute every step again instead of reusing the memo in .sitegen-cache/ "
                       "(it is refilled); the output is the same")
    build.add_argument("--timings", action="store_true", help="print the time spent in each stage")

    suggest = command("suggest", run_suggest,
                      "suggest themes and tags for uncurated papers, as YAML to paste into the curation",
                      "Train a classifier on the curated placements and print, for each uncurated paper whose "
                      "best theme reaches the threshold, an entry to append to that theme's curation file: the "
                      "confidence and the terms behind it as comments, and the tags of the most similar curated "
                      "papers. With --evaluate, print the classifier's cross-validated accuracy on the curated "
                      "papers instead.")
    suggest.add_argument("--threshold", type=_confidence, default=None, metavar="P",
                         help="the least confidence, from 0 to 1, of a suggestion to print (default: 0.5)")
    suggest.add_argument("--evaluate", action="store_true", help="report cross-validated accuracy and macro-F1 instead")

    summary = command("summary", run_summary,
                      "print the reading list's counts and problems as Markdown (for a CI job summary)",
                      "Print the counts of papers, themes, tags and placements, and every problem, as Markdown. "
                      "With --compare, also show what changed against another content folder, such as the base "
                      "branch's checkout of a pull request.")
    summary.add_argument("--compare", type=Path, metavar="DIR",
                         help="a content folder to compare with, such as base/content")

    resolve = command("resolve", run_resolve, "find the papers on arXiv and keep their records",
                      "For every paper without a record in content/records/arxiv.jsonl, ask the arXiv API: by id "
                      "when the curation pins one (arxiv: \"2312.00752\"), else by title, and keep the record "
                      "only when the match is certain. Records are written as they arrive, so an interrupted run "
                      "loses nothing and the next one continues. Papers that could not be placed are listed with "
                      "the reason and the closest candidate. The endpoint is SITEGEN_ARXIV_API and the pause "
                      "between requests SITEGEN_ARXIV_DELAY (seconds, at least 3 for arXiv itself).")
    resolve.add_argument("--refresh", action="store_true",
                         help="also update known records (new versions, DOI, journal reference)")
    resolve.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")

    add = command("add", run_add, "add papers from arXiv by id",
                  "Add papers that no listing holds from arXiv: each gets a record with its title, authors and "
                  "abstract, so that it is listed. With --theme, each is also placed at the end of that theme's "
                  "curation file. A paper already in the list is not added twice. A malformed id, an id arXiv "
                  "does not know or an unknown theme changes nothing.")
    add.add_argument("ids", nargs="+", metavar="ID", help="arXiv ids or arxiv.org links, such as 2501.12948")
    add.add_argument("--theme", metavar="SLUG", help="place the papers at the end of this theme's curation")

    serve = command("serve", run_serve, "build, serve the site locally and rebuild it on every change",
                    "Build the site, serve it on http://127.0.0.1:8000/ under its base path, and rebuild it in "
                    "this process on every change to the content or the templates; open pages that changed "
                    "reload by themselves. A change to sitegen's own code restarts the server. A build error "
                    "is shown in the terminal and on the page, and the server keeps running. Ctrl-C stops it.")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 shares it "
                       "with your network)")
    serve.add_argument("--out", type=Path, metavar="DIR",
                       help="also write the site into DIR, replaced whole at each build (default: the site is kept in memory and nothing is written)")
    return parser, commands


def project_from(args: argparse.Namespace) -> Project:
    from sitegen.project import Project

    return Project(content=args.content, templates=args.templates)


def memo_for(project: Project, fresh: bool = False) -> Memo:
    """Return the project's memo, kept in `.sitegen-cache/` beside the content folder."""
    from sitegen.memo import Memo

    return Memo(project.cache, read_disk=not fresh, keep=False)


def files_of(project: Project, memo: Memo | None = None) -> Files:
    from sitegen.memo import Memo
    from sitegen.read.files import Files

    return Files(project, memo if memo is not None else Memo(None, keep=False))


def run_papers(args: argparse.Namespace) -> int:
    from sitegen.learn import learn
    from sitegen.model import Curation
    from sitegen.project import Project
    from sitegen.read import read_list
    from sitegen.read.catalog import load_catalog
    from sitegen.site.papers_json import encode_papers

    curation = Curation()
    project = project_from(args)
    if args.files:
        # Listings named on the command line are read alone: the curation is the whole list's.
        alone = Project(content=Path(os.path.commonpath([os.path.abspath(f) for f in args.files])), templates=args.templates)
        catalog, warnings = load_catalog(files_of(alone), list(args.files))
    else:
        memo = memo_for(project)
        catalog, curation, warnings = read_list(files_of(project, memo))
        if not args.json:  # the listings' summary: the curation's problems are for sitegen check
            warnings = [problem for problem in warnings if not problem.path.endswith(".yaml")]
    report(warnings, args)
    if args.json:
        # The same suggestions and related papers as the site's papers.json (from the memo a build filled).
        learning = learn(catalog, curation, memo) if not args.files else None
        sys.stdout.write(encode_papers(catalog.papers, curation, learning).decode("utf-8"))
        if not args.files:
            memo.save()
        # The papers are still printed, so a curator can look up the id a mistake names.
        return EXIT_PROBLEM if any(problem.is_error for problem in warnings) else EXIT_OK
    say = _say(args)
    say(f"{catalog.entry_count} entries in {len(catalog.entries_per_source)} listings:")
    width = max(len(name) for name, _ in catalog.entries_per_source)
    for name, count in catalog.entries_per_source:
        say(f"  {name:<{width}}  {count:>5} entries")
    merged = catalog.entry_count - len(catalog.papers)
    say(f"{len(catalog.papers)} distinct papers; {merged} duplicate entries merged.")
    spread = Counter(len(paper.sources) for paper in catalog.papers if len(paper.sources) > 1)
    for listings, count in sorted(spread.items()):
        say(f"  {count} papers appear {listings} times")
    say(f"{len(warnings)} warnings." if warnings else "No warnings.")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from sitegen.read import read_site

    project = project_from(args)
    try:
        # In memory only: check writes nothing, not even the cache (packing it costs more than it saves).
        site, problems = read_site(files_of(project))
    except SitegenError as error:
        site, problems = None, error.problems
    report(problems, args)
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    if site is None:
        print(f"{_count(errors, 'error')} and {_count(warnings, 'warning')}: "
              "fix the errors above; sitegen build refuses to build until then.")
        return EXIT_PROBLEM
    curation = site.curation
    _say(args)(f"Checked {len(site.catalog.papers)} papers, {_count(len(curation.themes), 'theme')}, "
               f"{_count(len(curation.tags), 'tag')} and {_count(len(curation.placements), 'placement')}: "
               f"{_count(warnings, 'warning') if warnings else 'no problems'}.")
    if args.strict and warnings:
        print(f"{_count(warnings, 'warning')} with --strict: fix them, or check without --strict.", file=sys.stderr)
        return EXIT_PROBLEM
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def run_build(args: argparse.Namespace) -> int:
    from sitegen.pipeline import Options, build

    project = project_from(args)
    memo = memo_for(project, fresh=args.fresh)
    try:
        result = build(project, Options(out=args.out, base_url=args.base_url, markdown=args.markdown,
                                        force=args.force, strict=args.strict), memo)
    finally:
        memo.close()
    report(list(result.warnings), args)
    _say(args)(result.summary(args.out))
    if args.timings or args.verbose:
        print(result.timing_table())
    if args.verbose and result.skipped:
        print("Nothing built: the inputs and the output folder are as the last build left them.")
    elif args.verbose:
        print(f"Memo: {memo.hits} steps reused, {memo.misses} computed.")
    return EXIT_OK


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a confidence from 0 to 1, such as 0.5")
    return value


def run_suggest(args: argparse.Namespace) -> int:
    from sitegen.learn.suggest import (
        DEFAULT_THRESHOLD,
        evaluate,
        evaluation_report,
        suggestions,
        suggestions_yaml,
    )
    from sitegen.read import read_site

    project = project_from(args)
    site, warnings = read_site(files_of(project, memo_for(project)))
    report(warnings, args)
    if args.evaluate:
        try:
            evaluation = evaluate(site.catalog, site.curation)
        except ValueError as error:
            raise SitegenError(
                Problem(f"{args.content}/curation", 0, 0, f"too few curated papers to evaluate: {error}",
                        "curate more papers, in at least two themes")
            ) from None
        sys.stdout.write(evaluation_report(evaluation))
        return EXIT_OK
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    found = suggestions(site.catalog, site.curation, threshold)
    sys.stdout.write(suggestions_yaml(found, site.curation, project.content, threshold))
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    from sitegen.summary import summary_markdown

    counts, problems = _counts(args.content, args.templates)
    if counts is None:
        raise SitegenError(problems)
    base = _counts(args.compare, args.templates)[0] if args.compare else None
    sys.stdout.write(summary_markdown(counts, base, problems))
    return EXIT_PROBLEM if any(problem.is_error for problem in problems) else EXIT_OK


def _counts(content: Path, templates: Path) -> tuple[Counts | None, list[Problem]]:
    """Count a content folder's papers and curation; None when its listings cannot be read."""
    from sitegen.project import Project
    from sitegen.read import read_list
    from sitegen.summary import count

    try:
        catalog, curation, problems = read_list(files_of(Project(content=content, templates=templates)))
    except SitegenError as error:
        return None, error.problems
    return count(catalog, curation), problems


def _arxiv(project: Project, dry_run: bool = False) -> tuple[Catalog, Curation, RecordStore, Client]:
    """Return what resolve and add work on: the list, its records and a client for the arXiv API."""
    from sitegen.arxiv.atom import ArxivError
    from sitegen.arxiv.client import Client
    from sitegen.read import read_list
    from sitegen.read.config import load_config
    from sitegen.read.records import read_records
    from sitegen.records import RECORDS_FILE
    from sitegen.write.records import RecordStore

    files = files_of(project, memo_for(project))
    catalog, curation, problems = read_list(files)
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise SitegenError(errors)
    try:
        contact = load_config(files, None).repository
    except SitegenError:
        contact = ""
    try:
        client = Client(contact=contact)
    except ArxivError as error:
        raise SitegenError(Problem("environment", 0, 0, str(error))) from None
    records = {record.paper: record for record in read_records(files)}
    return catalog, curation, RecordStore(project.content / RECORDS_FILE, records, dry_run=dry_run), client


def run_resolve(args: argparse.Namespace) -> int:
    from sitegen.arxiv.resolve import resolve

    catalog, curation, store, client = _arxiv(project_from(args), args.dry_run)
    say = _say(args)
    progress = _progress_bar("resolving") if sys.stderr.isatty() and not args.quiet else None
    try:
        outcome = resolve(catalog, curation, store, client, refresh=args.refresh, progress=progress)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {len(store.changes)} records kept; run sitegen resolve again to continue",
              file=sys.stderr)
        return 130
    if progress:
        print(file=sys.stderr)
    if args.dry_run:
        for change in store.changes:
            print(f"would {change.replace('adds', 'add', 1).replace('updates', 'update', 1)}")
    for paper_id, found in outcome.not_found + outcome.ambiguous:
        closest = f' (closest: arXiv:{found.closest.arxiv} "{found.closest.title}")' if found.closest else ""
        say(f"  {paper_id}: {found.reason}{closest}")
    say(f"{'Would resolve' if args.dry_run else 'Resolved'} {len(outcome.resolved)}, refreshed "
        f"{len(outcome.refreshed)}, already known {outcome.known}, not found {len(outcome.not_found)}, "
        f"ambiguous {len(outcome.ambiguous)} ({client.requests} requests to arXiv).")
    if outcome.error:
        kept = "" if args.dry_run else f"; the {len(store.changes)} records found before it are kept"
        print(f"sitegen resolve: error: {outcome.error}{kept}", file=sys.stderr)
        return EXIT_PROBLEM if not store.changes else EXIT_OK
    return EXIT_OK


def run_add(args: argparse.Namespace) -> int:
    from sitegen.arxiv.add import add
    from sitegen.arxiv.atom import ArxivError

    project = project_from(args)
    catalog, curation, store, client = _arxiv(project)
    try:
        outcome = add(list(args.ids), args.theme, catalog, curation, store, client, project.content / "curation")
    except ArxivError as error:
        raise SitegenError(Problem("sitegen add", 0, 0, f"{error}; nothing was added")) from None
    say = _say(args)
    for arxiv, paper_id in outcome.already:
        say(f"arXiv:{arxiv} is already in the list as {paper_id!r}; not added again")
    for arxiv, paper_id in outcome.added:
        where = f", placed at the end of content/curation/{outcome.placed}.yaml" if outcome.placed else ""
        say(f"added arXiv:{arxiv} as {paper_id!r}{where}")
    return EXIT_OK


def _progress_bar(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(f"\r{label} [{'#' * filled}{' ' * (width - filled)}] {done}/{total} papers")
        sys.stderr.flush()

    return show


def run_serve(args: argparse.Namespace) -> int:
    from sitegen.serve import serve

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        return serve(project_from(args), args.host, args.port, args.out, say, args.arguments)
    except OSError as error:
        raise SitegenError(
            Problem(f"{args.host}:{args.port}", 0, 0, f"cannot listen there: {error.strerror}",
                    "pass another --port, or stop the program using it")
        ) from None


def _say(args: argparse.Namespace) -> Callable[[str], None]:
    """Return how a command prints what it did: not at all with --quiet."""
    if getattr(args, "quiet", False):
        return lambda text: None
    return print


def report(problems: Sequence[Problem], args: argparse.Namespace | None = None) -> None:
    """Print problems on stderr (warnings not with --quiet), and as workflow commands in GitHub Actions."""
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    quiet = args is not None and getattr(args, "quiet", False)
    for problem in problems:
        if quiet and not problem.is_error:
            continue
        print(problem.format(), file=sys.stderr)
        if in_actions:
            print(problem.workflow_command())
