"""What each CLI command does, as plain functions the CLI wraps and the tests call."""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor import __version__, habits, store
from auditor.config import (
    LinkOptions,
    Settings,
    discover_settings,
    expand_rules,
    load_settings,
    parse_duration,
)
from auditor.errors import AuditorError
from auditor.fileio import write_atomic
from auditor.terminal import clean, clean_line, use_colour
from auditor.userregex import check_remap

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.pipeline import Unit

SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


def _split(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def resolve_settings(paths: list[str], config_path: str | None, select: list[str], ignore: list[str],
                     fail_on: str | None) -> Settings:
    """Settings from the config file (given, or found from the documents) overlaid with the CLI options."""
    if config_path:
        settings = load_settings(Path(config_path))
    else:
        start = Path(paths[0]) if paths else Path.cwd()
        settings, notes = discover_settings(start if start.exists() else Path.cwd())
        for note in notes:
            click.echo(clean(note), err=True)
    if select:
        settings.select = _split(select)
        expand_rules(settings.select, "--select")
    if ignore:
        settings.ignore = settings.ignore + _split(ignore)
        expand_rules(settings.ignore, "--ignore")
    if fail_on:
        settings.fail_on = fail_on
    return settings


def refuse_output_over_inputs(output: str, db_path: str, paths: list[str]) -> None:
    """`-o` must not name the database or a document being audited: writing it would destroy an input."""
    from auditor.audit import collect_paths
    from auditor.fileio import same_file

    if same_file(output, db_path):
        raise AuditorError(f"-o {output} is the audit database (--db); choose another output file")
    files, _ = collect_paths(paths)
    for f in files + [Path(p) for p in paths]:
        if same_file(output, f):
            raise AuditorError(f"-o {output} is one of the documents being audited; choose another output file")


def exit_code(findings_severities: list[str], fail_on: str) -> int:
    """0 when nothing is at or above fail_on, else 1."""
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[s] >= threshold for s in findings_severities) else 0


def run_audit(paths: list[str], *, db_path: str, html_dir: str | None, fmt: str | None, output: str | None,
              fail_on: str | None, select: list[str], ignore: list[str], config_path: str | None,
              check_links: bool = False, links: LinkOptions | None = None, today: dt.date | None = None,
              quiet: bool = False, manuscript: bool = False, doc_timeout: float | None = None,
              check_sources: bool = False, offline: bool = False, jobs: int | None = None,
              scheduler: str | None = None, force: bool = False, show_files: bool = False,
              stdin_filename: str | None = None, statistics: bool = False, baseline: str | None = None) -> int:
    """Audit the paths, store the run, print the result; return the exit code."""
    from auditor import output as out
    from auditor.audit import plan_units
    from auditor.pipeline import default_jobs
    from auditor.store import open_db, previous_run_id

    # Linter habits (auditor/habits.py): `-` reads standard input, --show-files lists and stops, --baseline.
    paths, stdin = habits.split_stdin(paths, stdin_filename, manuscript)
    settings = resolve_settings(habits.discovery_paths(paths, stdin), config_path, select, ignore, fail_on)
    if show_files:
        return habits.show_files(paths, settings, manuscript, stdin)
    known = habits.load_baseline(baseline, settings)
    options = links or LinkOptions()
    for pattern, replacement in options.remap:
        check_remap(pattern, replacement, "--remap")
    options.apply(settings.links)
    fmt = fmt or settings.format
    if output:
        refuse_output_over_inputs(output, db_path, paths)
    db = open_db(db_path)  # fail early, before any work, when the database is unusable
    stdin_doc = habits.read_input(stdin)
    units, problems = plan_units(paths, settings, manuscript, stdin_doc)
    for problem in problems:
        click.echo(f"Error: {clean_line(problem)}", err=True)
    day = today or dt.date.today()
    run = AuditRun(settings, day, jobs or settings.jobs or default_jobs(), scheduler or settings.scheduler,
                   doc_timeout, quiet or statistics, known)
    command = "audit " + ("--manuscript " if manuscript else "") + " ".join(paths + (["-"] if stdin_doc else []))
    recorded = {"select": settings.select, "ignore": settings.ignore, "fail_on": settings.fail_on,
                "config": settings.source, "check_links": check_links, "check_sources": check_sources,
                "rules": habits.run_rules(settings, check_links, check_sources)}
    colour = fmt == "text" and use_colour(sys.stdout)
    stream = fmt == "text" and not output
    if check_links or check_sources:
        run_id = run.checked(db, units, command, recorded, check_links, check_sources, options, offline)
    else:
        run_id = run.streamed(db, units, command, recorded, force=force, show=stream, colour=colour)
    if run_id is None:
        click.echo("Error: no document could be read; nothing was audited.", err=True)
        return 2
    try:
        previous = previous_run_id(db, run_id)
        changes = out.changes_between(db, previous, run_id) if previous else None
        if stream and run.streamed_documents:  # the documents are out: the closing lines
            click.echo("\n".join(out.text_summary(db, run_id, changes, quiet, run.link_summary, colour, statistics))
                       + "\n", nl=False, color=True if colour else None)
        else:
            text = out.render(fmt, db, run_id, changes=changes, quiet=quiet, link_summary=run.link_summary,
                              statistics=statistics)
            if output:
                write_atomic(output, text)  # never coloured
            if fmt == "text" or not output:
                if colour:
                    text = out.render(fmt, db, run_id, changes=changes, quiet=quiet, link_summary=run.link_summary,
                                      colour=True, statistics=statistics)
                click.echo(text, nl=False, color=True if colour else None)
        if html_dir:
            from auditor.report import render_html

            index = render_html(db, run_id, Path(html_dir))
            if fmt == "text" and not quiet:
                click.echo(f"HTML report: {clean_line(index)}")
    except KeyboardInterrupt:
        # The run is in the database already: say so, rather than the generic "nothing was stored".
        click.echo(f"Interrupted; the run was stored as run {run_id} in {clean_line(db_path)}, but its "
                   f"output may be incomplete (`auditor report` renders it again).", err=True)
        return 130
    severities = [r[0] for r in db.execute("select severity from findings where run_id = ? and suppressed = 0",
                                           [run_id])]
    return exit_code(severities, settings.fail_on)


class NothingRead(Exception):
    """No document of the run could be read: the run is rolled back."""


class AuditRun:
    """One `auditor audit`: its units run where the settings say (worker processes, a Dask cluster) and
    stream to the one writer of the database, printing each document as it is stored."""

    def __init__(self, settings: Settings, today: dt.date, jobs: int, scheduler: str | None,
                 doc_timeout: float | None, quiet: bool, baseline: Baseline | None = None) -> None:
        self.settings, self.today, self.jobs, self.scheduler = settings, today, jobs, scheduler
        self.doc_timeout, self.quiet, self.baseline = doc_timeout, quiet, baseline
        self.link_summary: str | None = None
        self.streamed_documents = False

    def streamed(self, db: Any, units: list[Unit], command: str, recorded: dict[str, Any], *, force: bool,
                 show: bool, colour: bool) -> int | None:
        """Audit the units, each stored as it finishes (unchanged ones copied from their last audit
        unless force); return the run's id, or None when no document could be read (nothing stored)."""
        from auditor import output as out
        from auditor.baseline import mark_baselined
        from auditor.pipeline import Job, run_units, unit_key
        from auditor.store import Reuse, RunWriter, document_row, reusable, run_documents, run_totals
        from auditor.terminal import Progress
        from auditor.timestamps import now_iso

        mode = "audit" + (f" baseline {self.baseline.digest()}" if self.baseline is not None else "")
        keys = [unit_key(u, self.settings, mode) for u in units]
        left = Counter(self.baseline.counts) if self.baseline is not None else None
        reuse: dict[int, list[int]] = {}
        if not force:
            stored = reusable(db, {k: len(u.files) for k, u in zip(keys, units, strict=True) if k}, self.today)
            reuse = {i: stored[k] for i, k in enumerate(keys) if k in stored}
        fresh = [u for i, u in enumerate(units) if i not in reuse]
        job = Job(self.settings, self.today)
        progress = Progress(len(units), "Auditing")
        paths = [str(f) for u in units for f in u.files]
        try:
            with RunWriter(db, now_iso(), __version__, command, recorded, paths=paths) as writer:
                slots = [writer.reserve(len(u.files)) for u in units]
                writer.reuse([(Reuse(old, units[i].manuscript), slots[i]) for i, old in reuse.items()])
                # (their rows for the output, read at once: so far the run holds only them)
                shown = {d["id"]: d for d in run_documents(db, writer.run_id)} if show and reuse else {}
                if left is not None:  # what the copies hold baselined is spent
                    left.subtract(r[0] for r in db.execute(
                        "select fingerprint from findings where run_id = ? and baselined = 1", [writer.run_id]))
                outcomes = run_units(fresh, job, jobs=self.jobs, doc_timeout=self.doc_timeout,
                                     scheduler=self.scheduler)
                for i, unit in enumerate(units):
                    progress.update(i, unit.name)
                    if i not in reuse:  # (the unchanged ones were copied above)
                        _, outcome = next(outcomes)
                        assert outcome.rows is not None
                        if left is not None:
                            mark_baselined(outcome.rows, left)
                        for d in outcome.rows.documents:
                            if d.document["error"]:
                                progress.echo(f"Error: {clean_line(d.document['error'])}\n", sys.stderr)
                        writer.write(outcome.rows, slots[i], keys[i], self.today.isoformat())
                    for doc_id in slots[i] if show else ():
                        row = shown.get(doc_id) or document_row(db, doc_id)
                        lines = out.text_document(db, row, self.quiet, colour)
                        if lines:
                            progress.echo("\n".join(lines) + "\n", sys.stdout)
                            self.streamed_documents = True
                progress.update(len(units))
                if not run_totals(db, writer.run_id)["readable"]:
                    raise NothingRead
                return writer.finish(now_iso()).run_id
        except NothingRead:
            return None
        finally:
            progress.close()

    def checked(self, db: Any, units: list[Unit], command: str, recorded: dict[str, Any], check_links: bool,
                check_sources: bool, options: LinkOptions, offline: bool) -> int | None:
        """Audit the units keeping their parsed documents, check their links and sources, then store the
        run with its link records (one transaction)."""
        from auditor.audit import AuditResult, check_links_of
        from auditor.pipeline import Job, run_units
        from auditor.store import save_run
        from auditor.timestamps import now_iso

        result = AuditResult(now_iso())
        job = Job(self.settings, self.today, keep=True)
        for _, outcome in run_units(units, job, jobs=self.jobs, doc_timeout=self.doc_timeout, scheduler=self.scheduler):
            result.documents.extend(outcome.results)
        result.finished_at = now_iso()
        for d in result.documents:
            if d.error:
                click.echo(f"Error: {clean_line(d.error)}", err=True)
        if not result.readable:
            return None
        records = checked_at = None
        if check_links:
            from auditor.linkcheck import OFFLINE_MESSAGE, check_run_links, summary

            checked_at = dt.datetime.now(dt.UTC)
            records = check_run_links(result, self.settings, db, archive=options.archive,
                                      allow_private=options.allow_private, remap=options.remap, now=checked_at,
                                      scheduler=self.scheduler)
            if records.offline:
                click.echo(f"Error: {OFFLINE_MESSAGE}.", err=True)
            check_links_of(result, records, self.settings, self.today)
            self.link_summary = summary(records)
        if check_sources:
            from auditor.sources.run import check_run_sources

            source_summary = check_run_sources(result, self.settings, db, offline=offline, today=self.today)
            self.link_summary = f"{self.link_summary}\n{source_summary}" if self.link_summary else source_summary
        # One transaction: the run, its documents and findings, and the link records of its checks.
        ids = save_run(db, result.started_at, result.finished_at, __version__, command, result.documents,
                       recorded, links=records, checked_at=checked_at,
                       baseline=Counter(self.baseline.counts) if self.baseline is not None else None)
        return ids.run_id


def _existing_db(db_path: str, hint: str):
    """Open a database that must already exist (reading commands never create one)."""
    from auditor.store import open_db

    if not Path(db_path).exists():
        raise AuditorError(f"{db_path}: no such database; {hint}")
    return open_db(db_path)


def render_report(db_path: str, out_dir: str, run_id: int | None) -> Path:
    from auditor.report import render_html
    from auditor.store import latest_run_id

    db = _existing_db(db_path, "run 'auditor audit' first")
    run = run_id or latest_run_id(db)
    if run is None:
        raise AuditorError(f"{db_path}: the database holds no completed run")
    if not store.run_exists(db, run):
        raise AuditorError(f"{db_path}: there is no run {run}")
    return render_html(db, run, Path(out_dir))


def run_links(db_path: str, *, older_than: str | None, fmt: str, links: LinkOptions, config_path: str | None,
              now: dt.datetime | None = None, fail_on_dead: bool = False, html_dir: str | None = None,
              no_html: bool = False) -> int:
    """`auditor links`: re-check the stored URLs, then render the latest run's report again so that its
    link counts are today's (into --html, or the database's folder when a report of this tool is there,
    as `reports/` holds both by default)."""
    from auditor.audit import is_own_report
    from auditor.linkcheck import recheck_links

    for pattern, replacement in links.remap:
        check_remap(pattern, replacement, "--remap")
    db, settings = _stored(db_path, older_than, config_path, "run 'auditor audit --check-links' first")
    links.apply(settings.links)
    code = recheck_links(db, settings, older_than=older_than, fmt=fmt, archive=links.archive,
                         allow_private=links.allow_private, remap=links.remap, now=now, fail_on_dead=fail_on_dead)
    folder = Path(html_dir) if html_dir else Path(db_path).parent
    wanted = not no_html and (html_dir is not None or is_own_report(folder))
    if code != 2 and wanted and (run := store.latest_run_id(db)) is not None:
        from auditor.report import render_html

        index = render_html(db, run, folder)
        if fmt == "text":
            click.echo(f"HTML report: {clean_line(index)}")
    return code


def _stored(db_path: str, older_than: str | None, config_path: str | None, hint: str) :
    """For the re-checking commands: the existing database and the settings (given, or found beside it)."""
    if older_than is not None:
        parse_duration(older_than, "--older-than")
    db = _existing_db(db_path, hint)
    if config_path:
        settings = load_settings(Path(config_path))
    else:
        settings, notes = discover_settings(Path(db_path))
        for note in notes:
            click.echo(clean(note), err=True)
    return db, settings


def run_sources(db_path: str, *, older_than: str | None, fmt: str, config_path: str | None,
                now: dt.datetime | None = None) -> int:
    from auditor.sources.run import recheck_sources

    db, settings = _stored(db_path, older_than, config_path, "run 'auditor audit --check-sources' first")
    return recheck_sources(db, settings, older_than=older_than, fmt=fmt, now=now)


def diff_runs(db_path: str, old_run: int | None, new_run: int | None, fmt: str) -> str:
    from auditor import output as out
    from auditor.store import latest_run_id, previous_run_id

    db = _existing_db(db_path, "run 'auditor audit' first")
    latest = latest_run_id(db)
    if latest is None:
        raise AuditorError(f"{db_path}: the database holds no completed run")
    # `diff` compares the latest run with the one before; `diff A` compares A with the latest; `diff A B`, A with B.
    new = new_run if new_run is not None else latest
    old = old_run
    if old is None:
        old = previous_run_id(db, new)
    if old is None:
        raise AuditorError(f"run {new} has no earlier run of the same documents to compare with")
    for r in (old, new):
        if not store.run_exists(db, r):
            raise AuditorError(f"{db_path}: there is no run {r}")
    changes = out.changes_between(db, old, new)
    return out.format_changes(changes, fmt)

