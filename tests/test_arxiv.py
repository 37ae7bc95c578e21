"""sitegen resolve and sitegen add, against a local server that speaks the arXiv API.

The server (tests/arxiv_server.py) answers as arXiv does, over fixtures of real papers; the
client is the real one, pointed at it by SITEGEN_ARXIV_API.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.arxiv.add import parse_arxiv_id
from sitegen.arxiv.atom import ArxivError, parse_feed
from sitegen.arxiv.client import Client
from sitegen.arxiv.titles import match, normalise_title
from sitegen.errors import SitegenError
from sitegen.records import encode_records, parse_records

from .arxiv_server import ArxivServer, ArxivState, Fault, answer, parse_query
from .conftest import REPO, TEMPLATES
from .site_fixtures import SITE_YAML

FIXTURES = {paper["id"]: paper for paper in json.loads((REPO / "tests/fixtures/arxiv.json").read_text("utf-8"))}
MAMBA, S4, VIM, MU = "2312.00752", "2111.00396", "2401.09417", "2404.05728"


def listing(*papers: tuple[str, str]) -> str:
    return "".join(f"{title}\n\n{abstract}\n\n" for title, abstract in papers)


def project(tmp_path: Path) -> Path:
    """A list of five papers: three on arXiv (one titled in LaTeX there), one pinned by id, a near miss."""
    content = tmp_path / "content"
    (content / "sources").mkdir(parents=True)
    (content / "curation").mkdir()
    (content / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    vim = FIXTURES[VIM]
    (content / "sources" / "000_list.txt").write_text(listing(
        ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", FIXTURES[MAMBA]["abstract"]),
        ("A Large-Scale Exploration of μ-Transfer", FIXTURES[MU]["abstract"]),
        # Close to arXiv's title (a plural), with the same abstract: the same paper.
        (vim["title"] + "s", vim["abstract"]),
        ("S4: Structured State Spaces", "A paper the curation pins to its arXiv id."),
        # A near miss: arXiv has "Mamba: Linear-Time ..." and "MambaByte: ...", neither is this paper.
        ("Mamba", "A different paper that happens to share a word of a title."),
    ), encoding="utf-8")
    (content / "themes.yaml").write_text(
        "themes:\n  - slug: ssm\n    title: State spaces\n    description: Sequence models.\n", encoding="utf-8")
    (content / "tags.yaml").write_text("tags:\n  mamba: Mamba.\n", encoding="utf-8")
    (content / "curation" / "ssm.yaml").write_text(
        "# The reading order of the theme.\npapers:\n"
        "  - id: mamba-linear-time-sequence-modeling-with-selective-state-spaces\n    tags: [mamba]\n"
        "  - id: s4-structured-state-spaces\n    arxiv: \"2111.00396\"  # pinned\n"
        "  - id: a-large-scale-exploration-of-mu-transfer\n", encoding="utf-8")
    return content


def sitegen(content: Path, *args: str, server: ArxivServer | None = None, delay: str = "0",
            check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SITEGEN_ARXIV_DELAY": delay}
    env["SITEGEN_ARXIV_API"] = server.endpoint if server else "http://127.0.0.1:9/api/query"
    return subprocess.run([sys.executable, "-m", "sitegen", *args, "--content", str(content), "--templates",
                           str(TEMPLATES)], cwd=content.parent, env=env, capture_output=True, text=True, check=check)


def records(content: Path) -> dict[str, dict]:
    path = content / "records" / "arxiv.jsonl"
    return {line["paper"]: line for line in map(json.loads, path.read_text("utf-8").splitlines())} if path.exists() else {}


# The protocol of the local server: what the tests below rely on it to do as arXiv does.

def test_the_server_parses_arxivs_query_syntax():
    papers = list(FIXTURES.values())

    def ids(query: str) -> list[str]:
        return [paper["id"] for paper in papers if parse_query(query)(paper)]

    assert ids("ti:mamba") == [MAMBA, VIM]  # words, not parts of words: not MambaByte
    assert ids('ti:"selective state spaces"') == [MAMBA]
    assert ids("au:gu AND au:dao") == [MAMBA, "2405.21060"]
    assert ids("au:gu ANDNOT ti:mamba") == [S4, "2405.21060"]
    assert ids("(ti:byte OR ti:mambabyte) OR id:2111.00396v2") == ["2401.13660", S4]
    assert ids("abs:bytes AND cat:cs.CL") == ["2401.13660"]
    assert ids("all:lingle") == [MU]


def test_the_server_answers_atom_with_opensearch_and_folded_titles():
    status, body = answer(ArxivState(), "search_query=ti:mamba&start=1&max_results=1")
    text = body.decode()
    assert status == 200 and "<opensearch:totalResults>2</opensearch:totalResults>" in text
    assert "<opensearch:startIndex>1</opensearch:startIndex>" in text and text.count("<entry>") == 1
    _, body = answer(ArxivState(), f"id_list={VIM}")
    title = body.decode().split("<title>")[1].split("</title>")[0]
    assert "\n  " in title  # folded over lines, as arXiv folds long titles
    feed = parse_feed(body)
    assert feed.records[0].title == FIXTURES[VIM]["title"]  # unfolded again


# Reading arXiv's answers.

def test_a_feed_gives_ids_without_versions_and_every_fact_of_the_record():
    _, body = answer(ArxivState(), f"id_list={MAMBA}v1,{S4}")
    mamba, s4 = parse_feed(body).records
    assert (mamba.arxiv, mamba.version, mamba.published, mamba.updated) == (MAMBA, 2, "2023-12-01", "2024-05-31")
    assert mamba.authors == ("Albert Gu", "Tri Dao")
    assert (mamba.primary_category, mamba.categories) == ("cs.LG", ("cs.LG", "cs.AI"))
    assert (s4.version, s4.authors[-1]) == (3, "Christopher Ré")


@pytest.mark.parametrize("body, message", [
    (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "not well-formed XML"),
    (b"<html><body>Rate exceeded</body></html>", "not an Atom feed"),
])
def test_a_malformed_answer_is_an_error_in_one_line(body, message):
    with pytest.raises(ArxivError, match=message):
        parse_feed(body)


def test_an_error_entry_says_what_arxiv_said():
    _, body = answer(ArxivState(), "id_list=1234.5")
    with pytest.raises(ArxivError, match="arXiv says: incorrect id format for 1234.5"):
        parse_feed(body)


def test_an_id_arxiv_does_not_know_has_no_record():
    _, body = answer(ArxivState(), "id_list=2501.99999")
    assert parse_feed(body).records == ()


# Titles: certain matches only.

def test_titles_match_across_latex_case_punctuation_and_line_breaks():
    assert normalise_title("A Large-Scale Exploration of $\\mu$-Transfer") == \
        normalise_title("A large-scale exploration of μ-transfer")
    assert normalise_title("Schr\\\"odinger {B}ridges:\n  a Survey") == normalise_title("Schrödinger Bridges — A Survey")


def test_a_near_miss_is_never_a_match():
    _, body = answer(ArxivState(), "search_query=ti:mamba")
    found = match("Mamba", "A different paper.", parse_feed(body).records)
    assert found.record is None and found.closest is not None
    _, body = answer(ArxivState(), "id_list=2401.13660")
    found = match("MambaByte: Token-free Selective State Space Models", "Nothing alike at all here.",
                  parse_feed(body).records)
    assert found.record is None and found.reason == "the titles are close but the abstracts differ"


# The client: polite, patient with a busy server, clear about a broken one.

def test_requests_are_spaced_and_name_the_project():
    with ArxivServer() as server:
        client = Client(endpoint=server.endpoint, delay=0.3, contact="https://github.com/user/repo")
        for arxiv in (MAMBA, S4, VIM):
            client.by_ids([arxiv])
        asked = server.state.requests
    assert all(later.at - earlier.at >= 0.29 for earlier, later in zip(asked, asked[1:]))
    assert asked[0].user_agent.startswith("sitegen/") and "https://github.com/user/repo" in asked[0].user_agent


def test_a_503_is_retried_and_a_429_waits_as_long_as_retry_after_says():
    with ArxivServer() as server:
        server.state.faults = [Fault(status=503), Fault(status=429, retry_after="1")]
        feed = Client(endpoint=server.endpoint, delay=0.05).by_ids([MAMBA])
        asked = server.state.requests
    assert [record.arxiv for record in feed.records] == [MAMBA] and len(asked) == 3
    assert asked[2].at - asked[1].at >= 0.95


def test_a_server_that_keeps_failing_is_one_line():
    with ArxivServer() as server:
        server.state.faults = [Fault(status=503)] * 3
        with pytest.raises(ArxivError, match="answered 503 .*, 3 times; try again later"):
            Client(endpoint=server.endpoint, delay=0, retries=2).by_ids([MAMBA])


def test_a_web_page_or_a_refused_connection_is_one_line():
    with ArxivServer() as server:
        server.state.faults = [Fault(body=b"<html>maintenance</html>", content_type="text/html")]
        with pytest.raises(ArxivError, match="answered with a web page"):
            Client(endpoint=server.endpoint, delay=0).by_ids([MAMBA])
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(ArxivError, match="cannot reach"):
        Client(endpoint=f"http://127.0.0.1:{port}/api/query", delay=0).by_ids([MAMBA])


# The records file.

def test_records_are_one_sorted_line_per_paper_and_read_back_unchanged(tmp_path):
    _, body = answer(ArxivState(), f"id_list={S4},{MAMBA}")
    import dataclasses

    found = [dataclasses.replace(record, paper=paper, abstract="")
             for record, paper in zip(parse_feed(body).records, ("s4", "mamba"))]
    text = encode_records(found)
    assert [json.loads(line)["paper"] for line in text.splitlines()] == ["mamba", "s4"]
    again = parse_records("records/arxiv.jsonl", text)
    assert encode_records(again) == text


def test_a_broken_record_line_is_located():
    with pytest.raises(SitegenError) as raised:
        parse_records("content/records/arxiv.jsonl", '{"paper": "x", "arxiv": "2312.00752"}\n{nope\n')
    assert [p.format() for p in raised.value.problems] == [
        "content/records/arxiv.jsonl:1:1: error: the record has no 'title' (records are written by 'sitegen "
        "resolve' and 'sitegen add'; fix the line as the others are, or delete it)",
        "content/records/arxiv.jsonl:2:2: error: the line is not JSON: Expecting property name enclosed in double "
        "quotes (records are written by 'sitegen resolve' and 'sitegen add'; fix the line as the others are, or "
        "delete it)",
    ]


# sitegen resolve, end to end.

def test_resolve_keeps_only_certain_matches_and_says_why_for_the_rest(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        done = sitegen(content, "resolve", server=server)
    assert done.returncode == 0, done.stderr
    found = records(content)
    assert {paper: line["arxiv"] for paper, line in found.items()} == {
        "mamba-linear-time-sequence-modeling-with-selective-state-spaces": MAMBA,
        "a-large-scale-exploration-of-mu-transfer": MU,
        "vision-mamba-efficient-visual-representation-learning-with-bidirectional-state": VIM,
        "s4-structured-state-spaces": S4,
    }
    assert "  mamba: the closest title is not the same (closest: arXiv:2312.00752" in done.stdout
    assert "Resolved 4, refreshed 0, already known 0, not found 1, ambiguous 0" in done.stdout
    assert found["s4-structured-state-spaces"]["version"] == 3


def test_a_second_run_asks_only_for_what_is_missing_and_changes_nothing(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        sitegen(content, "resolve", server=server, check=True)
        path = content / "records" / "arxiv.jsonl"
        before, stamp = path.read_bytes(), path.stat().st_mtime_ns
        server.state.requests.clear()
        done = sitegen(content, "resolve", server=server, check=True)
        asked = list(server.state.requests)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp
    assert "already known 4, not found 1" in done.stdout
    assert [request.query.get("search_query") for request in asked] == ["(ti:mamba)"]


def test_dry_run_prints_what_would_change_and_writes_nothing(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        done = sitegen(content, "resolve", "--dry-run", server=server, check=True)
    assert not (content / "records").exists()
    assert f"would add the record of 'mamba-linear-time-sequence-modeling-with-selective-state-spaces': " \
           f"arXiv:{MAMBA}v2" in done.stdout


def test_refresh_brings_in_a_new_version(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        sitegen(content, "resolve", server=server, check=True)
        server.state.papers[0].update(version=3, updated="2024-06-30")
        server.state.papers[0]["journal_ref"] = "COLM 2024"
        done = sitegen(content, "resolve", "--refresh", server=server, check=True)
    mamba = records(content)["mamba-linear-time-sequence-modeling-with-selective-state-spaces"]
    assert (mamba["version"], mamba["updated"], mamba["journal_ref"]) == (3, "2024-06-30", "COLM 2024")
    assert "refreshed 1" in done.stdout


def test_a_bad_answer_keeps_the_records_already_written(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        # The first answer (the pinned id) is arXiv's; the second is cut short.
        server.state.faults = [Fault(), Fault(body=b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")]
        partly = sitegen(content, "resolve", server=server)
    assert partly.returncode == 0
    assert list(records(content)) == ["s4-structured-state-spaces"]
    assert partly.stderr.startswith("sitegen resolve: error: the answer is not well-formed XML (no element found")
    assert partly.stderr.endswith("; the 1 records found before it are kept\n") and partly.stderr.count("\n") == 1


def test_nothing_resolved_for_a_bad_answer_is_exit_1_in_one_line(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        server.state.faults = [Fault(body=b"<html>oops</html>", content_type="text/html")]
        broken = sitegen(content, "resolve", server=server)
    assert broken.returncode == 1 and broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert "answered with a web page, not an Atom feed" in broken.stderr
    assert not (content / "records").exists()


def test_a_killed_resolve_loses_nothing_and_the_next_run_goes_on(tmp_path):
    content = project(tmp_path)
    path = content / "records" / "arxiv.jsonl"
    with ArxivServer() as server:
        env = {**os.environ, "SITEGEN_ARXIV_API": server.endpoint, "SITEGEN_ARXIV_DELAY": "1"}
        running = subprocess.Popen([sys.executable, "-m", "sitegen", "resolve", "--content", str(content)],
                                   cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not (path.exists() and path.read_text("utf-8").strip()) and time.monotonic() < deadline:
            time.sleep(0.02)
        running.send_signal(signal.SIGKILL)
        running.wait()
        kept = records(content)
        assert kept and len(kept) < 4  # killed after the first answer, before the last
        server.state.requests.clear()
        sitegen(content, "resolve", server=server, check=True)
        asked = [request.query for request in server.state.requests]
    assert len(records(content)) == 4
    assert not any(query.get("id_list") == S4 for query in asked if "s4-structured-state-spaces" in kept)
    assert list((content / "records").glob(".*.tmp")) == []


def test_a_build_asks_arxiv_nothing(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        sitegen(content, "resolve", server=server, check=True)
        server.state.requests.clear()
        built = sitegen(content, "build", "--out", str(tmp_path / "site"), server=server)
        assert built.returncode == 0, built.stderr
        assert server.state.requests == []
    page = (tmp_path / "site" / "papers" / "mamba-linear-time-sequence-modeling-with-selective-state-spaces"
            / "index.html").read_text("utf-8")
    assert "Albert Gu" in page and "https://arxiv.org/pdf/2312.00752" in page


# sitegen add.

def test_add_lists_a_paper_from_arxiv_alone_and_places_it_keeping_the_file(tmp_path):
    content = project(tmp_path)
    curation = content / "curation" / "ssm.yaml"
    before = curation.read_text("utf-8")
    days = [datetime.datetime.now(datetime.timezone.utc).date().isoformat()]
    with ArxivServer() as server:
        done = sitegen(content, "add", "https://arxiv.org/abs/2401.13660v1", "--theme", "ssm", server=server)
    days.append(datetime.datetime.now(datetime.timezone.utc).date().isoformat())
    assert done.returncode == 0, done.stderr
    paper_id = "mambabyte-token-free-selective-state-space-model"
    assert done.stdout == f"added arXiv:2401.13660 as {paper_id!r}, placed at the end of content/curation/ssm.yaml\n"
    assert curation.read_text("utf-8") in [before + f"  - id: {paper_id}\n    added: {day}\n" for day in days], \
        "appended with the day it joins the list"
    line = records(content)[paper_id]
    assert line["added"] is True and line["abstract"].startswith("Token-free language models")
    papers = json.loads(sitegen(content, "papers", "--json", check=True).stdout)
    added = next(paper for paper in papers if paper["id"] == paper_id)
    assert added["themes"] == ["ssm"] and added["author_names"][0] == "Junxiong Wang"
    assert added["sources"] == ["content/records/arxiv.jsonl:1"]
    assert sitegen(content, "check").returncode == 0


def test_add_without_a_theme_lists_the_paper_uncurated(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        sitegen(content, "add", "2401.13660", server=server, check=True)
    papers = json.loads(sitegen(content, "papers", "--json", check=True).stdout)
    assert [p["themes"] for p in papers if p["arxiv"] == "2401.13660"] == [[]]


def test_a_paper_already_listed_is_not_added_twice(tmp_path):
    content = project(tmp_path)
    with ArxivServer() as server:
        done = sitegen(content, "add", f"arXiv:{MAMBA}", server=server, check=True)
    assert done.stdout == (f"arXiv:{MAMBA} is already in the list as "
                           "'mamba-linear-time-sequence-modeling-with-selective-state-spaces'; not added again\n")
    papers = json.loads(sitegen(content, "papers", "--json", check=True).stdout)
    assert len(papers) == 5


@pytest.mark.parametrize("args, message", [
    (["2401.136"], "'2401.136' is not an arXiv id"),
    (["2501.99999"], "arXiv does not know the id 2501.99999"),
    (["2401.13660", "--theme", "sm"], "'sm' is not a theme of the list (did you mean 'ssm'?"),
])
def test_a_bad_id_or_theme_is_one_line_and_changes_nothing(tmp_path, args, message):
    content = project(tmp_path)
    before = {path: path.read_bytes() for path in content.rglob("*") if path.is_file()}
    with ArxivServer() as server:
        done = sitegen(content, "add", *args, server=server)
    assert done.returncode == 1 and message in done.stderr and done.stderr.count("\n") == 1
    assert {path: path.read_bytes() for path in content.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("given, arxiv", [
    ("2501.12948", "2501.12948"), ("2501.12948v2", "2501.12948"), ("arXiv:2312.00752", "2312.00752"),
    ("https://arxiv.org/abs/2312.00752v1", "2312.00752"), ("https://arxiv.org/pdf/2312.00752v2.pdf", "2312.00752"),
    ("arxiv.org/abs/hep-th/9901001", "hep-th/9901001"), ("2312.007", None), ("0704.0001", "0704.0001"), ("https://example.com/2312.00752", None),
])
def test_ids_are_read_from_what_a_curator_pastes(given, arxiv):
    assert parse_arxiv_id(given) == arxiv


# The curation decides.

def test_a_curator_can_say_a_paper_is_not_on_arxiv(tmp_path):
    content = project(tmp_path)
    curation = content / "curation" / "ssm.yaml"
    curation.write_text(curation.read_text("utf-8").replace(
        "  - id: a-large-scale-exploration-of-mu-transfer\n",
        "  - id: a-large-scale-exploration-of-mu-transfer\n    arxiv: no\n"), encoding="utf-8")
    with ArxivServer() as server:
        sitegen(content, "resolve", server=server, check=True)
    assert "a-large-scale-exploration-of-mu-transfer" not in records(content)
