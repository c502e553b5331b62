"""Check many URLs concurrently: a per-host cap, a global cap, round-robin across hosts, polite retries.

A host that is slow, or that asked us to wait (Retry-After), holds only its own slots: the dispatcher
keeps handing work for the other hosts to the free workers.
"""

from __future__ import annotations

import email.utils
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.linkcheck.client import Fetch, Policy, fetch

RETRYABLE_STATUS = {429, 502, 503, 504}
MAX_RETRY_AFTER = 60.0


@dataclass
class Task:
    url: str  # the URL to fetch (after remapping)
    key: str  # the cited URL the result belongs to
    attempt: int = 0


def host_of(url: str) -> str:
    try:
        p = urlsplit(url)
        return f"{(p.hostname or '').lower()}:{p.port or ''}"
    except ValueError:
        return ""


def retry_after(f: Fetch) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date), capped."""
    value = f.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def should_retry(f: Fetch) -> bool:
    """Only timeouts, 429 and 502–504 are worth another try; everything else is an answer."""
    if f.error_kind == "timeout":
        return True
    return f.error_kind is None and f.status in RETRYABLE_STATUS


def check_all(tasks: list[Task], policy: Policy, per_host: int = 2, concurrency: int = 16, retries: int = 2,
              backoff: float = 0.5, progress: Callable[[str, Fetch], None] | None = None,
              fetcher: Callable[[str, Policy], Fetch] = fetch) -> dict[str, Fetch]:
    """Fetch every task's URL; return the final Fetch per task key."""
    hosts: dict[str, deque[Task]] = {}
    for t in tasks:
        hosts.setdefault(host_of(t.url), deque()).append(t)
    order = list(hosts)
    active: dict[str, int] = {h: 0 for h in order}
    delayed: list[tuple[float, int, str, Task]] = []
    seq = itertools.count()
    results: dict[str, Fetch] = {}
    running: dict[Future[Fetch], tuple[str, Task]] = {}
    finished: queue.SimpleQueue[Future[Fetch]] = queue.SimpleQueue()
    cursor = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="linkcheck") as pool:
        while any(hosts.values()) or delayed or running:
            now = time.monotonic()
            while delayed and delayed[0][0] <= now:
                _, _, host, task = heapq.heappop(delayed)
                hosts[host].appendleft(task)
            # Round-robin: one task per host per pass, while workers and host slots are free.
            progressed = True
            while progressed and len(running) < concurrency:
                progressed = False
                for i in range(len(order)):
                    host = order[(cursor + i) % len(order)]
                    if hosts[host] and active[host] < per_host and len(running) < concurrency:
                        task = hosts[host].popleft()
                        active[host] += 1
                        future = pool.submit(fetcher, task.url, policy)
                        running[future] = (host, task)
                        future.add_done_callback(finished.put)
                        progressed = True
                cursor = (cursor + 1) % max(1, len(order))
            if not running:
                if delayed:
                    time.sleep(max(0.0, min(delayed[0][0] - time.monotonic(), 0.5)))
                continue
            timeout = max(0.0, delayed[0][0] - time.monotonic()) if delayed else None
            done = []
            try:
                done.append(finished.get(timeout=timeout))
                while True:
                    done.append(finished.get_nowait())
            except queue.Empty:
                pass
            for future in done:
                host, task = running.pop(future)
                active[host] -= 1
                try:
                    result = future.result()
                except Exception as exc:  # a bug in the fetcher must not lose the other results
                    result = Fetch(task.url, error_kind="connection", error=f"internal error: {exc!r}")
                if should_retry(result) and task.attempt < retries:
                    wait_for = retry_after(result)
                    if wait_for is None:
                        wait_for = backoff * (2 ** task.attempt)
                    task.attempt += 1
                    heapq.heappush(delayed, (time.monotonic() + wait_for, next(seq), host, task))
                    continue
                results[task.key] = result
                if progress:
                    progress(task.key, result)
    return results
