"""A manuscript split over several files (one per chapter, the reference list in its own file), audited as one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.manuscript import natural_key

BAB1 = """# BAB I PENDAHULUAN

## 1.1 Latar Belakang

Penelitian kuantitatif adalah metode yang berlandaskan positivisme (Sugiyono, 2017). Metode ini
banyak dipakai dalam penelitian pendidikan di Indonesia.

Menurut Arikunto (2010), penelitian adalah kegiatan yang sistematis dan terencana.
"""
BAB2 = """# BAB II TINJAUAN PUSTAKA

## 2.1 Landasan Teori

Populasi adalah wilayah generalisasi yang terdiri atas obyek atau subyek (Sugiyono, 2017). Sampel
adalah sebagian dari populasi yang diteliti (Margono, 2004).

Teori belajar dijelaskan dengan rinci (Slameto, 2015).
"""
DAFTAR_PUSTAKA = """# DAFTAR PUSTAKA

Arikunto, S. (2010). *Prosedur Penelitian: Suatu Pendekatan Praktik*. Jakarta: Rineka Cipta.

Margono, S. (2004). *Metodologi Penelitian Pendidikan*. Jakarta: Rineka Cipta.

Nazir, M. (2005). *Metode Penelitian*. Bogor: Ghalia Indonesia.

Sugiyono. (2017). *Metode Penelitian Kuantitatif, Kualitatif, dan R&D*. Bandung: Alfabeta.
"""
# Lines in DAFTAR_PUSTAKA where each entry starts, and in BAB2 where (Slameto, 2015) is cited.
ENTRY_LINE = {"Arikunto": 3, "Margono": 5, "Nazir": 7, "Sugiyono": 9}
SLAMETO_LINE = 8
# A chapter of plain prose: long enough to be "unsourced" on its own, and no citation in it.
BAB3 = "# BAB III METODE PENELITIAN\n\n" + " ".join(
    ["Penelitian ini dilakukan di sekolah menengah pertama negeri di kota Bandung pada semester genap."] * 15) + "\n"


def thesis(folder: Path, **extra: str) -> Path:
    """Write the chapters and the reference list into folder/thesis and return that folder."""
    root = folder / "thesis"
    root.mkdir(parents=True, exist_ok=True)
    files = {"bab1.md": BAB1, "bab2.md": BAB2, "daftar_pustaka.md": DAFTAR_PUSTAKA, **extra}
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def run(*args: str):
    return CliRunner().invoke(cli, ["audit", *args, "--no-html"], catch_exceptions=False)


def rows(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def documents(db: Path) -> dict[str, int]:
    """File name → document id in the database's only run."""
    return {Path(r["path"]).name: r["id"] for r in rows(db, "select id, path from documents order by id")}


def entry_of(db: Path, citation_raw: str) -> dict | None:
    """The stored entry a citation (by its raw text) points at, with the name of the file it is in."""
    found = rows(db, "select d.path, e.line from citations c join entries e on e.id = c.entry_id "
                     "join documents d on d.id = e.document_id where c.raw like ?", (f"%{citation_raw}%",))
    return {"file": Path(found[0]["path"]).name, "line": found[0]["line"]} if found else None


def test_citations_in_every_chapter_resolve_to_the_shared_list(tmp_path: Path) -> None:
    """Author-year and narrative citations in each chapter point at the entry in daftar_pustaka.md."""
    db = tmp_path / "a.db"
    result = run("--manuscript", str(thesis(tmp_path)), "--db", str(db))
    assert result.exit_code == 1, result.output  # (Slameto, 2015) is an error
    chapter = {r["raw"]: (r["document_id"], r["line"]) for r in rows(db, "select * from citations")}
    ids = documents(db)
    assert chapter["Sugiyono, 2017"] in {(ids["bab1.md"], 5), (ids["bab2.md"], 5)}
    assert chapter["Arikunto (2010)"] == (ids["bab1.md"], 8)
    assert entry_of(db, "Arikunto") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Arikunto"]}
    assert entry_of(db, "Margono") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Margono"]}
    sugiyono = rows(db, "select document_id, entry_id from citations where raw = 'Sugiyono, 2017'")
    assert {r["document_id"] for r in sugiyono} == {ids["bab1.md"], ids["bab2.md"]}
    assert len({r["entry_id"] for r in sugiyono}) == 1 and sugiyono[0]["entry_id"] is not None
    cited = {r["line"]: r["cited_count"] for r in rows(db, "select line, cited_count from entries")}
    assert cited[ENTRY_LINE["Sugiyono"]] == 2 and cited[ENTRY_LINE["Nazir"]] == 0


def test_an_entry_cited_in_one_chapter_only_is_cited(tmp_path: Path) -> None:
    """Margono is cited in bab2.md alone and Arikunto in bab1.md alone: neither is an uncited entry."""
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path)), "--db", str(db))
    uncited = rows(db, "select line from findings where rule = 'uncited-entry'")
    assert ENTRY_LINE["Margono"] not in {r["line"] for r in uncited}
    assert ENTRY_LINE["Arikunto"] not in {r["line"] for r in uncited}


def test_an_entry_cited_nowhere_is_uncited_at_its_own_file_and_line(tmp_path: Path) -> None:
    """Nazir is cited in no chapter: one uncited-entry, stored under daftar_pustaka.md at the entry's line."""
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path)), "--db", str(db))
    uncited = rows(db, "select document_id, line, message from findings where rule = 'uncited-entry'")
    assert uncited == [{"document_id": documents(db)["daftar_pustaka.md"], "line": ENTRY_LINE["Nazir"],
                        "message": "Nazir, M 2005 is listed but never cited in the text"}]


def test_an_unresolved_citation_is_reported_at_its_chapter_and_line(tmp_path: Path) -> None:
    """(Slameto, 2015), cited in bab2.md and listed nowhere, is an error at bab2.md line 8, in every format."""
    db = tmp_path / "a.db"
    folder = thesis(tmp_path)
    result = run("--manuscript", str(folder), "--db", str(db))
    assert f"thesis/bab2.md:{SLAMETO_LINE}:" in result.output.replace("\\", "/")
    errors = rows(db, "select document_id, line, rule from findings where severity = 'error'")
    assert errors == [{"document_id": documents(db)["bab2.md"], "line": SLAMETO_LINE, "rule": "unresolved-citation"}]
    github = run("--manuscript", str(folder), "--db", str(db), "--format", "github")
    assert f"file={folder / 'bab2.md'},line={SLAMETO_LINE}," in github.output
    sarif = json.loads(run("--manuscript", str(folder), "--db", str(db), "--format", "sarif").output)
    [error] = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("thesis/bab2.md")
    assert location["region"]["startLine"] == SLAMETO_LINE


def test_the_database_records_each_file_and_the_manuscript(tmp_path: Path) -> None:
    """One documents row per file, all pointing at the run's one manuscripts row."""
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path)), "--db", str(db))
    [manuscript] = rows(db, "select * from manuscripts")
    assert manuscript["name"] == "thesis" and manuscript["run_id"] == 1
    docs = rows(db, "select path, manuscript_id, entries_count, citations_count from documents order by id")
    assert [(Path(d["path"]).name, d["manuscript_id"], d["entries_count"], d["citations_count"]) for d in docs] == [
        ("bab1.md", manuscript["id"], 0, 2), ("bab2.md", manuscript["id"], 0, 3),
        ("daftar_pustaka.md", manuscript["id"], 4, 0)]


def test_json_names_the_manuscript_of_each_file(tmp_path: Path) -> None:
    """--format json gives every document its manuscript and keeps each finding under its own file."""
    data = json.loads(run("--manuscript", str(thesis(tmp_path)), "--db", str(tmp_path / "a.db"),
                          "--format", "json").output)
    by_name = {Path(d["path"]).name: d for d in data["documents"]}
    assert {d["manuscript"] for d in by_name.values()} == {"thesis"}
    assert [f["rule"] for f in by_name["bab2.md"]["findings"]] == ["unresolved-citation"]
    assert [f["rule"] for f in by_name["daftar_pustaka.md"]["findings"]] == ["uncited-entry"]
    assert by_name["bab1.md"]["findings"] == []


def test_a_folder_is_read_in_natural_order(tmp_path: Path) -> None:
    """bab2.md comes before bab10.md, and daftar_pustaka.md after the chapters."""
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path, **{"bab10.md": BAB1})), "--db", str(db))
    assert list(documents(db)) == ["bab1.md", "bab2.md", "bab10.md", "daftar_pustaka.md"]


def test_files_are_read_in_the_order_given(tmp_path: Path) -> None:
    """--manuscript with a list of files keeps their order, and the name is their folder's."""
    db = tmp_path / "a.db"
    folder = thesis(tmp_path)
    run("--manuscript", str(folder / "daftar_pustaka.md"), str(folder / "bab2.md"), str(folder / "bab1.md"),
        "--db", str(db))
    assert list(documents(db)) == ["daftar_pustaka.md", "bab2.md", "bab1.md"]
    assert entry_of(db, "Arikunto") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Arikunto"]}
    assert [r["name"] for r in rows(db, "select name from manuscripts")] == ["thesis"]


def test_natural_key_orders_numbers_as_numbers() -> None:
    """Runs of digits in a path compare as numbers: bab2 < bab10, and text still sorts as text."""
    names = ["bab10.md", "daftar_pustaka.md", "bab2.md", "bab1.md", "lampiran/a.md"]
    assert sorted(names, key=lambda n: natural_key(Path(n))) == [
        "bab1.md", "bab2.md", "bab10.md", "daftar_pustaka.md", "lampiran/a.md"]


def test_a_chapter_without_its_own_list_is_not_unsourced(tmp_path: Path) -> None:
    """A chapter of uncited prose is unsourced alone, but not as part of a manuscript with a list."""
    folder = thesis(tmp_path, **{"bab3.md": BAB3})
    alone = run(str(folder / "bab3.md"), "--db", str(tmp_path / "alone.db"), "--fail-on", "never")
    assert "unsourced-document" in alone.output
    db = tmp_path / "a.db"
    run("--manuscript", str(folder), "--db", str(db))
    assert rows(db, "select rule from findings where rule = 'unsourced-document'") == []


def test_footnotes_stay_with_their_chapter(tmp_path: Path) -> None:
    """Each chapter's note 1 is its own: the markers resolve within their file and none is undefined or unused."""
    bab1 = "# BAB I PENDAHULUAN\n\nPendidikan adalah usaha sadar.[^1]\n\n[^1]: Sugiyono, *Metode Penelitian*, 2017.\n"
    bab2 = "# BAB II KAJIAN TEORI\n\nBelajar adalah proses.[^1]\n\n[^1]: Slameto, *Belajar*, 2015, hlm. 2.\n"
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path, **{"bab1.md": bab1, "bab2.md": bab2})), "--db", str(db))
    ids = documents(db)
    pairs = rows(db, "select c.document_id as cited_in, e.document_id as note_in, e.line from citations c "
                     "join entries e on e.id = c.entry_id where c.raw like '%1%'")
    assert sorted((p["cited_in"], p["note_in"]) for p in pairs) == [(ids["bab1.md"], ids["bab1.md"]),
                                                                     (ids["bab2.md"], ids["bab2.md"])]
    rules = {r["rule"] for r in rows(db, "select rule from findings")}
    assert not rules & {"undefined-footnote", "unused-footnote", "unresolved-citation"}
    # Chapter 1's note cites Sugiyono's book, so its entry in daftar_pustaka.md is cited; the others are not.
    uncited = rows(db, "select document_id, line from findings where rule = 'uncited-entry'")
    assert {(r["document_id"], r["line"]) for r in uncited} == {
        (ids["daftar_pustaka.md"], ENTRY_LINE[n]) for n in ("Arikunto", "Margono", "Nazir")}


def test_a_numbered_bibliography_is_shared(tmp_path: Path) -> None:
    """[1] and [2] in the chapters point at the numbered entries of daftar_pustaka.md; [3] there is uncited."""
    bab1 = "# BAB I PENDAHULUAN\n\nPenelitian kuantitatif berlandaskan positivisme [1].\n"
    bab2 = "# BAB II KAJIAN TEORI\n\nPenelitian adalah kegiatan yang sistematis [2].\n"
    listed = ("# DAFTAR PUSTAKA\n\n[1] Sugiyono. 2017. *Metode Penelitian*. Bandung: Alfabeta.\n\n"
              "[2] Arikunto, S. 2010. *Prosedur Penelitian*. Jakarta: Rineka Cipta.\n\n"
              "[3] Nazir, M. 2005. *Metode Penelitian*. Bogor: Ghalia Indonesia.\n")
    db = tmp_path / "a.db"
    run("--manuscript", str(thesis(tmp_path, **{"bab1.md": bab1, "bab2.md": bab2, "daftar_pustaka.md": listed})),
        "--db", str(db))
    assert entry_of(db, "1") == {"file": "daftar_pustaka.md", "line": 3}
    assert entry_of(db, "2") == {"file": "daftar_pustaka.md", "line": 5}
    findings = rows(db, "select document_id, rule, line from findings where severity != 'info'")
    assert findings == [{"document_id": documents(db)["daftar_pustaka.md"], "rule": "uncited-entry", "line": 7}]


def test_without_manuscript_the_files_are_audited_separately(tmp_path: Path) -> None:
    """The same files audited without --manuscript: each chapter has citations but no list of its own (one
    reference-list-not-found warning each, not an error per citation), and no manuscript is recorded."""
    db = tmp_path / "a.db"
    result = run(str(thesis(tmp_path)), "--db", str(db))
    assert result.exit_code == 0
    ids = documents(db)
    missing = rows(db, "select document_id, line from findings where rule = 'reference-list-not-found'")
    assert {(r["document_id"], r["line"]) for r in missing} == {(ids["bab1.md"], None), (ids["bab2.md"], None)}
    assert rows(db, "select count(*) as n from findings where rule = 'unresolved-citation'") == [{"n": 0}]
    assert rows(db, "select count(*) as n from citations where entry_id is not null") == [{"n": 0}]
    assert rows(db, "select * from manuscripts") == []
    assert {r["manuscript_id"] for r in rows(db, "select manuscript_id from documents")} == {None}


def test_a_manuscript_of_one_file_finds_what_the_file_alone_finds(tmp_path: Path) -> None:
    """Pooling one file changes nothing: the same findings at the same lines."""
    paper = tmp_path / "paper.md"
    paper.write_text(BAB2 + "\n" + DAFTAR_PUSTAKA, encoding="utf-8")

    def findings(*args: str) -> list[dict]:
        db = tmp_path / f"{len(args)}.db"
        run(*args, str(paper), "--db", str(db))
        return rows(db, "select rule, line, \"column\", message from findings order by id")

    alone = findings()
    assert alone and findings("--manuscript") == alone


def test_an_unreadable_chapter_does_not_stop_the_manuscript(tmp_path: Path) -> None:
    """An empty chapter gets one Error line; the other files are still audited as one manuscript."""
    db = tmp_path / "a.db"
    result = run("--manuscript", str(thesis(tmp_path, **{"bab3.md": ""})), "--db", str(db))
    assert result.exit_code == 1 and result.output.count("Error:") == 1 and "bab3.md" in result.output
    assert entry_of(db, "Arikunto") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Arikunto"]}


def test_the_html_report_links_a_citation_to_the_entry_in_another_file(tmp_path: Path) -> None:
    """In the report, a chapter's citation links to the reference list's page at the entry."""
    db = tmp_path / "a.db"
    html = tmp_path / "report"
    CliRunner().invoke(cli, ["audit", "--manuscript", str(thesis(tmp_path)), "--db", str(db), "--html", str(html)],
                       catch_exceptions=False)
    [entry] = rows(db, "select id from entries where line = ?", (ENTRY_LINE["Arikunto"],))
    page = (html / "documents" / "bab1.html").read_text(encoding="utf-8")
    assert f'href="daftar_pustaka.html#E{entry["id"]}"' in page
    assert f'id="E{entry["id"]}"' in (html / "documents" / "daftar_pustaka.html").read_text(encoding="utf-8")


CONFIG = """[tool.auditor.manuscripts]
thesis = ["thesis/bab*.md", "thesis/daftar_pustaka.md"]
"""


def test_the_configuration_names_the_files_of_a_manuscript(tmp_path: Path) -> None:
    """Files matched by a configured manuscript are audited together; other files stay on their own."""
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    folder = thesis(tmp_path, **{"lampiran.md": BAB3, "bab10.md": BAB1})
    db = tmp_path / "a.db"
    result = run(str(folder), "--db", str(db))
    assert result.exit_code == 1, result.output
    docs = rows(db, "select path, manuscript_id from documents order by id")
    assert [(Path(d["path"]).name, d["manuscript_id"]) for d in docs] == [
        ("bab1.md", 1), ("bab2.md", 1), ("bab10.md", 1), ("daftar_pustaka.md", 1), ("lampiran.md", None)]
    assert entry_of(db, "Arikunto") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Arikunto"]}
    ids = documents(db)
    assert rows(db, "select document_id from findings where rule = 'unsourced-document'") == [
        {"document_id": ids["lampiran.md"]}]


def test_auditing_one_chapter_brings_the_rest_of_its_manuscript(tmp_path: Path) -> None:
    """Given one chapter of a configured manuscript (as a pre-commit hook would), all its files are audited."""
    (tmp_path / "auditor.toml").write_text("[manuscripts]\nthesis = ['thesis/*.md']\n", encoding="utf-8")
    folder = thesis(tmp_path)
    db = tmp_path / "a.db"
    result = run(str(folder / "bab2.md"), "--db", str(db))
    assert result.exit_code == 1, result.output
    assert list(documents(db)) == ["bab1.md", "bab2.md", "daftar_pustaka.md"]
    assert entry_of(db, "Margono") == {"file": "daftar_pustaka.md", "line": ENTRY_LINE["Margono"]}
    errors = rows(db, "select document_id, line from findings where severity = 'error'")
    assert errors == [{"document_id": documents(db)["bab2.md"], "line": SLAMETO_LINE}]


@pytest.mark.parametrize("table,message", [
    ('manuscripts = ["thesis/*.md"]', "manuscripts must be a table"),
    ("[manuscripts]\nthesis = []", "manuscripts.thesis: expected a non-empty list of file patterns"),
    ('[manuscripts]\nthesis = "thesis/*.md"', "manuscripts.thesis: expected a non-empty list of file patterns"),
    ("[manuscripts]\nthesis = [1, 2]", "manuscripts.thesis: expected a non-empty list of file patterns"),
    ("[manuscripts.thesis]\nfiles = ['thesis/*.md']", "manuscripts.thesis: expected a non-empty list"),
    ('manuscript = {thesis = ["thesis/*.md"]}', "unknown key(s) manuscript"),
])
def test_a_bad_manuscripts_table_is_a_configuration_error(tmp_path: Path, table: str, message: str) -> None:
    """A manuscripts table of the wrong shape exits 2 with a message naming the key."""
    (tmp_path / "auditor.toml").write_text(table + "\n", encoding="utf-8")
    result = run(str(thesis(tmp_path)), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2
    assert message in result.output, result.output


def test_a_file_in_two_manuscripts_is_a_configuration_error(tmp_path: Path) -> None:
    """A file that two configured manuscripts claim is an error naming the file and both manuscripts."""
    (tmp_path / "auditor.toml").write_text('[manuscripts]\na = ["thesis/*.md"]\nb = ["thesis/bab1.md"]\n',
                                           encoding="utf-8")
    result = run(str(thesis(tmp_path)), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2
    assert "bab1.md belongs to both 'a' and 'b'" in result.output
