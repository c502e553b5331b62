"""The data that flows through an audit: documents, entries, citations and findings.

The model knows nothing about SQLite or HTML; every stage is a function from these values to others.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    """How serious a finding is; ordered error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


def year_number(year: str | None) -> int | None:
    """The number of a year as entries and citations write it: "2024a" → 2024, "n.d." or None → None."""
    if year and year[:4].isdigit():
        return int(year[:4])
    return None


class EntryKind(enum.StrEnum):
    """What an item of a reference list is (stored as the string)."""

    REFERENCE = "reference"
    NOTE = "note"
    IBID = "ibid"
    OP_CIT = "op-cit"
    LOC_CIT = "loc-cit"
    IDEM = "idem"
    FRAGMENT = "fragment"  # a piece of an entry broken off, not an entry of its own


class CitationKind(enum.StrEnum):
    """The form a citation takes in the text (stored as the string)."""

    AUTHOR_YEAR = "author-year"
    AUTHOR_ONLY = "author-only"
    AUTHOR_PAGE = "author-page"
    NARRATIVE = "narrative"
    NUMBERED = "numbered"
    FOOTNOTE = "footnote"
    LABEL = "label"
    PANDOC = "pandoc"
    KEY = "key"  # declared by a structured format's reader, resolved by entry key
    GLUED_KEY = "glued-key"
    BARE = "bare"


class CitationStatus(enum.StrEnum):
    """What matching made of a citation (stored as the string)."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    AMBIGUOUS = "ambiguous"
    YEAR_MISMATCH = "year-mismatch"
    NOT_FIRST_AUTHOR = "not-first-author"
    MISSING_YEAR = "missing-year"


@dataclass(frozen=True)
class PartialDate:
    """A date that may be known only to the year or the month (CSL-style partial date)."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def key(self, precision: int) -> tuple[int, ...]:
        """The date truncated to 1 (year), 2 (month) or 3 (day) parts, for comparisons."""
        return (self.year, self.month or 0, self.day or 0)[:precision]

    @property
    def precision(self) -> int:
        return 3 if self.day else 2 if self.month else 1


@dataclass
class Document:
    """A document read from disk: its text as lines numbered like the file."""

    path: str
    format: str
    sha256: str
    encoding: str
    lines: list[str]
    # Line numbers (1-based) where an encoding artefact such as mojibake was repaired.
    repaired_lines: list[int] = field(default_factory=list)
    # Lines that are markup or code rather than prose (JSX blocks, fenced code), 1-based.
    skip_lines: set[int] = field(default_factory=set)
    # Per line, comments such as `<!-- auditor-ignore: rule -->` that apply to the next line.
    ignore_directives: dict[int, set[str]] = field(default_factory=dict)
    # The reference lists and notes a format reader found from the document's structure (HTML
    # `ol.references`, footnote blocks, lists under a "References" heading). None: the reader declares
    # nothing and the lists are found from the text by heading; a list (even empty) replaces that search.
    declared_sections: list[ReferenceSection] | None = None
    # Citations a format reader knows exactly (LaTeX \cite keys, JATS xref, Word reference-manager
    # fields). They replace any citation the text scanner finds on the same span. None: none declared.
    declared_citations: list[DeclaredCitation] | None = None
    # The format's own locator of a line, where it is not simply "line N": "page 4", "footnote 3",
    # "paragraph 12", "refs.bib:120". Stored beside the line number and shown by the report.
    locators: dict[int, str] = field(default_factory=dict)
    # Files the document names as its own parts (a .bib of a LaTeX or Pandoc paper, an \input chapter):
    # audited with it as one manuscript. Paths as the reader resolved them.
    companions: list[str] = field(default_factory=list)
    # Parts the document names that could not be read (a bibliography file that does not exist, lies
    # outside the document's folder or is in a format not read): (line naming it, name as written, why).
    # Citations by key may be unresolved only because of them.
    unread_parts: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def locator(self, number: int | None) -> str | None:
        """The format's own name for where a line is ("page 4"), or None for plain line numbers."""
        return self.locators.get(number) if number is not None else None


@dataclass
class Entry:
    """One item of a reference list or one note, with the fields parsed from it."""

    index: int
    line: int
    end_line: int
    raw: str
    section: str | None = None
    subsection: str | None = None
    number: int | None = None
    key: str | None = None  # a symbolic label such as "RFC2396" that citations use: "[RFC2396]"
    list_style: str = "plain"  # plain, bullet, numbered, label
    authors: list[str] = field(default_factory=list)
    author_text: str = ""
    year: str | None = None  # "2024", "2024a", "n.d." or None
    title: str | None = None
    container: str | None = None
    urls: list[str] = field(default_factory=list)
    raw_urls: list[str] = field(default_factory=list)
    doi: str | None = None
    accessed: PartialDate | None = None
    accessed_text: str | None = None
    published: PartialDate | None = None
    kind: EntryKind = EntryKind.REFERENCE
    refers_to: int | None = None  # for Ibid./Op. Cit. notes: the index of the note meant
    source: int | None = None  # for a note: the bibliography entry of the same work, if the list has one
    dangling_access: bool = False  # ends with "Accessed" and nothing after it
    bad_dates: list[str] = field(default_factory=list)  # dates that cannot exist ("30 Februari 2024")
    is_footnote: bool = False
    file: str | None = None  # in a manuscript of several files: the name of the file the entry is in
    group: str = ""  # the note group of a numbered note, "n" for Wikipedia's "[n 1]" notes
    record: Record | None = None  # the exact fields, when a structured source declared the entry

    @property
    def year_value(self) -> int | None:
        return year_number(self.year)

    @property
    def label(self) -> str:
        """How the entry is named in messages: first author and year, or its number."""
        who = self.author_text.strip() or (self.title or self.raw)[:40]
        who = who.rstrip(" .,;")
        if self.kind in ("note", "ibid", "op-cit", "loc-cit", "idem") and self.number is not None:
            return f"note {self.number}"
        if self.list_style == "numbered" and self.number is not None:
            return f"[{self.number}] {who[:50]}"
        return f"{who[:60]} {self.year or 'n.d.'}".strip()


@dataclass
class Citation:
    """One cited item in the text: `(Ford 2009; Kitchen 2010)` gives two citations."""

    index: int
    line: int
    column: int
    raw: str
    kind: CitationKind
    names: list[str] = field(default_factory=list)
    et_al: bool = False
    year: str | None = None
    number: int | None = None
    marker: str = ""  # the whole bracket or parenthesis the item came from
    paragraph: int = 0
    offset: int = 0  # offset of the item in its paragraph's text
    group_start: int = 0  # offset of the enclosing parenthesis or bracket in the paragraph
    entry_index: int | None = None
    candidates: list[int] = field(default_factory=list)
    status: CitationStatus = CitationStatus.UNRESOLVED
    suggestion_index: int | None = None
    # For narrative citations: the possible starts of the name before "(2005)", for matching to choose.
    readings: list[tuple[int, list[str], bool, str]] = field(default_factory=list, repr=False)
    group: str = ""  # the note group of a numbered marker: "n" for "[n 1]"
    nocite: bool = False  # a declared \nocite: makes its entry count as cited, is never unresolved text
    field_text: str | None = None  # a reference-manager field's own text for this citation

    @property
    def label(self) -> str:
        if self.kind == "key":
            return self.raw  # a declared key: "smith2020"
        if self.number is not None:
            return f"[{self.number}]"
        names = " & ".join(self.names[:2]) + (" et al." if self.et_al else "")
        return f"{names} {self.year}" if self.year else names


@dataclass
class Paragraph:
    """A block of prose: consecutive non-blank lines, joined across page breaks."""

    index: int
    text: str
    # Where each line's text starts: (offset in text, line number, column of that offset), 1-based.
    segments: list[tuple[int, int, int]]

    @property
    def first_line(self) -> int:
        return self.segments[0][1] if self.segments else 0

    def where(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) in the file of a character of the paragraph's text."""
        if not self.segments:
            return (0, 0)
        offset = max(0, min(offset, len(self.text) - 1))
        i = bisect.bisect_right(self.segments, (offset, float("inf"), 0)) - 1
        start, line, column = self.segments[max(i, 0)]
        return line, column + (offset - start)


@dataclass
class Record:
    """Bibliographic data read exactly from a structured source: a BibTeX entry, a CSL item, a JATS
    element-citation, a reference-manager field. Fills an entry's fields with no guessing from text."""

    key: str | None = None
    type: str = ""  # the source's own type: "article", "article-journal", "book", "inproceedings" …
    authors: list[str] = field(default_factory=list)  # "Family, Given" (or an organisation's name)
    year: str | None = None  # "2020", "2020a" or "n.d."
    title: str | None = None
    container: str | None = None  # journal, book or proceedings title
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None
    url: str | None = None
    accessed: PartialDate | None = None
    published: PartialDate | None = None
    # Fields the entry's type requires that it lacks ("journal", "year"): for `missing-field`.
    missing: list[str] = field(default_factory=list)
    et_al: bool = False  # the source says the list of authors goes on ("and others")
    # Why the source's parser could not read the item (a BibTeX syntax error): a broken entry.
    error: str | None = None


@dataclass
class DeclaredItem:
    """One entry of a declared reference section: its line and, for notes, its number and group."""

    line: int
    number: int | None = None
    group: str = ""
    subsection: str | None = None
    record: Record | None = None  # exact fields, when the source is structured
    key: str | None = None  # the key citations use for it ("smith2020"), resolved exactly
    end_line: int | None = None  # the last line of a multi-line item (a BibTeX entry); None: one line


@dataclass
class DeclaredCitation:
    """A citation a format reader knows exactly: `\\citep[p. 3]{smith2020}` gives one per key."""

    line: int
    column: int  # 1-based, of the citation's first character on its line
    raw: str  # the text of the citation as it stands in the file, e.g. "\citep[p. 3]{smith2020}"
    key: str  # the entry key it names, resolved exactly (never by guessing from names)
    narrative: bool = False  # \citet, @key, \textcite: the author's name is part of the sentence
    prefix: str = ""  # "see" in \cite[see][p. 3]{key}
    suffix: str = ""  # "p. 3"
    nocite: bool = False  # \nocite: listed without being cited in the text; "*" for every entry
    # The whole bracket the citation stands in, when it is one of several ("[@a; @b, p. 3]"); "": raw.
    marker: str = ""
    # For a reference-manager field: the text the field says it showed; the visible text is `raw`.
    field_text: str | None = None


@dataclass
class ReferenceSection:
    """A reference list found in a document: heading line and the lines it spans."""

    heading: str | None
    heading_line: int | None
    start: int
    end: int  # inclusive last line
    footnotes: bool = False  # notes (Ibid., footnotes) rather than a bibliography
    # Set by a format reader that knows each entry: one item per entry, each entry on its item's line
    # (a leading label such as "1." or "[n 1]" is dropped). None: the lines are split into entries as text.
    items: list[DeclaredItem] | None = None


@dataclass
class ParsedDocument:
    """A document with its reference list and in-text citations found and matched."""

    document: Document
    sections: list[ReferenceSection]
    entries: list[Entry]
    citations: list[Citation]
    paragraphs: list[Paragraph]
    numbered: bool = False  # the citations are numbers pointing at a numbered list or notes
    # Sections under a reference heading whose items did not read like references: the list may be
    # there in a form the parser does not know, so findings that assume it is absent are uncertain.
    doubtful_sections: list[ReferenceSection] = field(default_factory=list)

    @property
    def footnote_style(self) -> bool:
        return any(s.footnotes for s in self.sections)


@dataclass
class Finding:
    """One problem the audit reports."""

    rule: str
    severity: Severity
    line: int | None
    message: str
    suggestion: str | None = None
    entry_index: int | None = None
    citation_index: int | None = None
    column: int | None = None
    subject: str = ""  # what the finding is about, for a fingerprint that survives edits
    suppressed: bool = False
    related_entry_index: int | None = None  # another entry the finding involves (a duplicate's twin)
    baselined: bool = False  # in the baseline file (--baseline): shown, stored, not counted
