"""The interface every structured format reads into: declared entries with exact records, declared
citations resolved by key, per-line locators stored beside line numbers, and a document's named parts
(a paper and its bibliography) audited with it as one manuscript.

A tiny format made up for the test (".cites": one line per cited key, ".keys": one line per entry)
exercises the interface without any real reader, so a fault here is in the core, not in a reader.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor import documents
from auditor.cli import cli
from auditor.model import DeclaredCitation, DeclaredItem, Document, Record, ReferenceSection
from auditor.parsing import parse_document


def read_keys(path: str, data: bytes) -> Document:
    """".keys": `key | Family, Given | year | title` per line, each an exact record."""
    lines = data.decode().splitlines()
    items = []
    for n, line in enumerate(lines, 1):
        key, author, year, title = (part.strip() for part in line.split("|"))
        record = Record(key=key, type="article-journal", authors=[author], year=year, title=title,
                        container="Jurnal Uji", doi=f"10.1234/{key}")
        items.append(DeclaredItem(n, key=key, record=record))
    name = Path(path).name
    return Document(path, "keys", "", "utf-8", lines,
                    declared_sections=[ReferenceSection("Bibliography", None, 1, len(lines), items=items)],
                    locators={n: f"{name}:{n}" for n in range(1, len(lines) + 1)})


def read_cites(path: str, data: bytes) -> Document:
    """".cites": prose in which `{key}` cites and `{!key}` lists without citing (like \\nocite)."""
    import re

    lines = data.decode().splitlines()
    cites = []
    for n, line in enumerate(lines, 1):
        for m in re.finditer(r"\{(!?)([\w*]+)\}", line):
            cites.append(DeclaredCitation(n, m.start() + 1, m.group(0), m.group(2), nocite=bool(m.group(1))))
    return Document(path, "cites", "", "utf-8", lines, declared_citations=cites,
                    locators={n: f"paragraph {n}" for n in range(1, len(lines) + 1)})


def parts_of(path: Path) -> list[Path]:
    return [p for p in [path.with_suffix(".keys")] if p.exists()]


@pytest.fixture
def made_up_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(documents.FORMATS, ".keys", "keys")
    monkeypatch.setitem(documents.FORMATS, ".cites", "cites")
    monkeypatch.setitem(documents.READERS, "keys", f"{__name__}:read_keys")
    monkeypatch.setitem(documents.READERS, "cites", f"{__name__}:read_cites")
    monkeypatch.setitem(documents.COMPANIONS, "cites", f"{__name__}:parts_of")


def test_record_fills_the_entry_exactly_and_keys_resolve(tmp_path: Path, made_up_formats: None) -> None:
    p = tmp_path / "refs.keys"
    p.write_text("smith20 | Smith, John | 2020 | A Study (Of Things) 1999\n"
                 "lee19 | Lee, Ann | 2019 | Another Work\n")
    doc = documents.load_document(p)
    parsed = parse_document(doc)
    first = parsed.entries[0]
    # The record decides: the "1999" in the title is not read as the year, the DOI is the record's.
    assert (first.key, first.authors, first.year, first.title, first.doi) == \
        ("smith20", ["Smith, John"], "2020", "A Study (Of Things) 1999", "10.1234/smith20")
    assert first.record is not None and first.record.container == "Jurnal Uji"


def test_declared_citations_replace_text_citations_on_their_span(made_up_formats: None) -> None:
    lines = ["As shown {smith20} and (Lee, 2019), but {nobody} disagrees."]
    cites = [DeclaredCitation(1, 10, "{smith20}", "smith20"), DeclaredCitation(1, 42, "{nobody}", "nobody")]
    keys = read_keys("refs.keys", b"smith20 | Smith, John | 2020 | A\nlee19 | Lee, Ann | 2019 | B\n")
    doc = Document("paper.txt", "txt", "", "utf-8", lines + ["", "## References", ""] + keys.lines,
                   declared_citations=cites)
    sections = keys.declared_sections or []
    doc.declared_sections = [ReferenceSection("References", 3, 5, 6, items=[
        DeclaredItem(i.line + 4, key=i.key, record=i.record) for i in sections[0].items or []])]
    parsed = parse_document(doc)
    by_raw = {c.raw: c for c in parsed.citations}
    assert by_raw["smith20"].kind == "key" and by_raw["smith20"].status == "resolved"
    assert by_raw["nobody"].status == "unresolved"
    # The text scanner's own citation outside the declared spans is kept.
    assert any(c.kind == "author-year" and c.status == "resolved" for c in parsed.citations)


def test_paper_and_its_parts_are_one_manuscript_with_locators(tmp_path: Path, made_up_formats: None) -> None:
    (tmp_path / "paper.cites").write_text("Earlier work {smith20} found it.\n"
                                          "Later work {ghost21} disagreed.\n"
                                          "Listed only {!lee19}.\n")
    (tmp_path / "paper.keys").write_text("smith20 | Smith, John | 2020 | A Study\n"
                                         "lee19 | Lee, Ann | 2019 | Another Work\n"
                                         "unused | Ng, Bo | 2018 | Never Cited\n")
    db = tmp_path / "a.db"
    out = CliRunner().invoke(cli, ["audit", str(tmp_path), "--db", str(db), "--no-html", "--format", "json",
                                   "--fail-on", "never"])
    assert out.exit_code == 0, out.output
    con = sqlite3.connect(db)
    docs = con.execute("select name, manuscript_id from documents order by name").fetchall()
    # The .keys file is audited once, as a part of its paper, not also on its own.
    assert [d[0] for d in docs] == ["paper.cites", "paper.keys"] and docs[0][1] == docs[1][1] is not None
    findings = con.execute("select rule, severity, locator from findings order by rule").fetchall()
    assert ("unresolved-citation", "error", "paragraph 2") in findings
    uncited = [f for f in findings if f[0] == "uncited-entry"]
    assert uncited == [("uncited-entry", uncited[0][1], "paper.keys:3")]  # lee19 is listed by {!lee19}
    citations = con.execute("select raw, status, locator from citations order by line").fetchall()
    assert citations == [("smith20", "resolved", "paragraph 1"), ("ghost21", "unresolved", "paragraph 2"),
                         ("lee19", "resolved", "paragraph 3")]
    entries = con.execute("select authors, year, doi, locator from entries order by line").fetchall()
    assert entries[0] == (json.dumps(["Smith, John"]), "2020", "10.1234/smith20", "paper.keys:1")
