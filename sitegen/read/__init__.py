"""The first stage: every input file into the frozen model, with every problem found at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sitegen.errors import Problem, SitegenError
from sitegen.model import Catalog, Curation, Site
from sitegen.read.catalog import load_catalog
from sitegen.read.config import load_config
from sitegen.read.curation import load_curation
from sitegen.read.files import Files
from sitegen.read.pages import load_free_pages

T = TypeVar("T")


def read_catalog(files: Files) -> tuple[Catalog, list[Problem]]:
    """Read and merge every listing of the project."""
    return load_catalog(files, files.project.listing_paths())


def read_site(files: Files, base_url: str | None = None) -> tuple[Site, list[Problem]]:
    """Read listings, curation, settings and free pages; raise once with every problem found.

    The warnings come back with the site; errors (and the warnings beside them, so that a
    curator fixing errors sees everything at once) are raised.
    """
    problems: list[Problem] = []
    read = _collecting(problems)
    catalog_read = read(lambda: read_catalog(files))
    config = read(lambda: load_config(files, base_url))
    pages = read(lambda: load_free_pages(files))
    curation = Curation()
    if catalog_read is not None:
        curation, curation_problems = load_curation(files, catalog_read[0])
        problems += catalog_read[1] + curation_problems
    if any(problem.is_error for problem in problems) or catalog_read is None or config is None or pages is None:
        raise SitegenError(problems)
    return Site(config=config, catalog=catalog_read[0], curation=curation, pages=pages), problems


def _collecting(problems: list[Problem]) -> Callable[[Callable[[], T]], T | None]:
    def read(step: Callable[[], T]) -> T | None:
        try:
            return step()
        except SitegenError as error:
            problems.extend(error.problems)
            return None

    return read
