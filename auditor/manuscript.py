"""A manuscript split over several files, audited as one: a thesis with one file per chapter and the
reference list (DAFTAR PUSTAKA) in a file of its own.

Each file is loaded and its reference lists, entries and paragraphs are found as usual; then the
entries of all files are pooled and every file's citations are matched against the pool, so that
`(Sugiyono, 2017)` in `bab2.md` resolves to the entry in `daftar_pustaka.md`. Footnotes stay per
file (their numbering restarts in every chapter of a Word export): a file's note markers point at
its own notes, while author-year citations and a numbered bibliography are shared.

Rules that judge the whole work (is an entry cited anywhere? does the text have sources at all?)
see the pooled manuscript; every other rule looks at its own file, and every finding keeps the file
and line it points into.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor.checks import AuditContext, run_checks
from auditor.config import Settings, _path_matches
from auditor.documents import load_document
from auditor.errors import ConfigError, DocumentError
from auditor.matching import link_notes_to_bibliography
from auditor.model import Document, ParsedDocument
from auditor.parsing import cite_document, parse_references
from auditor.store import DocumentResult

DIGITS = re.compile(r"(\d+)")


@dataclass
class Manuscript:
    """Files audited as one manuscript, in reading order."""

    name: str
    files: list[Path] = field(default_factory=list)


def natural_key(path: Path) -> list[int | str]:
    """Sort key that puts bab2.md before bab10.md: runs of digits compare as numbers."""
    parts = DIGITS.split(path.as_posix().casefold())
    # re.split alternates text and digits, so equal positions always hold the same kind of value.
    return [int(p) if i % 2 else p for i, p in enumerate(parts)]


def manuscript_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    """The files of `--manuscript PATHS`: files in the order given, each folder's documents in natural order."""
    from auditor.audit import collect_paths

    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        found, bad = collect_paths([raw])
        problems.extend(bad)
        files.extend(sorted(found, key=natural_key) if Path(raw).is_dir() else found)
    unique: list[Path] = []
    seen: set[str] = set()
    for f in files:
        key = str(f.resolve())
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def manuscript_name(paths: list[str]) -> str:
    """A name for a manuscript given on the command line: its folder's name, or the files' common folder."""
    given = [Path(p) for p in paths]
    if len(given) == 1:
        p = given[0].resolve()
        return p.name if p.is_dir() else p.stem
    parents = {p.resolve().parent for p in given}
    if len(parents) == 1:
        return parents.pop().name or "manuscript"
    return "manuscript"


def group_files(files: list[Path], settings: Settings) -> list[Path | Manuscript]:
    """The files to audit, with those of each configured manuscript gathered into one unit.

    A manuscript takes the place of its first file; its files are ordered by the first of its
    patterns that each matches, then naturally. A file two manuscripts claim is a configuration error.
    """
    if not settings.manuscripts:
        return list(files)
    units: list[Path | Manuscript] = []
    found: dict[str, Manuscript] = {}
    order: dict[Path, tuple[int, list[int | str]]] = {}
    for f in files:
        claims = []
        for name, patterns in settings.manuscripts.items():
            rank = next((i for i, pattern in enumerate(patterns) if _path_matches(str(f), pattern, settings.root)),
                        None)
            if rank is not None:
                claims.append((name, rank))
        if len(claims) > 1:
            names = " and ".join(f"'{n}'" for n, _ in claims)
            raise ConfigError(f"{settings.source or 'configuration'}: manuscripts: {f} belongs to both {names}")
        if not claims:
            units.append(f)
            continue
        name, rank = claims[0]
        order[f] = (rank, natural_key(f))
        if name not in found:
            found[name] = Manuscript(name)
            units.append(found[name])
        found[name].files.append(f)
    for m in found.values():
        m.files.sort(key=lambda f: order[f])
    return units


def audit_manuscript(manuscript: Manuscript, settings: Settings, today: dt.date,
                     strict: bool = False) -> list[DocumentResult]:
    """Audit the files of a manuscript as one work; one result per file, each with its own findings."""
    from auditor.audit import apply_suppressions

    results: list[DocumentResult] = []
    for path in manuscript.files:
        try:
            doc = load_document(path)
        except DocumentError as exc:
            results.append(DocumentResult(str(path), error=str(exc), manuscript=manuscript.name))
            continue
        results.append(DocumentResult(str(path), parse_references(doc), manuscript=manuscript.name))
    parts = [r.parsed for r in results if r.parsed is not None]
    whole = pool(manuscript.name, parts)
    for result in results:
        if result.parsed is None:
            continue
        ctx = AuditContext(result.parsed, today, settings.for_path(result.path), manuscript=whole)
        result.findings = run_checks(ctx, settings.enabled_rules(result.path), settings.severities, strict=strict)
        apply_suppressions(result.parsed.document.ignore_directives, result.findings)
    return results


def pool(name: str, parts: list[ParsedDocument]) -> ParsedDocument:
    """Pool the entries of the files, find and match every file's citations against them; return the whole.

    Entry indexes are made unique across the manuscript, so that a citation in one file can point
    at an entry of another and the rules can look any entry up by its index.
    """
    offset = 0
    for parsed in parts:
        for e in parsed.entries:
            e.index += offset
            e.refers_to = e.refers_to + offset if e.refers_to is not None else None
            e.source = e.source + offset if e.source is not None else None
            if len(parts) > 1:
                e.file = parsed.document.name
        offset += len(parsed.entries)
    everything = [e for parsed in parts for e in parsed.entries]
    # A note in a chapter cites its work's entry in the shared bibliography.
    link_notes_to_bibliography(everything)
    for parsed in parts:
        # The file's own notes and every file's bibliography entries, in the order of the manuscript.
        visible = [e for other in parts for e in other.entries if other is parsed or not e.is_footnote]
        cite_document(parsed, visible)
    document = Document(name, "manuscript", "", "", [])
    return ParsedDocument(document, [s for p in parts for s in p.sections], everything,
                          [c for p in parts for c in p.citations], [g for p in parts for g in p.paragraphs],
                          numbered=any(p.numbered for p in parts))
