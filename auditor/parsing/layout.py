"""Page furniture of paginated text: running headers and footers, page numbers and form feeds.

Text extracted from PDF and plain-text formats such as RFCs repeat a header and a footer on every page
("RFC 3986   URI Generic Syntax   January 2005", "Berners-Lee, et al.   Standards Track   [Page 46]").
Those lines are neither prose nor reference entries; they are marked so that every parser skips them.
"""

from __future__ import annotations

import re
from collections import Counter

PAGE_LABEL = re.compile(r"\[\s*(?:page|halaman|hal\.?)\s+\d{1,4}\s*\]\s*$", re.I)
LONE_PAGE_NUMBER = re.compile(r"^\s*(?:[-–—]\s*)?\d{1,4}(?:\s*[-–—])?\s*$")
DIGITS = re.compile(r"\d+")
CONFLICT_MARKER = re.compile(r"^(?:<{7}|={7}|>{7})(?:\s|$)")


def _shape(line: str) -> str:
    return DIGITS.sub("#", " ".join(line.split()))


def page_furniture(lines: list[str]) -> set[int]:
    """1-based numbers of the lines that are page furniture rather than text."""
    skip: set[int] = set()
    breaks = [n for n, line in enumerate(lines, 1) if "\f" in line]
    for n in breaks:
        if not lines[n - 1].replace("\f", "").strip():
            skip.add(n)
    for n, line in enumerate(lines, 1):
        # (Each pattern is tried only on a line with the character it needs where it needs it.)
        last = line.rstrip()[-1:]
        if line[:1] in ("<", "=", ">") and CONFLICT_MARKER.match(line):
            skip.add(n)  # "<<<<<<< HEAD" / "=======" / ">>>>>>> 4974…" left by an unfinished merge
        elif last == "]" and len(line) < 120 and PAGE_LABEL.search(line):
            skip.add(n)
        elif (last.isdecimal() or last in ("-", "–", "—")) and LONE_PAGE_NUMBER.match(line) \
                and _blank(lines, n - 1) and _blank(lines, n + 1):
            skip.add(n)
    if len(breaks) >= 2:
        # A running header or footer: the same line (page numbers aside) within a few lines of a form
        # feed on several pages.
        near: Counter[str] = Counter()
        where: dict[str, list[int]] = {}
        for b in breaks:
            for n in range(max(1, b - 3), min(len(lines), b + 3) + 1):
                text = lines[n - 1].replace("\f", "").strip()
                if text and n not in skip:
                    key = _shape(text)
                    near[key] += 1
                    where.setdefault(key, []).append(n)
        for key, count in near.items():
            if count >= max(2, len(breaks) // 2) and len(key) < 120:
                skip.update(where[key])
    return skip


def _blank(lines: list[str], number: int) -> bool:
    return not (0 < number <= len(lines)) or not lines[number - 1].strip()
