"""Listing and YAML text into Markdown: escaped so that it renders as exactly that text."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

# Characters Markdown would read as markup inside a line of listing text.
_INLINE = re.compile(r"([\\`*_\[\]])")
# Line starts Markdown would read as a heading, list or quote.
_BLOCK_START = re.compile(r"^(\s*\d*)([#\-+.)])")
# Characters that cannot stand bare in a Markdown link destination; the rest of printable
# ASCII is kept as it is.
_URL_UNSAFE = "()<>\"'\\ `"
_AMPERSAND = re.compile(r"&(?!(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);)", re.IGNORECASE)  # Markdown's own
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in _URL_UNSAFE)



@functools.lru_cache(maxsize=200_000)  # titles and links recur on many pages, and in every rebuild
def md_text(text: str) -> str:
    """Return listing or YAML text as Markdown that renders as exactly that text."""
    text = " ".join(text.split())
    # "]:" as an entity: Markdown reads "[x\]: y" as a link reference, escaped or not.
    escaped = _INLINE.sub(r"\\\1", html.escape(text, quote=False)).replace("\\]:", "\\]&#58;")
    match = _BLOCK_START.match(escaped)
    if match and (match.group(1).strip() == "" or match.group(2) in ".)"):
        return escaped[: match.end(1)] + "\\" + escaped[match.end(1) :]
    return escaped


def md_heading(level: int, text: str) -> str:
    """Return a Markdown heading that shows exactly `text`: a closing # is escaped, or
    Markdown would drop it as the heading's closing sequence ("C#")."""
    escaped = md_text(text)
    before = escaped[:-1]
    if escaped.endswith("#") and (len(before) - len(before.rstrip("\\"))) % 2 == 0:  # not escaped already
        escaped = before + "\\#"
    return f"{'#' * level} {escaped}"


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


def html_link(text: str, url: str) -> str:
    """Return the HTML that `md_link(text, url)` renders as: in its address, as Markdown
    writes it, an & that begins an entity (&amp;) stays one."""
    return f'<a href="{_AMPERSAND.sub("&amp;", md_url(url))}">{html_text(text)}</a>'


def links(found: Iterable[tuple[str, str]], separator: str) -> tuple[str, str]:
    """Return (text, url) links joined by `separator`, in Markdown and in the HTML it renders as."""
    found = list(found)
    return (separator.join(md_link(text, url) for text, url in found),
            separator.join(html_link(text, url) for text, url in found))


@dataclass(frozen=True)
class Written:
    """A part of a page that sitegen writes from listing and YAML text alone: its Markdown, for
    the page's document, and the HTML that Markdown renders as, written at once (a test holds
    them equal). Python-Markdown then converts only what curators wrote."""

    markdown: str
    html: str


class Body:
    """A page's parts in order: blocks sitegen writes, in Markdown and in HTML side by side
    (`Written` parts), and Markdown that curators wrote, left for Python-Markdown."""

    def __init__(self) -> None:
        self.parts: list[Written | str] = []
        self.lines: list[str] = []
        self.blocks: list[str] = []
        self.raw_last = False

    def add(self, markdown: str, html_block: str, raw: bool = False) -> None:
        """Add a block: its Markdown (lines, then a blank line follows) and its HTML."""
        if self.raw_last:
            self.blocks.append("")  # Markdown leaves a blank line after a raw HTML block
        self.lines += [markdown, ""]
        self.blocks.append(html_block)
        self.raw_last = raw

    def heading(self, level: int, text: str) -> None:
        self.add(md_heading(level, text), f"<h{level}>{html_text(text)}</h{level}>")

    def paragraph(self, markdown: str, html_inline: str) -> None:
        if markdown.strip():
            self.add(markdown, f"<p>{html_inline}</p>")
        else:  # Markdown makes nothing of it
            self.lines += [markdown, ""]

    def raw(self, html_block: str) -> None:
        """Add a raw HTML block, which Markdown leaves as it is."""
        self.add(html_block, html_block, raw=True)

    def bullets(self, items: list[tuple[str, str]]) -> None:
        """Add a list of (Markdown, HTML) items."""
        self.add("\n".join(f"- {markdown}" for markdown, _ in items),
                 "<ul>\n" + "".join(f"<li>{html_item}</li>\n" for _, html_item in items) + "</ul>")

    def markdown(self, text: str) -> None:
        """Add Markdown a curator wrote (a note, a description): a part of its own."""
        if not text.strip():
            self.lines += [text, ""]  # nothing to convert: the document keeps its lines
            return
        self._close(followed=True)
        self.parts.append(text + "\n")

    def done(self) -> tuple[Written | str, ...]:
        """Return the parts; joined by newlines, their Markdown is the page's document."""
        self._close(followed=False)
        return tuple(self.parts)

    def _close(self, followed: bool) -> None:
        if self.lines:
            html_blocks = "\n".join(self.blocks) + ("\n" if followed and self.raw_last else "")
            self.parts.append(Written("\n".join(self.lines), html_blocks))
        self.lines, self.blocks, self.raw_last = [], [], False
