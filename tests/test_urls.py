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


@pytest.mark.parametrize("bad", ["ftp://x/", "/repo/", "https://x/?a=1", "nonsense"])
def test_a_base_url_that_is_not_an_http_folder_is_an_error(bad):
    with pytest.raises(SitegenError, match="is not an http"):
        Urls.from_base_url(bad)


def test_folder_routes_are_written_as_index_files():
    assert output_path("papers/x/") == "papers/x/index.html"
    assert output_path("") == "index.html"
    assert output_path("feed.xml") == "feed.xml"
