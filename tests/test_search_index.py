"""The search index: what it holds, how it is packed, and that lunr.js reads it as built."""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from lunr import lunr
from lunr.tokenizer import Tokenizer

import sitegen.site.search as search_module
from sitegen.memo import Memo
from sitegen.model import Learning, Site
from sitegen.project import Project
from sitegen.read import read_site
from sitegen.read.files import Files
from sitegen.site.search import (
    FIELDS,
    FULL_ROUTE,
    HEAD_FIELDS,
    HEAD_ROUTE,
    packed_id,
    search_documents,
    snippet,
    token_terms,
    tokens,
)
from sitegen.site.search import search_files as search_files_of

from .conftest import CONTENT, REPO, TEMPLATES

NODE_CHECK = REPO / "tests" / "node" / "search_index.mjs"
SEARCH_JS = REPO / "templates" / "assets" / "search.js"
QUERIES = [
    line for line in (REPO / "tests" / "search_queries.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.fixture(scope="module")
def site():
    return read_site(Files(Project(CONTENT, TEMPLATES), Memo(None)))[0]


def search_files(site: Site) -> dict[str, bytes]:
    return search_files_of(search_documents(site), tuple((t.slug, t.title) for t in site.curation.themes))


@pytest.fixture(scope="module")
def files(site):
    return search_files(site)


def lunr_documents(site) -> list[dict[str, str]]:
    return [
        {"ref": str(ref), **{name: getattr(document, name) for name, _ in FIELDS}}
        for ref, document in enumerate(search_documents(site))
    ]


def run_node(*arguments: Path) -> dict:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "lunr").is_dir():
        pytest.fail("the search index test needs Node and npm's lunr: run make test, which installs them")
    done = subprocess.run([node, str(NODE_CHECK), *map(str, arguments)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# ---- What is indexed ------------------------------------------------------------------


def test_every_paper_is_a_document_in_catalog_order_with_its_curated_themes_and_tags(site):
    documents = search_documents(site)
    assert [document.id for document in documents] == [paper.id for paper in site.catalog.papers]
    curated = next(document for document in documents if site.curation.themes_of(document.id))
    paper_id = curated.id
    titles = {theme.slug: theme.title for theme in site.curation.themes}
    assert curated.themes == " ".join(titles[slug] for slug in site.curation.themes_of(paper_id))
    assert curated.tags == " ".join(site.curation.notes_of(paper_id).tags)
    assert curated.theme == site.curation.themes_of(paper_id)[0]


def test_an_uncurated_paper_is_found_under_its_suggested_theme(site):
    uncurated = next(paper for paper in site.catalog.papers if not site.curation.themes_of(paper.id))
    theme = site.curation.themes[0]
    learning = Learning(suggested_themes=((uncurated.id, ((theme.slug, 0.9),)),))
    document = next(d for d in search_documents(dataclasses.replace(site, learning=learning)) if d.id == uncurated.id)
    assert (document.themes, document.theme) == (theme.title, theme.slug)
    assert next(d for d in search_documents(site) if d.id == uncurated.id).themes == ""


def test_text_is_split_exactly_like_lunrs_tokenizer(site):
    for document in search_documents(site):
        for name, _ in FIELDS:
            text = getattr(document, name)
            assert tokens(text) == [str(token) for token in Tokenizer(text)]


def test_a_snippet_is_the_abstracts_opening_cut_at_a_word():
    assert snippet("Short abstract.") == "Short abstract."
    cut = snippet("word " * 100, length=22)
    assert cut == "word word word word…"


@pytest.mark.parametrize(
    ("paper_id", "title", "packed"),
    [
        ("a-survey-of-mamba", "A Survey of Mamba", 17),
        ("brauers-group-equivariant", "Brauer's Group Equivariant Neural Networks", 25),
        ("a-proof-of-learning-rate-transfer-under-p", "A Proof of Learning Rate Transfer under μP",
         "a-proof-of-learning-rate-transfer-under-p"),
        ("a-survey-of-mam", "A Survey of Mamba", "a-survey-of-mam"),  # not cut at a word
        ("title-1a2b3c", "Title!", "title-1a2b3c"),  # a disambiguated id
    ],
)
def test_an_id_travels_as_a_length_only_when_the_browser_can_rebuild_it(paper_id, title, packed):
    assert packed_id(paper_id, title) == packed


# ---- The two files --------------------------------------------------------------------


def test_the_first_stage_holds_the_results_store_and_a_title_tag_theme_index(site, files):
    head = json.loads(files[HEAD_ROUTE])
    assert [field for field, _ in head["index"]["fields"]] == [name for name, _ in HEAD_FIELDS]
    assert len(head["papers"]) == len(site.catalog.papers)
    first = site.catalog.papers[0]
    assert head["papers"][0][1:3] == [first.title, first.published or ""]
    assert [slug for slug, _ in head["themes"]] == [theme.slug for theme in site.curation.themes]


def test_the_second_stage_indexes_every_field_and_holds_snippets(site, files):
    full = json.loads(files[FULL_ROUTE])
    assert [field for field, _ in full["index"]["fields"]] == ["title", "arxiv", "authors", "tags", "themes", "abstract"]
    assert full["snippets"][0] == snippet(site.catalog.papers[0].abstract)
    assert "transform" in full["index"]["terms"]  # stemmed, as lunr indexes "transformers"


def test_the_first_stage_is_small(files):
    # The byte budget of the page is measured in the browser; this keeps the index honest alone.
    assert len(gzip.compress(files[HEAD_ROUTE])) < 40_000


def test_the_files_are_deterministic_and_follow_the_papers(site, files):
    assert search_files(site) == files
    renamed = dataclasses.replace(
        site, catalog=dataclasses.replace(
            site.catalog, papers=(dataclasses.replace(site.catalog.papers[0], title="Zebra finches"),
                                  *site.catalog.papers[1:]))
    )
    assert b"Zebra finches" in search_files(renamed)[HEAD_ROUTE]


def test_each_distinct_token_goes_through_lunrs_pipeline_once(site, files, monkeypatch):
    token_terms.cache_clear()
    ran: list[str] = []
    pipeline = search_module._pipeline()

    class Counting:
        def run(self, tokens):
            ran.extend(str(token) for token in tokens)
            return pipeline.run(tokens)

    monkeypatch.setattr(search_module, "_pipeline", lambda: Counting())
    assert search_files(site) == files
    assert len(ran) == len(set(ran)) > 1000
    assert token_terms("the") == () and token_terms("networks") == ("network",), "stop words and stems"


# ---- lunr.js reads it -----------------------------------------------------------------


@pytest.fixture(scope="module")
def node_view(site, files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("search-node")
    (folder / "full.json").write_bytes(files[FULL_ROUTE])
    (folder / "documents.json").write_text(json.dumps(lunr_documents(site)), encoding="utf-8")
    (folder / "queries.json").write_text(json.dumps(QUERIES), encoding="utf-8")
    return run_node(SEARCH_JS, folder / "full.json", folder / "documents.json", folder / "queries.json")


def test_the_unpacked_index_is_the_index_python_lunr_serializes(site, node_view):
    expected = lunr("ref", [{"field_name": name, "boost": boost} for name, boost in FIELDS],
                    lunr_documents(site)).serialize()
    actual = node_view["serialized"]
    assert actual["fields"] == expected["fields"]
    assert actual["pipeline"] == expected["pipeline"]

    def by_term(serialized):
        terms = {posting["_index"]: term for term, posting in serialized["invertedIndex"]}
        postings = {term: {field: sorted(posting[field]) for field in serialized["fields"]}
                    for term, posting in serialized["invertedIndex"]}
        vectors = {ref: dict(zip((terms[i] for i in values[0::2]), values[1::2], strict=True))
                   for ref, values in serialized["fieldVectors"]}
        return postings, vectors

    actual_postings, actual_vectors = by_term(actual)
    expected_postings, expected_vectors = by_term(json.loads(json.dumps(expected)))
    assert actual_postings == expected_postings
    assert actual_vectors.keys() == expected_vectors.keys()
    for ref, vector in expected_vectors.items():
        assert actual_vectors[ref].keys() == vector.keys(), ref
        for term, score in vector.items():
            assert actual_vectors[ref][term] == pytest.approx(score, abs=0.0011), (ref, term)


def test_lunr_js_answers_from_the_packed_index_like_from_an_index_it_built(node_view):
    assert len(node_view["answers"]) >= 30
    for answer in node_view["answers"]:
        loaded, built = answer["loaded"], answer["built"]
        assert loaded, f"no result for {answer['query']!r}"
        assert [ref for ref, _ in loaded] == [ref for ref, _ in built], answer["query"]
        assert [score for _, score in loaded] == pytest.approx([score for _, score in built], rel=0.01)
