"""Reference-manager fields (Zotero, Mendeley, EndNote) whose visible text was edited by hand."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.model import Citation, Severity
from auditor.parsing.text import fold

YEAR = re.compile(r"(?<![\w/.])((?:1[5-9]|20)\d\d)([a-z]?)(?!\w)")
NUMERIC = re.compile(r"^[\[(]?\s*\d{1,4}(?:\s*[,–—-]\s*\d{1,4})*\s*[\])]?$")
# Words of a citation that are not names: connectives, locators, prefixes ("see", "lihat").
NOT_NAMES = {"et", "al", "and", "dan", "dkk", "und", "ibid", "ibidem", "op", "cit", "loc", "idem", "see", "cf",
             "also", "lihat", "juga", "bandingkan", "dalam", "in", "eg", "ie", "p", "pp", "hlm", "hal", "page",
             "pages", "vol", "no", "chap", "ch", "for", "example", "misalnya", "compare", "nd", "tt", "tanpa",
             "tahun", "the", "of", "n", "d", "s", "sic"}


def _years(text: str) -> list[str]:
    return sorted(m.group(1) + m.group(2) for m in YEAR.finditer(text))


def _names(text: str) -> dict[str, str]:
    """Capitalised words of a citation (family names, organisations): folded → as written."""
    words = re.findall(r"[^\W\d_][\w'’\-]*", text)
    return {fold(w): w for w in words if w[:1].isupper() and len(w) > 1 and fold(w).strip(".") not in NOT_NAMES}


def _numbers(text: str) -> set[int]:
    out: set[int] = set()
    for a, b in re.findall(r"(\d{1,4})(?:\s*[–—-]\s*(\d{1,4}))?", text):
        low, high = int(a), int(b) if b else int(a)
        out.update(range(low, min(high, low + 500) + 1))
    return out


def field_difference(visible: str, field_text: str, authors: set[str]) -> tuple[str, Severity] | None:
    """What a hand edit changed in what a citation says, and how sure that is; None when only spacing,
    punctuation or formatting differ. `authors` are the folded family names of the field's items."""
    shown, own = " ".join(visible.split()), " ".join(field_text.split())
    if fold(re.sub(r"[\W_]+", "", shown)) == fold(re.sub(r"[\W_]+", "", own)):
        return None
    if NUMERIC.match(own) and NUMERIC.match(shown):
        if _numbers(own) != _numbers(shown):
            return "it cites other numbers", Severity.ERROR
        return None
    years_shown, years_own = _years(shown), _years(own)
    if sorted(y[:4] for y in years_shown) != sorted(y[:4] for y in years_own):
        gone = Counter(y[:4] for y in years_own) - Counter(y[:4] for y in years_shown)
        added = Counter(y[:4] for y in years_shown) - Counter(y[:4] for y in years_own)
        said = "; ".join(p for p in (f"{', '.join(sorted(gone.elements()))} is gone" if gone else "",
                                     f"{', '.join(sorted(added.elements()))} appears" if added else "") if p)
        return f"the years differ ({said})", Severity.ERROR
    if years_shown != years_own:
        return "a year's letter (2020a, 2020b) differs", Severity.WARNING
    names_shown, names_own = _names(shown), _names(own)
    lost = sorted(names_own[n] for n in names_own.keys() - names_shown.keys())
    new = sorted(names_shown[n] for n in names_shown.keys() - names_own.keys() if n not in authors)
    if lost or new:
        said = "; ".join(p for p in (f"{', '.join(lost)} is gone" if lost else "",
                                     f"{', '.join(new)} appears" if new else "") if p)
        return f"the names differ ({said})", Severity.WARNING
    return None


@rule("edited-citation-field", severity=Severity.ERROR, family="citations",
      description="A reference-manager citation (Zotero, Mendeley, EndNote field in a Word document) whose "
                  "visible text was edited by hand so that it no longer says what the field holds: a year "
                  "differs or a work is missing or added (an error); only a name differs (a warning). Spacing, "
                  "punctuation and formatting are not reported. The next refresh of the field undoes the edit.",
      message="the citation shows \u201c{shown}\u201d but its reference-manager field holds \u201c{field}\u201d: {change}",
      fix="Correct the citation in the reference manager (edit the item or the citation's page and prefix) and "
          "refresh, rather than typing over the field.",
      example="A Zotero field for (Lee, 2020) whose text was retyped as (Lee, 2018).")
def edited_citation_field(ctx: AuditContext) -> Iterator[Hit]:
    fields: dict[tuple[int, int], list[Citation]] = {}
    for c in ctx.parsed.citations:
        if c.field_text:
            fields.setdefault((c.line, c.column), []).append(c)
    for cites in fields.values():
        first = cites[0]
        authors: set[str] = set()
        for c in cites:
            entry = ctx.entry(c.entry_index)
            for a in entry.authors if entry else []:
                authors.update(_names(a))
        found = field_difference(first.marker, first.field_text or "", authors)
        if found is None:
            continue
        change, severity = found
        yield Hit(first.line, {"shown": " ".join(first.marker.split()), "field": " ".join(
            (first.field_text or "").split()), "change": change},
                  citation=first, severity=severity if severity != Severity.ERROR else None,
                  subject=f"field:{first.marker}")
