"""Read a Word .docx into numbered lines, and declare its notes and reference-manager data.

Lines. Every paragraph of the body is one line (a soft line break inside it starts a new line), with a
blank line after it, as in a Markdown file: headings (by paragraph style or outline level) are written
"## Heading", numbered list items carry their computed number ("12. ", from numbering.xml), bullets
"- ", hyperlinks "text <url>" when the text is not the URL, footnote and endnote markers "[N]" (Word
numbers notes in the order they are referenced; endnotes are "[e N]" when a document has both). Table
cells give one line per cell paragraph. Deleted tracked changes, text boxes and drawings are left out;
table-of-contents paragraphs are kept but not read as prose.

Notes. After the body come the footnotes, then the endnotes, one line each ("N. text"), declared as
notes sections so that Ibid./Op. Cit. resolve as in any notes list.

Reference-manager fields. Zotero and Mendeley (`ADDIN ZOTERO_ITEM CSL_CITATION {json}`, `ADDIN
CSL_CITATION {json}`) and EndNote (`ADDIN EN.CITE <EndNote>…`, also base64 in `w:fldData`) citation
fields are declared as citations with one key per item; the field's own text (Zotero's plainCitation,
Mendeley's formatted citation, EndNote's DisplayText) is kept beside the visible text so that a hand
edit can be reported. The paragraphs of a bibliography field (`ADDIN ZOTERO_BIBL`, `ADDIN Mendeley
Bibliography CSL_BIBLIOGRAPHY`, `ADDIN EN.REFLIST`) are declared as the reference list; each paragraph
an item explains (its first author and year, or most of its title, are in the paragraph) takes that
item's key and exact data; a paragraph no item explains stays a text entry. Without a bibliography
field the reference list is found from the text, by heading, as usual.

Everything in the file is untrusted: the zip is read with bounded sizes (declared and actual), the XML
with defusedxml (no DTD, no entities, no network), nesting is bounded, and a bad file gives one
DocumentError.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from auditor.errors import DocumentError
from auditor.model import DeclaredCitation, DeclaredItem, Document, PartialDate, Record, ReferenceSection

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Bounds on what a .docx may expand to: a 30-page paper's document.xml is about 1 MB.
MAX_TOTAL = 200 * 1024 * 1024
MAX_PART = 64 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 300  # uncompressed / compressed size of a part over 4 MB; Word's XML compresses about 10:1
MAX_DEPTH = 64  # nested tables, content controls, hyperlinks: deeper content is left out
MAX_FIELD = 2 * 1024 * 1024  # characters of one field's instruction (JSON, EndNote XML)

MAIN_NS = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
           "http://purl.oclc.org/ooxml/wordprocessingml/main")
REL_NS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "http://purl.oclc.org/ooxml/officeDocument/relationships")
CITATION_FIELD = re.compile(r"^\s*ADDIN\s+(?:ZOTERO_ITEM\b|CSL_CITATION\b|Mendeley\s+Citation|EN\.CITE\b(?!\.DATA))")
BIBLIOGRAPHY_FIELD = re.compile(r"^\s*ADDIN\s+(?:ZOTERO_BIBL\b|Mendeley\s+Bibliography|CSL_BIBLIOGRAPHY\b|"
                                r"EN\.REFLIST\b)")
HYPERLINK_FIELD = re.compile(r'^\s*HYPERLINK\s+(?!\\l)"?([^"\s]+)"?', re.I)


def read_docx(path: str, data: bytes) -> Document:
    """The Document of a .docx file's bytes; a DocumentError with one clear message for a bad file."""
    try:
        parts = _Package(path, data)
        reader = _Reader(path, parts)
        return reader.read(hashlib.sha256(data).hexdigest())
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # a damaged part the checks above did not foresee: one message, no traceback
        raise DocumentError(f"{path}: a corrupt .docx ({type(exc).__name__}: {exc})") from None


class _Package:
    """The parts of the zip container, read with bounded sizes."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        if data.startswith(OLE2):
            if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data \
                    or "EncryptedPackage".encode("utf-16-le") in data:
                raise DocumentError(f"{path}: an encrypted (password-protected) Word document; remove the "
                                    "password and save it again")
            raise DocumentError(f"{path}: a legacy Word 97-2003 .doc; save it as .docx")
        if data.lstrip()[:5] == b"{\\rtf":
            raise DocumentError(f"{path}: a Rich Text (RTF) file, not a Word .docx; save it as .docx")
        if not data.startswith(b"PK"):
            raise DocumentError(f"{path}: not a Word .docx file (it is not a zip container)")
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise DocumentError(f"{path}: a corrupt .docx (the zip container cannot be read: {exc})") from None
        if len(infos) > MAX_MEMBERS:
            raise DocumentError(f"{path}: refused: the .docx holds {len(infos)} parts (the limit is {MAX_MEMBERS})")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL:
            raise DocumentError(f"{path}: refused: the .docx would expand to {total} bytes (the limit is "
                                f"{MAX_TOTAL}; a zip bomb?)")
        self.infos = {i.filename: i for i in infos}
        self.budget = MAX_TOTAL

    def read(self, name: str, required: bool = False) -> bytes | None:
        info = self.infos.get(name)
        if info is None:
            if required:
                raise DocumentError(f"{self.path}: not a Word document (the .docx has no {name})")
            return None
        if info.flag_bits & 0x1:
            raise DocumentError(f"{self.path}: an encrypted .docx ({name} is encrypted); remove the password")
        limit = min(MAX_PART, self.budget)
        if info.file_size > limit or (info.file_size > 4 * 1024 * 1024
                                      and info.file_size > MAX_RATIO * max(1, info.compress_size)):
            raise DocumentError(f"{self.path}: refused: {name} would expand to {info.file_size} bytes from "
                                f"{info.compress_size} (a zip bomb?)")
        try:
            with self.zip.open(info) as f:
                data = f.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise DocumentError(f"{self.path}: a corrupt .docx ({name} cannot be read: {exc})") from None
        if len(data) > limit:
            raise DocumentError(f"{self.path}: refused: {name} expands beyond {limit} bytes (a zip bomb?)")
        self.budget -= len(data)
        return data

    def xml(self, name: str, required: bool = False) -> Element | None:
        data = self.read(name, required)
        if data is None:
            return None
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, fromstring

        try:
            root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            raise DocumentError(f"{self.path}: refused: {name} declares a DTD or entities, which a Word "
                                "document never does") from None
        except (ParseError, ValueError) as exc:
            raise DocumentError(f"{self.path}: a corrupt .docx ({name} is not well-formed XML: {exc})") from None
        return root

    def main_part(self) -> str:
        """The main document part named by the package relationships (word/document.xml as a rule)."""
        rels = self.xml("_rels/.rels")
        if rels is not None:
            for rel in rels:
                if str(rel.get("Type", "")).endswith("/officeDocument"):
                    target = str(rel.get("Target", "")).lstrip("/")
                    if target in self.infos:
                        return target
        return "word/document.xml"

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, target) of a part's relationships; targets as written (never followed)."""
        folder, _, name = part.rpartition("/")
        rels = self.xml(f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
        out: dict[str, tuple[str, str]] = {}
        for rel in rels if rels is not None else []:
            out[str(rel.get("Id", ""))] = (str(rel.get("Type", "")).rsplit("/", 1)[-1], str(rel.get("Target", "")))
        return out


@dataclass
class _Buf:
    """The text of one line group: a body paragraph, a table cell paragraph, or a whole note."""

    kind: str  # body, table, footnote, endnote
    locator: str
    parts: list[str] = field(default_factory=list)
    size: int = 0
    heading: int = 0  # heading level, 0 for none
    toc: bool = False

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.size += len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Field:
    instr: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # w:fldData (base64) of this field and nested data fields
    result: bool = False
    start: tuple[int, int] | None = None  # (buffer index, offset) where the visible result starts

    @property
    def instruction(self) -> str:
        return "".join(self.instr)


@dataclass
class _Item:
    """One cited work of a reference-manager field."""

    identity: str
    record: Record
    key: str = ""


@dataclass
class _Cite:
    """One citation field: where its visible text is, that text, the field's own text, its items."""

    start: tuple[int, int]
    end: tuple[int, int]
    field_text: str | None
    items: list[_Item]


@dataclass
class _Bibliography:
    first: int  # buffer indices of the field's result
    last: int


class _Reader:
    def __init__(self, path: str, package: _Package) -> None:
        self.path = path
        self.package = package
        self.main = package.main_part()
        root = package.xml(self.main, required=True)
        assert root is not None
        ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
        if ns not in MAIN_NS:
            raise DocumentError(f"{path}: not a Word document ({self.main} is not WordprocessingML)")
        self.w = "{" + ns + "}"
        self.r = "{" + REL_NS[MAIN_NS.index(ns)] + "}"
        self.root = root
        self.rels = package.relationships(self.main)
        folder = self.main.rpartition("/")[0]
        self.folder = folder + "/" if folder else ""
        self.styles = _Styles(self._part("styles"), self.w)
        self.numbering = _Numbering(self._part("numbering"), self.w)
        self.notes: dict[str, dict[str, Element]] = {"footnote": self._notes("footnotes", "footnote"),
                                                     "endnote": self._notes("endnotes", "endnote")}
        self.note_numbers: dict[str, dict[str, int]] = {"footnote": {}, "endnote": {}}
        self.both = bool(self.notes["footnote"]) and bool(self.notes["endnote"])
        self.buffers: list[_Buf] = []
        self.fields: list[_Field] = []
        self.cites: list[_Cite] = []
        self.bibliographies: list[_Bibliography] = []
        self.paragraphs = 0
        self.tables = 0
        self.current: _Buf | None = None
        self.part_rels = self.rels

    def _part(self, kind: str) -> Element | None:
        for rtype, target in self.rels.values():
            if rtype == kind:
                return self.package.xml(self._resolve(target))
        return None

    def _resolve(self, target: str) -> str:
        """A relationship target as a part name inside the package (never a path outside it)."""
        import posixpath

        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        name = posixpath.normpath(self.folder + target)
        return name if not name.startswith("../") else target

    def _notes(self, part: str, tag: str) -> dict[str, Element]:
        root = self._part(part)
        if root is None:
            return {}
        out = {}
        for note in root.iter(self.w + tag):
            if note.get(self.w + "type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            out[str(note.get(self.w + "id"))] = note
        return out

    # -- walking -------------------------------------------------------------------------------------

    def read(self, sha: str) -> Document:
        body = self.root.find(self.w + "body")
        if body is None:
            raise DocumentError(f"{self.path}: not a Word document ({self.main} has no body)")
        self._blocks(body, "body", 0)
        body_count = len(self.buffers)
        note_bufs: dict[str, list[tuple[int, int]]] = {"footnote": [], "endnote": []}  # (buffer, number)
        for kind in ("footnote", "endnote"):
            self.part_rels = self.package.relationships(self._note_part(kind)) if self.notes[kind] else {}
            numbers = self.note_numbers[kind]
            for note_id, number in sorted(numbers.items(), key=lambda kv: kv[1]):
                note = self.notes[kind].get(note_id)
                if note is None:
                    continue
                buf = _Buf(kind, f"{kind} {number}")
                buf.add(f"[e {number}] " if kind == "endnote" and self.both else f"{number}. ")
                self.buffers.append(buf)
                self.current = buf
                self._note_blocks(note, 0)
                self.current = None
                note_bufs[kind].append((len(self.buffers) - 1, number))
        return self._document(sha, body_count, note_bufs)

    def _note_part(self, kind: str) -> str:
        for rtype, target in self.rels.values():
            if rtype == kind + "s":
                return self._resolve(target)
        return ""

    def _blocks(self, parent: Element, kind: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        w = self.w
        for child in parent:
            tag = child.tag
            if tag == w + "p":
                self._paragraph(child, kind)
            elif tag == w + "tbl":
                self._table(child, depth)
            elif tag == w + "sdt":
                content = child.find(w + "sdtContent")
                if content is not None:
                    self._blocks(content, kind, depth + 1)
            elif tag in (w + "customXml", w + "ins", w + "moveTo", w + "smartTag"):
                self._blocks(child, kind, depth + 1)

    def _note_blocks(self, parent: Element, depth: int) -> None:
        """A note's paragraphs, all into the note's one buffer, separated by spaces."""
        if depth > MAX_DEPTH:
            return
        w = self.w
        for child in parent:
            if child.tag == w + "p":
                assert self.current is not None
                if self.current.parts and not self.current.parts[-1].endswith(" "):
                    self.current.add(" ")
                self._inline(child, 0)
            elif child.tag == w + "tbl":
                for cell in child.iter(w + "tc"):
                    self._note_blocks(cell, depth + 1)
            elif child.tag in (w + "sdt", w + "customXml", w + "ins", w + "moveTo"):
                content = child.find(w + "sdtContent") if child.tag == w + "sdt" else child
                if content is not None:
                    self._note_blocks(content, depth + 1)

    def _table(self, table: Element, depth: int) -> None:
        self.tables += 1
        number = self.tables
        w = self.w
        for row_number, row in enumerate(table.findall(w + "tr"), 1):
            for cell in row:
                if cell.tag == w + "tc":
                    self._cell(cell, f"table {number}, row {row_number}", depth + 1)
                elif cell.tag in (w + "sdt", w + "customXml"):
                    content = cell.find(w + "sdtContent") if cell.tag == w + "sdt" else cell
                    for inner in content.findall(w + "tc") if content is not None else []:
                        self._cell(inner, f"table {number}, row {row_number}", depth + 1)

    def _cell(self, cell: Element, locator: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        w = self.w
        for child in cell:
            if child.tag == w + "p":
                self._paragraph(child, "table", locator)
            elif child.tag == w + "tbl":
                self._table(child, depth + 1)
            elif child.tag in (w + "sdt", w + "customXml"):
                content = child.find(w + "sdtContent") if child.tag == w + "sdt" else child
                if content is not None:
                    self._cell(content, locator, depth + 1)

    def _paragraph(self, p: Element, kind: str, locator: str | None = None) -> None:
        w = self.w
        ppr = p.find(w + "pPr")
        style = ""
        num: tuple[str, int] | None = None
        outline: int | None = None
        if ppr is not None:
            ps = ppr.find(w + "pStyle")
            style = str(ps.get(w + "val", "")) if ps is not None else ""
            num = _num_pr(ppr, w)
            ol = ppr.find(w + "outlineLvl")
            if ol is not None and str(ol.get(w + "val", "")).isdigit():
                outline = int(str(ol.get(w + "val")))
        level = self.styles.heading_level(style, outline)
        if num is None:
            num = self.styles.numbering(style)
        if kind == "body":
            self.paragraphs += 1
        buf = _Buf(kind, locator or f"paragraph {self.paragraphs}", heading=level,
                   toc=self.styles.is_toc(style))
        self.buffers.append(buf)
        self.current = buf
        if num is not None and num[0] not in ("", "0"):
            label = self.numbering.label(num[0], num[1])
            if level:
                buf.add("#" * level + " ")
            if label:
                buf.add(label + " ")
        elif level:
            buf.add("#" * level + " ")
        prefix = buf.size
        self._inline(p, 0)
        self.current = None
        if not buf.text[prefix:].strip() and not self._open_result():
            buf.parts.clear()
            buf.size = 0

    def _open_result(self) -> bool:
        return any(f.result and f.start is not None for f in self.fields)

    def _visible(self) -> bool:
        return all(f.result for f in self.fields)

    def _here(self) -> tuple[int, int]:
        assert self.current is not None and self.current is self.buffers[-1]
        return len(self.buffers) - 1, self.current.size

    def _inline(self, parent: Element, depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        w = self.w
        buf = self.current
        assert buf is not None
        for child in parent:
            tag = child.tag
            if tag == w + "r":
                self._run(child)
            elif tag == w + "hyperlink":
                rid = child.get(self.r + "id")
                target = self.part_rels.get(str(rid), ("", ""))[1] if rid else ""
                start = buf.size
                self._inline(child, depth + 1)
                self._link_target(buf, start, target)
            elif tag == w + "fldSimple":
                instr = str(child.get(w + "instr", ""))
                f = _Field([instr])
                self.fields.append(f)
                self._separate(f)
                self._inline(child, depth + 1)
                self._end()
            elif tag in (w + "ins", w + "moveTo", w + "smartTag", w + "customXml", w + "bdo", w + "dir"):
                self._inline(child, depth + 1)
            elif tag == w + "sdt":
                content = child.find(w + "sdtContent")
                if content is not None:
                    self._inline(content, depth + 1)
            elif tag == w + "pPr" or tag in (w + "del", w + "moveFrom"):
                continue

    def _link_target(self, buf: _Buf, start: int, target: str) -> None:
        if not re.match(r"(?:https?|ftp)://|mailto:", target, re.I):
            return
        shown = buf.text[start:]
        if shown.strip() == target:
            # The URL is its own text: written "<url>" as Markdown autolinks are, so it ends cleanly.
            lead = len(shown) - len(shown.lstrip())
            buf.parts[:] = [buf.text[:start + lead] + f"<{target}>" + shown[lead + len(target):]]
            buf.size = sum(len(p) for p in buf.parts)
        elif shown.strip().rstrip("/") != target.rstrip("/"):
            buf.add(f" <{target}>" if shown.strip() else f"<{target}>")

    def _run(self, run: Element) -> None:
        w = self.w
        buf = self.current
        assert buf is not None
        rpr = run.find(w + "rPr")
        align = rpr.find(w + "vertAlign") if rpr is not None else None
        superscript = align is not None and align.get(w + "val") == "superscript"
        for child in run:
            tag = child.tag
            if tag == w + "t":
                if self._visible():
                    text = child.text or ""
                    if superscript and re.fullmatch(r"\d{1,3}", text):
                        text = f"<sup>{text}</sup>"  # a note number typed by hand, as the text reader writes it
                    buf.add(text)
            elif tag == w + "instrText":
                if self.fields and not self.fields[-1].result:
                    f = self.fields[-1]
                    if sum(len(s) for s in f.instr) < MAX_FIELD:
                        f.instr.append(child.text or "")
            elif tag == w + "fldChar":
                kind = child.get(w + "fldCharType")
                if kind == "begin":
                    f = _Field()
                    data = child.find(w + "fldData")
                    if data is not None and data.text and len(data.text) < MAX_FIELD:
                        f.data.append(data.text)
                    self.fields.append(f)
                elif kind == "separate" and self.fields and not self.fields[-1].result:
                    self._separate(self.fields[-1])
                elif kind == "end" and self.fields:
                    self._end()
            elif not self._visible():
                continue
            elif tag in (w + "tab", w + "ptab"):
                buf.add(" ")
            elif tag in (w + "br", w + "cr"):
                kind = child.get(w + "type")
                buf.add(" " if kind in ("page", "column") else "\n")
            elif tag == w + "noBreakHyphen":
                buf.add("-")
            elif tag in (w + "footnoteReference", w + "endnoteReference"):
                self._note_reference(child, "footnote" if tag == w + "footnoteReference" else "endnote")

    def _note_reference(self, ref: Element, kind: str) -> None:
        buf = self.current
        assert buf is not None
        if ref.get(self.w + "customMarkFollows") in ("1", "true", "on"):
            return  # the mark is the run's own text ("*"); Word does not number it
        note_id = str(ref.get(self.w + "id"))
        if buf.kind in ("footnote", "endnote") or note_id not in self.notes[kind]:
            return
        numbers = self.note_numbers[kind]
        number = numbers.setdefault(note_id, len(numbers) + 1)
        before = buf.text[-1:] if buf.parts else ""
        label = f"[e {number}]" if kind == "endnote" and self.both else f"[{number}]"
        buf.add((" " if before == "]" else "") + label)

    def _separate(self, f: _Field) -> None:
        f.result = True
        if self.current is not None:
            f.start = self._here()

    def _end(self) -> None:
        f = self.fields.pop()
        if not f.result:
            f.result = True
            f.start = self._here() if self.current is not None else None
        instr = f.instruction
        if instr.lstrip().startswith("ADDIN EN.CITE.DATA") and self.fields:
            self.fields[-1].data.extend(f.data)  # EndNote's data field nested in the citation field
            return
        if f.start is None or self.current is None:
            return
        end = self._here()
        link = HYPERLINK_FIELD.match(instr)
        if link and f.start[0] == end[0]:
            self._link_target(self.current, f.start[1], link.group(1))
        elif CITATION_FIELD.match(instr):
            cite = _citation(instr, f.data)
            if cite is not None:
                text, items = cite
                self.cites.append(_Cite(f.start, end, text, items))
        elif BIBLIOGRAPHY_FIELD.match(instr):
            self.bibliographies.append(_Bibliography(f.start[0], end[0]))

    # -- the document --------------------------------------------------------------------------------

    def _document(self, sha: str, body_count: int, note_bufs: dict[str, list[tuple[int, int]]]) -> Document:
        lines: list[str] = []
        where: dict[int, int] = {}  # buffer index → its first line
        locators: dict[int, str] = {}
        skip: set[int] = set()
        for index, buf in enumerate(self.buffers):
            text = buf.text
            if not text.strip():
                continue
            if index == body_count and lines:
                lines.append("")  # the notes begin after a blank line
            where[index] = len(lines) + 1
            parts = text.split("\n") if buf.kind not in ("footnote", "endnote") else [" ".join(text.split())]
            for part in parts:
                lines.append(part.rstrip())
                locators[len(lines)] = buf.locator
                if buf.toc:
                    skip.add(len(lines))
            lines.append("")
        while lines and not lines[-1]:
            lines.pop()
        if not any(line.strip() for line in lines):
            raise DocumentError(f"{self.path}: the document has no text")
        doc = Document(path=self.path, format="docx", sha256=sha, encoding="utf-8", lines=lines,
                       skip_lines=skip, locators=locators)
        items = _keyed(self.cites)
        body_end = max([where[i] + self.buffers[i].text.count("\n") for i in where if i < body_count] or [0])
        paired: set[str] = set()  # keys of the items a paragraph of a list describes
        sections = self._bibliography_sections(where, items, body_count, body_end, paired)
        # The rest of the reference lists are found in the body's text by heading, as in a text file (a
        # table cell such as "Sumber" is no heading); cited items a paragraph there describes are paired.
        from auditor.parsing.sections import find_sections

        tables = {n for n, where_ in locators.items() if where_.startswith("table ")}
        body = Document(path=self.path, format="docx", sha256=sha, encoding="utf-8", skip_lines=skip,
                        lines=["" if n in tables else line for n, line in enumerate(lines[:body_end], 1)])
        taken = [(s.start, s.end) for s in sections if s.items is not None]
        for found in find_sections(body):
            low = found.heading_line or found.start
            if not any(a <= found.end and low <= b for a, b in taken):
                sections.append(self._text_section(found, where, items, paired, body_count))
        # Notes: a note whose citation field names an item no list describes is that item's reference.
        note_keys: dict[int, str] = {}
        for kind in ("footnote", "endnote"):
            group = "e" if kind == "endnote" and self.both else ""
            declared = []
            for i, number in note_bufs[kind]:
                if i not in where:
                    continue
                if any(c.start[0] == i and any(it.key not in paired for it in c.items) for c in self.cites):
                    note_keys[i] = f"{kind}-{number}"
                declared.append(DeclaredItem(where[i], number, group, key=note_keys.get(i)))
            if declared:
                sections.append(ReferenceSection(None, None, declared[0].line, declared[-1].line, footnotes=True,
                                                 items=declared))
        sections.sort(key=lambda s: s.start)
        doc.declared_sections = sections
        citations: list[DeclaredCitation] = []
        for cite in self.cites:
            located = self._locate(cite, where)
            if located is None:
                continue
            line, column, raw = located
            keys: list[str] = []
            for item in cite.items:
                key = note_keys[cite.start[0]] if item.key not in paired and cite.start[0] in note_keys else item.key
                if key not in keys:
                    keys.append(key)
            citations.extend(DeclaredCitation(line, column, raw, key, field_text=cite.field_text) for key in keys)
        if citations:
            doc.declared_citations = citations
        return doc

    def _locate(self, cite: _Cite, where: dict[int, int]) -> tuple[int, int, str] | None:
        """The line, column and visible text of a citation field's result."""
        (b0, o0), (b1, o1) = cite.start, cite.end
        if b0 not in where:
            return None
        buf = self.buffers[b0]
        text = buf.text
        if b1 == b0:
            visible = text[o0:o1]
        else:
            visible = text[o0:] + " " + " ".join(self.buffers[i].text for i in range(b0 + 1, b1 + 1)
                                                if i < len(self.buffers))
        lead = len(visible) - len(visible.lstrip())
        o0 += lead
        visible = visible.strip()
        if not visible:
            return None
        if buf.kind in ("footnote", "endnote"):
            before = " ".join(text[:o0].split()) + (" " if text[:o0][-1:].isspace() else "")
            return where[b0], len(before) + 1, " ".join(visible.split())
        head = text[:o0]
        line = where[b0] + head.count("\n")
        column = len(head) - (head.rfind("\n") + 1) + 1
        return line, column, visible

    def _bibliography_sections(self, where: dict[int, int], items: list[_Item], body_count: int,
                               body_end: int, paired: set[str]) -> list[ReferenceSection]:
        sections: list[ReferenceSection] = []
        for bib in self.bibliographies:
            indices = [i for i in range(bib.first, bib.last + 1) if i in where and self.buffers[i].kind == "body"
                       and not self.buffers[i].heading]
            if not indices:
                continue
            # Entries typed by hand after the field, up to the next heading, belong to the list as text.
            for j in range(bib.last + 1, body_count):
                buf = self.buffers[j]
                if j not in where:
                    continue
                if buf.kind != "body" or buf.heading or any(b.first <= j for b in self.bibliographies if b is not bib
                                                            and b.first > bib.last) \
                        or not re.search(r"\b(?:1[5-9]|20)\d\d\b|n\.d\.|https?://", buf.text):
                    break
                indices.append(j)
            pairs = _pair([self.buffers[i].text for i in indices], [it for it in items if it.key not in paired])
            paired.update(it.key for it in pairs.values())
            declared = []
            for position, i in enumerate(indices):
                item = pairs.get(position)
                text = self.buffers[i].text
                last = where[i] + text.count("\n")
                declared.append(DeclaredItem(where[i], _lead_number(text), record=item.record if item else None,
                                             key=item.key if item else None,
                                             end_line=last if last > where[i] else None))
            heading, heading_line = None, None
            before = [j for j in range(bib.first - 1, max(-1, bib.first - 50), -1) if j in where][:1]
            if before and self.buffers[before[0]].heading:
                heading = self.buffers[before[0]].text.lstrip("# ").strip()
                heading_line = where[before[0]]
            end = declared[-1].end_line or declared[-1].line
            sections.append(ReferenceSection(heading, heading_line, declared[0].line, min(end, body_end or end),
                                             items=declared))
        return sections

    def _text_section(self, found: ReferenceSection, where: dict[int, int], items: list[_Item], paired: set[str],
                      body_count: int) -> ReferenceSection:
        """A list found by heading, declared paragraph by paragraph when cited items describe some of its
        paragraphs (those take the items' keys and data); otherwise left to be split as text."""
        waiting = [it for it in items if it.key not in paired]
        if not waiting or found.footnotes:
            return found
        inside = [i for i in range(body_count) if i in where and found.start <= where[i] <= found.end]
        entries = [i for i in inside if not self.buffers[i].heading]
        pairs = _pair([self.buffers[i].text for i in entries], waiting)
        if not pairs:
            return found
        paired.update(it.key for it in pairs.values())
        declared = []
        subsection = None
        position = 0
        for i in inside:
            text = self.buffers[i].text
            if self.buffers[i].heading:
                subsection = text.lstrip("# ").strip()
                continue
            item = pairs.get(position)
            position += 1
            last = where[i] + text.count("\n")
            declared.append(DeclaredItem(where[i], _lead_number(text), subsection=subsection, record=item.record if item else None,
                                         key=item.key if item else None, end_line=last if last > where[i] else None))
        end = declared[-1].end_line or declared[-1].line
        return ReferenceSection(found.heading, found.heading_line, declared[0].line, end, items=declared)


def _lead_number(text: str) -> int | None:
    """The number an entry is written with: 12 for "[12] …" or "12. …"."""
    lead = re.match(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s", text)
    return int(lead.group(1) or lead.group(2)) if lead else None


def _num_pr(ppr: Element, w: str) -> tuple[str, int] | None:
    numpr = ppr.find(w + "numPr")
    if numpr is None:
        return None
    num_id = numpr.find(w + "numId")
    ilvl = numpr.find(w + "ilvl")
    level = str(ilvl.get(w + "val", "0")) if ilvl is not None else "0"
    return (str(num_id.get(w + "val", "")) if num_id is not None else "",
            int(level) if level.isdigit() else 0)


class _Styles:
    """Paragraph styles: heading level (by name or outline level), numbering, table-of-contents styles."""

    def __init__(self, root: Element | None, w: str) -> None:
        self.w = w
        self.by_id: dict[str, Element] = {}
        self.cache: dict[str, tuple[int, tuple[str, int] | None, bool]] = {}
        if root is not None:
            for style in root.iter(w + "style"):
                if style.get(w + "type", "paragraph") == "paragraph":
                    self.by_id[str(style.get(w + "styleId", ""))] = style

    def _info(self, style_id: str) -> tuple[int, tuple[str, int] | None, bool]:
        if style_id in self.cache:
            return self.cache[style_id]
        w = self.w
        level, num, toc = 0, None, False
        seen: set[str] = set()
        current = style_id
        first = True
        while current and current not in seen and len(seen) < 20:
            seen.add(current)
            style = self.by_id.get(current)
            name = ""
            if style is not None:
                n = style.find(w + "name")
                name = str(n.get(w + "val", "")).lower() if n is not None else ""
            key = name or current.lower()
            if first:
                toc = bool(re.fullmatch(r"toc ?\d|toc heading|table of contents", key))
            m = re.fullmatch(r"heading ?([1-9])", key)
            if not level and m:
                level = int(m.group(1))
            elif not level and key == "title":
                level = 1
            ppr = style.find(w + "pPr") if style is not None else None
            if ppr is not None:
                ol = ppr.find(w + "outlineLvl")
                value = str(ol.get(w + "val", "")) if ol is not None else ""
                if not level and value.isdigit() and int(value) < 9:
                    level = int(value) + 1
                if num is None:
                    num = _num_pr(ppr, w)
            based = style.find(w + "basedOn") if style is not None else None
            current = str(based.get(w + "val", "")) if based is not None else ""
            first = False
        self.cache[style_id] = (min(level, 6), num, toc)
        return self.cache[style_id]

    def heading_level(self, style_id: str, outline: int | None) -> int:
        if outline is not None:
            return min(outline + 1, 6) if outline < 9 else 0
        return self._info(style_id)[0] if style_id else 0

    def numbering(self, style_id: str) -> tuple[str, int] | None:
        return self._info(style_id)[1] if style_id else None

    def is_toc(self, style_id: str) -> bool:
        return self._info(style_id)[2] if style_id else False


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


class _Numbering:
    """List numbers as Word computes them: a counter per list (num) and level, restarting deeper levels."""

    def __init__(self, root: Element | None, w: str) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.started: set[tuple[str, int]] = set()
        if root is None:
            return
        for a in root.iter(w + "abstractNum"):
            levels: dict[int, _Level] = {}
            for lvl in a.findall(w + "lvl"):
                ilvl = str(lvl.get(w + "ilvl", "0"))
                level = _Level()
                for tag, attr in (("start", "start"), ("numFmt", "fmt"), ("lvlText", "text")):
                    el = lvl.find(w + tag)
                    if el is not None and el.get(w + "val") is not None:
                        value = str(el.get(w + "val"))
                        if attr == "start":
                            level.start = int(value) if value.isdigit() else 1
                        else:
                            setattr(level, attr, value)
                if ilvl.isdigit():
                    levels[int(ilvl)] = level
            self.abstract[str(a.get(w + "abstractNumId", ""))] = levels
        for num in root.iter(w + "num"):
            aid = num.find(w + "abstractNumId")
            overrides: dict[int, int] = {}
            for o in num.findall(w + "lvlOverride"):
                start = o.find(w + "startOverride")
                ilvl = str(o.get(w + "ilvl", "0"))
                value = str(start.get(w + "val", "")) if start is not None else ""
                if ilvl.isdigit() and value.isdigit():
                    overrides[int(ilvl)] = int(value)
            self.nums[str(num.get(w + "numId", ""))] = (str(aid.get(w + "val", "")) if aid is not None else "",
                                                         overrides)

    def label(self, num_id: str, ilvl: int) -> str:
        """The label of the next item of a list at a level ("12.", "a)", "-" for a bullet), counted."""
        if num_id not in self.nums or not 0 <= ilvl < 9:
            return ""
        abstract, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract, {})
        # Lists that share an abstract definition share its counters (they continue each other's numbers);
        # a list with a start override restarts them at its first item (as Word and LibreOffice do).
        counters = self.counters.setdefault(abstract, [None] * 9)
        level = levels.get(ilvl, _Level())
        value = counters[ilvl]
        if ilvl in overrides and (num_id, ilvl) not in self.started:
            self.started.add((num_id, ilvl))
            counters[ilvl] = overrides[ilvl]
        else:
            counters[ilvl] = level.start if value is None else value + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        if level.fmt == "bullet":
            return "-"
        if level.fmt == "none":
            return ""

        def number(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            lv = levels.get(k, _Level())
            value = counters[k] if counters[k] is not None else overrides.get(k, lv.start)
            return _format(value or 0, lv.fmt)

        return re.sub(r"%([1-9])", number, level.text).strip()


def _format(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter") and value > 0:
        letters = ""
        n = value
        while n:
            n, r = divmod(n - 1, 26)
            letters = chr(97 + r) + letters
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman") and 0 < value < 4000:
        out = ""
        for v, s in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                     (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
            while value >= v:
                out += s
                value -= v
        return out if fmt == "lowerRoman" else out.upper()
    if fmt == "decimalZero" and value < 10:
        return f"0{value}"
    return str(value)


# -- reference-manager fields ----------------------------------------------------------------------------


def _plain(text: Any) -> str | None:
    """A formatted citation as plain text: tags dropped, entities decoded, spaces collapsed."""
    if not isinstance(text, str) or not text.strip():
        return None
    return " ".join(html.unescape(re.sub(r"<[^<>]{0,200}>", "", text)).split())


def _citation(instr: str, data: list[str]) -> tuple[str | None, list[_Item]] | None:
    """The field's own text and its items, from a Zotero/Mendeley CSL field or an EndNote field."""
    if "EN.CITE" in instr[:40]:
        return _endnote(instr, data)
    # The JSON follows CSL_CITATION (old Mendeley fields put an id in braces before it).
    start = instr.find("{", max(0, instr.find("CSL_CITATION")))
    if start < 0:
        return None
    try:
        payload, _ = json.JSONDecoder().raw_decode(instr[start:])
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    props = payload.get("properties") if isinstance(payload.get("properties"), dict) else {}
    mendeley = payload.get("mendeley") if isinstance(payload.get("mendeley"), dict) else {}
    assert isinstance(props, dict) and isinstance(mendeley, dict)
    text = (_plain(props.get("plainCitation")) or _plain(mendeley.get("previouslyFormattedCitation"))
            or _plain(mendeley.get("plainTextFormattedCitation")) or _plain(props.get("formattedCitation"))
            or _plain(mendeley.get("formattedCitation")))
    items = []
    for entry in payload.get("citationItems") or []:
        if not isinstance(entry, dict):
            continue
        data_ = entry.get("itemData") if isinstance(entry.get("itemData"), dict) else {}
        assert isinstance(data_, dict)
        record = _csl_record(data_)
        uris = entry.get("uris") or entry.get("uri") or []
        if isinstance(uris, str):
            uris = [uris]
        raw_id = str(entry.get("id") or data_.get("id") or "")
        if uris and isinstance(uris[0], str):
            identity = "uri:" + uris[0]
        elif raw_id and not re.fullmatch(r"ITEM-\d+", raw_id):
            identity = "id:" + raw_id
        else:
            identity = "data:" + json.dumps([record.authors[:1], record.year, record.title], ensure_ascii=False)
        items.append(_Item(identity, record))
    return (text, items) if items else None


def _csl_name(name: Any) -> str | None:
    if not isinstance(name, dict):
        return None
    family, given = name.get("family"), name.get("given")
    if isinstance(family, str) and family.strip():
        particle = name.get("non-dropping-particle")
        family = f"{particle} {family}" if isinstance(particle, str) and particle else family
        return f"{family.strip()}, {given.strip()}" if isinstance(given, str) and given.strip() else family.strip()
    literal = name.get("literal")
    return literal.strip() if isinstance(literal, str) and literal.strip() else None


def _csl_date(value: Any) -> PartialDate | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(str(p)) for p in parts[0][:3]]
        except ValueError:
            numbers = []
        if numbers and 1000 <= numbers[0] <= 2999:
            month = numbers[1] if len(numbers) > 1 and 1 <= numbers[1] <= 12 else None
            day = numbers[2] if month and len(numbers) > 2 and 1 <= numbers[2] <= 31 else None
            return PartialDate(numbers[0], month, day)
    for key in ("raw", "literal"):
        text = value.get(key)
        m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text) if isinstance(text, str) else None
        if m:
            return PartialDate(int(m.group(1)))
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, (int, float)):
        return str(value)
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _csl_record(data: dict[str, Any]) -> Record:
    names = [n for n in (_csl_name(a) for a in (data.get("author") or data.get("editor") or [])
                         if isinstance(data.get("author") or data.get("editor"), list)) if n]
    issued = _csl_date(data.get("issued"))
    doi = _text(data.get("DOI"))
    return Record(key=_text(data.get("id")), type=_text(data.get("type")) or "", authors=names,
                  year=str(issued.year) if issued else None, title=_plain(data.get("title")),
                  container=_plain(data.get("container-title")), volume=_text(data.get("volume")),
                  issue=_text(data.get("issue")), pages=_text(data.get("page")),
                  doi=re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.I) if doi else None,
                  url=_text(data.get("URL")), accessed=_csl_date(data.get("accessed")),
                  published=issued if issued and issued.month else None)


def _endnote(instr: str, data: list[str]) -> tuple[str | None, list[_Item]] | None:
    """EndNote's `<EndNote><Cite>…</Cite></EndNote>`, in the instruction or base64 in w:fldData."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    sources = [instr[instr.find("<EndNote"):]] if "<EndNote" in instr else []
    for chunk in data:
        try:
            raw = base64.b64decode("".join(chunk.split()), validate=False)
        except ValueError:
            continue
        for codec in ("utf-8", "utf-16-le"):
            text = raw.decode(codec, errors="ignore")
            if "<EndNote" in text:
                sources.append(text[text.find("<EndNote"):])
                break
    for source in sources:
        end = source.rfind("</EndNote>")
        if end < 0:
            continue
        try:
            root = fromstring(source[:end + len("</EndNote>")], forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
        except (DefusedXmlException, ParseError, ValueError):
            continue
        display = None
        items = []
        for cite in root.iter("Cite"):
            display = display or _plain(cite.findtext("DisplayText"))
            record_el = cite.find("record")
            record = _endnote_record(record_el) if record_el is not None else Record(
                authors=[a for a in [_text(cite.findtext("Author"))] if a], year=_text(cite.findtext("Year")))
            number = _text(cite.findtext("RecNum")) or (
                _text(record_el.findtext("rec-number")) if record_el is not None else None)
            db = None
            if record_el is not None:
                key_el = record_el.find("foreign-keys/key")
                db = key_el.get("db-id") if key_el is not None else None
            identity = f"endnote:{db or ''}:{number}" if number else "data:" + json.dumps(
                [record.authors[:1], record.year, record.title], ensure_ascii=False)
            items.append(_Item(identity, record))
        if items:
            return display, items
    return None


def _endnote_text(el: Element | None) -> str | None:
    if el is None:
        return None
    return _text("".join(el.itertext()))


def _endnote_record(rec: Element) -> Record:
    authors = [a for a in (_endnote_text(e) for e in rec.findall("contributors/authors/author")) if a]
    year = _endnote_text(rec.find("dates/year"))
    m = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", year or "")
    doi = _endnote_text(rec.find("electronic-resource-num"))
    doi_match = re.search(r"10\.\d{4,9}/\S+", doi or "")
    ref_type = rec.find("ref-type")
    return Record(key=_endnote_text(rec.find("rec-number")),
                  type=str(ref_type.get("name") or "") if ref_type is not None else "",
                  authors=authors, year=m.group(1) if m else None,
                  title=_endnote_text(rec.find("titles/title")),
                  container=_endnote_text(rec.find("titles/secondary-title"))
                  or _endnote_text(rec.find("periodical/full-title")),
                  volume=_endnote_text(rec.find("volume")), issue=_endnote_text(rec.find("number")),
                  pages=_endnote_text(rec.find("pages")), doi=doi_match.group(0) if doi_match else None,
                  url=_endnote_text(rec.find("urls/related-urls/url")))


def _keyed(cites: list[_Cite]) -> list[_Item]:
    """Every distinct cited item, each with a readable key ("Smith2020", "Smith2020b") citations share."""
    from auditor.parsing.text import fold

    by_identity: dict[str, _Item] = {}
    used: set[str] = set()
    for cite in cites:
        for n, item in enumerate(cite.items):
            known = by_identity.get(item.identity)
            if known is not None:
                cite.items[n] = known
                continue
            record = item.record
            who = record.authors[0].split(",")[0] if record.authors else (record.title or "item").split()[0]
            base = re.sub(r"[^a-z0-9]", "", fold(who)).capitalize()[:24] or "Item"
            base += record.year or ""
            key = base
            suffix = 1
            while key.lower() in used:
                suffix += 1
                key = f"{base}-{suffix}"
            used.add(key.lower())
            item.key = key
            by_identity[item.identity] = item
    return list(by_identity.values())


def _pair(paragraphs: list[str], items: list[_Item]) -> dict[int, _Item]:
    """Bibliography paragraphs paired with the items they describe, one to one, by exact data.

    A pair needs the item's first author's family name and its year in the paragraph, or most of the
    words of its title; the best-scoring pairs are taken first."""
    from auditor.parsing.text import fold

    texts = [fold(p) for p in paragraphs]
    scored: list[tuple[float, int, int]] = []
    for j, item in enumerate(items):
        r = item.record
        family = fold(r.authors[0].split(",")[0]).strip() if r.authors else ""
        words = [w for w in re.findall(r"\w{4,}", fold(r.title or ""))]
        for i, text in enumerate(texts):
            has_family = bool(family) and re.search(r"(?<!\w)" + re.escape(family) + r"(?!\w)", text) is not None
            has_year = r.year is not None and r.year in text
            share = sum(1 for w in words if w in text) / len(words) if words else 0.0
            if not ((has_family and has_year) or share >= 0.6):
                continue
            others = sum(1 for a in r.authors[1:] if fold(a.split(",")[0]).strip() in text)
            score = 2 * has_family + 2 * has_year + 3 * share + 0.1 * others
            scored.append((score, i, j))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    out: dict[int, _Item] = {}
    taken: set[int] = set()
    for _, i, j in scored:
        if i in out or j in taken:
            continue
        out[i] = items[j]
        taken.add(j)
    return out
