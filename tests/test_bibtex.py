"""BibTeX/BibLaTeX databases (.bib): exact records, required fields, duplicate keys, broken entries, and a
standalone .bib audited with the entry-level rules only."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.documents import load_document
from auditor.errors import DocumentError
from auditor.model import PartialDate
from auditor.parsing import parse_document

TODAY = dt.date(2026, 11, 22)

BIB = r"""% A database written by hand
@string{jdeep = "Journal of Deep Things"}

@article{smith2020,
  author  = {Smith, John and van der Berg, Anna and {World Health Organization} and others},
  title   = {A {Study} of {\"O}rnek \& Things in {\LaTeX}},
  journal = jdeep,
  year    = 2020,
  month   = may,
  volume  = {12},
  number  = {3},
  pages   = {45--67},
  doi     = {https://doi.org/10.1234/ABC.5},
}

@online{who2023,
  author   = {{World Health Organization}},
  title    = {Fact sheet},
  date     = {2023-05-04},
  url      = {https://www.who.int/news-room/fact\_sheets},
  urldate  = {2024-03-01},
}

@inproceedings{ludwig1800,
  author    = "Ludwig van Beethoven and Jean de La Fontaine and King, Jr., Martin Luther",
  title     = "Music for Machines",
  booktitle = "Proceedings of the Conference",
  year      = "1800",
}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def entries(path: Path):
    return parse_document(load_document(path)).entries


def audit(*paths: Path):
    from auditor.audit import audit_paths
    from auditor.config import Settings

    return audit_paths([str(p) for p in paths], Settings(), today=TODAY)


def findings(result, rule: str | None = None) -> list[tuple[str, str, int | None]]:
    return [(Path(d.path).name, f.rule, f.line) for d in result.documents for f in d.findings
            if rule is None or f.rule == rule]


def test_fields_are_read_exactly_from_the_record(tmp_path: Path) -> None:
    """Names split as BibTeX splits them (von parts, {Organisations}, "and others"), LaTeX decoded,
    @string macros resolved, DOI and URL normalised, dates from year/month, date and urldate."""
    smith, who, ludwig = entries(write(tmp_path, "refs.bib", BIB))
    assert (smith.key, smith.line, smith.end_line) == ("smith2020", 4, 14)
    assert smith.authors == ["Smith, John", "van der Berg, Anna", "World Health Organization"]
    assert smith.author_text.endswith("et al.") and smith.record is not None and smith.record.et_al
    assert smith.title == "A Study of Örnek & Things in LaTeX"
    assert smith.container == "Journal of Deep Things"
    assert (smith.record.volume, smith.record.issue, smith.record.pages) == ("12", "3", "45–67")
    assert smith.doi == "10.1234/abc.5" and smith.year == "2020"
    assert smith.published == PartialDate(2020, 5)
    assert who.authors == ["World Health Organization"] and who.year == "2023"
    assert who.urls == ["https://www.who.int/news-room/fact_sheets"]
    assert who.accessed == PartialDate(2024, 3, 1) and who.published == PartialDate(2023, 5, 4)
    assert ludwig.authors == ["van Beethoven, Ludwig", "de La Fontaine, Jean", "King, Martin Luther, Jr."]
    assert ludwig.container == "Proceedings of the Conference"
    assert all(e.record is not None and e.record.missing == [] for e in (smith, who, ludwig))


def test_each_line_of_an_entry_has_its_file_locator(tmp_path: Path) -> None:
    """Entries point at their `@type{key,` line, with the locator refs.bib:N."""
    doc = load_document(write(tmp_path, "refs.bib", BIB))
    assert doc.locator(4) == "refs.bib:4" and doc.locator(16) == "refs.bib:16" and doc.locator(24) == "refs.bib:24"
    assert doc.declared_sections is not None and doc.declared_sections[0].heading == "BibTeX"


@pytest.mark.parametrize("entry,missing", [
    ("@article{a, author={A, B}, title={T}, year={2020}}", ["journal (or journaltitle)"]),
    ("@article{a, author={A, B}, title={T}, journaltitle={J}, date={2020-01}}", []),  # BibLaTeX names
    ("@article{a, title={T}, journal={}, year={2020}}", ["author", "journal (or journaltitle)"]),
    ("@book{a, editor={E, F}, title={T}, publisher={P}, year={2020}}", []),  # author or editor
    ("@book{a, author={A, B}, title={T}, year={2020}}", ["publisher"]),
    ("@inproceedings{a, author={A, B}, title={T}, year={2020}}", ["booktitle"]),
    ("@phdthesis{a, author={A, B}, title={T}, year={2020}}", ["school (or institution)"]),
    ("@techreport{a, author={A, B}, title={T}, year={2020}}", ["institution (or school)"]),
    ("@misc{a, title={T}}", []),
    ("@inproceedings{a, author={A, B}, title={T}, crossref={proc}}", []),  # the parent gives the rest
    ("@Article{a, Author={A, B}, TITLE={T}, Journal={J}, Year={2020}}", []),  # names are case-insensitive
])
def test_required_fields_by_type(tmp_path: Path, entry: str, missing: list[str]) -> None:
    """missing = the requirements of the type the entry does not meet (BibTeX's, BibLaTeX's names count)."""
    (e,) = entries(write(tmp_path, "refs.bib", entry + "\n"))
    assert e.record is not None and e.record.missing == missing


def test_an_edited_book_is_known_by_its_editors(tmp_path: Path) -> None:
    (e,) = entries(write(tmp_path, "refs.bib", "@book{a, editor={Eddy, Ed and Other, O}, title={T}, publisher={P}, "
                                               "year={2020}}\n"))
    assert e.authors == ["Eddy, Ed", "Other, O"]


def test_missing_field_names_the_fields_and_the_type(tmp_path: Path) -> None:
    """missing-field (warning) names what is missing and the type; missing-year stays quiet for it."""
    path = write(tmp_path, "refs.bib", "@article{a, author={A, B}, title={T}}\n")
    result = audit(path)
    (doc,) = result.documents
    (f,) = [f for f in doc.findings if f.rule == "missing-field"]
    assert f.severity.value == "warning" and f.line == 1
    assert f.message == "a lacks journal (or journaltitle) and year (or date), required for the type @article"
    assert findings(result, "missing-year") == []


def test_a_duplicate_key_is_an_error_and_the_first_entry_is_used(tmp_path: Path) -> None:
    """Two entries with one key: duplicate-key (error) at the second; citations resolve to the first."""
    bib = write(tmp_path, "refs.bib", "@book{dup, author={A, B}, title={First Book Title}, publisher={P}, year=2020}\n"
                                      "@book{dup, author={C, D}, title={Second Book Title}, publisher={P}, year=2021}\n")
    write(tmp_path, "main.tex", "\\begin{document}\nText \\cite{dup}.\n\\bibliography{refs}\n\\end{document}\n")
    result = audit(tmp_path)
    dup = [f for d in result.documents for f in d.findings if f.rule == "duplicate-key"]
    assert [(f.line, f.severity.value) for f in dup] == [(2, "error")]
    assert "line 1" in dup[0].message
    main = next(d for d in result.documents if d.path.endswith("main.tex"))
    assert main.parsed is not None
    (cite,) = main.parsed.citations
    assert cite.status == "resolved" and cite.entry_index is not None
    bib_doc = next(d for d in result.documents if d.path == str(bib))
    assert bib_doc.parsed is not None and bib_doc.parsed.entries[0].line == 1
    assert findings(result, "duplicate-entry") == []  # the same key twice is said once


def test_the_same_work_under_two_keys_is_a_duplicate_entry(tmp_path: Path) -> None:
    """Identical authors, title and year under different keys: duplicate-entry at the second."""
    path = write(tmp_path, "refs.bib",
                 "@article{smith2020, author={Smith, John and Doe, Jane}, title={Deep Learning for Citation Audits},\n"
                 "  journal={J}, year={2020}}\n"
                 "@misc{smith2020b, author={John Smith and Jane Doe}, title={Deep learning for citation audits},\n"
                 "  year={2020}}\n")
    result = audit(path)
    assert findings(result, "duplicate-entry") == [("refs.bib", "duplicate-entry", 3)]


def test_a_broken_entry_is_reported_and_the_rest_are_read(tmp_path: Path) -> None:
    """An entry with a missing brace is a broken-entry with the parser's reason; the entries after it count."""
    path = write(tmp_path, "refs.bib",
                 "@article{good, author={A, B}, title={T}, journal={J}, year={2020}}\n"
                 "@article{broken,\n  author = {Unclosed, A.,\n  title = {x},\n\n"
                 "@book{after, author={C, D}, title={U}, publisher={P}, year={2021}}\n")
    result = audit(path)
    (doc,) = result.documents
    assert doc.parsed is not None
    assert [(e.key, e.kind) for e in doc.parsed.entries] == [("good", "reference"), ("broken", "fragment"),
                                                             ("after", "reference")]
    broken = [f for f in doc.findings if f.rule == "broken-entry"]
    assert [f.line for f in broken] == [2] and "broken cannot be read" in broken[0].message
    assert [f.rule for f in doc.findings] == ["broken-entry"]


@pytest.mark.parametrize("text", [
    "This is a plain text file, not a bibliography.\n",
    "<html><body>Not BibTeX</body></html>\n",
])
def test_a_file_that_is_not_bibtex_is_one_clear_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "refs.bib", text)
    with pytest.raises(DocumentError, match="not a BibTeX database"):
        load_document(path)
    result = CliRunner().invoke(cli, ["audit", str(path), "--no-html", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "not a BibTeX database" in result.output
    assert "Traceback" not in result.output


def test_a_standalone_bib_gets_entry_level_rules_only(tmp_path: Path) -> None:
    """Audited on its own, a .bib has no text to cite it: no uncited-entry, no citation rules, no order."""
    path = write(tmp_path, "refs.bib",
                 "@book{zeta, author={Zeta, A}, title={Z}, publisher={P}, year=2020}\n"
                 "@book{alpha, author={Alpha, B}, title={A}, publisher={P}, year=2019}\n"
                 "@book{mid, author={Mid, C}, title={M}, publisher={P}}\n")
    result = audit(path)
    assert {rule for _, rule, _ in findings(result)} == {"missing-field"}


def test_unused_entries_of_a_papers_bib_are_info(tmp_path: Path) -> None:
    """Within a paper, a .bib entry no citation uses is an info: BibTeX leaves it out of the bibliography,
    and a .bib is often shared between papers."""
    write(tmp_path, "refs.bib", "@book{used, author={A, B}, title={T}, publisher={P}, year=2020}\n"
                                "@book{spare, author={C, D}, title={U}, publisher={P}, year=2021}\n")
    write(tmp_path, "main.tex", "\\begin{document}\nText \\cite{used}.\n\\bibliography{refs}\n\\end{document}\n")
    result = audit(tmp_path)
    uncited = [f for d in result.documents for f in d.findings if f.rule == "uncited-entry"]
    assert [(f.line, f.severity.value) for f in uncited] == [(2, "info")]
    assert "spare" in uncited[0].message


def test_the_locator_is_stored_in_the_database(tmp_path: Path) -> None:
    """entries.locator and findings.locator hold refs.bib:N for a .bib's entries."""
    write(tmp_path, "paper/refs.bib", "% refs\n\n@book{used, author={A, B}, title={T}, publisher={P}, year=2020}\n"
                                      "@article{nojournal,\n  author={C, D},\n  title={U},\n  year={2021}}\n")
    write(tmp_path, "paper/main.tex", "\\begin{document}\nText \\cite{used,nojournal}.\n\\bibliography{refs}\n"
                                      "\\end{document}\n")
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["audit", str(tmp_path / "paper"), "--no-html", "--db", str(db)])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    try:
        stored = con.execute("select e.line, e.locator from entries e order by e.line").fetchall()
        found = con.execute("select rule, line, locator from findings").fetchall()
    finally:
        con.close()
    assert stored == [(3, "refs.bib:3"), (4, "refs.bib:4")]
    assert found == [("missing-field", 4, "refs.bib:4")]


def test_a_large_bib_is_read_quickly(tmp_path: Path) -> None:
    """Two thousand entries: read and audited within seconds, every entry kept."""
    import time

    text = "".join(f"@article{{k{i},\n  author = {{Author{i}, A. and Other, B.}},\n  title = {{Title number {i}}},\n"
                   f"  journal = {{J}},\n  year = {{{1900 + i % 120}}},\n}}\n" for i in range(2000))
    path = write(tmp_path, "big.bib", text)
    start = time.monotonic()
    result = audit(path)
    assert time.monotonic() - start < 30
    (doc,) = result.documents
    assert doc.parsed is not None and len(doc.parsed.entries) == 2000
