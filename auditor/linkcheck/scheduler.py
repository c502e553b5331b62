"""Check many URLs concurrently: a per-host cap, a global cap, round-robin across hosts, polite retries.

A host that is slow, or that asked us to wait (Retry-After), holds only its own slots: the dispatcher
keeps handing work for the other hosts to the free workers.
"""

from __future__ import annotations

import email.utils
import heapq
import itertools
import os
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from auditor.linkcheck.client import Fetch, Policy, fetch
from auditor.linkcheck.records import ErrorKind

RETRYABLE_STATUS = {429, 502, 503, 504}
MAX_RETRY_AFTER = 60.0


@dataclass
class Task:
    url: str  # the URL to fetch (after remapping)
    key: str  # the cited URL the result belongs to
    attempt: int = 0
    started: float | None = None  # when its first attempt began: the deadline covers every attempt


def host_of(url: str) -> str:
    try:
        p = urlsplit(url)
        return f"{(p.hostname or '').lower()}:{p.port or ''}"
    except ValueError:
        return ""


def retry_after(f: Fetch) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date), capped."""
    return retry_after_header(f.headers)


def retry_after_header(headers: dict[str, str]) -> float | None:
    """Seconds a Retry-After header (seconds or an HTTP date) asks to wait, capped at MAX_RETRY_AFTER."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def should_retry(f: Fetch) -> bool:
    """Only timeouts, 429 and 502–504 are worth another try; everything else is an answer."""
    if f.error_kind == ErrorKind.TIMEOUT:
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
                        if task.started is None:
                            task.started = time.monotonic()
                        attempt = replace(policy, spent=time.monotonic() - task.started) if task.attempt else policy
                        future = pool.submit(fetcher, task.url, attempt)
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
                    result = Fetch(task.url, error_kind=ErrorKind.CONNECTION, error=f"internal error: {exc!r}")
                wait_for = retry_after(result)
                if wait_for is None:
                    wait_for = backoff * (2 ** task.attempt)
                left = policy.deadline - policy.spent - (time.monotonic() - (task.started or 0.0))
                if should_retry(result) and task.attempt < retries and wait_for < left:
                    task.attempt += 1
                    heapq.heappush(delayed, (time.monotonic() + wait_for, next(seq), host, task))
                    continue
                results[task.key] = result
                if progress:
                    progress(task.key, result)
    return results


_progress_queue = None


def _init_worker(q, parent: int) -> None:
    """Start a forked worker with fresh thread state: locks held by the parent's threads stay behind.

    The worker ignores Ctrl-C (the parent reports it, without a traceback per worker) and exits when
    the parent dies, however it dies."""
    global _progress_queue
    from auditor.linkcheck import client
    from auditor.procs import quiet_worker

    quiet_worker(parent)

    _progress_queue = q
    client.WATCHDOG = client.Watchdog()
    client._local = client.threading.local()


def _check_group(tasks: list[Task], policy: Policy, per_host: int, concurrency: int, retries: int,
                 fetcher: Callable[[str, Policy], Fetch]) -> dict[str, Fetch]:
    q = _progress_queue
    return check_all(tasks, policy, per_host=per_host, concurrency=concurrency, retries=retries, fetcher=fetcher,
                     progress=(lambda key, f: q.put(key)) if q is not None else None)


def partition_hosts(tasks: list[Task], groups: int) -> list[list[Task]]:
    """Split the tasks into groups of whole hosts with about the same number of tasks each."""
    by_host: dict[str, list[Task]] = {}
    for t in tasks:
        by_host.setdefault(host_of(t.url), []).append(t)
    buckets: list[list[Task]] = [[] for _ in range(groups)]
    for host_tasks in sorted(by_host.values(), key=len, reverse=True):
        min(buckets, key=len).extend(host_tasks)
    return [b for b in buckets if b]


def check_all_processes(tasks: list[Task], policy: Policy, *, processes: int, per_host: int = 2,
                        concurrency: int = 16, retries: int = 2,
                        progress: Callable[[str, Fetch | None], None] | None = None,
                        fetcher: Callable[[str, Policy], Fetch] = fetch) -> dict[str, Fetch]:
    """check_all spread over worker processes, each owning whole hosts, so that parsing and HTTP use every core.

    The per-host cap holds because a host's URLs all go to one process; the global cap is shared out.
    """
    groups = partition_hosts(tasks, processes)
    if len(groups) < 2:
        return check_all(tasks, policy, per_host=per_host, concurrency=concurrency, retries=retries,
                         progress=progress, fetcher=fetcher)
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    # fork starts a worker in milliseconds; _init_worker replaces the state the parent's threads may hold.
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    done = threading.Event()

    def relay() -> None:
        while not done.is_set():
            try:
                key = q.get(timeout=0.2)
            except Exception:
                continue
            if progress:
                progress(key, None)

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    results: dict[str, Fetch] = {}
    share = max(per_host, concurrency // len(groups))
    try:
        pool = ProcessPoolExecutor(max_workers=len(groups), mp_context=ctx, initializer=_init_worker,
                                   initargs=(q, os.getpid()))
        try:
            futures = [pool.submit(_check_group, g, policy, per_host, share, retries, fetcher) for g in groups]
            for future in futures:
                results.update(future.result())
        except BaseException:
            # Ctrl-C or a failure: stop the workers now instead of waiting for their checks to end.
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    finally:
        done.set()
        relay_thread.join(1)
    return results
