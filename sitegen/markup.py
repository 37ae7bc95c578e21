"""Markdown in and out: escape listing text into Markdown, turn Markdown into sanitized HTML."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from urllib.parse import quote

import markdown
import nh3

# Characters Markdown would read as markup inside a line of listing text.
_INLINE = re.compile(r"([\\`*_\[\]])")
# Line starts Markdown would read as a heading, list or quote.
_BLOCK_START = re.compile(r"^(\s*\d*)([#\-+.)])")
# Characters that cannot stand bare in a Markdown link destination; the rest of printable
# ASCII is kept as it is.
_URL_UNSAFE = "()<>\"'\\ `"
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in _URL_UNSAFE)

# Everything the pages' Markdown may produce; anything else (script, style, iframe, form,
# event handlers, javascript: URLs) is removed by the sanitizer, whoever wrote the Markdown.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "q",
    "s", "small", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead",
    "time", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    "time": {"datetime"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def md_text(text: str) -> str:
    """Return listing or YAML text as Markdown that renders as exactly that text."""
    text = " ".join(text.split())
    escaped = _INLINE.sub(r"\\\1", html.escape(text, quote=False))
    match = _BLOCK_START.match(escaped)
    if match and (match.group(1).strip() == "" or match.group(2) in ".)"):
        return escaped[: match.end(1)] + "\\" + escaped[match.end(1) :]
    return escaped


def html_text(text: str) -> str:
    """Return text escaped for a raw HTML block inside Markdown (which Markdown leaves alone)."""
    return html.escape(" ".join(text.split()), quote=True)


def md_url(url: str) -> str:
    """Return a URL as a Markdown link destination; anything but http(s) becomes '#'."""
    if not re.match(r"https?://", url, re.IGNORECASE) and not url.startswith("/"):
        return "#"
    return quote(url, safe=_URL_SAFE)


def md_link(text: str, url: str) -> str:
    """Return a Markdown link whose text is shown literally."""
    return f"[{md_text(text)}]({md_url(url)})"


def to_html(source: str) -> str:
    """Render Markdown to HTML and sanitize it with nh3 (Ammonia): the only way HTML is made."""
    return sanitize(_converter().reset().convert(source))


def to_html_many(sources: Sequence[bytes]) -> list[bytes]:
    """Render several Markdown documents to HTML, UTF-8 in and out (one task for a worker process).

    Bytes, not str: CPython keeps a UTF-8 copy inside every non-ASCII str it pickles, for as
    long as the str lives, and the build pickles the HTML into its cache while it holds it;
    bytes are also half the size of a str holding a character beyond Latin-1 (a dash, a
    curly quote).
    """
    return [to_html(source.decode("utf-8")).encode("utf-8") for source in sources]


@functools.cache
def _converter() -> markdown.Markdown:
    # One converter, reset between documents: building one costs as much as converting a page.
    return markdown.Markdown(extensions=["sane_lists", "tables"], output_format="html")


def sanitize(fragment: str) -> str:
    """Keep only the allowed tags, attributes and URL schemes of an HTML fragment."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
