"""The audit pipeline: collect → load → parse → match → check → (links) → store.

Each stage is a function from data to data; this module strings them together and is what the
CLI's `audit` command calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from auditor.checks import AuditContext, run_checks
from auditor.config import Settings
from auditor.documents import FORMATS, load_document
from auditor.errors import DocumentError
from auditor.manuscript import Manuscript, audit_manuscript, group_files, manuscript_files, manuscript_name
from auditor.model import Finding
from auditor.parsing import parse_document
from auditor.store import DocumentResult

META_FILES = ("readme", "license", "licence", "changelog", "contributing", "copying", "notice")


def collect_paths(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Expand folders into the documents they hold; return the files and messages for bad paths."""
    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in FORMATS and f.suffix
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and not f.stem.lower().startswith(META_FILES)
            )
            if not found:
                problems.append(f"{p}: no documents found (looked for {', '.join(s for s in FORMATS if s)})")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    unique: list[Path] = []
    seen: set[str] = set()
    for f in files:
        key = str(f.resolve())
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


@dataclass
class AuditResult:
    started_at: str
    finished_at: str = ""
    documents: list[DocumentResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def readable(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.parsed is not None]


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def audit_file(path: Path, settings: Settings, today: dt.date, strict: bool = False) -> DocumentResult:
    """Load, parse and check one document; a document that cannot be read becomes an error result."""
    try:
        doc = load_document(path)
    except DocumentError as exc:
        return DocumentResult(str(path), error=str(exc))
    parsed = parse_document(doc)
    ctx = AuditContext(parsed, today, settings.for_path(str(path)))
    findings = run_checks(ctx, settings.enabled_rules(str(path)), settings.severities, strict=strict)
    apply_suppressions(doc.ignore_directives, findings)
    return DocumentResult(str(path), parsed, findings)


def apply_suppressions(directives: dict[int, set[str]], findings: list[Finding]) -> None:
    """Mark findings that an `<!-- auditor-ignore: rule -->` comment on the line above suppresses."""
    for f in findings:
        rules = directives.get(f.line or -1)
        if rules and ("*" in rules or f.rule in rules):
            f.suppressed = True


def audit_paths(paths: list[str], settings: Settings, today: dt.date | None = None,
                strict: bool = False, manuscript: bool = False) -> AuditResult:
    """Audit every document under the given paths; with manuscript, all of them as one manuscript."""
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
            result.documents.append(audit_file(unit, settings, today, strict))
    result.finished_at = now_iso()
    return result

