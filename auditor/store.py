"""The audit database (SQLite through sqlite-utils): schema, saving a run, and the queries others need.

The tables and columns named in the README are a public contract: later versions add columns and
tables, never rename or drop these. Each run is written in one transaction, so an interrupted run
leaves the earlier runs intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from auditor.errors import StoreError
from auditor.timestamps import iso, now_iso

if TYPE_CHECKING:
    from auditor.linkcheck.records import LinkRun
from auditor.model import Finding, ParsedDocument


@dataclass(frozen=True)
class Migration:
    """One named change to the schema: tables to create, columns to add, indexes to build.

    Each step is idempotent (a table or column that exists is left as it is), because databases made
    before migrations were recorded hold some of these already and nothing in them may be lost."""

    name: str
    tables: dict[str, dict[str, type]] = field(default_factory=dict)
    columns: dict[str, dict[str, type]] = field(default_factory=dict)
    indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()


# The schema's history, applied in order and recorded in schema_migrations. Never edit or reorder a
# migration that has shipped: add a new one. The tables and columns named in the README are a public
# contract: later migrations add, never rename or drop.
MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001-base", tables={
        "runs": {
            "id": int, "started_at": str, "finished_at": str, "tool_version": str, "command": str,
            "paths": str, "status": str, "documents_count": int, "findings_count": int, "settings": str,
        },
        "documents": {
            "id": int, "run_id": int, "path": str, "name": str, "sha256": str, "format": str, "encoding": str,
            "line_count": int, "entries_count": int, "citations_count": int, "errors": int, "warnings": int,
            "infos": int, "error": str, "text": str,
        },
        "entries": {
            "id": int, "document_id": int, "line": int, "end_line": int, "raw": str, "authors": str,
            "author_text": str, "year": str, "title": str, "container": str, "urls": str, "doi": str,
            "accessed": str, "accessed_text": str, "published": str, "kind": str, "number": int,
            "section": str, "subsection": str, "refers_to": int, "cited_count": int, "label": str,
        },
        "citations": {
            "id": int, "document_id": int, "line": int, "column": int, "raw": str, "kind": str, "authors": str,
            "year": str, "entry_id": int, "number": int, "status": str, "candidates": str,
            "suggestion_entry_id": int, "marker": str,
        },
        "findings": {
            "id": int, "run_id": int, "document_id": int, "rule": str, "severity": str, "line": int,
            "column": int, "message": str, "suggestion": str, "entry_id": int, "citation_id": int,
            "fingerprint": str, "subject": str, "suppressed": int, "path": str,
        },
        "links": {
            "url": str, "outcome": str, "http_status": int, "final_url": str, "title": str, "published": str,
            "checked_at": str, "error": str, "consecutive_failures": int, "first_failed_at": str,
            "archive_url": str, "content_type": str, "elapsed_ms": int,
        },
        "link_checks": {
            "id": int, "url": str, "run_id": int, "outcome": str, "http_status": int, "final_url": str,
            "title": str, "published": str, "checked_at": str, "error": str, "elapsed_ms": int,
            "raw_outcome": str,
        },
        "entry_links": {"id": int, "entry_id": int, "url": str},
    }, indexes=(("documents", ("run_id",)), ("entries", ("document_id",)), ("citations", ("document_id",)),
                ("findings", ("run_id",)), ("findings", ("document_id",)), ("link_checks", ("url",)),
                ("entry_links", ("entry_id",)))),
    # Notes-and-bibliography: a note's entry points at the listed work it cites.
    Migration("0002-note-sources", columns={"entries": {"source_entry_id": int}}),
    # Files audited together as one manuscript.
    Migration("0003-manuscripts", tables={"manuscripts": {"id": int, "run_id": int, "name": str}},
              columns={"documents": {"manuscript_id": int}}, indexes=(("manuscripts", ("run_id",)),)),
    # Lines whose mojibake was repaired when the document was read.
    Migration("0004-repaired-lines", columns={"documents": {"repaired_lines": str}}),
    # Link history: the URL fetched after --remap (the cache key), every title candidate, the day of
    # the last counted failure and the explanation (added while storing links before migrations).
    Migration("0005-link-history", columns={"links": {"fetched_url": str, "titles": str,
                                                      "last_failure_at": str, "detail": str}}),
    # Where a line is in the original file (page, footnote, paragraph, bib line) for structured formats.
    Migration("0006-locators", columns={"entries": {"locator": str}, "citations": {"locator": str},
                                        "findings": {"locator": str}}),
    # Scholarly source verification (--check-sources): one row per lookup (a DOI, or an entry's search
    # fields), the registry record's essential fields and the verdict, reused within sources.cache-age.
    Migration("0007-sources", tables={"sources": {
        "key": str, "doi": str, "registry": str, "record_url": str, "title": str, "authors": str, "year": int,
        "container": str, "volume": str, "issue": str, "pages": str, "status": str, "verdict": str,
        "notices": str, "via": str, "query": str, "work": str, "detail": str, "checked_at": str,
    }}),
    # OpenAlex's is_retracted for a DOI's work found in Crossref or DataCite: retracted, not-retracted,
    # absent, "error: …" (asked again next time) or empty (a row from before: asked again too).
    Migration("0008-sources-openalex", columns={"sources": {"openalex": str}}),
)
MIGRATIONS_TABLE = "schema_migrations"
PRIMARY_KEYS = {"links": "url", "sources": "key", MIGRATIONS_TABLE: "name"}


def _schema() -> dict[str, dict[str, type]]:
    """Every table and column the migrations declare, in order."""
    schema: dict[str, dict[str, type]] = {}
    for m in MIGRATIONS:
        for table, columns in m.tables.items():
            schema.setdefault(table, {}).update(columns)
        for table, columns in m.columns.items():
            schema[table].update(columns)
    return schema


SCHEMA = _schema()


# PRAGMA application_id of an audit database ("CITA"); files of the previous release have 0 and our tables.
APPLICATION_ID = 0x43495441
SCHEMA_VERSION = len(MIGRATIONS)
# How long a run waits for another run that is writing the same database before giving up.
BUSY_TIMEOUT = 120.0


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) an audit database with the current schema.

    A file that is not one of ours (another application's SQLite database) is refused before anything
    is written to it; a database of the previous release (our tables, no application id) is upgraded."""
    p = Path(path)
    try:
        if p.exists() and p.is_dir():
            raise StoreError(f"{p}: is a directory, not a database file")
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT)
        db = sqlite_utils.Database(conn)
        _check_ours(db, p)
        ensure_schema(db)
    except sqlite3.OperationalError as exc:
        raise _store_error(p, exc) from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{p}: not an audit database ({exc})") from None
    except OSError as exc:
        raise StoreError(f"{p}: cannot be opened ({exc.strerror or exc})") from None
    return db


def _store_error(p: Path | str, exc: sqlite3.Error) -> StoreError:
    if "locked" in str(exc) or "busy" in str(exc):
        return StoreError(f"{p}: database busy: another run kept it locked for more than {BUSY_TIMEOUT:g} s; "
                          f"nothing of this run was stored, try again")
    return StoreError(f"{p}: cannot use the audit database ({exc})")


def _check_ours(db: sqlite_utils.Database, p: Path) -> None:
    """Refuse a database that belongs to another application; only reads, never writes."""
    app_id = db.execute("pragma application_id").fetchone()[0]
    if app_id == APPLICATION_ID:
        return
    tables = set(db.table_names())
    if app_id != 0:
        raise StoreError(f"{p}: not an audit database (it belongs to another application, "
                         f"application_id {app_id}); it was left unchanged")
    ours = tables <= set(SCHEMA) | {MIGRATIONS_TABLE} and "runs" in tables and "started_at" in {c.name for c in db.table("runs").columns}
    if tables and not ours:
        raise StoreError(f"{p}: not an audit database (it holds other tables: "
                         f"{', '.join(sorted(tables)[:5])}); it was left unchanged")


@contextlib.contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A transaction that takes the write lock at its start (BEGIN IMMEDIATE), waiting up to BUSY_TIMEOUT
    for another run to finish, so that two runs never both read and then both try to write."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.conn.execute("COMMIT")


def applied_migrations(db: sqlite_utils.Database) -> set[str]:
    if MIGRATIONS_TABLE not in db.table_names():
        return set()
    return {r[0] for r in db.execute(f"select name from {MIGRATIONS_TABLE}")}


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Apply the migrations this database lacks, in order, each recorded; never drop anything."""
    wanted = [m.name for m in MIGRATIONS]
    if (db.execute("pragma application_id").fetchone()[0] == APPLICATION_ID
            and applied_migrations(db) >= set(wanted)):
        return  # nothing to change: no write lock needed
    with immediate(db):
        if MIGRATIONS_TABLE not in db.table_names():
            db.table(MIGRATIONS_TABLE).create({"name": str, "applied_at": str}, pk="name")
        done = applied_migrations(db)  # again, under the lock: another run may have just migrated
        for m in MIGRATIONS:
            if m.name not in done:
                _apply(db, m)
                db.table(MIGRATIONS_TABLE).insert({"name": m.name, "applied_at": now_iso()})
        db.execute(f"pragma application_id = {APPLICATION_ID}")
        db.execute(f"pragma user_version = {SCHEMA_VERSION}")


def _apply(db: sqlite_utils.Database, m: Migration) -> None:
    for name, columns in m.tables.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, pk=PRIMARY_KEYS.get(name, "id"))
        else:  # made before migrations were recorded: add what it lacks
            _add_columns(db, name, columns)
    for name, columns in m.columns.items():
        _add_columns(db, name, columns)
    for name, cols in m.indexes:
        db.table(name).create_index(list(cols), if_not_exists=True)


def _add_columns(db: sqlite_utils.Database, name: str, columns: dict[str, type]) -> None:
    table = db.table(name)
    have = {c.name for c in table.columns}
    for column, kind in columns.items():
        if column not in have:
            table.add_column(column, kind)


def fingerprint(rule: str, path: str, subject: str) -> str:
    """A finding's identity across runs: rule, document and subject, not the line number."""
    norm = " ".join(subject.split()).casefold()
    return hashlib.sha1(f"{rule}\x1f{Path(path).name}\x1f{norm}".encode()).hexdigest()[:16]


@dataclass
class DocumentResult:
    """One document's outcome in a run: parsed and checked, or an error message."""

    path: str
    parsed: ParsedDocument | None = None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    manuscript: str | None = None  # the name of the manuscript the file is part of, if any


@dataclass
class SavedIds:
    run_id: int
    document_ids: dict[str, int] = field(default_factory=dict)
    entry_ids: dict[tuple[str, int], int] = field(default_factory=dict)


def save_run(db: sqlite_utils.Database, started_at: str, finished_at: str, version: str, command: str,
             results: list[DocumentResult], settings: dict[str, Any] | None = None,
             links: LinkRun | None = None, checked_at: dt.datetime | None = None) -> SavedIds:
    """Write a whole run in one transaction, with the link records of its `--check-links` (checked at
    `checked_at`), and return the ids given to what was stored."""
    try:
        with immediate(db):
            ids = _save(db, started_at, finished_at, version, command, results, settings or {})
            if links is not None:
                save_links(db, links, ids.run_id, checked_at or dt.datetime.now(dt.UTC))
            return ids
    except sqlite3.OperationalError as exc:
        raise _store_error("the audit database", exc) from None
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the audit database: {exc}") from None


def save_link_run(db: sqlite_utils.Database, links: LinkRun, now: dt.datetime,
                  settings: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """Store the checks of `auditor links` as a run of their own ("links"), never attributed to the next
    audit, in one transaction; return (url, old outcome, new outcome) per URL checked."""
    from auditor import __version__

    try:
        with immediate(db):
            run_id = _pk(db.table("runs").insert({
                "started_at": iso(now), "finished_at": now_iso(), "tool_version": __version__,
                "command": "links", "paths": "[]", "status": "links", "documents_count": 0,
                "findings_count": 0, "settings": json.dumps(settings),
            }).last_pk)
            return save_links(db, links, run_id, now, scheduled=True)
    except sqlite3.OperationalError as exc:
        raise _store_error("the audit database", exc) from None


def save_links(db: sqlite_utils.Database, links: LinkRun, run_id: int | None, now: dt.datetime,
               scheduled: bool = False) -> list[tuple[str, str | None, str]]:
    """Update links (the latest state, with the failure history) and add to link_checks (every check);
    inside the caller's transaction. A record's outcome and detail become the stored ones."""
    from auditor.linkcheck.history import next_history

    changes: list[tuple[str, str | None, str]] = []
    table = db.table("links")
    for rec in links.to_store():
        old = next(db.query("select * from links where url = ?", [rec.url]), None)
        h = next_history(rec, old, now, scheduled)
        rec.outcome, rec.detail = h.outcome, h.detail
        row: dict[str, Any] = {
            "url": rec.url, "outcome": rec.outcome, "http_status": rec.http_status, "final_url": rec.final_url,
            "title": rec.title, "published": rec.published.iso() if rec.published else None,
            "checked_at": iso(now), "error": rec.error, "consecutive_failures": h.consecutive_failures,
            "first_failed_at": h.first_failed_at,
            "archive_url": rec.archive_url or (old["archive_url"] if old else None),
            "content_type": rec.content_type, "elapsed_ms": rec.elapsed_ms, "fetched_url": rec.fetched_url,
            "titles": json.dumps(list(rec.titles), ensure_ascii=False),
            "last_failure_at": h.last_failure_at, "detail": rec.detail,
        }
        table.upsert(row, pk="url")
        db.table("link_checks").insert({
            "url": rec.url, "run_id": run_id, "outcome": rec.outcome, "http_status": rec.http_status,
            "final_url": rec.final_url, "title": rec.title, "published": row["published"],
            "checked_at": iso(now), "error": rec.error, "elapsed_ms": rec.elapsed_ms,
            "raw_outcome": rec.raw_outcome,
        })
        changes.append((rec.url, old["outcome"] if old else None, rec.outcome))
    return changes


def _pk(value: Any) -> int:
    """The primary key sqlite-utils reports for a row just inserted (never None after an insert)."""
    if value is None:
        raise StoreError("the database did not return the id of a row it stored")
    return int(value)


def _save(db: sqlite_utils.Database, started_at: str, finished_at: str, version: str, command: str,
          results: list[DocumentResult], settings: dict[str, Any]) -> SavedIds:
    total = sum(len(r.findings) for r in results)
    run_id = db.table("runs").insert({
        "started_at": started_at, "finished_at": finished_at, "tool_version": version, "command": command,
        "paths": json.dumps([r.path for r in results], ensure_ascii=False), "status": "complete",
        "documents_count": len(results), "findings_count": total,
        "settings": json.dumps(settings, ensure_ascii=False, default=str),
    }).last_pk
    ids = SavedIds(_pk(run_id))
    manuscripts: dict[str, int] = {}
    for result in results:
        if result.manuscript is not None and result.manuscript not in manuscripts:
            pk = db.table("manuscripts").insert({"run_id": ids.run_id, "name": result.manuscript}).last_pk
            assert pk is not None
            manuscripts[result.manuscript] = int(pk)
    # A citation or note may point at an entry of another file of its manuscript (entry indexes are
    # unique within a manuscript), so every entry's id is known before anything is stored. The run
    # holds the write lock since its first insert, so the next ids are ours to assign; rows then go
    # in batches instead of one statement each.
    next_entry = _next_id(db, "entries")
    scopes: dict[str, dict[int, int]] = {}
    cited: dict[str, dict[int, int]] = {}
    for result in results:
        entry_ids = scopes.setdefault(_scope(result), {})
        counts = cited.setdefault(_scope(result), {})
        if result.parsed is None:
            continue
        for e in result.parsed.entries:
            entry_ids[e.index] = next_entry
            next_entry += 1
        for c in result.parsed.citations:
            if c.entry_index is not None:
                counts[c.entry_index] = counts.get(c.entry_index, 0) + 1
    for result in results:
        _save_document(db, ids, result, manuscripts.get(result.manuscript or ""), scopes[_scope(result)],
                       cited[_scope(result)])
    return ids


def _scope(result: DocumentResult) -> str:
    """What entry indexes are unique in: the manuscript, or the document alone."""
    return f"manuscript\x1f{result.manuscript}" if result.manuscript is not None else f"document\x1f{result.path}"


def _save_document(db: sqlite_utils.Database, ids: SavedIds, result: DocumentResult, manuscript_id: int | None,
                   entry_ids: dict[int, int], cited: dict[int, int]) -> None:
    """The document's row, entries, citations and findings; entry_ids: the ids of its manuscript's entries."""
    parsed = result.parsed
    counts = {s: sum(1 for f in result.findings if f.severity.value == s and not f.suppressed)
              for s in ("error", "warning", "info")}
    doc = parsed.document if parsed else None
    document_id = _pk(db.table("documents").insert({
        "run_id": ids.run_id, "path": result.path, "name": Path(result.path).name,
        "sha256": doc.sha256 if doc else None, "format": doc.format if doc else None,
        "encoding": doc.encoding if doc else None, "line_count": len(doc.lines) if doc else None,
        "entries_count": len(parsed.entries) if parsed else 0,
        "citations_count": len(parsed.citations) if parsed else 0,
        "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
        "error": result.error, "text": "\n".join(doc.lines) if doc else None,
        "repaired_lines": json.dumps(doc.repaired_lines) if doc else None, "manuscript_id": manuscript_id,
    }).last_pk)
    ids.document_ids[result.path] = document_id
    if parsed is None:
        return
    db.table("entries").insert_all(({
        "id": entry_ids[e.index], "document_id": document_id, "line": e.line, "end_line": e.end_line,
        "raw": e.raw, "authors": json.dumps(e.authors, ensure_ascii=False), "author_text": e.author_text,
        "year": e.year, "title": e.title, "container": e.container,
        "urls": json.dumps(e.urls, ensure_ascii=False), "doi": e.doi,
        "accessed": e.accessed.iso() if e.accessed else None, "accessed_text": e.accessed_text,
        "published": e.published.iso() if e.published else None, "kind": e.kind, "number": e.number,
        "section": e.section, "subsection": e.subsection, "cited_count": cited.get(e.index, 0),
        "label": e.label, "refers_to": entry_ids.get(e.refers_to) if e.refers_to is not None else None,
        "source_entry_id": entry_ids.get(e.source) if e.source is not None else None,
        "locator": doc.locator(e.line) if doc else None,
    } for e in parsed.entries), batch_size=500)
    ids.entry_ids.update({(result.path, e.index): entry_ids[e.index] for e in parsed.entries})
    db.table("entry_links").insert_all(({"entry_id": entry_ids[e.index], "url": url}
                                        for e in parsed.entries for url in e.urls), batch_size=500)
    first_citation = _next_id(db, "citations")
    citation_ids = {c.index: first_citation + i for i, c in enumerate(parsed.citations)}
    db.table("citations").insert_all(({
        "id": citation_ids[c.index], "document_id": document_id, "line": c.line, "column": c.column,
        "raw": c.raw, "kind": c.kind, "authors": json.dumps(c.names, ensure_ascii=False), "year": c.year,
        "entry_id": entry_ids.get(c.entry_index) if c.entry_index is not None else None,
        "number": c.number, "status": c.status,
        "candidates": json.dumps([entry_ids[i] for i in c.candidates if i in entry_ids]),
        "suggestion_entry_id": entry_ids.get(c.suggestion_index) if c.suggestion_index is not None else None,
        "marker": c.marker, "locator": doc.locator(c.line) if doc else None,
    } for c in parsed.citations), batch_size=500)
    rows = []
    for f in result.findings:
        rows.append({
            "run_id": ids.run_id, "document_id": document_id, "rule": f.rule, "severity": f.severity.value,
            "line": f.line, "column": f.column, "message": f.message, "suggestion": f.suggestion,
            "entry_id": entry_ids.get(f.entry_index) if f.entry_index is not None else None,
            "citation_id": citation_ids.get(f.citation_index) if f.citation_index is not None else None,
            "fingerprint": fingerprint(f.rule, result.path, f.subject), "subject": f.subject,
            "suppressed": int(f.suppressed), "path": result.path,
            "locator": doc.locator(f.line) if doc else None,
        })
    if rows:
        db.table("findings").insert_all(rows)


def _next_id(db: sqlite_utils.Database, table: str) -> int:
    row = db.execute(f"select coalesce(max(id), 0) + 1 from [{table}]").fetchone()
    return int(row[0])


def latest_run_id(db: sqlite_utils.Database) -> int | None:
    row = next(db.query("select max(id) as id from runs where status = 'complete'"), None)
    return row["id"] if row and row["id"] is not None else None


def previous_run_id(db: sqlite_utils.Database, run_id: int) -> int | None:
    """The most recent earlier run that audited at least one of the same documents."""
    names = {r["name"] for r in db.query("select name from documents where run_id = ?", [run_id])}
    for row in db.query("select id from runs where id < ? and status = 'complete' order by id desc", [run_id]):
        other = {r["name"] for r in db.query("select name from documents where run_id = ?", [row["id"]])}
        if names & other:
            return int(row["id"])
    return None


# --- Read queries used by the outputs, the report and the link checker ---------------------------------

def run_row(db: sqlite_utils.Database, run_id: int) -> dict[str, Any] | None:
    return next(db.query("select * from runs where id = ?", [run_id]), None)


def run_documents(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    return list(db.query("select * from documents where run_id = ? order by id", [run_id]))


def run_manuscripts(db: sqlite_utils.Database, run_id: int) -> dict[int, str]:
    return {r["id"]: r["name"] for r in db.query("select id, name from manuscripts where run_id = ?", [run_id])}


def document_findings(db: sqlite_utils.Database, document_id: int, by_column: bool = True) -> list[dict[str, Any]]:
    """A document's findings in the order they are shown: by line, column (unless not by_column), rule."""
    column = "coalesce(\"column\", 0), " if by_column else ""
    return list(db.query(f"select * from findings where document_id = ? order by coalesce(line, 0), {column}rule",
                         [document_id]))


def document_entries(db: sqlite_utils.Database, document_id: int) -> list[dict[str, Any]]:
    return list(db.query("select * from entries where document_id = ? order by line", [document_id]))


def document_citations(db: sqlite_utils.Database, document_id: int) -> list[dict[str, Any]]:
    return list(db.query("select * from citations where document_id = ? order by line, \"column\"",
                         [document_id]))


def unsuppressed_findings(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """The run's findings that count, with the name of their document (for comparing runs)."""
    return list(db.query("select f.*, d.name as doc_name from findings f join documents d on d.id = f.document_id "
                         "where f.run_id = ? and f.suppressed = 0", [run_id]))


def document_names(db: sqlite_utils.Database, run_id: int) -> set[str]:
    return {r["name"] for r in db.query("select name from documents where run_id = ?", [run_id])}


def link_rows(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """The latest state of every URL ever checked, by URL."""
    return {r["url"]: r for r in db.query("select * from links")}


def link_outcomes(db: sqlite_utils.Database) -> dict[str, str]:
    return {r["url"]: r["outcome"] for r in db.query("select url, outcome from links")}


def outcome_history(db: sqlite_utils.Database) -> list[tuple[str, dict[str, int]]]:
    """Per day of checking, how many URLs had each outcome."""
    days: dict[str, dict[str, int]] = {}
    for r in db.query("select substr(checked_at, 1, 10) as day, outcome, count(*) as n from link_checks "
                      "group by day, outcome order by day"):
        days.setdefault(r["day"], {})[r["outcome"]] = r["n"]
    return sorted(days.items())


def document_urls(db: sqlite_utils.Database, document_id: int) -> list[str]:
    """The URLs the entries of a document cite."""
    return [r["url"] for r in db.query(
        "select l.url from entry_links l join entries e on e.id = l.entry_id where e.document_id = ?",
        [document_id])]


def manuscript_entries(db: sqlite_utils.Database, run_id: int) -> dict[int, int]:
    """For the entries of files audited as one manuscript: entry id → document id."""
    rows = db.query("select e.id, e.document_id from entries e join documents d on d.id = e.document_id "
                    "where d.run_id = ? and d.manuscript_id is not null", [run_id])
    return {r["id"]: r["document_id"] for r in rows}


def cited_urls(db: sqlite_utils.Database) -> list[str]:
    """Every URL any stored entry cites."""
    return [r["url"] for r in db.query("select distinct url from entry_links")]


def run_exists(db: sqlite_utils.Database, run_id: int) -> bool:
    return db.execute("select 1 from runs where id = ?", [run_id]).fetchone() is not None


@dataclass
class ReportData:
    """What the report reads from the database beyond its rows (see read_report_data)."""

    # document id → (rule, severity) → findings not suppressed
    by_document: dict[int, Counter[tuple[str, str]]] = field(default_factory=dict)
    # entry id → the citations that resolve to it: (document id, line, locator), in order
    citing: dict[int, list[tuple[int, int, str | None]]] = field(default_factory=dict)
    # entry id → its document, for the files of a run audited as one manuscript
    manuscript_entries: dict[int, int] = field(default_factory=dict)


def report_data(db: sqlite_utils.Database, run_id: int) -> ReportData:
    """What the HTML report reads of one run beyond its rows: findings per document and rule, the
    citing lines of each entry, the files of manuscripts."""
    data = ReportData()
    for r in db.query("select f.document_id, f.rule, f.severity, count(*) as n from findings f "
                      "where f.run_id = ? and f.suppressed = 0 group by f.document_id, f.rule, f.severity",
                      [run_id]):
        data.by_document.setdefault(r["document_id"], Counter())[(r["rule"], r["severity"])] += r["n"]
    for r in db.query("select c.entry_id, c.document_id, c.line, c.locator from citations c "
                      "join documents d on d.id = c.document_id "
                      "where d.run_id = ? and c.entry_id is not null order by c.document_id, c.line, c.\"column\"",
                      [run_id]):
        data.citing.setdefault(r["entry_id"], []).append((r["document_id"], r["line"], r["locator"]))
    for r in db.query("select e.id, e.document_id from entries e join documents d on d.id = e.document_id "
                      "where d.run_id = ? and d.manuscript_id is not null", [run_id]):
        data.manuscript_entries[r["id"]] = r["document_id"]
    return data


# --- Scholarly source verification: the sources table (see SCHEMA["sources"]).

def save_lookups(db: sqlite_utils.Database, lookups: dict[str, Any]) -> None:
    """Store registry lookups (auditor.sources.Lookup) by key; errors are never stored (they may be transient)."""
    rows = []
    for key, lk in lookups.items():
        if lk.status == "error" or lk.from_cache:
            continue
        w = lk.work
        rows.append({
            "key": key, "doi": (w.doi if w else None) or (lk.query.doi if lk.query else None),
            "registry": w.registry if w else None, "record_url": w.record_url if w else None,
            "title": w.title if w else None, "authors": json.dumps(w.author_names() if w else [], ensure_ascii=False),
            "year": w.year if w else None, "container": w.containers[0] if w and w.containers else None,
            "volume": w.volume if w else None, "issue": w.issue if w else None, "pages": w.pages if w else None,
            "status": lk.status, "verdict": lk.verdict,
            "notices": json.dumps([n.describe() for n in w.notices] if w else [], ensure_ascii=False),
            "via": lk.via, "query": lk.query.to_json() if lk.query else None, "work": w.to_json() if w else None,
            "detail": lk.detail, "checked_at": lk.checked_at, "openalex": lk.openalex,
        })
    if rows:
        db.table("sources").upsert_all(rows, pk="key")


def read_lookups(db: sqlite_utils.Database) -> dict[str, Any]:
    """Every stored lookup by key, as auditor.sources.Lookup values marked as coming from the cache."""
    from auditor.sources import Lookup, Query
    from auditor.sources.registries import Work

    if "sources" not in db.table_names():
        return {}
    out: dict[str, Any] = {}
    for r in db.query("select * from sources"):
        try:
            work = Work.from_json(r["work"]) if r["work"] else None
            query = Query.from_json(r["query"]) if r["query"] else None
        except (ValueError, TypeError, KeyError):
            continue  # a row this version cannot read is looked up again
        out[r["key"]] = Lookup(r["key"], r["status"], work, r["via"] or "doi", query, r["checked_at"] or "",
                               r["detail"] or "", from_cache=True, openalex=r.get("openalex") or "")
    return out


def source_statuses(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """key -> {status, verdict, registry, record_url, notices} for the report."""
    if "sources" not in db.table_names():
        return {}
    return {r["key"]: r for r in db.query(
        "select key, status, verdict, registry, record_url, notices, checked_at from sources")}
