"""Where a project's content and templates live, and how paths are shown to users."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import Problem, SitegenError

LISTINGS_FOLDER = "sources"
LISTING_SUFFIX = ".txt"


@dataclass(frozen=True)
class Project:
    """The folders a build reads: `content/` (listings and curation) and `templates/`."""

    content: Path
    templates: Path

    def listing_paths(self) -> list[Path]:
        """Return every listing under the content folder, in a fixed order."""
        folder = self.content / LISTINGS_FOLDER
        if not self.content.is_dir():
            raise SitegenError(
                Problem(
                    display(self.content),
                    0,
                    0,
                    "the content folder does not exist",
                    "run sitegen from the repository root or pass --content DIR",
                )
            )
        paths = sorted(folder.glob(f"*{LISTING_SUFFIX}")) if folder.is_dir() else []
        if not paths:
            raise SitegenError(
                Problem(
                    display(folder),
                    0,
                    0,
                    f"no listings (*{LISTING_SUFFIX}) found",
                    "add the paper listings to this folder or pass --content DIR",
                )
            )
        return paths


def display(path: Path) -> str:
    """Return `path` as the user would type it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
