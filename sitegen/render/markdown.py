"""Markdown into HTML: Python-Markdown, then sanitized by nh3 (Ammonia), whoever wrote the Markdown."""

from __future__ import annotations

import functools

import markdown
import nh3

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


def to_html(source: str) -> str:
    """Render Markdown to HTML and sanitize it with nh3 (Ammonia): the only way HTML is made."""
    return sanitize(_converter().reset().convert(source))


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
