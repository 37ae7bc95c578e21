"""Lay out pages through the Jinja templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from sitegen.errors import Problem, SitegenError
from sitegen.project import display


class Renderer:
    """Render named templates with strict undefined variables and HTML autoescaping."""

    def __init__(self, templates: Path) -> None:
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
