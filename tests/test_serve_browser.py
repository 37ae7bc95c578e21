"""`sitegen serve` in a real Chromium: an edit shows on the open page, in place where it can."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_serve import project, serving  # noqa: F401 (project is a fixture)

pytestmark = pytest.mark.browser

PAPER = "papers/alpha-attention-is-enough/"
WAIT_MS = 30_000


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fetched(page, name: str) -> int:
    """How many times the page has fetched a file whose address ends with `name`."""
    return page.evaluate(f"performance.getEntriesByType('resource').filter(e => e.name.endsWith({name!r})).length")


def test_an_edit_shows_on_the_open_page_in_place_with_its_stylesheet_scripts_and_enhancements_kept(
        project, chromium):
    with serving(project) as server:
        page = chromium.new_page()  # under the pages' own security policy
        page.goto(server.url + PAPER)
        page.evaluate("window.notReloaded = true")
        assert page.is_visible("button[data-copy='citation']"), "site.js shows the copy button"
        edit(project / "templates" / "base.html", "</footer>", "<p>edited template</p></footer>")
        page.locator("footer", has_text="edited template").wait_for(timeout=WAIT_MS)
        assert page.evaluate("window.notReloaded") is True, "the new body was swapped in, the page not reloaded"
        assert page.is_visible("button[data-copy='citation']"), "site.js enhanced the new body"
        assert (fetched(page, "site.css"), fetched(page, "site.js"), fetched(page, "reload.js")) == (1, 1, 1)
        edit(project / "content" / "site.yaml", "Test Reading List", "Renamed List")
        page.locator("meta[property='og:site_name'][content='Renamed List']").wait_for(state="attached", timeout=WAIT_MS)
        assert page.evaluate("window.notReloaded") is True
        assert page.locator("meta[property='og:site_name']").get_attribute("content") == "Renamed List"
        assert page.locator("head title").count() == 1 and page.locator("link[rel='stylesheet']").count() == 1
        page.close()


def test_a_stylesheet_edit_reloads_the_open_page_and_the_new_style_applies(project, chromium):
    with serving(project) as server:
        page = chromium.new_page(bypass_csp=True)  # for wait_for_function; the pages are unchanged
        page.goto(server.url + PAPER)
        page.evaluate("window.notReloaded = true")
        stylesheet = project / "templates" / "assets" / "site.css"
        stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n",
                              encoding="utf-8")
        page.wait_for_function("getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'", timeout=WAIT_MS)
        assert page.evaluate("window.notReloaded") is None, "a changed stylesheet reloads the page"
        page.close()


def test_the_search_page_reloads_rather_than_lose_its_scripts(project, chromium):
    with serving(project) as server:
        page = chromium.new_page(bypass_csp=True)  # for wait_for_function; the pages are unchanged
        page.goto(server.url + "search/")
        page.evaluate("window.notReloaded = true")
        edit(project / "templates" / "base.html", "</footer>", "<p>edited template</p></footer>")
        page.wait_for_function("document.body.innerText.includes('edited template')", timeout=WAIT_MS)
        page.wait_for_load_state("load")
        assert page.evaluate("window.notReloaded") is None, "search.js runs again on the new page"
        page.close()
