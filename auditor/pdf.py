"""Read a PDF's text layer into lines in reading order, one line per text line, each located by page.

pdfminer.six (MIT) parses the file and runs each page's content streams; a small text device of our own
keeps only each glyph's position, size and text (no layout objects: that halves pdfminer's time). From
the glyphs:

- **Runs**: glyphs that follow one another on one baseline without a wide gap, in content-stream order.
- **Page furniture**: a line at the top or bottom edge of a page that repeats on many pages at the same
  height (digits aside: "Jurnal X, Vol. 3, hal. 12"), or a bare page number there ("12", "- 12 -",
  "Page 12", "Halaman 12", "xii") set apart from the text, is dropped.
- **Columns**: a page whose runs line up on a left edge in the middle of the page with text beside them
  on the same heights is read column by column: between two full-width lines (title, abstract, a wide
  table), the left column, then the right one. A page with a short column (the last one) is read with
  the gutter the other pages show.
- **Footnotes**: where a page's superscript markers and the superscript numbers opening lines at its
  foot agree (the same consecutive numbers), the markers become "[N]" and the notes go after the text,
  declared as a section of notes (each still located on its page); a bibliography under its heading is
  found as usual. Pages where they do not agree are left as they are.
- **Lines**: runs on one baseline (superscripts and subscripts included) make a line; a blank line is
  kept where the gap above a line is clearly wider than the page's line pitch (a new paragraph or
  block) and between columns and pages unless the text runs on; a line indented from the column's left
  edge keeps a few leading spaces (hanging-indent reference lists).
- **Joins**: "infor-" at the end of a full line and "mation" beginning the next join to "information" on
  the first line (a hyphen kept where the document writes the hyphenated word elsewhere, or where the
  next line starts with a capital or digit: "Korea-" / "Utara"); a URL broken over lines joins when the
  next line goes on with URL text.

Bad files give one clear DocumentError: not a PDF or damaged, encrypted with a password, no text layer
(a scanned PDF: the auditor does not do OCR), text in fonts without a Unicode map, or past the limits on
pages, text and decompressed stream size.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import logging
import os
import re
import statistics
import struct
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pdfminer.pdftypes
from pdfminer.pdfdevice import PDFTextDevice
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdffont import PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.psexceptions import PSException

from auditor.errors import DocumentError
from auditor.model import DeclaredItem, Document, ReferenceSection

MAX_PAGES = 2000
MAX_CHARS = 5_000_000  # glyphs in the whole document
MAX_PAGE_CHARS = 200_000
MAX_STREAM_BYTES = 64 * 1024 * 1024  # one decompressed stream
# Glyphs pdfminer cannot map to Unicode (fonts without a ToUnicode map): past this share, the text
# layer is unreadable and the document is refused rather than audited as garbage.
MAX_UNMAPPED_SHARE = 0.2
UNMAPPED = "\ufffd"

LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
             "\ufb06": "st"}
# Bullets drawn from Symbol and Wingdings fonts come out as private-use characters.
PRIVATE_BULLETS = {"\uf0b7": "•", "\uf0a7": "▪", "\uf0d8": "•", "\uf0fc": "•", "\uf076": "•", "\uf0a8": "•"}
TRANSLATE = str.maketrans({**LIGATURES, **PRIVATE_BULLETS, "\u00ad": "", "\x00": ""})

PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:(?:page|halaman|hal\.?|p\.)\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})"
                         r"(?:\s*(?:of|dari|/)\s*\d{1,4})?(?:\s*[-–—])?$", re.I)
DIGITS = re.compile(r"\d+")
URL_AT_END = re.compile(r"(?:https?://|www\.)\S*$", re.I)
URL_TEXT = re.compile(r"[\w\-./?=&#%~+:;@!$'*,()\[\]\\]+")
URL_INNER = re.compile(r"[-/_?=&#%~]|\.\w")
HYPHEN_AT_END = re.compile(r"(?<![^\W\d_])([^\W\d_]*[^\W\d_])([-\u2010])$|(\w)([-\u2010])$|(\d)(–)$")
WORD_AT_START = re.compile(r"^(\S+)")
WORD = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")


class _TooLarge(Exception):
    """A decompressed stream past MAX_STREAM_BYTES."""


class _BoundedZlib:
    """Stands in for the zlib module inside pdfminer: the same calls, each output bounded, so that a
    small compressed stream cannot expand into gigabytes (a "zip bomb")."""

    error = zlib.error

    @staticmethod
    def decompress(data: bytes, *args: Any, **kwargs: Any) -> bytes:
        d = zlib.decompressobj()
        out = d.decompress(data, MAX_STREAM_BYTES + 1)
        if len(out) > MAX_STREAM_BYTES:
            raise _TooLarge
        if not d.eof:
            raise zlib.error("incomplete or truncated stream")
        return out

    @staticmethod
    def decompressobj(*args: Any, **kwargs: Any) -> _BoundedDecompressor:
        return _BoundedDecompressor(zlib.decompressobj(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


class _BoundedDecompressor:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.total = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out: bytes = self.inner.decompress(data, MAX_STREAM_BYTES + 1 - self.total)
        self.total += len(out)
        if self.total > MAX_STREAM_BYTES:
            raise _TooLarge
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class _Run:
    x0: float
    x1: float
    y: float  # baseline
    size: float
    text: str


@dataclass
class _Line:
    x0: float
    x1: float
    y: float
    size: float
    text: str
    page: int
    indent: int = 0
    full: bool = False  # reaches the right edge of its column: the text may run on to the next line
    room: float = 0.0  # the space left between the line's end and its column's right edge
    blank_before: bool = False


@dataclass
class _Page:
    number: int
    runs: list[_Run] = field(default_factory=list)


def read_pdf(path: str, data: bytes) -> Document:
    """Read a PDF's text into a Document: lines in reading order, `locators[line] = "page N"`."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentError(f"{path}: is not a PDF file (no %PDF header)")
    pages, turned = _extract(path, data)
    glyphs = sum(len(r.text) for p in pages for r in p.runs)
    if not any(r.text.strip() for p in pages for r in p.runs):
        if turned:
            raise DocumentError(f"{path}: all its text is rotated or mirrored; the auditor reads upright text")
        raise DocumentError(f"{path}: has no text layer (a scanned PDF?); the auditor does not do OCR")
    unmapped = sum(r.text.count(UNMAPPED) for p in pages for r in p.runs)
    if unmapped > MAX_UNMAPPED_SHARE * glyphs:
        raise DocumentError(f"{path}: its text cannot be decoded (fonts without a Unicode map); "
                            "export the PDF again with searchable text")
    try:
        return _layout(path, data, pages)
    except (ArithmeticError, ValueError, IndexError, KeyError, RecursionError) as exc:
        if os.environ.get("AUDITOR_DEBUG"):
            raise
        raise DocumentError(f"{path}: its text could not be laid out ({type(exc).__name__}); not read") from None


def _layout(path: str, data: bytes, pages: list[_Page]) -> Document:
    """The pages' runs as the document's lines, with footnotes declared."""
    furniture = _furniture(pages)
    lines: list[_Line] = []
    notes: list[tuple[int, list[_Line]]] = []
    texts = [[r for i, r in enumerate(page.runs) if (page.number, i) not in furniture] for page in pages]
    gutters = [_gutter(runs) for runs in texts]
    found = [g for g in gutters if g is not None]
    # A page of a two-column document with little text in one column (the last page) is read with the
    # gutter the other pages show.
    hint = statistics.median(found) if found else None
    for page, runs, gutter in zip(pages, texts, gutters):
        if gutter is None and hint is not None and _beside(runs, hint):
            gutter = hint
        body, page_notes = _footnotes(runs) if gutter is None else (runs, [])
        page_lines = _page_lines(body, page.number, gutter)
        if page_lines and lines:
            page_lines[0].blank_before = page_lines[0].blank_before or not _runs_on(lines[-1], page_lines[0])
        lines.extend(page_lines)
        for number, note_runs in page_notes:
            note_lines = _lines(note_runs, page.number)
            if note_lines:
                note_lines[0].text = f"{number}. {note_lines[0].text}"
                for line in note_lines:
                    line.indent = 0
                notes.append((number, note_lines))
    _join_breaks(lines)
    out: list[str] = []
    locators: dict[int, str] = {}

    def put(line: _Line) -> None:
        if line.blank_before and out and out[-1]:
            out.append("")
            locators[len(out)] = f"page {line.page}"
        out.append(" " * line.indent + line.text)
        locators[len(out)] = f"page {line.page}"

    for line in lines:
        put(line)
    doc = Document(path=path, format="pdf", sha256=hashlib.sha256(data).hexdigest(), encoding="pdf",
                   lines=out, locators=locators)
    if notes:
        doc.declared_sections = _with_notes(doc, notes, put)
    return doc


def _with_notes(doc: Document, notes: list[tuple[int, list[_Line]]], put: Any) -> list[ReferenceSection]:
    """The footnotes, put after the text, as a declared section of notes; the text's own reference lists
    (a bibliography under its heading) are found as usual, from the text before them."""
    from auditor.parsing.sections import find_sections

    sections = find_sections(doc)
    items: list[DeclaredItem] = []
    for number, note_lines in notes:
        _join_breaks(note_lines)
        for line in note_lines:  # `put` appends to doc.lines and doc.locators
            line.blank_before = line is note_lines[0]
            put(line)
            if line is note_lines[0]:
                items.append(DeclaredItem(len(doc.lines), number))
        items[-1].end_line = len(doc.lines)
    sections.append(ReferenceSection(None, None, items[0].line, len(doc.lines), footnotes=True, items=items))
    return sections


# --- Extraction: glyphs into runs, page by page ---------------------------------------------------


def _extract(path: str, data: bytes) -> tuple[list[_Page], int]:
    """The pages' runs, and how many glyphs were left out because they are not upright."""
    logging.getLogger("pdfminer").setLevel(logging.CRITICAL)  # its warnings about damaged files
    pdfminer.pdftypes.zlib = _BoundedZlib()  # type: ignore[assignment]
    device: _TextDevice | None = None
    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)), password="")
        resources = PDFResourceManager(caching=True)
        device = _TextDevice(resources)
        interpreter = PDFPageInterpreter(resources, device)
        for number, page in enumerate(PDFPage.create_pages(document), 1):
            if number > MAX_PAGES:
                raise DocumentError(f"{path}: too many pages (more than {MAX_PAGES}); not read")
            device.page = _Page(number)
            interpreter.process_page(page)
            device.flush()
            device.pages.append(device.page)
    except DocumentError:
        raise
    except PDFPasswordIncorrect:
        raise DocumentError(f"{path}: is encrypted with a password; save an unprotected copy to audit it") from None
    except PDFEncryptionError as exc:
        raise DocumentError(f"{path}: is encrypted in a way the auditor cannot read ({exc})") from None
    except _TooLarge:
        raise DocumentError(f"{path}: a compressed stream expands past {MAX_STREAM_BYTES // 2**20} MiB; "
                            "not read") from None
    except _TooMuchText as exc:
        raise DocumentError(f"{path}: {exc}; not read") from None
    except RecursionError:
        raise DocumentError(f"{path}: its structure is nested too deeply to read") from None
    except (PSException, ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError,
            OverflowError, ZeroDivisionError, zlib.error, EOFError, OSError, RuntimeError, struct.error) as exc:
        if device is not None and device.pages:
            # A damaged page after readable ones: keep what was read (the reader says less, not nothing).
            return device.pages, device.turned
        detail = str(exc).split("\n")[0][:120]
        raise DocumentError(f"{path}: is damaged or not a PDF the auditor can read "
                            f"({type(exc).__name__}{': ' + detail if detail else ''})") from None
    return device.pages, device.turned


class _TooMuchText(Exception):
    pass


class _TextDevice(PDFTextDevice):
    """A pdfminer device that keeps each upright glyph as (x, baseline, advance, size, text) and groups
    consecutive glyphs into runs; everything else a page draws is ignored."""

    def __init__(self, resources: Any) -> None:
        super().__init__(resources)
        self.pages: list[_Page] = []
        self.page = _Page(0)
        self.total = 0
        self.count = 0
        self.turned = 0  # glyphs not upright, left out
        self.run: list[Any] | None = None  # [x0, x1, y, size, chars]

    def render_string_horizontal(self, seq: Any, matrix: Any, pos: Any, font: Any, fontsize: float,
                                 scaling: float, charspace: float, wordspace: float, rise: float,
                                 dxscale: float, ncs: Any, graphicstate: Any) -> Any:
        """pdfminer's own loop over a string's glyphs (the same advances, spacing and kerning), with
        each glyph's position computed here rather than through a matrix and a call per glyph."""
        (x, y) = pos
        a, b, c, d, e, f = matrix
        # Upright glyphs of a visible size (text set at size 0 cannot be read, nor laid out).
        upright = a > 0 and d > 0 and abs(b) <= 1e-3 * a and abs(c) <= 1e-3 * d and fontsize * d >= 0.5
        needcharspace = False
        for obj in seq:
            if isinstance(obj, (int, float)):
                x -= obj * dxscale
                needcharspace = True
            elif isinstance(obj, bytes):
                for cid in font.decode(obj):
                    if needcharspace:
                        x += charspace
                    adv = font.char_width(cid) * fontsize * scaling
                    if upright:
                        self._glyph(a * x + c * y + e, b * x + d * y + f + rise * d, adv * a, fontsize * d, font, cid)
                    else:
                        self.turned += 1  # rotated, mirrored or upside-down: margin stamps, turned table heads
                    x += adv
                    if cid == 32 and wordspace:
                        x += wordspace
                    needcharspace = True
        return (x, y)

    def render_char(self, matrix: Any, font: Any, fontsize: float, scaling: float, rise: float, cid: int,
                    ncs: Any, graphicstate: Any) -> float:
        """Glyphs of vertical writing come here: left out."""
        self.turned += 1
        adv: float = font.char_width(cid) * fontsize * scaling
        return adv

    def _glyph(self, x0: float, y: float, width: float, size: float, font: Any, cid: int) -> None:
        try:
            text = font.to_unichr(cid)
        except (PDFUnicodeNotDefined, KeyError, IndexError, ValueError, TypeError):
            text = UNMAPPED
        self.count += 1
        if self.count > MAX_PAGE_CHARS:
            raise _TooMuchText(f"page {self.page.number} has more than {MAX_PAGE_CHARS} characters")
        x1 = x0 + width
        run = self.run
        if run is not None:
            gap = x0 - run[1]
            big = size if size > run[3] else run[3]
            if -0.15 * big <= y - run[2] <= 0.15 * big and -0.3 * size <= gap <= 0.9 * big:
                chars = run[4]
                if gap > 0.15 * size and chars[-1] != " " and text != " ":
                    chars.append(" ")
                chars.append(text)
                if x1 > run[1]:
                    run[1] = x1
                run[3] = big
                return
            self.flush()
        self.run = [x0, x1, y, size, [text]]

    def flush(self) -> None:
        if self.run is None:
            return
        x0, x1, y, size, chars = self.run
        self.run = None
        text = "".join(chars)
        if not text.strip():
            return
        self.total += len(text)
        if self.total > MAX_CHARS:
            raise _TooMuchText(f"more than {MAX_CHARS} characters of text")
        stripped = text.rstrip()
        lead = len(text) - len(text.lstrip())
        if lead:
            x0 += (x1 - x0) * lead / len(text)  # a leading space glyph: start the run at its first word
        self.page.runs.append(_Run(x0, x1, y, size, stripped.lstrip().translate(TRANSLATE)))

    def begin_page(self, page: Any, ctm: Any) -> None:
        self.count = 0
        self.run = None

    def end_page(self, page: Any) -> None:
        self.flush()


# --- Page furniture -------------------------------------------------------------------------------


def _furniture(pages: list[_Page]) -> set[tuple[int, int]]:
    """(page, run index) of running headers, footers and page numbers. Candidates are the one or two
    rows at the top and at the bottom of a page that a wide gap sets apart from the text; of those, a
    bare page number on the outermost row, and text that recurs (digits aside) at one height on at least
    30% of the pages, two at least."""
    found: set[tuple[int, int]] = set()
    edges: dict[str, list[tuple[float, int, list[int]]]] = defaultdict(list)
    for page in pages:
        merged = _rows(page.runs)
        ys = sorted(merged, reverse=True)
        if len(ys) < 3:
            continue
        size = {y: max(page.runs[i].size for i in merged[y]) for y in ys}
        for edge in (ys, ys[::-1]):
            # The rows before the first wide gap from the top (or the bottom): one or two rows set apart.
            block = next((edge[:k + 1] for k in range(min(2, len(edge) - 1))
                          if abs(edge[k] - edge[k + 1]) > 1.6 * size[edge[k]]), [])
            for y in block:
                members = sorted(merged[y], key=lambda i: page.runs[i].x0)
                text = " ".join(page.runs[i].text for i in members).strip()
                if PAGE_NUMBER.match(text) and y == edge[0]:
                    found.update((page.number, i) for i in members)
                elif len(text) <= 200:
                    edges[DIGITS.sub("#", " ".join(text.split()))].append((y, page.number, members))
    counted = sum(1 for p in pages if p.runs)
    for spots in edges.values():
        middle = statistics.median(y for y, _, _ in spots)
        there = [(number, members) for y, number, members in spots if abs(y - middle) <= 3]
        if len({number for number, _ in there}) >= max(2, round(0.3 * counted)):
            for number, members in there:
                found.update((number, i) for i in members)
    return found


def _rows(runs: list[_Run]) -> dict[float, list[int]]:
    """Runs grouped into rows by baseline (a superscript joins its line): the row's baseline (that of
    its largest run) -> the indices of its runs."""
    rows: dict[float, list[int]] = {}
    order = sorted(range(len(runs)), key=lambda i: -runs[i].y)
    current: list[int] = []
    main: _Run | None = None
    for i in order:
        r = runs[i]
        if main is not None and abs(r.y - main.y) <= 0.45 * max(r.size, main.size):
            current.append(i)
            if (r.size, len(r.text)) > (main.size, len(main.text)):
                main = r
            continue
        if main is not None:
            rows[main.y] = current
        current, main = [i], r
    if main is not None:
        rows[main.y] = current
    return rows


# --- Footnotes ------------------------------------------------------------------------------------

NOTE_NUMBER = re.compile(r"\d{1,3}")


def _footnotes(runs: list[_Run]) -> tuple[list[_Run], list[tuple[int, list[_Run]]]]:
    """A page's text without its footnotes, and the footnotes: (number, runs) in order.

    Only when the page shows them beyond doubt: superscript numbers after words in the text (markers),
    superscript numbers opening lines below all of them (notes), consecutive, and the same numbers in
    both. The markers become "[N]" as in the HTML reader. Otherwise the page is left as it is."""
    digits = [r for r in runs if NOTE_NUMBER.fullmatch(r.text)]
    if not digits:
        return runs, []
    markers: list[tuple[_Run, int]] = []
    openers: list[tuple[_Run, int]] = []
    for d in digits:
        hosts = [r for r in runs if r is not d and r.size >= 1.25 * d.size
                 and 0.1 * r.size <= d.y - r.y <= 0.7 * r.size]
        if any(abs(d.x0 - h.x1) <= 0.3 * h.size for h in hosts):
            markers.append((d, int(d.text)))
        elif any(0 <= h.x0 - d.x1 <= 2 * h.size for h in hosts) and not any(
                r.x1 <= d.x0 + 0.1 and abs(r.y - d.y) <= 0.7 * max(r.size, d.size) for r in runs if r is not d):
            openers.append((d, int(d.text)))
    if not markers or not openers:
        return runs, []
    openers.sort(key=lambda o: -o[0].y)
    numbers = [n for _, n in openers]
    lowest_marker = min(m.y for m, _ in markers)
    if (any(b != a + 1 for a, b in zip(numbers, numbers[1:])) or sorted({n for _, n in markers}) != numbers
            or openers[0][0].y >= lowest_marker):
        return runs, []
    first = openers[0][0]
    host_size = max(r.size for r in runs if abs(r.y - first.y) <= 0.7 * r.size and r is not first)
    area = [r for r in runs if r.y < first.y + 0.5 * host_size]
    ys = [r.y for r in runs]
    if first.y > max(ys) - (max(ys) - min(ys)) / 3 or sum(len(r.text) for r in area) > 0.6 * sum(
            len(r.text) for r in runs):
        return runs, []  # notes fill the foot of a page, never its top (an affiliation under a title)
    taken = {id(r) for r in area}
    body = [r for r in runs if id(r) not in taken]
    for m, n in markers:
        m.text = f"[{n}]"
    notes: list[tuple[int, list[_Run]]] = []
    opening = {id(o) for o, _ in openers}
    bounds = [o[0].y for o in openers[1:]] + [float("-inf")]
    for (opener, number), below in zip(openers, bounds):
        note = [r for r in area if id(r) not in opening and below + 0.5 * host_size <= r.y < opener.y + 0.5 * host_size]
        notes.append((number, note))
    return body, notes


# --- Columns and lines ----------------------------------------------------------------------------


def _page_lines(runs: list[_Run], page: int, gutter: float | None) -> list[_Line]:
    """A page's runs as lines in reading order, column by column where a gutter is given."""
    if not runs:
        return []
    blocks: list[list[_Run]] = []
    if gutter is None:
        blocks = [runs]
    else:
        # Top to bottom: runs across the gutter (and runs on their baselines) make full-width blocks;
        # between two of them, the left column is read before the right one.
        band: list[_Run] = []
        wide: list[_Run] = []
        for r in sorted(runs, key=lambda r: -r.y):
            across = r.x0 < gutter < r.x1
            if across or (wide and abs(r.y - wide[-1].y) <= 0.45 * max(r.size, wide[-1].size)):
                if band:
                    blocks.extend(_split_band(band, gutter))
                    band = []
                wide.append(r)
            else:
                if wide:
                    blocks.append(wide)
                    wide = []
                band.append(r)
        if wide:
            blocks.append(wide)
        blocks.extend(_split_band(band, gutter))
    out: list[_Line] = []
    for block in blocks:
        lines = _lines(block, page)
        if lines and out:
            lines[0].blank_before = lines[0].blank_before or not _runs_on(out[-1], lines[0])
        out.extend(lines)
    return out


def _gutter(runs: list[_Run]) -> float | None:
    """The x of the gap between two columns, or None for a page of one column.

    Two columns: at least three runs start at one x in the middle of the text's width (the right
    column's left edge, or its indent), and at least three of them have a run beside them (within half a
    line's height) that ends left of that x; the gutter is the middle of the gap between the two."""
    left = min(r.x0 for r in runs)
    right = max(r.x1 for r in runs)
    width = right - left
    if width <= 0:
        return None
    starts = Counter(round(r.x0) for r in runs if left + 0.3 * width <= r.x0 <= left + 0.7 * width)
    for edge, count in starts.most_common(3):
        if count < 3:
            break
        lhs = sorted((r for r in runs if r.x1 <= edge - 2), key=lambda r: r.y)
        if not lhs:
            continue
        ys = [r.y for r in lhs]
        beside = 0
        for r in runs:
            if abs(r.x0 - edge) <= 1.5:
                i = bisect.bisect_left(ys, r.y - 0.6 * r.size)
                beside += i < len(ys) and ys[i] <= r.y + 0.6 * r.size
        if beside >= 3:
            inner = max(r.x1 for r in lhs)
            outer = min((r.x0 for r in runs if r.x0 > inner), default=edge)
            return (inner + outer) / 2
    return None


def _beside(runs: list[_Run], gutter: float) -> bool:
    """Whether a page has text on both sides of a gutter on one height, and a line starting just right
    of it: a two-column page with little text in one column."""
    lhs = [r for r in runs if r.x1 <= gutter]
    rhs = [r for r in runs if r.x0 >= gutter and r.x0 <= gutter + 20]
    return any(abs(a.y - b.y) <= 0.6 * b.size for a in lhs for b in rhs[:50])


def _split_band(band: list[_Run], gutter: float) -> list[list[_Run]]:
    """A band between full-width lines: its left column, then its right column."""
    lhs = [r for r in band if r.x1 <= gutter]
    rhs = [r for r in band if r.x0 >= gutter]
    return [b for b in (lhs, rhs) if b]


def _lines(runs: list[_Run], page: int) -> list[_Line]:
    """Runs of one column as lines, top to bottom, with paragraph gaps and indents."""
    rows: list[list[_Run]] = []
    for r in sorted(runs, key=lambda r: -r.y):
        if rows:
            row = rows[-1]
            main = max(row, key=lambda q: (q.size, len(q.text)))
            if abs(r.y - main.y) <= 0.45 * max(r.size, main.size):
                row.append(r)
                continue
        rows.append([r])
    lines: list[_Line] = []
    for row in rows:
        row.sort(key=lambda r: r.x0)
        main = max(row, key=lambda q: (q.size, len(q.text)))
        text = row[0].text
        for before, r in zip(row, row[1:]):
            joint = "" if r.x0 - before.x1 < 0.15 * main.size or text.endswith(" ") else " "
            text += joint + r.text
        lines.append(_Line(row[0].x0, max(r.x1 for r in row), main.y, main.size, " ".join(text.split()), page))
    if not lines:
        return lines
    # The column's left edge (a page number in the margin was dropped as furniture).
    edge = min(line.x0 for line in lines)
    right = max(line.x1 for line in lines)
    # The usual line pitch, as a multiple of the font size: a gap clearly wider starts a new block.
    gaps = [(a.y - b.y) / b.size for a, b in zip(lines, lines[1:]) if 0 < a.y - b.y < 3 * max(a.size, b.size)]
    pitch = statistics.median(gaps) if gaps else 1.2
    for i, line in enumerate(lines):
        offset = line.x0 - edge
        line.indent = min(12, round(offset / (0.5 * line.size))) if offset > 0.8 * line.size else 0
        line.room = right - line.x1
        line.full = line.room <= max(2 * line.size, 0.1 * (right - edge))
        if i:
            gap = lines[i - 1].y - line.y
            bigger = abs(line.size - lines[i - 1].size) > 0.15 * max(line.size, lines[i - 1].size)
            line.blank_before = gap > 1.3 * pitch * line.size or gap < 0 or bigger
    return lines


def _runs_on(before: _Line, after: _Line) -> bool:
    """Whether the text of a line at the bottom of a column or page runs on at the top of the next: the
    two are set alike (size, indent) and the first is full (a paragraph's last line usually is not), does
    not end a sentence, or the next goes on in lower case."""
    if abs(before.size - after.size) > 0.15 * before.size:
        return False
    if abs(before.x0 - after.x0) > 2 and before.indent != after.indent:
        return False
    return before.full or after.text[:1].islower() or not re.search(r"[.!?:;][\"'”’)]?$", before.text)


# --- Hyphenated words and URLs broken over lines --------------------------------------------------


def _join_breaks(lines: list[_Line]) -> None:
    """Join words hyphenated at a line end and URLs broken over lines, on the first line; a line left
    empty is dropped."""
    words = Counter(w.lower() for line in lines for w in WORD.findall(line.text))
    i = 0
    while i < len(lines) - 1:
        line, after = lines[i], lines[i + 1]
        if after.blank_before or not line.text or not after.text:
            i += 1
            continue
        first = WORD_AT_START.match(after.text)
        if first is None:
            i += 1
            continue
        token = first.group(1)
        joined = _url_join(line, token) or _hyphen_join(line, token, words)
        if joined is None:
            i += 1
            continue
        line.text = joined
        rest = after.text[first.end():].lstrip()
        if rest:
            after.text = rest
            i += 1
        else:
            line.full, line.room = after.full, after.room
            del lines[i + 1]


def _wraps(line: _Line, token: str) -> bool:
    """Whether the line was broken because the next word did not fit: it is full, or the space left on
    it is narrower than the next line's first word (at a generous half an em a character)."""
    return line.full or line.room < (len(token) + 1) * 0.5 * line.size


def _url_join(line: _Line, token: str) -> str | None:
    url = URL_AT_END.search(line.text)
    if url is None or not _wraps(line, token) or re.match(r"(?:https?://|www\.)", token, re.I):
        return None
    if not URL_TEXT.fullmatch(token):
        return None
    tail = token.rstrip(".,;:>)]")
    if not tail:
        return None
    ends_open = url.group(0)[-1] in "-_?=&#%~+"
    if URL_INNER.search(tail) or ends_open:
        return line.text + token
    return None


def _hyphen_join(line: _Line, token: str, words: Counter[str]) -> str | None:
    m = HYPHEN_AT_END.search(line.text)
    if m is None or not _wraps(line, token):
        return None
    head = m.group(1) or m.group(3) or m.group(5)
    if m.group(5):
        return line.text + token if token[0].isdigit() else None  # "pp. 45–" / "70."
    if URL_AT_END.search(line.text):
        return None
    word = re.match(r"[^\W\d_]+", token)
    if m.group(1) and head[-1].islower() and word and token[0].islower():
        piece = word.group(0)
        hyphenated = f"{head}-{piece}".lower()
        solid = f"{head}{piece}".lower()
        if words[hyphenated] > 0 and words[solid] == 0:
            return line.text + token  # "well-" / "known": the document writes "well-known"
        return line.text[:-1] + token
    if token[0].isupper() or token[0].isdigit():
        return line.text + token  # "Korea-" / "Utara", "2019-" / "2020": a real hyphen
    return None
