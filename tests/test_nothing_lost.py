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


# Point 14: link history


def _db_with_links(tmp_path: Path, checked_at: str = "2026-01-01T00:00:00Z"):  # type: ignore[no-untyped-def]
    from auditor.store import open_db

    db = open_db(tmp_path / "audit.db")
    for url in ("https://one-site.org/a", "https://two-site.com/b"):
        db.table("links").insert({"url": url, "outcome": "ok", "checked_at": checked_at,
                                  "consecutive_failures": 0})
    db.conn.commit()
    return db


def _fetcher(kind: str | None):  # type: ignore[no-untyped-def]
    from auditor.linkcheck.client import Fetch

    def fetch(url: str, policy) -> Fetch:  # type: ignore[no-untyped-def]
        if kind is None:
            return Fetch(url, status=200, final_url=url, headers={"content-type": "text/html"},
                         body=b"<title>A page</title>")
        return Fetch(url, error_kind=kind, error="the host name does not exist")

    return fetch


def test_links_checks_are_their_own_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor links` records its checks under a run of its own, which the next audit does not claim."""
    import datetime as dt

    from click.testing import CliRunner

    from auditor import linkcheck
    from auditor.cli import cli
    from auditor.config import Settings

    monkeypatch.setattr(linkcheck.engine, "fetch_and_read", _fetcher(None))
    db = _db_with_links(tmp_path)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert linkcheck.recheck_links(db, Settings(), older_than="7d", fmt="text", archive=False,
                                   allow_private=False, remap=[], now=now) == 0
    runs = {r["id"]: r for r in db.query("select id, command, status from runs")}
    checks = list(db.query("select run_id from link_checks"))
    assert len(checks) == 2 and all(runs[c["run_id"]]["command"] == "links" for c in checks)
    doc = tmp_path / "paper.txt"
    doc.write_text(DOC)
    CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "audit.db"), "--no-html", "--check-links",
                             "--fail-on", "never"])
    after = list(db.query("select run_id from link_checks"))
    assert [c["run_id"] for c in after] == [c["run_id"] for c in checks]


def test_a_checked_at_in_the_future_is_stale() -> None:
    """A stored check dated after now is due again, however recent it claims to be."""
    import datetime as dt

    from auditor.linkcheck import is_stale

    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert is_stale(now + dt.timedelta(days=300), now, dt.timedelta(days=7))
    assert not is_stale(now - dt.timedelta(days=1), now, dt.timedelta(days=7))
    assert is_stale(now - dt.timedelta(days=8), now, dt.timedelta(days=7))


def test_future_checks_are_rechecked_by_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor links` re-checks URLs whose stored checked_at lies in the future."""
    import datetime as dt

    from auditor import linkcheck
    from auditor.config import Settings

    monkeypatch.setattr(linkcheck.engine, "fetch_and_read", _fetcher(None))
    db = _db_with_links(tmp_path, checked_at="2099-01-01T00:00:00Z")
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    linkcheck.recheck_links(db, Settings(), older_than="7d", fmt="text", archive=False, allow_private=False,
                            remap=[], now=now)
    assert db.execute("select count(*) from link_checks").fetchone()[0] == 2


def test_network_down_marks_nothing_dead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """When no host can be resolved, `auditor links` says the network is down and records no failure."""
    import datetime as dt

    from auditor import linkcheck
    from auditor.config import Settings

    monkeypatch.setattr(linkcheck.engine, "fetch_and_read", _fetcher("dns"))
    db = _db_with_links(tmp_path)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for _ in range(3):  # three failing checks would make a link dead
        code = linkcheck.recheck_links(db, Settings(), older_than="0s", fmt="text", archive=False,
                                       allow_private=False, remap=[], now=now)
        now += dt.timedelta(days=2)
    assert code == 2 and "network seems to be down" in capsys.readouterr().err
    assert {r["outcome"] for r in db.query("select outcome from links")} == {"ok"}
    assert db.execute("select count(*) from link_checks").fetchone()[0] == 0


# Point 15: processes


WORKERS_SCRIPT = r"""
import os, sys, time
from auditor.linkcheck.client import Fetch, Policy
from auditor.linkcheck.scheduler import Task, check_all_processes

PIDS = sys.argv[1]

def stuck(url, policy):
    with open(PIDS, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(600)
    return Fetch(url)

tasks = [Task(f"https://host{i}.org/x", f"k{i}") for i in range(4)]
try:
    check_all_processes(tasks, Policy(), processes=2, per_host=1, concurrency=2, retries=0, fetcher=stuck)
except KeyboardInterrupt:
    print("parent interrupted", file=sys.stderr)
"""


def _start_workers(tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, set[int]]:
    import time

    pids_file = tmp_path / "pids"
    script = tmp_path / "workers.py"
    script.write_text(WORKERS_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(pids_file)], stderr=subprocess.PIPE,
                            start_new_session=True)
    for _ in range(300):  # until both workers are inside a fetch (bounded: at most 30 s)
        pids = {int(x) for x in pids_file.read_text().split()} if pids_file.exists() else set()
        if len(pids) >= 2:
            return proc, pids_file, pids
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the workers did not start")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_link_workers_exit_when_the_parent_dies(tmp_path: Path, sig: str) -> None:
    """Killing the parent of the link-check workers (SIGKILL or SIGTERM) makes every worker exit too."""
    import os
    import signal
    import time

    proc, _, pids = _start_workers(tmp_path)
    try:
        os.kill(proc.pid, getattr(signal, sig))
        proc.wait(timeout=30)
        for _ in range(100):  # bounded wait for the kernel to deliver the parent-death signal
            if not any(_alive(p) for p in pids):
                break
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids)
    finally:
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
        if proc.stderr:
            proc.stderr.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_ctrl_c_prints_no_worker_traceback(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group) is reported by the parent alone: no worker prints a traceback."""
    import os
    import signal

    proc, _, pids = _start_workers(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        text = err.decode()
        assert "parent interrupted" in text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text
    finally:
        for p in pids:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


def test_ctrl_c_after_the_run_is_stored_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the output is being written says the run was stored (and it is), not that nothing was."""
    from click.testing import CliRunner

    from auditor import output
    from auditor.cli import cli

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "render", interrupted)
    monkeypatch.setattr(output, "text_summary", interrupted)  # the text output's last lines, after streaming
    doc = tmp_path / "paper.txt"
    doc.write_text(DOC)
    db = tmp_path / "audit.db"
    res = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db), "--no-html"])
    assert res.exit_code == 130
    assert "the run was stored as run 1" in res.output and "nothing" not in res.output
    assert sqlite3.connect(db).execute("select count(*) from runs").fetchone()[0] == 1
