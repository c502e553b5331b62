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
import glob
import re
from dataclasses import dataclass, field
from pathlib import Path

from auditor.config import Settings
from auditor.documents import FORMATS, companions, load_document
from auditor.errors import ConfigError, DocumentError
from auditor.model import Document, ParsedDocument
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
    from auditor.audit import collect_paths, unique_files

    files: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        found, bad = collect_paths([raw])
        problems.extend(bad)
        files.extend(sorted(found, key=natural_key) if Path(raw).is_dir() else found)
    return unique_files(files), problems


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


def configured_manuscripts(settings: Settings) -> dict[str, list[Path]]:
    """The files of each manuscript of the configuration, in order: pattern by pattern, each naturally.

    Patterns are globs (`**` included) relative to the configuration file's folder. A file that two
    manuscripts claim is a configuration error.
    """
    root = settings.root or Path.cwd()
    members: dict[str, list[Path]] = {}
    owner: dict[Path, str] = {}
    for name, patterns in settings.manuscripts.items():
        files: list[Path] = []
        for pattern in patterns:
            found = (Path(f) for f in glob.glob(str(root / pattern), recursive=True))
            for f in sorted((f.resolve() for f in found if f.is_file() and f.suffix.lower() in FORMATS and f.suffix),
                            key=natural_key):
                if owner.get(f, name) != name:
                    raise ConfigError(f"{settings.source or 'configuration'}: manuscripts: {f} belongs to both "
                                      f"'{owner[f]}' and '{name}'")
                if f not in owner:
                    owner[f] = name
                    files.append(f)
        members[name] = files
    return members


def group_files(files: list[Path], settings: Settings) -> list[Path | Manuscript]:
    """The files to audit, with each configured manuscript that one of them belongs to as one unit.

    A manuscript takes the place of the first of its files given and brings all its files along, so
    that auditing one chapter (as a pre-commit hook does) still matches it against the shared list.
    A document that names its own parts (a LaTeX or Pandoc paper and its .bib) is a manuscript of them.
    """
    if not settings.manuscripts:
        return with_companions(files)
    members = configured_manuscripts(settings)
    owner = {f: name for name, fs in members.items() for f in fs}
    given = {f.resolve(): f for f in files}
    units: list[Path | Manuscript] = []
    done: set[str] = set()
    for f in files:
        name = owner.get(f.resolve())
        if name is None:
            units.extend(with_companions([f]))
        elif name not in done:
            done.add(name)
            units.append(Manuscript(name, [given.get(m) or _shown(m) for m in members[name]]))
    return units


def with_companions(files: list[Path]) -> list[Path | Manuscript]:
    """Each file that names its parts becomes a manuscript of itself and them; a part given on its own
    as well (the .bib beside the paper in the folder) is audited only within its paper."""
    from auditor.audit import unique_files

    named = {f: companions(f) for f in files}
    if not any(named.values()):
        return list(files)  # no document names parts (most folders): nothing to group
    real = {f: f.resolve() for f in files}  # each path resolved once: a large archive has many
    parts = {f: [p for p in named[f] if p.resolve() != real[f]] for f in files}
    claimed = {p.resolve() for found in parts.values() for p in found}
    units: list[Path | Manuscript] = []
    covered: set[Path] = set()
    # A part is audited within the document that names it, even when it names parts of its own (a
    # chapter that \input's its sections); a document no other names is a unit of its own.
    for f in [f for f in files if real[f] not in claimed] + [f for f in files if real[f] in claimed]:
        if real[f] in covered or not parts[f]:
            continue
        members = unique_files([f, *parts[f]])
        covered.update(m.resolve() for m in members)
        units.append(Manuscript(f.stem, members))
    units.extend(f for f in files if not parts[f] and real[f] not in covered)
    order = {real[f]: i for i, f in enumerate(files)}
    units.sort(key=lambda u: order.get(real.get(u.files[0] if isinstance(u, Manuscript) else u)
                                       or (u.files[0] if isinstance(u, Manuscript) else u).resolve(), len(order)))
    return units


def _shown(path: Path) -> Path:
    """A file the user did not name, as a path relative to the working folder when it is under it."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def audit_manuscript(manuscript: Manuscript, settings: Settings, today: dt.date,
                     strict: bool = False) -> list[DocumentResult]:
    """Audit the files of a manuscript as one work; one result per file, each with its own findings."""
    from auditor.audit import apply_suppressions
    from auditor.checks import AuditContext, run_checks
    from auditor.parsing import parse_references

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
    from auditor.matching import link_notes_to_bibliography
    from auditor.parsing import cite_document

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
