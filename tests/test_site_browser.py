"""The published site in a real Chromium: accessibility, keyboard, phone layout, hostile input."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from .conftest import REPO
from .site_quality import SUBPATH, PublishedSite

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


def representative_pages(site: PublishedSite) -> dict[str, str]:
    """Home, a theme, a curated paper with a note, a tag, the search page and the map."""
    folder = site.folder
    theme = sorted((folder / "themes").glob("*/index.html"))[0].parent.name
    noted = next(path.parent.name for path in sorted((folder / "papers").glob("*/index.html"))
                 if "Curator" in path.read_text(encoding="utf-8"))
    tag = sorted((folder / "tags").glob("*/index.html"))[0].parent.name
    return {
        "home": site.url,
        "theme": f"{site.url}themes/{theme}/",
        "paper": f"{site.url}papers/{noted}/",
        "tag": f"{site.url}tags/{tag}/",
        "search": f"{site.url}search/",
        "map": f"{site.url}map/",
        "all papers": f"{site.url}papers/",
        "all papers, page 2 (a pager)": f"{site.url}papers/page/2/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_the_main_kinds_of_page(published, chromium, scheme):
    # The page's CSP rightly forbids injected scripts; axe is injected for the audit only.
    context = chromium.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    found = []
    for kind, url in representative_pages(published).items():
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found += [f"{kind} ({scheme}): {v['id']} [{v['impact']}] {v['help']}: "
                  f"{[node['target'] for node in v['nodes']][:5]}" for v in result["violations"]]
    context.close()
    assert found == []


def test_the_keyboard_reaches_a_visible_skip_link_first_and_focus_is_always_visible(published, chromium):
    page = chromium.new_page(viewport=DESKTOP)
    page.goto(published.url)
    page.keyboard.press("Tab")
    skip = page.evaluate("""() => { const el = document.activeElement; const box = el.getBoundingClientRect();
        return {text: el.textContent, href: el.getAttribute('href'), top: box.top, height: box.height,
                outline: getComputedStyle(el).outlineStyle}; }""")
    assert skip["text"] == "Skip to content" and skip["href"] == "#main"
    assert skip["top"] >= 0 and skip["height"] > 0, "the skip link stays off screen when focused"
    for _ in range(6):
        page.keyboard.press("Tab")
        style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth, s.boxShadow]; }""")
        tag, outline, width, shadow = style
        assert (outline != "none" and width != "0px") or shadow != "none", f"focus on <{tag}> is invisible"
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_is_wider_than_the_screen(published, chromium, viewport, tmp_path):
    page = chromium.new_page(viewport=viewport)
    wide = []
    for kind, url in representative_pages(published).items():
        page.goto(url)
        page.screenshot(path=str(tmp_path / f"{kind}-{viewport['width']}.png"), full_page=True)
        wide += [f"{kind}: {element}" for element in page.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')].filter(
                el => el.getBoundingClientRect().right > width + 1 && getComputedStyle(el).position !== 'absolute');
            return wide.slice(0, 5).map(el => el.tagName + '.' + el.className);
        }""")]
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            wide.append(f"{kind}: the page scrolls sideways")
    page.close()
    assert wide == []


# Hostile input (the `hostile` site of site_quality.py): every payload must come out as text, none may run.


def test_hostile_titles_abstracts_and_notes_come_out_as_text_and_never_run(hostile, chromium):
    # Without the CSP, which would block a payload that escaped: escaping alone must hold.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    ran = []
    page.on("dialog", lambda dialog: (ran.append(dialog.message), dialog.dismiss()))
    for path in hostile.pages():
        page.goto(hostile.url + path.relative_to(hostile.folder).as_posix().removesuffix("index.html"))
        page.evaluate("""() => document.querySelectorAll('body *').forEach(el => {
            for (const type of ['mouseover', 'click', 'focus']) el.dispatchEvent(new Event(type, {bubbles: true}));
        })""")
        if page.evaluate("typeof window.__xss") != "undefined":
            ran.append(f"{path}: window.__xss = {page.evaluate('window.__xss')}")
    paper = hostile.url + "papers/img-src-x-onerror-window-xss-1-hostile-title/"
    page.goto(paper)
    text = page.inner_text("main")
    context.close()
    assert ran == []
    assert '<img src=x onerror="window.__xss=1"> Hostile Title' in text
    assert "<script>window.__xss=2</script>" in text


def test_hostile_input_leaves_no_script_handler_or_javascript_url_in_any_file(hostile):
    # papers.json holds the text as data, as it should; HTML and XML must hold it escaped.
    papers = json.loads((hostile.folder / "papers.json").read_text(encoding="utf-8"))
    assert any(paper["title"] == '<img src=x onerror="window.__xss=1"> Hostile Title' for paper in papers)
    ElementTree.parse(hostile.folder / "feed.xml")
    for path in sorted(hostile.folder.rglob("*")):
        if path.suffix not in (".html", ".xml"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "<script>window" not in text, path
        assert 'href="javascript:' not in text.replace(" ", ""), path
        for handler in ("onerror=", "onload=", "onmouseover="):
            assert f"<img src=x {handler}" not in text and f"<svg {handler}" not in text, path
    assert SUBPATH in (hostile.folder / "index.html").read_text(encoding="utf-8")
