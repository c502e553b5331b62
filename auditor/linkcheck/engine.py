"""The link-checking engine: URLs and a policy in, one LinkRecord per URL out.

It knows nothing of documents, printing or the database: `verify_urls` (the package) decides what to
fetch (skips, remapping, the cache) and the audit stores the records and turns them into findings.
Each worker thread fetches (`client`), reads the page (`classify.page_info`) and classifies it, so
parsing overlaps other checks' waiting; `scheduler` keeps the per-host and global limits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from auditor.linkcheck.classify import PageInfo, classify, page_info
from auditor.linkcheck.client import Fetch, Policy, fetch
from auditor.linkcheck.records import LinkRecord
from auditor.linkcheck.scheduler import Task, check_all, check_all_processes

# Starting a worker process costs about a third of a second, worth it only when there is much to parse.
PROCESS_THRESHOLD = 300


@dataclass
class Limits:
    """How politely to check: requests at a time per host and in all, retries of transient failures."""

    per_host: int = 2
    concurrency: int = 32
    retries: int = 2


def worker_processes(count: int) -> int:
    """Worker processes for a batch of checks: one per core for large batches, none for small ones."""
    if count < PROCESS_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def check_urls(tasks: list[Task], policy: Policy, limits: Limits,
               progress: Callable[[str, Fetch | None], None] | None = None) -> dict[str, LinkRecord]:
    """Fetch and classify every task's URL; the record of each is filed under the task's key (the cited URL)."""
    if not tasks:
        return {}
    if worker_processes(len(tasks)) > 1:
        results = check_all_processes(tasks, policy, processes=worker_processes(len(tasks)),
                                      per_host=limits.per_host, concurrency=limits.concurrency,
                                      retries=limits.retries, progress=progress, fetcher=fetch_and_read)
    else:
        results = check_all(tasks, policy, per_host=limits.per_host, concurrency=limits.concurrency,
                            retries=limits.retries, progress=progress, fetcher=fetch_and_read)
    return {task.key: record(task.key, task.url, results[task.key]) for task in tasks}


def check_shard(tasks: list[Task], policy: Policy, limits: Limits) -> dict[str, LinkRecord]:
    """check_urls in threads of this process only: the work of one cluster task (a Dask worker may not
    start processes of its own)."""
    results = check_all(tasks, policy, per_host=limits.per_host, concurrency=limits.concurrency,
                        retries=limits.retries, fetcher=fetch_and_read)
    return {task.key: record(task.key, task.url, results[task.key]) for task in tasks}


def shard_by_host(tasks: list[Task], shards: int) -> list[list[Task]]:
    """Split the tasks into at most `shards` groups, every URL of a host in the same group (so that each
    host's limit holds however many workers check), the groups about equally large."""
    from auditor.linkcheck.scheduler import host_of

    by_host: dict[str, list[Task]] = {}
    for t in tasks:
        by_host.setdefault(host_of(t.url), []).append(t)
    groups: list[list[Task]] = [[] for _ in range(max(1, shards))]
    for host in sorted(by_host, key=lambda h: (-len(by_host[h]), h)):
        min(groups, key=len).extend(by_host[host])
    return [g for g in groups if g]


def fetch_and_read(url: str, policy: Policy) -> Fetch:
    """Fetch and read the page in the worker thread, so parsing overlaps other checks' waiting."""
    f = fetch(url, policy)
    ok = f.error_kind is None and f.status is not None and 200 <= f.status < 300
    f.page = page_info(f.body, f.headers.get("content-type")) if ok and f.body else PageInfo()
    f.body = f.body[:8000] if f.body else f.body  # keep little in memory: classification needs only the start
    return f


def record(url: str, fetched: str, f: Fetch) -> LinkRecord:
    """The record of a cited URL from the fetch of the URL actually fetched."""
    info = f.page
    if info is None:
        info = page_info(f.body, f.headers.get("content-type")) if f.body else PageInfo()
    verdict = classify(f, info)
    return LinkRecord(url, verdict.outcome, verdict.detail, f.status, verdict.final_url or f.final_url,
                      info.title, info.titles, info.published, f.error, f.elapsed_ms, fetched,
                      raw_outcome=verdict.outcome, error_kind=f.error_kind,
                      content_type=f.headers.get("content-type"))
