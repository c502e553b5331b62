"""Read a BibTeX or BibLaTeX database (`.bib`): one declared entry per `@type{key, …}`, its fields exact.

The file's lines are the document's lines. The entries form one declared reference section (heading
"BibTeX"); each item starts on its `@type{key,` line, ends on its closing line, carries its key and a
`Record` mapped from the fields (names split as BibTeX splits them, LaTeX accents and braces decoded),
and the fields its type requires but lacks. An entry the parser cannot read is kept as a broken entry
with the parser's reason; a file with no BibTeX entry at all is a DocumentError.

Parsing is bibtexparser's (v2); LaTeX in field values is decoded with pylatexenc, its dependency.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.errors import DocumentError
from auditor.model import DeclaredItem, Document, PartialDate, Record, ReferenceSection

# Longest field value decoded from LaTeX; a longer one (an abstract pasted whole) is not needed.
MAX_FIELD = 20_000
HEADING = "BibTeX"
ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*[{(]\s*([^,\s{}()]*)")

# The fields each type requires: one tuple per requirement, any of whose fields satisfies it. BibTeX's
# standard styles (btxdoc) for its own types; BibLaTeX's names (journaltitle, date, institution) count
# as the same field, and BibLaTeX's own types use its manual's list. Types not listed require nothing.
YEAR = ("year", "date")
AUTHOR = ("author",)
TITLE = ("title",)
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "article": (AUTHOR, TITLE, ("journal", "journaltitle"), YEAR),
    "book": (("author", "editor"), TITLE, ("publisher",), YEAR),
    "booklet": (TITLE,),
    "inbook": (("author", "editor"), TITLE, ("chapter", "pages"), ("publisher",), YEAR),
    "incollection": (AUTHOR, TITLE, ("booktitle",), ("publisher",), YEAR),
    "inproceedings": (AUTHOR, TITLE, ("booktitle",), YEAR),
    "conference": (AUTHOR, TITLE, ("booktitle",), YEAR),
    "manual": (TITLE,),
    "mastersthesis": (AUTHOR, TITLE, ("school", "institution"), YEAR),
    "phdthesis": (AUTHOR, TITLE, ("school", "institution"), YEAR),
    "proceedings": (TITLE, YEAR),
    "techreport": (AUTHOR, TITLE, ("institution", "school"), YEAR),
    "unpublished": (AUTHOR, TITLE, ("note",)),
    # BibLaTeX's own types
    "online": (("author", "editor"), TITLE, YEAR, ("url", "doi", "eprint")),
    "report": (AUTHOR, TITLE, ("institution", "school"), YEAR),
    "thesis": (AUTHOR, TITLE, ("institution", "school"), YEAR),
}
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), 1)}
ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
URL_IN_TEXT = re.compile(r"\\url\{([^{}\s]+)\}|(https?://[^\s{}\\]+)")

log = logging.getLogger(__name__)


@dataclass
class _Item:
    line: int
    end_line: int
    key: str
    record: Record


def read_bib(path: str, data: bytes) -> Document:
    """A .bib file as a Document with one declared section of its entries (see the module's notes)."""
    from auditor.documents import decode_bytes, split_lines

    text, encoding = decode_bytes(path, data)
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = split_lines(text)
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        items = parse_bib(text)
    except DocumentError as exc:
        raise DocumentError(f"{path}: {exc}") from None
    if not items and not ENTRY_START.search(text):
        raise DocumentError(f"{path}: not a BibTeX database (no @type{{key, …}} entry was found)")
    doc = Document(path=path, format="bib", sha256=hashlib.sha256(data).hexdigest(), encoding=encoding,
                   lines=lines)
    declared = [DeclaredItem(i.line, record=i.record, key=i.key or None, end_line=i.end_line) for i in items]
    doc.declared_sections = [ReferenceSection(HEADING, None, 1, len(lines), items=declared)] if declared else []
    doc.locators = {i.line: f"{name}:{i.line}" for i in items}
    # Nothing in a database is prose: no text rule reads its lines.
    doc.skip_lines = set(range(1, len(lines) + 1))
    return doc


def parse_bib(text: str) -> list[_Item]:
    """The entries of a BibTeX database in file order, failed ones with the parser's reason."""
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ParsingFailedBlock

    stack = [mw.ResolveStringReferencesMiddleware(True), mw.RemoveEnclosingMiddleware(True)]
    quiet = logging.getLogger("bibtexparser")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # it logs every broken block; they are reported as findings instead
    try:
        library = bibtexparser.parse_string(text, parse_stack=stack)
    except RecursionError:
        raise DocumentError("the BibTeX database is nested too deeply to be read") from None
    except Exception as exc:  # noqa: BLE001 -- the parser's own failure on a file it cannot take
        raise DocumentError(f"the BibTeX database cannot be read ({type(exc).__name__}: {exc})") from None
    finally:
        quiet.setLevel(level)
    items: list[_Item] = []
    for block in library.blocks:
        start = (block.start_line or 0) + 1
        end = start + (block.raw or "").rstrip().count("\n")
        if isinstance(block, Entry):
            items.append(_Item(start, end, block.key, entry_record(block.entry_type, block.key, _fields(block))))
        elif isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            dup = block.ignore_error_block
            items.append(_Item(start, end, dup.key, entry_record(dup.entry_type, dup.key, _fields(dup))))
        elif isinstance(block, ParsingFailedBlock):
            raw = block.raw or ""
            m = ENTRY_START.search(raw)
            if not m or m.group(1).lower() in ("comment", "string", "preamble"):
                continue
            reason = getattr(block.error, "abort_reason", None) or str(block.error) or type(block.error).__name__
            items.append(_Item(start, end, m.group(2), Record(key=m.group(2) or None, type=m.group(1).lower(),
                                                            error=" ".join(reason.split()))))
    return items


def _fields(entry: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in entry.fields:
        value = f.value if isinstance(f.value, str) else str(f.value)
        out.setdefault(f.key.lower(), value)
    return out


def entry_record(entry_type: str, key: str, fields: dict[str, str]) -> Record:
    """The Record of one BibTeX entry's fields."""
    kind = entry_type.lower()
    record = Record(key=key or None, type=kind)
    names = fields.get("author") or fields.get("editor") or ""  # an edited book is known by its editors
    record.authors, record.et_al = split_names(names) if names.strip() else ([], False)
    year = _year(fields)
    record.year = year
    record.title = latex_text(fields.get("title", "")) or None
    container = fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle")
    record.container = latex_text(container) if container else None
    record.volume = latex_text(fields.get("volume", "")) or None
    record.issue = latex_text(fields.get("number", "") or fields.get("issue", "")) or None
    record.pages = latex_text(fields.get("pages", "")) or None
    record.doi = _doi(fields.get("doi", ""))
    record.url = _url(fields)
    record.accessed = _date(fields.get("urldate", ""))
    record.published = _date(fields.get("date", "")) or (
        PartialDate(int(year[:4]), _month(fields.get("month", ""))) if year and year[:4].isdigit() else None)
    if "crossref" not in fields and "xdata" not in fields:  # the parent entry may give the rest
        record.missing = missing_fields(kind, fields)
    return record


def missing_fields(kind: str, fields: dict[str, str]) -> list[str]:
    """The requirements of the type that the entry does not meet, each named by its fields ("author or editor")."""
    present = {k for k, v in fields.items() if v.strip(" {}")}
    return [need[0] + (f" (or {', '.join(need[1:])})" if len(need) > 1 else "")
            for need in REQUIRED.get(kind, ()) if not present & set(need)]


def split_names(text: str) -> tuple[list[str], bool]:
    """BibTeX names as "Family, Given" ("von Last, First"; "{Organisation}" whole), and whether the list
    ends with "and others" (et al.)."""
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

    out: list[str] = []
    et_al = False
    for raw in split_multiple_persons_names(text[:MAX_FIELD]):
        if raw.strip().lower() == "others":
            et_al = True
            continue
        try:
            parts = parse_single_name_into_parts(raw, strict=False)
        except Exception:  # noqa: BLE001 -- a name the splitter cannot take is kept as written
            out.append(latex_text(raw))
            continue
        family = latex_text(" ".join([*parts.von, *parts.last]))
        given = latex_text(" ".join(parts.first))
        jr = latex_text(" ".join(parts.jr))
        if not family:
            family, given = given, ""
        name = f"{family}, {given}" if given else family
        out.append(f"{name}, {jr}" if jr else name)
    return [n for n in out if n], et_al


@lru_cache(maxsize=1)
def _converter() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    from auditor.latex import LOGOS

    db = get_default_latex_context_db()
    db.add_context_category("auditor-bib", prepend=True,
                            macros=[MacroTextSpec("mbox", "%(1)s"), MacroTextSpec("url", "%(1)s"),
                                    MacroTextSpec("hbox", "%(1)s"),
                                    *(MacroTextSpec(name, word) for name, word in LOGOS.items())])
    return LatexNodes2Text(latex_context=db, math_mode="text", strict_latex_spaces=True)


def latex_text(value: str) -> str:
    """A field's LaTeX as plain text: braces dropped, accents and escapes decoded (`{\\"o}` → ö, `\\&` → &)."""
    value = value[:MAX_FIELD]
    if not value.strip():
        return ""
    if "\\" not in value and "$" not in value and "~" not in value:
        text = value.replace("{", "").replace("}", "").replace("---", "—").replace("--", "–")
        text = text.replace("``", "“").replace("''", "”")
    else:
        try:
            text = _converter().latex_to_text(value)
        except (RecursionError, Exception):  # noqa: BLE001 -- undecodable LaTeX: the text without braces
            text = value.replace("{", "").replace("}", "")
    return " ".join(text.replace("\u00a0", " ").split())


def _year(fields: dict[str, str]) -> str | None:
    for name in ("year", "date"):
        value = latex_text(fields.get(name, ""))
        m = re.search(r"(?<!\d)(\d{4})(?!\d)([a-z](?![a-z]))?", value)
        if m:
            return m.group(1) + (m.group(2) or "") if name == "year" else m.group(1)
        if re.fullmatch(r"n\.\s?d\.?", value, re.I):
            return "n.d."
    return None


def _month(value: str) -> int | None:
    value = value.strip(" {}").lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return MONTHS.get(value[:3])


def _date(value: str) -> PartialDate | None:
    m = ISO_DATE.match(value.strip(" {}"))
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2) or 0) or None, int(m.group(3) or 0) or None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        day = None
    return PartialDate(year, month, day)


def _doi(value: str) -> str | None:
    value = value.strip(" {}")
    if not value:
        return None
    value = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I)
    value = value.replace("\\_", "_").replace("\\%", "%")
    return value.lower() if value.startswith("10.") else None


def _url(fields: dict[str, str]) -> str | None:
    value = fields.get("url", "").strip(" {}")
    if not value:
        m = URL_IN_TEXT.search(fields.get("howpublished", "") or fields.get("note", ""))
        value = (m.group(1) or m.group(2)) if m else ""
    if not value:
        return None
    for escaped in ("_", "%", "#", "&", "~"):
        value = value.replace("\\" + escaped, escaped)
    return value.replace("{", "").replace("}", "")
