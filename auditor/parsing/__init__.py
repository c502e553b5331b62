"""Parse a document: find its reference lists, split and parse the entries, find the citations."""

from __future__ import annotations

import re

from auditor.matching import link_notes_to_bibliography, match_citations
from auditor.model import Document, Entry, ParsedDocument, ReferenceSection
from auditor.parsing.citations import build_paragraphs, find_citations
from auditor.parsing.entries import looks_like_reference, parse_entries, resolve_notes
from auditor.parsing.sections import reference_sections

FOOTNOTE_DEF = re.compile(r"^\s*\[\^\d{1,4}\]:")


def parse_document(doc: Document) -> ParsedDocument:
    """Find the reference lists and citations of a document and match them to each other."""
    sections = reference_sections(doc)
    if not any(s.footnotes for s in sections):
        defs = [n for n, line in enumerate(doc.lines, 1) if FOOTNOTE_DEF.match(line)]
        if defs:
            inside = [s for s in sections if s.start <= defs[0] <= s.end]
            if not inside:
                # The definitions run until the next heading or reference list, or the end.
                end = len(doc.lines)
                for n in range(defs[0] + 1, len(doc.lines) + 1):
                    if re.match(r"^\s*#{1,6}\s", doc.lines[n - 1]) or any(s.heading_line == n for s in sections):
                        end = n - 1
                        break
                sections.append(ReferenceSection(None, None, defs[0], end, footnotes=True))
                sections.sort(key=lambda s: s.start)
    entries: list[Entry] = []
    kept: list[ReferenceSection] = []
    for section in sections:
        found = parse_entries(doc, section, first_index=len(entries))
        for e in found:
            if e.kind in ("reference", "note") and re.match(r"^\s*(?:[-*•]\s*)?(?:\d{4}[.,]|<?https?://)", e.raw):
                e.kind = "fragment"
        real = [e for e in found if e.kind != "fragment"]
        declared_notes = section.items is not None and section.footnotes  # notes a reader found by structure
        if not declared_notes and len(real) >= 3 and sum(looks_like_reference(e) for e in real) * 5 < len(real) * 2:
            continue  # prose under a heading such as "Sources", not a reference list
        if not found:
            continue
        for i, e in enumerate(found):
            e.index = len(entries) + i
        entries.extend(found)
        kept.append(section)
    resolve_notes(entries)
    link_notes_to_bibliography(entries)
    excluded: set[int] = set()
    for s in kept:
        excluded.update(range(s.heading_line or s.start, s.end + 1))
    paragraphs = build_paragraphs(doc, excluded)
    numbered_entries = [e for e in entries if e.number is not None and not e.is_footnote]
    numbered = len(numbered_entries) >= max(1, len([e for e in entries if not e.is_footnote]) // 2)
    notes = any(s.footnotes for s in kept)
    if not entries:
        # No list at all: bracketed numbers may still be note markers that point at nothing.
        probe = find_citations(paragraphs, numbered=True, notes=False)
        numbered = len({c.number for c in probe if c.number is not None}) >= 2
    note_numbers = {e.number for e in entries if e.is_footnote and e.number is not None}
    groups = {e.group for e in entries if e.group}
    citations = find_citations(paragraphs, numbered=numbered, notes=notes, note_numbers=note_numbers,
                               note_groups=groups)
    parsed = ParsedDocument(doc, kept, entries, citations, paragraphs, numbered=numbered or notes)
    match_citations(parsed)
    return parsed
