"""Issue 14: parallel, streamed and incremental audits, and a Dask cluster, all storing the same rows."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.linkcheck.engine import shard_by_host
from auditor.linkcheck.scheduler import Task
from auditor.terminal import Progress

ROOT = Path(__file__).resolve().parent.parent
PAPER = """# Kajian {n}

Menurut Ford (2009) dan (Smith, 2011), hubungan itu erat [lihat juga Lee 2015].
Tulisan (Forrd 2009) tidak ada.

## Daftar Pustaka

Ford, A. (2009). Judul pertama. Jakarta: Penerbit.
Smith, B. (2011). Judul kedua. https://example.org/b. Diakses 1 Januari 2020.
Smith, B. (2011). Judul kedua. https://example.org/b. Diakses 1 Januari 2020.
Lee, C. (2015). Judul ketiga. Bandung: Penerbit.
"""
# Rows compared across runs: everything but the run's own id and timestamps.
TABLES = {
    "documents": "select * from documents order by id",
    "entries": "select * from entries order by id",
    "citations": "select * from citations order by id",
    "findings": "select * from findings order by id",
    "entry_links": "select entry_id, url from entry_links order by id",
    "manuscripts": "select * from manuscripts order by id",
}


def corpus(tmp_path: Path, n: int = 6) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(n):
        text = PAPER.format(n=i) + ("Extra (Nobody 1999).\n" if i % 2 else "")
        (docs / f"paper{i:02d}.md").write_text(text, encoding="utf-8")
    # A Pandoc paper and its bibliography: one manuscript, entries shared across two files.
    (docs / "pandoc.md").write_text("---\nbibliography: refs.bib\n---\n\n# P\n\nAs @ford2009 says [@ghost].\n",
                                    encoding="utf-8")
    (docs / "refs.bib").write_text("@book{ford2009, author={Ford, Arthur}, title={Judul}, year={2009},"
                                   " publisher={P}}\n@book{unused, author={X, Y}, title={T}, year={2001},"
                                   " publisher={P}}\n", encoding="utf-8")
    (docs / "broken.docx").write_bytes(b"not a zip")  # an error row too
    return docs


def audit(db: Path, *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["audit", *args, "--db", str(db), "--no-html", "--fail-on", "never",
                                      "--today", "2026-11-24"])
    return result.exit_code, result.stdout, result.stderr


def dump(db: Path, leave_out: tuple[str, ...] = ("run_id",)) -> dict[str, list[dict[str, object]]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    out = {}
    for table, query in TABLES.items():
        out[table] = [{k: r[k] for k in r.keys() if k not in leave_out} for r in conn.execute(query)]
    conn.close()
    return out


def test_worker_processes_store_exactly_the_rows_of_a_serial_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    code1, out1, _ = audit(tmp_path / "serial.db", "docs", "--jobs", "1", "--doc-timeout", "0")
    code2, out2, _ = audit(tmp_path / "parallel.db", "docs", "--jobs", "2")
    assert code1 == code2 == 0
    serial, parallel = dump(tmp_path / "serial.db"), dump(tmp_path / "parallel.db")
    assert serial == parallel
    assert len(serial["documents"]) == 9 and serial["manuscripts"]  # the papers, the manuscript's two files, the error
    assert any(d["error"] for d in serial["documents"])
    # Documents are printed and stored in the order given, whichever worker finished first.
    printed = [line.split(":")[0] for line in out2.splitlines() if line.startswith("docs/")]
    assert printed == sorted(printed, key=lambda p: [d["path"] for d in parallel["documents"]].index(p))
    assert out1 == out2
    assert docs.exists()


def test_a_second_run_reuses_unchanged_documents_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "a.db"
    audit(db, "docs")
    code, out, _ = audit(db, "docs")
    assert code == 0
    assert "(unchanged: results reused)" in out and "(8 unchanged, results reused)" in out  # not the broken one
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from runs where finished_at is not null").fetchone()[0] == 2  # stored
    reused = conn.execute("select count(*) from documents where run_id = 2 and reused_from is not null").fetchone()[0]
    assert reused == 8
    # The copies are the same results: compare run 1 and run 2 row for row, by document, without ids.
    def of_run(run: int, table: str, columns: str) -> list[tuple[object, ...]]:
        return sorted(conn.execute(f"select d.path, {columns} from {table} x join documents d on d.id = x.document_id "
                                   f"where d.run_id = ?", [run]).fetchall(), key=repr)
    for table, columns in (("entries", "x.line, x.raw, x.cited_count, x.authors, x.year"),
                           ("citations", "x.line, x.column, x.raw, x.status, x.candidates is not null"),
                           ("findings", "x.rule, x.severity, x.line, x.message, x.fingerprint")):
        assert of_run(1, table, columns) == of_run(2, table, columns) != []
    # Citations still point at an entry of their own run (the reused document's ids are its own).
    stray = conn.execute("select count(*) from citations c join documents d on d.id = c.document_id "
                         "join entries e on e.id = c.entry_id join documents de on de.id = e.document_id "
                         "where d.run_id = 2 and de.run_id != 2").fetchone()[0]
    assert stray == 0
    # Nothing was copied: the entries and citations are stored once and shown for both runs.
    stored = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in ("entry_rows", "citation_rows")}
    shown = {t: conn.execute(f"select count(*), count(distinct id) from {t}").fetchone() for t in ("entries", "citations")}
    assert shown["entries"] == (2 * stored["entry_rows"],) * 2 and shown["citations"] == (2 * stored["citation_rows"],) * 2
    # Nothing new, nothing fixed: the comparison with the last run sees the same findings.
    assert "Since run 1: 0 new, 0 fixed" in out
    # An edited file is audited again, the others are not.
    (docs / "paper01.md").write_text(PAPER.format(n=1) + "Baru (Zed 2020).\n", encoding="utf-8")
    code, out, _ = audit(db, "docs")
    assert "(7 unchanged, results reused)" in out
    [line] = [x for x in out.splitlines() if x.startswith("docs/paper01.md:")]
    assert "unchanged" not in line
    assert all("unchanged" in x for x in out.splitlines() if x.startswith("docs/paper0") and x != line)
    # --force audits everything again; other settings are other results.
    assert "unchanged" not in audit(db, "docs", "--force")[1]
    assert "unchanged" not in audit(db, "docs", "--select", "unresolved-citation")[1]
    # Over all these runs, every id the views show is unique, and every run's citations resolve in it.
    for view in ("entries", "citations"):
        assert conn.execute(f"select count(*) - count(distinct id) from {view}").fetchone()[0] == 0
    assert conn.execute("select count(*) from citations c join documents d on d.id = c.document_id "
                        "join entries e on e.id = c.entry_id join documents de on de.id = e.document_id "
                        "where d.run_id != de.run_id").fetchone()[0] == 0


def test_where_a_url_is_cited_is_known_after_a_run_that_reused_everything(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor links` names the citing lines from the stored rows a reused document shows."""
    from auditor.store import citing_places, document_urls, open_db

    corpus(tmp_path, n=2)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "a.db"
    audit(db, "docs")
    first = citing_places(open_db(db))
    audit(db, "docs")
    conn = open_db(db)
    assert first and citing_places(conn) == first
    assert [(Path(p["path"]).name, p["line"]) for p in first["https://example.org/b"]] == [
        ("paper00.md", 9), ("paper00.md", 10), ("paper01.md", 9), ("paper01.md", 10)]
    latest = [r["id"] for r in conn.query("select id from documents where run_id = 2 and path like '%paper00.md'")]
    assert document_urls(conn, latest[0]) == ["https://example.org/b"] * 2


def test_results_that_depend_on_today_are_not_reused_across_the_date(tmp_path: Path) -> None:
    doc = tmp_path / "p.md"
    doc.write_text(PAPER.format(n=0).replace("Diakses 1 Januari 2020", "Diakses 1 Desember 2026"), encoding="utf-8")
    db = tmp_path / "a.db"
    first = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db), "--no-html", "--today", "2026-11-24"])
    assert "access-date-in-future" in first.stdout
    later = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db), "--no-html", "--today", "2026-12-05"])
    header = later.stdout.splitlines()[0]
    assert header.startswith(str(doc)) and "unchanged" not in header
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from findings where run_id = 2 and rule = 'access-date-in-future'"
                        ).fetchone()[0] == 0


def test_a_dask_cluster_stores_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-unit work runs unchanged on a local Dask cluster (two worker processes) through its
    concurrent.futures executor; the one writer stores exactly the rows of a local run."""
    from distributed import LocalCluster

    corpus(tmp_path)
    monkeypatch.chdir(tmp_path)
    audit(tmp_path / "local.db", "docs", "--jobs", "2")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        code, out, err = audit(tmp_path / "dask.db", "docs", "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    assert dump(tmp_path / "local.db") == dump(tmp_path / "dask.db")
    named = [line.split(":")[0] for line in out.splitlines() if "paper0" in line.split(":")[0]]
    assert named and all(n.strip().startswith("docs/paper0") for n in named)  # as given, not as the workers read them


def test_a_scheduler_nobody_answers_is_one_clear_error(tmp_path: Path) -> None:
    doc = tmp_path / "p.md"
    doc.write_text(PAPER.format(n=0), encoding="utf-8")
    monkey = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--scheduler", "tcp://127.0.0.1:9"], env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert monkey.exit_code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in monkey.stderr
    assert "Traceback" not in monkey.output


def test_a_scheduler_in_a_configuration_among_the_documents_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster's results are unpickled by the writer: a configuration shipped with documents cannot pick it."""
    work = tmp_path / "work"
    docs = work / "sub" / "docs"
    docs.mkdir(parents=True)
    (docs / "p.md").write_text(PAPER.format(n=0), encoding="utf-8")
    (work / "sub" / "pyproject.toml").write_text('[tool.auditor]\nscheduler = "tcp://203.0.113.9:8786"\n')
    monkeypatch.chdir(work)
    result = CliRunner().invoke(cli, ["audit", "sub/docs", "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "scheduler ignored" in result.stderr


def test_link_checks_shard_by_host() -> None:
    tasks = [Task(f"https://{h}.example/{i}", f"k{h}{i}") for h, n in (("a", 5), ("b", 3), ("c", 3), ("d", 1))
             for i in range(n)]
    shards = shard_by_host(tasks, 2)
    assert len(shards) == 2 and sorted(len(s) for s in shards) == [6, 6]
    hosts = [{t.url.split("/")[2] for t in s} for s in shards]
    assert not hosts[0] & hosts[1]  # a host's URLs all go to one shard: its limit holds across workers
    assert sum(len(s) for s in shards) == len(tasks)


def test_progress_bar_names_the_item_and_keeps_printed_lines_above() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err, out = Tty(), io.StringIO()
    bar = Progress(3, "Auditing", err)
    bar.update(1, "docs/b.md")
    bar.echo("docs/a.md: 3 entries\n", out)
    bar.update(3, "docs/c.md")
    bar.close()
    assert "Auditing [" in err.getvalue() and "1/3 docs/b.md" in err.getvalue() and "3/3" in err.getvalue()
    assert out.getvalue() == "docs/a.md: 3 entries\n"
    assert err.getvalue().endswith("\r\x1b[K")  # the bar is gone at the end
    quiet = io.StringIO()
    bar = Progress(3, "Auditing", quiet)  # not a terminal: nothing
    bar.update(2, "x")
    bar.close()
    assert quiet.getvalue() == ""


def test_light_commands_do_not_import_the_checks() -> None:
    """`auditor rules`, `auditor rule NAME` and `--version` start fast: they import neither the checks and
    parsers nor the database layer (bench/startup_bench.py measures the time)."""
    code = ("import sys, runpy; sys.argv = ['auditor', *sys.argv[1:]]\n"
            "from auditor.cli import cli\n"
            "try:\n    cli.main(standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('auditor.checks', 'auditor.parsing', 'auditor.model', 'bs4', 'sqlite_utils',"
            " 'rapidfuzz', 'jinja2') if m in sys.modules]\n"
            "print('HEAVY', heavy)\n")
    for args in (["rules"], ["rule", "duplicate-entry"], ["--version"], ["rules", "--format", "json"]):
        res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        assert "HEAVY []" in res.stdout, (args, res.stdout, res.stderr)


def test_the_rule_catalogue_is_the_registry() -> None:
    from auditor.catalogue import OUTPUT_FORMATS, registry_rules
    from auditor.output import FORMATTERS

    stored = json.loads((ROOT / "auditor" / "rules.json").read_text(encoding="utf-8"))
    assert stored == registry_rules(), "run: python -m auditor.catalogue"
    assert OUTPUT_FORMATS == tuple(FORMATTERS)


def test_statistics_counts_are_the_stored_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus(tmp_path, 3)
    monkeypatch.chdir(tmp_path)
    code, out, _ = audit(tmp_path / "a.db", "docs", "--statistics", "--jobs", "2")
    conn = sqlite3.connect(tmp_path / "a.db")
    stored = Counter(conn.execute("select rule, severity from findings where suppressed = 0").fetchall())
    shown = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0].isdigit() and (parts[1], parts[2]) in stored:
            shown[(parts[1], parts[2])] = int(parts[0])
    assert shown == dict(stored) and code == 0
