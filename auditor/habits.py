"""Linter habits of `auditor audit`, kept apart from the pipeline: `-` for standard input, --show-files,
the baseline, and the rules a run had enabled (so that comparing runs compares like with like).

`commands.run_audit` calls these in a few separated lines; the logic lives here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.baseline import Baseline, apply_baseline, read_baseline
from auditor.config import Settings
from auditor.errors import AuditorError
from auditor.terminal import clean_line

__all__ = ["apply_baseline", "discovery_paths", "load_baseline", "read_input", "run_rules", "show_files",
           "split_stdin"]


def split_stdin(paths: list[str], stdin_filename: str | None, manuscript: bool) -> tuple[list[str], str | None]:
    """The paths without `-`, and the name standard input's document goes by (None when it is not read)."""
    from auditor.stdin import STDIN

    files = [p for p in paths if p != STDIN]
    if len(files) == len(paths):
        if stdin_filename:
            raise AuditorError("--stdin-filename names the document read from standard input: give `-` as a path")
        return paths, None
    if manuscript:
        raise AuditorError("`-` (standard input) cannot be part of a --manuscript; give the files by name")
    if stdin_filename is not None and not stdin_filename.strip():
        raise AuditorError("--stdin-filename needs a file name")
    return files, stdin_filename or STDIN


def discovery_paths(paths: list[str], stdin: str | None) -> list[str]:
    """Where the configuration is looked for: from the first path, or the folder --stdin-filename names."""
    if paths or stdin is None or stdin == "-":
        return paths
    return [str(Path(stdin).parent)]


def read_input(stdin: str | None) -> tuple[str, bytes] | None:
    from auditor.stdin import read_stdin

    return read_stdin(stdin) if stdin is not None else None


def show_files(paths: list[str], settings: Settings, manuscript: bool, stdin: str | None) -> int:
    """--show-files: print what `audit` would read, after discovery (.gitignore, own reports) and grouping
    into manuscripts, one file a line (a manuscript's files marked with its name); audit and store nothing."""
    from auditor.audit import plan_units

    units, problems = plan_units(paths, settings, manuscript) if paths or manuscript else ([], [])
    for problem in problems:
        click.echo(f"Error: {clean_line(problem)}", err=True)
    for unit in units:
        if unit.manuscript is not None:
            for f in unit.files:
                click.echo(f"{clean_line(f)}  (manuscript {clean_line(unit.manuscript)})")
        else:
            click.echo(clean_line(unit.files[0]))
    if stdin is not None:
        click.echo(f"{clean_line(stdin)}  (standard input)" if stdin != "-" else "-  (standard input)")
    return 0


def baseline_location(option: str | None, settings: Settings) -> Path | None:
    """The baseline file: --baseline, else `baseline` of the configuration (relative to its folder)."""
    if option:
        return Path(option)
    if settings.baseline:
        return (settings.root or Path(".")) / settings.baseline
    return None


def load_baseline(option: str | None, settings: Settings) -> Baseline | None:
    where = baseline_location(option, settings)
    return read_baseline(where) if where is not None else None


def run_rules(settings: Settings, check_links: bool, check_sources: bool) -> list[str]:
    """The rules a run has enabled: selected and not ignored, the link and source rules only with their checks."""
    from auditor.catalogue import RULES

    return sorted(r for r in settings.enabled_rules()
                  if (RULES[r].family != "links" or check_links) and (RULES[r].family != "sources" or check_sources))


def write_baseline(paths: list[str], *, baseline: str | None, config_path: str | None, select: list[str],
                   ignore: list[str], manuscript: bool, doc_timeout: float | None, today=None) -> int:
    """`auditor baseline`: audit the documents (nothing stored) and record their findings in the baseline file."""
    from auditor.audit import audit_paths
    from auditor.baseline import baseline_text, default_path
    from auditor.commands import resolve_settings
    from auditor.fileio import write_atomic

    settings = resolve_settings(paths, config_path, select, ignore, None)
    target = baseline_location(baseline, settings) or default_path(settings.root)
    result = audit_paths(paths, settings, today=today, manuscript=manuscript, doc_timeout=doc_timeout)
    for problem in result.problems:
        click.echo(f"Error: {clean_line(problem)}", err=True)
    for d in result.documents:
        if d.error:
            click.echo(f"Error: {clean_line(d.error)}", err=True)
    if not result.readable:
        click.echo("Error: no document could be read; no baseline was written.", err=True)
        return 2
    text = baseline_text(result)
    write_atomic(target, text)
    count = sum(1 for d in result.readable for f in d.findings if not f.suppressed)
    click.echo(f"Recorded {count} finding(s) of {len(result.readable)} document(s) in {clean_line(target)}.")
    if baseline_location(None, settings) is None and not baseline:
        click.echo(f"Use it with `auditor audit --baseline {clean_line(target)}`, or add "
                   f"baseline = \"{clean_line(target.name)}\" to [tool.auditor].", err=True)
    sys.stdout.flush()
    return 0
