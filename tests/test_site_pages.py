"""The website's pages: what each shows, where it lives, and that listing text stays text."""

from __future__ import annotations

import gzip
import re
import shutil
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sitegen.render
from sitegen.errors import SitegenError
from sitegen.memo import Memo
from sitegen.model import Learning, Link, PaperNotes, Placement, Record
from sitegen.pipeline import site_files
from sitegen.pool import worker_pool
from sitegen.project import Project
from sitegen.read import read_site
from sitegen.read.files import Files
from sitegen.render import body_html
from sitegen.render.markdown import to_html
from sitegen.render.templates import read_templates
from sitegen.site.markup import Body
from sitegen.site.pages import (
    ALL_PAPERS_PAGE_SIZE,
    TAG_PAGE_SIZE,
    THEME_PAGE_SIZE,
    NavLink,
    Pager,
    added_order,
    make_pages,
    paper_entry,
    paper_parts,
    plan_pages,
    show_date,
    split_excerpt,
)
from sitegen.site.paper_map import MAP_POINTS
from sitegen.site.urls import Urls

from .conftest import CONTENT, TEMPLATES
from .site_fixtures import CONFIG, LONG_ABSTRACT, curated_site, paper


def render(site=None) -> dict[str, str]:
    site = site or curated_site()
    _, files = site_files(site, read_templates(TEMPLATES), {}, Memo(None))
    return {name: data.decode("utf-8") for name, data in files}


def main_of(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def test_every_page_has_a_permanent_readable_address():
    files = render()
    assert {
        "index.html", "404.html", "about/index.html", "search/index.html", "papers/index.html",
        "tags/index.html", "themes/ssm/index.html", "themes/attention/index.html",
        "papers/alpha/index.html", "papers/beta/index.html", "papers/gamma/index.html",
        "papers/loose/index.html", "tags/mamba/index.html", "tags/theory/index.html",
        "tags/unused/index.html",
    } <= set(files)


def test_the_home_page_lists_themes_in_reading_order_with_counts_and_recent_papers():
    home = main_of(render()["index.html"])
    assert home.index("State spaces") < home.index("Attention")
    assert '<a href="/repo/themes/ssm/">State spaces</a></strong> (3 papers): What state spaces are.' in home
    assert "(1 paper): All about <em>attention</em>." in home
    assert "Second paragraph" not in home
    assert "<h2>Recently added</h2>" in home


def test_a_theme_page_puts_start_here_first_with_metadata_tags_code_and_an_expanding_abstract():
    theme = main_of(render()["themes/ssm/index.html"])
    assert theme.index("<h2>Start here</h2>") < theme.index(">Alpha<") < theme.index("<h2>Then read</h2>")
    assert theme.index(">Gamma<") < theme.index(">Beta<"), "the curators' order is kept after start-here"
    assert (
        'Aug 9, 2024 · 4 authors · 12 upvotes · tags: <a href="/repo/tags/mamba/">mamba</a>, '
        '<a href="/repo/tags/theory/">theory</a> · <a href="https://github.com/a/alpha">code</a>'
    ) in theme
    excerpt, rest = split_excerpt(LONG_ABSTRACT)
    assert f"<details><summary>{excerpt}…</summary><p>…{rest}</p></details>" in theme
    assert "<p>Gamma abstract.</p>" in theme, "a short abstract is shown whole, without <details>"
    assert '<a href="https://github.com/user/repo/edit/main/content/curation/ssm.yaml">Edit this theme</a>' in render()["themes/ssm/index.html"]


def test_a_curated_paper_page_links_arxiv_neighbours_tags_and_a_citation():
    page = render()["papers/alpha/index.html"]
    assert "<h1>Alpha</h1>" in page
    assert "<p>Aug 9, 2024 · 4 authors · 12 upvotes</p>" in page
    # The links come first, above the abstract: PDF, arXiv, code.
    assert ('<p><a href="https://arxiv.org/pdf/2401.00001">PDF</a> · <a href="https://arxiv.org/abs/2401.00001">'
            'arXiv:2401.00001</a> · <a href="https://github.com/a/alpha">Code</a></p>\n<h2>Abstract</h2>') in page
    assert f"<p>{LONG_ABSTRACT}</p>" in page, "the full abstract"
    assert "<h2>Curator's note</h2>\n<p>Read <strong>section 3</strong>.</p>" in page
    assert '<li><a href="/repo/themes/ssm/">State spaces</a> (start here)</li>' in page
    assert '<li><a href="/repo/themes/attention/">Attention</a></li>' in page
    assert '<li><a href="https://alpha.example.org">Page: https://alpha.example.org</a></li>' in page
    assert "Search arXiv" not in page
    assert '<p id="citation">4 authors. Alpha. 2024. arXiv:2401.00001. https://user.github.io/repo/papers/alpha/</p>' in page
    assert '<li class="next"><a href="/repo/papers/gamma/" rel="next"><span>Next</span> Gamma</a></li>' in page
    in_ssm = page.split('aria-label="In the theme State spaces"')[1].split("</nav>")[0]
    assert 'rel="prev"' not in in_ssm, "a theme's first paper has no previous paper"
    assert 'aria-label="In the theme Attention"' not in page, "the only paper of a theme has no neighbours"
    assert '<a href="https://github.com/user/repo/edit/main/content/curation/ssm.yaml">Edit this paper' in page


def test_neighbours_in_a_theme_are_the_previous_and_next_papers_of_its_reading_order():
    page = render()["papers/gamma/index.html"]
    assert '<li class="previous"><a href="/repo/papers/alpha/" rel="prev"><span>Previous</span> Alpha</a></li>' in page
    assert '<li class="next"><a href="/repo/papers/beta/" rel="next"><span>Next</span> Beta</a></li>' in page


def test_an_uncurated_paper_links_searches_for_its_title_and_the_curation_folder():
    page = render()["papers/loose/index.html"]
    assert '<a href="https://arxiv.org/search/?query=Loose+paper&amp;searchtype=title">Search arXiv</a>' in page
    assert '<a href="https://huggingface.co/papers?q=Loose+paper">Search Hugging Face papers</a>' in page
    assert '<a href="https://scholar.google.com/scholar?q=%22Loose+paper%22">Search Google Scholar</a>' in page
    assert '<a href="https://github.com/user/repo/tree/main/content/curation">Curate this paper</a>' in page
    assert 'class="neighbours"' not in page


def test_related_papers_and_suggested_themes_appear_only_when_learning_provides_them():
    assert "Related papers" not in render()["papers/loose/index.html"]
    learning = Learning(related=(("loose", ("alpha", "beta")),), suggested_themes=(("loose", (("attention", 0.724),)),))
    page = render(replace(curated_site(), learning=learning))["papers/loose/index.html"]
    assert '<h2 id="related-heading">Related papers</h2>' in page
    assert '<li><a href="/repo/papers/alpha/">Alpha</a></li>\n<li><a href="/repo/papers/beta/">Beta</a></li>' in page
    assert '<h2 id="suggested-heading">Suggested themes</h2>' in page
    assert '<li><a href="/repo/themes/attention/">Attention</a> <span class="confidence">(72% confidence)</span></li>' in page


def test_the_tags_index_counts_papers_and_each_tag_page_lists_them():
    files = render()
    index = main_of(files["tags/index.html"])
    assert '<li><a href="/repo/tags/theory/">theory</a> (2): Theory.</li>' in index
    assert '<li><a href="/repo/tags/unused/">unused</a> (0): No papers.</li>' in index
    tag = main_of(files["tags/theory/index.html"])
    assert "<h1>Tag: theory</h1>" in tag
    assert '<p>2 papers. Follow the tag with its <a href="/repo/tags/theory/feed.xml">Atom feed</a>.</p>' in tag
    # Each paper as on a theme page: its link, facts and note, then its abstract.
    assert '<h2><a href="/repo/papers/alpha/">Alpha</a></h2>\n<p>Aug 9, 2024 · 4 authors · 12 upvotes · tags:' in tag
    assert "<p>Read <strong>section 3</strong>.</p>" in tag
    assert '<h2><a href="/repo/papers/beta/">Beta</a></h2>\n<p>Feb 10 · tags:' in tag


def test_the_all_papers_table_has_sort_keys_for_title_date_and_upvotes():
    table = main_of(render()["papers/index.html"])
    titles = re.findall(r'<td data-value="\d+"><a href="[^"]+">([^<]+)</a></td>', table)
    assert titles == ["Alpha", "Beta", "Gamma", "Loose paper"]
    assert '<td data-label="Date" data-value="2024-08-09">Aug 9, 2024</td>' in table
    assert '<td data-label="Upvotes" data-value="12">12</td>' in table
    assert '<td data-label="Date" data-value="0000-02-10">Feb 10</td>' in table
    assert '<th scope="col" data-sort="number">Upvotes</th>' in table
    assert "<th scope=\"col\">Authors</th>" not in table, "no paper has author names: no empty column"


def test_the_about_page_comes_from_content_pages():
    about = main_of(render()["about/index.html"])
    assert "<h1>About</h1>\n<p>This list is a <em>test</em>.</p>" in about


def test_every_page_has_the_search_form_the_nav_and_a_csp_that_forbids_inline_scripts():
    for name, html in render().items():
        if not name.endswith(".html"):
            continue
        assert '<form class="site-search" role="search" action="/repo/search/" method="get">' in html, name
        assert '<input type="search" name="q" id="site-search"' in html and '<label for="site-search">' in html
        assert "script-src 'self'" in html and "unsafe-inline" not in html
        assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/ld\+json"))', html), f"inline script in {name}"
        assert not re.search(r"\son[a-z]+=", html), f"event handler attribute in {name}"
        assert 'href="/' not in html.replace('href="/repo/', ""), f"a link outside the base path in {name}"


def test_listing_and_curator_payloads_come_out_as_text():
    hostile = paper(
        "x", "<script>alert('t')</script> & co", "<img src=x onerror=alert(1)> [a](javascript:alert(2))",
        links=(),
    )
    site = curated_site()
    site = replace(site, catalog=replace(site.catalog, papers=(*site.catalog.papers, hostile)))
    files = render(site)
    page = files["papers/x/index.html"]
    assert "<h1>&lt;script&gt;alert('t')&lt;/script&gt; &amp; co</h1>" in page
    assert "<p>&lt;img src=x onerror=alert(1)&gt; [a](javascript:alert(2))</p>" in page
    note = main_of(files["papers/beta/index.html"])
    assert "<script" not in note and "javascript:" not in note and "onclick" not in note
    assert "<b>bold</b>" in note
    for name, html in files.items():
        if name.endswith(".html"):
            assert "<script>alert" not in html and "<img src=x" not in html, name
            assert 'href="javascript:' not in html, name


def test_dates_show_as_the_listing_shows_them():
    assert show_date("2024-08-09") == "Aug 9, 2024"
    assert show_date("--02-10") == "Feb 10"
    assert show_date(None) == ""


def test_papers_added_later_in_the_listings_come_first():
    early = paper("a", "A", sources=("content/sources/000_x.txt:5",))
    lower = paper("b", "B", sources=("content/sources/000_x.txt:40",))
    later = paper("c", "C", sources=("/elsewhere/001_y.txt:1",))
    assert [p.id for p in added_order((early, later, lower))] == ["c", "b", "a"]


def test_a_paper_is_added_when_it_first_appears():
    again = paper("a", "A", sources=("000_x.txt:5", "001_y.txt:9"))
    middle = paper("b", "B", sources=("000_x.txt:40",))
    assert [p.id for p in added_order((again, middle))] == ["b", "a"]


def test_a_paper_page_with_its_css_is_under_15_kb_gzipped():
    site = curated_site()
    files = render(site)
    page = files["papers/alpha/index.html"].encode() + (TEMPLATES / "assets" / "site.css").read_bytes()
    assert len(gzip.compress(page, 9)) < 15_000


@pytest.mark.parametrize("base_url, prefix", [("https://papers.example.org/", "/"), ("https://u.github.io/r", "/r/")])
def test_every_link_and_asset_carries_the_base_path(base_url, prefix):
    site = replace(curated_site(), config=replace(CONFIG, base_url=base_url))
    home = render(site)["index.html"]
    assert f'<link rel="stylesheet" href="{prefix}assets/site.css">' in home
    assert f'<a class="brand" href="{prefix}">' in home
    assert f'href="{prefix}themes/ssm/"' in home


# Long lists paginate


def long_site(count: int):
    """The curated site with `count` more papers placed in the theme 'ssm' and tagged 'theory'."""
    site = curated_site()
    extra = tuple(paper(f"p{n:04}", f"Paper {n:04}", sources=(f"001_b.txt:{n + 1}",)) for n in range(count))
    placements = site.curation.placements + tuple(Placement(p.id, "ssm") for p in extra)
    notes = site.curation.notes + tuple((p.id, PaperNotes(tags=("theory",))) for p in extra)
    return replace(site, catalog=replace(site.catalog, papers=site.catalog.papers + extra),
                   curation=replace(site.curation, placements=placements, notes=notes))


def pager_links(html: str) -> list[tuple[str, str]]:
    nav = html.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)


def test_a_long_theme_is_cut_into_numbered_pages_at_stable_addresses():
    files = render(long_site(2 * THEME_PAGE_SIZE + 7))  # the 3 papers of 'ssm' and these: three pages
    first, second, third = (files["themes/ssm/index.html"], files["themes/ssm/page/2/index.html"],
                            files["themes/ssm/page/3/index.html"])
    assert "themes/ssm/page/4/index.html" not in files and "themes/ssm/page/1/index.html" not in files
    assert "Page 1 of 3" in first and "Page 2 of 3" in second and "Page 3 of 3" in third
    assert "What state spaces are." in main_of(first) and "What state spaces are." not in main_of(second)
    assert "Start here</h2>" in main_of(first) and "Start here</h2>" not in main_of(second)
    assert f"Papers {THEME_PAGE_SIZE + 1} to {2 * THEME_PAGE_SIZE} of the theme's {2 * THEME_PAGE_SIZE + 10}" in second
    assert '<link rel="prev" href="/repo/themes/ssm/">' in second
    assert '<link rel="next" href="/repo/themes/ssm/page/3/">' in second
    assert '<link rel="prev"' not in first and '<link rel="next"' not in third
    assert "<title>State spaces (page 2 of 3) · Test Reading List</title>" in second
    assert pager_links(second) == [("/repo/themes/ssm/", "← Previous"), ("/repo/themes/ssm/", "1"),
                                   ("/repo/themes/ssm/page/2/", "2"), ("/repo/themes/ssm/page/3/", "3"),
                                   ("/repo/themes/ssm/page/3/", "Next →")]
    shown = [main_of(page).count("<h3") for page in (first, second, third)]
    assert shown[1] == THEME_PAGE_SIZE and sum(shown) == 2 * THEME_PAGE_SIZE + 10


def test_a_short_list_is_one_page_without_a_pager():
    files = render()
    assert '<nav class="pager"' not in files["themes/ssm/index.html"] + files["papers/index.html"]
    assert not any("/page/" in name for name in files)


def test_tags_and_the_all_papers_table_paginate_too():
    files = render(long_site(ALL_PAPERS_PAGE_SIZE + 1))
    assert f"tags/theory/page/{-(-(ALL_PAPERS_PAGE_SIZE + 2) // TAG_PAGE_SIZE)}/index.html" in files
    rows = [main_of(files[name]).count("<tr>") - 1 for name in ("papers/index.html", "papers/page/2/index.html")]
    assert rows == [ALL_PAPERS_PAGE_SIZE, 5]  # 205 papers, by title
    assert f"{ALL_PAPERS_PAGE_SIZE + 5} papers, by title: this is page 2 of 2" in files["papers/page/2/index.html"]


@pytest.mark.parametrize("number, shown", [
    (1, (1, 2, 3, None, 40)), (3, (1, 2, 3, 4, 5, None, 40)), (5, (1, 2, 3, 4, 5, 6, 7, None, 40)), (20, (1, None, 18, 19, 20, 21, 22, None, 40)),
    (40, (1, None, 38, 39, 40)),
])
def test_the_pager_links_the_ends_and_two_pages_each_side(number, shown):
    pager = Pager(number, tuple(f"r{n}/" for n in range(1, 41)))
    assert pager.shown == shown
    assert (pager.previous, pager.next) == (f"r{number - 1}/" if number > 1 else None, f"r{number + 1}/" if number < 40 else None)


# The map sheds weight past MAP_POINTS papers


def placed(count: int):
    """`long_site(count)` with every paper placed on the map, on a seeded spiral."""
    import math

    site = long_site(count)
    papers = site.catalog.papers
    positions = tuple((p.id, (0.5 + 0.45 * (n / len(papers)) * math.cos(n), 0.5 + 0.45 * (n / len(papers)) * math.sin(n)))
                      for n, p in enumerate(papers))
    return replace(site, learning=Learning(positions=positions))


def test_a_small_list_has_one_map_of_every_paper():
    files = render(placed(10))
    assert "All 14 papers, placed" in main_of(files["map/index.html"])
    assert main_of(files["map/index.html"]).count("<circle") == 14 + 2  # and the legend's two
    assert not any(name.startswith("map/") and name != "map/index.html" for name in files)


def test_past_map_points_the_overview_is_a_spread_sample_and_each_theme_has_its_map():
    files = render(placed(3 * MAP_POINTS))
    overview = main_of(files["map/index.html"])
    shown = len(re.findall(r'<a href="/repo/papers/[^"]+/"><title>', overview))
    assert 0.5 * MAP_POINTS <= shown <= MAP_POINTS
    assert f"{shown} of the {3 * MAP_POINTS + 4} papers, chosen to spread over the map" in overview
    assert 'href="/repo/map/ssm/"' in overview, "the legend opens each theme's map"
    theme_map = main_of(files["map/ssm/index.html"])
    assert "<h1>Map: State spaces</h1>" in theme_map and 'href="/repo/map/"' in theme_map
    assert len(re.findall(r"<title>", theme_map)) <= MAP_POINTS
    assert max(len(files[name].encode()) for name in files if name.endswith(".html")) <= 195_000


def test_a_spread_sample_keeps_to_its_limit_prefers_curated_papers_and_covers_the_map():
    from sitegen.site.paper_map import HEIGHT, WIDTH, MapPoint, spread_sample

    points = [MapPoint(x=(n * 37) % WIDTH, y=(n * 53) % HEIGHT, title=f"P{n}", route=f"papers/p{n}/", colour="#000",
                       curated=n % 7 == 0) for n in range(5000)]
    chosen = spread_sample(points, 400)
    assert 300 <= len(chosen) <= 400 and chosen == spread_sample(list(reversed(points)), 400)
    assert sum(p.curated for p in chosen) / len(chosen) > 1 / 7, "a curated paper first in each cell"
    quarters = {(p.x >= WIDTH / 2, p.y >= HEIGHT / 2) for p in chosen}
    assert len(quarters) == 4


def test_a_template_mistake_met_by_a_worker_process_is_reported_with_its_file_and_line(tmp_path):
    from sitegen.render import PARALLEL_FROM

    shutil.copytree(TEMPLATES, tmp_path / "templates")
    paper_html = tmp_path / "templates" / "paper.html"
    paper_html.write_text(paper_html.read_text(encoding="utf-8").replace("{{ body }}", "{{ body }}{{ page.nope }}"),
                          encoding="utf-8")
    line = next(n for n, text in enumerate(paper_html.read_text(encoding="utf-8").splitlines(), 1) if "page.nope" in text)
    with worker_pool(2) as pool, pytest.raises(SitegenError) as raised:
        dict(site_files(long_site(2 * PARALLEL_FROM), read_templates(tmp_path / "templates"), {},
                        Memo(None, keep=False), pool)[1])
    assert raised.value.problems[0].format().startswith(f"{paper_html}:{line}:1: error: template error:")


def test_a_theme_page_lists_the_most_confident_suggestions_and_counts_the_rest():
    from sitegen.site.pages import SUGGESTED_SHOWN

    site = long_site(0)
    loose = tuple(paper(f"u{n:04}", f"Uncurated {n:04}", sources=(f"002_c.txt:{n + 1}",)) for n in range(SUGGESTED_SHOWN + 7))
    suggested = tuple((p.id, (("ssm", round(0.99 - n / 1000, 3)),)) for n, p in enumerate(loose))
    site = replace(site, catalog=replace(site.catalog, papers=site.catalog.papers + loose),
                   learning=Learning(suggested_themes=suggested))
    page = main_of(render(site)["themes/ssm/index.html"])
    assert page.count("confidence)") == SUGGESTED_SHOWN
    assert "Uncurated 0000" in page and f"Uncurated {SUGGESTED_SHOWN:04}" not in page, "the most confident first"
    assert "And 7 more, less confident" in page


def test_pages_made_by_worker_processes_give_the_same_site_as_one_process(monkeypatch):
    from sitegen.render import PARALLEL_FROM

    monkeypatch.setattr("sitegen.render.BATCH", PARALLEL_FROM)  # batches made while others are written
    site = long_site(3 * PARALLEL_FROM)
    alone, memo = Memo(None, keep=False), Memo(None, keep=False)  # a one-off build's
    one = dict(site_files(site, read_templates(TEMPLATES), {}, alone)[1])
    laid_out_here = []
    render_page = sitegen.render.render_page
    monkeypatch.setattr("sitegen.render.render_page", lambda *args: laid_out_here.append(1) or render_page(*args))
    with worker_pool(2) as pool:  # forked now: the workers count in their own memory
        shared = dict(site_files(site, read_templates(TEMPLATES), {}, memo, pool)[1])
    assert list(shared) == list(one) and shared == one
    assert len(laid_out_here) < PARALLEL_FROM, "the workers laid out every batch of more new pages"
    assert memo.computed == alone.computed, "each page and note converted once, and remembered"
    assert memo._coming == {}, "every result the workers gave was taken"


# ---- What sitegen writes with its HTML ------------------------------------------------------

# Text that Markdown would read as markup, were it not escaped: emphasis, links, code, HTML,
# entities, headings, list and quote starts, numbered lines, hard breaks.
MARKUP_TEXT = st.lists(st.sampled_from([*"ab1. -+#>*_`[]()<>&;!\\'\"|~=:/\u00a0", "  ", "&amp;", "1. ", "<b>"]),
                       min_size=1, max_size=16).map("".join)

TAG = st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True)  # as tags.yaml allows them


def body_of(parts: tuple) -> str:
    return body_html(parts, Memo(None))


def document_of(parts: tuple) -> str:
    return "\n".join(part if isinstance(part, str) else part.markdown for part in parts)


@settings(max_examples=300, deadline=None)
@given(title=MARKUP_TEXT, names=st.lists(MARKUP_TEXT, max_size=13), tags=st.lists(TAG, max_size=3),
       theme=MARKUP_TEXT, url=st.sampled_from(["https://a.example/x?q=1&r=(2)", "javascript:alert(1)", "/b c"]),
       abstract=MARKUP_TEXT, note=st.sampled_from([None, "A *note*.", "- a list\n- of two"]),
       upvotes=st.sampled_from([None, 1, 12]), starts=st.booleans())
def test_a_paper_pages_html_written_with_its_markdown_is_what_markdown_makes_of_that_markdown(
        title, names, tags, theme, url, abstract, note, upvotes, starts):
    record = Record(arxiv="2401.00001", version=1, title=title, authors=tuple(names), published="2024-01-02",
                    updated=None, primary_category=None, categories=()) if names else None
    found = paper("p", title, abstract, published="2024-01-02", upvotes=upvotes, authors=len(names) or None,
                  links=(Link(url, "code"), Link(url + "/page", "page")), record=record)
    themes = ((NavLink(theme, "themes/t/"), starts),)
    for notes, held in ((PaperNotes(tags=tuple(tags), note=note), themes), (PaperNotes(note=note), ())):
        parts = paper_parts(found, notes, held, Urls.from_base_url("https://user.github.io/repo/"))
        assert body_of(parts) == to_html(document_of(parts))


@settings(max_examples=300, deadline=None)
@given(title=MARKUP_TEXT, names=st.lists(MARKUP_TEXT, max_size=4), tags=st.lists(TAG, max_size=3),
       abstract=MARKUP_TEXT, note=st.sampled_from([None, "A *note*.", "- a list\n- of two", "<b>bold</b>"]),
       long=st.booleans(), level=st.sampled_from([2, 3]), abstracts=st.booleans())
def test_a_list_entrys_html_written_with_its_markdown_is_what_markdown_makes_of_that_markdown(
        title, names, tags, abstract, note, long, level, abstracts):
    record = Record(arxiv="2401.00001", version=1, title=title, authors=tuple(names), published="2024-01-02",
                    updated=None, primary_category=None, categories=()) if names else None
    found = paper("p", title, (LONG_ABSTRACT + " ") * long + abstract, published="--01-02", upvotes=3,
                  links=(Link("https://github.com/a/b(c)", "code"),), record=record)
    body = Body()
    body.heading(1, title)
    for _ in range(2):
        paper_entry(body, found, PaperNotes(tags=tuple(tags), note=note), lambda route: "/" + route, level,
                    abstract=abstracts)
    parts = body.done()
    assert body_of(parts) == to_html(document_of(parts))


def test_every_bundled_page_is_what_markdown_makes_of_its_document():
    site = read_site(Files(Project(CONTENT, TEMPLATES), Memo(None)))[0]
    urls = Urls.from_base_url(site.config.base_url)
    pages = list(make_pages(plan_pages(site, urls), urls))
    assert sum(any(not isinstance(part, str) for part in page.parts) for page in pages) > len(site.catalog.papers)
    for page in pages:
        if page.parts:
            assert body_of(page.parts) == to_html(document_of(page.parts)), page.route
