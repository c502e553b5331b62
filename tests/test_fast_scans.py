"""The faster ways of scanning text find exactly what the plain ways find.

Each shortcut taken for speed (a first-character guard before a pattern, the month names as a trie, bare
citations looked for only before a ", 2013", a reference score that stops once it is high enough) is
compared here with the plain form it replaced, on generated text made of the pieces those patterns look
for.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditor
from auditor.parsing.citations import BARE_CITATION, _bare_matches
from auditor.parsing.dates import MONTHS, word_trie
from auditor.parsing.entries import _score, parse_entry, reads_as_reference

WORDS = [
    " ", "  ", "\n", ",", ", ", ".", ";", ":", "(", ")", "[", "]", "\\[", "“", "”", "\"", "‘", "’", "*", "_", "-", "–",
    "/", "!", "2013", "1999a", "2020-02-30", "12", "3", "31st", "n.d.", "t.t.", "s.a.", "tanpa tahun", "undated",
    "No date", "January", "jan.", "Mei", "MAY", "may", "Sept.", "Agustus", "des", "Juni", "Nopember", "Mar",
    "Accessed", "diakses pada", "Retrieved", "available at", "cited", "Archived from the original on", "diarsipkan",
    "Rogers", "Smith", "van", "Ng", "Luong", "et al.", "dkk.", "and", "dan", "&", "Graves2014", "Kementerian",
    "University", "saya", "we", "I", "our", "https://example.org/a_b", "www.kompas.com", "ftp://x.y", "10.1234/abc.5",
    "doi:", "<", ">", "RFC", "[12]", "[3-5]", "[Hol14]", "<sup>2</sup>", "x", "Word", "word",
]
PIECES = st.sampled_from(WORDS)
TEXTS = st.lists(st.one_of(PIECES, st.text(alphabet="aZ1 ,.(", max_size=4)), max_size=40).map("".join)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _guarded_patterns() -> list[tuple[str, re.Pattern[str], re.Pattern[str]]]:
    """(name, pattern, the same pattern without its leading first-character lookahead) for every
    module-level pattern of the package that starts with one."""
    found = []
    for info in pkgutil.walk_packages(auditor.__path__, "auditor."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str) and value.pattern.startswith("(?="):
                plain = value.pattern[_lookahead_end(value.pattern):]
                found.append((f"{info.name}.{name}", value, re.compile(plain, value.flags)))
    return found


def _lookahead_end(pattern: str) -> int:
    """The offset just after the lookahead that opens the pattern."""
    i, in_class = 3, False
    while True:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        elif c == ")" and not in_class:
            return i + 1
        i += 1


GUARDED = _guarded_patterns()


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


def test_the_guarded_patterns_are_found() -> None:
    names = {name.rsplit(".", 1)[1] for name, _, _ in GUARDED}
    assert {"TITLE_MARK", "HAS_MONTH", "ISO_DATE", "YEAR_SENTENCE", "BARE", "QUOTE", "NUMERIC_BRACKET"} <= names


@SETTINGS
@given(TEXTS)
def test_a_first_character_guard_changes_no_match(text: str) -> None:
    for name, guarded, plain in GUARDED:
        assert _spans(guarded, text) == _spans(plain, text), name


def test_a_first_character_guard_changes_no_match_on_any_two_pieces() -> None:
    texts = [f"{a}{gap}{b}" for a in WORDS for b in WORDS for gap in ("", " ")]
    for name, guarded, plain in GUARDED:
        for text in texts:
            assert _spans(guarded, text) == _spans(plain, text), (name, text)


def _alternation(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


@SETTINGS
@given(TEXTS)
def test_the_month_trie_matches_like_the_names_longest_first(text: str) -> None:
    trie = re.compile(word_trie(MONTHS) + r"\.?(?!\w)", re.I)
    plain = re.compile(_alternation(list(MONTHS)) + r"\.?(?!\w)", re.I)
    assert _spans(trie, text) == _spans(plain, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="abc", min_size=1, max_size=5), min_size=1, max_size=12),
       st.text(alphabet="abc .", max_size=30))
def test_a_word_trie_matches_like_its_words(words: list[str], text: str) -> None:
    trie, plain = re.compile(word_trie(words)), re.compile(_alternation(words))
    assert _spans(trie, text) == _spans(plain, text)
    for w in words:
        assert trie.fullmatch(w)


@SETTINGS
@given(TEXTS)
def test_bare_citations_are_found_as_a_full_scan_finds_them(text: str) -> None:
    assert [(m.span(), m.groups()) for m in _bare_matches(text)] == _spans(BARE_CITATION, text)


def test_bare_citations_next_to_each_other() -> None:
    text = "Menurut Rogers, 2013, dan Smith and Jones, 2014-2015, serta Luong, et al., 2015a."
    assert [m.group(0) for m in _bare_matches(text)] == [m.group(0) for m in BARE_CITATION.finditer(text)]
    assert [m.group("names") for m in _bare_matches(text)] == ["Rogers", "Luong, et al."]


@SETTINGS
@given(TEXTS)
def test_the_reference_score_stops_only_once_it_is_enough(text: str) -> None:
    entry = parse_entry(text)
    full = _score(entry, 1 << 30)  # never enough: every signal is read
    for points in (1, 2, 3):
        assert reads_as_reference(entry, points) == (full >= points)
