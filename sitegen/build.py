"""Build the site: read everything, then render, then write once."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import json
import pickle
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard, TypeVar

from markupsafe import Markup

from sitegen.cache import CACHE_FOLDER, Cache, content_hash
from sitegen.catalog import load_catalog
from sitegen.config import load_config
from sitegen.curation import load_curation
from sitegen.errors import Problem, SitegenError
from sitegen.feeds import feed_files
from sitegen.fingerprint import Counts, input_fingerprint, remember_build, summary_line
from sitegen.freepages import load_free_pages
from sitegen.markup import to_html_many
from sitegen.model import Catalog, Curation, Learning, Site
from sitegen.pages import MAP_ROUTE, Page, add_learning, map_page, page_makers
from sitegen.parallel import Helper, Parts, map_in_chunks, workers
from sitegen.project import Project, display
from sitegen.render import Renderer
from sitegen.search import (
    LUNR_VERSION,
    Counted,
    TokenTerms,
    count_ahead,
    remember_token_terms,
    search_files,
)
from sitegen.timings import Timings
from sitegen.urls import Urls, asset_route, output_path
from sitegen.writer import write_site

T = TypeVar("T")
ASSETS_FOLDER = "assets"
LUNR_SCRIPT = "lunr.min.js"
SITEGEN_ROOT = Path(__file__).resolve().parent.parent  # where make installs the npm packages
# The header's navigation: (text, route, section); Map appears once its page exists.
NAV = (
    ("Themes", "", "home"),
    ("Tags", "tags/", "tags"),
    ("All papers", "papers/", "papers"),
    ("Map", "map/", "map"),
    ("About", "about/", "about"),
)


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the summary line."""

    pages: int
    files: int
    papers: int
    seconds: float
    warnings: tuple[Problem, ...]
    themes: int = 0
    tags: int = 0
    written: int = 0
    removed: int = 0
    timings: tuple[tuple[str, float], ...] = ()

    @property
    def counts(self) -> Counts:
        return Counts(pages=self.pages, files=self.files, papers=self.papers, themes=self.themes, tags=self.tags)

    def summary(self, out: Path) -> str:
        return summary_line(self.counts, self.written, self.removed, self.seconds, out)

    def timing_table(self) -> str:
        width = max((len(name) for name, _ in self.timings), default=0)
        lines = [f"  {name:<{width}}  {seconds:6.3f} s" for name, seconds in self.timings]
        return "\n".join(["Time per phase:", *lines, f"  {'total':<{width}}  {self.seconds:6.3f} s"])


def read_catalog(project: Project) -> tuple[Catalog, list[Problem]]:
    """Read and merge every listing of the project."""
    paths = project.listing_paths()
    return load_catalog(paths, {path: display(path) for path in paths})


def read_site(
    project: Project, base_url: str | None = None, timings: Timings | None = None, cache: Cache | None = None
) -> tuple[Site, list[Problem]]:
    """Read listings, curation, settings and free pages; raise once with every problem found."""
    timings = timings or Timings()
    problems: list[Problem] = []
    read = _collecting(problems)
    with timings.phase("parse"):
        catalog_read = read(lambda: read_catalog(project))
    with timings.phase("settings and pages"):
        config = read(lambda: load_config(project.content, base_url))
        pages = read(lambda: load_free_pages(project.content))
    curation = Curation()
    if catalog_read is not None:
        with timings.phase("curation"):
            curation, curation_problems = load_curation(project.content, catalog_read[0])
        problems += catalog_read[1] + curation_problems
    if any(problem.is_error for problem in problems) or catalog_read is None or config is None or pages is None:
        raise SitegenError(problems)  # warnings too: a curator fixing errors sees them all at once
    site = Site(config=config, catalog=catalog_read[0], curation=curation, pages=pages)
    return site, problems


def _collecting(problems: list[Problem]) -> Callable[[Callable[[], T]], T | None]:
    def read(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except SitegenError as error:
            problems.extend(error.problems)
            return None

    return read


def site_files(
    site: Site,
    renderer: Renderer,
    urls: Urls,
    timings: Timings | None = None,
    cache: Cache | None = None,
    learn: bool = False,
    helper: Helper | None = None,
    pool: Executor | None = None,
    keep_markdown: bool = False,
) -> tuple[list[Page], Iterator[tuple[str, bytes]]]:
    """Return every page, and the site's files (path, bytes) as each page is rendered in turn.

    Pages go through their templates as the files are asked for, so a writer can write each
    as it comes: a large site is never held whole in memory. Assets, feeds, the search index
    and the other files follow.

    With `learn`, machine learning adds its suggestions: from the cache, or fitted by
    `helper` (a forked process, see sitegen/parallel.py) while the Markdown is converted, by
    the workers of `pool` (shut down once the Markdown is converted) or, when none is given,
    of one forked once there are enough documents to convert. The map, the fit's slowest
    part, is laid out while the other pages are made: its page follows them, and joins
    `pages` once its file is taken. The pages keep their Markdown only with
    `keep_markdown` (for `markdown_files`).
    """
    timings, cache = timings or Timings(), cache or Cache(None)
    read = site  # as read: what the pages' Markdown is made from, and the key of their cache
    fitting: Parts[Learning] | None = None
    if learn and site.learning is None:
        # Light: scikit-learn loads only to fit. The job is sitegen.learning's own function,
        # which serve's warm fitter has loaded: one of this module would make it import
        # Jinja, Markdown and the rest (0.14 s) before fitting.
        from sitegen.learning import known_learning, learn_in_parts

        known = known_learning(site.catalog, site.curation, cache)
        if known is not None:
            site = dataclasses.replace(site, learning=known)
        elif helper is not None:
            fitting = helper.run_parts(learn_in_parts, site.catalog, site.curation, cache)
        else:
            fitting = Parts(lambda: learn_in_parts(site.catalog, site.curation, cache))
    if helper is not None and fitting is None:
        helper.close()  # started in case a fit was needed; it is not
    ahead: list[Counted] = []
    terms_of = TokenTerms(cache)  # read from the cache only if a term is counted

    def count_search_terms() -> None:  # all the index needs but the fit's suggestions
        ahead.append(count_ahead(site, terms_of))

    # Workers are forked only if there is enough Markdown to convert (see map_in_chunks).
    with workers(pool is None) as started, timings.phase("markdown"):
        pages, bodies = pages_and_bodies(read, urls, cache, pool or started, count_search_terms if fitting else None,
                                         keep_markdown)
    if pool is not None:  # done with: its workers hold what they converted until they end
        pool.shutdown(wait=False)
    give_back_free_memory()  # the documents' text, made and let go by the thousand
    if fitting is not None:
        if fitting.busy() and not ahead:
            with timings.phase("search index"):
                count_search_terms()
        with timings.phase("learning"):  # what is left of the fit but the map, once the rest is done
            site = dataclasses.replace(site, learning=fitting.next())
    map_coming = fitting is not None and site.learning is not None and not site.learning.positions and bool(site.catalog.papers)
    has_map = (renderer.folder / "map.html").is_file() and site.learning is not None and (
        bool(site.learning.positions) or map_coming)
    pages = add_learning(pages, site, has_map and not map_coming)
    nav = tuple(item for item in NAV if item[2] != "map" or has_map)
    listed = sorted([page.route for page in pages if page.route != "404.html"] + ([MAP_ROUTE] if map_coming and has_map else []))
    made, layout = list(pages), _Layout(renderer, urls, nav, bodies, timings)
    # Waited for even without a map page: the fit stores its results as it ends.
    the_map = _map_files(fitting.last, has_map, site, made, layout) if map_coming and fitting is not None else iter(())
    return made, _files(site, made, layout, the_map, listed, ahead.pop() if ahead else None, terms_of, cache)


@dataclass
class _Layout:
    """What laying a page out takes besides the page and the site: its body is let go once used."""

    renderer: Renderer
    urls: Urls
    nav: tuple[tuple[str, str, str], ...]
    bodies: dict[str, bytes]
    timings: Timings

    def render(self, page: Page, site: Site) -> bytes:
        with self.timings.phase("templates"):
            html = self.renderer.render(
                page.template,
                config=site.config,
                site=site,
                page=page,
                body=Markup(unpacked(self.bodies.pop(page.route, None))),
                nav=self.nav,
                link=self.urls.link,
                absolute=self.urls.absolute,
                asset=lambda name: self.urls.link(asset_route(name)),
            )
        return html.encode("utf-8")


def _files(
    site: Site,
    pages: list[Page],
    layout: _Layout,
    the_map: Iterator[tuple[str, bytes]],
    listed: list[str],
    counted: Counted | None,
    terms_of: TokenTerms,
    cache: Cache,
) -> Iterator[tuple[str, bytes]]:
    for page in tuple(pages):
        yield output_path(page.route), layout.render(page, site)
    # The map, laid out while the pages were made, before the search index: the helper's
    # memory is let go before the index's peak (0.66 and 0.7 GB at 100,000 papers).
    yield from the_map
    # The index is made once every page's HTML is let go: making it takes more memory at its
    # peak (84 MB at 10,000 papers) than all the pages' HTML (47 MB).
    with layout.timings.phase("search index"):
        search = search_files(site, cache, counted, terms_of)
        remember_token_terms(cache, terms_of)
    yield from search.items()
    with layout.timings.phase("feeds and assets"):
        files = read_assets(layout.renderer.folder / ASSETS_FOLDER)
        files[asset_route(LUNR_SCRIPT)] = read_lunr_script(layout.renderer.folder)
        files.update(feed_files(site, listed, layout.urls.absolute))
    yield from files.items()


def _map_files(
    whole: Callable[[], Learning], has_map: bool, site: Site, pages: list[Page], layout: _Layout
) -> Iterator[tuple[str, bytes]]:
    """Wait for the map laid out meanwhile; yield its page, which joins `pages`."""
    with layout.timings.phase("learning"):
        site = dataclasses.replace(site, learning=whole())
    if not has_map:
        return
    page = map_page(site)
    if page is None:
        raise RuntimeError("the fit placed no paper on the map")
    bisect.insort(pages, page, key=lambda page: page.route)
    yield output_path(page.route), layout.render(page, site)


def give_back_free_memory() -> None:
    """Hand the memory this process has freed back to the system (glibc's malloc_trim).

    glibc keeps freed memory in each thread's heap for later use; much of what the pages'
    Markdown took would otherwise stay counted against the build until it ends.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: its allocator decides alone
        pass


HTML_KEY = content_hash("html of pages")
LONG_DOCUMENT = 500_000  # bytes of Markdown (a theme of 300 papers) after which a worker frees its memory


def pages_and_bodies(
    site: Site,
    urls: Urls,
    cache: Cache,
    pool: Executor | None = None,
    meanwhile: Callable[[], object] | None = None,
    keep_markdown: bool = False,
) -> tuple[tuple[Page, ...], dict[str, bytes]]:
    """Return every page (see `text_pages`), and its Markdown as sanitized HTML by route (packed:
    see `packed_html_many`).

    Markdown conversion is most of a build's time; after an edit, most pages' documents are
    unchanged. The cache maps a hash of each document to its HTML (the code's fingerprint in
    the key covers the converter and the sanitizer), keeping only the current pages'.

    The pages are made a few at a time, as their documents are handed to `pool`'s workers
    (while this process does `meanwhile`), and are returned without their Markdown unless
    `keep_markdown`: at 100,000 papers the Markdown alone takes 0.5 GB. After a template or
    asset edit, the site read is exactly that of a build before: the pages and their
    documents' hashes come from the cache, and no Markdown is made at all.
    """
    known = known_html(cache)
    key = pages_key(site, urls)
    remembered = None if keep_markdown else cache.load("pages", key)
    if _is_pages_entry(remembered) and all(digest in known for digest in remembered[1].values()):
        pages, digests = remembered
        return pages, {route: known[digest] for route, digest in digests.items()}
    pages, digests, converted = _make_and_convert(site, urls, known, pool, meanwhile, keep_markdown)
    if converted.keys() != known.keys():
        cache.store("html", HTML_KEY, converted)
    cache.store("pages", key, (tuple(_without_markdown(page) for page in pages), digests))
    return pages, {route: converted[digest] for route, digest in digests.items()}


def _make_and_convert(
    site: Site,
    urls: Urls,
    known: dict[str, bytes],
    pool: Executor | None,
    meanwhile: Callable[[], object] | None,
    keep_markdown: bool,
) -> tuple[tuple[Page, ...], dict[str, str], dict[str, bytes]]:
    """Make every page and convert the documents not in `known`: return the pages, the hash of
    each page's document by route, and the HTML of every current document by hash."""
    makers = page_makers(site, urls.link, urls.absolute, longest_first=True)
    pages: list[Page] = []
    digests: dict[str, str] = {}
    sent: dict[str, None] = {}  # the hashes of the documents converted now, in order

    def documents() -> Iterator[bytes]:  # sent as UTF-8 (see to_html_many)
        for _, make in makers:
            page = make()
            if page.markdown is not None:
                document = page.markdown.encode("utf-8")
                digest = digests[page.route] = hashlib.sha256(document).hexdigest()
                if digest not in known and digest not in sent:
                    sent[digest] = None
                    yield document
            pages.append(page if keep_markdown else _without_markdown(page))

    fresh = dict(zip(sent, map_in_chunks(pool, packed_html_many, documents(), len(makers), meanwhile, len), strict=True))
    converted = {digest: known[digest] if digest in known else fresh[digest] for digest in digests.values()}
    return tuple(sorted(pages, key=lambda page: page.route)), digests, converted


def packed_html_many(documents: Sequence[bytes]) -> list[bytes]:
    """Return the documents' HTML as `to_html_many` does, each compressed (zlib): a worker's task.

    The build holds every page's body from its conversion until its page is made, after the
    fit, and caches them all: compressed, they take about a third of the memory (0.4 GB
    at 100,000 papers otherwise) and of the cache file, for 2% of the conversion's time.
    """
    packed = [zlib.compress(html, 1) for html in to_html_many(documents)]
    if max(map(len, documents), default=0) >= LONG_DOCUMENT:
        # Converting one takes about twenty times its size, which glibc would keep with this
        # worker until the Markdown is done (the long pages come first). Not after every
        # task: memory handed back is faulted in again, at a cost.
        give_back_free_memory()
    return packed


def unpacked(body: bytes | None) -> str:
    """Return a body `packed_html_many` made as HTML; no body is empty."""
    return zlib.decompress(body).decode("utf-8") if body is not None else ""


def pages_key(site: Site, urls: Urls) -> str:
    """Return the cache key of the pages made from this site: a hash of the whole site model
    as read (pickled) and the addresses, all that `text_pages` reads, so any change misses."""
    digest = hashlib.sha256()
    pickle.Pickler(_Hashing(digest), protocol=pickle.HIGHEST_PROTOCOL).dump((site, urls))
    return content_hash("pages", digest.hexdigest())


@dataclass
class _Hashing:
    """A file-like sink that hashes what is written to it: a large site is never pickled whole in memory."""

    digest: hashlib._Hash

    def write(self, data: bytes) -> None:
        self.digest.update(data)


def _is_pages_entry(value: object) -> TypeGuard[tuple[tuple[Page, ...], dict[str, str]]]:
    return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], tuple)
            and all(isinstance(page, Page) for page in value[0]) and isinstance(value[1], dict))


def _without_markdown(page: Page) -> Page:
    return dataclasses.replace(page, markdown=None) if page.markdown is not None else page


def known_html(cache: Cache) -> dict[str, bytes]:
    """Return the cached HTML (packed) of Markdown documents, by the documents' hash."""
    known = cache.load("html", HTML_KEY)
    return known if isinstance(known, dict) else {}


def read_assets(folder: Path) -> dict[str, bytes]:
    """Return every file under templates/assets/, to be copied to assets/ unchanged."""
    if not folder.is_dir():
        return {}
    return {
        asset_route(path.relative_to(folder).as_posix()): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def read_lunr_script(templates: Path) -> bytes:
    """Return lunr.min.js as npm installed it, beside the templates' project or sitegen's own."""
    for root in dict.fromkeys([templates.resolve().parent, SITEGEN_ROOT]):
        package = root / "node_modules" / "lunr"
        try:
            version = json.loads((package / "package.json").read_text(encoding="utf-8")).get("version")
            script = (package / LUNR_SCRIPT).read_bytes()
        except (OSError, ValueError):
            continue
        if version == LUNR_VERSION:
            return script
    raise SitegenError(
        Problem(f"node_modules/lunr/{LUNR_SCRIPT}", 0, 0, f"lunr.js {LUNR_VERSION}, which the search page loads, is not installed",
                "run npm ci in the repository; make site does it")
    )


def markdown_files(pages: Sequence[Page]) -> dict[str, bytes]:
    """Return the Markdown document of every page that has one, at its route's index.md."""
    return {page.markdown_path: page.markdown.encode("utf-8") for page in pages if page.markdown is not None}


def check_markdown_folder(folder: Path) -> None:
    """Refuse to replace a folder that holds anything but Markdown: it is not ours to delete."""
    if not folder.exists():
        return
    others = [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".md"] if folder.is_dir() else [folder]
    if others:
        raise SitegenError(
            Problem(display(folder), 0, 0, "the Markdown folder holds other files and would be replaced",
                    "pass --markdown an empty or new folder")
        )


def cache_for(project: Project, fresh: bool = False) -> Cache:
    """Return the project's cache: `.sitegen-cache/` beside its content folder."""
    return Cache(project.content.resolve().parent / CACHE_FOLDER, read=not fresh)


def build_site(
    project: Project,
    out: Path,
    base_url: str | None = None,
    markdown_dir: Path | None = None,
    fresh: bool = False,
    helper: Helper | None = None,
    pool: Executor | None = None,
    inputs: str | None = None,
) -> BuildResult:
    """Build the whole site into `out`, leaving the previous site untouched on any error.

    `fresh` ignores what the cache holds (and refills it), for timing a build from scratch.
    `helper` fits the models if they must be (see `learning_helper`); one is started if none
    is given. `pool`'s workers convert Markdown (see `site_files`). `inputs` is the input
    fingerprint when the caller took it already (see sitegen/fingerprint.py).
    """
    started = time.perf_counter()
    if inputs is None:
        inputs = input_fingerprint(project, out, base_url, SITEGEN_ROOT)  # before anything is read
    from sitegen.learning import learning_helper

    with helper or learning_helper() as fitter:
        timings, cache = Timings(), cache_for(project, fresh)
        renderer = Renderer(project.templates, cache)
        site, warnings = read_site(project, base_url, timings, cache)
        urls = Urls.from_base_url(site.config.base_url)
        if markdown_dir is not None:
            check_markdown_folder(markdown_dir)
        pages, files = site_files(site, renderer, urls, timings, cache, learn=True, helper=fitter, pool=pool,
                                  keep_markdown=markdown_dir is not None)
        with timings.phase("write"):  # the templates' time, spent as the files are written, counts apart
            report = write_site(files, out)
            if markdown_dir is not None:
                write_site(markdown_files(pages), markdown_dir)
    result = BuildResult(
        pages=len(pages),
        files=report.kept + len(report.written),
        papers=len(site.catalog.papers),
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        themes=len(site.curation.themes),
        tags=len(site.curation.tags),
        written=len(report.written),
        removed=len(report.removed),
        timings=timings.as_tuple(),
    )
    remember_build(project, out, inputs, result.counts, [problem.format() for problem in warnings])
    return result
