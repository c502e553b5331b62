"""Source verification: check every cited URL, classify it, compare the page with the citation, keep history.

Cache policy (each rule with its reason):
- a successful result (ok, redirected) younger than `cache-age` is reused: the page rarely changes
  within a day and re-fetching it is impolite;
- a failure is never served from the cache: it may have been transient;
- the cache key includes the URL actually fetched (after --remap): a new mapping means a new check.

History policy for scheduled checks (`auditor links`): a transient failure (timeout, 5xx, no such
host, refused connection) becomes `dead` only after three consecutive failures at least a day apart;
404 and 410 are dead at once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import click
import sqlite_utils
from rapidfuzz import fuzz

from auditor import userregex
from auditor.config import Settings, parse_duration
from auditor.linkcheck.classify import PageInfo, Verdict, classify, page_info
from auditor.linkcheck.client import Fetch, Policy, fetch
from auditor.linkcheck.scheduler import Task, check_all, check_all_processes
from auditor.model import Entry, Finding, PartialDate
from auditor.parsing.text import name_key
from auditor.parsing.urls import url_problem
from auditor.terminal import clean_line

OUTCOMES = ("ok", "redirected", "dead", "soft-404", "blocked", "timeout", "error", "skipped")
FAILURES = {"dead", "soft-404", "timeout", "error"}
TRANSIENT_KINDS = {"timeout", "dns", "refused", "connection", "tls", "invalid"}
RULE_OF = {"dead": "dead-link", "soft-404": "soft-404", "error": "link-error", "timeout": "link-timeout",
           "blocked": "link-blocked", "redirected": "redirected-link"}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_stale(checked_at: dt.datetime, now: dt.datetime, age: dt.timedelta) -> bool:
    """Whether a result checked at `checked_at` is too old to trust; one dated in the future (a wrong
    clock, an edited database) is never trusted."""
    return checked_at > now or now - checked_at >= age


# When every URL fetched, on at least two hosts, failed to resolve or to connect, the machine is offline:
# nothing is recorded and nothing is marked dead.
OFFLINE_KINDS = {"dns", "connection"}
OFFLINE_MESSAGE = ("the network seems to be down (no host could be resolved or reached); "
                   "no link was recorded or marked dead")


def network_down(run: LinkRun) -> bool:
    """Whether the run's failures say more about this machine's network than about the links."""
    from auditor.linkcheck.scheduler import host_of

    fetched = [r for r in run.records.values() if not r.from_cache and r.outcome != "skipped"]
    hosts = {host_of(r.fetched_url or r.url) for r in fetched}
    return len(hosts) >= 2 and all(r.error_kind in OFFLINE_KINDS for r in fetched)


def remapped(url: str, remap: list[tuple[str, str]]) -> str:
    for pattern, replacement in remap:
        url = userregex.substitute(pattern, replacement, url)
    return url


@dataclass
class LinkRecord:
    """The latest state of one cited URL after this check."""

    url: str
    outcome: str
    detail: str
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    titles: tuple[str, ...] = ()
    published: PartialDate | None = None
    error: str | None = None
    elapsed_ms: int = 0
    fetched_url: str | None = None
    from_cache: bool = False
    archive_url: str | None = None
    raw_outcome: str | None = None
    error_kind: str | None = None
    content_type: str | None = None


@dataclass
class LinkRun:
    records: dict[str, LinkRecord] = field(default_factory=dict)
    checked: int = 0
    cached: int = 0

    def summary(self) -> str:
        counts = {o: 0 for o in OUTCOMES}
        for r in self.records.values():
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        parts = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        return f"Links: {parts or 'none'} ({self.checked} checked, {self.cached} from cache)"


def _policy(settings: Settings, allow_private: bool) -> Policy:
    s = settings.links
    policy = Policy(timeout=float(s.timeout), deadline=float(s.deadline), max_bytes=int(s.max_bytes),
                    max_redirects=int(s.max_redirects), allow_private=allow_private or s.allow_private,
                    head=bool(s.head))
    if s.user_agent:
        policy.user_agent = s.user_agent
    return policy


def _excluded(url: str, settings: Settings) -> str | None:
    for pattern in settings.links.exclude:
        if userregex.search(pattern, url):  # validated when loaded; RE2 runs in linear time
            return f"excluded by the pattern {pattern}"
    return None


def _skip_reason(cited: str, target: str, settings: Settings) -> str | None:
    """Why a URL is not fetched: the fetched (remapped) form must be valid; exclusions may name either."""
    if not re.match(r"^https?://", target, re.I):
        return "not an http(s) address"
    why = url_problem(target)
    if why:
        return f"malformed: {why}"
    return _excluded(target, settings) or _excluded(cited, settings)


def verify_urls(urls: list[str], settings: Settings, db: sqlite_utils.Database | None, *,
                allow_private: bool = False, remap: list[tuple[str, str]] | None = None,
                use_cache: bool = True, now: dt.datetime | None = None, show_progress: bool = True) -> LinkRun:
    """Check each URL (or reuse a fresh cached success) and classify it."""
    now = now or dt.datetime.now(dt.UTC)
    remap = list(settings.links.remap) + list(remap or [])
    run = LinkRun()
    cache_age = parse_duration(settings.links.cache_age, "links.cache-age")
    cached_rows = {}
    if db is not None and use_cache and "links" in db.table_names():
        cached_rows = {r["url"]: r for r in db.query("select * from links")}
    tasks: list[Task] = []
    for url in dict.fromkeys(urls):
        target = remapped(url, remap)
        why = _skip_reason(url, target, settings)
        if why:
            run.records[url] = LinkRecord(url, "skipped", why, error=why, raw_outcome="skipped")
            continue
        row = cached_rows.get(url)
        checked_at = parse_iso(row["checked_at"]) if row else None
        if (row and row["outcome"] in ("ok", "redirected") and checked_at and not is_stale(checked_at, now, cache_age)
                and (row.get("fetched_url") or url) == target):
            run.records[url] = LinkRecord(url, row["outcome"], "cached", row["http_status"], row["final_url"],
                                          row["title"], tuple(json.loads(row.get("titles") or "[]")),
                                          _partial(row["published"]), from_cache=True, fetched_url=target,
                                          raw_outcome=row["outcome"])
            run.cached += 1
            continue
        tasks.append(Task(target, url))
    if tasks:
        policy = _policy(settings, allow_private)
        bar = None
        if show_progress and sys.stderr.isatty() and len(tasks) > 5:
            bar = click.progressbar(length=len(tasks), label="Checking links", file=sys.stderr)
            bar.__enter__()
        processes = worker_processes(len(tasks))
        progress = (lambda key, f: bar.update(1)) if bar else None
        try:
            if processes > 1:
                results = check_all_processes(tasks, policy, processes=processes, per_host=settings.links.per_host,
                                              concurrency=settings.links.concurrency, retries=settings.links.retries,
                                              progress=progress, fetcher=_fetch_and_read)
            else:
                results = check_all(tasks, policy, per_host=settings.links.per_host,
                                    concurrency=settings.links.concurrency, retries=settings.links.retries,
                                    progress=progress, fetcher=_fetch_and_read)
        finally:
            if bar:
                bar.__exit__(None, None, None)
        for task in tasks:
            f = results[task.key]
            run.records[task.key] = _record(task.key, task.url, f)
            run.checked += 1
    return run


def worker_processes(count: int) -> int:
    """Worker processes for a batch of checks: one per core for large batches, none for small ones.

    Starting a process costs about a third of a second, worth it only when there is much to parse.
    """
    if count < PROCESS_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


PROCESS_THRESHOLD = 300


def _partial(text: str | None) -> PartialDate | None:
    if not text:
        return None
    parts = [int(p) for p in text.split("-") if p.isdigit()]
    return PartialDate(*parts[:3]) if parts else None


def _fetch_and_read(url: str, policy: Policy) -> Fetch:
    """Fetch and read the page in the worker thread, so parsing overlaps other checks' waiting."""
    f = fetch(url, policy)
    ok = f.error_kind is None and f.status is not None and 200 <= f.status < 300
    f.info = page_info(f.body, f.headers.get("content-type")) if ok and f.body else PageInfo()  # type: ignore[attr-defined]
    f.body = f.body[:8000] if f.body else f.body  # keep little in memory: classification needs only the start
    return f


def _record(url: str, fetched: str, f: Fetch) -> LinkRecord:
    info = getattr(f, "info", None)
    if info is None:
        info = page_info(f.body, f.headers.get("content-type")) if f.body else PageInfo()
    verdict: Verdict = classify(f, info)
    return LinkRecord(url, verdict.outcome, verdict.detail, f.status, verdict.final_url or f.final_url,
                      info.title, info.titles, info.published, f.error, f.elapsed_ms, fetched,
                      raw_outcome=verdict.outcome, error_kind=f.error_kind,
                      content_type=f.headers.get("content-type"))


def lookup_archive(url: str, accessed: PartialDate | None, settings: Settings, allow_private: bool) -> str | None:
    """The closest archived snapshot before the access date, from a Wayback-style availability endpoint."""
    stamp = ""
    if accessed:
        stamp = f"{accessed.year:04d}{accessed.month or 12:02d}{accessed.day or 28:02d}"
    query = f"{settings.links.archive_url}?url={quote(url, safe='')}" + (f"&timestamp={stamp}" if stamp else "")
    f = fetch(query, _policy(settings, allow_private))
    if f.error_kind or f.status != 200 or not f.body:
        return None
    try:
        data = json.loads(f.body.decode("utf-8", "replace"))
        closest = data["archived_snapshots"]["closest"]
    except (ValueError, KeyError, TypeError):
        return None
    if not closest or not closest.get("available", True) or not closest.get("url"):
        return None
    when = str(closest.get("timestamp") or "")
    if stamp and when and when[:8] > stamp:
        return None  # only a snapshot from before the source was consulted shows what was cited
    snapshot = str(closest["url"])
    return snapshot if re.match(r"^https?://", snapshot) else None


def store_records(db: sqlite_utils.Database, run: LinkRun, run_id: int | None, now: dt.datetime,
                  scheduled: bool = False) -> list[tuple[str, str | None, str]]:
    """Update links (latest state) and link_checks (history); return (url, old outcome, new outcome)."""
    changes = []
    links = db.table("links")
    have = {c.name for c in links.columns}
    for column, kind in (("fetched_url", str), ("titles", str), ("last_failure_at", str), ("detail", str)):
        if column not in have:
            links.add_column(column, kind)
    for url, rec in run.records.items():
        old = next(db.query("select * from links where url = ?", [url]), None)
        if rec.from_cache:
            continue
        outcome = rec.outcome
        failures = old["consecutive_failures"] if old and old["consecutive_failures"] else 0
        first_failed = old["first_failed_at"] if old else None
        last_failure = parse_iso(old["last_failure_at"]) if old and old.get("last_failure_at") else None
        if rec.outcome in FAILURES:
            permanent = rec.outcome == "dead" and rec.http_status in (404, 410)
            if last_failure is None or now - last_failure >= dt.timedelta(days=1) or failures == 0:
                failures += 1
                last_failure = now
            first_failed = first_failed or iso(now)
            if scheduled and not permanent and rec.outcome in ("dead", "timeout", "error") and (
                    rec.outcome != "dead" or rec.error_kind in TRANSIENT_KINDS):
                if failures >= 3:
                    outcome = "dead"
                    rec.detail = f"{rec.detail}; failing for {failures} checks since {first_failed[:10]}"
                else:
                    outcome = "error" if rec.outcome == "dead" else rec.outcome
                    rec.detail = f"{rec.detail} (failure {failures} of 3 before it counts as dead)"
        else:
            failures, first_failed, last_failure = 0, None, None
        rec.outcome = outcome
        row: dict[str, Any] = {
            "url": url, "outcome": outcome, "http_status": rec.http_status, "final_url": rec.final_url,
            "title": rec.title, "published": rec.published.iso() if rec.published else None,
            "checked_at": iso(now), "error": rec.error, "consecutive_failures": failures,
            "first_failed_at": first_failed, "archive_url": rec.archive_url or (old["archive_url"] if old else None),
            "content_type": rec.content_type, "elapsed_ms": rec.elapsed_ms, "fetched_url": rec.fetched_url,
            "titles": json.dumps(list(rec.titles), ensure_ascii=False),
            "last_failure_at": iso(last_failure) if last_failure else None, "detail": rec.detail,
        }
        links.upsert(row, pk="url")
        db.table("link_checks").insert({
            "url": url, "run_id": run_id, "outcome": outcome, "http_status": rec.http_status,
            "final_url": rec.final_url, "title": rec.title, "published": row["published"],
            "checked_at": iso(now), "error": rec.error, "elapsed_ms": rec.elapsed_ms,
            "raw_outcome": rec.raw_outcome,
        })
        changes.append((url, old["outcome"] if old else None, outcome))
    return changes


def link_findings(entry: Entry, records: dict[str, LinkRecord]) -> list[tuple[str, dict[str, Any]]]:
    """(rule, message parameters) for what the checks found about one entry's URLs."""
    out: list[tuple[str, dict[str, Any]]] = []
    for url in entry.urls:
        rec = records.get(url)
        if rec is None:
            continue
        params: dict[str, Any] = {"url": url, "entry": entry.label, "detail": rec.detail,
                                  "final_url": rec.final_url or url,
                                  "archive": f": {rec.archive_url}" if rec.archive_url else ""}
        rule = RULE_OF.get(rec.outcome)
        if rule:
            out.append((rule, params))
        if rec.outcome in ("ok", "redirected"):
            mismatch = title_mismatch(entry.title, rec.titles)
            if mismatch:
                out.append(("title-mismatch", {**params, "page_title": mismatch, "title": entry.title}))
            if rec.published and entry.year_value and rec.published.year != entry.year_value:
                out.append(("source-date-mismatch", {**params, "published": rec.published.iso(),
                                                     "year": entry.year, "published_year": rec.published.year}))
    return out


def title_mismatch(cited: str | None, titles: tuple[str, ...]) -> str | None:
    """The page's title when none of its titles resembles the cited one; None when they agree."""
    if not cited or not titles or len(cited.split()) < 3:
        return None
    want = name_key(cited)
    best = max(max(fuzz.token_set_ratio(want, name_key(t)), fuzz.partial_ratio(want, name_key(t)))
               for t in titles)
    return None if best >= 60 else titles[0]


def check_run_links(result, settings: Settings, db: sqlite_utils.Database, *, archive: bool = False,  # type: ignore[no-untyped-def]
                    allow_private: bool = False, remap: list[tuple[str, str]] | None = None) -> str:
    """Check the URLs of an audit, add the link findings to its documents, store the link state."""
    from auditor.audit import apply_suppressions
    from auditor.checks import RULES
    from auditor.checks.registry import Hit

    now = dt.datetime.now(dt.UTC)
    urls = [u for d in result.readable for e in d.parsed.entries for u in e.urls]
    run = verify_urls(urls, settings, db, allow_private=allow_private, remap=remap, now=now)
    accessed_of: dict[str, PartialDate | None] = {}
    for d in result.readable:
        for e in d.parsed.entries:
            for u in e.urls:
                accessed_of.setdefault(u, e.accessed)
    if archive:
        for url, rec in run.records.items():
            if rec.outcome in ("dead", "soft-404"):
                rec.archive_url = lookup_archive(url, accessed_of.get(url), settings, allow_private)
    offline = network_down(run)
    if offline:
        click.echo(f"Error: {OFFLINE_MESSAGE}.", err=True)
        run.records = {u: r for u, r in run.records.items() if r.outcome == "skipped" or r.from_cache}
    else:
        from auditor.store import immediate

        with immediate(db):
            store_records(db, run, None, now)
    for d in result.readable:
        enabled = settings.enabled_rules(d.path)
        added: list[Finding] = []
        for e in d.parsed.entries:
            for rule_name, params in link_findings(e, run.records):
                if rule_name not in enabled:
                    continue
                rule = RULES[rule_name]
                finding = rule.finding(Hit(e.line, params, entry=e, subject=f"url:{params['url']}"),
                                       settings.severities.get(rule_name))
                added.append(finding)
        apply_suppressions(d.parsed.document.ignore_directives, added)
        d.findings.extend(added)
        d.findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return run.summary() + (f"; {OFFLINE_MESSAGE}" if offline else "")


def recheck_links(db: sqlite_utils.Database, settings: Settings, *, older_than: str | None, fmt: str,
                  archive: bool, allow_private: bool, remap: list[tuple[str, str]],
                  now: dt.datetime | None = None) -> int:
    """Re-check stored URLs whose last check is older than `older_than`; exit 1 when one died."""
    now = now or dt.datetime.now(dt.UTC)
    age = parse_duration(older_than or settings.links.older_than, "--older-than" if older_than else "links.older-than")
    known = {r["url"]: r for r in db.query("select * from links")} if "links" in db.table_names() else {}
    cited = [r["url"] for r in db.query("select distinct url from entry_links")] if "entry_links" in db.table_names() else []
    due = []
    for url in dict.fromkeys(list(known) + cited):
        row = known.get(url)
        checked = parse_iso(row["checked_at"]) if row else None
        if checked is None or is_stale(checked, now, age):
            due.append(url)
    run = verify_urls(due, settings, db, allow_private=allow_private, remap=remap, use_cache=False, now=now)
    if archive:
        for url, rec in run.records.items():
            if rec.outcome in ("dead", "soft-404"):
                rec.archive_url = lookup_archive(url, None, settings, allow_private)
    if network_down(run):
        click.echo(f"Error: {OFFLINE_MESSAGE}.", err=True)
        return 2
    from auditor import __version__
    from auditor.store import immediate

    with immediate(db):
        # The checks are a run of their own ("links"), never attributed to the next audit.
        run_id = db.table("runs").insert({
            "started_at": iso(now), "finished_at": iso(dt.datetime.now(dt.UTC)),
            "tool_version": __version__, "command": "links", "paths": "[]", "status": "links",
            "documents_count": 0, "findings_count": 0, "settings": json.dumps({"older_than": older_than}),
        }).last_pk
        assert run_id is not None
        changes = store_records(db, run, int(run_id), now, scheduled=True)
    died = [(u, old, new) for u, old, new in changes if new == "dead" and old != "dead"]
    recovered = [(u, old, new) for u, old, new in changes if old in FAILURES and new in ("ok", "redirected")]
    if fmt == "json":
        click.echo(json.dumps({
            "checked": len(due), "outcomes": {u: r.outcome for u, r in run.records.items()},
            "died": [u for u, _, _ in died], "recovered": [u for u, _, _ in recovered],
        }, indent=2))
    else:
        total = len(set(known) | set(cited))
        click.echo(f"{len(due)} URL(s) due for a check (older than {older_than or settings.links.older_than}); "
                   f"{total - len(due)} still fresh.")
        click.echo(run.summary())
        # URLs and details come from documents and servers: shown with control characters escaped.
        for url, old, new in died:
            click.echo(f"  died: {clean_line(url)} ({old or 'new'} → {new}: {clean_line(run.records[url].detail)})")
        for url, old, new in recovered:
            click.echo(f"  recovered: {clean_line(url)} ({old} → {new})")
        for url, old, new in changes:
            if (url, old, new) not in died and (url, old, new) not in recovered and old and old != new:
                click.echo(f"  changed: {clean_line(url)} ({old} → {new})")
    return 1 if died else 0
