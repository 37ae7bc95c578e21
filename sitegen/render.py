"""Lay out pages through the Jinja templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from sitegen.cache import Cache, content_hash
from sitegen.errors import Problem, SitegenError
from sitegen.project import display


class CachedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept in the build cache, so a build compiles only edited templates.

    An entry is keyed by the template's name and source, Jinja's version and sitegen's code
    (whose Environment options shape the compiled code), so it can never be stale.
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.cache.load(*self._entry(bucket))
        if isinstance(data, bytes):
            bucket.bytecode_from_string(data)  # a damaged entry resets the bucket: compiled again

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.cache.store(*self._entry(bucket), bucket.bytecode_to_string())

    @staticmethod
    def _entry(bucket: jinja2.bccache.Bucket) -> tuple[str, str]:
        return f"template-{bucket.key[:16]}", content_hash(jinja2.__version__, bucket.key, bucket.checksum)


class Renderer:
    """Render named templates with strict undefined variables and HTML autoescaping."""

    def __init__(self, templates: Path, cache: Cache | None = None) -> None:
        if not templates.is_dir():
            raise SitegenError(
                Problem(
                    display(templates),
                    0,
                    0,
                    "the templates folder does not exist",
                    "run sitegen from the repository root or pass --templates DIR",
                )
            )
        self.folder = templates
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            bytecode_cache=CachedBytecode(cache) if cache is not None else None,
        )

    def render(self, name: str, **context: Any) -> str:
        """Render one template; template mistakes become problems with file and line."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as error:
            path = display(self.folder / (error.name or name))
            raise SitegenError(
                Problem(path, error.lineno or 0, 1, f"template syntax error: {error.message}")
            ) from None
        except jinja2.TemplateNotFound as error:
            raise SitegenError(
                Problem(display(self.folder), 0, 0, f"template {error.name!r} not found")
            ) from None
        except jinja2.UndefinedError as error:
            raise SitegenError(
                Problem(display(self.folder / name), 0, 0, f"template error: {error.message}")
            ) from None
