"""Split a reference list into entries and parse each entry's fields.

Entries may be bulleted, numbered, separated by blank lines or not marked at all; a URL or a
continuation on its own line (even after a blank line) belongs to the entry before it, while an
orphan fragment such as "2024. <url>" between two complete entries becomes an entry of its own,
marked as a fragment so that the checks can report it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from auditor.model import Document, Entry, EntryKind, PartialDate, Record, ReferenceSection, year_number
from auditor.parsing.dates import find_access_date, find_dates, impossible_dates
from auditor.parsing.sections import is_subheading
from auditor.parsing.text import fold, name_key, strip_markdown
from auditor.parsing.urls import find_doi, find_urls

BULLET = re.compile(r"^\s*(?:[-*+•·–]\s+|<li\b[^>]*>\s*)")
# A line of HTML list markup alone ("<ol>", "</li>") in Markdown: no text of its own.
BARE_TAGS = re.compile(r"^\s*(?:</?(?:ol|ul|li|div|p|br)\b[^>]*>\s*)+$", re.I)
# "[1]", "\\[1\\]" (Word exported to Markdown), "1.", "[^1]:", "<sup>1</sup>", "^1 ", and "[[1] title](url)"
# (an entry that is one whole Markdown link).
NUMBERED = re.compile(r"^\s*(?:\\?\[(\d{1,4})\\?\]|(\d{1,4})[.)](?=\s)|\[\^(\d{1,4})\]:|<sup>(\d{1,4})</sup>|\^(\d{1,4})\s"
                      r"|\[\[(\d{1,4})\](?=\s)|\.\.\s+\[(\d{1,4})\](?=\s))\s*")
# Notes only: lettered notes ("a. …", as tables and Wikipedia's {{efn}} notes have them) and a note
# number glued to its text ("1Smith, …"), as text extracted from PDF leaves it.
LETTERED_NOTE = re.compile(r"^\s*(?:\[([a-z])\]|([a-z])[.)])\s+(?=\S)")
GLUED_NOTE = re.compile(r"^\s*(\d{1,3})(?=[A-Z“\"‘])")
# Symbolic labels as RFCs and some theses write them: "[RFC2396]  Berners-Lee, T., …", "[Hol14] …".
LABELLED = re.compile(r"^\s*\[(?P<label>[A-Za-z][\w.+\-]{0,24})\](?:(?=\s+\S)|(?<=[A-Z0-9]\])\s*$)\s*")
# An entry written as a heading: "##### [1] Kenneth A. Tutu, …".
HEADING_PREFIX = re.compile(r"^\s*#{1,6}\s+(?=\\?\[)")
YEAR_RE = r"(?:1[5-9]\d\d|20\d\d)"
NO_DATE = r"n\.\s?d\.?|t\.\s?t\.?|tanpa\s+tahun|s\.\s?a\.|no\s+date|undated"
YEAR_TOKEN = rf"(?:{YEAR_RE}[a-z]?|{NO_DATE})"
YEAR_PAREN = re.compile(rf"\(\s*(?P<y>{YEAR_TOKEN})\s*(?:,[^)]*)?\)", re.I)
YEAR_SENTENCE = re.compile(rf"(?=[\s12ntsu])(?:^|(?<=[.,;:]\s)|(?<=[.,;:]))\s*(?P<y>{YEAR_TOKEN})(?!\.\d)(?=\s*[.,;:)]|\s*$)", re.I)
YEAR_BARE = re.compile(rf"(?=[12])(?<![\w/.\-])(?P<y>{YEAR_RE}[a-z]?)(?![\w/]|\.\d)")
INITIAL = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
# (The lookahead names the first characters of every branch: most positions fail on it at once.)
URL_SPAN = re.compile(r"(?=[<hfwd1])(?:<[^>]*>|\b(?:https?|ftp)://\S+|\bwww\.\S+|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+)", re.I)
NOTE_KINDS = [
    (EntryKind.IBID, re.compile(r"^(?:ibid(?:em)?\b\.?|ib\.)", re.I)),
    (EntryKind.OP_CIT, re.compile(r"^op\.?\s*cit\.?", re.I)),
    (EntryKind.LOC_CIT, re.compile(r"^loc\.?\s*cit\.?", re.I)),
    (EntryKind.IDEM, re.compile(r"^idem\b\.?", re.I)),
]
# "Archived from the original on 3 May 2020" dates the archive copy, not the work.
ARCHIVED = re.compile(r"(?=[ad])\b(?:archived|diarsipkan)\s+(?:from\s+the\s+original\s*(?:\([^)]{0,20}\)\s*)?)?"
                      r"(?:on|pada)\s+[^.]{0,40}", re.I)
DANGLING_ACCESS = re.compile(r"(?=[adr])\b(?:accessed|diakses|retrieved|diunduh|available(?:\s+at)?)\s*(?:on|pada)?\s*[.:,]?\s*$", re.I)


@dataclass
class _Block:
    lines: list[tuple[int, str]]
    marker: str  # bullet, numbered, label, plain
    number: int | None
    subsection: str | None
    fragment: bool = False
    label: str | None = None
    group: str = ""
    record: Record | None = None


def entry_marker(line: str) -> tuple[str, int | None, int] | None:
    """("bullet" | "numbered" | "label", number, length of the marker) when the line starts a list item."""
    h = HEADING_PREFIX.match(line)
    skip = h.end() if h else 0
    rest = line[skip:] if skip else line
    m = NUMBERED.match(rest)
    if m:
        value = next(g for g in m.groups() if g)
        return "numbered", int(value), skip + m.end()
    m = LABELLED.match(rest)
    if m and not m.group("label").isdigit():
        return "label", None, skip + m.end()
    if skip:
        return None
    m = BULLET.match(line)
    if m:
        return "bullet", None, m.end()
    return None


def note_marker(line: str) -> tuple[str, int, int, str] | None:
    """("numbered", number, length, group) for a lettered note ("b. …" is note 2 of the group
    "letter") or a number glued to the note's text ("1Smith, …")."""
    m = LETTERED_NOTE.match(line)
    if m:
        letter = m.group(1) or m.group(2)
        return "numbered", ord(letter) - ord("a") + 1, m.end(), "letter"
    m = GLUED_NOTE.match(line)
    if m:
        return "numbered", int(m.group(1)), m.end(), ""
    return None


def entry_label(line: str) -> str | None:
    """The symbolic label of a "[RFC2396]  …" entry line."""
    h = HEADING_PREFIX.match(line)
    m = LABELLED.match(line[h.end():] if h else line)
    return m.group("label") if m else None


def _marker_only(block: _Block) -> bool:
    """A Word export puts the marker alone on its line ("\\[1\\]") and the reference below it."""
    if len(block.lines) != 1 or block.marker == "plain":
        return False
    marker = entry_marker(block.lines[0][1])
    return marker is not None and not block.lines[0][1][marker[2]:].strip()


Marker = tuple[str, int | None, int] | None


def _blank_wrapped(lines: list[tuple[int, str]], marks: list[Marker]) -> bool:
    """Whether the list's lines are broken mid-sentence with blank lines between them (a Word export):
    then every unmarked line of a marked list continues the entry above it."""
    count = 0
    previous: tuple[str, Marker] | None = None
    blank = False
    for (_, text), marker in zip(lines, marks):
        if not text.strip():
            blank = True
            continue
        if blank and previous is not None and marker is None:
            before, before_marker = previous
            lone = before_marker is not None and not before[before_marker[2]:].strip()
            if lone or (before_marker is None and not ends_complete(before)):
                count += 1
        previous, blank = (text, marker), False
    return count >= 2


def _marked_style(lines: list[tuple[int, str]], marks: list[Marker]) -> bool:
    """Whether the list marks its entries (numbers, bullets, labels): most lines that start an entry
    carry a marker. Lines wrapped by a Word export are not entry starts, so they do not count."""
    marked = starts = 0
    previous_blank, after_lone_marker = True, False
    for (_, text), marker in zip(lines, marks):
        if not text.strip():
            previous_blank = True
            continue
        if marker:
            marked += 1
            starts += 1
            after_lone_marker = not text[marker[2]:].strip()
        else:
            if previous_blank and not after_lone_marker and looks_like_entry_start(text):
                starts += 1
            after_lone_marker = False
        previous_blank = False
    return marked >= 2 and marked * 5 >= starts * 3


WIKI_BRACKETS = re.compile(r"^\[\[(.*)\]\]$")
URL_ONLY = re.compile(r"(?:online\s*:?\s*)?<?(?:https?://|www\.)\S+>?", re.I)
FAMILY_COMMA_GIVEN = re.compile(r"^[^\W\d_][\w'’\-]+,\s+(?:[A-Z]\.|[A-Z][a-z]+)")
YEAR_OR_NO_DATE = re.compile(rf"(?=[12ntsu])(?:\b{YEAR_RE}[a-z]?\b|\b(?:{NO_DATE}))", re.I)


def is_url_only(text: str) -> bool:
    s = strip_markdown(text).strip().rstrip(".,;")
    s = WIKI_BRACKETS.sub(r"\1", s)  # "[[https://…]]" as wikis write a bare link
    return bool(URL_ONLY.fullmatch(s))


def looks_like_entry_start(text: str) -> bool:
    """Whether a line reads like the beginning of a reference: an author or title, then a year soon."""
    s = strip_markdown(text).strip()
    if not s or not (s[0].isupper() or s[0] in "“\"'‘*_"):
        return False
    head = URL_SPAN.sub(" ", s[:160])
    if FAMILY_COMMA_GIVEN.match(s):
        return True
    return bool(YEAR_OR_NO_DATE.search(head))


def ends_complete(text: str) -> bool:
    s = text.rstrip()
    return bool(s) and s[-1] in ".>)”\"'" and not DANGLING_ACCESS.search(strip_markdown(s))


def split_entries(doc: Document, section: ReferenceSection) -> list[_Block]:
    """The blocks of lines that make up each entry of a reference section."""
    blocks: list[_Block] = []
    current: _Block | None = None
    subsection: str | None = None
    blank_before = False
    lines = [(n, doc.lines[n - 1]) for n in range(section.start, section.end + 1) if n not in doc.skip_lines]
    # Each line's marker, found once: the style checks and the split below all read it.
    marks: list[Marker] = [entry_marker(t) if t.strip() else None for _, t in lines]
    marked = sum(1 for m in marks if m)
    nonblank = sum(1 for _, t in lines if t.strip())
    marked_style = (marked >= 2 and marked * 2 >= nonblank - 2) or _marked_style(lines, marks)
    wrapped = marked_style and _blank_wrapped(lines, marks)
    for (number, text), marker in zip(lines, marks):
        if not text.strip():
            blank_before = True
            continue
        if re.fullmatch(r"\s*(?:[-*_]\s*){3,}", text) or BARE_TAGS.match(text):
            blank_before = True
            continue
        group = ""
        if marker is None and section.footnotes:
            found = note_marker(text)
            if found is not None:
                marker, group = found[:3], found[3]
        if marker and marker[0] == "numbered" and (marker[1] or 0) >= 1000 and (
                current is None or (current.number or 0) < 500):
            marker = None  # "2025. [Online]. Available: …": a year that starts a line, not item 2025
        if not marker and is_subheading(text) and not looks_like_entry_start(text):
            subsection = strip_markdown(text.strip().lstrip("#").strip()).strip(" :*")
            current = None
            blank_before = True
            continue
        if marker:
            current = _Block([(number, text)], marker[0], marker[1], subsection,
                             label=entry_label(text) if marker[0] == "label" else None, group=group)
            blocks.append(current)
        elif current is None:
            current = _Block([(number, text)], "plain", None, subsection)
            blocks.append(current)
        elif wrapped and current.marker != "plain" and not is_subheading(text):
            current.lines.append((number, text))
        elif _continues(text, current, blank_before, marked_style):
            current.lines.append((number, text))
        elif looks_like_entry_start(text) or not marked_style:
            current = _Block([(number, text)], "plain", None, subsection)
            blocks.append(current)
        else:
            current = _Block([(number, text)], "plain", None, subsection, fragment=True)
            blocks.append(current)
        blank_before = False
    return blocks


# The tail of a hard-wrapped entry: "Bandung: Alfabeta.", "Jurnal Ilmu Ekonomi, 5(3), 45-60.", "pp. 1-9."
CONTINUATION = re.compile(r"^(?:[A-Z][\w.'’\- ]{1,40}:\s*[A-Z][^:]{1,80}$|[^\d]{2,80}?,?\s*(?:vol\.?\s*)?\d{1,4}\s*\(\d{1,4}\)"
                          r"|(?:vol|no|pp?|hlm|hal)\.\s*\d)")


def _continues(text: str, current: _Block, blank_before: bool, marked_style: bool) -> bool:
    """Whether an unmarked line continues the entry above it rather than starting a new one."""
    s = text.strip()
    last = current.lines[-1][1]
    if is_url_only(s):
        # A URL under an entry belongs to it; a list of bare URLs has one entry per line.
        return not all(is_url_only(t) for _, t in current.lines)
    if _marker_only(current):
        return True
    first = current.lines[0][1]
    if not blank_before and current.marker in ("numbered", "label", "bullet") and \
            len(text) - len(text.lstrip()) > len(first) - len(first.lstrip()) + 1:
        return True  # a hanging indent: "             Protocol", August 2010." under "[RFC5997] …"
    if blank_before and marked_style and current.marker != "plain" and not current.fragment and (
            s[:1].islower() or not ends_complete(last)):
        # Word exports break a marked entry's lines with blank lines: "PENERAPAN CRM UNTUK" / "" / "…".
        return True
    if re.match(r"^(?:accessed|diakses|retrieved|diunduh|available|online|tersedia|doi\b)", s, re.I):
        return True
    if s[:1].islower() and not blank_before:
        return True
    if not blank_before and not looks_like_entry_start(s) and CONTINUATION.match(s):
        return True  # "Bandung: Alfabeta." / "Jurnal Ilmu Ekonomi, 5(3), 45-60." wrapped from above
    if blank_before:
        return False
    if len(text) - len(text.lstrip()) >= 2 and not (marked_style and looks_like_entry_start(s)):
        return True
    if not ends_complete(last):
        return not (looks_like_entry_start(s) and not marked_style and ends_complete(last))
    return False


GROUP_LABEL = re.compile(r"^\s*\[[A-Za-z][\w\-]{0,15}\s+\d{1,4}\]\s*")


def declared_blocks(doc: Document, section: ReferenceSection) -> list[_Block]:
    """The entries a format reader declared: each on its item's line, numbered as the reader says."""
    blocks = []
    for item in section.items or []:
        last = item.end_line or item.line
        lines = [(n, doc.line(n)) for n in range(item.line, last + 1)]
        text = lines[0][1]
        if not any(t.strip() for _, t in lines):
            continue
        if item.group:
            text = GROUP_LABEL.sub("", text)
            lines[0] = (item.line, text)
        marker = entry_marker(text)
        style = marker[0] if marker else "numbered" if item.number is not None else "plain"
        blocks.append(_Block(lines, style, item.number, item.subsection, group=item.group, label=item.key,
                             record=item.record))
    return blocks


def parse_entries(doc: Document, section: ReferenceSection, first_index: int = 0) -> list[Entry]:
    """Split and parse the entries of one section."""
    entries: list[Entry] = []
    blocks = split_entries(doc, section) if section.items is None else declared_blocks(doc, section)
    for block in blocks:
        start, end = block.lines[0][0], block.lines[-1][0]
        raw = "\n".join(t.rstrip() for _, t in block.lines)
        entry = parse_entry(raw) if block.record is None else record_entry(raw, block.record)
        entry.group = block.group
        entry.index = first_index + len(entries)
        entry.line, entry.end_line = start, end
        entry.section = section.heading
        entry.subsection = block.subsection
        entry.list_style = block.marker
        if block.number is not None:
            entry.number = block.number
        if block.label is not None:
            entry.key = block.label
        if block.fragment:
            entry.kind = EntryKind.FRAGMENT
        if section.footnotes:
            entry.is_footnote = True
            if entry.kind == "reference":
                entry.kind = EntryKind.NOTE
        entries.append(entry)
    return entries


def _marker_free(text: str) -> tuple[str, int | None]:
    marker = entry_marker(text)
    if marker and marker[0] == "numbered":
        return text[marker[2]:], marker[1]
    if marker:
        return text[marker[2]:], None
    return text, None


def record_entry(raw: str, record: Record) -> Entry:
    """An entry whose fields come exactly from a structured record; the text is kept for display."""
    entry = Entry(index=0, line=0, end_line=0, raw=raw, record=record)
    entry.authors = list(record.authors)
    entry.author_text = "; ".join(record.authors) + (" et al." if record.et_al and record.authors else "")
    entry.year = record.year
    entry.title = record.title
    entry.container = record.container
    entry.doi = record.doi
    if record.url:
        entry.urls = [record.url]
        entry.raw_urls = [record.url]
    entry.accessed = record.accessed
    entry.published = record.published
    if record.error:
        entry.kind = EntryKind.FRAGMENT  # not a whole reference: broken-entry reports it with the parser's reason
    return entry


def parse_entry(raw: str) -> Entry:
    """Parse one entry's text into fields; never raises, whatever the text."""
    joined = _join_lines(raw)
    body, number = _marker_free(joined)
    entry = Entry(index=0, line=0, end_line=0, raw=raw, number=number)
    urls = find_urls(body)
    entry.urls = [u for u, _, _ in urls]
    entry.raw_urls = [w for _, w, _ in urls]
    entry.doi = find_doi(body)
    plain = strip_markdown(body)
    plain = URL_SPAN.sub(" ", plain)
    plain = " ".join(plain.split())
    entry.bad_dates = impossible_dates(plain)
    access = find_access_date(plain)
    if access:
        entry.accessed = access.date
        entry.accessed_text = access.text.strip()
        if access.date is None and not plain[access.end:].strip(" .,;:"):
            entry.dangling_access = True
        plain = (plain[: access.start] + " " + plain[access.end:]).strip()
    # (The phrase ends the text, whose spaces are single here but for the one the access date left: the
    # last 64 characters hold it.)
    if not entry.urls and DANGLING_ACCESS.search(plain, max(0, len(plain) - 64)):
        entry.dangling_access = True
    plain = " ".join(ARCHIVED.sub(" ", plain).split())
    # "Sukma, Op. Cit., 60.": the author may come first.
    lead = re.match(r"^(?P<who>[^,.;:\d]{2,60}),\s*(?=(?:op|loc)\.?\s*cit)", plain, re.I)
    who = lead.group("who").strip() if lead else ""
    if lead:
        plain = plain[lead.end():]
    for kind, pattern in NOTE_KINDS:
        m = pattern.match(plain)
        if m:
            entry.kind = kind
            rest = plain[m.end():].strip(" ,.;:")
            # Op. Cit., Al Jazeera → the author the note points back to.
            rest = re.split(r"[,;]\s*(?:hlm|h|p|pp|hal|halaman|page)\b\.?", rest, maxsplit=1, flags=re.I)[0]
            entry.author_text = who or (rest.strip(" ,.;:") if not re.fullmatch(r"[\d\s\-–.,]*", rest) else "")
            return entry
    _parse_fields(entry, plain)
    _authors_before_title(entry, body)
    entry.published = _publication_date(plain, entry.year)
    if entry.year is None and entry.published is not None:
        entry.year = str(entry.published.year)
    return entry


SENTENCE_END = re.compile(r"[.?!]\s+(?=[A-Z\u00C0-\u024F“\"'‘(\d])|\s(?=[“\"])")


def _boundary(text: str, start: int = 0) -> int | None:
    """Offset of the first sentence boundary (". " before a capital or a quote) not after an initial."""
    for m in SENTENCE_END.finditer(text[start:]):
        pos = start + m.start()
        word = _word_before(text, pos + 1)
        if m.group(0).strip() and INITIAL.fullmatch(word) and len(word.rstrip(".")) == 1:
            continue
        if word.lower() in ("vol", "no", "dkk", "al", "eds", "ed", "hlm", "pp", "jr", "st", "dr", "prof"):
            continue
        return pos
    return None


# Numbers that look like years but name a document or a place in it: "RFC 1535", "ISO 9001", "pp. 1999".
# (Upper-case "P. 2009" is an initial before the year, so the short forms are matched in lower case only.)
IDENTIFIER_BEFORE = re.compile(r"(?:\b(?:RFC|ISO|IEC|STD|BCP|FYI|ANSI|IEEE|SNI|ISBN|ISSN|[Nn]omor|[Vv]olume|[Hh]alaman|"
                               r"[Pp]ages?)|\b(?:no|nr|vol|pp?|hlm|hal))\.?\s*$")


OPEN_ANGLE_URL = re.compile(r"<(?:https?|ftp)://[^>\s]*$")
URL_CUT_AT_HYPHEN = re.compile(r"(?:https?|ftp)://\S*[-/_.]$")


def _join_lines(raw: str) -> str:
    """The entry's lines as one, a URL wrapped inside <…> rejoined without a space (RFC 3986, appendix C)."""
    out = ""
    for part in raw.split("\n"):
        part = part.strip()
        if not part:
            continue
        if out and OPEN_ANGLE_URL.search(out) and not part.startswith("<"):
            out += part
        elif out and URL_CUT_AT_HYPHEN.search(out) and re.match(r"[\w%~]", part):
            out += part  # a Word export wrapped "https://rcf-" / "indonesia.org/…" at the hyphen
        else:
            out = f"{out} {part}" if out else part
    return out


WORD_AT_END = re.compile(r"([\w'’\-]+)[,.]*$")


def _word_before(text: str, end: int) -> str:
    """The last word of text[:end] (trailing ".?! " and ",." ignored), reading only a short window
    before `end` unless the word may be longer, so that each boundary costs the same in a long entry."""
    lo = max(0, end - 40)
    chunk = text[lo:end].rstrip(".?! ")
    m = WORD_AT_END.search(chunk)
    if lo > 0 and (not chunk or (m and m.start() == 0)):
        m = WORD_AT_END.search(text[:end].rstrip(".?! "))
    return m.group(1) if m else ""


def _find_year(text: str) -> re.Match[str] | None:
    quoted = [q.span() for q in QUOTED_TITLE.finditer(text)]
    for pattern in (YEAR_PAREN, YEAR_SENTENCE, YEAR_BARE):
        found = [m for m in pattern.finditer(text)
                 if not IDENTIFIER_BEFORE.search(text[max(0, m.start("y") - 14): m.start("y")])]
        # "Use of GOST 2012 Signature Algorithms", April 2024: a year inside the quoted title is the
        # title's own when another year follows the title.
        outside = [m for m in found if not any(s < m.start("y") < e for s, e in quoted)]
        if found:
            return outside[0] if outside else found[0]
    return None


QUOTED_TITLE = re.compile(r"“[^”]{4,300}”|\"[^\"]{4,300}\"")


YEAR_WITH_LETTER = re.compile(rf"{YEAR_RE}[a-z]?")


def normalize_year(token: str) -> str:
    t = token.strip().lower()
    if YEAR_WITH_LETTER.fullmatch(t):
        return t
    return "n.d."


QUOTE_MARK = re.compile(r"[“\"]")
QUOTED_TEXT = re.compile(r"[“\"](.+?)[”\"]")
YEAR_AT_END = re.compile(rf"\(?\b{YEAR_TOKEN}\b\)?[.,]?\s*$", re.I)


def _parse_fields(entry: Entry, plain: str) -> None:
    m = _find_year(plain)
    before = plain[: m.start()] if m else plain
    if m:
        entry.year = normalize_year(m.group("y"))
    cut = _boundary(before)
    quote = QUOTE_MARK.search(before)
    if quote and (cut is None or quote.start() < cut):
        cut = quote.start()
    authors = before[:cut] if cut is not None else before
    entry.author_text = authors.strip().strip(" ,.;:(").strip()
    if entry.author_text.startswith(("“", '"')):
        entry.author_text = ""
    entry.authors = split_authors(entry.author_text)
    rest_start = m.end() if m and (cut is None or cut >= len(before.rstrip(" (.,"))) else len(authors)
    rest = plain[rest_start:].lstrip(" ).,:;")
    quoted = QUOTED_TEXT.search(plain[len(authors):])
    if quoted and len(quoted.group(1).strip(' ".,')) > 3:
        entry.title = quoted.group(1).strip(' ".,')
        after = plain[len(authors) + quoted.end():]
    else:
        end = _boundary(rest)
        entry.title = (rest[:end] if end is not None else rest).strip(" .,") or None
        after = rest[end:] if end is not None else ""
    after = after.lstrip(" ”\".,")
    if after:
        end = _boundary(after)
        container = (after[:end] if end is not None else after).strip(" .,")
        container = YEAR_AT_END.sub("", container).strip(" .,")
        entry.container = container or None


# (Each pattern below whose branches all start with a lookbehind or a word boundary is led by a lookahead
# naming its possible first characters: the engine then skips to those at once instead of trying every
# branch at every position, the same matches in a fraction of the time.)
TITLE_MARK = re.compile(r"(?=[*_“\"])(?:(?<![*\w])\*(?!\*)[^*]+\*(?!\*)|(?<!\w)_(?!_)[^_]+_(?!\w)|“[^”]+”|(?<![\w])\"[^\"]+\")")


def _authors_before_title(entry: Entry, body: str) -> None:
    """Chicago-style "Rizal Sukma, *Islam in …* (London: Routledge, 2003)": the author ends where the
    italic or quoted title begins, when the year came too late to mark it."""
    m = TITLE_MARK.search(body)
    if not m:
        return
    title_text = strip_markdown(m.group(0)).strip(' *_“”".,')
    swallowed = bool(title_text) and title_text in entry.author_text
    if entry.author_text and len(entry.author_text) <= 80 and "(" not in entry.author_text and not swallowed:
        return
    lead = " ".join(strip_markdown(body[: m.start()]).split())
    lead = URL_SPAN.sub(" ", lead).strip()
    if 2 <= len(lead) <= 80 and lead[-1:] in ",." and not re.search(r"\d{4}", lead):
        entry.author_text = lead.strip(" ,.")
        entry.authors = split_authors(entry.author_text)
        title = strip_markdown(m.group(0)).strip(' *_“”".,')
        if title:
            entry.title = title


ORGANISATION = re.compile(
    r"(?=[abcdfgiklmopsuy])\b(?:kementerian|badan|dinas|departemen|direktorat|sekretariat|lembaga|pusat|pemerintah|komisi|dewan|"
    r"yayasan|perusahaan|universitas|institut|kantor|asosiasi|ministry|department|university|institute|"
    r"organi[sz]ation|association|council|commission|agency|office|bureau|society|foundation|centre|center|"
    r"corporation|committee|government|bank)\b", re.I)


AUTHOR_JOINER = re.compile(r"\s*(?:,?\s*&|,?\s+and|,?\s+dan|;)\s+")
ET_AL_AT_END = re.compile(r"\s*,?\s*(?:et al\.?|dkk\.?)\s*$")
ONE_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
GIVEN_NAMES = re.compile(r"(?:[A-Z][a-z]+\s+)*(?:[A-Z]\.?\s?){1,3}")
INITIALS = re.compile(r"(?:[A-Z]\.\s?)+[A-Z]?\.?")


def split_authors(text: str) -> list[str]:
    """Split an author string into names; organisations stay whole ("Kementerian Koperasi dan UKM")."""
    if not text:
        return []
    if ";" not in text and "," not in text and ORGANISATION.search(text):
        return [text.strip()]
    # (Each pattern runs only when the text holds what it needs: a joiner, or "et al"/"dkk" at the end.)
    s = AUTHOR_JOINER.sub(", ", text) if any(j in text for j in ("&", "and", "dan", ";")) else text
    s = ET_AL_AT_END.sub("", s) if "et al" in s or "dkk" in s else s
    parts = [p.strip(" .") for p in s.split(",") if p.strip(" .")]
    if len(parts) == 2 and all(ONE_WORD.fullmatch(p) for p in parts):
        return [f"{parts[0]}, {parts[1]}"]  # "Foyle, Douglas": one person, family name first
    names: list[str] = []
    for part in parts:
        given = GIVEN_NAMES.fullmatch(part) and len(names) == 1 and " " not in names[0]
        if names and (INITIAL.fullmatch(part.replace(" ", "")) or INITIALS.fullmatch(part)
                      or given):
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(part)
    return names


def _publication_date(text: str, year: str | None) -> PartialDate | None:
    dates = [d for d in find_dates(text) if d.date.month]
    if dates:
        return dates[0].date
    if (number := year_number(year)) is not None:
        return PartialDate(number)
    return None


def resolve_notes(entries: list[Entry]) -> None:
    """Point Ibid./Op. Cit./Loc. cit./Idem notes at the note they stand for."""
    notes = [e for e in entries if e.is_footnote]
    for i, note in enumerate(notes):
        if note.kind in ("ibid", "idem"):
            previous = notes[i - 1] if i else None
            if previous is not None:
                note.refers_to = previous.refers_to if previous.refers_to is not None else previous.index
                if previous.kind not in ("note",) and previous.refers_to is None:
                    note.refers_to = None
        elif note.kind in ("op-cit", "loc-cit"):
            hint = name_key(note.author_text)
            for earlier in reversed(notes[:i]):
                if earlier.kind != "note":
                    continue
                if not hint or hint in name_key(earlier.raw) or _fuzzy_in(hint, earlier.raw):
                    note.refers_to = earlier.index
                    break


def _fuzzy_in(hint: str, text: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(hint, name_key(text)) >= 90


def looks_like_reference(entry: Entry) -> bool:
    """Whether an entry has what references have: a year, a URL, a DOI, or a note form."""
    if entry.kind in ("ibid", "op-cit", "loc-cit", "idem"):
        return True
    return bool(entry.year or entry.urls or entry.doi or re.search(r"[“\"].+[”\"]", entry.raw)
                or re.search(r"\b(?:pp?\.|hlm\.|vol\.|no\.)", fold(entry.raw)))


CONTAINER_CUE = re.compile(r"\b(?:pp?\.|hlm\.|hal\.|vol\.|no\.|journal|jurnal|proceedings|prosiding|press|penerbit|"
                           r"publisher|publishing|university|universitas|conference|konferensi|thesis|skripsi|tesis|"
                           r"edition|edisi|ed\.|eds\.|retrieved|diakses|accessed|available|tersedia|online)\b|"
                           r"\b[A-Z][a-z]+\s*:\s*[A-Z]|\b\d{1,4}\s*(?:\(\d{1,4}\))?\s*:\s*[e\d]|\b\d+\s*[–-]\s*\d+\b", re.I)
FIRST_PERSON = re.compile(r"(?=[sakIwmou])\b(?:saya|aku|kami|kita|I|we|my|our|us)\b")
AUTHOR_START = re.compile(r"^(?:[-*+•]\s+|\[?\d{1,4}[.)\]]\s*)?(?:[A-Z\u00C0-\u024F][\w'’\-]+,\s+(?:[A-Z]\.|[A-Z][a-z]+)|"
                          r"(?:[A-Z]\.\s*){1,3}[A-Z][\w'’\-]+|[A-Z][\w'’\-]+\s+(?:[A-Z]\.\s*){1,3}[,.(]|"
                          r"[A-Z][\w'’\-]+\s+[A-Z]{1,3}[,.]\s|"
                          # Author-date: "Chainsecurity. (2023).", "Di Sorbo, A. et al. (2022)", "Sugiyono. 2017."
                          r"[^()\n]{2,80}?\(\s*(?:1[5-9]|20)\d\d[a-z]?\s*\)|[^.\n]{2,60}\.\s*(?:1[5-9]|20)\d\d[a-z]?\.)")


def reads_as_reference(entry: Entry, points: int = 2) -> bool:
    """Whether an item reads like a reference. It scores one point for each of a year, a URL or DOI, an
    author where authors stand, a marked title and a container or locator; prose (long, in the first
    person) loses points. Two points make a reference; a note form or a bare URL is one by itself."""
    return _score(entry, points) >= points


def _score(entry: Entry, enough: int) -> int:
    """The reference score, its signals read only until the score reaches `enough`."""
    if entry.kind in ("ibid", "op-cit", "loc-cit", "idem"):
        return 3
    text = strip_markdown(" ".join(entry.raw.split()))
    if entry.urls and is_url_only(entry.raw.split("\n")[0]) and len(entry.raw.split()) <= 3:
        return 2
    score = -(len(text.split()) > 60)
    unlinked = URL_SPAN.sub(" ", text)
    if FIRST_PERSON.search(unlinked):
        score -= 1
    signals = (lambda: bool(entry.year), lambda: bool(entry.urls or entry.doi),
               # "[[1] Title](url)": a titled link stands where the author would
               lambda: bool(AUTHOR_START.match(text)) or (bool(entry.urls) and len(unlinked.split()) >= 3),
               lambda: bool(TITLE_MARK.search(entry.raw) or QUOTED_LONG.search(text)),
               lambda: bool(CONTAINER_CUE.search(text)))
    for signal in signals:
        if score >= enough:
            break
        score += signal()
    return score


QUOTED_LONG = re.compile(r"[“\"].{8,}[”\"]")


ONLINE_CUE = re.compile(r"\[\s*online\s*\]|\bavailable\s*(?:at|from|online)?\s*:|\btersedia\s+(?:di|pada|dari)?\s*:?|"
                        r"\bonline\s*:|\burl\s*:", re.I)
ARTICLE_CUE = re.compile(r"\bvol\.?\s*\d|\bno\.\s*\d|\bpp?\.\s*\d|\bhlm\.\s*\d|\b\d+\s*\(\d+\)\s*[:,]|"
                         r"\b\d{1,4}\s*:\s*\d+\s*[–-]\s*\d+|\b(?:journal|jurnal|proceedings|prosiding|conference|"
                         r"konferensi|symposium|transactions|review|letters|magazine|majalah)\b", re.I)
BOOK_CUE = re.compile(r"\b(?:press|penerbit|publisher|publishing|publications|verlag|edition|edisi|ed\.|"
                      r"eds\.)\b|\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s*:\s*[A-Z][\w&.\- ]+(?:,|\.|$)")
STANDARD_CUE = re.compile(r"\bRFC\s?\d{3,4}\b|\bISO(?:/IEC)?\s?\d{3,5}|\bIEEE\s+Std\b|\bSNI\s?\d", re.I)


ARXIV = re.compile(r"arxiv", re.I)
DOI_ORG = re.compile(r"doi\.org/", re.I)


@functools.lru_cache(maxsize=4096)
def _kind_by_text(raw: str) -> str | None:
    """What an entry's text alone says it cites (the rules read each entry more than once)."""
    text = " ".join(raw.split())
    plain = URL_SPAN.sub(" ", strip_markdown(text))
    if ARXIV.search(text):
        return "preprint"
    if STANDARD_CUE.search(plain):
        return "standard"
    if ARTICLE_CUE.search(plain):
        return "article"
    if BOOK_CUE.search(plain) and not ONLINE_CUE.search(plain):
        return "book"
    return None


def source_type(entry: Entry) -> str:
    """What kind of work an entry cites, as far as its text tells: "article", "preprint", "book",
    "standard" or "web" (a page known only by its URL), or "unknown"."""
    kind = _kind_by_text(entry.raw)
    if kind in ("preprint", "standard"):
        return kind
    if entry.doi or kind == "article":
        return "article"
    if kind == "book":
        return "book"
    if any(not DOI_ORG.search(u) for u in entry.urls):
        return "web"
    return "unknown"


def says_online(entry: Entry) -> bool:
    """"[Online]. Available:", "Available at:", "Tersedia di:": the style asks for an access date."""
    return bool(ONLINE_CUE.search(" ".join(entry.raw.split())))


def cites_a_work(entry: Entry) -> bool:
    """Whether a note cites a work (an author where authors stand, a year, a DOI or a container) rather
    than explaining something in prose with, at most, a link."""
    text = URL_SPAN.sub(" ", strip_markdown(" ".join(entry.raw.split())))
    return reads_as_reference(entry) and bool(entry.year or entry.doi or AUTHOR_START.match(text)
                                               or CONTAINER_CUE.search(text))
