"""The search index: what it holds, how it is packed, and that lunr.js reads it as built."""

from __future__ import annotations

import dataclasses
import itertools
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
    HEAD_FIELDS,
    MANIFEST_ROUTE,
    PAPER_CHUNK,
    STAGES,
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


def test_every_run_of_unicode_spaces_is_one_plain_space_that_both_lunrs_split_on(site):
    # lunr.js splits on every Unicode space, Python lunr on a few: a document holds " " alone.
    spaces = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
    paper = dataclasses.replace(site.catalog.papers[0], title=f"{spaces}Sparse{spaces[::-1]}\u00a0mixture\u2009 of\u3000experts ",
                                abstract="One\u2028two\t\tthree\x1cfour")
    catalog = dataclasses.replace(site.catalog, papers=(paper,))
    document = search_documents(dataclasses.replace(site, catalog=catalog))[0]
    assert (document.title, document.abstract) == ("Sparse mixture of experts", "One two three four")


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


# ---- The manifest and the shards -----------------------------------------------------


def manifest_of(files: dict[str, bytes]) -> dict:
    return json.loads(files[MANIFEST_ROUTE])


def part(files: dict[str, bytes], path: str) -> object:
    return json.loads(files[f"search/{manifest_of(files)['version']}/{path}"])


def test_the_manifest_names_the_fields_papers_themes_and_the_first_term_of_every_shard(site, files):
    manifest = manifest_of(files)
    assert manifest["fields"] == [list(field) for field in FIELDS]
    assert manifest["papers"] == len(site.catalog.papers)
    assert [slug for slug, _ in manifest["themes"]] == [theme.slug for theme in site.curation.themes]
    assert set(manifest["shards"]) == {"head", "abstracts"}
    for stage, firsts in manifest["shards"].items():
        assert firsts == sorted(firsts) and len(set(firsts)) == len(firsts), stage
        assert [term for term, *_ in part(files, f"{stage}/0.json")][0] == firsts[0]
    shards = {route for route in files if "/head/" in route or "/abstracts/" in route}
    assert len(shards) == sum(map(len, manifest["shards"].values()))


def test_a_papers_standing_travels_as_delta_encoded_numbers(site, files):
    standing = manifest_of(files)["standing"]
    curated = list(itertools.accumulate(standing[0]))
    starting = list(itertools.accumulate(standing[1]))
    documents = search_documents(site)
    assert curated == [n for n, d in enumerate(documents) if d.standing >= 1] and curated
    assert starting == [n for n, d in enumerate(documents) if d.standing == 2] and starting
    assert set(starting) < set(curated)


def test_head_shards_hold_titles_ids_authors_tags_and_themes_and_abstract_shards_the_rest(files):
    manifest = manifest_of(files)
    head = {field for number in range(len(manifest["shards"]["head"]))
            for entry in part(files, f"head/{number}.json") for field in entry[1::2]}
    abstracts = {field for number in range(len(manifest["shards"]["abstracts"]))
                 for entry in part(files, f"abstracts/{number}.json") for field in entry[1::2]}
    assert head == set(range(len(HEAD_FIELDS))) and abstracts == {len(HEAD_FIELDS)}


def test_a_shard_is_a_range_of_terms_closed_at_its_size(files):
    manifest = manifest_of(files)
    size = {stage: postings for stage, _, postings in STAGES}
    for stage, firsts in manifest["shards"].items():
        terms = []
        for number in range(len(firsts)):
            entries = part(files, f"{stage}/{number}.json")
            postings = [sum(len(postings) // 2 for postings in entry[2::2]) for entry in entries]
            assert sum(postings[:-1]) < size[stage], (stage, number)  # the last term closed it
            terms += [entry[0] for entry in entries]
        assert terms == sorted(terms, key=lambda t: t.encode("utf-16-be")) and len(set(terms)) == len(terms)


def test_results_show_rows_and_snippets_a_few_papers_a_file(site, files):
    papers = site.catalog.papers
    last = (len(papers) - 1) // PAPER_CHUNK
    assert part(files, "papers/0.json")[0][1:3] == [papers[0].title, papers[0].published or ""]
    assert part(files, "snippets/0.json")[0] == snippet(papers[0].abstract)
    assert len(part(files, f"papers/{last}.json")) == len(papers) - last * PAPER_CHUNK
    assert f"search/{manifest_of(files)['version']}/papers/{last + 1}.json" not in files


def test_the_files_are_deterministic_and_follow_the_papers(site, files):
    assert search_files(site) == files
    renamed = dataclasses.replace(
        site, catalog=dataclasses.replace(
            site.catalog, papers=(dataclasses.replace(site.catalog.papers[0], title="Zebra finches"),
                                  *site.catalog.papers[1:]))
    )
    again = search_files(renamed)
    assert part(again, "papers/0.json")[0][1] == "Zebra finches"
    assert manifest_of(again)["version"] != manifest_of(files)["version"], "a new build's shards live apart"


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


# Queries in lunr's syntax, whose shards search.js works out from the parsed query.
SYNTAX_QUERIES = ["title:mamba", "scal*", "attention~1", "+lora -quantization", "*former", "authors:gu mamba^10",
                  "title:", "lora~x"]


@pytest.fixture(scope="module")
def node_view(site, files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("search-node")
    for route, data in files.items():
        target = folder / route.removeprefix("search/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / "documents.json").write_text(json.dumps(lunr_documents(site)), encoding="utf-8")
    (folder / "queries.json").write_text(json.dumps(QUERIES + SYNTAX_QUERIES), encoding="utf-8")
    return run_node(SEARCH_JS, folder, folder / "documents.json", folder / "queries.json")


def test_the_shards_together_are_the_index_python_lunr_serializes(site, node_view):
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
                   for ref, values in serialized["fieldVectors"] if values}
        return postings, vectors

    actual_postings, actual_vectors = by_term(actual)
    expected_postings, expected_vectors = by_term(json.loads(json.dumps(expected)))
    assert actual_postings == expected_postings
    assert actual_vectors.keys() == expected_vectors.keys()
    for ref, vector in expected_vectors.items():
        assert actual_vectors[ref].keys() == vector.keys(), ref
        for term, score in vector.items():
            assert actual_vectors[ref][term] == pytest.approx(score, abs=0.0011), (ref, term)


def test_each_query_answers_from_its_own_shards_as_an_index_lunr_js_built_itself(node_view):
    assert len(node_view["answers"]) >= 40
    for answer in node_view["answers"]:
        loaded, built = answer["loaded"], answer["built"]
        assert loaded or answer["query"] in ("title:", "+lora -quantization"), f"no result for {answer['query']!r}"
        assert [ref for ref, _ in loaded] == [ref for ref, _ in built], answer["query"]
        assert [score for _, score in loaded] == pytest.approx([score for _, score in built], rel=1e-9)
        assert answer["amongAll"] == loaded, "what else a worker fetched changes no answer"


def test_a_query_fetches_a_few_shards_of_each_stage(files, node_view):
    manifest = manifest_of(files)
    for answer in node_view["answers"]:
        head, abstracts = answer["fetched"]["head"], answer["fetched"]["abstracts"]
        if answer["query"] == "*former":  # a leading wildcard needs every term
            assert len(head) == len(manifest["shards"]["head"])
            continue
        assert 0 < len(head) <= 8 and len(abstracts) <= 12, answer
