"""Write the built site into its output folder atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from sitegen.errors import Problem, SitegenError


def write_site(files: Mapping[str, bytes], out: Path) -> int:
    """Write `files` (site-relative path to bytes) as the whole content of `out`; return the count.

    Everything is written into a fresh folder beside `out`, which is then swapped in, so a
    reader or a failed build never sees a half-written site.
    """
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise SitegenError(
            Problem(str(out), 0, 0, "the output path is a file, not a folder", "choose another --out")
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for relative, data in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(files)


def _swap_in(staging: Path, out: Path) -> None:
    staging.chmod(0o755)
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    os.replace(out, retired)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
