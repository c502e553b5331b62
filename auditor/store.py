"""The audit database (SQLite through sqlite-utils): schema, saving a run, and the queries others need.

The tables and columns named in the README are a public contract: later versions add columns and
tables, never rename or drop these. Each run is written in one transaction, so an interrupted run
leaves the earlier runs intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from auditor.errors import StoreError
from auditor.timestamps import iso, now_iso

if TYPE_CHECKING:
    from auditor.linkcheck.records import LinkRun
    from auditor.rows import UnitRows
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
    then: Callable[[sqlite_utils.Database], None] | None = None  # a step of its own, after the above
    renames: dict[str, str] = field(default_factory=dict)  # a table's new name (its columns go along)


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
    # Another entry a finding involves (a duplicate's twin), and findings the baseline file holds
    # (--baseline: stored and shown, not counted; also marked suppressed so that counts leave them out).
    Migration("0008-related-and-baselined", columns={"findings": {"related_entry_id": int, "baselined": int}}),
    # OpenAlex's is_retracted for a DOI's work found in Crossref or DataCite: retracted, not-retracted,
    # absent, "error: …" (asked again next time) or empty (a row from before: asked again too).
    Migration("0009-sources-openalex", columns={"sources": {"openalex": str}}),
    # Incremental and streamed audits: a document's text is stored once however many runs read it
    # (texts, by the SHA-256 of the text; documents.text stays NULL for new rows), its title is kept for
    # the report's index, and cache_key (content, settings, tool version) lets a later run copy the
    # results of an unchanged document (reused_from: the document row they were copied from).
    Migration("0010-incremental", tables={"texts": {"sha256": str, "text": str}},
              columns={"documents": {"title": str, "text_sha256": str, "cache_key": str, "reused_from": int,
                                     "audited_on": str, "latest_date": str}},
              indexes=(("documents", ("cache_key",)),)),
    # Unchanged documents share their entries and citations instead of copying them: the rows are
    # stored once (entry_rows, citation_rows, by the document row that was audited), and `entries` and
    # `citations` are views with the same columns as before, one row per document row that shows them.
    # A reused document row names the rows it shows (rows_of) and the offsets that give them ids of
    # its own (entry_shift, citation_shift), so ids stay unique across runs as when rows were copied.
    Migration("0011-shared-rows", renames={"entries": "entry_rows", "citations": "citation_rows"},
              columns={"documents": {"rows_of": int, "entry_shift": int, "citation_shift": int},
                       "runs": {"entry_id_end": int, "citation_id_end": int}},
              indexes=(("documents", ("rows_of",)), ("documents", ("reused_from",)),
                       ("documents", ("cache_key", "run_id"))),
              then=lambda db: _shared_rows(db)),
)
MIGRATIONS_TABLE = "schema_migrations"
PRIMARY_KEYS = {"links": "url", "sources": "key", "texts": "sha256", MIGRATIONS_TABLE: "name"}


def _schema() -> dict[str, dict[str, type]]:
    """Every table and column the migrations declare, in order (a renamed table under both names:
    the old name is the view that shows it)."""
    schema: dict[str, dict[str, type]] = {}
    for m in MIGRATIONS:
        for table, columns in m.tables.items():
            schema.setdefault(table, {}).update(columns)
        for old, new in m.renames.items():
            schema[new] = schema[old]
        for table, columns in m.columns.items():
            schema[table].update(columns)
    return schema


SCHEMA = _schema()
# The renamed tables' old names: views with the same columns (see 0011-shared-rows).
VIEWS = {old: new for m in MIGRATIONS for old, new in m.renames.items()}


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
    tables = set(db.table_names())
    for old, new in m.renames.items():
        if old in tables and new not in tables:
            db.execute(f"alter table [{old}] rename to [{new}]")
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
    if m.then is not None:
        m.then(db)


def _shared_rows(db: sqlite_utils.Database) -> None:
    """0011: every existing document row shows its own rows; the views `entries` and `citations`."""
    db.execute("update documents set rows_of = id, entry_shift = 0, citation_shift = 0 where rows_of is null")
    for view in ("entries", "citations"):
        db.execute(f"drop view if exists [{view}]")
    entry = {"id": "e.id + d.entry_shift", "document_id": "d.id", "refers_to": "e.refers_to + d.entry_shift",
             "source_entry_id": "e.source_entry_id + d.entry_shift"}
    db.execute(f"create view entries as select {_view_columns('e', 'entry_rows', entry)} "
               "from documents d join entry_rows e on e.document_id = d.rows_of")
    citation = {"id": "c.id + d.citation_shift", "document_id": "d.id", "entry_id": "c.entry_id + d.entry_shift",
                "suggestion_entry_id": "c.suggestion_entry_id + d.entry_shift",
                "candidates": _shifted_candidates("c", "d.entry_shift")}
    db.execute(f"create view citations as select {_view_columns('c', 'citation_rows', citation)} "
               "from documents d join citation_rows c on c.document_id = d.rows_of")


def _view_columns(alias: str, table: str, computed: dict[str, str]) -> str:
    """The select list of a view over `table`: its columns in order, some computed."""
    return ", ".join(f"{computed[c]} as {_q(c)}" if c in computed else f"{alias}.{_q(c)}" for c in SCHEMA[table])


def _shifted_candidates(alias: str, shift: str) -> str:
    """SQL for a citation's candidates (a JSON list of entry ids) with `shift` added to each id."""
    return (f"case when {shift} = 0 or {alias}.candidates is null or {alias}.candidates = '[]' "
            f"then {alias}.candidates else (select json_group_array(value + {shift}) "
            f"from json_each({alias}.candidates)) end")


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


@dataclass
class Reuse:
    """A unit whose results are copied from an earlier run: the old document rows, in the unit's order."""

    old_documents: list[int]
    manuscript: str | None = None


class RunWriter:
    """The one writer of a run. It holds the write lock from `__enter__` to `finish` (one transaction, so
    an interrupted run leaves the earlier runs intact), takes each unit's rows as they come (`write`)
    and copies unchanged units' rows from an earlier run (`reuse`), assigning ids as it goes: rows
    arrive with ordinals (see `auditor.rows`) and go in with `executemany`, not row by row.

    Document ids can be reserved up front (`reserve`), so a run's documents keep the order they were
    given whichever worker finished first."""

    def __init__(self, db: sqlite_utils.Database, started_at: str, version: str, command: str,
                 settings: dict[str, Any], paths: list[str] | None = None) -> None:
        self.db = db
        self.started_at, self.version, self.command = started_at, version, command
        self.settings = settings
        self.paths = paths
        self.run_id = 0
        self.ids = SavedIds(0)
        self.documents = 0
        self.findings = 0
        self._manuscripts: dict[str, int] = {}
        self._cm: Any = None

    def __enter__(self) -> RunWriter:
        self._cm = immediate(self.db)
        try:
            self._cm.__enter__()
            conn = self.db.conn
            self.run_id = _pk(self.db.table("runs").insert({
                "started_at": self.started_at, "finished_at": None, "tool_version": self.version,
                "command": self.command, "paths": "[]", "status": "complete", "documents_count": 0,
                "findings_count": 0, "settings": json.dumps(self.settings, ensure_ascii=False, default=str),
            }).last_pk)
            self.ids.run_id = self.run_id
            self.next_document = _next_id(self.db, "documents")
            # Ids shown by the views: past the stored rows' and past every range a reused document took.
            ends = self.db.execute("select coalesce(max(entry_id_end), 0), coalesce(max(citation_id_end), 0) "
                                   "from runs").fetchone()
            self.next_entry = max(_next_id(self.db, "entry_rows"), int(ends[0]))
            self.next_citation = max(_next_id(self.db, "citation_rows"), int(ends[1]))
            self.conn = conn
        except sqlite3.OperationalError as exc:
            self._cm.__exit__(type(exc), exc, exc.__traceback__)
            raise _store_error("the audit database", exc) from None
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._cm is None:
            return
        cm, self._cm = self._cm, None
        try:
            cm.__exit__(kind, exc, tb)
        except sqlite3.OperationalError as e:
            raise _store_error("the audit database", e) from None
        except sqlite3.Error as e:
            raise StoreError(f"cannot write the audit database: {e}") from None

    def reserve(self, count: int) -> list[int]:
        """Ids for the next `count` documents, in order."""
        first = self.next_document
        self.next_document += count
        return list(range(first, first + count))

    def _manuscript_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        if name not in self._manuscripts:
            pk = self.db.table("manuscripts").insert({"run_id": self.run_id, "name": name}).last_pk
            self._manuscripts[name] = _pk(pk)
        return self._manuscripts[name]

    def write(self, unit: UnitRows, document_ids: list[int] | None = None, cache_key: str | None = None,
              audited_on: str | None = None) -> list[int]:
        """Insert a unit's rows; return its documents' ids."""
        insert_entry, insert_citation, insert_finding = _row_inserts()
        conn = self.conn
        ids = document_ids or self.reserve(len(unit.documents))
        manuscript_id = self._manuscript_id(unit.manuscript)
        be = self.next_entry
        bc = self.next_citation
        self.next_entry += unit.entry_count
        self.next_citation += unit.citation_count
        run = self.run_id
        errors = any(d.document["error"] for d in unit.documents)
        for doc_id, d in zip(ids, unit.documents, strict=True):
            row = dict(d.document, id=doc_id, run_id=run, manuscript_id=manuscript_id,
                       cache_key=None if errors else cache_key, audited_on=audited_on,
                       latest_date=unit.latest_date, rows_of=doc_id, entry_shift=0, citation_shift=0)
            conn.execute(f"insert into documents ({', '.join(map(_q, row))}) values ({', '.join('?' * len(row))})",
                         list(row.values()))
            if d.text is not None:
                conn.execute("insert or ignore into texts (sha256, text) values (?, ?)",
                             [d.document["text_sha256"], d.text])
            self.ids.document_ids[d.path] = doc_id
            self.documents += 1
            if d.entries:
                conn.executemany(insert_entry, [
                    (r[0] + be, doc_id, None if r[1] is None else r[1] + be,  # type: ignore[operator]
                     None if r[2] is None else r[2] + be, *r[3:]) for r in d.entries])  # type: ignore[operator]
                conn.executemany("insert into entry_links (entry_id, url) values (?, ?)",
                                 [(o + be, url) for o, url in d.links])
            if d.citations:
                conn.executemany(insert_citation, [
                    (r[0] + bc, doc_id, None if r[1] is None else r[1] + be,  # type: ignore[operator]
                     None if r[2] is None else r[2] + be,  # type: ignore[operator]
                     _id_list(r[3], be),  # type: ignore[arg-type]
                     *r[4:]) for r in d.citations])
            if d.findings:
                conn.executemany(insert_finding, [
                    (run, doc_id, None if r[0] is None else r[0] + be,  # type: ignore[operator]
                     None if r[1] is None else r[1] + bc,  # type: ignore[operator]
                     None if r[2] is None else r[2] + be, *r[3:]) for r in d.findings])  # type: ignore[operator]
                self.findings += len(d.findings)
        return ids

    def reuse(self, plans: list[tuple[Reuse, list[int]]]) -> None:
        """Add unchanged units from the earlier runs that audited them: new document rows that show the
        same stored entries and citations (no copy) under ids of their own, each unit's shifted into a
        range reserved for it, and copies of their findings; all units in a few statements."""
        if not plans:
            return
        conn = self.conn
        conn.execute("create temp table if not exists _reuse (unit integer, old_doc integer, new_doc integer, "
                     "manuscript_id integer, de integer, dc integer)")
        conn.execute("delete from temp._reuse")
        conn.execute("create index if not exists temp._reuse_unit on _reuse (unit)")
        conn.executemany("insert into temp._reuse (unit, old_doc, new_doc, manuscript_id) values (?, ?, ?, ?)",
                         [(u, old, new, self._manuscript_id(plan.manuscript))
                          for u, (plan, ids) in enumerate(plans)
                          for old, new in zip(plan.old_documents, ids, strict=True)])
        spans: dict[str, dict[int, tuple[int, int]]] = {}
        for table, shift in (("entry_rows", "entry_shift"), ("citation_rows", "citation_shift")):
            spans[table] = {u: (low, high) for u, low, high in conn.execute(
                f"select unit, min(lo + s), max(hi + s) from (select r.unit as unit, d.{shift} as s, "
                f"(select min(x.id) from {table} x where x.document_id = d.rows_of) as lo, "
                f"(select max(x.id) from {table} x where x.document_id = d.rows_of) as hi "
                f"from temp._reuse r cross join documents d on d.id = r.old_doc) where lo is not null group by unit")}
        shifts = []
        for u in range(len(plans)):
            de = dc = 0
            if u in spans["entry_rows"]:
                low, high = spans["entry_rows"][u]
                de, self.next_entry = self.next_entry - low, self.next_entry + high - low + 1
            if u in spans["citation_rows"]:
                low, high = spans["citation_rows"][u]
                dc, self.next_citation = self.next_citation - low, self.next_citation + high - low + 1
            shifts.append((de, dc, u))
        conn.executemany("update temp._reuse set de = ?, dc = ? where unit = ?", shifts)
        conn.execute(f"insert into documents (id, run_id, manuscript_id, reused_from, rows_of, entry_shift, "
                     f"citation_shift, {_DOC_COPY}) select r.new_doc, ?, r.manuscript_id, d.id, d.rows_of, "
                     f"d.entry_shift + r.de, d.citation_shift + r.dc, {_prefixed('d', _DOC_COPY)} "
                     f"from temp._reuse r cross join documents d on d.id = r.old_doc", [self.run_id])
        cur = conn.execute(f"insert into findings (run_id, document_id, entry_id, citation_id, related_entry_id, "
                           f"{_FINDING_COPY}) select ?, r.new_doc, f.entry_id + r.de, f.citation_id + r.dc, "
                           f"f.related_entry_id + r.de, {_prefixed('f', _FINDING_COPY)} from temp._reuse r "
                           f"cross join findings f on f.document_id = r.old_doc", [self.run_id])
        self.findings += max(cur.rowcount, 0)
        for path, doc_id in conn.execute("select d.path, d.id from temp._reuse r cross join documents d on d.id = r.new_doc"):
            self.ids.document_ids[path] = doc_id
            self.documents += 1
        conn.execute("delete from temp._reuse")

    def finish(self, finished_at: str) -> SavedIds:
        """Complete the run's row and commit."""
        paths = self.paths if self.paths is not None else list(self.ids.document_ids)
        self.conn.execute("update runs set finished_at = ?, paths = ?, documents_count = ?, findings_count = ?, "
                          "entry_id_end = ?, citation_id_end = ? where id = ?",
                          [finished_at, json.dumps(paths, ensure_ascii=False), self.documents, self.findings,
                           self.next_entry, self.next_citation, self.run_id])
        self.__exit__(None, None, None)
        return self.ids


def _id_list(ordinals: tuple[int, ...], base: int) -> str:
    """The ids of ordinals as the JSON list `json.dumps` writes ("[12, 15]"), without building it."""
    return "[" + ", ".join([str(o + base) for o in ordinals]) + "]" if ordinals else "[]"


def _q(column: str) -> str:
    return f'"{column}"'


def _prefixed(alias: str, columns: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def _columns(table: str, leave_out: tuple[str, ...]) -> str:
    return ", ".join(_q(c) for c in SCHEMA[table] if c not in leave_out)


_DOCUMENT_FIELDS = _columns("documents", ("text",))
_DOC_COPY = _columns("documents", ("id", "run_id", "manuscript_id", "reused_from", "rows_of", "entry_shift",
                                   "citation_shift"))
_FINDING_COPY = _columns("findings", ("id", "run_id", "document_id", "entry_id", "citation_id", "related_entry_id"))


def _insert(table: str, leading: tuple[str, ...], columns: tuple[str, ...]) -> str:
    names = leading + columns
    return f"insert into {table} ({', '.join(map(_q, names))}) values ({', '.join('?' * len(names))})"


@functools.cache
def _row_inserts() -> tuple[str, str, str]:
    from auditor.rows import CITATION_COLUMNS, ENTRY_COLUMNS, FINDING_COLUMNS

    return (_insert("entry_rows", ("id", "document_id", "refers_to", "source_entry_id"), ENTRY_COLUMNS),
            _insert("citation_rows", ("id", "document_id", "entry_id", "suggestion_entry_id", "candidates"),
                    CITATION_COLUMNS),
            _insert("findings", ("run_id", "document_id", "entry_id", "citation_id", "related_entry_id"),
                    FINDING_COLUMNS))


def save_run(db: sqlite_utils.Database, started_at: str, finished_at: str, version: str, command: str,
             results: list[DocumentResult], settings: dict[str, Any] | None = None,
             links: LinkRun | None = None, checked_at: dt.datetime | None = None,
             baseline: Counter[str] | None = None) -> SavedIds:
    """Write a whole run in one transaction, with the link records of its `--check-links` (checked at
    `checked_at`), and return the ids given to what was stored; findings a baseline (fingerprint counts,
    spent as they are marked) covers are marked baselined."""
    from auditor.baseline import mark_baselined
    from auditor.rows import unit_rows

    units: list[tuple[str | None, list[DocumentResult]]] = []
    for r in results:  # a manuscript's files are consecutive and share entry indexes
        if r.manuscript is not None and units and units[-1][0] == r.manuscript:
            units[-1][1].append(r)
        else:
            units.append((r.manuscript, [r]))
    try:
        with RunWriter(db, started_at, version, command, settings or {}) as writer:
            for manuscript, members in units:
                rows = unit_rows(members, manuscript)
                if baseline is not None:
                    mark_baselined(rows, baseline)
                writer.write(rows)
            if links is not None:
                save_links(db, links, writer.run_id, checked_at or dt.datetime.now(dt.UTC))
            return writer.finish(finished_at)
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
    """A run's document rows in order, without their text (`document_text` reads one)."""
    return list(db.query(f"select {_DOCUMENT_FIELDS} from documents where run_id = ? order by id", [run_id]))


def document_row(db: sqlite_utils.Database, document_id: int) -> dict[str, Any]:
    """One document row, without its text."""
    return dict(next(db.query(f"select {_DOCUMENT_FIELDS} from documents where id = ?", [document_id])))


def document_text(db: sqlite_utils.Database, document: dict[str, Any]) -> str | None:
    """A document's text: stored once in texts (since 0008-incremental), or in its row (earlier runs)."""
    row = db.execute("select coalesce(d.text, t.text) from documents d left join texts t on t.sha256 = d.text_sha256 "
                     "where d.id = ?", [document["id"]]).fetchone()
    return row[0] if row else None


def run_totals(db: sqlite_utils.Database, run_id: int) -> dict[str, int]:
    """A run's readable and reused documents and its findings (not suppressed) by severity."""
    row = db.execute("select count(*), count(reused_from) from documents where run_id = ? and error is null",
                     [run_id]).fetchone()
    totals = {"readable": row[0], "reused": row[1], "error": 0, "warning": 0, "info": 0,
              "baselined": db.execute("select count(*) from findings where run_id = ? and baselined = 1",
                                      [run_id]).fetchone()[0]}
    for severity, n in db.execute("select severity, count(*) from findings where run_id = ? and suppressed = 0 "
                                  "group by severity", [run_id]):
        totals[severity] = n
    return totals


def reusable(db: sqlite_utils.Database, wanted: dict[str, int], today: dt.date) -> dict[str, list[int]]:
    """For each key (a unit's, with its number of files), the document rows (in order) of the latest run
    that audited a unit under that key, when its results still hold today: an access date on or after
    the day they were made, or today, could change them. One query for all the keys."""
    conn = db.conn
    outside = not conn.in_transaction
    conn.execute("create temp table if not exists _keys (key text primary key)")
    conn.execute("delete from temp._keys")
    conn.executemany("insert or ignore into temp._keys (key) values (?)", [(k,) for k in wanted])
    found: dict[str, list[tuple[int, int, str | None, str | None]]] = {}
    for key, *row in conn.execute("select d.cache_key, d.id, d.run_id, d.audited_on, d.latest_date "
                                  "from temp._keys k cross join documents d on d.cache_key = k.key and d.run_id = "
                                  "(select max(l.run_id) from documents l where l.cache_key = k.key)"):
        found.setdefault(key, []).append(tuple(row))
    conn.execute("delete from temp._keys")
    if outside and conn.in_transaction:
        conn.commit()  # (the temporary table's inserts began one: the run's own must start afresh)
    day = today.isoformat()
    out: dict[str, list[int]] = {}
    for key, rows in found.items():
        latest_run = max(r[1] for r in rows)
        chosen = sorted(r for r in rows if r[1] == latest_run)
        if len(chosen) != wanted[key]:
            continue
        if any(not audited_on or (latest_date and (latest_date >= audited_on or latest_date >= day))
               for _id, _run, audited_on, latest_date in chosen):
            continue
        out[key] = [r[0] for r in chosen]
    return out


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


def unsuppressed_findings(db: sqlite_utils.Database, run_id: int, other: int | None = None) -> list[dict[str, Any]]:
    """The run's findings that count, or would but for the baseline, with the name of their document (for
    comparing runs: a finding baselined since is not fixed). With `other` (a run compared with this one),
    leave out the documents one of the two runs reused from the other: their findings are the same."""
    query = ("select f.*, d.name as doc_name from findings f join documents d on d.id = f.document_id "
             "where f.run_id = ? and (f.suppressed = 0 or f.baselined = 1)")
    if other is None:
        return list(db.query(query, [run_id]))
    return list(db.query(query + " and not exists (select 1 from documents o where o.id = d.reused_from and "
                         "o.run_id = ?) and not exists (select 1 from documents o where o.reused_from = d.id and "
                         "o.run_id = ?)", [run_id, other, other]))


def rule_counts(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """The run's findings that count, per rule and severity."""
    return list(db.query("select rule, severity, count(*) as n from findings where run_id = ? and suppressed = 0 "
                         "group by rule, severity", [run_id]))


@dataclass
class RunPlaces:
    """Where a run's entries are, and what its citations point at (for related locations)."""

    entries: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → path, line, source_entry_id
    citations: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → entry_id, suggestion, candidates


def run_places(db: sqlite_utils.Database, run_id: int) -> RunPlaces:
    places = RunPlaces()
    for r in db.query("select e.id, e.line, e.source_entry_id, d.path from entries e "
                      "join documents d on d.id = e.document_id where d.run_id = ?", [run_id]):
        places.entries[r["id"]] = r
    for r in db.query("select c.id, c.entry_id, c.suggestion_entry_id, c.candidates from citations c "
                      "join documents d on d.id = c.document_id where d.run_id = ?", [run_id]):
        try:
            candidates = [int(i) for i in json.loads(r["candidates"] or "[]")]
        except (ValueError, TypeError):
            candidates = []
        places.citations[r["id"]] = {**r, "candidates": candidates}
    return places


def document_names(db: sqlite_utils.Database, run_id: int) -> set[str]:
    return {r["name"] for r in db.query("select name from documents where run_id = ?", [run_id])}


def link_rows(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """The latest state of every URL ever checked, by URL."""
    return {r["url"]: r for r in db.query("select * from links")}


def link_outcomes(db: sqlite_utils.Database) -> dict[str, str]:
    return {r["url"]: r["outcome"] for r in db.query("select url, outcome from links")}


def outcome_history(db: sqlite_utils.Database) -> list[tuple[str, dict[str, int]]]:
    """Per day of checking, how many URLs had each outcome: a URL checked twice that day (by an audit and
    by `auditor links`) counts once, with its last outcome of the day."""
    days: dict[str, dict[str, int]] = {}
    for r in db.query("select day, outcome, count(*) as n from ("
                      "  select substr(checked_at, 1, 10) as day, outcome, row_number() over ("
                      "    partition by url, substr(checked_at, 1, 10) order by checked_at desc, id desc) as nth"
                      "  from link_checks) where nth = 1 group by day, outcome order by day"):
        days.setdefault(r["day"], {})[r["outcome"]] = r["n"]
    return sorted(days.items())


def citing_places(db: sqlite_utils.Database, urls: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """For each URL, where it is cited now: the entries that hold it in the latest run of each document
    (path, entry line, locator) and the lines of the citations of those entries (at most 20)."""
    latest = ("select path, max(run_id) as run_id from documents "
              "where run_id in (select id from runs where status = 'complete') group by path")
    out: dict[str, list[dict[str, Any]]] = {}
    for r in db.query("select l.url, d.path, e.id as base_id, e.line, e.locator from entry_links l "
                      "join entry_rows e on e.id = l.entry_id join documents d on d.rows_of = e.document_id "
                      f"join ({latest}) latest on latest.path = d.path and latest.run_id = d.run_id "
                      "order by d.path, e.line"):
        if urls is not None and r["url"] not in urls:
            continue
        lines = [c[0] for c in db.execute("select distinct line from citation_rows where entry_id = ? "
                                          "order by line limit 20", [r["base_id"]])]
        out.setdefault(r["url"], []).append({"path": r["path"], "line": r["line"], "locator": r["locator"],
                                             "cited_lines": lines})
    return out


def document_urls(db: sqlite_utils.Database, document_id: int) -> list[str]:
    """The URLs the entries of a document cite."""
    return [r["url"] for r in db.query(
        "select l.url from documents d join entry_rows e on e.document_id = d.rows_of "
        "join entry_links l on l.entry_id = e.id where d.id = ?",
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
