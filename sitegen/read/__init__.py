"""The first stage: every input file into the frozen model, with every problem found at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sitegen.errors import Problem, SitegenError
from sitegen.model import Catalog, Curation, Record, Site
from sitegen.read.catalog import load_catalog
from sitegen.read.config import load_config
from sitegen.read.curation import load_curation
from sitegen.read.files import Files
from sitegen.read.pages import load_free_pages
from sitegen.read.records import attach_records, read_records, record_entries

T = TypeVar("T")


def read_catalog(files: Files, records: tuple[Record, ...] = ()) -> tuple[Catalog, list[Problem]]:
    """Read and merge every listing of the project, and the papers that came from arXiv alone."""
    return load_catalog(files, files.project.listing_paths(), record_entries(records))


def read_list(files: Files) -> tuple[Catalog, Curation, list[Problem]]:
    """Read the papers (listings and records) and their curation, records attached.

    Raises SitegenError when the listings or records cannot be read; the curation's problems,
    errors too, come back with the list.
    """
    records = read_records(files)
    catalog, problems = read_catalog(files, records)
    curation, curation_problems = load_curation(files, catalog)
    problems += curation_problems
    if any(problem.is_error for problem in curation_problems):
        return catalog, curation, problems
    catalog, stale = attach_records(catalog, records, curation)
    return catalog, curation, problems + files.shown(stale)


def read_site(files: Files, base_url: str | None = None) -> tuple[Site, list[Problem]]:
    """Read listings, records, curation, settings and free pages; raise once with every problem found.

    The warnings come back with the site; errors (and the warnings beside them, so that a
    curator fixing errors sees everything at once) are raised.
    """
    problems: list[Problem] = []
    read = _collecting(problems)
    papers = read(lambda: read_list(files))
    config = read(lambda: load_config(files, base_url))
    pages = read(lambda: load_free_pages(files))
    if papers is not None:
        problems += papers[2]
    if any(problem.is_error for problem in problems) or papers is None or config is None or pages is None:
        raise SitegenError(problems)
    return Site(config=config, catalog=papers[0], curation=papers[1], pages=pages), problems


def _collecting(problems: list[Problem]) -> Callable[[Callable[[], T]], T | None]:
    def read(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except SitegenError as error:
            problems.extend(error.problems)
            return None

    return read
