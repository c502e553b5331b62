"""Nothing lost (issue 15, points 11 to 15): concurrent runs, foreign databases, outputs, link history, processes."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.errors import StoreError

DOC = "Text (Smith, 2000).\n\nReferences\n\nSmith, J. 2000. A title of the work. Pub.\n"


def auditor_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditor", *args]


# Point 11: concurrent runs


def test_five_concurrent_audits_into_one_database_are_all_stored(tmp_path: Path) -> None:
    """Five audits started at once on one new database all finish and all five runs are stored."""
    doc = tmp_path / "paper.txt"  # big enough that the five runs write at the same time
    doc.write_text("Text (Smith, 2000).\n\nReferences\n\n" + "".join(
        f"Author{i}, A. {1990 + i % 30}. Title number {i} of the work. Pub.\n" for i in range(3000)))
    db = tmp_path / "audit.db"
    procs = [subprocess.Popen(auditor_cmd("audit", str(doc), "--db", str(db), "--no-html", "-q",
                                          "--fail-on", "never"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(5)]
    outcomes = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0] * 5, outcomes
    rows = sqlite3.connect(db).execute("select count(*), count(distinct id) from runs").fetchone()
    assert rows == (5, 5)


def test_a_database_held_too_long_says_database_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When another writer keeps the database locked past the busy timeout, the error says "database busy"."""
    from auditor import store

    db_path = tmp_path / "audit.db"
    store.open_db(db_path).conn.close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("begin immediate")
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.2)
    try:
        db = store.open_db(db_path)
        with pytest.raises(StoreError, match="database busy"):
            store.save_run(db, "a", "b", "0", "audit x", [])
    finally:
        holder.execute("rollback")
        holder.close()


# Point 12: a file that is not an audit database is never altered


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_another_applications_database_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    """Opening another application's SQLite file gives a clear error and leaves it byte for byte as it was."""
    from auditor.store import open_db

    other = tmp_path / "app.db"
    conn = sqlite3.connect(other)
    conn.execute("create table notes (id integer primary key, body text)")
    conn.execute("insert into notes values (1, 'keep me')")
    conn.commit()
    conn.close()
    before = _digest(other)
    with pytest.raises(StoreError, match="not an audit database"):
        open_db(other)
    assert _digest(other) == before


def test_a_database_with_a_foreign_application_id_is_refused(tmp_path: Path) -> None:
    """A SQLite file stamped with another application id is refused even if its tables look like ours."""
    from auditor.store import open_db

    other = tmp_path / "app.db"
    conn = sqlite3.connect(other)
    conn.execute("create table runs (id integer primary key, started_at text)")
    conn.execute("pragma application_id = 12345")
    conn.commit()
    conn.close()
    before = _digest(other)
    with pytest.raises(StoreError, match="another application"):
        open_db(other)
    assert _digest(other) == before


def test_the_cli_refuses_a_foreign_database_with_an_error(tmp_path: Path) -> None:
    """`auditor audit --db other-app.db` exits 2 with an Error: line and does not touch the file."""
    other = tmp_path / "app.db"
    conn = sqlite3.connect(other)
    conn.execute("create table t (x)")
    conn.commit()
    conn.close()
    before = _digest(other)
    doc = tmp_path / "paper.txt"
    doc.write_text(DOC)
    res = subprocess.run(auditor_cmd("audit", str(doc), "--db", str(other), "--no-html"), capture_output=True, check=False,
                         text=True, timeout=120)
    assert res.returncode == 2 and "Error:" in res.stderr and "not an audit database" in res.stderr
    assert _digest(other) == before


def test_a_previous_release_database_is_upgraded_and_stamped(tmp_path: Path) -> None:
    """A database from the previous release (our tables, no application id) opens, is upgraded and stamped."""
    from auditor import store

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old)
    conn.execute("create table runs (id integer primary key, started_at text, finished_at text)")
    conn.execute("create table documents (id integer primary key, run_id integer, path text)")
    conn.execute("insert into runs values (1, 'a', 'b')")
    conn.commit()
    conn.close()
    db = store.open_db(old)
    assert db.execute("pragma application_id").fetchone()[0] == store.APPLICATION_ID
    assert "status" in {c.name for c in db.table("runs").columns}
    assert db.table("runs").get(1)["started_at"] == "a"


# Point 13: outputs never destroy inputs


@pytest.mark.parametrize("target", ["db", "doc"])
def test_output_over_the_database_or_a_document_is_refused(tmp_path: Path, target: str) -> None:
    """`-o` naming the database or a document being audited is refused and the file is unchanged."""
    from click.testing import CliRunner

    from auditor.cli import cli

    doc = tmp_path / "paper.txt"
    doc.write_text(DOC)
    db = tmp_path / "audit.db"
    CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db), "--no-html", "--fail-on", "never"])
    victim = db if target == "db" else doc
    before = _digest(victim)
    res = CliRunner().invoke(cli, ["audit", str(tmp_path), "--db", str(db), "--no-html", "-o", str(victim)])
    assert res.exit_code == 2 and "choose another output file" in res.output
    assert _digest(victim) == before


def test_a_failed_write_leaves_the_previous_output_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When writing the output fails half-way (disk full), the earlier file is intact and no temporary is left."""
    import os

    from auditor import fileio

    out = tmp_path / "audit.json"
    fileio.write_atomic(out, "old complete report")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        fileio.write_atomic(out, "new report " * 1000)
    assert out.read_text() == "old complete report"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.json"]


def test_report_and_output_go_through_the_atomic_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The `-o` file and every HTML report page are written with write_atomic (temporary file, then rename)."""
    from click.testing import CliRunner

    from auditor import commands, fileio, report
    from auditor.cli import cli

    written: list[str] = []
    real = fileio.write_atomic

    def spy(path, data, encoding="utf-8"):  # type: ignore[no-untyped-def]
        written.append(Path(path).name)
        real(path, data, encoding)

    monkeypatch.setattr(commands, "write_atomic", spy)
    monkeypatch.setattr(report, "write_atomic", spy)
    doc = tmp_path / "paper.txt"
    doc.write_text(DOC)
    res = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--html", str(tmp_path / "r"),
                                   "-o", str(tmp_path / "out.txt"), "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    assert "out.txt" in written and "index.html" in written
    assert not list(tmp_path.rglob("*.tmp"))
