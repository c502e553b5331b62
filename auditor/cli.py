"""Command line: thin wrappers that parse options, call one library function, and map errors to exit codes.

Exit codes: 0 no finding at or above --fail-on; 1 some are; 2 usage, configuration or input errors.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor import __version__
from auditor.bounds import INT_RANGES, MAX_SECONDS
from auditor.catalogue import OUTPUT_FORMATS
from auditor.errors import AuditorError
from auditor.terminal import COLOUR_MODES, clean, clean_line, set_colour_mode

if TYPE_CHECKING:
    from auditor.config import LinkOptions

DEFAULT_DB = "reports/audit.db"
DEFAULT_DOCS = "."  # like a linter: the current folder (the demo names references/ itself)
F = TypeVar("F", bound=Callable[..., Any])


class AuditorGroup(click.Group):
    """Turn the tool's own errors into `Error: …` and exit 2; never show a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AuditorError as exc:
            click.echo(f"Error: {clean(exc)}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing of this run was stored.", err=True)
            ctx.exit(130)
        except OSError as exc:
            where = f" ({clean_line(exc.filename)})" if getattr(exc, "filename", None) else ""
            click.echo(f"Error: {clean(exc.strerror or exc)}{where}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: say so plainly, without a traceback (AUDITOR_DEBUG=1 shows it)
            if os.environ.get("AUDITOR_DEBUG"):
                raise
            click.echo(f"Error: internal error {type(exc).__name__}: {clean(exc)}. Please report it "
                       f"(run with AUDITOR_DEBUG=1 for the details).", err=True)
            ctx.exit(2)


def _set_colour(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # The group's option sets the mode for each invocation (auto when not given); a command's only when given.
    if value is not None or ctx.parent is None:
        set_colour_mode(value)
    return value


color_option = click.option("--color", type=click.Choice(COLOUR_MODES), default=None, expose_value=False,
                            callback=_set_colour,
                            help="Colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.")


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@color_option
def cli() -> None:
    """Audit the citations, reference lists and cited sources of documents before publication."""


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, declared once and shared by the commands that take them."""

    def apply(func: F) -> F:
        for d in reversed(decorators):
            func = d(func)
        return func

    return apply


db_option = click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
                         help="SQLite database of the runs.")
config_option = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="Configuration file to use.")
today_option = click.option("--today", hidden=True, help="Pretend it is this day (YYYY-MM-DD), for tests.")
# How links are fetched: on `audit` (with --check-links) and `links`. The numbers override the
# configuration's [tool.auditor.links], as lychee's flags do; their bounds are the configuration's.
LINK_FLAGS = ("archive", "allow_private", "remap", "timeout", "deadline", "per_host", "concurrency")
link_options = _options(
    click.option("--archive", is_flag=True, help="Look up archived copies of dead links."),
    click.option("--allow-private", is_flag=True, help="Allow private and loopback addresses."),
    click.option("--remap", nargs=2, multiple=True, metavar="PATTERN REPLACEMENT",
                 help="Rewrite URLs before fetching (regular expression; repeatable)."),
    click.option("--timeout", type=click.FloatRange(min=0, min_open=True, max=MAX_SECONDS), metavar="SECONDS",
                 help="Seconds to wait for a server to connect or send (default 10)."),
    click.option("--deadline", type=click.FloatRange(min=0, min_open=True, max=MAX_SECONDS), metavar="SECONDS",
                 help="Seconds a URL may take in all, redirects and retries' waits included (default 30)."),
    click.option("--per-host", type=click.IntRange(*INT_RANGES["per-host"]), metavar="N",
                 help="Requests at a time to one host (default 2)."),
    click.option("--concurrency", type=click.IntRange(*INT_RANGES["concurrency"]), metavar="N",
                 help="Requests at a time in all (default 32)."),
)


def _link_overrides(options: dict[str, Any]) -> LinkOptions:
    from auditor.config import LinkOptions

    return LinkOptions(archive=options["archive"], allow_private=options["allow_private"],
                       remap=list(options["remap"]), timeout=options["timeout"], deadline=options["deadline"],
                       per_host=options["per_host"], concurrency=options["concurrency"])


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@db_option
@click.option("--html", "html_dir", default="reports", show_default=True, help="Folder for the HTML report.")
@click.option("--no-html", is_flag=True, help="Do not write the HTML report.")
@click.option("--format", "fmt", type=click.Choice(list(OUTPUT_FORMATS)), default=None,
              help="Output format (default text).")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), help="Write the formatted output here.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Exit 1 when a finding is at or above this severity (default error).")
@click.option("--select", multiple=True, help="Only these rules or families (repeatable, or comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rules or families (repeatable, or comma-separated).")
@config_option
@click.option("--check-links", is_flag=True, help="Also fetch every cited URL and check it (the options below "
                                                   "need it).")
@link_options
@click.option("--check-sources", is_flag=True,
              help="Also look up each scholarly entry in Crossref, DataCite and OpenAlex (exists? same work? retracted?).")
@click.option("--offline", is_flag=True, help="With --check-sources: use only results cached in the database.")
@click.option("--manuscript", is_flag=True,
              help="Audit the files (in the order given; a folder's in natural order) as one manuscript.")
@click.option("--doc-timeout", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="Give up on a document that takes longer than this (0: no limit); the others go on.")
@click.option("--jobs", "-j", type=click.IntRange(1, 1024), default=None, metavar="N",
              help="Worker processes auditing documents in parallel (default: the cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the documents' audits on this Dask cluster (tcp://host:8786); needs the [cluster] extra.")
@click.option("--force", is_flag=True, help="Audit every document again, even those unchanged since their last audit.")
@today_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option("--show-files", is_flag=True, help="Print the files that would be audited and exit (nothing is audited "
                                                "or stored).")
@click.option("--stdin-filename", metavar="NAME", help="The name (and so the format) of the document read from "
                                                      "standard input with `-` (default: `-`, read as Markdown).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="Findings recorded in this file by `auditor baseline` are shown as baselined and do not fail "
                   "the run (default: `baseline` of [tool.auditor]).")
@color_option
def audit(paths: tuple[str, ...], db_path: str, html_dir: str, no_html: bool, fmt: str | None,
          output: str | None, fail_on: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
          config_path: str | None, check_links: bool, check_sources: bool, offline: bool, manuscript: bool,
          doc_timeout: float, jobs: int | None, scheduler: str | None, force: bool, today: str | None,
          quiet: bool, show_files: bool, stdin_filename: str | None, statistics: bool, baseline: str | None,
          **link_flags: Any) -> None:
    """Audit documents (default: the current folder; `-` reads standard input) and record the run in the
    database."""
    from auditor.commands import run_audit

    if not check_links:
        given = [f"--{name.replace('_', '-')}" for name in LINK_FLAGS if link_flags[name] not in (None, False, ())]
        if given:
            raise click.UsageError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --check-links "
                                   f"(without it no link is fetched)")
    if offline and not check_sources:
        raise click.UsageError("--offline only makes sense with --check-sources")
    given = list(paths) or (["-"] if stdin_filename else [DEFAULT_DOCS])
    code = run_audit(given, db_path=db_path, html_dir=None if no_html else html_dir,
                     fmt=fmt, output=output, fail_on=fail_on, select=list(select), ignore=list(ignore),
                     config_path=config_path, check_links=check_links, links=_link_overrides(link_flags),
                     today=_date(today), quiet=quiet, manuscript=manuscript, doc_timeout=doc_timeout,
                     check_sources=check_sources, offline=offline, jobs=jobs, scheduler=scheduler, force=force,
                     show_files=show_files, stdin_filename=stdin_filename, statistics=statistics, baseline=baseline)
    sys.exit(code)


@cli.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False), metavar="FILE",
              help="The file to write (default: `baseline` of [tool.auditor], else .auditor-baseline.json beside "
                   "the configuration file or here).")
@click.option("--select", multiple=True, help="Only these rules or families (repeatable, or comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rules or families (repeatable, or comma-separated).")
@config_option
@click.option("--manuscript", is_flag=True, help="Audit the files as one manuscript (as `audit --manuscript`).")
@click.option("--doc-timeout", type=click.FloatRange(min=0), default=60, show_default=True, metavar="SECONDS",
              help="Give up on a document that takes longer than this (0: no limit).")
@today_option
def baseline_command(paths: tuple[str, ...], baseline: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
                     config_path: str | None, manuscript: bool, doc_timeout: float, today: str | None) -> None:
    """Record today's findings (default: of the current folder) in a baseline file, so that
    `audit --baseline` fails only on new ones."""
    from auditor.habits import write_baseline

    sys.exit(write_baseline(list(paths) or [DEFAULT_DOCS], baseline=baseline, config_path=config_path,
                            select=list(select), ignore=list(ignore), manuscript=manuscript,
                            doc_timeout=doc_timeout, today=_date(today)))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules(fmt: str) -> None:
    """List every rule with its default severity and what it checks."""
    from auditor.catalogue import list_rules

    click.echo(list_rules(fmt))


@cli.command("rule")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rule_command(name: str, fmt: str) -> None:
    """Explain one rule: what it finds, an example, its message and fix."""
    from auditor.catalogue import explain_rule

    click.echo(explain_rule(name, fmt))


@cli.command()
@db_option
@click.option("--out", "out_dir", default="reports", show_default=True, help="Folder to write the report into.")
@click.option("--run", "run_id", type=int, help="The run to render (default: the latest).")
def report(db_path: str, out_dir: str, run_id: int | None) -> None:
    """Render the HTML report of a run."""
    from auditor.commands import render_report

    index = render_report(db_path, out_dir, run_id)
    click.echo(f"Report written to {clean_line(index)}")


@cli.command()
@db_option
@click.option("--older-than", default=None, help="Re-check URLs last checked longer ago than this (default 7d).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--fail-on-dead", is_flag=True, help="Exit 1 while any cited link is dead (not only when one died "
                                                   "since the last check).")
@click.option("--html", "html_dir", default=None, metavar="FOLDER",
              help="Render the latest run's report here afterwards (default: the database's folder when a "
                   "report is there).")
@click.option("--no-html", is_flag=True, help="Do not re-render the HTML report.")
@link_options
@config_option
@today_option
def links(db_path: str, older_than: str | None, fmt: str, fail_on_dead: bool, html_dir: str | None, no_html: bool,
          config_path: str | None, today: str | None, **link_flags: Any) -> None:
    """Re-check the URLs in the database whose last check is old (for cron); exit 1 if a link died
    (with --fail-on-dead: while any cited link is dead)."""
    from auditor.commands import run_links

    now = None
    if today:
        day = _date(today)
        now = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC) if day else None
    sys.exit(run_links(db_path, older_than=older_than, fmt=fmt, links=_link_overrides(link_flags),
                       config_path=config_path, now=now, fail_on_dead=fail_on_dead,
                       html_dir=html_dir, no_html=no_html))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--older-than", default=None, help="Look up again sources checked longer ago than this "
                                                 "(default: sources.cache-age, 30d).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def sources(db_path: str, older_than: str | None, fmt: str, config_path: str | None) -> None:
    """Look up the stored scholarly sources again (for cron); exit 1 if a work was retracted or vanished."""
    from auditor.commands import run_sources

    sys.exit(run_sources(db_path, older_than=older_than, fmt=fmt, config_path=config_path))


@cli.command()
@click.argument("old_run", type=int, required=False)
@click.argument("new_run", type=int, required=False)
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def diff(old_run: int | None, new_run: int | None, db_path: str, fmt: str) -> None:
    """Compare the findings of two runs (default: the latest against the one before)."""
    from auditor.commands import diff_runs

    click.echo(diff_runs(db_path, old_run, new_run, fmt))


def main() -> None:
    cli(prog_name="auditor")


if __name__ == "__main__":  # pragma: no cover
    main()

