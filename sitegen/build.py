"""Build the site: read everything, then render, then write once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from sitegen.catalog import load_catalog
from sitegen.errors import Problem
from sitegen.model import Catalog
from sitegen.project import Project, display
from sitegen.render import Renderer
from sitegen.writer import write_site


@dataclass(frozen=True)
class BuildResult:
    """What a build did, for the summary line."""

    pages: int
    files: int
    papers: int
    seconds: float
    warnings: tuple[Problem, ...]

    def summary(self, out: Path) -> str:
        return (
            f"Built {self.pages} pages ({self.files} files) from {self.papers} papers "
            f"in {self.seconds:.2f} s into {display(out)}/"
        )


def read_catalog(project: Project) -> tuple[Catalog, list[Problem]]:
    """Read and merge every listing of the project."""
    paths = project.listing_paths()
    return load_catalog(paths, {path: display(path) for path in paths})


def build_site(project: Project, out: Path) -> BuildResult:
    """Build the whole site into `out`, leaving the previous site untouched on any error."""
    started = time.perf_counter()
    catalog, warnings = read_catalog(project)
    renderer = Renderer(project.templates)
    files = {"index.html": renderer.render("index.html", papers=catalog.papers).encode("utf-8")}
    write_site(files, out)
    pages = sum(1 for name in files if name.endswith(".html"))
    return BuildResult(
        pages=pages,
        files=len(files),
        papers=len(catalog.papers),
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
    )
