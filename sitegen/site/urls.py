"""Every URL of the site, in one place, so the site works from a domain's root or a subpath."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from sitegen.errors import Problem, SitegenError


@dataclass(frozen=True)
class Urls:
    """Turn site routes ("papers/x/") into links: root-relative for pages, absolute for feeds.

    A route is relative to the site's root, never starts with "/", and names a folder
    ("themes/ssm/") or a file ("feed.xml"). Links in pages carry the base path
    ("/reading-list/papers/x/"), so they resolve the same from every page and under any
    origin that serves the site at that path.
    """

    origin: str
    base_path: str

    @classmethod
    def from_base_url(cls, base_url: str, where: str = "base_url") -> Urls:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise SitegenError(
                Problem(
                    where,
                    0,
                    0,
                    f"the base URL {base_url!r} is not an http(s) URL of a folder",
                    "write it like https://user.github.io/repo/",
                )
            )
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        return cls(origin=f"{parts.scheme}://{parts.netloc}", base_path=path)

    @property
    def base_url(self) -> str:
        return self.origin + self.base_path

    def link(self, route: str = "") -> str:
        """Return the root-relative link to a route, for use in pages."""
        return self.base_path + _quoted(route)

    def absolute(self, route: str = "") -> str:
        """Return the absolute URL of a route, for feeds, sitemaps and canonical links."""
        return self.origin + self.link(route)


@functools.lru_cache(maxsize=100_000)
def _quoted(route: str) -> str:
    # A build links to each page from many others: each route is quoted once.
    return quote(route.lstrip("/"), safe="/#?=&.-_~")


def output_path(route: str) -> str:
    """Return the file a route is written to: folders get an index.html."""
    route = route.lstrip("/")
    return route + "index.html" if route == "" or route.endswith("/") else route


# One string per route, shared by every page and link that holds it: a paper's route is
# held about five times (its page, its neighbours' links, the list of all papers, ...).
@functools.cache
def paper_route(paper_id: str) -> str:
    return f"papers/{paper_id}/"


@functools.cache
def theme_route(slug: str) -> str:
    return f"themes/{slug}/"


@functools.cache
def tag_route(slug: str) -> str:
    return f"tags/{slug}/"


def asset_route(name: str) -> str:
    return f"assets/{name}"
