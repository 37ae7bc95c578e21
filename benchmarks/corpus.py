"""Make synthetic content folders of any size from the bundled papers, for benchmarks.

    .venv/bin/python benchmarks/corpus.py 10000 benchmarks/out/corpus-10000

Copy k of each bundled paper gets the title "Copy k: <title>" (copy 0 keeps the original),
so ids stay readable and distinct. Curation scales with the corpus: every copy of a curated
paper is placed in the same themes, with the same tags and note, so the share of curated
papers stays that of the bundled content. Themes, tags and templates are the bundled ones.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.memo import Memo
from sitegen.model import Entry
from sitegen.project import Project
from sitegen.read.catalog import load_catalog, merge_entries
from sitegen.read.files import Files

PAPERS_PER_LISTING = 5_000


class CuratorDumper(yaml.SafeDumper):
    """Write curation as curators do: notes as literal blocks (`note: |`), no anchors."""

    def ignore_aliases(self, data: object) -> bool:
        return True


CuratorDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def copy_title(title: str, copy: int) -> str:
    return title if copy == 0 else f"Copy {copy}: {title}"


def make_corpus(count: int, out: Path, content: Path = REPO / "content") -> Path:
    """Write a content folder of `count` papers into `out` (replaced); return it."""
    catalog, _ = load_catalog(Files(Project(content, content.parent / "templates"), Memo(None)),
                              sorted((content / "sources").glob("*.txt")))
    seeds = catalog.papers
    if out.exists():
        shutil.rmtree(out)
    (out / "sources").mkdir(parents=True)
    rows = [(seeds[i % len(seeds)], i // len(seeds)) for i in range(count)]
    for start in range(0, count, PAPERS_PER_LISTING):
        chunk = rows[start : start + PAPERS_PER_LISTING]
        lines = ["new", "", "Subscribe", "", "byAK and the research community", "", "Mar 14", ""]
        for paper, copy in chunk:
            lines += [copy_title(paper.title, copy), "", paper.abstract, ""]
            if paper.authors is not None and paper.published and not paper.published.startswith("--"):
                year, month, day = paper.published.split("-")
                months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                date = f"{months[int(month) - 1]} {int(day)}, {year}"
                lines += [f"  • {paper.authors} authors", "·", f"{date} {paper.upvotes or ''}".strip(), ""]
        (out / "sources" / f"{start // PAPERS_PER_LISTING:04d}.txt").write_text("\n".join(lines), "utf-8")

    # Ids exactly as sitegen gives them, so the curation names real papers.
    entries = [
        Entry(copy_title(p.title, c), p.abstract, None, None, None, "x", i) for i, (p, c) in enumerate(rows)
    ]
    papers, _ = merge_entries(entries)
    id_of = {paper.title: paper.id for paper in papers}
    copies = max(c for _, c in rows) + 1
    title_of = {paper.id: paper.title for paper in seeds}

    for name in ("themes.yaml", "tags.yaml", "site.yaml"):
        if (content / name).exists():
            shutil.copy(content / name, out / name)
    if (content / "pages").is_dir():
        shutil.copytree(content / "pages", out / "pages")
    if (content / "curation").is_dir():
        (out / "curation").mkdir()
        for path in sorted((content / "curation").glob("*.yaml")):
            document = yaml.safe_load(path.read_text("utf-8")) or {}
            placed = []
            for copy in range(copies):
                for item in document.get("papers", []):
                    title = copy_title(title_of[item["id"]], copy)
                    if title not in id_of:
                        continue  # this copy is beyond the corpus size
                    clone = dict(item, id=id_of[title])
                    if copy:
                        clone.pop("arxiv", None)
                        clone.pop("start_here", None)
                    placed.append(clone)
            header = path.read_text("utf-8").splitlines()[0]
            body = yaml.dump({"papers": placed}, Dumper=CuratorDumper, sort_keys=False, allow_unicode=True, width=100)
            (out / "curation" / path.name).write_text(header + "\n" + body, "utf-8")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("papers", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    make_corpus(args.papers, args.out)
    print(f"wrote {args.papers} papers into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
