"""Citations against the reference list."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.checks.entries import duplicates
from auditor.checks.registry import AuditContext, Hit, rule
from auditor.documents import DATABASE_SECTION
from auditor.model import Citation, Entry, Severity
from auditor.parsing.entries import entry_marker
from auditor.parsing.urls import find_urls, is_doi_url, normalize_url

NOTE_REF_IN_NOTE = re.compile(r"\[(\d{1,4})\]|<sup>(\d{1,4})</sup>")


def _where(e: Entry) -> str:
    return f"line {e.line} of {e.file}" if e.file else f"line {e.line}"


def _text(c: Citation) -> str:
    return " ".join(c.raw.split())


def _confident(c: Citation) -> bool:
    """A citation whose form leaves no doubt: a number, a label, or "(Name, 2020)" in brackets. A narrative
    "Name (2020)" or a lower-case name is a reading of the text that may be wrong."""
    return c.kind in ("numbered", "label", "footnote", "key") or (c.kind == "author-year" and c.names[:1] != []
                                                             and c.names[0][:1].isupper())


@rule("unresolved-citation", severity=Severity.ERROR, family="citations",
      description="An in-text citation matches no entry of the reference list (a warning when the citation "
                  "is read from running text, as a narrative \u201cName (2020)\u201d is).",
      message="\u201c{citation}\u201d matches no entry in the reference list{closest}",
      fix="{fix}",
      example="(Brookngs 2022) when the list has Brookings. 2022.")
def unresolved_citation(ctx: AuditContext) -> Iterator[Hit]:
    footnotes = ctx.parsed.footnote_style
    has_list = bool(ctx.whole.entries)
    if not has_list:
        return  # no list at all: reference-list-not-found says so once
    doubtful = bool(ctx.parsed.doubtful_sections)
    unread = bool(ctx.parsed.document.unread_parts)  # a named bibliography could not be read
    for c in ctx.parsed.citations:
        if c.status != "unresolved" or c.nocite:
            continue  # (Pandoc and BibTeX do not complain of a \nocite key they cannot find either)
        if c.number is not None and footnotes:
            continue  # a note marker with no note: undefined-footnote
        if c.kind == "pandoc" and not has_list:
            continue  # the list is built from a .bib file the document does not contain
        closest = ctx.entry(c.suggestion_index)
        if closest is not None:
            extra = f"; the closest is {closest.label} ({_where(closest)})"
            fix = f"If {closest.label} is meant, correct the citation to match it; otherwise add the missing entry."
        elif c.number is not None:
            extra = ""
            fix = f"Add reference {c.number} to the list or correct the number."
        else:
            extra = ""
            fix = f"Add an entry for {c.label or _text(c)} to the reference list, or correct the citation."
        # "(Fourth Estate, 2012)" as a paragraph of its own: a header, more likely than a citation.
        alone = c.paragraph < len(ctx.parsed.paragraphs) and \
            ctx.parsed.paragraphs[c.paragraph].text.strip() == f"({c.marker.strip('()[] ')})"
        sure = _confident(c) and not alone and not doubtful and not unread
        yield Hit(c.line, {"citation": _text(c), "closest": extra, "fix": fix}, citation=c,
                  severity=None if sure else Severity.WARNING)


@rule("reference-list-not-found", severity=Severity.WARNING, family="citations",
      description="The text has citations (numbered markers, or author-year citations), but no reference list "
                  "or notes were found.",
      message="the text cites {count} sources ({sample}) but no reference list or notes were found",
      fix="Add the reference list (or the notes) the markers point to, under a heading such as "
          "\u201cReferences\u201d or \u201cDaftar Pustaka\u201d.",
      example="text[1] … text[2] … with no list at the end.")
def reference_list_not_found(ctx: AuditContext) -> Iterator[Hit]:
    if ctx.whole.entries:
        return
    numbers = sorted({c.number for c in ctx.parsed.citations if c.number is not None})
    if len(numbers) >= 2:
        sample = ", ".join(f"[{n}]" for n in numbers[:3]) + (", …" if len(numbers) > 3 else "")
        yield Hit(None, {"count": len(numbers), "sample": sample}, subject="document")
        return
    # Author-year citations in brackets ("(Sugiyono, 2017)"); a pandoc key's list is a .bib file.
    cited = sorted({_text(c) for c in ctx.parsed.citations
                    if (c.kind == "author-year" and _confident(c)) or c.kind == "narrative"})
    if len(cited) >= 2:
        sample = "; ".join(cited[:3]) + ("; …" if len(cited) > 3 else "")
        yield Hit(None, {"count": len(cited), "sample": sample}, subject="document")


@rule("ambiguous-citation", severity=Severity.ERROR, family="citations",
      description="An in-text citation fits two or more entries (same author and year, no a/b suffix).",
      message="\u201c{citation}\u201d fits {count} entries ({lines}); a reader cannot tell which is meant",
      fix="Give the entries year suffixes ({year}a, {year}b) and use them in the citations, "
          "or remove the duplicate entry.",
      example="(Kompas.com 2023) with two Kompas.com 2023 entries.")
def ambiguous_citation(ctx: AuditContext) -> Iterator[Hit]:
    twins = duplicates(ctx)

    def root(index: int) -> int:
        seen = set()
        while index in twins and index not in seen:
            seen.add(index)
            index = twins[index][0].index
        return index

    for c in ctx.parsed.citations:
        if c.status != "ambiguous":
            continue
        if len({root(i) for i in c.candidates}) == 1:
            continue  # the entries are one work listed twice: duplicate-entry reports that, once
        entries = [ctx.entry(i) for i in c.candidates]
        lines = ", ".join(_where(e) for e in entries if e)
        yield Hit(c.line, {"citation": _text(c), "count": len(c.candidates), "lines": lines,
                           "year": (c.year or "")[:4] or "n.d."}, citation=c)


@rule("citation-year-mismatch", severity=Severity.ERROR, family="citations",
      description="The cited author matches an entry but the year differs.",
      message="\u201c{citation}\u201d has the year {year}, but the entry for {author} ({lines}) has {entry_years}",
      fix="Correct the year to {entry_years} in the citation or in the entry, whichever is wrong.",
      example="(Muhid, 2023) when the entry is Muhid, H. K. (2024).")
def citation_year_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for c in ctx.parsed.citations:
        if c.status != "year-mismatch":
            continue
        entries = [e for e in (ctx.entry(i) for i in c.candidates) if e]
        years = sorted({e.year or "n.d." for e in entries})
        yield Hit(c.line, {"citation": _text(c), "year": c.year, "author": c.names[0] if c.names else "",
                           "lines": ", ".join(_where(e) for e in entries),
                           "entry_years": " or ".join(years)}, citation=c)


@rule("citation-missing-year", severity=Severity.WARNING, family="citations",
      description="An author-year citation gives no year; the author matches an entry.",
      message="\u201c{citation}\u201d gives no year; it seems to cite {entry} ({where})",
      fix="Write the citation as ({author} {year}).",
      example="(Mardalis Jakarta) for Mardalis. 1995.")
def citation_missing_year(ctx: AuditContext) -> Iterator[Hit]:
    for c in ctx.parsed.citations:
        if c.status != "missing-year":
            continue
        e = ctx.entry(c.suggestion_index if c.suggestion_index is not None
                      else c.candidates[0] if c.candidates else None)
        if e is None:
            continue
        yield Hit(c.line, {"citation": _text(c), "entry": e.label, "where": _where(e),
                           "author": (e.authors[0] if e.authors else e.author_text).split(",")[0],
                           "year": e.year or "n.d."},
                  citation=c)


@rule("citation-not-first-author", severity=Severity.INFO, family="citations",
      description="A citation names only an author who is not the entry's first author.",
      message="\u201c{citation}\u201d names {name}, who is not the first author of {entry} ({where})",
      fix="Cite the work by its first author: ({first} {year}).",
      example="(Ozdamar 2009) for Balkan Devlen, Ozgur Ozdamar. 2009.")
def citation_not_first_author(ctx: AuditContext) -> Iterator[Hit]:
    for c in ctx.parsed.citations:
        if c.status != "not-first-author":
            continue
        e = ctx.entry(c.entry_index)
        if e is None:
            continue
        first = (e.authors[0] if e.authors else e.author_text).split(",")[0]
        yield Hit(c.line, {"citation": _text(c), "name": c.names[0] if c.names else "", "entry": e.label,
                           "where": _where(e), "first": first, "year": e.year or "n.d."}, citation=c)


def _linked_urls(ctx: AuditContext) -> set[str]:
    """The URLs the text links to outside the reference lists, normalised (computed once per document)."""
    if "linked_urls" in ctx.cache:
        return ctx.cache["linked_urls"]
    doc = ctx.parsed.document
    inside: set[int] = set()
    for s in ctx.parsed.sections:
        inside.update(range(s.heading_line or s.start, s.end + 1))
    found: set[str] = set()
    for number, line in enumerate(doc.lines, 1):
        if number not in inside and number not in doc.skip_lines and ("://" in line or "www." in line):
            found.update(normalize_url(u) for u, _, _ in find_urls(line))
    ctx.cache["linked_urls"] = found
    return found


def _cited_indexes(ctx: AuditContext) -> set[int]:
    """Entries a citation or note points at, or that a citation plainly means despite a slip."""
    cited: set[int] = set()
    for c in ctx.whole.citations:
        if c.entry_index is not None:
            cited.add(c.entry_index)
        if c.status in ("ambiguous", "year-mismatch", "missing-year"):
            cited.update(c.candidates)
        if c.suggestion_index is not None:
            cited.add(c.suggestion_index)
    for e in ctx.whole.entries:
        if e.refers_to is not None and e.index in cited:
            cited.add(e.refers_to)
    # A bibliography entry is cited through the notes that cite its work.
    for e in ctx.whole.entries:
        if e.source is not None and e.index in cited:
            cited.add(e.source)
    # "([GameFAQ](https://…/65100695))": a link in the text to the very URL of an entry cites it.
    linked = _linked_urls(ctx)
    for e in ctx.parsed.entries:
        if linked and any(normalize_url(u) in linked for u in e.urls if not is_doi_url(u)):
            cited.add(e.index)
    # A duplicate of a cited entry is reported as duplicate-entry, not also as uncited.
    for later, (earlier, _) in duplicates(ctx).items():
        if later in cited or earlier.index in cited:
            cited.update((later, earlier.index))
    # The same for a second entry under a cited entry's key: duplicate-key reports it.
    cited_keys = {e.key for e in ctx.whole.entries if e.key and e.index in cited}
    cited.update(e.index for e in ctx.whole.entries if e.key in cited_keys)
    return cited


@rule("uncited-entry", severity=Severity.WARNING, family="citations",
      description="An entry of the reference list that no citation or note points at.",
      message="{message}",
      fix="Cite each source where it is used, or remove it from the reference list.",
      example="A book in DAFTAR PUSTAKA that the text never mentions.")
def uncited_entry(ctx: AuditContext) -> Iterator[Hit]:
    parsed = ctx.parsed
    references = [e for e in parsed.entries if e.kind == "reference" and not e.is_footnote
                  and e.section != DATABASE_SECTION]  # a paper's `references:` metadata is a database
    if not references:
        return
    # A database on its own (a .bib) has no text to cite it. Within a paper, BibTeX prints only the
    # entries cited, and a .bib is often shared by several papers: an unused entry is worth a note.
    if ctx.database and ctx.manuscript is None:
        return
    quiet = Severity.INFO if ctx.database else None
    whole = ctx.whole
    if whole.footnote_style and not any(e.source is not None for e in whole.entries):
        return  # notes that cite no listed work: the list is a bibliography of further reading
    if not whole.citations:
        what = "the only entry of the reference list is not" if len(references) == 1 else \
            f"none of the {len(references)} entries of the reference list is"
        yield Hit(None, {"message": f"the text cites no source: {what} cited anywhere"},
                  subject="document", severity=quiet)
        return
    cited = _cited_indexes(ctx)
    for e in references:
        if e.index not in cited:
            if ctx.database:
                yield Hit(e.line, {"message": f"{e.label} ({e.key}) is in the database but never cited, so it is "
                                              f"left out of the bibliography"}, entry=e, severity=quiet)
            else:
                yield Hit(e.line, {"message": f"{e.label} is listed but never cited in the text"}, entry=e)


@rule("ibid-without-antecedent", severity=Severity.ERROR, family="citations",
      description="Ibid./Op. Cit./Loc. cit./Idem with no earlier note it can stand for.",
      message="note {number} says \u201c{text}\u201d but {why}",
      fix="Replace it with the full reference.",
      example="[1] Ibid. as the first note, or Op. Cit., Smith with no earlier note by Smith.")
def ibid_without_antecedent(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        if e.kind in ("ibid", "op-cit", "loc-cit", "idem") and e.refers_to is None:
            why = (f"no earlier note is by {e.author_text}" if e.kind == "op-cit" and e.author_text
                   else "there is no earlier note for it to refer to")
            yield Hit(e.line, {"number": e.number if e.number is not None else "?",
                               "text": " ".join(e.raw.split())[:80], "why": why}, entry=e)


@rule("undefined-footnote", severity=Severity.ERROR, family="citations",
      description="A footnote or note marker in the text with no note of that number.",
      message="the marker [{number}] has no note {number}",
      fix="Add note {number} or remove the marker.",
      example="text[7] when the notes stop at 6.")
def undefined_footnote(ctx: AuditContext) -> Iterator[Hit]:
    if not ctx.whole.entries or not ctx.parsed.footnote_style:
        return  # with no notes at all, reference-list-not-found says it once
    seen: set[int] = set()
    for c in ctx.parsed.citations:
        if c.number is not None and c.entry_index is None and c.number not in seen:
            seen.add(c.number)
            yield Hit(c.line, {"number": c.number}, citation=c)


@rule("unused-footnote", severity=Severity.WARNING, family="citations",
      description="A note that no marker in the text points at.",
      message="note {number} is never referred to in the text",
      fix="Add the marker where the note belongs, or remove the note.",
      example="[5] Grieco … with no [5] in the text.")
def unused_footnote(ctx: AuditContext) -> Iterator[Hit]:
    if not ctx.parsed.footnote_style:
        return
    used = {c.number for c in ctx.parsed.citations if c.number is not None}
    # A note may be referred to only from inside another note ("See note [12]").
    for e in ctx.parsed.entries:
        if e.is_footnote:
            marker = entry_marker(e.raw)
            body = e.raw[marker[2]:] if marker else e.raw
            used.update(int(m.group(1) or m.group(2)) for m in NOTE_REF_IN_NOTE.finditer(body))
    for e in ctx.parsed.entries:
        if e.is_footnote and e.number is not None and e.number not in used and e.kind != "fragment":
            yield Hit(e.line, {"number": e.number}, entry=e)
