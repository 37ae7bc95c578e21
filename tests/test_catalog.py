"""Merging listings into papers: totals, stable ids, duplicates, links."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from sitegen.read.catalog import find_links, load_catalog, merge_entries, slugify, title_key
from sitegen.read.listings import parse_listing
from sitegen.model import Entry, Link

from .conftest import CONTENT, SEEDS, files_for


def entry(title: str, **fields) -> Entry:
    values = dict(abstract="Text.", authors=None, published=None, upvotes=None, path="a.txt", line=1)
    values.update(fields)
    return Entry(title=title, **values)


def test_the_seeds_hold_597_entries_and_550_papers_with_no_warnings():
    catalog, warnings = load_catalog(files_for(CONTENT), SEEDS)
    assert catalog.entry_count == 597
    assert len(catalog.papers) == 550
    assert warnings == []
    assert sum(len(paper.sources) for paper in catalog.papers) == 597
    assert len({paper.id for paper in catalog.papers}) == 550


def test_no_seed_entry_is_lost_split_or_merged_with_another():
    catalog, _ = load_catalog(files_for(CONTENT), SEEDS)
    titles = {title_key(e.title) for path in SEEDS for e in parse_listing(str(path), path.read_bytes())}
    assert {title_key(p.title) for p in catalog.papers} == titles


def _ids_of(paths: list[Path]) -> dict[str, str]:
    catalog, _ = load_catalog(files_for(paths[0].parent), paths)
    return {title_key(p.title): p.id for p in catalog.papers}


def test_ids_do_not_depend_on_the_order_or_number_of_source_files(tmp_path):
    expected = _ids_of(SEEDS)
    # Split every listing into single-entry files, shuffled, under other names.
    pieces = []
    for path in SEEDS:
        for e in parse_listing(str(path), path.read_bytes()):
            pieces.append(f"{e.title}\n{e.abstract}\n")
    random.Random(7).shuffle(pieces)
    split = []
    for index, chunk in enumerate(pieces[i : i + 37] for i in range(0, len(pieces), 37)):
        target = tmp_path / f"{index:03d}.txt"
        target.write_text("".join(chunk), encoding="utf-8")
        split.append(target)
    assert _ids_of(split) == expected
    assert _ids_of(list(reversed(SEEDS))) == expected


def test_ids_are_readable_slugs_of_the_title():
    assert slugify("Mamba: Linear-Time Sequence Modeling") == "mamba-linear-time-sequence-modeling"
    assert slugify("μP and Brauer's Group — Schrödinger") == "mup-and-brauers-group-schrodinger"
    papers, _ = merge_entries([entry("LoRA: Low-Rank Adaptation of Large Language Models")])
    assert papers[0].id == "lora-low-rank-adaptation-of-large-language-models"


def test_long_titles_give_ids_of_at_most_80_characters_cut_at_a_word():
    papers, _ = merge_entries([entry("word " * 40)])
    assert len(papers[0].id) <= 80 and papers[0].id.endswith("word")


def test_titles_that_differ_only_in_punctuation_get_distinct_stable_ids():
    a, b = entry("P+: Extended Conditioning", line=1), entry("P: Extended Conditioning", line=5)
    first, _ = merge_entries([a, b])
    second, _ = merge_entries([b, a])
    assert [p.id for p in first] == [p.id for p in second]
    assert {p.title: p.id for p in first} == {"P+: Extended Conditioning": "p-extended-conditioning",
                                             "P: Extended Conditioning": "p-extended-conditioning-"
                                             + hashlib.sha1(title_key(b.title).encode()).hexdigest()[:6]}


def test_a_paper_added_later_never_renames_one_already_there():
    # Two long titles alike in their first 80 characters: the one first seen keeps its id.
    common = "A study of scaling laws for mixture of experts language models trained on long contexts"
    there = entry(common + " with sparse routing", path="content/sources/000_first.txt", line=3)
    alone, _ = merge_entries([there])
    newcomer = entry(common + " with dense routing", path="content/sources/001_later.txt", line=1)
    above = entry(common + " with soft routing", path="content/sources/000_first.txt", line=90)
    both, _ = merge_entries([newcomer, there, above])
    ids = {paper.title: paper.id for paper in both}
    assert ids[there.title] == alone[0].id == "a-study-of-scaling-laws-for-mixture-of-experts-language-models-trained-on-long"
    assert ids[newcomer.title].startswith(alone[0].id + "-") and ids[above.title].startswith(alone[0].id + "-")
    assert len(set(ids.values())) == 3


def test_the_same_paper_in_two_listings_is_one_paper_with_both_sources():
    papers, warnings = merge_entries(
        [
            entry("Deep  Nets", path="b.txt", line=9, authors=4, published="2024-08-09", upvotes=2),
            entry("deep nets", path="a.txt", line=3, upvotes=5),
        ]
    )
    assert warnings == []
    (paper,) = papers
    assert (paper.authors, paper.published, paper.upvotes) == (4, "2024-08-09", 5)
    assert paper.sources == ("a.txt:3", "b.txt:9")


def test_a_date_without_a_year_agrees_with_the_full_date_of_the_same_day():
    papers, warnings = merge_entries(
        [entry("X", published="--08-09"), entry("X", published="2024-08-09", path="b.txt")]
    )
    assert papers[0].published == "2024-08-09" and warnings == []


def test_real_conflicts_are_warned_of_with_the_location():
    papers, warnings = merge_entries(
        [entry("X", authors=3, line=4), entry("X", authors=5, path="b.txt", line=8)]
    )
    assert [w.format() for w in warnings] == [
        "a.txt:4:1: warning: paper 'x' has conflicting author counts across listings: 3, 5 "
        "(the most frequent value is kept; correct the listing that is wrong)"
    ]
    assert papers[0].authors == 3


@pytest.mark.parametrize(
    ("abstract", "links"),
    [
        ("Code: https://github.com/a/b.", [("https://github.com/a/b", "code")]),
        ("(see https://x.org/p_(1)) and https://gitlab.com/g/r;", [("https://x.org/p_(1)", "page"), ("https://gitlab.com/g/r", "code")]),
        ("at:https://bitbucket.org/t/r, https://a.github.io/", [("https://bitbucket.org/t/r", "code"), ("https://a.github.io/", "page")]),
        ("twice https://x.org/a and https://x.org/a.", [("https://x.org/a", "page")]),
        ("no links here", []),
    ],
)
def test_links_are_found_trimmed_and_classified(abstract, links):
    assert find_links(abstract) == tuple(Link(url, kind) for url, kind in links)
