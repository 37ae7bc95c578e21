"""One URL helper: the site works from a domain's root and from a project subpath."""

from __future__ import annotations

import pytest

from sitegen.errors import SitegenError
from sitegen.site.urls import Urls, output_path, paper_route


def test_links_carry_the_base_path_of_a_project_site():
    urls = Urls.from_base_url("https://user.github.io/repo")
    assert urls.base_path == "/repo/"
    assert urls.link(paper_route("mamba")) == "/repo/papers/mamba/"
    assert urls.absolute("feed.xml") == "https://user.github.io/repo/feed.xml"


def test_links_from_a_domain_root():
    urls = Urls.from_base_url("https://papers.example.org/")
    assert urls.link("") == "/"
    assert urls.link("search/?q=x") == "/search/?q=x"


def test_unusual_characters_in_routes_are_percent_encoded():
    assert Urls.from_base_url("http://h/").link("tags/a b/") == "/tags/a%20b/"


@pytest.mark.parametrize(("base_url", "path"), [
    ('https://example.org/a)b"c/', "/a%29b%22c/"),
    ("https://example.org/café list", "/caf%C3%A9%20list/"),
    ("https://example.org/caf%C3%A9/", "/caf%C3%A9/"),  # already encoded: kept
    ("https://example.org/it's <here>/", "/it%27s%20%3Chere%3E/"),
])
def test_a_base_path_is_percent_encoded_once_so_that_no_link_breaks(base_url, path):
    urls = Urls.from_base_url(base_url)
    assert urls.base_path == path
    assert urls.link("papers/x/") == path + "papers/x/"


@pytest.mark.parametrize("bad", ["ftp://x/", "/repo/", "https://x/?a=1", "nonsense", 'https://ex"ample.org/',
                                 "https://ex ample.org/", "https://user@example.org/"])
def test_a_base_url_that_is_not_an_http_folder_is_an_error(bad):
    with pytest.raises(SitegenError, match="is not an http"):
        Urls.from_base_url(bad)


def test_folder_routes_are_written_as_index_files():
    assert output_path("papers/x/") == "papers/x/index.html"
    assert output_path("") == "index.html"
    assert output_path("feed.xml") == "feed.xml"
