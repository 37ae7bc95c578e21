"""A local HTTP server that speaks the arXiv API, as its user manual describes it, over fixtures.

`GET /api/query` takes `search_query` (fields ti, au, abs, all, id and cat; AND, OR, ANDNOT,
parentheses, quoted phrases; juxtaposed terms are OR-ed, as Lucene does), `id_list` (comma
separated, versions allowed; with a search_query, the answer is the intersection), `start` and
`max_results`. It answers an Atom 1.0 feed with the OpenSearch and arXiv extensions, titles and
abstracts folded over lines as arXiv folds them, an error entry for a malformed id, and no
entry for an id it does not know. `faults` scripts answers for the next requests (a status with
a Retry-After, a body), and `requests` records what was asked, when, and by whom.
"""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv.json"
NEW_ID = re.compile(r"\d{4}\.\d{4,5}")
OLD_ID = re.compile(r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}")
_TOKEN = re.compile(r'\(|\)|ANDNOT\b|AND\b|OR\b|[a-z]+:"[^"]*"|[a-z]+:[^\s()]+')


@dataclass
class Fault:
    """One scripted answer: a status (with Retry-After) or a body of the given content type.

    `Fault()` is arXiv's own answer: a script can let some requests through before a fault.
    """

    status: int = 200
    body: bytes | None = None
    content_type: str = "application/atom+xml; charset=utf-8"
    retry_after: str | None = None


@dataclass
class Asked:
    at: float
    query: dict[str, str]
    user_agent: str


@dataclass
class ArxivState:
    papers: list[dict] = field(default_factory=lambda: json.loads(FIXTURES.read_text(encoding="utf-8")))
    faults: list[Fault] = field(default_factory=list)
    requests: list[Asked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def words(text: str) -> list[str]:
    text = re.sub(r"\\[a-zA-Z]+|[${}]", " ", text).lower()
    return re.findall(r"[a-z0-9]+", text)


def _field_words(paper: dict, name: str) -> list[str]:
    if name == "ti":
        return words(paper["title"])
    if name == "au":
        return words(" ".join(paper["authors"]))
    if name == "abs":
        return words(paper["abstract"])
    if name == "cat":
        return [c.lower() for c in paper["categories"]]
    if name == "id":
        return [paper["id"]]
    return words(" ".join([paper["title"], paper["abstract"], *paper["authors"], paper.get("comment", "")]))


def _term_matches(paper: dict, term: str) -> bool:
    name, _, value = term.partition(":")
    if name == "id":
        return paper["id"] == re.sub(r"v\d+$", "", value.strip('"'))
    if name == "cat":
        return value.strip('"').lower() in _field_words(paper, name)
    wanted = words(value.replace("_", " "))
    have = _field_words(paper, name)
    if value.startswith('"'):
        return any(have[i:i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1)) if wanted else False
    return all(word in have for word in wanted) if wanted else False


class QueryError(ValueError):
    pass


def parse_query(query: str):  # noqa: ANN201 (a small recursive-descent parser: returns a predicate)
    tokens = _TOKEN.findall(query)
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", query):
        raise QueryError(f"cannot parse {query!r}")
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def primary():  # noqa: ANN202
        token = peek()
        if token is None:
            raise QueryError("the query ends too soon")
        if token == "(":
            take()
            inner = expression()
            if take() != ")":
                raise QueryError("unbalanced parentheses")
            return inner
        if token in ("AND", "OR", "ANDNOT", ")"):
            raise QueryError(f"unexpected {token}")
        term = take()
        return lambda paper: _term_matches(paper, term)

    def conjunction():  # noqa: ANN202
        left = primary()
        while peek() in ("AND", "ANDNOT"):
            operator, right = take(), primary()
            left = (lambda a, b: lambda p: a(p) and b(p))(left, right) if operator == "AND" else \
                (lambda a, b: lambda p: a(p) and not b(p))(left, right)
        return left

    def expression():  # noqa: ANN202
        left = conjunction()
        while peek() not in (None, ")"):
            if peek() == "OR":
                take()
            right = conjunction()
            left = (lambda a, b: lambda p: a(p) or b(p))(left, right)
        return left

    found = expression()
    if peek() is not None:
        raise QueryError("unbalanced parentheses")
    return found


def _fold(text: str, width: int = 60) -> str:
    return "\n  ".join(textwrap.wrap(" ".join(text.split()), width)) or ""


def _entry(paper: dict) -> str:
    latest = paper["version"]
    authors = "".join(f"    <author>\n      <name>{escape(name)}</name>\n    </author>\n" for name in paper["authors"])
    extra = ""
    if paper.get("doi"):
        extra += f"    <arxiv:doi>{escape(paper['doi'])}</arxiv:doi>\n"
        extra += f'    <link title="doi" href="https://doi.org/{escape(paper["doi"])}" rel="related"/>\n'
    if paper.get("journal_ref"):
        extra += f"    <arxiv:journal_ref>{escape(paper['journal_ref'])}</arxiv:journal_ref>\n"
    if paper.get("comment"):
        extra += f"    <arxiv:comment>{escape(paper['comment'])}</arxiv:comment>\n"
    categories = "".join(f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>\n'
                         for c in paper["categories"])
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{paper['id']}v{latest}</id>\n"
        f"    <updated>{paper['updated']}T17:59:52Z</updated>\n"
        f"    <published>{paper['published']}T18:59:16Z</published>\n"
        f"    <title>{escape(_fold(paper['title']))}</title>\n"
        f"    <summary>  {escape(_fold(paper['abstract'], 80))}\n</summary>\n"
        f"{authors}{extra}"
        f'    <link href="http://arxiv.org/abs/{paper["id"]}v{latest}" rel="alternate" type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{paper["id"]}v{latest}" rel="related" type="application/pdf"/>\n'
        f'    <arxiv:primary_category term={quoteattr(paper["categories"][0])} scheme="http://arxiv.org/schemas/atom"/>\n'
        f"{categories}"
        "  </entry>\n"
    )


def _error_entry(message: str) -> str:
    return (
        "  <entry>\n    <id>http://arxiv.org/api/errors#incorrect_id_format</id>\n    <title>Error</title>\n"
        f"    <summary>{escape(message)}</summary>\n    <updated>2026-12-02T00:00:00-05:00</updated>\n"
        '    <link href="http://arxiv.org/api/errors#incorrect_id_format" rel="alternate" type="text/html"/>\n'
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n"
    )


def feed(query_string: str, entries: list[str], total: int, start: int, per_page: int) -> bytes:
    link = escape(f"http://arxiv.org/api/query?{query_string}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
        f'  <link href="{link}" rel="self" type="application/atom+xml"/>\n'
        f'  <title type="html">ArXiv Query: {link}</title>\n'
        "  <id>http://arxiv.org/api/local-fixtures</id>\n  <updated>2026-12-02T00:00:00-05:00</updated>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        + "".join(entries) + "</feed>\n"
    ).encode("utf-8")


def answer(state: ArxivState, query_string: str) -> tuple[int, bytes]:
    query = {key: values[-1] for key, values in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}
    start = int(query.get("start", "0") or 0)
    per_page = int(query.get("max_results", "10") or 10)
    chosen = state.papers
    if query.get("id_list"):
        ids = [re.sub(r"v\d+$", "", each.strip()) for each in query["id_list"].split(",") if each.strip()]
        bad = [each for each in ids if not (NEW_ID.fullmatch(each) or OLD_ID.fullmatch(each))]
        if bad:
            return 200, feed(query_string, [_error_entry(f"incorrect id format for {bad[0]}")], 1, 0, 1)
        by_id = {paper["id"]: paper for paper in state.papers}
        chosen = [by_id[each] for each in ids if each in by_id]
    if query.get("search_query"):
        try:
            predicate = parse_query(query["search_query"])
        except QueryError as error:
            return 200, feed(query_string, [_error_entry(f"malformed query: {error}")], 1, 0, 1)
        chosen = [paper for paper in chosen if predicate(paper)]
    elif not query.get("id_list"):
        return 200, feed(query_string, [], 0, start, per_page)
    page = chosen[start:start + per_page]
    return 200, feed(query_string, [_entry(paper) for paper in page], len(chosen), start, len(page))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        state = self.server.state
        parts = urllib.parse.urlsplit(self.path)
        with state.lock:
            state.requests.append(Asked(time.monotonic(), dict(urllib.parse.parse_qsl(parts.query)),
                                        self.headers.get("User-Agent", "")))
            fault = state.faults.pop(0) if state.faults else None
        if parts.path != "/api/query":
            self._send(404, b"<html><body>Not found</body></html>", "text/html")
            return
        if fault is not None and (fault.body is not None or fault.status != 200):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(fault.status, fault.body if fault.body is not None else b"", fault.content_type, headers)
            return
        status, body = answer(state, parts.query)
        self._send(status, body, "application/atom+xml; charset=utf-8")

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
        pass


class _Server(ThreadingHTTPServer):
    state: ArxivState


@dataclass
class ArxivServer:
    """A running local arXiv API: `endpoint` is its query URL."""

    state: ArxivState = field(default_factory=ArxivState)
    server: _Server | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/query"

    def __enter__(self) -> ArxivServer:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.state = self.state
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":  # serve the fixtures by hand: python tests/arxiv_server.py
    with ArxivServer() as running:
        print(f"SITEGEN_ARXIV_API={running.endpoint}", flush=True)
        threading.Event().wait()
