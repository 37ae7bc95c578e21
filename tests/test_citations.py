"""What a paper's record gives readers and their tools: authors, links, BibTeX, CSL-JSON, metadata."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import pytest
from pylatexenc.latex2text import LatexNodes2Text

from .conftest import TEMPLATES
from .test_arxiv import FIXTURES, MAMBA, MU, S4, project

MAMBA_ID = "mamba-linear-time-sequence-modeling-with-selective-state-spaces"
MU_ID = "a-large-scale-exploration-of-mu-transfer"
MANY = [f"Author{chr(65 + i)} Family{chr(65 + i)}" for i in range(14)]


def record_line(paper: str, arxiv: str, **extra: object) -> str:
    fixture = FIXTURES[arxiv]
    value = {"paper": paper, "arxiv": arxiv, "version": fixture["version"], "title": fixture["title"],
             "authors": fixture["authors"], "published": fixture["published"], "updated": fixture["updated"],
             "primary_category": fixture["categories"][0], "categories": fixture["categories"], "doi": None,
             "journal_ref": None, **extra}
    return json.dumps(value, ensure_ascii=False) + "\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The arXiv tests' list with three records (one with a journal and a DOI), built."""
    root = tmp_path_factory.mktemp("citations")
    content = project(root)
    (content / "records").mkdir()
    (content / "records" / "arxiv.jsonl").write_text(
        record_line(MU_ID, MU)
        + record_line(MAMBA_ID, MAMBA, journal_ref="COLM 2024", doi="10.48550/arXiv.2312.00752")
        + record_line("s4-structured-state-spaces", S4, authors=MANY, title="Many & 50% {authors}"),
        encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sitegen", "build", "--content", str(content), "--templates",
                           str(TEMPLATES), "--out", str(root / "site")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return root / "site"


def page(site: Path, paper_id: str) -> str:
    return (site / "papers" / paper_id / "index.html").read_text("utf-8")


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("name") or found.get("property")):
            self.meta.append((found.get("name") or found.get("property") or "", found.get("content") or ""))
        self._in_ld = tag == "script" and found.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_ld = False


def parsed(html: str) -> Meta:
    parser = Meta()
    parser.feed(html)
    return parser


def test_a_paper_page_shows_authors_date_and_links_above_the_abstract(site):
    html = page(site, MAMBA_ID)
    top = html.split("<h2>Abstract</h2>")[0]
    assert "<p>Albert Gu, Tri Dao</p>\n<p>Dec 1, 2023</p>" in top
    assert '<a href="https://arxiv.org/pdf/2312.00752">PDF</a> · <a href="https://arxiv.org/abs/2312.00752">' in top


def test_a_long_author_list_folds_after_ten_with_every_name_a_click_away(site):
    html = page(site, "s4-structured-state-spaces")
    summary = html.split("<details><summary>")[1].split("</summary>")[0]
    assert summary == ", ".join(MANY[:10]) + " and 4 more"
    assert f"<p>{', '.join(MANY)}</p></details>" in html


def test_the_citation_tags_name_every_author_in_order(site):
    meta = parsed(page(site, MAMBA_ID)).meta
    assert [content for name, content in meta if name == "citation_author"] == ["Albert Gu", "Tri Dao"]
    assert dict(meta)["citation_title"] == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert dict(meta)["citation_publication_date"] == "2023/12/01"
    assert dict(meta)["citation_arxiv_id"] == MAMBA
    assert dict(meta)["citation_pdf_url"] == "https://arxiv.org/pdf/2312.00752"
    assert dict(meta)["citation_doi"] == "10.48550/arXiv.2312.00752"


def test_every_page_has_opengraph_and_twitter_tags(site):
    for path in [site / "index.html", site / "papers" / MAMBA_ID / "index.html", site / "themes" / "ssm" / "index.html"]:
        meta = dict(parsed(path.read_text("utf-8")).meta)
        assert meta["og:title"] and meta["og:description"] and meta["og:url"].startswith("https://")
        assert meta["twitter:card"] == "summary"
    assert dict(parsed(page(site, MAMBA_ID)).meta)["og:type"] == "article"


def test_the_json_ld_is_a_scholarly_article(site):
    (block,) = parsed(page(site, MAMBA_ID)).ld
    article = json.loads(block)
    assert article["@type"] == "ScholarlyArticle" and article["datePublished"] == "2023-12-01"
    assert [author["name"] for author in article["author"]] == ["Albert Gu", "Tri Dao"]
    assert article["identifier"]["value"] == MAMBA and article["sameAs"] == "https://arxiv.org/abs/2312.00752"


def test_a_hostile_title_cannot_end_the_json_ld_block(site):
    html = page(site, "s4-structured-state-spaces")
    block = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in block and json.loads(block)["name"] == "S4: Structured State Spaces"


def entries(text: str) -> dict[str, bibtexparser.model.Entry]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {entry.key: entry for entry in library.entries}


def test_every_bibtex_entry_parses_back_unchanged(site):
    whole = entries((site / "papers.bib").read_text("utf-8"))
    for path in (site / "papers").glob("*/citation.bib"):
        (entry,) = entries(path.read_text("utf-8")).values()
        assert whole[entry.key].fields_dict.keys() == entry.fields_dict.keys()
        assert {k: f.value for k, f in whole[entry.key].fields_dict.items()} == \
            {k: f.value for k, f in entry.fields_dict.items()}
    mamba = whole["gu2023mamba"]
    assert mamba.entry_type == "article"  # it has a journal reference
    fields = {name: field.value for name, field in mamba.fields_dict.items()}
    assert fields == {"title": "{Mamba: Linear-Time Sequence Modeling with Selective State Spaces}",
                      "author": "Gu, Albert and Dao, Tri", "year": "2023", "journal": "COLM 2024",
                      "eprint": MAMBA, "archivePrefix": "arXiv", "primaryClass": "cs.LG",
                      "doi": "10.48550/arXiv.2312.00752", "url": "https://arxiv.org/abs/2312.00752"}


def test_bibtex_escapes_what_latex_would_misread_and_reads_back_as_the_title(site):
    whole = entries((site / "papers.bib").read_text("utf-8"))
    mu = next(entry for entry in whole.values() if entry.key.startswith("lingle2024"))
    title = mu.fields_dict["title"].value
    assert "\\mu" in title and "μ" not in title
    assert LatexNodes2Text().latex_to_text(title) == "A Large-Scale Exploration of μ-Transfer"


def test_themes_and_the_whole_list_have_a_bib_and_csl_json(site):
    theme = entries((site / "themes" / "ssm" / "papers.bib").read_text("utf-8"))
    assert len(theme) == 3
    items = json.loads((site / "papers.csl.json").read_text("utf-8"))
    mamba = next(item for item in items if item["id"] == "gu2023mamba")
    assert mamba["type"] == "article" and mamba["number"] == "arXiv:2312.00752" and mamba["publisher"] == "arXiv"
    assert mamba["author"] == [{"family": "Gu", "given": "Albert"}, {"family": "Dao", "given": "Tri"}]
    assert mamba["issued"] == {"date-parts": [[2023, 12, 1]]}
    assert len(items) == 5


def test_feed_entries_carry_authors_published_and_links_to_the_abstract_and_pdf(site):
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(site / "feed.xml").getroot()
    entry = next(e for e in feed.iter(f"{atom}entry") if e.findtext(f"{atom}title", "").startswith("Mamba:"))
    assert [a.findtext(f"{atom}name") for a in entry.findall(f"{atom}author")] == ["Albert Gu", "Tri Dao"]
    assert entry.findtext(f"{atom}published") == "2023-12-01T00:00:00Z"
    links = {(link.get("type"), link.get("href")) for link in entry.findall(f"{atom}link")}
    assert ("application/pdf", "https://arxiv.org/pdf/2312.00752") in links
    assert ("text/html", "https://arxiv.org/abs/2312.00752") in links


def test_theme_pages_show_first_authors_and_the_year(site):
    theme = (site / "themes" / "ssm" / "index.html").read_text("utf-8")
    assert re.search(r"Gu, Dao · Dec 1, 2023", theme)
    assert "FamilyA et al." in theme


def test_papers_json_gains_the_record_keys(site):
    papers = {paper["id"]: paper for paper in json.loads((site / "papers.json").read_text("utf-8"))}
    mamba = papers[MAMBA_ID]
    assert mamba["author_names"] == ["Albert Gu", "Tri Dao"] and mamba["arxiv"] == MAMBA
    assert (mamba["pdf"], mamba["doi"], mamba["journal_ref"], mamba["primary_category"]) == (
        "https://arxiv.org/pdf/2312.00752", "10.48550/arXiv.2312.00752", "COLM 2024", "cs.LG")
    assert papers["mamba"]["author_names"] == [] and papers["mamba"]["pdf"] is None


def test_search_indexes_authors_and_arxiv_ids(site):
    manifest = json.loads((site / "search" / "index.json").read_text("utf-8"))
    assert [field for field, _ in manifest["fields"]][:3] == ["title", "arxiv", "authors"]
    shards = (site / "search" / manifest["version"] / "head").glob("*.json")
    terms = {entry[0]: entry[1::2] for shard in shards for entry in json.loads(shard.read_text("utf-8"))}
    assert terms[MAMBA] == [1] and 2 in terms["dao"], "the id in the arxiv field, the name in authors"


def test_citation_keys_are_unique_even_when_thousands_share_a_base():
    from sitegen.model import Paper
    from sitegen.site.citations import citation_keys

    papers = [Paper(id=f"copy-{i}-deep-sets", title=f"Copy {i}: Deep Sets", abstract="", authors=None, published=None,
                    upvotes=None, links=(), sources=()) for i in range(5000)]
    keys = citation_keys(papers)
    assert len(set(keys.values())) == 5000
    assert all(key.startswith("anonndcopy-") for key in keys.values())


@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_csl_json_file_is_what_one_json_dump_of_its_items_writes(count):
    from sitegen.model import Paper
    from sitegen.site.citations import csl_item, csl_json

    texts = ["Line\nbreak, \"quoted\", tab\t", "Separators \u2028 and \u2029, ünïcode, </script>", "Plain"]
    papers = [Paper(id=f"p{i}", title=texts[i], abstract=texts[(i + 1) % 3], authors=None, published="2024-01-0" + str(i + 1),
                    upvotes=None, links=(), sources=("a.md:1",)) for i in range(count)]
    keys = {paper.id: f"key{paper.id}" for paper in papers}
    items = [csl_item(paper, keys[paper.id], f"https://x.org/{paper.id}/") for paper in papers]
    expected = (json.dumps(items, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    assert csl_json(papers, keys, lambda paper: f"https://x.org/{paper.id}/") == expected
