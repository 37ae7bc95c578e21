"""`sitegen build`, driven as a user drives it: settings, options, determinism, atomicity."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sitegen.cli import main

from .conftest import TEMPLATES
from .site_fixtures import SITE_YAML, write_content


def build(capsys, content: Path, out: Path, *options: str) -> tuple[int, str, str]:
    code = main(["build", "--content", str(content), "--templates", str(TEMPLATES), "--out", str(out), *options])
    printed, errors = capsys.readouterr()
    return code, printed, errors


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_content(tmp_path / "content")


def test_build_writes_pages_feeds_and_assets_and_prints_a_summary(tmp_path, content, capsys):
    code, printed, errors = build(capsys, content, tmp_path / "site")
    assert code == 0, errors
    assert re.fullmatch(
        r"Built 11 pages \(31 files, all written\) from 4 papers, 0 themes and 0 tags in \d+\.\d\d s into .*/site/\n", printed
    ), printed
    files = tree(tmp_path / "site")
    for name in ["index.html", "404.html", "about/index.html", "search/index.html", "papers/index.html", "map/index.html",
                 "tags/index.html", "feed.xml", "sitemap.xml", ".nojekyll", "papers.json",
                 "assets/site.css", "assets/site.js", "assets/search.js", "assets/lunr.min.js",
                 "search/index.json"]:
        assert name in files, name
    assert "CNAME" not in files and "robots.txt" not in files, "served under /repo/: no robots.txt"
    assert sum(1 for name in files if re.fullmatch(r"papers/[^/]+/index.html", name)) == 4


def test_a_build_without_npms_lunr_says_how_to_install_it(tmp_path, content, capsys, monkeypatch):
    templates = tmp_path / "elsewhere" / "templates"
    shutil.copytree(TEMPLATES, templates)
    monkeypatch.setattr("sitegen.render.templates.SITEGEN_ROOT", tmp_path / "no-npm-packages-here")
    code = main(["build", "--content", str(content), "--templates", str(templates), "--out", str(tmp_path / "site")])
    errors = capsys.readouterr().err
    assert code == 1
    assert errors == ("node_modules/lunr/lunr.min.js: error: lunr.js 2.3.9, which the search page loads, "
                      "is not installed (run npm ci in the repository; make site does it)\n")
    assert not (tmp_path / "site").exists()


def test_papers_json_is_what_sitegen_papers_json_prints(tmp_path, content, capsys):
    build(capsys, content, tmp_path / "site")
    assert main(["papers", "--json", "--content", str(content)]) == 0
    assert (tmp_path / "site" / "papers.json").read_text(encoding="utf-8") == capsys.readouterr().out


def test_the_base_url_of_the_settings_is_used_and_base_url_overrides_it(tmp_path, content, capsys):
    build(capsys, content, tmp_path / "a")
    home = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://user.github.io/repo/">' in home
    assert 'href="/repo/assets/site.css"' in home
    code, _, errors = build(capsys, content, tmp_path / "b", "--base-url", "https://papers.example.org")
    assert code == 0, errors
    home = (tmp_path / "b" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://papers.example.org/">' in home
    assert 'href="/assets/site.css"' in home and "/repo/" not in home
    assert b"<loc>https://papers.example.org/about/</loc>" in (tmp_path / "b" / "sitemap.xml").read_bytes()


def test_a_bad_base_url_option_is_one_line(tmp_path, content, capsys):
    code, _, errors = build(capsys, content, tmp_path / "site", "--base-url", "/repo/")
    assert code == 1
    assert errors == (
        "--base-url: error: the base URL '/repo/' is not an http(s) URL of a folder "
        "(write it like https://user.github.io/repo/)\n"
    )


def test_a_domain_in_the_settings_writes_cname(tmp_path, capsys):
    content = write_content(tmp_path / "content", SITE_YAML + "domain: papers.example.org\n")
    build(capsys, content, tmp_path / "site")
    assert (tmp_path / "site" / "CNAME").read_text() == "papers.example.org\n"


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path, content, capsys):
    build(capsys, content, tmp_path / "one")
    build(capsys, content, tmp_path / "two")
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_markdown_writes_the_document_of_every_page(tmp_path, content, capsys):
    code, _, errors = build(capsys, content, tmp_path / "site", "--markdown", str(tmp_path / "md"))
    assert code == 0, errors
    documents = tree(tmp_path / "md")
    assert "index.md" in documents and "about/index.md" in documents and "tags/index.md" in documents
    alpha = documents["papers/alpha-attention-is-enough/index.md"].decode()
    assert alpha.startswith("# Alpha Attention Is Enough\n\nAug 9, 2024 · 4 authors · 12 upvotes\n\n"
                            "[Code](https://github.com/a/alpha)\n\n## Abstract\n")
    hostile = next(text.decode() for name, text in documents.items() if "friends" in name)
    assert hostile.startswith("# &lt;script&gt;alert('title')&lt;/script&gt; &amp; Friends\n")
    # The abstract is a raw HTML block of escaped text: Markdown leaves it, and its readers, as text.
    assert "*stars* and [a](javascript:alert(2))" in hostile.split("## Abstract\n\n<p>", 1)[1].split("</p>", 1)[0]


def test_markdown_after_a_build_writes_every_document_a_fresh_build_writes(tmp_path, content, capsys):
    assert build(capsys, content, tmp_path / "site")[0] == 0
    code, _, errors = build(capsys, content, tmp_path / "site", "--markdown", str(tmp_path / "md"))
    assert code == 0, errors
    assert build(capsys, content, tmp_path / "again", "--fresh", "--markdown", str(tmp_path / "md-again"))[0] == 0
    assert tree(tmp_path / "md") == tree(tmp_path / "md-again")
    assert "papers/alpha-attention-is-enough/index.md" in tree(tmp_path / "md")


def test_markdown_refuses_a_folder_with_other_files(tmp_path, content, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    code, _, errors = build(capsys, content, tmp_path / "site", "--markdown", str(folder))
    assert code == 1
    assert errors.endswith(
        "notes: error: the folder holds files sitegen did not write (keep.txt), so it is not replaced "
        "(pass --markdown a new or empty folder, or add --force to replace it and delete those files)\n"
    )
    assert (folder / "keep.txt").read_text() == "mine"


def test_every_problem_of_the_settings_is_reported_at_once_with_its_place(tmp_path, capsys):
    settings = "title: T\ndescription: D\nauthor: A\nbase_url: ftp://x/\nrepo: https://github.com/u/r\n"
    content = write_content(tmp_path / "content", settings)
    code, _, errors = build(capsys, content, tmp_path / "site")
    assert code == 1
    where = (content / "site.yaml").as_posix()
    assert errors.splitlines() == [
        f"{where}:1:1: error: the key 'repository' is missing",
        f"{where}:4:11: error: the base URL 'ftp://x/' is not an http(s) URL of a folder "
        "(write it like https://user.github.io/repo/)",
        f"{where}:5:1: error: unknown key 'repo' (the keys are title, description, author, base_url, "
        "repository, domain, branch)",
    ]


def test_broken_yaml_in_the_settings_is_one_line(tmp_path, capsys):
    content = write_content(tmp_path / "content", "title: [unclosed\n")
    code, _, errors = build(capsys, content, tmp_path / "site")
    assert code == 1
    # The unclosed bracket itself (line 1, column 8) is what to fix, not the end of the file.
    assert re.fullmatch(r".*site\.yaml:1:8: error: invalid YAML: .*close it with .\]. .*\n", errors), errors


def test_a_free_page_without_a_title_is_an_error(tmp_path, content, capsys):
    (content / "pages" / "faq.md").write_text("No heading here.\n")
    code, _, errors = build(capsys, content, tmp_path / "site")
    assert code == 1
    assert errors.endswith(
        "faq.md:1:1: error: a page must start with its title as a '# ' heading (write '# About' on the first line)\n"
    )


def test_a_failed_build_leaves_the_previous_site_and_no_temporary_folder(tmp_path, content, capsys):
    assert build(capsys, content, tmp_path / "site")[0] == 0
    before = tree(tmp_path / "site")
    (content / "site.yaml").write_text("title: x\n")
    (content / "sources" / "002_bad.txt").write_bytes(b"Title\n\xff\n")
    code, _, errors = build(capsys, content, tmp_path / "site")
    assert code == 1
    assert "not UTF-8" in errors and "the key 'author' is missing" in errors, "problems are collected"
    assert tree(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sitegen-cache", "content", "site"]


def test_a_template_failing_halfway_through_the_pages_leaves_the_previous_site(tmp_path, content, capsys):
    # Pages are rendered as they are written: some are staged before the broken one fails.
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    out = tmp_path / "site"
    assert main(["build", "--content", str(content), "--templates", str(templates), "--out", str(out)]) == 0
    before = tree(out)
    base = templates / "base.html"  # every page changes, so the first ones are written to staging
    base.write_text(base.read_text().replace("</footer>", "<!-- edited --></footer>", 1))
    paper = templates / "paper.html"
    paper.write_text(paper.read_text().replace("{% block main %}", "{% block main %}{{ no_such_value }}", 1))
    code = main(["build", "--content", str(content), "--templates", str(templates), "--out", str(out)])
    errors = capsys.readouterr().err
    assert code == 1
    assert "paper.html" in errors and "no_such_value" in errors
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sitegen-cache", "content", "site", "templates"]


def test_templates_without_a_map_page_build_a_site_without_a_map(tmp_path, content, capsys):
    assert build(capsys, content, tmp_path / "site")[0] == 0
    assert (tmp_path / "site" / "map" / "index.html").is_file()
    assert 'href="/repo/map/"' in (tmp_path / "site" / "index.html").read_text()
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    (templates / "map.html").unlink()
    assert main(["build", "--content", str(content), "--templates", str(templates), "--out",
                 str(tmp_path / "mapless")]) == 0
    assert not (tmp_path / "mapless" / "map").exists()
    assert 'href="/repo/map/"' not in (tmp_path / "mapless" / "index.html").read_text()


def test_a_base_url_with_quotes_parentheses_spaces_and_accents_gives_links_that_work(tmp_path, content, capsys):
    code, _, errors = build(capsys, content, tmp_path / "site", "--base-url", 'https://example.org/l)st "café" x/')
    assert code == 0, errors
    base = "/l%29st%20%22caf%C3%A9%22%20x/"
    for page in (tmp_path / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for link in re.findall(r'(?:href|src)="([^"]*)"', html):
            assert link.startswith((base, "https://", "#", "mailto:")), (page, link)
            if link.startswith(base):
                target = tmp_path / "site" / link[len(base):].split("#")[0].split("?")[0]
                assert target.exists() or (target / "index.html").exists(), (page, link)
    feed = (tmp_path / "site" / "feed.xml").read_text(encoding="utf-8")
    assert f"https://example.org{base}feed.xml" in feed
