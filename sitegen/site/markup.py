"""Listing and YAML text into Markdown: escaped so that it renders as exactly that text."""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import quote

# Characters Markdown would read as markup inside a line of listing text.
_INLINE = re.compile(r"([\\`*_\[\]])")
# Line starts Markdown would read as a heading, list or quote.
_BLOCK_START = re.compile(r"^(\s*\d*)([#\-+.)])")
# Characters that cannot stand bare in a Markdown link destination; the rest of printable
# ASCII is kept as it is.
_URL_UNSAFE = "()<>\"'\\ `"
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in _URL_UNSAFE)



@functools.lru_cache(maxsize=200_000)  # titles and links recur on many pages, and in every rebuild
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


@functools.lru_cache(maxsize=200_000)
def md_link(text: str, url: str) -> str:
    """Return a Markdown link whose text is shown literally."""
    return f"[{md_text(text)}]({md_url(url)})"
