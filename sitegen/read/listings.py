"""Read paper listings (text copied from a papers website) into entries.

Three layouts are understood, in any mix and in any number of pages pasted
into one file:

1. a title line then an abstract line, no blank lines between entries, after a
   banner whose last word ("Subscribe") is glued to the first title;
2. the same with blank lines between lines, after a page header ("new",
   "Subscribe", "Daily Papers", "byAK and the research community", a date);
3. either of the above with each abstract followed by an author count
   ("• 4 authors"), a "·" line and a date with an optional year and an optional
   upvote count ("Aug 9, 2024 2", "Feb 10").

Entries are told apart by their order (title, abstract, optional metadata),
never by line length, so a one-sentence abstract is still an abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NoReturn

from sitegen.errors import Problem, SitegenError
from sitegen.model import Entry

# Lines of the papers website's chrome, never part of an entry.
HEADER_LINES = frozenset(
    {
        "new",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
    }
)
# The banner's last word, glued to the first title when the page was copied.
GLUED_BANNER_WORD = "Subscribe"
GLUED_AFTER = frozenset(line for line in HEADER_LINES if line.startswith("Get trending"))

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
AUTHORS_RE = re.compile(r"•\s*(\d+)\s+authors?")
DATE_RE = re.compile(
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{1,2})(?:,\s*(\d{4}))?(?:\s+(\d+))?"
)
METADATA_SEPARATOR = "·"
# Like file(1), call a file binary when its first bytes hold a NUL.
_SNIFF_BYTES = 8192


def parse_listing(name: str, data: bytes) -> tuple[Entry, ...]:
    """Parse a listing's bytes; `name` is used in sources and error messages."""
    import io

    return tuple(parse_lines(name, _decoded_lines(name, io.BytesIO(data))))


def parse_lines(name: str, lines: Iterable[tuple[int, str]]) -> list[Entry]:
    """Turn numbered, decoded lines into entries."""
    entries: list[Entry] = []
    parser = _EntryParser(name, entries)
    for number, text in lines:
        parser.feed(number, text)
    parser.finish()
    return entries


def _decoded_lines(name: str, stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) with line ends, a byte-order mark and outer spaces removed."""
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if b"\x00" in head:
        _binary(name, head, head.index(b"\x00"))
    number = 0
    for raw in stream:
        number += 1
        if b"\x00" in raw:
            _binary(name, raw, raw.index(b"\x00"), number)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SitegenError(
                Problem(
                    name,
                    number,
                    error.start + 1,
                    f"the listing is not UTF-8 (byte 0x{raw[error.start]:02x})",
                    "save the file as UTF-8",
                )
            ) from None
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        if "\r" in text.rstrip("\r\n"):
            # Classic Mac line ends: one physical read holds several lines.
            parts = text.rstrip("\r\n").split("\r")
            for offset, part in enumerate(parts):
                yield number + offset, part.strip()
            number += len(parts) - 1
            continue
        yield number, text.strip()
    if number == 0:
        raise SitegenError(
            Problem(name, 1, 1, "the listing is empty", "paste a page of papers into it")
        )


def _binary(name: str, data: bytes, index: int, first_line: int = 1) -> None:
    line = first_line + data.count(b"\n", 0, index)
    column = index - (data.rfind(b"\n", 0, index) + 1) + 1
    raise SitegenError(
        Problem(
            name,
            line,
            column,
            "this is a binary file, not a text listing",
            "listings are plain text copied from the papers website",
        )
    )


class _EntryParser:
    """A small state machine: between entries, after a title, after an abstract, in metadata."""

    def __init__(self, name: str, out: list[Entry]) -> None:
        self.name = name
        self.out = out
        self.previous_header: str | None = None
        self.title: tuple[int, str] | None = None
        self.abstract: str | None = None
        self.authors: int | None = None
        self.saw_separator = False
        self.published: str | None = None
        self.upvotes: int | None = None
        self.last_line = 0

    def feed(self, number: int, text: str) -> None:
        self.last_line = number
        if not text:
            return
        if self.title is None:
            self._between_entries(number, text)
        elif self.abstract is None:
            if text in HEADER_LINES:
                self._missing_abstract()
            self.abstract = text
        else:
            self._after_abstract(number, text)

    def finish(self) -> None:
        if self.title is not None and self.abstract is None:
            self._missing_abstract()
        if self.saw_separator and self.published is None:
            self._fail(self.last_line, "the listing ends after a '·' line with no date")
        self._emit()
        if not self.out:
            raise SitegenError(
                Problem(
                    self.name,
                    1,
                    1,
                    "the listing holds no papers",
                    "a paper is a title line followed by an abstract line",
                )
            )

    def _between_entries(self, number: int, text: str) -> None:
        previous, self.previous_header = self.previous_header, None
        if text in HEADER_LINES:
            self.previous_header = text
            return
        if previous in HEADER_LINES and DATE_RE.fullmatch(text):
            self.previous_header = "page date"
            return
        if previous in GLUED_AFTER and text.startswith(GLUED_BANNER_WORD):
            text = text[len(GLUED_BANNER_WORD) :].lstrip()
        self.title = (number, text)

    def _after_abstract(self, number: int, text: str) -> None:
        if self.published is None:
            match = AUTHORS_RE.fullmatch(text)
            if match and self.authors is None and not self.saw_separator:
                self.authors = int(match.group(1))
                return
            if text == METADATA_SEPARATOR and not self.saw_separator:
                self.saw_separator = True
                return
            if self.authors is not None or self.saw_separator:
                match = DATE_RE.fullmatch(text)
                if match is None:
                    self._fail(
                        number,
                        f"expected a date like 'Aug 9, 2024' after the author count, found {text[:40]!r}",
                    )
                self.published, self.upvotes = self._date(number, match)
                return
        self._emit()
        self._between_entries(number, text)

    def _date(self, number: int, match: re.Match[str]) -> tuple[str, int | None]:
        month_name, day_text, year_text, upvotes_text = match.groups()
        month, day = MONTHS[month_name], int(day_text)
        if not 1 <= day <= _DAYS_IN_MONTH[month - 1] or (
            year_text and month == 2 and day == 29 and not _is_leap(int(year_text))
        ):
            self._fail(number, f"{month_name} {day} is not a date", "check the day of the month")
        published = f"{year_text}-{month:02d}-{day:02d}" if year_text else f"--{month:02d}-{day:02d}"
        return published, int(upvotes_text) if upvotes_text else None

    def _emit(self) -> None:
        if self.title is None or self.abstract is None:
            return
        line, title = self.title
        self.out.append(
            Entry(
                title=title,
                abstract=self.abstract,
                authors=self.authors,
                published=self.published,
                upvotes=self.upvotes,
                path=self.name,
                line=line,
            )
        )
        self.title = None
        self.abstract = None
        self.authors = None
        self.saw_separator = False
        self.published = None
        self.upvotes = None

    def _missing_abstract(self) -> None:
        assert self.title is not None
        line, title = self.title
        self._fail(
            line,
            f"the title {title[:60]!r} has no abstract",
            "paste the abstract on the line after the title, or remove the title",
        )

    def _fail(self, line: int, message: str, hint: str = "") -> NoReturn:
        raise SitegenError(Problem(self.name, line, 1, message, hint))


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
