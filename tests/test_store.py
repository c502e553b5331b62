"""The audit database: the public columns, one transaction per run, nothing stored is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REFERENCES

from auditor.cli import cli
from auditor.store import open_db

CONTRACT = {
    "runs": {"id", "started_at", "finished_at", "tool_version"},
    "documents": {"id", "run_id", "path", "sha256", "format"},
    "entries": {"id", "document_id", "line", "end_line", "raw", "authors", "year", "title", "container", "urls",
                "doi", "accessed"},
    "citations": {"id", "document_id", "line", "column", "raw", "kind", "authors", "year", "entry_id"},
    "findings": {"id", "run_id", "document_id", "rule", "severity", "line", "message", "suggestion", "entry_id",
                 "citation_id"},
    "links": {"url", "outcome", "http_status", "final_url", "title", "published", "checked_at", "error"},
    "link_checks": {"id", "url", "outcome", "checked_at"},
}


def audit(db: Path, *paths: str):
    return CliRunner().invoke(cli, ["audit", *paths, "--db", str(db), "--no-html", "--fail-on", "never"])


def test_public_columns_exist(tmp_path: Path) -> None:
    """Every table and column of the public contract exists after a run."""
    audit(tmp_path / "a.db", str(REFERENCES))
    conn = sqlite3.connect(tmp_path / "a.db")
    for table, columns in CONTRACT.items():
        have = {row[1] for row in conn.execute(f"pragma table_info({table})")}
        assert columns <= have, (table, columns - have)


def test_rows_follow_the_contract(tmp_path: Path) -> None:
    """One citation row per cited item, entry_id NULL when unresolved, findings point at their rows."""
    audit(tmp_path / "a.db", str(REFERENCES / "004_5a448dbc96d01709.txt"))
    db = open_db(tmp_path / "a.db")
    doc = next(db.query("select * from documents"))
    assert doc["format"] == "txt" and len(doc["sha256"]) == 64
    rows = list(db.query("select raw, entry_id, status from citations where line = 164"))
    assert rows == [{"raw": "Brookngs 2022", "entry_id": None, "status": "unresolved"}]
    severities = {r["severity"] for r in db.query("select distinct severity from findings")}
    assert severities <= {"error", "warning", "info"}
    row = next(db.query("select f.line, e.line as entry_line from findings f join entries e on e.id = f.entry_id "
                        "where f.rule = 'malformed-url'"))
    assert row == {"line": 395, "entry_line": 395}
    whole = list(db.query("select line from findings where rule = 'unsourced-document'"))
    assert whole == []


def test_an_interrupted_run_leaves_earlier_runs_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that fails while it is being written leaves no trace; the earlier run is untouched."""
    db_path = tmp_path / "a.db"
    audit(db_path, str(REFERENCES))
    before = {t: open_db(db_path)[t].count for t in ("runs", "documents", "entries", "citations", "findings")}
    import auditor.store as store

    calls = {"n": 0}

    def failing(real):  # type: ignore[no-untyped-def]
        def wrapper(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt  # as if the user pressed Ctrl-C half-way through writing
            return real(self, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(store.RunWriter, "write", failing(store.RunWriter.write))
    result = audit(db_path, str(REFERENCES), "--force")  # every document written again, not copied
    assert result.exit_code == 130 and "nothing of this run was stored" in result.output
    after = {t: open_db(db_path)[t].count for t in before}
    assert after == before


def test_runs_accumulate_and_the_latest_document_row_wins(tmp_path: Path) -> None:
    """Each audit adds a run; nothing earlier is overwritten."""
    db_path = tmp_path / "a.db"
    audit(db_path, str(REFERENCES / "002_e12199a1764b0fd2.txt"))
    audit(db_path, str(REFERENCES / "002_e12199a1764b0fd2.txt"))
    db = open_db(db_path)
    assert [r["id"] for r in db.query("select id from runs")] == [1, 2]
    assert [r["run_id"] for r in db.query("select run_id from documents order by id")] == [1, 2]
    assert db["entries"].count == 10


def test_schema_upgrade_adds_missing_columns(tmp_path: Path) -> None:
    """Opening an older database adds new columns without touching its rows."""
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("create table runs (id integer primary key, started_at text, finished_at text, tool_version text)")
    conn.execute("insert into runs values (1, 'a', 'b', '0.0.1')")
    conn.commit()
    conn.close()
    db = open_db(tmp_path / "old.db")
    assert "status" in {c.name for c in db.table("runs").columns}
    assert db.table("runs").get(1)["tool_version"] == "0.0.1"


PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "db" / "previous-release.db"


def _rows(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")]
    rows = {}
    for t in tables:
        cols = [r[1] for r in conn.execute(f"pragma table_info([{t}])")]
        order = "rowid" if "id" not in cols else "id"  # (entries and citations are views since 0011)
        rows[t] = [tuple(zip(cols, r, strict=True)) for r in conn.execute(f"select * from [{t}] order by {order}")]
    conn.close()
    return rows


def test_a_database_of_the_previous_release_is_upgraded_in_place(tmp_path: Path) -> None:
    """Issue 12: a database written by the release before migrations (made by
    tests/fixtures/db/make_previous_release.py) opens, gets every migration recorded, keeps every row and
    value, and takes the next run, with its link checks, beside the old one."""
    from auditor import store

    db_path = tmp_path / "old.db"
    db_path.write_bytes(PREVIOUS_RELEASE.read_bytes())
    before = _rows(db_path)
    assert "schema_migrations" not in before and before["links"] and before["findings"]
    db = store.open_db(db_path)
    applied = list(db.query("select name, applied_at from schema_migrations order by name"))
    assert [r["name"] for r in applied] == [m.name for m in store.MIGRATIONS]
    assert all(r["applied_at"] for r in applied)
    after = _rows(db_path)
    for table, rows in before.items():
        # Every old value is still there (rows may have gained columns, all empty).
        assert [tuple(p for p in row if p[0] in dict(old)) for row, old in zip(after[table], rows, strict=True)] \
            == rows, table
    for table, columns in store.SCHEMA.items():
        assert set(columns) <= {c.name for c in db[table].columns}, table
    db.conn.close()
    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Hilang 2023).\n\n## Daftar Pustaka\n\n- Hilang. 2023. *Halaman Hilang*. "
                   "<http://127.0.0.1:9/gone404/hilang>.\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db_path), "--no-html", "--fail-on", "never",
                                   "--check-links", "--allow-private"])
    assert res.exit_code == 0, res.output
    db = store.open_db(db_path)
    assert [r["id"] for r in db.query("select id from runs order by id")] == [1, 2]
    link = db.table("links").get("http://127.0.0.1:9/gone404/hilang")
    old_link = dict(next(r for r in before["links"] if dict(r)["url"] == link["url"]))
    # The old failure is history the new check builds on (failures count once a day).
    assert link["first_failed_at"] == old_link["first_failed_at"] and link["consecutive_failures"] >= 1
    assert db.execute("select count(*) from link_checks where run_id = 2").fetchone()[0] == 1


def test_migrations_run_once_and_opening_a_current_database_writes_nothing(tmp_path: Path) -> None:
    """A new database records every migration in order; opening it again changes nothing in the file."""
    from auditor import store

    db = store.open_db(tmp_path / "new.db")
    assert [r[0] for r in db.execute("select name from schema_migrations order by rowid")] == \
        [m.name for m in store.MIGRATIONS]
    assert db.execute("pragma user_version").fetchone()[0] == len(store.MIGRATIONS)
    db.conn.close()
    before = (tmp_path / "new.db").read_bytes()
    store.open_db(tmp_path / "new.db").conn.close()
    assert (tmp_path / "new.db").read_bytes() == before


def test_every_column_written_is_declared_in_the_schema(tmp_path: Path) -> None:
    """After runs with and without link checks, the database holds exactly the declared tables and columns."""
    from auditor import store

    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Hilang 2023).\n\n## Daftar Pustaka\n\n- Hilang. 2023. *Halaman Hilang*. "
                   "<http://127.0.0.1:9/x>.\n", encoding="utf-8")
    audit(tmp_path / "a.db", str(doc))
    CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--check-links",
                             "--allow-private"])
    conn = sqlite3.connect(tmp_path / "a.db")
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    views = {r[0] for r in conn.execute("select name from sqlite_master where type = 'view'")}
    assert tables == set(store.SCHEMA) - set(store.VIEWS) | {"schema_migrations"}
    assert views == set(store.VIEWS) == {"entries", "citations"}
    for table, columns in store.SCHEMA.items():
        assert [r[1] for r in conn.execute(f"pragma table_info([{table}])")] == list(columns), table


def test_a_run_with_link_checks_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If storing the link records fails, nothing of the run is stored: not the run, not its findings."""
    from auditor import store
    from auditor.commands import run_audit
    from auditor.config import LinkOptions

    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Hilang 2023).\n\n## Daftar Pustaka\n\n- Hilang. 2023. *Halaman Hilang*. "
                   "<http://127.0.0.1:9/x>.\n", encoding="utf-8")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "save_links", broken)
    with pytest.raises(store.StoreError):
        run_audit([str(doc)], db_path=str(tmp_path / "a.db"), html_dir=None, fmt="json", output=None,
                  fail_on="never", select=[], ignore=[], config_path=None, check_links=True,
                  links=LinkOptions(allow_private=True))
    db = store.open_db(tmp_path / "a.db")
    assert [db.table(t).count for t in ("runs", "documents", "findings", "links", "link_checks")] == [0] * 5


def test_enum_values_are_stored_as_the_same_strings(tmp_path: Path) -> None:
    """Kinds, statuses and outcomes are StrEnums in the code and the very same text in the database."""
    from auditor.model import CitationKind, CitationStatus, EntryKind

    audit(tmp_path / "a.db", str(REFERENCES))
    conn = sqlite3.connect(tmp_path / "a.db")
    for column, enum in (("citations.kind", CitationKind), ("citations.status", CitationStatus),
                         ("entries.kind", EntryKind)):
        table, name = column.split(".")
        rows = conn.execute(f"select distinct {name}, typeof({name}) from {table}").fetchall()
        assert rows and all(t == "text" and v in {m.value for m in enum} for v, t in rows), (column, rows)
    assert CitationKind.AUTHOR_YEAR == "author-year" and f"{EntryKind.OP_CIT}" == "op-cit"
