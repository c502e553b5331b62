"""Word .docx read by structure: paragraphs, headings, list numbers, tables, links, notes, reference-manager fields.

The fixtures under tests/fixtures/docx/ were made by pandoc and LibreOffice (tests/fixtures/docx/make.py);
small documents for single features are written here as WordprocessingML.
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REFERENCES, TODAY

from auditor.checks import AuditContext, run_checks
from auditor.checks.fields import field_difference
from auditor.cli import cli
from auditor.config import Settings
from auditor.documents import load_document
from auditor.errors import DocumentError
from auditor.model import Document, Finding, ParsedDocument, Severity
from auditor.parsing import parse_document

FIXTURES = Path(__file__).parent / "fixtures" / "docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def audited(path: Path | str) -> tuple[ParsedDocument, list[Finding]]:
    parsed = parse_document(load_document(path))
    return parsed, run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)


def body(doc: Document) -> list[str]:
    return [line for line in doc.lines if line]


def make_docx(tmp_path: Path, body_xml: str, name: str = "t.docx", footnotes: str = "", endnotes: str = "",
              numbering: str = "", styles: str = "", links: dict[str, str] | None = None,
              document: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal .docx: document.xml with the given body, and the parts asked for."""
    rels = ['<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/>']
    parts: dict[str, str | bytes] = {}
    for rid, kind, xml in (("rIdF", "footnotes", footnotes), ("rIdE", "endnotes", endnotes),
                           ("rIdN", "numbering", numbering)):
        if xml:
            rels.append(f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{kind}.xml"/>')
            parts[f"word/{kind}.xml"] = f'<w:{kind} xmlns:w="{W}">{xml}</w:{kind}>'
    for rid, url in (links or {}).items():
        rels.append(f'<Relationship Id="{rid}" Type="{R}/hyperlink" Target="{url}" TargetMode="External"/>')
    parts["word/styles.xml"] = f'<w:styles xmlns:w="{W}">{styles}</w:styles>'
    parts["word/_rels/document.xml.rels"] = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                             f'relationships">{"".join(rels)}</Relationships>')
    parts["word/document.xml"] = document if document is not None else (
        f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{body_xml}</w:body></w:document>')
    parts["_rels/.rels"] = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                            'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    parts.update(extra or {})
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts.items():
            z.writestr(part, data)
    return path


def p(text: str, style: str = "", num: tuple[int, int] | None = None) -> str:
    ppr = ""
    if style or num:
        numpr = f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>' if num else ""
        pstyle = f'<w:pStyle w:val="{style}"/>' if style else ""
        ppr = f"<w:pPr>{pstyle}{numpr}</w:pPr>"
    return f"<w:p>{ppr}{text}</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


# -- the demo paper ------------------------------------------------------------------------------------------


def _outcome(path: Path, db: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    CliRunner().invoke(cli, ["audit", str(path), "--db", str(db), "--no-html", "-q", "--fail-on", "never"],
                       catch_exceptions=False)
    c = sqlite3.connect(db)
    entries = c.execute("select kind, authors, year, title, container, urls, doi, number, subsection "
                        "from entries order by line").fetchall()
    citations = c.execute("select c.raw, c.kind, c.status, e.authors, e.year, e.title from citations c left join entries e "
                          "on e.id = c.entry_id order by c.line, c.column").fetchall()
    findings = c.execute("select f.rule, f.severity, e.authors, e.year, e.title, f.message from findings f left join entries e "
                         "on e.id = f.entry_id").fetchall()
    no_lines = re.compile(r"\blines? \d+(?:, (?:line )?\d+)*")
    return entries, citations, sorted(tuple(no_lines.sub("L", str(v)) for v in f) for f in findings)


def test_demo_paper_as_docx_audits_like_its_text(tmp_path: Path) -> None:
    """The journal paper converted by pandoc gives the same entries (every parsed field), citations and
    findings as the .txt, apart from line numbers (the raw text differs: Word has no "*" around titles)."""
    txt = _outcome(REFERENCES / "004_5a448dbc96d01709.txt", tmp_path / "t.db")
    docx = _outcome(REFERENCES / "004_5a448dbc96d01709.docx", tmp_path / "d.db")
    assert len(txt[0]) == 62 and len(txt[1]) == 110
    assert docx[0] == txt[0]
    assert docx[1] == txt[1]
    assert docx[2] == txt[2]


def test_demo_paper_headings_and_list_paragraphs() -> None:
    doc = load_document(REFERENCES / "004_5a448dbc96d01709.docx")
    assert "## DAFTAR PUSTAKA" in doc.lines and "### Buku" in doc.lines
    heading = doc.lines.index("## DAFTAR PUSTAKA") + 1
    assert re.fullmatch(r"paragraph \d+", doc.locators[heading])
    assert any(line.startswith("- Balkan Devlen, Ozgur Ozdamar. 2009.") for line in doc.lines)


# -- notes, lists, tables, links -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.docx", "notes-libreoffice.docx"])
def test_footnotes_are_declared_notes_and_ibid_resolves(name: str) -> None:
    """Word footnotes (pandoc's and LibreOffice's) become [N] markers and a notes section after the body;
    Ibid. and Op. Cit. notes resolve to the note they stand for; "Ibid., hlm. 5" is note 2."""
    parsed, findings = audited(FIXTURES / name)
    doc = parsed.document
    assert doc.lines[4].startswith("Teori realisme menempatkan negara sebagai aktor utama.[1] Pandangan")
    notes = [e for e in parsed.entries if e.is_footnote]
    assert [e.number for e in notes] == [1, 2, 3, 4, 5]
    assert [e.kind for e in notes] == ["note", "ibid", "note", "op-cit", "ibid"]
    first = notes[0].index
    assert [e.refers_to for e in notes[1:]] == [first, None, first, first]
    assert doc.locator(notes[1].line) == "footnote 2"
    assert doc.line(notes[1].line) == "2. Ibid., hlm. 5."
    numbered = [c for c in parsed.citations if c.kind == "numbered"]
    assert [c.number for c in numbered] == [1, 2, 3, 4, 5] and all(c.status == "resolved" for c in numbered)
    bibliography = [e for e in parsed.entries if not e.is_footnote]
    assert [e.authors[0] for e in bibliography] == ["Morgenthau, Hans J", "Waltz, Kenneth N"]
    assert not [f for f in findings if f.severity == Severity.ERROR]


@pytest.mark.parametrize("name", ["notes.docx", "notes-libreoffice.docx"])
def test_lists_tables_and_links(name: str) -> None:
    """A numbered list starting at 3 keeps its numbers; table cells are lines of their own with a table
    locator and a citation in a cell resolves; a link whose text is not its URL shows both."""
    parsed, _ = audited(FIXTURES / name)
    doc = parsed.document
    lines = body(doc)
    assert [line for line in lines if line[:2] in ("3.", "4.", "5.")][:3] == [
        "3. Mengumpulkan data sekunder.", "4. Menganalisis data dengan teori.", "5. Menarik kesimpulan."]
    assert "laman Kementerian Luar Negeri <https://kemlu.go.id/portal/id>" in doc.lines[6]
    assert "<https://www.un.org/en/about-us>" in doc.lines[6]
    cell = doc.lines.index("Laporan tahunan (Waltz 1979)") + 1
    assert doc.locator(cell) == "table 1, row 2"
    waltz = [c for c in parsed.citations if c.line == cell]
    assert waltz and waltz[0].status == "resolved"
    assert [s.heading for s in parsed.sections if not s.footnotes] == ["Daftar Pustaka"]  # not the "Sumber" cell


def test_locators_are_stored(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    CliRunner().invoke(cli, ["audit", str(FIXTURES / "notes.docx"), "--db", str(db), "--no-html", "-q",
                             "--fail-on", "never"], catch_exceptions=False)
    c = sqlite3.connect(db)
    locators = {row[0] for row in c.execute("select locator from entries")}
    assert {"footnote 1", "footnote 5", "paragraph 10"} <= locators
    assert {row[0] for row in c.execute("select locator from citations")} >= {"paragraph 3", "table 1, row 2"}


NUMBERING = """
<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
<w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>
<w:lvlText w:val="%2)"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
<w:lvlText w:val="[%1]"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="3"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="\u2022"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="10"/></w:lvlOverride></w:num>
<w:num w:numId="4"><w:abstractNumId w:val="2"/></w:num>
<w:num w:numId="5"><w:abstractNumId w:val="3"/></w:num>
"""
STYLES = """
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Judul2"><w:name w:val="Judul Bab"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Sub"><w:name w:val="Sub"/><w:basedOn w:val="Judul2"/></w:style>
<w:style w:type="paragraph" w:styleId="DaftarNomor"><w:name w:val="Daftar Nomor"/><w:pPr><w:numPr><w:numId w:val="4"/>
</w:numPr></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/></w:style>
"""


def test_numbering_styles_and_run_content(tmp_path: Path) -> None:
    """Decimal and letter levels count per list and restart deeper levels; lists sharing a definition
    continue unless one overrides its start; a style can carry numbering; headings by style name, outline
    level and inheritance; deleted text is left out, inserted text kept; soft breaks start a line."""
    xml = "".join([
        p(r("Bab Satu"), "Heading1"),
        p(r("Bagian"), "Sub"),
        p(r("Daftar isi 3"), "TOC1"),
        p(r("satu"), num=(1, 0)), p(r("anak a"), num=(1, 1)), p(r("anak b"), num=(1, 1)),
        p(r("dua"), num=(2, 0)), p(r("anak a lagi"), num=(1, 1)),
        p(r("sepuluh"), num=(3, 0)), p(r("sebelas"), num=(3, 0)),
        p(r("Smith. 2020. Judul."), "DaftarNomor"), p(r("Jones. 2021. Judul."), "DaftarNomor"),
        p(r("butir"), num=(5, 0)),
        p(r("ada ") + f'<w:del><w:r><w:delText>terhapus </w:delText></w:r></w:del><w:ins>{r("sisipan")}</w:ins>'
          + '<w:r><w:br/></w:r>' + r("baris kedua") + '<w:r><w:tab/><w:noBreakHyphen/></w:r>' + r("x")),
    ])
    doc = load_document(make_docx(tmp_path, xml, numbering=NUMBERING, styles=STYLES))
    assert body(doc) == ["# Bab Satu", "## Bagian", "Daftar isi 3", "1. satu", "a) anak a", "b) anak b", "2. dua",
                         "a) anak a lagi", "10. sepuluh", "11. sebelas", "[1] Smith. 2020. Judul.",
                         "[2] Jones. 2021. Judul.", "- butir", "ada sisipan", "baris kedua -x"]
    toc = doc.lines.index("Daftar isi 3") + 1
    assert toc in doc.skip_lines
    assert doc.locator(doc.lines.index("baris kedua -x") + 1) == doc.locator(doc.lines.index("ada sisipan") + 1)


def test_hyperlink_fields_simple_fields_and_endnotes(tmp_path: Path) -> None:
    """A HYPERLINK field shows its target; an internal link does not; fldSimple results are text; with
    both footnotes and endnotes, endnote markers are "[e N]"; a custom footnote mark is not numbered."""
    xml = p(r("Lihat ")
            + '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "https://a.example/x" '
            + '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r("laman A")
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>' + r(" dan ")
            + f'<w:hyperlink w:anchor="bab2">{r("Bab 2")}</w:hyperlink>' + r(" dan ")
            + f'<w:hyperlink r:id="rIdL">{r("https://b.example/")}</w:hyperlink>'
            + '<w:fldSimple w:instr=" PAGE ">' + r(" halaman 4") + "</w:fldSimple>"
            + r(" teks.") + '<w:r><w:footnoteReference w:id="7"/></w:r>' + r(" Lagi.")
            + '<w:r><w:endnoteReference w:id="3"/></w:r>' + r(" Bintang")
            + '<w:r><w:footnoteReference w:customMarkFollows="1" w:id="8"/><w:t>*</w:t></w:r>')
    note = '<w:footnote w:id="{}"><w:p><w:r><w:footnoteRef/></w:r>' + r(" {}") + "</w:p></w:footnote>"
    doc = load_document(make_docx(
        tmp_path, xml, links={"rIdL": "https://b.example/"},
        footnotes='<w:footnote w:type="separator" w:id="-1"><w:p/></w:footnote>' + note.format(7, "Smith, Buku, 2020.")
        + note.format(8, "Catatan bintang."),
        endnotes=f'<w:endnote w:id="3"><w:p>{r("Jones, Artikel, 2021.")}</w:p></w:endnote>'))
    assert doc.lines[0] == ("Lihat laman A <https://a.example/x> dan Bab 2 dan <https://b.example/> halaman 4 teks.[1]"
                            " Lagi.[e 1] Bintang*")
    notes = [(doc.line(i.line), i.number, i.group, doc.locator(i.line)) for s in doc.declared_sections or []
             for i in s.items or []]
    assert notes == [("1. Smith, Buku, 2020.", 1, "", "footnote 1"), ("[e 1] Jones, Artikel, 2021.", 1, "e", "endnote 1")]


# -- reference-manager fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["zotero", "mendeley", "endnote", "zotero-text-list"])
def test_reference_manager_fields_resolve_exactly(manager: str) -> None:
    """Citation fields are key citations of their items; the bibliography field's paragraphs take the items'
    keys and exact data; a paragraph no item explains, and one typed after the field, stay text entries.
    A reference list typed as text (no bibliography field) is paired with the items the same way."""
    parsed, findings = audited(FIXTURES / f"{manager}.docx")
    entries = {e.line: e for e in parsed.entries}
    keyed = [(e.key, e.authors[0], e.year, e.doi) for e in parsed.entries if e.key]
    assert keyed == [("Lee2020", "Lee, Min-jun", "2020", "10.5555/as.2020.7"),
                     ("Rahman2019", "Rahman, Arif", "2019", "10.1234/jp.2019.5"),
                     ("Wijaya2021", "Wijaya, Sari", "2021", None)]
    assert [e.record is None for e in entries.values()] == [False, False, False, True, True]
    assert {c.kind for c in parsed.citations} == {"key"}
    assert all(c.status == "resolved" for c in parsed.citations)
    first = parsed.citations[0]
    assert (first.marker, first.field_text, first.column) == ("(Rahman, 2019)", "(Rahman, 2019)", 42)
    assert parsed.document.lines[first.line - 1][first.column - 1:].startswith("(Rahman, 2019)")
    uncited = sorted(f.line for f in findings if f.rule == "uncited-entry")
    assert uncited == [13, 15]  # Yusuf 2018 and the entry typed after the field


def test_edited_fields_are_reported_by_what_changed() -> None:
    """Zotero: a year retyped (error); Mendeley: a work dropped (error); EndNote: an author's name replaced
    (warning). Extra spaces (Zotero) or lost italics and a comma (Mendeley) are not reported."""
    got = {}
    for manager in ("zotero", "mendeley", "endnote"):
        _, findings = audited(FIXTURES / f"{manager}.docx")
        got[manager] = [(f.severity, f.message) for f in findings if f.rule == "edited-citation-field"]
    assert got["zotero"] == [(Severity.ERROR, "the citation shows \u201c(Lee, 2018)\u201d but its reference-manager "
                              "field holds \u201c(Lee, 2020)\u201d: the years differ (2020 is gone; 2018 appears)")]
    assert [s for s, _ in got["mendeley"]] == [Severity.ERROR]
    assert "(2020 is gone)" in got["mendeley"][0][1]
    assert got["endnote"] == [(Severity.WARNING, "the citation shows \u201c(Kim, 2020)\u201d but its reference-manager "
                               "field holds \u201c(Lee, 2020)\u201d: the names differ (Lee is gone; Kim appears)")]


@pytest.mark.parametrize(("shown", "own", "expected"), [
    ("(Smith,  2020 )", "(Smith, 2020)", None),
    ("(Smith 2020)", "(<i>Smith</i>, 2020)", None),
    ("(Smith, Jones, & Lee, 2020)", "(Smith et al., 2020)", None),  # the co-authors are the item's own
    ("(lihat Smith, 2020)", "(Smith, 2020)", None),
    ("[1, 2]", "[1–2]", None),
    ("[3]", "[2]", Severity.ERROR),
    ("(Smith, 2021)", "(Smith, 2020)", Severity.ERROR),
    ("(Smith, 2020)", "(Smith, 2020; Jones, 2020)", Severity.ERROR),
    ("(Smith, 2020b)", "(Smith, 2020a)", Severity.WARNING),
    ("(Smyth, 2020)", "(Smith, 2020)", Severity.WARNING),
])
def test_field_difference(shown: str, own: str, expected: Severity | None) -> None:
    found = field_difference(shown, own, {"smith", "jones", "lee"})
    assert (found[1] if found else None) == expected, found


def test_citation_field_in_a_footnote(tmp_path: Path) -> None:
    """A Zotero field inside a footnote (notes styles) is declared on the note's line at its column."""
    instr = (' ADDIN ZOTERO_ITEM CSL_CITATION {"citationItems":[{"id":5,"uris":["http://zotero.org/u/1/items/X"],'
             '"itemData":{"id":5,"type":"book","title":"Buku Saya","author":[{"family":"Putra","given":"Budi"}],'
             '"issued":{"date-parts":[["2015"]]}}}],"properties":{"plainCitation":"Putra, Buku Saya, 2015."}} ')
    field = (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>{instr[:50]}</w:instrText></w:r>'
             f'<w:r><w:instrText>{instr[50:]}</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
             + r("Putra, Buku Saya, 2016.") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    path = make_docx(tmp_path, p(r("Teks.") + '<w:r><w:footnoteReference w:id="1"/></w:r>'),
                     footnotes=f'<w:footnote w:id="1"><w:p>{r("Lihat ")}{field}</w:p></w:footnote>')
    doc = load_document(path)
    (cite,) = doc.declared_citations or []
    assert doc.line(cite.line) == "1. Lihat Putra, Buku Saya, 2016."
    assert doc.line(cite.line)[cite.column - 1:] == "Putra, Buku Saya, 2016."
    assert (cite.key, cite.field_text) == ("footnote-1", "Putra, Buku Saya, 2015.")
    parsed, findings = audited(path)
    assert [f.rule for f in findings if f.severity == Severity.ERROR] == ["edited-citation-field"]
    # With no bibliography, the note that holds the field is the item's reference: the citation resolves to it.
    assert [(c.raw, c.status, parsed.entries[c.entry_index or 0].number) for c in parsed.citations
            if c.kind == "key"] == [("footnote-1", "resolved", 1)]


# -- bad files ------------------------------------------------------------------------------------------------


def _error(path: Path) -> str:
    with pytest.raises(DocumentError) as info:
        load_document(path)
    return str(info.value)


def test_legacy_doc_made_by_libreoffice(tmp_path: Path) -> None:
    """A Word 97-2003 file, named .doc or .docx, is refused with the fix; so is RTF saved as .doc."""
    assert _error(FIXTURES / "legacy.doc").endswith("a legacy Word 97-2003 .doc; save it as .docx")
    target = tmp_path / "skripsi.docx"
    target.write_bytes((FIXTURES / "legacy.doc").read_bytes())
    assert _error(target).endswith("a legacy Word 97-2003 .doc; save it as .docx")
    (tmp_path / "bab1.doc").write_bytes(b"{\\rtf1\\ansi Teks}")
    assert "a Rich Text (RTF) file" in _error(tmp_path / "bab1.doc")


def test_encrypted_corrupt_and_foreign_files(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100
    (tmp_path / "locked.docx").write_bytes(ole)
    assert "encrypted (password-protected) Word document" in _error(tmp_path / "locked.docx")
    (tmp_path / "text.docx").write_text("just some text", encoding="utf-8")
    assert "not a Word .docx file" in _error(tmp_path / "text.docx")
    data = (FIXTURES / "notes.docx").read_bytes()
    (tmp_path / "cut.docx").write_bytes(data[: len(data) // 2])
    assert "a corrupt .docx" in _error(tmp_path / "cut.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("content.xml", "<office/>")
    (tmp_path / "odt.docx").write_bytes(buffer.getvalue())
    assert "no word/document.xml" in _error(tmp_path / "odt.docx")
    broken = make_docx(tmp_path, "", name="broken.docx", document="<w:document><w:body>")
    assert "not well-formed XML" in _error(broken)


def test_entities_and_zip_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    laughs = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;">]>'
              f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>')
    assert "declares a DTD or entities" in _error(make_docx(tmp_path, "", name="lol.docx", document=laughs))
    external = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    assert "declares a DTD or entities" in _error(make_docx(tmp_path, "", name="xxe.docx", document=external))
    bomb = make_docx(tmp_path, p(r("a")), name="bomb.docx", extra={"word/media/zeros.bin": b"\0" * (8 << 20)})
    assert "zip bomb" in _error(make_docx(tmp_path, p(r("a")), name="bomb2.docx", document=(
        f'<w:document xmlns:w="{W}"><w:body>{p(r("a" * (8 << 20)))}</w:body></w:document>')))
    load_document(bomb)  # an unread part (a picture) costs nothing
    import auditor.docx

    monkeypatch.setattr(auditor.docx, "MAX_TOTAL", 1 << 20)
    assert "would expand to" in _error(bomb)


def test_a_bad_docx_alone_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "old.docx"
    target.write_bytes((FIXTURES / "legacy.doc").read_bytes())
    result = CliRunner().invoke(cli, ["audit", str(target), "--db", str(tmp_path / "a.db"), "--no-html"])
    assert result.exit_code == 2
    assert "legacy Word 97-2003 .doc" in result.output
    assert "Traceback" not in result.output


def test_old_mendeley_field_with_an_id_before_the_json() -> None:
    """`ADDIN Mendeley Citation{uuid} CSL_CITATION {json}`: the JSON after CSL_CITATION is read."""
    from auditor.docx import _citation

    found = _citation('ADDIN Mendeley Citation{9b8f0c2e-1111} CSL_CITATION {"citationItems":[{"id":"ITEM-1",'
                      '"itemData":{"title":"T","author":[{"family":"Ali","given":"B"}],"issued":{"date-parts":'
                      '[["2010"]]}}}],"mendeley":{"formattedCitation":"(Ali, 2010)"}}', [])
    assert found is not None
    text, items = found
    assert text == "(Ali, 2010)" and [(i.record.authors, i.record.year) for i in items] == [(["Ali, B"], "2010")]
