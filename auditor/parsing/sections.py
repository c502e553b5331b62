"""Find a document's reference list: by its heading, or as a trailing block of numbered notes."""

from __future__ import annotations

import re
from dataclasses import replace

from auditor.model import Document, ReferenceSection
from auditor.parsing.text import fold, strip_markdown

BIBLIOGRAPHY_HEADINGS = {
    "daftar pustaka", "daftar rujukan", "daftar referensi", "referensi", "rujukan", "sumber",
    "sumber rujukan", "sumber referensi", "bibliografi", "pustaka", "kepustakaan", "daftar bacaan",
    "daftar sumber", "literatur", "references", "reference", "reference list", "list of references",
    "bibliography", "works cited", "work cited", "sources", "sources cited", "literature cited",
    "literature", "cited literature", "references cited", "citations", "referencias", "bibliographie",
}
NOTE_HEADINGS = {"catatan", "catatan kaki", "catatan akhir", "notes", "endnotes", "footnotes",
                 "end notes", "foot notes"}
AFTER_REFERENCES = {
    "lampiran", "appendix", "appendices", "biodata", "biodata penulis", "tentang penulis",
    "about the author", "about the authors", "acknowledgements", "acknowledgments",
    "ucapan terima kasih", "author contributions", "supplementary material", "supplementary information",
    "figures", "tables", "figure legends", "competing interests", "funding", "riwayat hidup",
    "authors", "author", "contributors", "penulis",
}
NUMBERING = re.compile(r"^(?:[IVXLC]+|\d+(?:\.\d+)*|[A-Z])[.)]?\s+(?=\S)")
# Words that may follow a reference heading without changing what it is: "Referensi Terkait".
HEADING_QUALIFIERS = {"terkait", "utama", "pendukung", "yang digunakan", "yang dikutip", "cited", "consulted",
                      "used", "and notes", "and further reading", "dan catatan"}
# Headings that end a reference list: "Appendix A. Collected ABNF", "Lampiran 1", "Index".
AFTER_PREFIX = re.compile(r"^(?:appendix|appendices|lampiran|annex|index|indeks|authors?\s*'?\s*s?\s+address(?:es)?|"
                          r"full\s+copyright|intellectual\s+property|about\s+the\s+authors?|glossary|glosarium)\b",
                          re.I)
NOTE_MARKER = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)](?=\s)|\[\^(\d{1,3})\]:|<sup>(\d{1,3})</sup>|(\d{1,3})\s(?=\S))")


HASHES = re.compile(r"^(#{1,6})\s+")
HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.I)
PANDOC_ATTRIBUTES = re.compile(r"\s*\{[#.][^{}]*\}\s*$")
TAG = re.compile(r"<[^<>]{1,200}>")
PUNCTUATION = re.compile(r"[^\w\s]")


def heading_text(line: str) -> tuple[str, int] | None:
    """The words and Markdown level of a line that could be a heading, or None when it is prose."""
    raw = line.strip()
    if not raw or len(raw) > 80:
        return None
    level = 0
    m = HASHES.match(raw)
    if m:
        level = len(m.group(1))
        raw = raw[m.end():]
    else:
        h = HTML_HEADING.fullmatch(raw)  # HTML written inside Markdown
        if h:
            level, raw = int(h.group(1)), h.group(2)
    raw = PANDOC_ATTRIBUTES.sub("", raw)  # Pandoc attributes: "## Bibliography {#bibliography}"
    raw = TAG.sub("", raw).strip()
    text = strip_markdown(raw).strip()
    text = NUMBERING.sub("", text).strip().rstrip(":").strip()
    if not text:
        return None
    return text, level


def _heading_key(text: str) -> str:
    """Heading words compared without case, accents or punctuation: "Daftar Pustaka:" → daftar pustaka."""
    return " ".join(PUNCTUATION.sub(" ", fold(text)).split())


def heading_kind(line: str) -> tuple[str, int, str] | None:
    """("bibliography" | "notes" | "after", level, words) when the line is such a heading."""
    found = heading_text(line)
    if not found:
        return None
    text, level = found
    key = _heading_key(text)
    base = _without_qualifier(key)
    if key in BIBLIOGRAPHY_HEADINGS or base in BIBLIOGRAPHY_HEADINGS:
        return "bibliography", level, text
    if key in NOTE_HEADINGS or base in NOTE_HEADINGS:
        return "notes", level, text
    if key in AFTER_REFERENCES or (AFTER_PREFIX.match(key) and len(key.split()) <= 8):
        return "after", level, text
    return None


def _without_qualifier(key: str) -> str:
    for q in HEADING_QUALIFIERS:
        if key.endswith(" " + q):
            return key[: -len(q) - 1]
    return key


def outline_number(line: str) -> tuple[int, ...] | None:
    """(10,) for "10.  References", (10, 1) for "10.1.  Normative References": an outline heading."""
    m = re.match(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+[A-Z]", line)
    if not m or len(line) > 80 or re.search(r"\b(?:1[5-9]|20)\d\d\b", line) or line.rstrip().endswith((".", ",")):
        return None
    return tuple(int(x) for x in m.group(1).split("."))


HR = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
ENTRY_HEADING = re.compile(r"^\s*#{1,6}\s+\\?\[")


def _label_end(doc: Document, number: int, end: int) -> int:
    """Where a list under a label without Markdown level ("Referensi:", "**DAFTAR PUSTAKA**", "10. References")
    ends: at the next Markdown heading, a horizontal rule, or the next outline heading of the same level."""
    outline = outline_number(doc.lines[number - 1].strip())
    for n in range(number + 1, end + 1):
        line = doc.lines[n - 1]
        if n in doc.skip_lines:
            continue
        if markdown_level(line) and not ENTRY_HEADING.match(line) and not _is_subsection(line):
            return n - 1
        if HR.match(line) and doc.format == "md":
            return n - 1
        if outline and not line[:1].isspace():
            other = outline_number(line.strip())
            if other and len(other) <= len(outline) and other != outline:
                return n - 1
    return end


MD_LEVEL = re.compile(r"^\s*(#{1,6})\s+\S")
HTML_LEVEL = re.compile(r"^\s*<h([1-6])\b", re.I)


def markdown_level(line: str) -> int:
    m = MD_LEVEL.match(line) or HTML_LEVEL.match(line)
    return (len(m.group(1)) if m.group(1).startswith("#") else int(m.group(1))) if m else 0


def find_sections(doc: Document) -> list[ReferenceSection]:
    """Every reference list and notes block in the document, in order."""
    sections: list[ReferenceSection] = []
    starts: list[tuple[int, str, int, str]] = []
    for number, line in enumerate(doc.lines, 1):
        if number in doc.skip_lines:
            continue
        kind = heading_kind(line)
        if kind:
            starts.append((number, kind[0], kind[1], kind[2]))
    total = len(doc.lines)
    for i, (number, what, level, text) in enumerate(starts):
        if what == "after":
            continue
        # The list runs to the next recognised heading, or to the end of the document.
        end = starts[i + 1][0] - 1 if i + 1 < len(starts) else total
        # A Markdown heading of the same or a higher level that is not a sub-section closes the list.
        if level:
            for n in range(number + 1, end + 1):
                lv = markdown_level(doc.lines[n - 1])
                if lv and lv <= level and not _is_subsection(doc.lines[n - 1]) \
                        and not ENTRY_HEADING.match(doc.lines[n - 1]):
                    end = n - 1
                    break
        else:
            end = _label_end(doc, number, end)
        sections.append(ReferenceSection(text, number, number + 1, end, footnotes=what == "notes"))
    if not sections:
        trailing = _trailing_notes(doc)
        if trailing:
            sections.append(trailing)
    return sections


SUBSECTION_WORDS = {
    "buku", "books", "book", "jurnal", "journal", "journals", "journal articles", "artikel", "articles",
    "artikel jurnal", "internet", "website", "websites", "situs", "situs web", "sumber internet",
    "laporan", "reports", "dokumen", "documents", "peraturan", "undang undang", "skripsi", "tesis",
    "disertasi", "online sources", "online", "newspapers", "surat kabar", "media online", "berita",
    "primary sources", "secondary sources", "sumber primer", "sumber sekunder", "majalah", "prosiding",
    "conference papers", "web", "artikel online", "sumber online", "dokumen resmi", "official documents",
}


def _is_subsection(line: str) -> bool:
    found = heading_text(line)
    if not found:
        return False
    return _heading_key(found[0]) in SUBSECTION_WORDS


def is_subheading(line: str) -> bool:
    """A short label such as "Buku" or "### Internet" that groups entries inside a reference list."""
    stripped = line.strip()
    if not stripped:
        return False
    if markdown_level(stripped):
        return True
    if _is_subsection(stripped):
        return True
    outline = outline_number(stripped)
    if outline and len(outline) >= 2 and len(stripped.split()) <= 6:
        return True  # "10.1.  Normative References"
    key = _heading_key(stripped)
    if len(key.split()) <= 3 and re.search(r"\b(?:references|sources|referensi|pustaka|rujukan|works)$", key) \
            and not re.search(r"\d", key):
        return True  # "Normative References", "Primary Sources" inside the list
    found = heading_text(stripped)
    if not found:
        return False
    text = found[0]
    bold = bool(re.fullmatch(r"(\*\*|__).+\1:?", stripped))
    return bold and len(text.split()) <= 5 and not re.search(r"\d{4}", text)


def _trailing_notes(doc: Document) -> ReferenceSection | None:
    """A block of numbered notes closing a document that has no reference heading (`[1] …`, `1. …`)."""
    numbers: list[tuple[int, int]] = []
    first = None
    for number in range(len(doc.lines), 0, -1):
        line = doc.lines[number - 1]
        if not line.strip():
            continue
        m = NOTE_MARKER.match(line)
        if not m:
            if numbers and _continuation(line):
                continue
            break
        value = int(next(g for g in m.groups() if g))
        numbers.append((number, value))
        first = number
    if not numbers or first is None:
        return None
    values = [v for _, v in reversed(numbers)]
    if values[0] != 1 or any(b != a + 1 for a, b in zip(values, values[1:])):
        return None
    texts = [doc.lines[n - 1] for n, _ in numbers]
    looks = sum(1 for t in texts if re.search(r"https?://|\b(1[5-9]|20)\d\d\b|[“\"]|ibid|op\.?\s*cit|loc\.?\s*cit", t, re.I))
    if looks * 2 < len(texts):
        return None
    body = "\n".join(doc.lines[: first - 1])
    bracketed = all(t.lstrip().startswith("[") for t in texts)
    marker = re.compile(r"\[\d{1,3}(?:[,\-–]\s*\d{1,3})*\]|<sup>\d{1,3}</sup>|\[\^\d{1,3}\]")
    if not marker.search(body) and not bracketed:
        return None
    return ReferenceSection(None, None, first, len(doc.lines), footnotes=True)


def _continuation(line: str) -> bool:
    s = line.strip()
    return bool(re.match(r"^(<?https?://|www\.)", s)) or s[:1].islower()


def reference_sections(doc: Document) -> list[ReferenceSection]:
    """The sections a format reader declared from the document's structure, else those found by heading."""
    if doc.declared_sections is not None:
        return [replace(s, items=list(s.items) if s.items is not None else None) for s in doc.declared_sections]
    return find_sections(doc)
