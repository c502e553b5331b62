"""A unit's results as database rows, built where the unit was audited (a worker process or a cluster
worker) so that the single writer only inserts.

A unit is one document, or the files of one manuscript (whose entries share one numbering). Rows carry
*ordinals* where the database will hold ids: entry and citation ordinals count from 0 within the unit,
and the writer adds the ids it reserves for the unit (`store.RunWriter`). Plain tuples in the column
order below keep what crosses the process boundary small and the writer's `executemany` direct.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from auditor.model import PartialDate
from auditor.store import DocumentResult, fingerprint

ENTRY_COLUMNS = ("line", "end_line", "raw", "authors", "author_text", "year", "title", "container", "urls", "doi",
                 "accessed", "accessed_text", "published", "kind", "number", "section", "subsection",
                 "cited_count", "label", "locator")
CITATION_COLUMNS = ("line", "column", "raw", "kind", "authors", "year", "number", "status", "marker", "locator")
FINDING_COLUMNS = ("rule", "severity", "line", "column", "message", "suggestion", "fingerprint", "subject",
                   "suppressed", "path", "locator", "baselined")


@dataclass
class DocumentRows:
    """One file's rows. `entries`: (ordinal, refers_to ordinal, source ordinal, *ENTRY_COLUMNS);
    `citations`: (ordinal, entry ordinal, suggestion ordinal, candidate ordinals (a tuple), *CITATION_COLUMNS);
    `findings`: (entry ordinal, citation ordinal, related entry ordinal, *FINDING_COLUMNS); `links`: (entry ordinal, url)."""

    path: str
    document: dict[str, object]
    text: str | None = None
    entries: list[tuple[object, ...]] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    citations: list[tuple[object, ...]] = field(default_factory=list)
    findings: list[tuple[object, ...]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"error": int(self.document["errors"]), "warning": int(self.document["warnings"]),  # type: ignore[call-overload]
                "info": int(self.document["infos"])}  # type: ignore[call-overload]


@dataclass
class UnitRows:
    """The rows of one unit: its files in order, the manuscript they form (if any), how many entry and
    citation ordinals they use, and the latest access date any entry gives (for incremental reuse)."""

    documents: list[DocumentRows]
    manuscript: str | None
    entry_count: int
    citation_count: int
    latest_date: str | None = None


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def latest_day(date: PartialDate) -> str:
    """The last day a partial date can mean, as ISO text (2024 → 2024-12-31), for a safe comparison."""
    return f"{date.year:04d}-{date.month or 12:02d}-{date.day or 31:02d}"


def unit_rows(results: list[DocumentResult], manuscript: str | None = None) -> UnitRows:
    """The rows of a unit's results (one file, or a manuscript's files sharing entry indexes)."""
    from auditor.report import document_title

    entry_ord: dict[int, int] = {}
    cited: dict[int, int] = {}
    for r in results:
        if r.parsed is None:
            continue
        for e in r.parsed.entries:
            entry_ord[e.index] = len(entry_ord)
        for c in r.parsed.citations:
            if c.entry_index is not None:
                cited[c.entry_index] = cited.get(c.entry_index, 0) + 1
    docs: list[DocumentRows] = []
    next_citation = 0
    latest: str | None = None
    for r in results:
        parsed = r.parsed
        doc = parsed.document if parsed else None
        counts = {s: sum(1 for f in r.findings if f.severity.value == s and not f.suppressed)
                  for s in ("error", "warning", "info")}
        text = "\n".join(doc.lines) if doc else None
        rows = DocumentRows(r.path, {
            "path": r.path, "name": Path(r.path).name, "sha256": doc.sha256 if doc else None,
            "format": doc.format if doc else None, "encoding": doc.encoding if doc else None,
            "line_count": len(doc.lines) if doc else None,
            "entries_count": len(parsed.entries) if parsed else 0,
            "citations_count": len(parsed.citations) if parsed else 0,
            "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"], "error": r.error,
            "repaired_lines": json.dumps(doc.repaired_lines) if doc else None,
            "title": document_title(text, doc.format) if doc and text is not None else None,
            "text_sha256": text_key(text) if text is not None else None,
        }, text=text)
        docs.append(rows)
        if parsed is None or doc is None:
            continue
        locator = doc.locator
        for e in parsed.entries:
            if e.accessed:
                day = latest_day(e.accessed)
                latest = day if latest is None or day > latest else latest
            rows.entries.append((
                entry_ord[e.index], entry_ord.get(e.refers_to) if e.refers_to is not None else None,
                entry_ord.get(e.source) if e.source is not None else None,
                e.line, e.end_line, e.raw, json.dumps(e.authors, ensure_ascii=False), e.author_text, e.year,
                e.title, e.container, json.dumps(e.urls, ensure_ascii=False), e.doi,
                e.accessed.iso() if e.accessed else None, e.accessed_text,
                e.published.iso() if e.published else None, e.kind, e.number, e.section, e.subsection,
                cited.get(e.index, 0), e.label, locator(e.line)))
            rows.links.extend((entry_ord[e.index], url) for url in e.urls)
        citation_ord: dict[int, int] = {}
        for c in parsed.citations:
            citation_ord[c.index] = next_citation
            next_citation += 1
            rows.citations.append((
                citation_ord[c.index], entry_ord.get(c.entry_index) if c.entry_index is not None else None,
                entry_ord.get(c.suggestion_index) if c.suggestion_index is not None else None,
                tuple(entry_ord[i] for i in c.candidates if i in entry_ord),
                c.line, c.column, c.raw, c.kind, json.dumps(c.names, ensure_ascii=False), c.year, c.number,
                c.status, c.marker, locator(c.line)))
        for f in r.findings:
            rows.findings.append((
                entry_ord.get(f.entry_index) if f.entry_index is not None else None,
                citation_ord.get(f.citation_index) if f.citation_index is not None else None,
                entry_ord.get(f.related_entry_index) if f.related_entry_index is not None else None,
                f.rule, f.severity.value, f.line, f.column, f.message, f.suggestion,
                fingerprint(f.rule, r.path, f.subject), f.subject, int(f.suppressed), r.path, locator(f.line),
                int(f.baselined)))
    return UnitRows(docs, manuscript, len(entry_ord), next_citation, latest)
