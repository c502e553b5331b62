"""Does a registry record describe the work an entry cites? Title, first author and year agreement.

Every comparison folds case and diacritics ("Müller" = "Muller"), drops punctuation and markup
(Crossref titles carry <i>…</i>), and is tolerant of what honest citing does to a record:

- titles: a subtitle left out or added (Crossref keeps it in a separate `subtitle` field), and the
  title in another language when the registry holds both (Indonesian journals deposit the Indonesian
  and the English title as two `title` values);
- authors: initials for given names, "Family, Given" or "Given Family" order, Indonesian single
  names and multi-part names where the registry chose another part as the family name;
- years: the online-first year against the issue year (a record may have both).

The thresholds are rapidfuzz scores (0–100) and are tested in tests/test_sources.py.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from auditor.parsing.text import fold, name_key

# Titles at or above TITLE_SAME are the same title; below TITLE_OTHER they are different works; in
# between they are a drifted copy (reported as a title mismatch when the rest agrees).
TITLE_SAME = 90.0
TITLE_OTHER = 60.0
# A candidate found by search is accepted with the title at TITLE_SAME, the first author agreeing and
# the years at most YEAR_SLACK apart; a title at TITLE_EXACT also accepts a year up to YEAR_DRIFT off
# (reported as a year mismatch) or a first author who is another of the record's authors.
TITLE_EXACT = 97.0
YEAR_SLACK = 1
YEAR_DRIFT = 3
NAME_SAME = 88.0  # two family names, folded (transliterations: "Mueller" / "Muller" score 92)
IN_TEXT = 90.0  # a record's title found in the entry's raw text (partial ratio)
MAIN_TITLE_MIN = 20  # characters a main title (before the subtitle) needs to be compared alone

MARKUP = re.compile(r"<[^>]{1,40}>|&[a-z]{2,8};|\$[^$]{0,40}\$")
SUBTITLE_SPLIT = re.compile(r"\s*(?::|\s[-–—]\s|\?|!|\.\s)\s*")
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "bin", "binti", "al",
             "el", "ter", "ten", "dos", "das", "y"}


# Letters that Unicode decomposition leaves alone but that people drop when they type a name without them.
LETTERS = str.maketrans({"ı": "i", "İ": "I", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss",
                         "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "ð": "d"})


def key(text: str) -> str:
    """name_key, with the letters decomposition does not reach folded too ("Yılmaz" = "Yilmaz")."""
    return name_key(text.translate(LETTERS))


def norm_title(title: str | None) -> str:
    if not title:
        return ""
    return key(MARKUP.sub(" ", title).replace("’", "'").replace("'", ""))


def substituted(a: str, b: str) -> bool:
    """Whether two normalised titles differ by words put in place of others ("… in Bali" / "… in West
    Papua"), not by words added, dropped or misspelt: then they name different works however alike."""
    wa = {w for w in a.split() if len(w) > 3} - STOP
    wb = {w for w in b.split() if len(w) > 3} - STOP
    only_a = [w for w in wa - wb if not any(fuzz.ratio(w, v) >= 80 for v in wb - wa)]
    only_b = [w for w in wb - wa if not any(fuzz.ratio(w, v) >= 80 for v in wa - wb)]
    return bool(only_a) and bool(only_b)


def _ratio(a: str, b: str) -> float:
    score = fuzz.ratio(a, b)
    if score < TITLE_EXACT and substituted(a, b):
        score = min(score, TITLE_SAME - 5)
    return float(score)


def main_title(title: str) -> str:
    """The title before its subtitle ("Deep learning: a review" → "Deep learning")."""
    return SUBTITLE_SPLIT.split(MARKUP.sub(" ", title).strip(), maxsplit=1)[0]


def title_score(cited: str | None, titles: list[str]) -> float:
    """How well the cited title matches the best of the record's titles (0–100)."""
    want = norm_title(cited)
    if not want or not titles:
        return 0.0
    want_main = norm_title(main_title(cited or ""))
    best = 0.0
    for title in titles:
        have = norm_title(title)
        if not have:
            continue
        best = max(best, _ratio(want, have))
        have_main = norm_title(main_title(title))
        # A subtitle left out on either side: the main titles alone, when they say enough.
        if len(have_main) >= MAIN_TITLE_MIN and len(have_main.split()) >= 3:
            best = max(best, _ratio(want, have_main))
        if len(want_main) >= MAIN_TITLE_MIN and len(want_main.split()) >= 3:
            best = max(best, _ratio(want_main, have))
            if len(have_main) >= MAIN_TITLE_MIN:
                best = max(best, _ratio(want_main, have_main) - 2)
        if best >= 100:
            break
    return float(best)


def title_in_text(titles: list[str], text: str) -> bool:
    """Whether one of the record's titles stands in the entry's text (whatever the parser made of it)."""
    plain = norm_title(text)
    for title in titles:
        for t in (norm_title(title), norm_title(main_title(title))):
            if len(t) >= MAIN_TITLE_MIN and fuzz.partial_ratio(t, plain) >= IN_TEXT:
                return True
    return False


def name_tokens(name: str) -> list[str]:
    """The words of a cited author's name that can be a family name: not initials, not particles."""
    if "," in name:
        family, _, given = name.partition(",")
        words = key(family).split()
        if not words:
            words = key(given).split()
    else:
        words = key(name).split()
    return [w for w in words if len(w) > 1 and w not in PARTICLES]


def family_tokens(given: str, family: str) -> list[str]:
    """The words of a registry author's family name (the given name when there is no family name:
    Indonesian single names are deposited either way)."""
    words = [w for w in key(family).split() if len(w) > 1 and w not in PARTICLES]
    if not words:
        words = [w for w in key(given).split() if len(w) > 1 and w not in PARTICLES]
    return words


def same_name(cited: str, given: str, family: str) -> bool:
    """Whether a cited author is this registry author, judged by family name (folded, fuzzy)."""
    mine = name_tokens(cited)
    theirs = family_tokens(given, family)
    if not mine or not theirs:
        return False
    if fuzz.ratio(" ".join(mine), " ".join(theirs)) >= NAME_SAME:
        return True
    # Multi-part names: "Ahmad Fauzi Rahman" cited, family "Rahman" (or "Fauzi Rahman") deposited.
    return any(fuzz.ratio(a, b) >= NAME_SAME for a in mine for b in theirs if len(a) > 2 and len(b) > 2)


def first_author_agrees(cited: list[str], authors: list[tuple[str, str]]) -> bool | None:
    """Whether the cited first author is the record's first author; None when either list is empty."""
    if not cited or not authors:
        return None
    return same_name(cited[0], *authors[0])


def author_listed(cited: list[str], authors: list[tuple[str, str]]) -> bool:
    """Whether the cited first author is one of the record's authors (order aside)."""
    return bool(cited) and any(same_name(cited[0], g, f) for g, f in authors)


def surname_in_text(given: str, family: str, text: str) -> bool:
    """Whether a registry author's family name appears in the entry's text (folded)."""
    words = set(key(text).split())
    theirs = family_tokens(given, family)
    if not theirs:
        return True  # nothing to look for: not evidence of a difference
    if all(t in words for t in theirs):
        return True
    plain = fold(text.translate(LETTERS))
    return any(len(t) > 3 and fuzz.partial_ratio(t, plain) >= 92 for t in theirs)


def year_gap(year: int | None, years: list[int]) -> int | None:
    """The smallest distance between the cited year and the record's years; None when unknown."""
    if year is None or not years:
        return None
    return min(abs(year - y) for y in years)


def container_agrees(cited: str | None, containers: list[str], text: str) -> bool | None:
    """Whether the cited journal is the record's: its name (or abbreviation) in the entry. None: unknown."""
    names = [c for c in containers if norm_title(c)]
    if not cited or not names:
        return None
    plain = norm_title(text)
    for name in names:
        n = norm_title(name)
        if len(n) >= 4 and (fuzz.partial_ratio(n, plain) >= IN_TEXT or abbreviates(cited, name)):
            return True
    return False


STOP = {"of", "the", "and", "for", "in", "on", "a", "an", "dan", "untuk", "di", "&"}


def abbreviates(short: str, full: str) -> bool:
    """"J. Appl. Phys." abbreviates "Journal of Applied Physics": each word a prefix of the next long word."""
    want = [w for w in name_key(re.sub(r"[,;(].*$", "", short)).split() if w not in STOP]
    have = [w for w in name_key(full).split() if w not in STOP]
    if len(want) < 2 or len(want) != len(have):
        return False
    return all(h.startswith(w) for w, h in zip(want, have))
