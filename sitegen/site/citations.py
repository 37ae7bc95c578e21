"""Citations of the papers: BibTeX, CSL-JSON, short author lines and metadata for machines.

BibTeX follows what arXiv's own export and the biblatex manual expect of a preprint: `@misc`
(`@article` with a journal reference) with `eprint`, `archivePrefix = {arXiv}` and
`primaryClass`. Text is escaped with pylatexenc's Unicode-to-LaTeX table, so that `&`, `%`,
`_` and accents survive LaTeX; titles are double-braced to keep their capitals. Keys are
readable and stable (`gu2023mamba`): a key two papers would share gets the paper's id hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sitegen.model import Paper

STOP_WORDS = frozenset(["a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "via", "from", "by", "is", "are", "at", "as", "towards", "toward"])
SHORT_AUTHORS = 2  # "Gu, Dao"; three or more: "Liu et al."
FOLD_AUTHORS = 10
_WORDS = re.compile(r"[\s:,.;!?()/-]+")


def family_name(name: str) -> str:
    """Return an author's family name as arXiv writes names ("Given Family"): the last word."""
    words = name.replace(",", " ").split()
    return words[-1] if words else name


def split_name(name: str) -> tuple[str, str]:
    """Return (family, given) of "Given Family"."""
    words = name.split()
    return (words[-1], " ".join(words[:-1])) if len(words) > 1 else (name, "")


def short_authors(paper: Paper) -> str:
    """Return the first authors as lists show them: "Gu, Dao", "Liu et al.", or ""."""
    names = paper.author_names
    if not names:
        return ""
    if len(names) <= SHORT_AUTHORS:
        return ", ".join(family_name(name) for name in names)
    return f"{family_name(names[0])} et al."


@functools.lru_cache(maxsize=65536)
def _ascii_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text.casefold() if char.isascii() and char.isalnum())


def base_key(paper: Paper) -> str:
    """Return the readable part of a BibTeX key: family name, year, first significant title word."""
    family = _ascii_word(family_name(paper.author_names[0])) if paper.author_names else ""
    words = (_ascii_word(word) for word in _WORDS.split(paper.title))
    word = next((w for w in words if w and w not in STOP_WORDS), "paper")
    return f"{family or 'anon'}{paper.year or 'nd'}{word}"


def citation_keys(papers: Iterable[Paper]) -> dict[str, str]:
    """Return each paper's BibTeX key: its base key, or with its id's hash where two share one.

    A paper keeps its key when others are added, unless one comes to share it; then both
    take their hash, as would any two papers whose keys are the same.
    """
    bases = {paper.id: base_key(paper) for paper in papers}
    count = Counter(bases.values())
    keys: dict[str, str] = {}
    taken = {key for key, seen in count.items() if seen == 1}
    for paper_id, key in sorted(bases.items()):
        if count[key] == 1:
            keys[paper_id] = key
            continue
        digest, length = hashlib.sha1(paper_id.encode()).hexdigest(), 4
        while f"{key}-{digest[:length]}" in taken:
            length += 2
        keys[paper_id] = f"{key}-{digest[:length]}"
        taken.add(keys[paper_id])
    return keys


@functools.cache
def _encoder() -> Any:
    from pylatexenc.latexencode import UnicodeToLatexEncoder

    return UnicodeToLatexEncoder(non_ascii_only=False, replacement_latex_protection="braces-all",
                                 unknown_char_policy="keep")


@functools.lru_cache(maxsize=65536)
def latex(text: str) -> str:
    """Return text as LaTeX reads it back: specials and non-ASCII letters escaped."""
    return str(_encoder().unicode_to_latex(" ".join(text.split())))


def bibtex_fields(paper: Paper, url: str) -> tuple[str, list[tuple[str, str]]]:
    """Return the entry type and the fields (name, raw BibTeX value inside the braces) of a paper."""
    record = paper.record
    fields = [("title", "{" + latex(paper.title) + "}")]
    if paper.author_names:
        fields.append(("author", " and ".join(
            latex(family) + (", " + latex(given) if given else "") for family, given in map(split_name, paper.author_names))))
    if paper.year:
        fields.append(("year", paper.year))
    entry_type = "misc"
    if record is not None:
        if record.journal_ref:
            entry_type = "article"
            fields.append(("journal", latex(record.journal_ref)))
        fields += [("eprint", record.arxiv), ("archivePrefix", "arXiv")]
        if record.primary_category:
            fields.append(("primaryClass", record.primary_category))
        if record.doi:
            fields.append(("doi", record.doi))
        fields.append(("url", record.abs_url))
    else:
        fields.append(("url", url))
    return entry_type, fields


@functools.lru_cache(maxsize=200_000)  # every page, .bib and rebuild under serve asks again
def bibtex_entry(paper: Paper, key: str, url: str) -> str:
    """Return a paper's BibTeX entry, one field per line, ending in a newline."""
    entry_type, fields = bibtex_fields(paper, url)
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}}}\n"


def bibtex_file(papers: Iterable[Paper], keys: dict[str, str], url_of: Any) -> bytes:
    """Return a .bib of papers, entries sorted by key, separated by a blank line."""
    entries = sorted(((keys[paper.id], paper) for paper in papers), key=lambda entry: entry[0])
    return "\n".join(bibtex_entry(paper, key, url_of(paper)) for key, paper in entries).encode("utf-8")


def csl_item(paper: Paper, key: str, url: str) -> dict[str, Any]:
    """Return a paper as CSL-JSON (what Zotero, Pandoc and citeproc read), as Zotero exports a preprint."""
    item: dict[str, Any] = {"id": key, "type": "article", "title": paper.title}
    if paper.author_names:
        item["author"] = [{"family": family, "given": given} if given else {"literal": family}
                          for family, given in map(split_name, paper.author_names)]
    date = paper.record.published if paper.record else paper.published
    if date and paper.year:
        item["issued"] = {"date-parts": [[int(part) for part in date.split("-") if part]]}
    record = paper.record
    if record is not None:
        item.update({"publisher": "arXiv", "number": f"arXiv:{record.arxiv}", "URL": record.abs_url})
        if record.doi:
            item["DOI"] = record.doi
        if record.journal_ref:
            item["container-title"] = record.journal_ref
    else:
        item["URL"] = url
    item["abstract"] = paper.abstract
    return item


def csl_json(papers: Iterable[Paper], keys: dict[str, str], url_of: Any) -> bytes:
    """Return the papers as one CSL-JSON array, as `json.dumps(items, indent=2)` writes it.

    Each item is serialised alone and indented (a JSON string holds no raw line break), so
    the whole list of items is never held as Python objects and text at once.
    """
    items = [json.dumps(csl_item(paper, keys[paper.id], url_of(paper)), ensure_ascii=False, indent=2)
             .replace("\n", "\n  ").encode("utf-8") for paper in sorted(papers, key=lambda p: keys[p.id])]
    return b"[\n  " + b",\n  ".join(items) + b"\n]\n" if items else b"[]\n"


@functools.lru_cache(maxsize=4096)  # a build asks once per paper page; serve, again for the pages an edit makes
def json_ld(paper: Paper, url: str, site_title: str, site_url: str, tags: tuple[str, ...]) -> str:
    """Return a schema.org ScholarlyArticle as JSON safe inside an HTML data block."""
    value: dict[str, Any] = {"@context": "https://schema.org", "@type": "ScholarlyArticle",
                             "headline": paper.title[:110], "name": paper.title, "url": url,
                             "abstract": paper.abstract}
    if paper.author_names:
        value["author"] = [{"@type": "Person", "name": name} for name in paper.author_names]
    if paper.published and paper.year:
        value["datePublished"] = paper.published
    if paper.record is not None:
        value["sameAs"] = paper.record.abs_url
        value["identifier"] = {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.record.arxiv}
        value["encoding"] = {"@type": "MediaObject", "encodingFormat": "application/pdf",
                             "contentUrl": paper.record.pdf_url}
    if tags:
        value["keywords"] = list(tags)
    value["isPartOf"] = {"@type": "WebSite", "name": site_title, "url": site_url}
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # Inside <script>, "</script" or "<!--" would end or change the block: escape < > & as JSON allows.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.lru_cache(maxsize=200_000)
def highwire(paper: Paper) -> tuple[tuple[str, str], ...]:
    """Return the citation_* meta tags (name, content) that Google Scholar and Zotero read."""
    tags = [("citation_title", paper.title)]
    tags += [("citation_author", name) for name in paper.author_names]
    if paper.published and paper.year:
        tags.append(("citation_publication_date", paper.published.replace("-", "/")))
    record = paper.record
    if record is not None:
        tags += [("citation_arxiv_id", record.arxiv), ("citation_pdf_url", record.pdf_url)]
        if record.doi:
            tags.append(("citation_doi", record.doi))
        if record.journal_ref:
            tags.append(("citation_journal_title", record.journal_ref))
    return tuple(tags)
