"""Where an audit's work runs: worker processes on this machine (`--jobs`), a Dask cluster
(`--scheduler`), or this process; and which units need no work at all (incremental audits).

A *unit* is what is audited as one: a document, or the files of a manuscript. `audit_unit` is the
per-unit work (load, parse, check, and build the rows to store); it runs unchanged wherever it runs.
`run_units` yields each unit's outcome in the order the units were given, whatever finished first, so
the one writer (`store.RunWriter`) stores the same rows in the same order however the work was run.

The local pool is written here rather than taken from `concurrent.futures.ProcessPoolExecutor`: a
document that exceeds its time limit (`--doc-timeout`; a regular expression or a parser can spend
minutes in C code that no signal interrupts) must be killed alone, its worker replaced and the run
go on, which ProcessPoolExecutor cannot do (it can only break the whole pool).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.config import Settings
from auditor.documents import MAX_BYTES, open_nonblocking
from auditor.rows import UnitRows, unit_rows
from auditor.store import DocumentResult


@dataclass
class Unit:
    """One document, or the files of one manuscript, as the user named them."""

    files: list[Path]
    manuscript: str | None = None
    key: str | None = None  # the incremental cache key (content, settings, tool version)
    data: bytes | None = None  # the bytes of a document read from standard input (files[0] is its name)

    @property
    def name(self) -> str:
        return self.manuscript if self.manuscript is not None else str(self.files[0])


@dataclass
class Job:
    """What every unit of a run is audited with."""

    settings: Settings
    today: dt.date
    strict: bool = False
    keep: bool = False  # return the parsed documents (link and source checks need them) instead of rows
    root: str | None = None  # read relative paths from this folder (a cluster worker's cwd is its own)


@dataclass
class UnitOutcome:
    rows: UnitRows | None = None
    results: list[DocumentResult] = field(default_factory=list)
    seconds: float = 0.0


def audit_unit(unit: Unit, job: Job) -> UnitOutcome:
    """Audit one unit; never raises (a failure becomes the error of each of its files)."""
    from auditor.audit import audit_file
    from auditor.manuscript import Manuscript, audit_manuscript

    start = time.perf_counter()
    files = [_located(f, job.root) for f in unit.files]
    try:
        if unit.data is not None:
            from auditor.stdin import audit_stdin

            results = [audit_stdin(str(unit.files[0]), unit.data, job.settings, job.today, job.strict)]
            files = list(unit.files)
        elif unit.manuscript is not None:
            results = audit_manuscript(Manuscript(unit.manuscript, files), job.settings, job.today, job.strict)
        else:
            results = [audit_file(files[0], job.settings, job.today, job.strict)]
    except Exception as exc:  # noqa: BLE001 -- a bug on one unit must not end the run
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        results = [DocumentResult(str(f), error=f"{f}: internal error {type(exc).__name__}: {exc}",
                                  manuscript=unit.manuscript) for f in files]
    if job.root is not None:
        _relocate(results, unit.files, files)
    outcome = UnitOutcome(results=results)
    if not job.keep:
        outcome.rows = unit_rows(results, unit.manuscript)
        outcome.results = []
    outcome.seconds = time.perf_counter() - start
    return outcome


def _located(path: Path, root: str | None) -> Path:
    return path if root is None or path.is_absolute() else Path(root) / path


def _relocate(results: list[DocumentResult], shown: list[Path], read: list[Path]) -> None:
    """Name the files as the user did, not by the absolute paths a cluster worker read them from."""
    names = {str(r): str(s) for r, s in zip(read, shown, strict=True)}
    for result in results:
        absolute = result.path
        result.path = names.get(absolute, absolute)
        if result.error:
            result.error = result.error.replace(absolute, result.path)
        if result.parsed is not None:
            result.parsed.document.path = result.path


def failed(unit: Unit, job: Job, message: str) -> UnitOutcome:
    """The outcome of a unit whose work could not finish: each file gets the message as its error."""
    results = [DocumentResult(str(f), error=f"{f}: {message}", manuscript=unit.manuscript) for f in unit.files]
    if job.keep:
        return UnitOutcome(results=results)
    return UnitOutcome(rows=unit_rows(results, unit.manuscript))


# --- Incremental audits -----------------------------------------------------------------------------


def settings_fingerprint(settings: Settings, path: str) -> str:
    """What of the settings changes a document's stored results: the rules that run on it and their
    severities (the tool's version and the run's mode are added by `unit_key`)."""
    if not settings.per_path_ignores:  # the same for every path: worked out once per run
        key = (id(settings), tuple(settings.select), tuple(settings.ignore), tuple(settings.severities.items()))
        if key not in _FINGERPRINTS:
            _FINGERPRINTS.clear()
            _FINGERPRINTS[key] = _fingerprint(settings, None)
        return _FINGERPRINTS[key]
    return _fingerprint(settings, path)


_FINGERPRINTS: dict[object, str] = {}


def _fingerprint(settings: Settings, path: str | None) -> str:
    rules = sorted(settings.enabled_rules(path))
    severities = {r: str(settings.severities[r]) for r in rules if r in settings.severities}
    return json.dumps([rules, severities], sort_keys=True)


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a file's bytes (at most what a document may hold, plus one byte), or None when it
    cannot be read (the audit then says why)."""
    digest = hashlib.sha256()
    try:
        # Non-blocking, and only a regular file: a FIFO or a device named as a document must not hang or
        # flood the run here (the loader gives it its error).
        fd, mode = open_nonblocking(path)
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(mode):
                return None
            remaining = MAX_BYTES + 1
            while remaining > 0 and (chunk := handle.read(min(1 << 20, remaining))):
                digest.update(chunk)
                remaining -= len(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def unit_key(unit: Unit, settings: Settings, mode: str) -> str | None:
    """The key under which a unit's results are stored for reuse: its files (names and contents), the
    settings that apply to each, the manuscript it forms, the run's mode and the tool's version."""
    digest = hashlib.sha256(f"{__version__}\x1f{mode}\x1f{unit.manuscript}\x1f{unit.data is not None}".encode())
    for f in unit.files:
        content = hashlib.sha256(unit.data).hexdigest() if unit.data is not None else file_digest(f)
        if content is None:
            return None
        digest.update(f"\x1e{f}\x1f{content}\x1f{settings_fingerprint(settings, str(f))}".encode())
    return digest.hexdigest()


# --- Running units -----------------------------------------------------------------------------------


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_units(units: list[Unit], job: Job, *, jobs: int = 1, doc_timeout: float | None = None,
              scheduler: str | None = None, window: int | None = None) -> Iterator[tuple[int, UnitOutcome]]:
    """Each unit's outcome, as (index, outcome) in the order of `units`.

    With a scheduler address the units run on that Dask cluster; with more than one job or a per-document
    time limit, in worker processes forked from this one; otherwise here. At most `window` outcomes are
    held waiting for an earlier unit, so memory stays flat however many units there are."""
    if not units:
        return iter(())
    if scheduler:
        return _run_dask(units, job, scheduler, window)
    if (jobs > 1 or (doc_timeout and doc_timeout > 0)) and hasattr(os, "fork"):
        import auditor.checks
        import auditor.parsing  # noqa: F401 -- imported once here, shared by the forked workers

        return LocalPool(min(jobs, len(units)), job, doc_timeout or None).run(units, window)
    return ((i, audit_unit(u, job)) for i, u in enumerate(units))


def _run_dask(units: list[Unit], job: Job, address: str, window: int | None) -> Iterator[tuple[int, UnitOutcome]]:
    from auditor.cluster import connect

    with connect(address) as client:
        executor = client.get_executor(pure=False)
        remote = Job(job.settings, job.today, job.strict, job.keep, root=os.getcwd())
        workers = max(1, sum(client.nthreads().values()))
        yield from _ordered(lambda u: executor.submit(audit_unit, u, remote), units, window or 8 * workers,
                            lambda u, exc: failed(u, job, f"not audited: the cluster failed ({type(exc).__name__}: {exc})"))


def _ordered(submit: Callable[[Unit], Any], units: list[Unit], window: int,
             failure: Callable[[Unit, BaseException], UnitOutcome]) -> Iterator[tuple[int, UnitOutcome]]:
    """Submit ahead up to `window` units and yield their results in order (futures of any executor)."""
    pending: dict[int, Any] = {}
    submitted = 0
    for i in range(len(units)):
        while submitted < len(units) and submitted < i + window:
            pending[submitted] = submit(units[submitted])
            submitted += 1
        future = pending.pop(i)
        try:
            yield i, future.result()
        except Exception as exc:  # noqa: BLE001 -- a lost worker: this unit's documents get an error
            yield i, failure(units[i], exc)


class LocalPool:
    """Worker processes forked from this one. Each holds up to `depth` units: the one it audits and the next,
    already sent, so that it never waits while this process writes results. A unit that runs past its time
    limit has its worker killed and replaced (the units queued behind it go to the new worker), and its
    files get an error."""

    def __init__(self, jobs: int, job: Job, timeout: float | None, depth: int = 2) -> None:
        self.jobs = max(1, jobs)
        self.job = job
        self.timeout = timeout
        self.depth = max(1, depth)
        self.workers: list[_Worker] = []

    def run(self, units: list[Unit], window: int | None = None) -> Iterator[tuple[int, UnitOutcome]]:
        from multiprocessing.connection import wait

        window = max(window or 16 * self.jobs, self.jobs * self.depth)
        done: dict[int, UnitOutcome] = {}
        next_in = next_out = 0
        try:
            self.workers = [_Worker(self.job, self.timeout) for _ in range(self.jobs)]
            while next_out < len(units):
                for depth in range(1, self.depth + 1):  # every worker one unit first, then a second each
                    for w in self.workers:
                        if len(w.tasks) < depth and next_in < len(units) and next_in < next_out + window:
                            w.start(next_in, units[next_in])
                            next_in += 1
                busy = [w for w in self.workers if w.tasks]
                if not busy and next_out not in done:  # (cannot happen: a unit every worker forgot)
                    raise RuntimeError(f"unit {next_out} was sent to no worker")
                if busy:
                    deadline = min(w.deadline for w in busy)
                    wait_for = None if deadline == float("inf") else max(0.0, deadline - time.monotonic())
                    ready = wait([w.conn for w in busy], timeout=wait_for)
                    for w in busy:
                        if w.conn in ready:
                            index, outcome = w.receive()
                            done[index] = outcome
                        elif time.monotonic() >= w.deadline:
                            index, unit = w.tasks[0]
                            limit = (self.timeout or 0) * len(unit.files)
                            done[index] = failed(unit, self.job, f"not audited: it took longer than the per-document "
                                                                 f"time limit of {limit:g} s (--doc-timeout)")
                            w.replace()
                while next_out in done:
                    yield next_out, done.pop(next_out)
                    next_out += 1
        finally:
            for w in self.workers:
                w.stop()


class _Worker:
    """One forked worker: receives (index, unit), sends back the outcome; `tasks` are the units sent to it
    and not yet answered, in order, and `deadline` is the first one's."""

    def __init__(self, job: Job, timeout: float | None) -> None:
        self.job = job
        self.timeout = timeout
        self.tasks: collections.deque[tuple[int, Unit]] = collections.deque()
        self.deadline = float("inf")
        self._spawn()

    def _spawn(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child, self.job, os.getpid()), daemon=True,
                                name="auditor-worker")
        self.proc.start()
        child.close()

    def _clock(self) -> None:
        """Start the time limit of the unit now first in line (when the worker can have begun it, or later)."""
        unit = self.tasks[0][1] if self.tasks else None
        self.deadline = time.monotonic() + self.timeout * len(unit.files) if unit and self.timeout else float("inf")

    def start(self, index: int, unit: Unit) -> None:
        try:
            self.conn.send((index, unit))
        except OSError:  # the worker is gone: a new one takes its units, this one too
            self.tasks.append((index, unit))
            self.replace(keep_first=True)
            return
        self.tasks.append((index, unit))
        if len(self.tasks) == 1:
            self._clock()

    def receive(self) -> tuple[int, UnitOutcome]:
        """The outcome of the first unit in line."""
        index, unit = self.tasks[0]
        try:
            outcome: UnitOutcome = self.conn.recv()
        except (EOFError, OSError):
            self.proc.join(5)
            code = self.proc.exitcode
            self.replace()
            return index, failed(unit, self.job, f"not audited: the process auditing it ended unexpectedly "
                                                 f"(exit code {code})")
        self.tasks.popleft()
        self._clock()
        return index, outcome

    def replace(self, keep_first: bool = False) -> None:
        """A new process in this one's place; the units queued behind the first (or all of them) are sent
        to it again."""
        self.stop()
        queued = list(self.tasks) if keep_first else list(self.tasks)[1:]
        self.tasks.clear()
        self._spawn()
        for index, unit in queued:
            self.conn.send((index, unit))
            self.tasks.append((index, unit))
        self._clock()

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def _worker_main(conn: Any, job: Job, parent: int) -> None:
    from auditor.procs import quiet_worker

    quiet_worker(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        index, unit = task
        try:
            outcome = audit_unit(unit, job)
        except BaseException as exc:  # noqa: BLE001 -- audit_unit does not raise; a MemoryError might
            outcome = failed(unit, job, f"internal error {type(exc).__name__}: {exc}")
        conn.send(outcome)


def units_in(items: Iterable[Any]) -> list[Unit]:
    """Units from what `collect_paths` and `group_files` give: paths and manuscripts."""
    from auditor.manuscript import Manuscript

    return [Unit(list(i.files), i.name) if isinstance(i, Manuscript) else Unit([i]) for i in items]
