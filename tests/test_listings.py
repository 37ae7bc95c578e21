"""Reading listings: every layout of the papers website, and every kind of bad input."""

from __future__ import annotations

import pytest

from sitegen.errors import SitegenError
from sitegen.read.listings import parse_listing

ABSTRACT_A = "We study things. Code: https://github.com/a/b."
ABSTRACT_B = "One sentence."


def parse(text: str | bytes, name: str = "list.txt"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_listing(name, data)


def test_layout_1_title_and_abstract_lines_after_a_glued_banner():
    text = (
        "Get trending papers in your email inbox once a day!\n"
        "Get trending papers in your email inbox!\n"
        "SubscribeFirst Paper\n"
        f"{ABSTRACT_A}\n"
        "Second Paper\n"
        f"{ABSTRACT_B}\n"
    )
    entries = parse(text)
    assert [(e.title, e.abstract, e.line) for e in entries] == [
        ("First Paper", ABSTRACT_A, 3),
        ("Second Paper", ABSTRACT_B, 5),
    ]
    assert all(e.authors is None and e.published is None and e.upvotes is None for e in entries)


def test_layout_2_blank_lines_after_a_page_header():
    text = (
        "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
        "byAK and the research community\n\nMar 14\n\n"
        f"First Paper\n\n{ABSTRACT_A}\n\nSecond Paper\n\n{ABSTRACT_B}\n"
    )
    entries = parse(text)
    assert [(e.title, e.line) for e in entries] == [("First Paper", 11), ("Second Paper", 15)]


def test_layout_3_author_count_separator_and_dates():
    text = (
        "new\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\nJun 11\n\n"
        "First Paper\n\nAbstract one.\n\n  • 4 authors\n·\nAug 9, 2024 2\n\n"
        "Second Paper\n\nAbstract two.\n\n  • 1 authors\n·\nFeb 10\n\n"
        "Third Paper\n\nAbstract three, with no metadata.\n\n"
        "Fourth Paper\n\nAbstract four.\n\n  • 11 authors\n·\nMay 24, 2024\n"
    )
    entries = parse(text)
    assert [(e.title, e.authors, e.published, e.upvotes) for e in entries] == [
        ("First Paper", 4, "2024-08-09", 2),
        ("Second Paper", 1, "--02-10", None),
        ("Third Paper", None, None, None),
        ("Fourth Paper", 11, "2024-05-24", None),
    ]


def test_several_pages_pasted_into_one_file():
    page = "new\n\nSubscribe\n\nbyAK and the research community\n\nMar 14\n\n{0} A\n\nText.\n\n{0} B\n\nText.\n"
    text = page.format("One") + "\n" + page.format("Two")
    assert [e.title for e in parse(text)] == ["One A", "One B", "Two A", "Two B"]


def test_a_title_that_starts_with_subscribe_is_kept_unless_glued_to_the_banner():
    text = "new\n\nSubscribe\n\nSubscriber Churn Models\n\nText.\n"
    assert parse(text)[0].title == "Subscriber Churn Models"


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr"),
        pytest.param(lambda t: "\ufeff" + t, id="bom"),
        pytest.param(lambda t: t.replace("\n", "  \t\n"), id="trailing-spaces"),
    ],
)
def test_line_ends_byte_order_mark_and_trailing_spaces_change_nothing(transform):
    text = "new\n\nSubscribe\n\nFirst Paper\n\nAbstract.\n\n  • 2 authors\n·\nJan 3, 2025 7\n"
    plain = parse(text)
    assert [(e.title, e.abstract, e.authors, e.published, e.upvotes, e.line) for e in parse(transform(text))] == [
        (e.title, e.abstract, e.authors, e.published, e.upvotes, e.line) for e in plain
    ]


def test_markup_and_unicode_are_kept_verbatim():
    title = "<script>alert('x')</script> & μP: “Tensor Programs” — V"
    entries = parse(f"{title}\nAbstract with <b>tags</b> & ünïcödé.\n")
    assert entries[0].title == title
    assert entries[0].abstract == "Abstract with <b>tags</b> & ünïcödé."


def error_of(data: bytes | str) -> str:
    with pytest.raises(SitegenError) as caught:
        parse(data, "bad.txt")
    assert len(caught.value.problems) == 1
    return caught.value.problems[0].format()


def test_an_empty_listing_is_an_error():
    assert error_of(b"") == "bad.txt:1:1: error: the listing is empty (paste a page of papers into it)"


def test_a_listing_of_only_headers_is_an_error():
    assert error_of("new\n\nSubscribe\n") == (
        "bad.txt:1:1: error: the listing holds no papers "
        "(a paper is a title line followed by an abstract line)"
    )


def test_a_listing_that_is_not_utf8_names_the_line():
    message = error_of(b"Title\nAbstract\n" + "Caf\xe9\n".encode("latin-1"))
    assert message == "bad.txt:3:4: error: the listing is not UTF-8 (byte 0xe9) (save the file as UTF-8)"


def test_a_binary_file_is_an_error():
    assert error_of(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").startswith(
        "bad.txt:3:1: error: this is a binary file, not a text listing"
    )


def test_a_title_without_an_abstract_at_the_end_names_its_line():
    message = error_of("First\nAbstract.\nDangling Title\n")
    assert message == (
        "bad.txt:3:1: error: the title 'Dangling Title' has no abstract "
        "(paste the abstract on the line after the title, or remove the title)"
    )


def test_a_title_followed_by_a_page_header_has_no_abstract():
    assert "the title 'Lonely' has no abstract" in error_of("Lonely\n\nnew\n\nA\n\nB\n")


def test_an_impossible_date_is_an_error():
    assert error_of("T\n\nA.\n\n  • 2 authors\n·\nFeb 30, 2024\n").startswith(
        "bad.txt:7:1: error: Feb 30 is not a date"
    )


def test_a_separator_not_followed_by_a_date_is_an_error():
    assert "expected a date like 'Aug 9, 2024'" in error_of("T\n\nA.\n\n  • 2 authors\n·\nNot a date\n")
