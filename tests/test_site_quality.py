"""The published site, as a crawler, a validator and a reader's phone see it (no browser here)."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from .conftest import REPO
from .site_quality import SUBPATH, parse_page

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGE_BUDGET = 15 * 1024  # a paper page with its CSS, gzipped


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, b"", ""


def test_every_link_and_asset_resolves_when_served_from_a_subpath(published):
    """Follow every href and src from the home page; none may be broken or leave the subpath."""
    start = published.url
    queue, seen, broken, external = deque([(start, "(start)")]), {start}, [], set()
    pages = 0
    while queue:
        url, linked_from = queue.popleft()
        status, body, kind = fetch(url)
        if status != 200:
            broken.append(f"{url} ({status}), linked from {linked_from}")
            continue
        if "text/html" not in kind:
            continue
        pages += 1
        for attribute, href in parse_page(body.decode("utf-8")).links:
            target = urldefrag(urljoin(url, href)).url
            scheme = urlsplit(target).scheme
            if scheme not in ("http", "https", "mailto"):
                broken.append(f"{href!r} ({attribute}) is not an http(s) link, on {url}")
            elif not target.startswith(published.origin):
                external.add(target)
            elif not urlsplit(target).path.startswith(SUBPATH):
                broken.append(f"{href!r} leaves {SUBPATH}, on {url}")
            elif target not in seen:
                seen.add(target)
                queue.append((target, url))
    assert broken == []
    built = {page for page in published.pages() if page.name != "404.html"}
    assert pages == len(built), "some pages are not linked from anywhere"
    assert external, "no external links at all: the crawler is not reading the pages"


def test_every_page_has_a_language_a_title_one_h1_and_a_strict_content_security_policy(published):
    problems = []
    for path in published.pages():
        text = path.read_text(encoding="utf-8")
        page = parse_page(text)
        name = path.relative_to(published.folder).as_posix()
        csp = next((attrs.get("content") or "" for tag, attrs in page.tags
                    if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"), "")
        if not re.search(r"<html lang=\"en\">", text):
            problems.append(f"{name}: no lang")
        if not page.title.strip():
            problems.append(f"{name}: no title")
        if page.h1 != 1:
            problems.append(f"{name}: {page.h1} h1 elements")
        if "script-src 'self'" not in csp or "unsafe-inline" in csp or "default-src 'self'" not in csp:
            problems.append(f"{name}: weak or missing Content-Security-Policy {csp!r}")
        if page.scripts_inline:
            problems.append(f"{name}: inline script")
        for tag, attributes in page.tags:
            handlers = [name for name in attributes if name.startswith("on")]
            if handlers or "style" in attributes:
                problems.append(f"{name}: <{tag}> has {handlers or 'a style attribute'}")
            if tag in ("script", "link", "img", "iframe", "source") and re.match(
                    r"(https?:)?//", attributes.get("src") or (attributes.get("href") if tag == "link" and
                                                                 attributes.get("rel") != "canonical" else "") or ""):
                problems.append(f"{name}: <{tag}> loads from another origin")
    assert problems == []


def test_no_web_fonts_cdn_or_analytics(published):
    for path in sorted(published.folder.rglob("*")):
        if path.suffix in (".css", ".js", ".html"):
            text = path.read_text(encoding="utf-8")
            assert "@font-face" not in text and "@import" not in text, path
            assert not re.search(r"googleapis|gstatic|cdn\.|jsdelivr|unpkg|analytics|gtag\(", text), path


def test_a_paper_page_with_its_css_is_under_15_kb_gzipped(published):
    pages = sorted((published.folder / "papers").glob("*/index.html"), key=lambda p: p.stat().st_size)
    largest = pages[-1]
    css = b"".join(path.read_bytes() for path in sorted((published.folder / "assets").glob("*.css")))
    js = [published.folder / src.removeprefix(SUBPATH)
          for attribute, src in parse_page(largest.read_text(encoding="utf-8")).links if attribute == "script.src"]
    weight = sum(len(gzip.compress(data, 9)) for data in [largest.read_bytes(), css, *(p.read_bytes() for p in js)])
    assert weight < PAGE_BUDGET, f"{largest.parent.name}: {weight} bytes gzipped"


def test_the_nu_html_checker_finds_no_error_on_any_page(published):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        reason = "HTML VALIDATION NOT RUN: needs Java (apt-get install default-jre-headless) and npm's vnu-jar (make test)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    done = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html",
                           str(published.folder)], capture_output=True, text=True, timeout=600, check=False)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    errors = [f"{m.get('url', '').rsplit(str(published.folder), 1)[-1]}:{m.get('lastLine')}: {m['message']}"
              for m in messages]
    assert errors == []
    assert len(list(published.pages())) > 600, "the checker saw too few pages"
