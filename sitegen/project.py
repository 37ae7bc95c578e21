"""Where a project's files live, how they are read (from inside the project only), and how
paths are shown to users.

A project is the folder that holds the content folder: `content/` (listings, curation,
pages, settings) beside `templates/`, sitegen's cache and the built site. Every input is
read through `read_inside`: a symbolic link that leads out of its folder, a FIFO or a
device is refused with the link's own name, so a pull request cannot publish a file of the
machine that builds it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import Problem, SitegenError, os_problem

LISTINGS_FOLDER = "sources"
LISTING_SUFFIX = ".txt"
CACHE_FOLDER = ".sitegen-cache"
PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Project:
    """The folders a build reads: `content/` (listings and curation) and `templates/`."""

    content: Path
    templates: Path

    @property
    def root(self) -> Path:
        """The project folder: the one that holds the content folder."""
        return absolute(self.content).parent

    @property
    def cache(self) -> Path:
        return self.root / CACHE_FOLDER

    def listing_paths(self) -> list[Path]:
        """Return every listing under the content folder, in a fixed order."""
        folder = self.content / LISTINGS_FOLDER
        if not self.content.is_dir():
            raise SitegenError(
                Problem(display(self.content), 0, 0, "the content folder does not exist",
                        "run sitegen from the repository root or pass --content DIR")
            )
        paths = sorted(folder.glob(f"*{LISTING_SUFFIX}")) if folder.is_dir() else []
        if not paths:
            raise SitegenError(
                Problem(display(folder), 0, 0, f"no listings (*{LISTING_SUFFIX}) found",
                        "add the paper listings to this folder or pass --content DIR")
            )
        return paths

    def relative(self, path: Path) -> str:
        """Return a path inside the project as the project names it (`content/sources/x.txt`),
        the same wherever sitegen runs from."""
        try:
            return absolute(path).relative_to(self.root).as_posix()
        except ValueError:
            return absolute(path).as_posix()


def absolute(path: Path) -> Path:
    """Return an absolute path with `..` and the links of its parent folders resolved (not its own)."""
    path = Path(os.path.abspath(path))
    return path.parent.resolve() / path.name if path.name else path


def read_inside(path: Path, top: Path, name: str | None = None) -> bytes:
    """Return the bytes of the regular file `path`, which must stay inside the folder `top`.

    A link that resolves outside `top` is refused, named by the link itself (never by what it
    points at); so are FIFOs, devices and sockets, which would make a build hang or read
    something else than a file.
    """
    shown = name or display(path)
    inside = os.path.realpath(top)
    target = os.path.realpath(path)
    if os.path.commonpath([inside, target]) != inside:
        raise SitegenError(Problem(shown, 0, 0, "this is a link to a file outside the project, which is never read",
                                   "replace the link with the file itself"))
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise SitegenError(os_problem(error, path, "cannot read this file")) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file (a FIFO, device or socket)"
            raise SitegenError(Problem(shown, 0, 0, f"this is {kind}, so it is not read",
                                       "put a plain file here, or remove it"))
        chunks = []
        while chunk := os.read(descriptor, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as error:
        raise SitegenError(os_problem(error, path, "cannot read this file")) from None
    finally:
        os.close(descriptor)


def display(path: Path) -> str:
    """Return `path` as the user would type it: relative to the working folder when inside it."""
    try:
        return absolute(path).relative_to(absolute(Path.cwd())).as_posix()
    except ValueError:
        return absolute(path).as_posix()


def refuse_unsafe_output(folder: Path, project: Project, option: str, force: bool) -> None:
    """Refuse an output folder that holds the project's inputs or lies inside them, unless `force`.

    The project folder itself, any folder that holds the content, the templates, sitegen's
    code or its cache, and any folder inside those: a build replaces its output folder whole,
    so it would delete what it reads.
    """
    if force:
        return
    out = Path(os.path.realpath(folder))
    guarded = (("the project folder", project.root), ("the content folder", project.content),
               ("the templates folder", project.templates), ("sitegen's own code", PACKAGE),
               ("sitegen's cache", project.cache))
    for what, place in guarded:
        place = Path(os.path.realpath(place))
        if out == place:
            relation = f"is {what}"
        elif place.is_relative_to(out):
            relation = f"holds {what}"
        elif what != "the project folder" and out.is_relative_to(place):
            relation = f"is inside {what}"
        else:
            continue
        raise SitegenError(Problem(
            display(folder), 0, 0, f"{option} {relation}: a build replaces its output folder whole and would delete it",
            f"pass {option} a folder of its own, such as _site; --force replaces it all the same"))
