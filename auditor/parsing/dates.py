"""Dates in English and Indonesian: "15 Agustus 2022", "Januari 30, 2024", "2024-06-20", "Juni 2024"."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditor.model import PartialDate

MONTHS = {
    "january": 1, "jan": 1, "januari": 1,
    "february": 2, "feb": 2, "februari": 2, "pebruari": 2, "peb": 2,
    "march": 3, "mar": 3, "maret": 3,
    "april": 4, "apr": 4,
    "may": 5, "mei": 5,
    "june": 6, "jun": 6, "juni": 6,
    "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8, "agustus": 8, "agu": 8, "agt": 8, "ags": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "december": 12, "dec": 12, "desember": 12, "des": 12,
}


def word_trie(words: Iterable[str]) -> str:
    """A regular expression for exactly these words, written as a trie ("j(?:an(?:uar(?:i|y))?|u…)"): the
    engine reads each letter once instead of trying every word in turn. Where several words match at
    a place the longest is tried first, as in an alternation sorted longest first."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")" if branches else ""
        if "" in node and body:
            return (body if body.startswith("(?:") and len(branches) > 1 else f"(?:{body})") + "?"
        return body

    return "(?:" + emit(tree) + ")"


# The lookahead (every name starts with one of these letters) lets the engine pass most positions at once.
MONTH = r"(?=[adfjmnops])" + word_trie(MONTHS) + r"\.?"
YEAR = r"(?:1[5-9]\d\d|20\d\d)"
# Every date form holds a year: text without one (most lines) has no date, and no pattern need run.
HAS_YEAR = re.compile(YEAR)
# Every form but the ISO one holds a month name as a word of its own (before a space, a comma or a dot):
# text without one (most entries: "(2020)", "2020.") needs only the ISO scan, not four more.
HAS_MONTH = re.compile(rf"(?=[adfjmnops])\b{word_trie(MONTHS)}(?!\w)", re.I)

DAY_MONTH_YEAR = re.compile(rf"(?=\d)\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<m>{MONTH})\s*,?\s+(?P<y>{YEAR})\b", re.I)
MONTH_DAY_YEAR = re.compile(rf"(?=[adfjmnops])\b(?P<m>{MONTH})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s*,\s*(?P<y>{YEAR})\b", re.I)
ISO_DATE = re.compile(rf"(?=[12])\b(?P<y>{YEAR})-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")
MONTH_YEAR = re.compile(rf"(?=[adfjmnops])\b(?P<m>{MONTH})\s*,?\s+(?P<y>{YEAR})\b", re.I)
YEAR_ONLY = re.compile(rf"(?=[12])(?<![\d/.\-])(?P<y>{YEAR})(?![\d/])")

ACCESS_WORDS = (
    r"accessed(?:\s+on)?|retrieved(?:\s+on)?|viewed(?:\s+on)?|last\s+accessed|date\s+accessed|"
    r"diakses(?:\s+pada)?(?:\s+tanggal)?|diunduh(?:\s+pada)?(?:\s+tanggal)?|"
    r"dikunjungi(?:\s+pada)?|akses(?:\s+pada)?|tanggal\s+akses|accessed\s+date"
)
ACCESS = re.compile(rf"(?=[\[(ardvltc])(?:\[|\()?\b(?P<word>{ACCESS_WORDS}|cited)\b\s*:?\s*", re.I)
# "Diakses Rabu, 1 Mei 2013", "Retrieved Monday, 3 June 2024": a weekday before the date.
WEEKDAY = re.compile(r"^(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|monday|tuesday|wednesday|"
                     r"thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+", re.I)
# Vancouver "[cited 2013 Jan 5]": year, month, day.
YEAR_MONTH_DAY = re.compile(rf"(?=[12])\b(?P<y>{YEAR})\s+(?P<m>{MONTH})(?:\s+(?P<d>[0-3]?\d))?\b", re.I)


@dataclass(frozen=True)
class DateMatch:
    date: PartialDate
    start: int
    end: int
    text: str


def valid(y: int, m: int | None, d: int | None) -> bool:
    """Whether the date exists: "30 Februari 2024" does not."""
    if not 1500 <= y <= 2100:
        return False
    if m is not None and not 1 <= m <= 12:
        return False
    return d is None or (m is not None and 1 <= d <= calendar.monthrange(y, m)[1])


def impossible_dates(text: str) -> list[str]:
    """Dates written in the text that cannot exist ("30 Februari 2024", "2023-02-31")."""
    out: list[str] = []
    if not HAS_YEAR.search(text):
        return out
    for pattern in (ISO_DATE, DAY_MONTH_YEAR, MONTH_DAY_YEAR) if HAS_MONTH.search(text) else (ISO_DATE,):
        for m in pattern.finditer(text):
            month = int(m["m"]) if m["m"].isdigit() else _month(m["m"])
            day, year = int(m["d"]), int(m["y"])
            if month and 1 <= month <= 12 and 1 <= day <= 31 and day > calendar.monthrange(year, month)[1]:
                out.append(m.group(0))
    return out


def _month(name: str) -> int | None:
    return MONTHS.get(name.lower().rstrip("."))


def find_dates(text: str, *, month_year: bool = True, year_only: bool = False) -> list[DateMatch]:
    """Every date written in the text, most precise forms first, without overlaps, in text order."""
    found: list[DateMatch] = []
    if not HAS_YEAR.search(text):
        return found
    taken: list[tuple[int, int]] = []

    def add(m: re.Match[str], y: int, mo: int | None, d: int | None) -> None:
        if not valid(y, mo, d):
            return
        if any(m.start() < e and s < m.end() for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(DateMatch(PartialDate(y, mo, d), m.start(), m.end(), m.group(0)))

    for m in ISO_DATE.finditer(text):
        add(m, int(m["y"]), int(m["m"]), int(m["d"]))
    named = HAS_MONTH.search(text) is not None
    for pattern in (DAY_MONTH_YEAR, MONTH_DAY_YEAR) if named else ():
        for m in pattern.finditer(text):
            add(m, int(m["y"]), _month(m["m"]), int(m["d"]))
    for m in YEAR_MONTH_DAY.finditer(text) if named else ():
        if m["m"].lower().rstrip(".") == "may" and not m["m"][0].isupper():
            continue
        add(m, int(m["y"]), _month(m["m"]), int(m["d"]) if m["d"] else None)
    if month_year and named:
        for m in MONTH_YEAR.finditer(text):
            # "may 2020" is too often the verb; require a capital for the short ambiguous names.
            if m["m"].lower() == "may" and not m["m"][0].isupper():
                continue
            add(m, int(m["y"]), _month(m["m"]), None)
    if year_only:
        for m in YEAR_ONLY.finditer(text):
            add(m, int(m["y"]), None, None)
    found.sort(key=lambda d: d.start)
    return found


def parse_date(text: str) -> PartialDate | None:
    """The first date in the text, at whatever precision it is written, or None."""
    dates = find_dates(text, year_only=True)
    return dates[0].date if dates else None


@dataclass(frozen=True)
class AccessMatch:
    date: PartialDate | None
    start: int
    end: int
    text: str


def find_access_date(text: str) -> AccessMatch | None:
    """The "Accessed 3 March 2024" / "Diakses 3 Maret 2024" phrase of an entry, if any."""
    for m in ACCESS.finditer(text):
        tail = text[m.end(): m.end() + 60]
        weekday = WEEKDAY.match(tail)
        skip = weekday.end() if weekday else 0
        dates = find_dates(tail, year_only=True)
        if m.group("word").lower() == "cited" and not (dates and dates[0].start <= skip + 3):
            continue  # "cited in …" is not an access date
        if dates and dates[0].start <= skip + 3:
            d = dates[0]
            end = m.end() + d.end
            # "Retrieved 5 June 2023, from …" / "Diunduh … dari …": the connective goes with the phrase.
            tail_word = re.match(r"\s*,?\s*(?:from|dari|at|di|melalui|via)\b\s*:?", text[end:], re.I)
            if tail_word:
                end += tail_word.end()
            return AccessMatch(d.date, m.start(), end, text[m.start():end])
        return AccessMatch(None, m.start(), m.end(), text[m.start():m.end()])
    return None
