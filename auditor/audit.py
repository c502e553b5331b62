"""The audit pipeline: collect → load → parse → match → check → (links) → store.

Each stage is a function from data to data; this module strings them together and is what the
CLI's `audit` command calls.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.config import Settings
from auditor.documents import FORMATS, NAMED_ONLY, WHOLE_FILE, load_document
from auditor.errors import DocumentError
from auditor.manuscript import group_files, manuscript_files, manuscript_name
from auditor.model import Document, Finding, ParsedDocument
from auditor.pipeline import Unit
from auditor.store import DocumentResult
from auditor.timestamps import now_iso

if TYPE_CHECKING:
    from auditor.linkcheck.records import LinkRun

# The parsers and the checks are imported when a document is audited, not to plan a run: a second
# run over unchanged documents, and the commands that only read the database, never need them.


def parse_document(doc: Document) -> ParsedDocument:
    """auditor.parsing.parse_document, imported on first use."""
    from auditor.parsing import parse_document as parse

    return parse(doc)

META_FILES = ("readme", "license", "licence", "changelog", "contributing", "copying", "notice")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _expand_folder(folder: Path, problems: list[str], real: dict[Path, str] | None = None) -> list[Path]:
    """The documents under folder, walking without following symbolic links to folders; `real` gets
    each file's resolved path, known from the walk (resolving 10,000 files again costs half a second).

    A file reached through a symbolic link is read only when the link leads to a file inside the
    folder: a manuscript folder may not make the tool read /etc/passwd or a key file and store its text.
    """
    root = folder.resolve()
    found: list[Path] = []
    ignores = GitIgnores(folder)
    for dirpath, dirs, files in _walk(folder):
        here = Path(dirpath)
        real_here = root / os.path.relpath(dirpath, folder)  # no folder link is followed: resolved as is
        ignores.enter(here)
        dirs[:] = sorted((d for d in dirs if not d.name.startswith(".") and not d.name.endswith(".egg-info")
                          and not ignores.ignored(here / d.name, folder=True) and not is_own_report(here / d.name)),
                         key=lambda d: d.name)
        for d in dirs:
            link = here / d.name
            if d.is_symlink() and not _inside(link.resolve(), root):
                problems.append(f"{link}: a symbolic link to a folder outside {folder}; not followed")
        for entry in files:
            name = entry.name
            suffix = os.path.splitext(name)[1].lower()
            if name.startswith(".") or suffix not in FORMATS or not suffix or name.lower().startswith(META_FILES):
                continue
            f = here / name
            if ignores.specs and ignores.ignored(f, real=real_here / name):
                continue
            symlink = entry.is_symlink()
            if symlink and not _inside(f.resolve(), root):
                problems.append(f"{f}: a symbolic link to a file outside {folder}; not read")
                continue
            if suffix in NAMED_ONLY and not _jats_article(f):
                continue  # a .json or .yaml is audited when named (by the user or by a paper's front matter)
            try:
                regular = entry.is_file()
            except OSError:
                regular = False
            if regular:
                found.append(f)
                if real is not None:
                    real[f] = str(f.resolve() if symlink else real_here / name)
    return sorted(found)


def _walk(top: Path) -> Iterator[tuple[str, list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """os.walk(top, followlinks=False) top-down, with the directory entries themselves (their type is
    known from the listing: no stat per file). The caller may prune the folders list in place; a
    folder that cannot be listed is skipped (unreadable_folders reports it)."""
    stack = [str(top)]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError:
            continue
        dirs: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        yield here, dirs, files
        stack.extend(reversed([d.path for d in dirs if not d.is_symlink()]))


class GitIgnores:
    """The .gitignore files that apply while walking a folder, as git reads them: the repository's from
    its top down to the folder, then each folder's own as the walk enters it. Patterns are relative to
    the folder of their .gitignore; a negation (!) re-includes only within its own file."""

    def __init__(self, start: Path) -> None:
        self.specs: list[tuple[Path, Any]] = []
        top = start.resolve()
        chain = [top]
        for parent in top.parents:
            if (chain[-1] / ".git").exists():
                break
            chain.append(parent)
        else:
            chain = [top]  # not inside a repository: only the walked folders' own files count
        for folder in reversed(chain[1:]):
            self._read(folder)

    def _read(self, folder: Path) -> None:
        import pathspec

        path = folder / ".gitignore"
        try:
            if not path.is_file() or path.stat().st_size > 1_000_000:
                return
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        self.specs.append((folder.resolve(), pathspec.GitIgnoreSpec.from_lines(lines)))

    def enter(self, folder: Path) -> None:
        self._read(folder)

    def ignored(self, path: Path, folder: bool = False, real: Path | None = None) -> bool:
        """Whether git would ignore the path; real: the path with its folders already resolved (a walk
        knows it, and resolving every file of a large archive again costs seconds)."""
        full = real if real is not None else path.resolve() if not path.is_symlink() else path.absolute()
        for base, spec in self.specs:
            try:
                rel = full.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + "/" if folder else rel):
                return True
        return False


def is_own_report(folder: Path) -> bool:
    """Whether a folder holds an HTML report this tool wrote (its pages are output, not documents)."""
    index = folder / "index.html"
    try:
        with open(index, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    return b'name="generator" content="citation-auditor' in head
def _jats_article(path: Path) -> bool:
    """Whether an .xml file found in a folder is a JATS article (its first bytes say so)."""
    if path.suffix.lower() not in (".xml", ".nxml") or not path.is_file():
        return False
    from auditor.jats import looks_like_jats

    try:
        with open(path, "rb") as handle:
            return looks_like_jats(handle.read(65536))
    except OSError:
        return False


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
    real: dict[Path, str] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = _expand_folder(p, problems, real)
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
    return unique_files(files, real), problems


def unique_files(files: list[Path], real: dict[Path, str] | None = None) -> list[Path]:
    """The files in order, each once however it was named (real: resolved paths already known)."""
    unique: list[Path] = []
    seen: set[str] = set()
    for f in files:
        key = real[f] if real and f in real else str(f.resolve())
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
    return audit_document(doc, path, settings, today, strict)


def audit_document(doc: Document, path: Path | str, settings: Settings, today: dt.date,
                   strict: bool = False) -> DocumentResult:
    """Parse and check a document already read (from a file, or from standard input)."""
    from auditor.checks import AuditContext, run_checks

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


def check_links_of(result: AuditResult, links: LinkRun, settings: Settings, today: dt.date) -> None:
    """Run the link rules over every readable document with the link checker's records, through the
    same registry path as the other rules (selection, severity, suppression, order)."""
    from auditor.checks import RULES, AuditContext, run_checks

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
    whole = directives.get(WHOLE_FILE, set())
    for f in findings:
        rules = directives.get(f.line or -1, set()) | whole
        if rules and ("*" in rules or f.rule in rules):
            f.suppressed = True


def plan_units(paths: list[str], settings: Settings, manuscript: bool = False,
               stdin: tuple[str, bytes] | None = None) -> tuple[list[Unit], list[str]]:
    """What to audit: the units (documents, manuscripts) under the paths, then the document read from
    standard input (`-`, auditor/stdin.py) if any, and messages for bad paths."""
    from auditor.pipeline import units_in

    if manuscript:
        files, problems = manuscript_files(paths)
        units = [Unit(files, manuscript_name(paths))] if files else []
    else:
        files, problems = collect_paths(paths)
        units = units_in(group_files(files, settings))
    if stdin is not None:
        units.append(Unit([Path(stdin[0])], data=stdin[1]))
    return units, problems


def audit_paths(paths: list[str], settings: Settings, today: dt.date | None = None,
                strict: bool = False, manuscript: bool = False, doc_timeout: float | None = None,
                jobs: int = 1, scheduler: str | None = None, stdin: tuple[str, bytes] | None = None) -> AuditResult:
    """Audit every document under the given paths, each within `doc_timeout` seconds when given; with
    manuscript, all of them as one manuscript. Every result is kept, parsed documents included (link and
    source checks read them); `commands.run_audit` streams results to the database instead."""
    from auditor.pipeline import Job, run_units

    result = AuditResult(now_iso())
    units, result.problems = plan_units(paths, settings, manuscript, stdin)
    job = Job(settings, today or dt.date.today(), strict, keep=True)
    for _, outcome in run_units(units, job, jobs=jobs, doc_timeout=doc_timeout, scheduler=scheduler):
        result.documents.extend(outcome.results)
    result.finished_at = now_iso()
    return result
