"""Lay out pages through the Jinja templates: strict undefined variables, HTML autoescaping.

The templates are read once (from inside the templates folder only) into a `Templates`
value; Jinja compiles them from memory, so a page's layout depends on nothing else than the
templates, the layout every page shares and the page itself.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from sitegen.errors import Problem, SitegenError
from sitegen.model import SiteConfig
from sitegen.project import display, read_inside
from sitegen.site.pages import Page
from sitegen.site.search import LUNR_VERSION
from sitegen.site.urls import Urls, asset_route

TEMPLATE_SUFFIX = ".html"
ASSETS_FOLDER = "assets"
LUNR_SCRIPT = "lunr.min.js"
SITEGEN_ROOT = Path(__file__).resolve().parents[2]  # where make installs the npm packages


@dataclass(frozen=True)
class Templates:
    """Every template's source by name (`base.html`), and where they came from."""

    folder: str
    sources: tuple[tuple[str, str], ...]

    def has(self, name: str) -> bool:
        return any(found == name for found, _ in self.sources)


@dataclass(frozen=True)
class Layout:
    """What every page is laid out with: the settings, the navigation and the addresses."""

    config: SiteConfig
    nav: tuple[tuple[str, str, str], ...]
    urls: Urls


def read_templates(folder: Path) -> Templates:
    """Read every template of the folder (not its assets)."""
    if not folder.is_dir():
        raise SitegenError(Problem(display(folder), 0, 0, "the templates folder does not exist",
                                   "run sitegen from the repository root or pass --templates DIR"))
    sources = []
    for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
        data = read_inside(path, folder)
        try:
            sources.append((path.name, data.decode("utf-8")))
        except UnicodeDecodeError:
            raise SitegenError(Problem(display(path), 0, 0, "the template is not UTF-8", "save it as UTF-8")) from None
    return Templates(folder=str(folder), sources=tuple(sources))


def read_assets(folder: Path) -> dict[str, bytes]:
    """Return every file under the templates' assets/, to be copied to assets/ unchanged."""
    top = folder / ASSETS_FOLDER
    found = {}
    for parent, folders, names in os.walk(top):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                path = Path(parent) / name
                found[asset_route(path.relative_to(top).as_posix())] = read_inside(path, folder)
    return found


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
    raise SitegenError(Problem(f"node_modules/lunr/{LUNR_SCRIPT}", 0, 0,
                               f"lunr.js {LUNR_VERSION}, which the search page loads, is not installed",
                               "run npm ci in the repository; make site does it"))


def render_page(templates: Templates, layout: Layout, page: Page, body: str) -> bytes:
    """Lay out one page; a template's mistake becomes a problem with its file and line."""
    urls = layout.urls
    return _render(templates, page.template, config=layout.config, page=page, body=Markup(body), nav=layout.nav,
                   link=urls.link, absolute=urls.absolute, asset=lambda name: urls.link(asset_route(name)))


def _render(templates: Templates, name: str, **context: Any) -> bytes:
    folder = Path(templates.folder)
    try:
        return _environment(templates).get_template(name).render(**context).encode("utf-8")
    except jinja2.TemplateSyntaxError as error:
        # Raised while compiling the template that holds the mistake, wherever it is included.
        raise SitegenError(Problem(display(folder / (error.name or name)), error.lineno or 0, 1,
                                   f"template syntax error: {error.message}")) from None
    except jinja2.TemplateNotFound as error:
        raise SitegenError(Problem(display(folder), 0, 0, f"template {error.name!r} not found",
                                   "add it to the templates folder")) from None
    except jinja2.UndefinedError as error:
        where, line = _template_line(error, folder, name)
        raise SitegenError(Problem(display(folder / where), line, 1 if line else 0,
                                   f"template error: {error.message}",
                                   "the variables a page has are those of sitegen.site.pages.Page")) from None


def _template_line(error: BaseException, folder: Path, name: str) -> tuple[str, int]:
    """Return the template and line where rendering failed: Jinja puts its frames in the traceback."""
    found = (name, 0)
    trace = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.startswith(str(folder) + os.sep):
            found = (filename[len(str(folder)) + 1:], trace.tb_lineno)
        trace = trace.tb_next
    return found


@functools.lru_cache(maxsize=4)
def _environment(templates: Templates) -> jinja2.Environment:
    return jinja2.Environment(
        loader=_Loader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Loader(jinja2.BaseLoader):
    """Templates from memory, each named by its path, so that errors can say where they are."""

    def __init__(self, templates: Templates) -> None:
        self.sources = dict(templates.sources)
        self.folder = templates.folder

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        return self.sources[template], os.path.join(self.folder, template), lambda: True
