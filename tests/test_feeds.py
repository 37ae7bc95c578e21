"""The machine-readable files: Atom feed, sitemap, robots.txt, papers.json, CNAME, .nojekyll."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from sitegen.site.feeds import FEED_SIZE, feed_files, feed_xml
from sitegen.model import Catalog, Placement
from sitegen.site.urls import Urls

from .site_fixtures import CONFIG, curated_site, paper

A = "{http://www.w3.org/2005/Atom}"
S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
URLS = Urls.from_base_url("https://user.github.io/repo/")


def files_of(site=None, routes=("", "papers/alpha/")) -> dict[str, bytes]:
    return feed_files(site or curated_site(), routes, URLS.absolute)


def test_the_feed_is_atom_with_the_elements_rfc_4287_requires():
    feed = ET.fromstring(files_of()["feed.xml"])
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}title") == "Test Reading List"
    assert feed.findtext(f"{A}id") == "https://user.github.io/repo/"
    assert feed.findtext(f"{A}updated") == "2024-08-09T00:00:00Z", "the newest known paper date, not the clock"
    assert feed.find(f"{A}author/{A}name").text == "Test Curators"
    self_link = feed.find(f"{A}link[@rel='self']")
    assert self_link.get("href") == "https://user.github.io/repo/feed.xml"
    for entry in feed.findall(f"{A}entry"):
        assert entry.findtext(f"{A}title")
        assert entry.findtext(f"{A}id").startswith("https://user.github.io/repo/papers/")
        assert entry.find(f"{A}link[@rel='alternate']").get("href") == entry.findtext(f"{A}id")
        assert entry.findtext(f"{A}updated").endswith("T00:00:00Z")
        assert entry.find(f"{A}content").get("type") == "html"


def test_feed_entries_are_the_papers_newest_added_first_with_their_dates_and_tags():
    feed = ET.fromstring(files_of()["feed.xml"])
    entries = {e.findtext(f"{A}title"): e for e in feed.findall(f"{A}entry")}
    assert list(entries) == ["Gamma", "Alpha", "Beta"], "curated papers only: not the loose one"
    alpha = entries["Alpha"]
    assert alpha.findtext(f"{A}published") == "2024-08-09T00:00:00Z"
    assert [c.get("term") for c in alpha.findall(f"{A}category")] == ["mamba", "theory"]
    assert entries["Beta"].find(f"{A}published") is None, "a date without a year is not a timestamp"


def test_entries_are_dated_and_ordered_by_the_day_their_paper_joined_the_list():
    site = curated_site()
    placements = (Placement("gamma", "ssm", added="2026-01-05"), Placement("alpha", "ssm", True, "2026-03-01"),
                  Placement("beta", "ssm"), Placement("alpha", "attention", added="2026-02-01"))
    site = replace(site, curation=replace(site.curation, placements=placements))
    files = files_of(site)
    feed = ET.fromstring(files["feed.xml"])
    entries = [(e.findtext(f"{A}title"), e.findtext(f"{A}updated"), e.findtext(f"{A}published"))
               for e in feed.findall(f"{A}entry")]
    assert entries == [
        ("Alpha", "2026-02-01T00:00:00Z", "2024-08-09T00:00:00Z"),  # its first placement's day; the paper's date
        ("Gamma", "2026-01-05T00:00:00Z", None),
        ("Beta", "2026-02-01T00:00:00Z", None),  # no day: after the dated ones, dated as the feed
    ]
    assert feed.findtext(f"{A}updated") == "2026-02-01T00:00:00Z", "the newest day of its entries"
    ssm = ET.fromstring(files["themes/ssm/feed.xml"])
    assert [(e.findtext(f"{A}title"), e.findtext(f"{A}updated")) for e in ssm.findall(f"{A}entry")][:2] == [
        ("Alpha", "2026-03-01T00:00:00Z"), ("Gamma", "2026-01-05T00:00:00Z")], "the day it joined this theme"
    assert ssm.findtext(f"{A}updated") == "2026-03-01T00:00:00Z"


def test_the_feed_holds_the_most_recent_papers_only():
    many = tuple(paper(f"p{n:03}", f"P {n}", sources=(f"000_x.txt:{n + 1}",)) for n in range(FEED_SIZE + 5))
    site = replace(curated_site(), catalog=Catalog(papers=many))
    feed = ET.fromstring(feed_xml(site, URLS.absolute, many))
    titles = [e.findtext(f"{A}title") for e in feed.findall(f"{A}entry")]
    assert len(titles) == FEED_SIZE
    assert titles[0] == f"P {FEED_SIZE + 4}"
    assert feed.findtext(f"{A}updated") == "1970-01-01T00:00:00Z", "no known dates: a fixed, clock-free date"


def test_markup_in_titles_is_escaped_text_in_the_feed():
    hostile = paper("x", "<script>alert(1)</script> \x0c&", sources=("999_z.txt:1",))
    site = replace(curated_site(), catalog=Catalog(papers=(hostile,)))
    data = feed_xml(site, URLS.absolute, (hostile,))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp;</title>" in data
    assert ET.fromstring(data).find(f"{A}entry/{A}title").text == "<script>alert(1)</script> &"


def test_an_entry_carries_the_curators_note_as_html_above_the_abstract():
    feed = ET.fromstring(files_of()["feed.xml"])
    alpha = next(e for e in feed.findall(f"{A}entry") if e.findtext(f"{A}title") == "Alpha")
    content = alpha.findtext(f"{A}content")
    assert content.startswith('<div class="note"><p>Read <strong>section 3</strong>.</p></div><p>')
    assert "<script" not in content


def test_each_theme_and_tag_has_its_own_feed_of_its_papers():
    files = files_of()
    ssm = ET.fromstring(files["themes/ssm/feed.xml"])
    assert ssm.findtext(f"{A}id") == "https://user.github.io/repo/themes/ssm/"
    assert ssm.find(f"{A}link[@rel='self']").get("href") == "https://user.github.io/repo/themes/ssm/feed.xml"
    assert ssm.findtext(f"{A}title") == "Test Reading List: State spaces"
    assert {e.findtext(f"{A}title") for e in ssm.findall(f"{A}entry")} == {"Alpha", "Beta", "Gamma"}
    mamba = ET.fromstring(files["tags/mamba/feed.xml"])
    assert [e.findtext(f"{A}title") for e in mamba.findall(f"{A}entry")] == ["Alpha"]


def test_the_sitemap_lists_the_given_pages_as_absolute_urls():
    urlset = ET.fromstring(files_of()["sitemap.xml"])
    assert [loc.text for loc in urlset.iter(f"{S}loc")] == [
        "https://user.github.io/repo/",
        "https://user.github.io/repo/papers/alpha/",
    ]


def test_robots_txt_is_written_only_where_crawlers_read_it_and_nojekyll_is_empty():
    files = files_of()
    assert "robots.txt" not in files, "crawlers never read /repo/robots.txt: only the host's root one"
    assert files[".nojekyll"] == b""
    at_root = feed_files(curated_site(), ("",), Urls.from_base_url("https://papers.example.org/").absolute)
    assert at_root["robots.txt"] == b"User-agent: *\nAllow: /\n\nSitemap: https://papers.example.org/sitemap.xml\n"


def test_cname_is_written_only_when_the_settings_name_a_domain():
    assert "CNAME" not in files_of()
    site = replace(curated_site(), config=replace(CONFIG, domain="papers.example.org"))
    assert files_of(site)["CNAME"] == b"papers.example.org\n"


def test_papers_json_is_written_one_record_at_a_time_as_one_json_dump_of_the_records():
    import json

    from sitegen.model import Learning
    from sitegen.site.papers_json import paper_record

    site = curated_site()
    learning = Learning(related=(("alpha", ("beta", "gamma")),), suggested_themes=(("loose", (("ssm", 0.75),)),))
    for each in (site, replace(site, learning=learning), replace(site, catalog=Catalog(papers=()))):
        records = sorted((paper_record(paper, each.curation, each.learning) for paper in each.catalog.papers),
                         key=lambda record: record["id"])
        assert files_of(each)["papers.json"] == (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode()
