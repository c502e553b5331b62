"""Source verification in an audit (`--check-sources`) and on its own (`auditor sources`): the glue
between the engine, the cache in the database, the rules and the terminal."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

import click
import sqlite_utils

from auditor.config import Settings, parse_duration
from auditor.sources import SourcePolicy, SourceRecord, iso, lookup_all, verify_entries
from auditor.sources.http import get_json
from auditor.sources.registries import GetJson
from auditor.terminal import clean_line


def policy_of(settings: Settings) -> SourcePolicy:
    s = settings.sources
    return SourcePolicy(crossref_url=s.crossref_url, openalex_url=s.openalex_url, datacite_url=s.datacite_url,
                        doi_url=s.doi_url, mailto=s.mailto, rate=float(s.rate), timeout=float(s.timeout),
                        retries=int(s.retries), concurrency=int(s.concurrency),
                        cache_age=parse_duration(s.cache_age, "sources.cache-age"))


def _bar(label: str, show: bool) -> tuple[Callable[[int, int], None] | None, Callable[[], None]]:
    """A progress bar on stderr (a terminal only): (update, close)."""
    if not show or not sys.stderr.isatty():
        return None, lambda: None
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(1)

    def close() -> None:
        if "bar" in state:
            state["bar"].__exit__(None, None, None)

    return update, close


def check_run_sources(result, settings: Settings, db: sqlite_utils.Database, *, offline: bool = False,
                      today: dt.date | None = None, get: GetJson = get_json, show_progress: bool = True) -> str:
    """Verify the scholarly entries of an audit, store the lookups, add the source findings to its documents."""
    from auditor.audit import apply_suppressions
    from auditor.checks import RULES, AuditContext, run_checks
    from auditor.store import immediate, read_lookups, save_lookups

    now = dt.datetime.now(dt.UTC)
    owners: list[tuple[Any, int]] = []
    entries = []
    for d in result.readable:
        for e in d.parsed.entries:
            owners.append((d, e.index))
            entries.append(e)
    update, close = _bar("Checking sources", show_progress)
    try:
        run = verify_entries(entries, policy_of(settings), get, cached=read_lookups(db), offline=offline, now=now,
                             progress=update)
    finally:
        close()
    with immediate(db):
        save_lookups(db, run.lookups)
    per_doc: dict[int, dict[int, SourceRecord]] = {}
    for pos, rec in run.records.items():
        d, index = owners[pos]
        per_doc.setdefault(id(d), {})[index] = rec
    names = {n for n, r in RULES.items() if r.family == "sources"}
    for d in result.readable:
        records = per_doc.get(id(d))
        if not records:
            continue
        ctx = AuditContext(d.parsed, today or dt.date.today(), settings.for_path(d.path), sources=records)
        added = run_checks(ctx, settings.enabled_rules(d.path) & names, settings.severities)
        apply_suppressions(d.parsed.document.ignore_directives, added)
        d.findings.extend(added)
        d.findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return run.summary() + ("; offline: cached results only" if offline else "")


ALARMING = ("retracted", "doi-not-found", "not-found")


def recheck_sources(db: sqlite_utils.Database, settings: Settings, *, older_than: str | None, fmt: str,
                    now: dt.datetime | None = None, get: GetJson = get_json) -> int:
    """Look up again the stored sources checked longer ago than `older_than` (default cache-age); exit 1
    when a work became retracted or could no longer be found."""
    from auditor.store import immediate, read_lookups, save_lookups

    now = now or dt.datetime.now(dt.UTC)
    age = parse_duration(older_than or settings.sources.cache_age,
                         "--older-than" if older_than else "sources.cache-age")
    stored = read_lookups(db)
    due = {k: lk for k, lk in stored.items() if lk.query is not None and _stale(lk.checked_at, now, age)}
    update, close = _bar("Re-checking sources", fmt == "text")
    try:
        fresh, requests = lookup_all([lk.query for lk in due.values()], policy_of(settings), get, now=now,
                                     progress=update)
    finally:
        close()
    changes = []
    for key, new in fresh.items():
        old = due[key]
        before, after = old.verdict, new.verdict
        if new.status == "error" or not new.complete:
            continue  # not every registry answered: no change is reported, nothing is stored
        if before != after:
            changes.append((key, before, after, new))
    with immediate(db):
        save_lookups(db, {k: v for k, v in fresh.items() if v.status != "error" and v.complete})
    errors = sum(1 for v in fresh.values() if v.status == "error" or not v.complete)
    alarming = [c for c in changes if c[2] in ALARMING]
    if fmt == "json":
        click.echo(json.dumps({"checked": len(due), "errors": errors, "requests": requests,
                               "changes": [{"key": k, "from": b, "to": a} for k, b, a, _ in changes]}, indent=2))
    else:
        click.echo(f"{len(due)} source(s) due for a check (older than {older_than or settings.sources.cache_age}); "
                   f"{len(stored) - len(due)} still fresh; {errors} could not be checked.")
        for key, before, after, new in changes:
            what = new.work.title if new.work else (new.query.title if new.query else key)
            click.echo(f"  {before} → {after}: {clean_line(what or key)[:100]}")
    return 1 if alarming else 0


def _stale(checked_at: str, now: dt.datetime, age: dt.timedelta) -> bool:
    try:
        when = dt.datetime.fromisoformat(checked_at.replace("Z", "+00:00"))
    except ValueError:
        return True
    return when > now or now - when >= age


__all__ = ["check_run_sources", "iso", "policy_of", "recheck_sources"]
