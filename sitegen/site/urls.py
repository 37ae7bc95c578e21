"""Every URL of the site, in one place, so the site works from a domain's root or a subpath."""

from __future__ import annotations

import functools
import re
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
        """Return the addresses of a site served from `base_url`.

        The base path is percent-encoded once here (a space, a quote, a parenthesis, a
        non-ASCII letter), so that every link made from it is safe in HTML, in Markdown and
        in XML alike; `%XX` already written stays as it is.
        """
        parts = urlsplit(base_url)
        if (parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment
                or not _HOST.fullmatch(parts.netloc)):
            raise SitegenError(
                Problem(
                    where,
                    0,
                    0,
                    f"the base URL {base_url!r} is not an http(s) URL of a folder",
                    "write it like https://user.github.io/repo/",
                )
            )
        path = quote(parts.path if parts.path.endswith("/") else parts.path + "/", safe=_PATH_SAFE)
        return cls(origin=f"{parts.scheme}://{parts.netloc.lower()}", base_path=path)

    @property
    def base_url(self) -> str:
        return self.origin + self.base_path

    def link(self, route: str = "") -> str:
        """Return the root-relative link to a route, for use in pages."""
        return self.base_path + _quoted(route)

    def absolute(self, route: str = "") -> str:
        """Return the absolute URL of a route, for feeds, sitemaps and canonical links."""
        return self.origin + self.link(route)


# What a base path keeps unencoded: RFC 3986's path characters but for the parentheses and the
# apostrophe, which end a Markdown link or an attribute written with them.
_PATH_SAFE = "/%:@!$&*+,;=-._~"
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                   r"(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


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


BIBTEX_ROUTE = "papers.bib"
CSL_ROUTE = "papers.csl.json"


def theme_bibtex_route(slug: str) -> str:
    return f"themes/{slug}/papers.bib"


def bibtex_route(paper_id: str) -> str:
    """Return where a paper's BibTeX entry is published, beside its page."""
    return f"papers/{paper_id}/citation.bib"


@functools.cache
def theme_route(slug: str) -> str:
    return f"themes/{slug}/"


@functools.cache
def tag_route(slug: str) -> str:
    return f"tags/{slug}/"


def asset_route(name: str) -> str:
    return f"assets/{name}"
