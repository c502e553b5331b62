"""The audit pipeline: collect → load → parse → match → check → (links) → store.

Each stage is a function from data to data; this module strings them together and is what the
CLI's `audit` command calls.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from auditor.checks import AuditContext, run_checks
from auditor.config import Settings
from auditor.documents import FORMATS, load_document
from auditor.errors import DocumentError
from auditor.linkcheck.records import LinkRun
from auditor.manuscript import Manuscript, audit_manuscript, group_files, manuscript_files, manuscript_name
from auditor.model import Finding
from auditor.parsing import parse_document
from auditor.store import DocumentResult
from auditor.timestamps import now_iso

META_FILES = ("readme", "license", "licence", "changelog", "contributing", "copying", "notice")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _expand_folder(folder: Path, problems: list[str]) -> list[Path]:
    """The documents under folder, walking without following symbolic links to folders.

    A file reached through a symbolic link is read only when the link leads to a file inside the
    folder: a manuscript folder may not make the tool read /etc/passwd or a key file and store its text.
    """
    root = folder.resolve()
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for d in dirnames:
            link = here / d
            if link.is_symlink() and not _inside(link.resolve(), root):
                problems.append(f"{link}: a symbolic link to a folder outside {folder}; not followed")
        for name in filenames:
            f = here / name
            if name.startswith(".") or f.suffix.lower() not in FORMATS or not f.suffix:
                continue
            if f.stem.lower().startswith(META_FILES):
                continue
            if f.is_symlink() and not _inside(f.resolve(), root):
                problems.append(f"{f}: a symbolic link to a file outside {folder}; not read")
                continue
            if f.is_file():
                found.append(f)
    return sorted(found)


def _outside_link(p: Path) -> bool:
    """Whether a file given by name is a symbolic link leading out of its folder (and out of the cwd)."""
    if not p.is_symlink():
        return False
    target = p.resolve()
    folder = p.absolute().parent.resolve()
    cwd = Path.cwd().resolve()
    return not (_inside(target, folder) or (_inside(folder, cwd) and _inside(target, cwd)))


def collect_paths(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Expand folders into the documents they hold; return the files and messages for bad paths."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = _expand_folder(p, problems)
            problems.extend(f"{d}: folder cannot be read ({why}); its documents were not audited"
                            for d, why in unreadable_folders(p))
            if not found:
                problems.append(f"{p}: no documents found (looked for {', '.join(s for s in FORMATS if s)})")
            files.extend(found)
        elif _outside_link(p):
            problems.append(f"{p}: a symbolic link to a file outside its folder; not read")
        elif p.exists():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return unique_files(files), problems


def unique_files(files: list[Path]) -> list[Path]:
    """The files in order, each once however it was named."""
    unique: list[Path] = []
    seen: set[str] = set()
    for f in files:
        key = str(f.resolve())
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def unreadable_folders(root: Path) -> list[tuple[str, str]]:
    """Folders under root (not hidden) whose contents cannot be listed, with the reason."""
    failed: list[tuple[str, str]] = []

    def note(exc: OSError) -> None:
        failed.append((str(exc.filename), exc.strerror or str(exc)))

    for _top, dirs, _ in os.walk(root, onerror=note):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
    return failed


@dataclass
class AuditResult:
    started_at: str
    finished_at: str = ""
    documents: list[DocumentResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def readable(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.parsed is not None]


def audit_file(path: Path, settings: Settings, today: dt.date, strict: bool = False) -> DocumentResult:
    """Load, parse and check one document; a document that cannot be read becomes an error result, and
    so does one the auditor fails on (the run goes on with the others)."""
    try:
        doc = load_document(path)
    except DocumentError as exc:
        return DocumentResult(str(path), error=str(exc))
    try:
        parsed = parse_document(doc)
        ctx = AuditContext(parsed, today, settings.for_path(str(path)))
        findings = run_checks(ctx, settings.enabled_rules(str(path)), settings.severities, strict=strict)
    except Exception as exc:  # a bug or an input the parsers cannot take: this document only
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        return DocumentResult(str(path), error=f"{path}: could not be audited ({type(exc).__name__}: {exc})")
    apply_suppressions(doc.ignore_directives, findings)
    return DocumentResult(str(path), parsed, findings)


def _document_worker(conn, path: Path, settings: Settings, today: dt.date, strict: bool,
                     parent: int) -> None:
    from auditor.procs import quiet_worker

    quiet_worker(parent)
    try:
        result = audit_file(path, settings, today, strict)
    except Exception as exc:  # noqa: BLE001 -- reported by the parent as this document's error
        result = DocumentResult(str(path), error=f"{path}: internal error {type(exc).__name__}: {exc}")
    conn.send(result)
    conn.close()


def audit_file_bounded(path: Path, settings: Settings, today: dt.date, strict: bool = False,
                       timeout: float | None = None) -> DocumentResult:
    """audit_file in a forked worker process that gets `timeout` seconds; past it the worker is killed and
    the document gets an error. Without fork (or without a timeout) the document is audited in-process.

    A worker process rather than a signal or a cooperative check: a regular expression or the HTML
    parser can spend minutes in C code where neither runs, and a runaway document's memory goes with
    its process."""
    if not timeout or timeout <= 0 or not hasattr(os, "fork"):
        return audit_file(path, settings, today, strict)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_document_worker, args=(sender, path, settings, today, strict, os.getpid()),
                       daemon=True, name="auditor-document")
    proc.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            return DocumentResult(str(path), error=f"{path}: not audited: it took longer than the per-document "
                                                   f"time limit of {timeout:g} s (--doc-timeout)")
        try:
            result: DocumentResult = receiver.recv()
        except (EOFError, OSError):
            proc.join(5)
            return DocumentResult(str(path), error=f"{path}: not audited: the process auditing it ended "
                                                   f"unexpectedly (exit code {proc.exitcode})")
        return result
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()


def check_links_of(result: AuditResult, links: LinkRun, settings: Settings, today: dt.date) -> None:
    """Run the link rules over every readable document with the link checker's records, through the
    same registry path as the other rules (selection, severity, suppression, order)."""
    from auditor.checks import RULES

    link_rules = {name for name, r in RULES.items() if r.family == "links"}
    for d in result.readable:
        assert d.parsed is not None
        ctx = AuditContext(d.parsed, today, settings.for_path(d.path), links=links.records)
        added = run_checks(ctx, settings.enabled_rules(d.path) & link_rules, settings.severities)
        apply_suppressions(d.parsed.document.ignore_directives, added)
        d.findings.extend(added)
        d.findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))


def apply_suppressions(directives: dict[int, set[str]], findings: list[Finding]) -> None:
    """Mark findings that an `<!-- auditor-ignore: rule -->` comment on the line above suppresses."""
    for f in findings:
        rules = directives.get(f.line or -1)
        if rules and ("*" in rules or f.rule in rules):
            f.suppressed = True


def audit_paths(paths: list[str], settings: Settings, today: dt.date | None = None,
                strict: bool = False, manuscript: bool = False, doc_timeout: float | None = None) -> AuditResult:
    """Audit every document under the given paths, each within `doc_timeout` seconds when given; with
    manuscript, all of them as one manuscript."""
    result = AuditResult(now_iso())
    today = today or dt.date.today()
    units: list[Path | Manuscript]
    if manuscript:
        files, result.problems = manuscript_files(paths)
        units = [Manuscript(manuscript_name(paths), files)] if files else []
    else:
        files, result.problems = collect_paths(paths)
        units = group_files(files, settings)
    for unit in units:
        if isinstance(unit, Manuscript):
            result.documents.extend(audit_manuscript(unit, settings, today, strict))
        else:
            result.documents.append(audit_file_bounded(unit, settings, today, strict, doc_timeout))
    result.finished_at = now_iso()
    return result

