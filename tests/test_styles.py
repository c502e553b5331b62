"""Documents in other styles and formats than the seeds: every citation found and resolved, no false alarm."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY

from auditor.checks import AuditContext, run_checks
from auditor.config import Settings
from auditor.documents import load_document
from auditor.parsing import parse_document

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name,entries,cited,findings", [
    ("apa-indonesian.html", 5, [("Hatta, 1953", 11), ("Sukma (2003)", 13), ("Anwar & Smith, 2019", 10),
                                ("Weinstein, 2007", 14), ("Kemlu, 2023", 12)], []),
    ("thesis-hanging-indent.txt", 5, [("Mardiasmo, 2002", 15), ("Halim dan Kusufi (2012)", 13),
                                      ("Sidik dkk. (2004)", 16), ("Bappenas, 2021", 9), ("Halim, 2016a", 11)], []),
    ("apa-english.md", 6, [("Newman et al., 2020a", 11), ("2020b", 13), ("Smith and Jones (2019)", 17),
                           ("Lee, 2018", 9), ("O'Brien & de la Cruz, 2017", 15), ("van Dijk (2013)", 19)], []),
    ("chicago-footnotes.md", 4, [("[1]", 7), ("[2]", 8), ("[3]", 9), ("[4]", 10)], []),
    ("notes-plain-digits.md", 2, [("[2]", 8)], [("unused-footnote", 7)]),
    # [5] is an arXiv preprint: a link to it needs no access date.
    ("ieee-numbered.md", 6, [("[1]", 7), ("[2]", 8), ("[3]", 9), ("[4]", 10), ("[5]", 11), ("[6]", 12)], []),
    ("wiki-style.html", 2, [("[1]", 6), ("[2]", 7)], []),
    ("mla-works-cited.md", 3, [("Baron 45", 8), ("Mangen and van der Weel 70-72", 10), ("Wolf 112", 12)], []),
    ("notes-and-bibliography.md", 6, [("[1]", 5), ("[2]", 6), ("[3]", 7)], [("uncited-entry", 13)]),
])
def test_style(name: str, entries: int, cited: list, findings: list) -> None:
    """Entries split right, citations resolve to the right entry lines, and only expected findings appear."""
    parsed = parse_document(load_document(FIXTURES / name))
    assert len(parsed.entries) == entries
    line_of = {e.index: e.line for e in parsed.entries}
    assert [(c.raw, line_of.get(c.entry_index)) for c in parsed.citations] == cited
    got = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    assert [(f.rule, f.line) for f in got] == findings


def test_chicago_notes_resolve_ibid_and_author_op_cit() -> None:
    """Ibid. points at the note before; "Sukma, Op. Cit." at the earlier note by Sukma."""
    parsed = parse_document(load_document(FIXTURES / "chicago-footnotes.md"))
    notes = {e.number: e for e in parsed.entries}
    assert notes[1].author_text == "Rizal Sukma" and notes[1].title == "Islam in Indonesian Foreign Policy"
    assert notes[2].refers_to == notes[1].index
    assert notes[4].kind == "op-cit" and notes[4].refers_to == notes[1].index


def test_notes_point_at_their_bibliography_entries() -> None:
    """In notes-and-bibliography style each note is linked to the listed work it cites."""
    parsed = parse_document(load_document(FIXTURES / "notes-and-bibliography.md"))
    by_line = {e.line: e for e in parsed.entries}
    assert by_line[5].source == by_line[12].index and by_line[6].source == by_line[11].index
    assert by_line[7].refers_to == by_line[6].index


def test_ieee_entries_read_authors_titles_and_years() -> None:
    """IEEE entries: authors before the quoted or italic title; an arXiv number is not a year."""
    parsed = parse_document(load_document(FIXTURES / "ieee-numbered.md"))
    got = [(e.number, e.author_text, e.year, e.title) for e in parsed.entries]
    assert got[3] == (4, "E. Park", "2018", "Edge Systems")
    assert got[4] == (5, "F. Chen", "2020", "Edge caching")
