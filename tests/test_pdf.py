"""The PDF reader: reading order, joined words and URLs, page furniture, locators, bad files, and a PDF
auditing like its source. The fixtures were made with real tools: tests/fixtures/pdf/make_fixtures.py."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REFERENCES, TODAY

from auditor import pdf
from auditor.documents import load_document
from auditor.errors import DocumentError

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"


def squash(text: str) -> str:
    return " ".join(text.split())


def html_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for inline in soup.find_all(["i", "b"]):
        inline.unwrap()
    soup = BeautifulSoup(str(soup), "html.parser")  # the unwrapped text joins its neighbours
    return squash(soup.body.get_text(" ") if soup.body else "")


@pytest.fixture(scope="module")
def twocol():
    return load_document(FIXTURES / "twocol.pdf")


def test_two_columns_are_read_column_by_column(twocol) -> None:
    """Full-width title and abstract first, then the left column, then the right one; no line mixes the
    two columns: every line is a piece of the source's text."""
    source = html_text(FIXTURES / "twocol.html")
    lines = [squash(line) for line in twocol.lines if line.strip()]
    for line in lines:
        assert line in source, line
    order = ["Alliance Politics", "Abstract.", "Introduction", "This article proceeds", "Historical Background",
             "The 2024 Treaty", "Regional Responses", "Conclusion", "References", "Kim, J. (2023)",
             "Lee, S., & Park, H.", "Lobell, S. E.", "Rose, G. (1998)"]
    at = [next(i for i, line in enumerate(lines) if line.startswith(o)) for o in order]
    assert at == sorted(at)
    # Page 1: the left column ends inside "This article proceeds …"; the right column starts with the
    # rest of that paragraph, then "Historical Background".
    text = squash(" ".join(lines))
    assert "since the dissolution of the Soviet Union, then analyses the negotiations" in text


def test_hyphenated_words_are_joined(twocol) -> None:
    """WeasyPrint hyphenated words at line ends ("relation‐" / "ship"); the reader gives whole words."""
    pages, _ = pdf._extract("twocol.pdf", (FIXTURES / "twocol.pdf").read_bytes())
    assert sum(r.text.endswith("\u2010") for p in pages for r in p.runs) >= 5  # the fixture has them
    for line in twocol.lines:
        assert not re.search(r"[a-z][-\u2010]$", line.rstrip()), line
    text = squash(" ".join(twocol.lines))
    for word in ("relationship", "Proliferation", "diplomacy:", "Neoclassical", "Cambridge"):
        assert word in text


def test_running_headers_and_page_numbers_are_dropped(twocol) -> None:
    assert not any("Journal of Strategic Studies" in line for line in twocol.lines)
    assert not any(re.fullmatch(r"\s*\d{1,3}\s*", line) for line in twocol.lines)


def test_every_line_is_located_by_page(twocol) -> None:
    assert set(twocol.locators) == set(range(1, len(twocol.lines) + 1))
    assert twocol.locators[1] == "page 1"
    references = next(i for i, line in enumerate(twocol.lines, 1) if line.strip() == "References")
    assert twocol.locators[references] == "page 3"
    assert set(twocol.locators.values()) == {"page 1", "page 2", "page 3"}


def test_hanging_indent_is_kept(twocol) -> None:
    """A reference list with hanging indents: continuation lines keep leading spaces, entries do not."""
    kim = next(i for i, line in enumerate(twocol.lines) if line.startswith("Kim, J."))
    assert twocol.lines[kim + 1].startswith("   ") and not twocol.lines[kim + 1].startswith("    Kim")


def line(text: str, full: bool = True, blank_before: bool = False) -> pdf._Line:
    return pdf._Line(0, 100, 0, 10, text, 1, full=full, room=0 if full else 200, blank_before=blank_before)


@pytest.mark.parametrize(("first", "second", "joined", "rest"), [
    ("the infor-", "mation age", "the infor" "mation", "age"),
    ("the infor\u2010", "mation.", "the information.", None),
    ("between Korea-", "Utara and", "between Korea-Utara", "and"),
    ("in 2019-", "2020 the", "in 2019-2020", "the"),
    ("pages 45–", "70.", "pages 45–70.", None),
    ("a well-", "known fact", "a well-known", "fact"),  # the document writes "well-known" elsewhere
    ("see https://www.example.org/some-", "path/page.html. Next", "see https://www.example.org/some-path/page.html.",
     "Next"),
    ("at https://www.example.org/a/", "page=all.", "at https://www.example.org/a/page=all.", None),
    ("at https://www.example.org/news/korea-", "selatan-jepang", "at https://www.example.org/news/korea-selatan-jepang",
     None),
])
def test_breaks_are_joined(first: str, second: str, joined: str, rest: str | None) -> None:
    lines = [line(first), line(second), line("It is well-known.", full=False)]
    pdf._join_breaks(lines)
    assert lines[0].text == joined
    if rest is None:
        assert lines[1].text == "It is well-known."
    else:
        assert lines[1].text == rest


@pytest.mark.parametrize(("first", "second", "full"), [
    ("available at https://www.example.org/report/", "Accessed 2024.", True),  # not URL text
    ("available at https://www.example.org/report/", "https://other.org/x", True),  # a second URL
    ("the first item -", "the second", True),  # a dash, not a hyphen
    ("a short line ending in pre-", "processing", False),  # not a full line: not a break
])
def test_breaks_that_are_not_joined(first: str, second: str, full: bool) -> None:
    lines = [line(first, full=full), line(second)]
    pdf._join_breaks(lines)
    assert [x.text for x in lines] == [first, second]


def test_blank_line_stops_a_join() -> None:
    lines = [line("the infor-"), line("mation", blank_before=True)]
    pdf._join_breaks(lines)
    assert [x.text for x in lines] == ["the infor-", "mation"]


def test_scanned_pdf_gets_a_clear_message() -> None:
    with pytest.raises(DocumentError, match=r"scanned\.pdf: has no text layer \(a scanned PDF\?\); the auditor "
                                            r"does not do OCR"):
        load_document(FIXTURES / "scanned.pdf")


def test_encrypted_pdf_gets_a_clear_message() -> None:
    with pytest.raises(DocumentError, match=r"encrypted\.pdf: is encrypted with a password"):
        load_document(FIXTURES / "encrypted.pdf")


@pytest.mark.parametrize(("data", "message"), [
    (b"Just some text, not a PDF at all.\n", "is not a PDF file"),
    (b"%PDF-1.7\n" + b"\x00garbage\xff" * 200, "is damaged or not a PDF the auditor can read"),
    (b"   \n", "the file is empty"),
])
def test_bad_files_get_one_clear_message(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=re.escape(message)) as info:
        load_document(path)
    assert "\n" not in str(info.value)


def test_truncated_pdf_is_refused_or_read_in_part(tmp_path: Path) -> None:
    """A PDF cut off halfway: either an error message or the text of the pages that survive."""
    data = (FIXTURES / "twocol.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    try:
        doc = load_document(path)
    except DocumentError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert all(v.startswith("page ") for v in doc.locators.values())


def test_limits_bound_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decompression bomb, too many pages, too much text: each refused with a message."""
    monkeypatch.setattr(pdf, "MAX_STREAM_BYTES", 1000)
    with pytest.raises(DocumentError, match="a compressed stream expands past"):
        load_document(FIXTURES / "single.pdf")
    monkeypatch.setattr(pdf, "MAX_STREAM_BYTES", 64 * 2**20)
    monkeypatch.setattr(pdf, "MAX_PAGES", 2)
    with pytest.raises(DocumentError, match=r"too many pages \(more than 2\)"):
        load_document(FIXTURES / "twocol.pdf")
    monkeypatch.setattr(pdf, "MAX_PAGES", 2000)
    monkeypatch.setattr(pdf, "MAX_CHARS", 500)
    with pytest.raises(DocumentError, match="more than 500 characters of text"):
        load_document(FIXTURES / "twocol.pdf")


def test_bounded_zlib_reads_normal_streams() -> None:
    data = b"BT /F1 12 Tf (Hello) Tj ET\n" * 100
    assert pdf._BoundedZlib.decompress(zlib.compress(data)) == data
    d = pdf._BoundedZlib.decompressobj()
    assert d.decompress(zlib.compress(data)) == data


def test_cli_reports_an_unreadable_pdf_with_exit_2(tmp_path: Path) -> None:
    from auditor.cli import cli

    result = CliRunner().invoke(cli, ["audit", str(FIXTURES / "scanned.pdf"), "--db", str(tmp_path / "a.db"),
                                      "--no-html"])
    assert result.exit_code == 2
    assert "does not do OCR" in result.output and "Traceback" not in result.output


def snapshot(path: Path) -> tuple[list, list, list]:
    """Entries, citations and findings of a document, without line numbers."""
    from auditor.checks import AuditContext, run_checks
    from auditor.config import Settings
    from auditor.parsing import parse_document

    parsed = parse_document(load_document(path))
    findings = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    label = {e.index: e.label for e in parsed.entries}

    def plain(message: str) -> str:
        """The message without line numbers and the Markdown "<…>" around a URL, cut before a quoted
        excerpt's own cut (where the text has "<", the excerpt stops one character earlier)."""
        message = re.sub(r"\(?line \d+(?:, line \d+)*\)?", "", message)
        return message.replace("<", "").replace(">", "")[:45]

    entries = sorted((e.author_text, e.year, tuple(e.urls), e.accessed.iso() if e.accessed else None, e.kind)
                     for e in parsed.entries)
    citations = sorted((squash(c.raw), c.status, label.get(c.entry_index)) for c in parsed.citations)
    found = sorted((f.rule, f.severity.value, (label.get(f.entry_index) or "").replace("<", "")[:35], plain(f.message))
                   for f in findings)
    return entries, citations, found


def test_pdf_of_a_manuscript_audits_like_its_source() -> None:
    """single.pdf is single.md through pandoc and LibreOffice: the same entries, citations and findings."""
    source, made = snapshot(FIXTURES / "single.md"), snapshot(FIXTURES / "single.pdf")
    assert made == source
    assert {f[0] for f in made[2]} >= {"unresolved-citation", "citation-year-mismatch", "uncited-entry"}


def test_demo_paper_pdf_audits_like_its_text() -> None:
    """The demo journal paper as a 37-page PDF: the same 62 entries, 110 citations and findings as the .txt."""
    text, made = snapshot(REFERENCES / "004_5a448dbc96d01709.txt"), snapshot(REFERENCES / "004_5a448dbc96d01709.pdf")
    assert len(made[0]) == 62 and len(made[1]) == 110
    assert made[0] == text[0]
    assert made[1] == text[1]
    assert made[2] == text[2]


def test_furniture_needs_repetition_at_one_height() -> None:
    """A header repeated (page number aside) at one height is furniture; the same words lower down on a
    page, or a line found on one page only, are text."""
    pages = []
    for n in range(1, 6):
        runs = [pdf._Run(100, 300, 800, 8, f"Jurnal Kajian · Vol. 3 · hal. {10 + n}")]
        runs += [pdf._Run(72, 500, 760 - 14 * k, 11, f"Body line {k} of page {n}.") for k in range(10)]
        runs.append(pdf._Run(290, 300, 40, 9, str(10 + n)))
        pages.append(pdf._Page(n, runs))
    pages[2].runs.append(pdf._Run(72, 300, 600, 8, "Jurnal Kajian · Vol. 3 · hal. 99"))  # in the text
    pages[3].runs.append(pdf._Run(72, 300, 20, 8, "A footnote at the very bottom of one page."))
    found = pdf._furniture(pages)
    dropped = {pages[n - 1].runs[i].text for n, i in found}
    assert dropped == {f"Jurnal Kajian · Vol. 3 · hal. {10 + n}" for n in range(1, 6)} | {
        str(10 + n) for n in (1, 2, 3, 5)}
    # Page 4's number is not on its bottom row (the footnote is), so it stays: the reader says less.


def test_footnotes_are_declared_as_notes() -> None:
    """footnotes.pdf (pandoc and LibreOffice): superscript markers in the text and numbered notes at the
    foot of three pages become "[N]" markers and a declared section of notes after the text; the
    bibliography under its heading is still found, and each note is located on its own page."""
    from auditor.parsing import parse_document

    doc = load_document(FIXTURES / "footnotes.pdf")
    assert doc.declared_sections is not None
    notes = [s for s in doc.declared_sections if s.footnotes]
    assert len(notes) == 1 and [i.number for i in notes[0].items or []] == [1, 2, 3, 4, 5, 6]
    assert [doc.locators[i.line] for i in notes[0].items or []] == ["page 1"] * 3 + ["page 2"] * 2 + ["page 3"]
    text = " ".join(doc.lines)
    assert "pada 1991.[3] Paragraf" in text and "1991.3" not in text
    # The paragraph broken by page 1's notes runs on, unbroken, at the top of page 2.
    assert any(line.endswith("latar belakang") for line in doc.lines)
    parsed = parse_document(doc)
    assert [e.kind for e in parsed.entries] == ["reference"] * 3 + ["note", "note", "ibid", "note", "note", "note"]
    assert all(c.status == "resolved" for c in parsed.citations) and len(parsed.citations) == 6
    _, _, findings = snapshot(FIXTURES / "footnotes.pdf")
    assert [(f[0], f[2]) for f in findings] == [("bibliography-order", "Kitchen, Nicholas 2010"),
                                                ("uncited-entry", "Kitchen, Nicholas 2010")]


def test_superscripts_without_notes_stay_text() -> None:
    """An affiliation mark ("Iman Sukoco1" over a numbered list) is not a footnote: nothing is declared."""
    doc = load_document(REFERENCES / "004_5a448dbc96d01709.pdf")
    assert doc.declared_sections is None
    assert doc.lines[2] == "Iman Sukoco1"


def test_a_short_column_is_read_with_the_documents_gutter() -> None:
    """The last page of a two-column paper, its right column two lines long: the other pages' gutter
    keeps the columns apart."""
    def page(number: int, right_lines: int) -> pdf._Page:
        runs = [pdf._Run(50, 280, 700 - 14 * k, 10, f"left {number}.{k} text") for k in range(8)]
        runs += [pdf._Run(300, 530, 700 - 14 * k, 10, f"right {number}.{k} text") for k in range(right_lines)]
        return pdf._Page(number, runs)

    pages = [page(1, 8), page(2, 8), page(3, 2)]
    doc = pdf._layout("x.pdf", b"", pages)
    last = [line for n, line in enumerate(doc.lines, 1) if doc.locators[n] == "page 3" and line]
    assert last == [f"left 3.{k} text" for k in range(8)] + ["right 3.0 text", "right 3.1 text"]


def test_damaged_pdfs_never_raise_anything_but_document_error() -> None:
    """Sixty copies of the fixtures with bytes overwritten, cut out or inserted: each is read or refused
    with a DocumentError, never another exception."""
    import random

    rng = random.Random(7)
    seeds = [(FIXTURES / name).read_bytes() for name in ("single.pdf", "twocol.pdf", "footnotes.pdf")]
    for _ in range(60):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 20)):
            k = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.5:
                data[k] = rng.randrange(256)
            elif choice < 0.7:
                del data[k:k + rng.randint(1, 200)]
            else:
                data[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 50)))
        try:
            doc = pdf.read_pdf("damaged.pdf", bytes(data))
        except DocumentError as exc:
            assert str(exc).startswith("damaged.pdf: ") and "\n" not in str(exc)
        else:
            assert len(doc.locators) == len(doc.lines)
