"""The build, stage by stage: read → learn → pages → render → write.

Each stage is a pure function of what the stages before it returned; the expensive steps
inside them go through the memo, so a rebuild redoes only the steps whose inputs changed,
and the writer touches only the files whose bytes changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from sitegen.errors import Problem, SitegenError
from sitegen.learn import learn
from sitegen.memo import Memo
from sitegen.model import Site
from sitegen.pool import worker_count, worker_pool
from sitegen.project import Project, display, refuse_unsafe_output
from sitegen.read import read_site
from sitegen.read.files import Files
from sitegen.render import render_pages
from sitegen.render.templates import (
    LUNR_SCRIPT,
    Layout,
    Templates,
    read_assets,
    read_lunr_script,
    read_templates,
)
from sitegen.site import data_files, make_pages, plan_pages
from sitegen.site.pages import Page, Planned, navigation
from sitegen.site.urls import Urls, asset_route, output_path
from sitegen.timings import Timings
from sitegen.write.folder import Built, Output
from sitegen.write.memory import InMemory

OUTPUTS = "outputs"  # the folder of the cache where each output folder's record is kept


@dataclass(frozen=True)
class Options:
    """Where a build writes (a folder, or memory for `sitegen serve`), and for which address."""

    out: Path | InMemory
    base_url: str | None = None
    markdown: Path | None = None  # also write every page's Markdown document here
    force: bool = False  # replace an output folder sitegen did not write
    strict: bool = False  # a warning stops the build as an error does
    workers: int | None = None  # processes that convert Markdown; None: one per processor
    first: frozenset[str] = frozenset()  # routes of pages to make first: those open in a browser (serve)


@dataclass(frozen=True)
class BuildResult:
    """What a build made and changed, for the summary line."""

    pages: int
    files: int
    papers: int
    themes: int
    tags: int
    written: int
    removed: int
    seconds: float
    warnings: tuple[Problem, ...]
    timings: tuple[tuple[str, float], ...] = ()
    changed: tuple[str, ...] = ()  # the files written or removed
    skipped: bool = False  # the output folder already held this build: nothing was read or made

    def summary(self, out: Path) -> str:
        changes = f"{self.written} written" if self.written != self.files else "all written"
        if self.removed:
            changes += f", {self.removed} removed"
        return (f"Built {self.pages} pages ({self.files} files, {changes}) from {self.papers} papers, "
                f"{self.themes} themes and {self.tags} tags in {self.seconds:.2f} s into {display(out)}/")

    def timing_table(self) -> str:
        width = max((len(name) for name, _ in self.timings), default=0)
        lines = [f"  {name:<{width}}  {seconds:6.3f} s" for name, seconds in self.timings]
        return "\n".join(["Time per phase:", *lines, f"  {'total':<{width}}  {self.seconds:6.3f} s"])


def build(project: Project, options: Options, memo: Memo, save: bool = True) -> BuildResult:
    """Build the whole site into `options.out`; on any error, the published site stays as it was.

    An output folder built from exactly these inputs, and untouched since, is left as it is:
    its record gives the summary, warnings included. The memo is saved at the end, unless
    `save` is False: `sitegen serve` saves it once the browsers have been told of the build.
    """
    started, timings = time.perf_counter(), Timings()
    check_outputs(project, options)
    memo.start_build()
    state = project.cache / OUTPUTS
    output = options.out if isinstance(options.out, InMemory) else Output(options.out, state, options.force)
    # The folder is locked for the whole build: one build at a time. The pool's processes start
    # now, while this process is small, and stop with the build; they first walk the folder.
    with output, worker_pool(options.workers or worker_count()) as pool:
        inputs = None
        if isinstance(output, Output) and options.markdown is None:
            with timings.phase("inputs"):
                walk = output.walk(pool) if memo.read_disk else None  # the pool walks while the inputs are hashed
                inputs = inputs_hash(project, options, memo)
                found = output.unchanged(inputs, walk) if inputs is not None and walk is not None else None
            if found is not None:
                return unchanged_result(*found, options, started, timings)
        with timings.phase("read"):
            site, warnings = read_site(Files(project, memo), options.base_url)
            if options.strict and warnings:
                raise SitegenError(warnings)
            templates = memo.share(read_templates(project.templates))
            assets = read_assets(project.templates) | {asset_route(LUNR_SCRIPT): read_lunr_script(project.templates)}
        with timings.phase("learn"):
            site = dataclasses.replace(site, learning=learn(site.catalog, site.curation, memo,
                                                            options.workers or worker_count()))
        documents: dict[str, bytes] | None = {} if options.markdown is not None else None
        with timings.phase("pages"):
            plan, files = site_files(site, templates, assets, memo, pool, documents, options.first, timings)
        counts = {"pages": len(plan), "papers": len(site.catalog.papers), "themes": len(site.curation.themes),
                  "tags": len(site.curation.tags), "warnings": [problem.as_json() for problem in warnings]}
        with timings.phase("write"):
            if isinstance(output, Output):
                built = Built(inputs, counts) if inputs is not None else None
                report = output.publish(timings.each("render", files), built)
            else:
                first = [output_path(page.route) for page in plan if page.route in options.first]
                report = output.publish(timings.each("render", files), first)
        if options.markdown is not None and documents is not None:  # documents is there with --markdown
            with Output(options.markdown, state, options.force, "--markdown") as markdown:
                markdown.publish(documents.items())
    if save:
        memo.save()
    return BuildResult(
        pages=len(plan), files=report.kept + len(report.written), papers=len(site.catalog.papers),
        themes=len(site.curation.themes), tags=len(site.curation.tags), written=len(report.written),
        removed=len(report.removed), seconds=time.perf_counter() - started, warnings=tuple(warnings),
        timings=timings.as_tuple(), changed=tuple(sorted(report.written + report.removed)),
    )


def inputs_hash(project: Project, options: Options, memo: Memo) -> str | None:
    """Return a hash of everything a build reads (every file of the content and templates
    folders, lunr.js, the base URL, the working folder, sitegen's code and libraries), or
    None when a symbolic link among them makes that unsure: a build then reads everything."""
    found: list[tuple[str, str, bytes]] = []
    try:
        for name, top in (("content", project.content), ("templates", project.templates)):
            for parent, folders, names in os.walk(top):
                folders.sort()
                if any(Path(parent, folder).is_symlink() for folder in folders):
                    return None
                for entry in sorted(names):
                    path = Path(parent, entry)
                    if path.is_symlink():
                        return None
                    found.append((name, path.relative_to(top).as_posix(), hashlib.sha256(path.read_bytes()).digest()))
        lunr = read_lunr_script(project.templates)
    except (OSError, SitegenError):
        return None  # the build says what is wrong
    # Messages name files as seen from the working folder: a summary is given again from there only.
    return memo.key("sitegen.pipeline.build", (found, lunr, options.base_url, os.getcwd()))


def unchanged_result(built: Built, files: int, options: Options, started: float, timings: Timings) -> BuildResult:
    """Return the result of a build whose output folder already holds what it would write."""
    summary = built.summary
    warnings = tuple(Problem.from_json(problem) for problem in summary["warnings"])
    if options.strict and warnings:
        raise SitegenError(list(warnings))
    return BuildResult(
        pages=summary["pages"], files=files, papers=summary["papers"], themes=summary["themes"],
        tags=summary["tags"], written=0, removed=0, seconds=time.perf_counter() - started, warnings=warnings,
        timings=timings.as_tuple(), skipped=True)


def site_files(site: Site, templates: Templates, assets: dict[str, bytes], memo: Memo,
               pool: Executor | None = None, documents: dict[str, bytes] | None = None,
               first: frozenset[str] = frozenset(), timings: Timings | None = None,
               ) -> tuple[tuple[Planned, ...], Iterator[tuple[str, bytes]]]:
    """Return every page to make, and the site's files (path, bytes): the data files (search,
    feeds, citations), then the pages made and rendered a batch at a time as the files are
    taken, then the assets.

    With `documents`, each page's Markdown is put there as its page goes by (for --markdown).
    The pages whose routes are `first` come first, then the others in route order, then the
    data files, made once the pages are.
    """
    urls = Urls.from_base_url(site.config.base_url)
    with_map = templates.has("map.html") and bool(site.learning and site.learning.positions)
    plan = plan_pages(site, urls, with_map)
    if first:
        plan = tuple(sorted(plan, key=lambda page: page.route not in first))
    pages = make_pages(plan, urls, memo)
    if documents is not None:
        pages = keeping_markdown(pages, documents)
    layout = Layout(site.config, navigation(with_map), urls)
    routes = sorted(page.route for page in plan if page.route != "404.html")
    timings = timings or Timings()

    def data() -> Iterator[tuple[str, bytes]]:
        for group in timings.each("data", data_files(site, routes, urls, memo)):
            while group:
                yield group.popitem()  # each file let go once the writer has it

    pages_files = render_pages(pages, templates, layout, memo, pool)
    if first:  # serve: the open pages are shown before the data files are made
        return plan, chain(pages_files, data(), assets.items())
    # Made and written before the pages, the data files and their working memory are let go first (docs/performance.md).
    return plan, chain(data(), pages_files, assets.items())


def check_outputs(project: Project, options: Options) -> None:
    """Refuse, before anything is read, output folders a build must not replace."""
    if not isinstance(options.out, InMemory):
        refuse_unsafe_output(options.out, project, "--out", options.force)
    if options.markdown is None:
        return
    refuse_unsafe_output(options.markdown, project, "--markdown", options.force)
    if isinstance(options.out, InMemory):
        return
    out, markdown = (Path(options.out).resolve(), Path(options.markdown).resolve())
    if out == markdown or out in markdown.parents or markdown in out.parents:
        raise SitegenError(Problem(display(options.markdown), 0, 0, "--markdown and --out overlap",
                                   "pass them two separate folders"))


def keeping_markdown(pages: Iterable[Page], documents: dict[str, bytes]) -> Iterator[Page]:
    """Yield `pages`, putting the Markdown document of each that has one in `documents`, at
    its route's index.md."""
    for page in pages:
        if page.markdown is not None:
            documents[page.markdown_path] = page.markdown.encode("utf-8")
        yield page
