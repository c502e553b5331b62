"""Source verification: decide what to fetch, check it with the engine, and hand back one record per URL.

The stages, each in its own module: `client` fetches one URL (requests, with the private-address
guard, deadline and bounded body); `scheduler` runs many fetches politely; `classify` turns a fetch
into an outcome; `engine` strings those together (URLs and a policy in, records out); `cache` says
when a stored result may stand in for a check; `history` what a failure means given earlier ones.
This module applies the user's settings (exclusions, --remap, the cache) and looks up archived
copies; the link rules (`checks/links.py`) read the records, and `store.py` writes them with the run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from urllib.parse import quote

import click
import sqlite_utils

from auditor import userregex
from auditor.config import Settings, parse_duration
from auditor.linkcheck.cache import cached_record, is_stale
from auditor.linkcheck.client import Policy, fetch
from auditor.linkcheck.engine import Limits, check_urls
from auditor.linkcheck.records import FAILURES, OFFLINE_KINDS, LinkRecord, LinkRun, Outcome
from auditor.linkcheck.scheduler import Task, host_of
from auditor.model import PartialDate
from auditor.parsing.urls import url_problem
from auditor.terminal import clean_line
from auditor.timestamps import parse_iso

OFFLINE_MESSAGE = ("the network seems to be down (no host could be resolved or reached); "
                   "no link was recorded or marked dead")


def network_down(run: LinkRun) -> bool:
    """Whether the run's failures say more about this machine's network than about the links: every URL
    fetched, on at least two hosts, failed to resolve or to connect."""
    fetched = [r for r in run.records.values() if not r.from_cache and r.outcome != Outcome.SKIPPED]
    hosts = {host_of(r.fetched_url or r.url) for r in fetched}
    return len(hosts) >= 2 and all(r.error_kind in OFFLINE_KINDS for r in fetched)


def remapped(url: str, remap: list[tuple[str, str]]) -> str:
    for pattern, replacement in remap:
        url = userregex.substitute(pattern, replacement, url)
    return url


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
    """Why a URL is not fetched: the cited and the fetched (remapped) forms must both be valid (a cited
    host without a public suffix is malformed whatever --remap makes of it); exclusions may name either."""
    if not re.match(r"^https?://", target, re.I):
        return "not an http(s) address"
    why = url_problem(cited) or url_problem(target)
    if why:
        return f"malformed: {why}"
    return _excluded(target, settings) or _excluded(cited, settings)


def verify_urls(urls: list[str], settings: Settings, db: sqlite_utils.Database | None, *,
                allow_private: bool = False, remap: list[tuple[str, str]] | None = None,
                use_cache: bool = True, now: dt.datetime | None = None, show_progress: bool = True,
                scheduler: str | None = None) -> LinkRun:
    """Check each URL (or reuse a fresh cached success) and classify it; nothing is written."""
    from auditor.store import link_rows

    now = now or dt.datetime.now(dt.UTC)
    remap = list(settings.links.remap) + list(remap or [])
    run = LinkRun()
    cache_age = parse_duration(settings.links.cache_age, "links.cache-age")
    cached_rows = link_rows(db) if db is not None and use_cache else {}
    tasks: list[Task] = []
    for url in dict.fromkeys(urls):
        target = remapped(url, remap)
        why = _skip_reason(url, target, settings)
        if why:
            run.records[url] = LinkRecord(url, Outcome.SKIPPED, why, error=why, raw_outcome=Outcome.SKIPPED)
            continue
        cached = cached_record(cached_rows.get(url), url, target, now, cache_age)
        if cached is not None:
            run.records[url] = cached
            run.cached += 1
            continue
        tasks.append(Task(target, url))
    if tasks:
        bar = None
        if show_progress and sys.stderr.isatty() and len(tasks) > 5:
            bar = click.progressbar(length=len(tasks), label="Checking links", file=sys.stderr)
            bar.__enter__()
        try:
            s = settings.links
            limits = Limits(s.per_host, s.concurrency, s.retries)
            tick = (lambda key, f: bar.update(1)) if bar else None
            if scheduler:
                from auditor.cluster import check_urls_on_cluster

                run.records.update(check_urls_on_cluster(tasks, _policy(settings, allow_private), limits, scheduler,
                                                         progress=tick))
            else:
                run.records.update(check_urls(tasks, _policy(settings, allow_private), limits, progress=tick))
        finally:
            if bar:
                bar.__exit__(None, None, None)
        run.checked += len(tasks)
    run.records = {url: run.records[url] for url in dict.fromkeys(urls)}  # in the order cited
    return run


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


def check_run_links(result, settings: Settings, db: sqlite_utils.Database, *, archive: bool = False,
                    allow_private: bool = False, remap: list[tuple[str, str]] | None = None,
                    now: dt.datetime | None = None, scheduler: str | None = None) -> LinkRun:
    """Check the URLs of an audit's documents (reading the cache in db); the records are returned, for
    the link rules to read and for `save_run` to store with the run."""
    now = now or dt.datetime.now(dt.UTC)
    urls = [u for d in result.readable for e in d.parsed.entries for u in e.urls]
    run = verify_urls(urls, settings, db, allow_private=allow_private, remap=remap, now=now, scheduler=scheduler)
    if archive:
        accessed_of: dict[str, PartialDate | None] = {}
        for d in result.readable:
            for e in d.parsed.entries:
                for u in e.urls:
                    accessed_of.setdefault(u, e.accessed)
        add_archives(run, settings, allow_private, accessed_of)
    if network_down(run):
        run.offline = True
        run.records = {u: r for u, r in run.records.items() if r.outcome == Outcome.SKIPPED or r.from_cache}
    return run


def add_archives(run: LinkRun, settings: Settings, allow_private: bool,
                 accessed_of: dict[str, PartialDate | None] | None = None) -> None:
    """Look up an archived copy of every dead or soft-404 link (from before its access date if known)."""
    for url, rec in run.records.items():
        if rec.outcome in (Outcome.DEAD, Outcome.SOFT_404):
            rec.archive_url = lookup_archive(url, (accessed_of or {}).get(url), settings, allow_private)


def summary(run: LinkRun) -> str:
    return run.summary() + (f"; {OFFLINE_MESSAGE}" if run.offline else "")


def recheck_links(db: sqlite_utils.Database, settings: Settings, *, older_than: str | None, fmt: str,
                  archive: bool, allow_private: bool, remap: list[tuple[str, str]],
                  now: dt.datetime | None = None, fail_on_dead: bool = False) -> int:
    """Re-check stored URLs whose last check is older than `older_than`; exit 1 when one died (with
    fail_on_dead, while any cited link is dead). Each dead or changed URL is shown with where it is cited."""
    from auditor.store import cited_urls, citing_places, link_rows, save_link_run

    now = now or dt.datetime.now(dt.UTC)
    age = parse_duration(older_than or settings.links.older_than, "--older-than" if older_than else "links.older-than")
    known = link_rows(db)
    cited = cited_urls(db)
    due = []
    for url in dict.fromkeys(list(known) + cited):
        row = known.get(url)
        checked = parse_iso(row["checked_at"]) if row else None
        if checked is None or is_stale(checked, now, age):
            due.append(url)
    run = verify_urls(due, settings, db, allow_private=allow_private, remap=remap, use_cache=False, now=now)
    if archive:
        add_archives(run, settings, allow_private)
    if network_down(run):
        click.echo(f"Error: {OFFLINE_MESSAGE}.", err=True)
        return 2
    changes = save_link_run(db, run, now, {"older_than": older_than})
    died = [(u, old, new) for u, old, new in changes if new == Outcome.DEAD and old != Outcome.DEAD]
    recovered = [(u, old, new) for u, old, new in changes
                 if old in FAILURES and new in (Outcome.OK, Outcome.REDIRECTED)]
    changed = [(u, old, new) for u, old, new in changes
               if (u, old, new) not in died and (u, old, new) not in recovered and old and old != new]
    places = citing_places(db)
    still_dead = [u for u, row in link_rows(db).items() if row["outcome"] == Outcome.DEAD and u in places]
    if fmt == "json":
        shown = {u for u, _, _ in died + recovered + changed} | set(still_dead)
        click.echo(json.dumps({
            "checked": len(due), "outcomes": {u: r.outcome for u, r in run.records.items()},
            "died": [u for u, _, _ in died], "recovered": [u for u, _, _ in recovered],
            "changed": [u for u, _, _ in changed], "dead": still_dead,
            "cited_in": {u: places[u] for u in sorted(shown) if u in places},
        }, indent=2, ensure_ascii=False))
    else:
        total = len(set(known) | set(cited))
        click.echo(f"{len(due)} URL(s) due for a check (older than {older_than or settings.links.older_than}); "
                   f"{total - len(due)} still fresh.")
        click.echo(run.summary())
        # URLs and details come from documents and servers: shown with control characters escaped.
        for url, old, new in died:
            click.echo(f"  died: {clean_line(url)} ({old or 'new'} → {new}: {clean_line(run.records[url].detail)})")
            _echo_places(places.get(url, []))
        for url, old, new in recovered:
            click.echo(f"  recovered: {clean_line(url)} ({old} → {new})")
            _echo_places(places.get(url, []))
        for url, old, new in changed:
            click.echo(f"  changed: {clean_line(url)} ({old} → {new})")
            _echo_places(places.get(url, []))
        if fail_on_dead:
            click.echo(f"{len(still_dead)} cited link(s) dead." if still_dead else "No cited link is dead.")
            reported = {u for u, _, _ in died}
            for url in still_dead:
                if url not in reported:
                    click.echo(f"  dead: {clean_line(url)}")
                    _echo_places(places.get(url, []))
    return 1 if died or (fail_on_dead and still_dead) else 0


def _echo_places(places: list[dict]) -> None:
    """Where a URL is cited: `    cited in paper.md:12 (page 4), cited on lines 3, 7`."""
    for p in places:
        where = f"{clean_line(p['path'])}:{p['line']}" + (f" ({clean_line(p['locator'])})" if p["locator"] else "")
        lines = p["cited_lines"]
        cited = f", cited on line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}" if lines else ""
        click.echo(f"      in {where}{cited}")
