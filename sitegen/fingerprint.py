"""Recognise a build with nothing to do, before loading anything a build needs.

After each build, a record in the cache folder keeps a fingerprint of every input (the
content and templates folders byte for byte, lunr.js, sitegen's code, the versions of the
libraries that shape the output, the options) and a snapshot of the output folder (each
file's size and modification time). When the next build finds the same fingerprint and the
output exactly as it was left, the site it would write is the site on disk: it says so and
stops. Any difference at all, or no record, means a full build. Standard library only: the
point is to answer before Jinja, Markdown or scikit-learn are even imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sitegen import __version__
from sitegen.cache import CACHE_FOLDER, code_fingerprint
from sitegen.project import Project, display

RECORD_FORMAT = 2  # 2: the output folder's path first, on a line of its own
# The libraries whose version can change a built byte.
LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "pyyaml", "lunr", "scikit-learn", "scipy", "numpy")


@dataclass(frozen=True)
class Counts:
    """What a build's summary line reports."""

    pages: int
    files: int
    papers: int
    themes: int
    tags: int


def summary_line(counts: Counts, written: int, removed: int, seconds: float, out: Path, note: str = "") -> str:
    changes = f"{written} written" if written != counts.files else "all written"
    if removed:
        changes += f", {removed} removed"
    return (
        f"Built {counts.pages} pages ({counts.files} files, {changes}) from {counts.papers} papers, "
        f"{counts.themes} themes and {counts.tags} tags in {seconds:.2f} s into {display(out)}/{note}"
    )


def cache_folder(project: Project) -> Path:
    return project.content.resolve().parent / CACHE_FOLDER


def record_path(project: Project, out: Path) -> Path:
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return cache_folder(project) / f"build-{name}.json"


def lunr_script(templates: Path, fallback_root: Path) -> Path | None:
    """Return the lunr.min.js a build would copy (see build.read_lunr_script), if any."""
    for root in dict.fromkeys([templates.resolve().parent, fallback_root]):
        path = root / "node_modules" / "lunr" / "lunr.min.js"
        if path.is_file():
            return path
    return None


def input_fingerprint(project: Project, out: Path, base_url: str | None, fallback_root: Path) -> str:
    digest = hashlib.sha256()

    def add(text: str | bytes) -> None:
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        digest.update(len(data).to_bytes(8, "little") + data)

    add(f"record {RECORD_FORMAT} sitegen {__version__} {code_fingerprint()} python {sys.version}")
    for library in installed_versions(LIBRARIES):
        add(library)
    add(f"base_url {base_url!r} out {out.resolve()}")
    for label, folder in (("content", project.content), ("templates", project.templates)):
        add(label)
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file():
                add(path.relative_to(folder).as_posix())
                add(path.read_bytes())
    script = lunr_script(project.templates, fallback_root)
    add(script.read_bytes() if script else b"no lunr")
    if script:
        add(script.with_name("package.json").read_bytes() if script.with_name("package.json").is_file() else b"")
    return digest.hexdigest()


def installed_versions(distributions: Sequence[str]) -> list[str]:
    """Return "name version" for each distribution installed, "name absent" for the others.

    Read from the names of the `name-version.dist-info` folders on sys.path, the first found
    winning, as importlib.metadata does; importing and asking it takes 40 ms, which a build
    with nothing to do (0.1 s in all) should not spend.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, or gone
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info"):
                distribution, _, version = stem.partition("-")
                found.setdefault(_normalized(distribution), version.split("-")[0])
    return [f"{name} {found.get(_normalized(name), 'absent')}" for name in distributions]


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()  # PEP 503


def output_snapshot(out: Path) -> list[list[object]]:
    """Return every file of the output folder with its size and modification time."""
    found: list[list[object]] = []
    folders = [(str(out), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    stat = entry.stat()
                    found.append([f"{prefix}{entry.name}", stat.st_size, stat.st_mtime_ns])
    return sorted(found)


def remember_build(project: Project, out: Path, inputs: str, counts: Counts, warnings: list[str]) -> None:
    """Record the inputs and output of a build that just succeeded; never fail the build.

    `inputs` is the input fingerprint taken before the build read anything: an input edited
    while the build ran then differs from the record, and the next build makes it show.
    """
    record = {
        "format": RECORD_FORMAT,
        "inputs": inputs,
        "output": output_snapshot(out.resolve()),
        "counts": asdict(counts),
        "warnings": warnings,
    }
    path = record_path(project, out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        # The output folder first, on a line of its own: `forget_gone_outputs` reads only that.
        temporary.write_text(json.dumps(str(out.resolve())) + "\n" + json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        return
    forget_gone_outputs(path.parent)


def forget_gone_outputs(folder: Path) -> None:
    """Delete the records of output folders that no longer exist (and of older formats).

    Each output folder has its record, and `sitegen serve` builds into a temporary folder
    per session: without this, records (a file list each, 1 MB at 10,000 papers) pile up.
    """
    for path in folder.glob("build-*.json"):
        try:
            with path.open(encoding="utf-8") as stream:
                out = json.loads(stream.readline())
            if not isinstance(out, str) or not Path(out).is_dir():
                path.unlink()
        except (OSError, ValueError):  # being replaced, or unreadable: the next build decides
            continue


def unchanged_build(project: Project, out: Path, inputs: str) -> tuple[Counts, list[str]] | None:
    """Return the last build's counts and warnings when it would be rebuilt identically, else None.

    `inputs` is the input fingerprint now (`input_fingerprint`); a build that follows takes it
    over, so the inputs are read once.
    """
    try:
        _, _, text = record_path(project, out).read_text(encoding="utf-8").partition("\n")
        record = json.loads(text)
        if record.get("format") != RECORD_FORMAT or record["inputs"] != inputs or not out.is_dir():
            return None
        if record["output"] != output_snapshot(out.resolve()):
            return None
        return Counts(**record["counts"]), list(record["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
