"""Parse a document: find its reference lists, split and parse the entries, find the citations."""

from __future__ import annotations

import bisect
import re

from auditor.matching import link_notes_to_bibliography, match_citations
from auditor.model import (
    Citation,
    CitationKind,
    Document,
    Entry,
    EntryKind,
    Paragraph,
    ParsedDocument,
    ReferenceSection,
)
from auditor.parsing.citations import build_paragraphs, find_citations
from auditor.parsing.entries import looks_like_reference, parse_entries, reads_as_reference, resolve_notes
from auditor.parsing.sections import reference_sections

# Footnote definitions: Pandoc/GFM "[^1]:" and reStructuredText ".. [1] …".
# The paragraph index of a declared citation that lies in no paragraph of prose (a caption, a table).
NO_PARAGRAPH = 1 << 30
FOOTNOTE_DEF = re.compile(r"^\s*(?:\[\^\d{1,4}\]:|\.\.\s+\[\d{1,4}\]\s)")


def parse_document(doc: Document) -> ParsedDocument:
    """Find the reference lists and citations of a document and match them to each other."""
    parsed = parse_references(doc)
    cite_document(parsed)
    return parsed


def parse_references(doc: Document) -> ParsedDocument:
    """Find a document's reference lists, their entries and its paragraphs of text (no citations yet)."""
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
    doubtful: list[ReferenceSection] = []
    for section in sections:
        found = parse_entries(doc, section, first_index=len(entries))
        for e in found:
            if e.kind in ("reference", "note") and re.match(r"^\s*(?:[-*•]\s*)?(?:\d{4}[.,]|<?https?://)", e.raw):
                e.kind = EntryKind.FRAGMENT
        real = [e for e in found if e.kind != "fragment"]
        declared_notes = section.items is not None and section.footnotes  # notes a reader found by structure
        # Entries of a structured source (a BibTeX database) are references by their form, however short.
        structured = section.items is not None and any(i.record is not None for i in section.items)
        looking = sum(looks_like_reference(e) for e in real)
        if not declared_notes and not structured and ((len(real) >= 3 and looking * 5 < len(real) * 2) or (real and not looking)):
            doubtful.append(section)
            continue  # prose under a heading such as "Sources", not a reference list
        if section.items is None and not _reads_as_list(section, real):
            doubtful.append(section)
            continue  # (a list a reader declared from the document's structure is one by its form)
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
    return ParsedDocument(doc, kept, entries, [], paragraphs, doubtful_sections=doubtful)


def cite_document(parsed: ParsedDocument, entries: list[Entry] | None = None) -> None:
    """Find the citations in a document's paragraphs and match them to its entries, or to those given.

    A file of a manuscript passes its own notes and the bibliography entries of every file.
    """
    entries = parsed.entries if entries is None else entries
    kept = parsed.sections
    paragraphs = parsed.paragraphs
    numbered_entries = [e for e in entries if e.number is not None and not e.is_footnote]
    numbered = len(numbered_entries) >= max(1, len([e for e in entries if not e.is_footnote]) // 2)
    notes = any(s.footnotes for s in kept)
    if not entries:
        # No list at all: bracketed numbers may still be note markers that point at nothing.
        probe = find_citations(paragraphs, numbered=True, notes=False)
        numbered = len({c.number for c in probe if c.number is not None}) >= 2
    note_numbers = {e.number for e in entries if e.is_footnote and e.number is not None}
    labels = {e.key for e in entries if e.key and e.list_style == "label"}
    citations = find_citations(paragraphs, numbered=numbered, notes=notes, note_numbers=note_numbers,
                               labels=labels if len(labels) >= 2 else None,
                               glued_keys=parsed.document.format == "md" and bool(entries),
                               note_groups={e.group for e in entries if e.group})
    if parsed.document.declared_citations is not None:
        citations = merge_declared(parsed.document, citations, paragraphs, entries)
    view = ParsedDocument(parsed.document, kept, entries, citations, paragraphs)
    match_citations(view)
    parsed.citations = view.citations
    parsed.numbered = numbered or notes


def merge_declared(doc: Document, found: list[Citation], paragraphs: list[Paragraph],
                   entries: list[Entry]) -> list[Citation]:
    """The text scanner's citations with the reader's exact ones in their place: a text citation on the
    span of a declared one is dropped (the declared one knows its key), the rest are kept."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for d in doc.declared_citations or []:
        first = d.raw.split("\n", 1)[0]
        spans.setdefault(d.line, []).append((d.column, d.column + max(1, len(first))))
    kept = [c for c in found if not any(a <= c.column < b for a, b in spans.get(c.line, ()))]
    where: dict[int, tuple[Paragraph | None, int, int]] = {}  # line: its paragraph, offset and column there
    for para in paragraphs:
        for offset, line, column in para.segments:
            where.setdefault(line, (para, offset, column))
    every = [e.key for e in entries if e.key and not e.is_footnote]
    for d in doc.declared_citations or []:
        home, start, column = where.get(d.line, (None, 0, d.column))
        offset = start + max(0, d.column - column)
        keys = every if d.nocite and d.key == "*" else [d.key]
        for key in keys:
            kept.append(Citation(0, d.line, d.column, key, CitationKind.KEY, marker=d.marker or d.raw, nocite=d.nocite,
                                 paragraph=home.index if home else NO_PARAGRAPH, offset=offset, group_start=offset,
                                 field_text=d.field_text))
    # A text citation whose bracket holds a declared one ("Doe and Smith (<xref>2020</xref>)") is that one.
    declared = sorted((c.paragraph, c.offset) for c in kept if c.kind == "key")
    kept = [c for c in kept if c.kind == "key" or not _holds(declared, c)]
    kept.sort(key=lambda c: (c.line, c.column))
    return kept


def _holds(declared: list[tuple[int, int]], c: Citation) -> bool:
    """Whether a declared citation lies inside the bracket a text citation was read from."""
    start = min(c.group_start, c.offset)
    end = max(c.group_start + len(c.marker), c.offset + len(c.raw), start + 1)
    i = bisect.bisect_left(declared, (c.paragraph, start))
    return i < len(declared) and declared[i][0] == c.paragraph and declared[i][1] < end


def _reads_as_list(section: ReferenceSection, entries: list[Entry]) -> bool:
    """Whether most items read like references (two signals each: see entries.reads_as_reference). A notes
    section may hold explanatory notes, so there numbered items are enough; bulleted prose under
    "Catatan" is not a list of notes."""
    if not entries:
        return False
    numbers = [e.number for e in entries if e.number is not None]
    if section.footnotes and len(numbers) * 2 >= len(entries):
        return True
    if len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return True  # numbered 1, 2, 3, … under a reference heading: a list by its form
    if len(entries) <= 2 and not section.footnotes and section.heading:
        return True  # one or two items under a reference heading: too few to judge by content
    strong = 0
    for e in entries:  # until half of them read as references
        strong += reads_as_reference(e)
        if strong * 2 >= len(entries):
            return True
    return False
