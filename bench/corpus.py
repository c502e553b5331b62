"""Build a reproducible archive of N documents for the audit benchmarks (issue #14).

Usage: python bench/corpus.py N DIR [--shared ../shared] [--seed 14]

The documents are the text documents of `references/` and of the dev corpus (`SHARED/corpus/docs`),
each copy edited in a way an archive varies (a year changed, an entry dropped or repeated, a citation
misspelt, a paragraph repeated, a line ending changed), spread over folders of 100 like a journal's
issues. The same N, seed and inputs always give the same files. DIR is outside the repository (the
shared documents must never be copied into it); it is emptied first only if it holds a previous corpus.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = ".bench-corpus"
TEXT_SUFFIXES = {".md", ".txt", ".html", ".htm"}
YEAR = re.compile(r"\b(19[5-9]\d|20[0-2]\d)\b")


def sources(shared: Path) -> list[tuple[str, str]]:
    found = sorted(p for p in (ROOT / "references").iterdir()
                   if p.suffix.lower() in TEXT_SUFFIXES and not p.name.lower().startswith("readme"))
    found += sorted(p for p in (shared / "corpus" / "docs").glob("*") if p.suffix.lower() in TEXT_SUFFIXES)
    if not found:
        sys.exit("no source documents found (references/ and SHARED/corpus/docs)")
    return [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in found]


def edit(text: str, rng: random.Random) -> str:
    """One of the edits an archive's documents differ by (or none)."""
    lines = text.split("\n")
    kind = rng.randrange(7)
    if kind == 0:  # a year changed somewhere
        years = [(i, m) for i, line in enumerate(lines) for m in YEAR.finditer(line)]
        if years:
            i, m = rng.choice(years)
            lines[i] = lines[i][:m.start()] + str(int(m.group()) + rng.choice((-1, 1))) + lines[i][m.end():]
    elif kind == 1 and len(lines) > 10:  # a line (often an entry) dropped
        del lines[rng.randrange(len(lines) // 2, len(lines))]
    elif kind == 2 and len(lines) > 10:  # a line (often an entry) repeated
        i = rng.randrange(len(lines) // 2, len(lines))
        lines.insert(i, lines[i])
    elif kind == 3:  # a name misspelt in the text
        i = rng.randrange(len(lines))
        lines[i] = re.sub(r"\b([A-Z][a-z]{3,})\b", lambda m: m.group(1)[:-1] + m.group(1)[-2:], lines[i], count=1)
    elif kind == 4 and len(lines) > 4:  # a paragraph repeated (longer document)
        i = rng.randrange(len(lines) // 3)
        lines[i:i] = lines[i:i + rng.randrange(2, 12)]
    elif kind == 5:
        return "\r\n".join(lines)  # exported on Windows
    return "\n".join(lines)


def build(n: int, out: Path, shared: Path, seed: int) -> int:
    if out.exists():
        if not (out / MARK).exists() and any(out.iterdir()):
            sys.exit(f"{out} exists and is not a corpus made by this script; choose another folder")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARK).write_text(f"n={n} seed={seed}\n")
    docs = sources(shared)
    rng = random.Random(seed)
    total = 0
    for i in range(n):
        name, text = docs[i % len(docs)]
        stem, suffix = name.rsplit(".", 1)
        folder = out / f"issue-{i // 100:04d}"
        folder.mkdir(exist_ok=True)
        data = edit(text, rng).encode("utf-8")
        (folder / f"{i:06d}-{stem}.{suffix}").write_bytes(data)
        total += len(data)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    if args.dir.resolve() == ROOT or ROOT in args.dir.resolve().parents:
        sys.exit("DIR must be outside the repository")
    size = build(args.n, args.dir, args.shared, args.seed)
    print(f"{args.n} documents, {size / 1e6:.1f} MB in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
