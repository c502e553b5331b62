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
    before = {t: open_db(db_path).table(t).count for t in ("runs", "documents", "entries", "citations", "findings")}
    import auditor.store as store

    real = store._save_document
    calls = {"n": 0}

    def failing(db, ids, result, *rest):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C half-way through writing
        return real(db, ids, result, *rest)

    monkeypatch.setattr(store, "_save_document", failing)
    result = audit(db_path, str(REFERENCES))
    assert result.exit_code == 130 and "nothing of this run was stored" in result.output
    after = {t: open_db(db_path).table(t).count for t in before}
    assert after == before


def test_runs_accumulate_and_the_latest_document_row_wins(tmp_path: Path) -> None:
    """Each audit adds a run; nothing earlier is overwritten."""
    db_path = tmp_path / "a.db"
    audit(db_path, str(REFERENCES / "002_e12199a1764b0fd2.txt"))
    audit(db_path, str(REFERENCES / "002_e12199a1764b0fd2.txt"))
    db = open_db(db_path)
    assert [r["id"] for r in db.query("select id from runs")] == [1, 2]
    assert [r["run_id"] for r in db.query("select run_id from documents order by id")] == [1, 2]
    assert db.table("entries").count == 10


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
