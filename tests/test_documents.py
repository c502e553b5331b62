"""Reading documents: formats, encodings, repairs, and the bad-input cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.documents import load_document
from auditor.errors import DocumentError, UnsupportedFormatError


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_utf8_with_bom_is_read_without_the_bom(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is dropped and the text read as UTF-8."""
    doc = load_document(write(tmp_path, "a.txt", "\ufeffAragón (Ford 2009)\n".encode("utf-8")))
    assert doc.lines[0] == "Aragón (Ford 2009)"
    assert doc.encoding == "utf-8-sig"


def test_latin1_text_is_detected(tmp_path: Path) -> None:
    """A file in another encoding is decoded by detection, not garbled."""
    text = "Kebijakan luar negeri Rusia terhadap Korea Utara dibahas secara rinci (Aragón 2020).\n" * 20
    doc = load_document(write(tmp_path, "a.txt", text.encode("cp1252")))
    assert "Aragón" in doc.lines[0]


def test_mojibake_is_repaired_and_remembered(tmp_path: Path) -> None:
    """The stray "Â" of a UTF-8 no-break space read as Latin-1 is removed and its line recorded."""
    doc = load_document(write(tmp_path, "a.txt", "first line\ndominasinya.Â\nCafÃ© ok\n".encode()))
    assert doc.lines[1] == "dominasinya."
    assert doc.lines[2] == "Café ok"
    assert doc.repaired_lines == [2, 3]


def test_line_numbers_follow_the_file(tmp_path: Path) -> None:
    """Lines are split on \\n, \\r\\n and \\r only, so numbers match the file as given."""
    doc = load_document(write(tmp_path, "a.txt", b"one\r\ntwo\rthree\nfour\x0cstill four\n"))
    assert doc.lines[:4] == ["one", "two", "three", "four\x0cstill four"]


@pytest.mark.parametrize("name,data,message", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"  \n\n\t\n", "empty"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ("report.zip", b"PK\x03\x04", "unsupported format"),
    ("report.docx", b"PK\x03\x04", "a corrupt .docx"),
])
def test_bad_documents_raise_a_clear_error(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    """Empty, binary and unsupported files raise DocumentError naming the file and the problem."""
    path = write(tmp_path, name, data)
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert name in str(info.value) and message in str(info.value)


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    """A path that does not exist is reported, not raised as a traceback."""
    with pytest.raises(DocumentError, match="no such file"):
        load_document(tmp_path / "nope.md")


def test_unsupported_format_is_a_document_error() -> None:
    """UnsupportedFormatError is a DocumentError, so the CLI treats it the same way."""
    assert issubclass(UnsupportedFormatError, DocumentError)


def test_html_blocks_keep_their_source_lines(tmp_path: Path) -> None:
    """HTML is read with BeautifulSoup; each block's text sits on the line where it starts."""
    html = (b"<html><head><title>T</title><script>var x = '(Ford 2009)';</script></head>\n<body>\n"
            b"<p>Realism (Ford 2009) and\nmore text.</p>\n<h2>References</h2>\n<ul>\n"
            b"<li>Ford, A. 2009. <i>Denting the Hub</i>. <a href=\"https://example.org/x\">link</a></li>\n"
            b"</ul></body></html>\n")
    doc = load_document(write(tmp_path, "a.html", html))
    assert doc.lines[2].startswith("Realism (Ford 2009) and more text.")
    assert doc.lines[4] == "## References"
    assert doc.lines[6].startswith("- Ford, A. 2009.") and "<https://example.org/x>" in doc.lines[6]
    assert "var x" not in "\n".join(doc.lines)


def test_markdown_component_blocks_are_not_prose(tmp_path: Path) -> None:
    """JSX components and fenced code in Markdown are skipped by the parsers."""
    md = b'Text (Ford 2009).\n\n<Chart\n  caption="Asia Tenggara (1999)."\n/>\n\n```\n(Smith 2001)\n```\n'
    doc = load_document(write(tmp_path, "a.md", md))
    assert {3, 4, 5, 7, 8, 9} <= doc.skip_lines
    assert 1 not in doc.skip_lines


def test_folder_discovery_respects_gitignore_and_skips_its_own_output(tmp_path: Path) -> None:
    from auditor.audit import collect_paths

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".gitignore").write_text("drafts/\n*.tmp.md\n!keep.tmp.md\n")
    docs = repo / "docs"
    for name in ("paper.md", "notes.tmp.md", "keep.tmp.md", "drafts/old.md", "sub/chapter.md",
                 "citation_auditor.egg-info/PKG-INFO.md", "reports/index.html", "reports/documents/a.html",
                 "site/index.html"):
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text("# x\n\ntext\n")
    (docs / "sub" / ".gitignore").write_text("chapter.md\n")
    (docs / "reports" / "index.html").write_text(
        '<!doctype html><html><head><meta name="generator" content="citation-auditor 0.1.0"></head></html>')
    found, problems = collect_paths([str(docs)])
    assert sorted(p.relative_to(docs).as_posix() for p in found) == ["keep.tmp.md", "paper.md", "site/index.html"]
    assert problems == []
