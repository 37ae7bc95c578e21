"""Property: any papers written in any layout of the website parse back unchanged."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.read.listings import DATE_RE, HEADER_LINES, MONTHS, parse_listing

# Listing lines hold no line breaks and are stripped of outer spaces.
_char = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85")
_text = st.text(_char, min_size=1, max_size=60).map(str.strip).filter(bool)
_url = st.builds(
    lambda host, path: f"https://{host}/{path}",
    st.sampled_from(["github.com", "example.org", "gitlab.com"]),
    st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True),
)
_abstract = st.lists(st.one_of(_text, _url, st.sampled_from(["<b>", "&amp;", "<script>", "μP"])), min_size=1, max_size=6).map(
    lambda parts: " ".join(parts)
).filter(lambda a: a not in HEADER_LINES)
# A line that is exactly the site's chrome ("new", a date, "·") cannot be told from it.
_title = _text.filter(
    lambda t: t not in HEADER_LINES and t != "·" and not t.startswith("•") and not DATE_RE.fullmatch(t)
)
_date = st.builds(
    lambda month, day, year: (month, day, year),
    st.sampled_from(sorted(MONTHS)),
    st.integers(1, 28),
    st.one_of(st.none(), st.integers(1990, 2030)),
)
_paper = st.fixed_dictionaries(
    {
        "title": _title,
        "abstract": _abstract,
        "authors": st.integers(1, 300),
        "date": _date,
        "upvotes": st.one_of(st.none(), st.integers(1, 999)),
    }
)


def _date_text(paper: dict) -> str:
    month, day, year = paper["date"]
    text = f"{month} {day}" + (f", {year}" if year else "")
    return text + (f" {paper['upvotes']}" if paper["upvotes"] else "")


def write_layout_1(papers: list[dict]) -> str:
    lines = ["Get trending papers in your email inbox!"]
    body = "\n".join(f"{p['title']}\n{p['abstract']}" for p in papers)
    return "\n".join(lines) + "\nSubscribe" + body + "\n"


def write_layout_2(papers: list[dict]) -> str:
    header = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\nMar 14\n\n"
    return header + "".join(f"{p['title']}\n\n{p['abstract']}\n\n" for p in papers)


def write_layout_3(papers: list[dict]) -> str:
    header = "new\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\nJun 11\n\n"
    return header + "".join(
        f"{p['title']}\n\n{p['abstract']}\n\n  • {p['authors']} authors\n·\n{_date_text(p)}\n\n" for p in papers
    )


@settings(max_examples=150, deadline=None)
@given(papers=st.lists(_paper, min_size=1, max_size=8), layout=st.sampled_from([1, 2, 3]), crlf=st.booleans())
def test_random_papers_parse_back_unchanged_in_every_layout(papers, layout, crlf):
    writer = {1: write_layout_1, 2: write_layout_2, 3: write_layout_3}[layout]
    text = writer(papers)
    if crlf:
        text = text.replace("\n", "\r\n")
    entries = parse_listing("random.txt", text.encode("utf-8"))
    assert [(e.title, e.abstract) for e in entries] == [(p["title"], p["abstract"]) for p in papers]
    if layout == 3:
        for entry, paper in zip(entries, papers, strict=True):
            month, day, year = paper["date"]
            expected = f"{year}-{MONTHS[month]:02d}-{day:02d}" if year else f"--{MONTHS[month]:02d}-{day:02d}"
            assert (entry.authors, entry.published, entry.upvotes) == (paper["authors"], expected, paper["upvotes"])
