"""Split a reference list into entries and parse each entry's fields.

Entries may be bulleted, numbered, separated by blank lines or not marked at all; a URL or a
continuation on its own line (even after a blank line) belongs to the entry before it, while an
orphan fragment such as "2024. <url>" between two complete entries becomes an entry of its own,
marked as a fragment so that the checks can report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditor.model import Document, Entry, PartialDate, ReferenceSection
from auditor.parsing.dates import find_access_date, find_dates
from auditor.parsing.sections import is_subheading
from auditor.parsing.text import fold, name_key, strip_markdown
from auditor.parsing.urls import find_doi, find_urls

BULLET = re.compile(r"^\s*[-*+•·–]\s+")
NUMBERED = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)](?=\s)|\[\^(\d{1,4})\]:|<sup>(\d{1,4})</sup>|\^(\d{1,4})\s)\s*")
YEAR_RE = r"(?:1[5-9]\d\d|20\d\d)"
NO_DATE = r"n\.\s?d\.?|t\.\s?t\.?|tanpa\s+tahun|s\.\s?a\.|no\s+date|undated"
YEAR_TOKEN = rf"(?:{YEAR_RE}[a-z]?|{NO_DATE})"
YEAR_PAREN = re.compile(rf"\(\s*(?P<y>{YEAR_TOKEN})\s*(?:,[^)]*)?\)", re.I)
YEAR_SENTENCE = re.compile(rf"(?:^|(?<=[.,;:]\s)|(?<=[.,;:]))\s*(?P<y>{YEAR_TOKEN})(?!\.\d)(?=\s*[.,;:)]|\s*$)", re.I)
YEAR_BARE = re.compile(rf"(?<![\w/.\-])(?P<y>{YEAR_RE}[a-z]?)(?![\w/]|\.\d)")
INITIAL = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")
URL_SPAN = re.compile(r"<[^>]*>|\b(?:https?|ftp)://\S+|\bwww\.\S+|\bdoi:\s*\S+|\b10\.\d{4,9}/\S+", re.I)
NOTE_KINDS = [
    ("ibid", re.compile(r"^(?:ibid(?:em)?\b\.?|ib\.)", re.I)),
    ("op-cit", re.compile(r"^op\.?\s*cit\.?", re.I)),
    ("loc-cit", re.compile(r"^loc\.?\s*cit\.?", re.I)),
    ("idem", re.compile(r"^idem\b\.?", re.I)),
]
DANGLING_ACCESS = re.compile(r"\b(?:accessed|diakses|retrieved|diunduh|available(?:\s+at)?)\s*(?:on|pada)?\s*[.:,]?\s*$", re.I)


@dataclass
class _Block:
    lines: list[tuple[int, str]]
    marker: str  # bullet, numbered, plain
    number: int | None
    subsection: str | None
    fragment: bool = False


def entry_marker(line: str) -> tuple[str, int | None, int] | None:
    """("bullet" | "numbered", number, length of the marker) when the line starts a list item."""
    m = NUMBERED.match(line)
    if m:
        value = next(g for g in m.groups() if g)
        return "numbered", int(value), m.end()
    m = BULLET.match(line)
    if m:
        return "bullet", None, m.end()
    return None


def is_url_only(text: str) -> bool:
    s = strip_markdown(text).strip().rstrip(".,;")
    return bool(re.fullmatch(r"(?:online\s*:?\s*)?<?(?:https?://|www\.)\S+>?", s, re.I))


def looks_like_entry_start(text: str) -> bool:
    """Whether a line reads like the beginning of a reference: an author or title, then a year soon."""
    s = strip_markdown(text).strip()
    if not s or not (s[0].isupper() or s[0] in "“\"'‘*_"):
        return False
    head = URL_SPAN.sub(" ", s[:160])
    if re.match(r"^[^\W\d_][\w'’\-]+,\s+(?:[A-Z]\.|[A-Z][a-z]+)", s):
        return True
    return bool(re.search(rf"\b{YEAR_RE}[a-z]?\b|\b(?:{NO_DATE})", head, re.I))


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
    marked = sum(1 for _, t in lines if entry_marker(t))
    nonblank = sum(1 for _, t in lines if t.strip())
    marked_style = marked >= 2 and marked * 2 >= nonblank - 2
    for number, text in lines:
        if not text.strip():
            blank_before = True
            continue
        if re.fullmatch(r"\s*(?:[-*_]\s*){3,}", text):
            blank_before = True
            continue
        marker = entry_marker(text)
        if not marker and is_subheading(text) and not looks_like_entry_start(text):
            subsection = strip_markdown(text.strip().lstrip("#").strip()).strip(" :*")
            current = None
            blank_before = True
            continue
        if marker:
            current = _Block([(number, text)], marker[0], marker[1], subsection)
            blocks.append(current)
        elif current is None:
            current = _Block([(number, text)], "plain", None, subsection)
            blocks.append(current)
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


def _continues(text: str, current: _Block, blank_before: bool, marked_style: bool) -> bool:
    """Whether an unmarked line continues the entry above it rather than starting a new one."""
    s = text.strip()
    last = current.lines[-1][1]
    if is_url_only(s):
        return True
    if re.match(r"^(?:accessed|diakses|retrieved|diunduh|available|online|tersedia|doi\b)", s, re.I):
        return True
    if s[:1].islower() and not blank_before:
        return True
    if blank_before:
        return False
    if len(text) - len(text.lstrip()) >= 2 and not (marked_style and looks_like_entry_start(s)):
        return True
    if not ends_complete(last):
        return not (looks_like_entry_start(s) and not marked_style and ends_complete(last))
    return False


def parse_entries(doc: Document, section: ReferenceSection, first_index: int = 0) -> list[Entry]:
    """Split and parse the entries of one section."""
    entries: list[Entry] = []
    for block in split_entries(doc, section):
        start, end = block.lines[0][0], block.lines[-1][0]
        raw = "\n".join(t.rstrip() for _, t in block.lines)
        entry = parse_entry(raw)
        entry.index = first_index + len(entries)
        entry.line, entry.end_line = start, end
        entry.section = section.heading
        entry.subsection = block.subsection
        entry.list_style = block.marker
        if block.number is not None:
            entry.number = block.number
        if block.fragment:
            entry.kind = "fragment"
        if section.footnotes:
            entry.is_footnote = True
            if entry.kind == "reference":
                entry.kind = "note"
        entries.append(entry)
    return entries


def _marker_free(text: str) -> tuple[str, int | None]:
    marker = entry_marker(text)
    if marker and marker[0] == "numbered":
        return text[marker[2]:], marker[1]
    if marker:
        return text[marker[2]:], None
    return text, None


def parse_entry(raw: str) -> Entry:
    """Parse one entry's text into fields; never raises, whatever the text."""
    joined = " ".join(part.strip() for part in raw.split("\n"))
    body, number = _marker_free(joined)
    entry = Entry(index=0, line=0, end_line=0, raw=raw, number=number)
    urls = find_urls(body)
    entry.urls = [u for u, _, _ in urls]
    entry.raw_urls = [w for _, w, _ in urls]
    entry.doi = find_doi(body)
    plain = strip_markdown(body)
    plain = URL_SPAN.sub(" ", plain)
    plain = " ".join(plain.split())
    access = find_access_date(plain)
    if access:
        entry.accessed = access.date
        entry.accessed_text = access.text.strip()
        if access.date is None and not plain[access.end:].strip(" .,;:"):
            entry.dangling_access = True
        plain = (plain[: access.start] + " " + plain[access.end:]).strip()
    if DANGLING_ACCESS.search(plain) and not entry.urls:
        entry.dangling_access = True
    plain = " ".join(plain.split())
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


def _boundary(text: str, start: int = 0) -> int | None:
    """Offset of the first sentence boundary (". " before a capital or a quote) not after an initial."""
    for m in re.finditer(r"[.?!]\s+(?=[A-Z\u00C0-\u024F“\"'‘(\d])|\s(?=[“\"])", text[start:]):
        pos = start + m.start()
        word = _word_before(text, pos + 1)
        if m.group(0).strip() and INITIAL.fullmatch(word) and len(word.rstrip(".")) == 1:
            continue
        if word.lower() in ("vol", "no", "dkk", "al", "eds", "ed", "hlm", "pp", "jr", "st", "dr", "prof"):
            continue
        return pos
    return None


WORD_AT_END = re.compile(r"([\w'’\-]+)[,.]*$")


def _word_before(text: str, end: int) -> str:
    """The last word of text[:end] (trailing ".?! " and ",." ignored), reading only a short window
    before `end` unless the word may be longer, so that each boundary costs the same in a long entry."""
    lo = max(0, end - 200)
    chunk = text[lo:end].rstrip(".?! ")
    m = WORD_AT_END.search(chunk)
    if lo > 0 and (not chunk or (m and m.start() == 0)):
        m = WORD_AT_END.search(text[:end].rstrip(".?! "))
    return m.group(1) if m else ""


def _find_year(text: str) -> re.Match[str] | None:
    for pattern in (YEAR_PAREN, YEAR_SENTENCE, YEAR_BARE):
        m = pattern.search(text)
        if m:
            return m
    return None


def normalize_year(token: str) -> str:
    t = token.strip().lower()
    if re.fullmatch(rf"{YEAR_RE}[a-z]?", t):
        return t
    return "n.d."


def _parse_fields(entry: Entry, plain: str) -> None:
    m = _find_year(plain)
    before = plain[: m.start()] if m else plain
    if m:
        entry.year = normalize_year(m.group("y"))
    cut = _boundary(before)
    quote = re.search(r"[“\"]", before)
    if quote and (cut is None or quote.start() < cut):
        cut = quote.start()
    authors = before[:cut] if cut is not None else before
    entry.author_text = authors.strip().strip(" ,.;:(").strip()
    if entry.author_text.startswith(("“", '"')):
        entry.author_text = ""
    entry.authors = split_authors(entry.author_text)
    rest_start = m.end() if m and (cut is None or cut >= len(before.rstrip(" (.,"))) else len(authors)
    rest = plain[rest_start:].lstrip(" ).,:;")
    quoted = re.search(r"[“\"](.+?)[”\"]", plain[len(authors):])
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
        container = re.sub(rf"\(?\b{YEAR_TOKEN}\b\)?[.,]?\s*$", "", container, flags=re.I).strip(" .,")
        entry.container = container or None


TITLE_MARK = re.compile(r"(?<![*\w])\*(?!\*)[^*]+\*(?!\*)|(?<!\w)_(?!_)[^_]+_(?!\w)|“[^”]+”|(?<![\w])\"[^\"]+\"")


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


def split_authors(text: str) -> list[str]:
    """Split an author string into names; organisations stay whole."""
    if not text:
        return []
    s = re.sub(r"\s*(?:,?\s*&|,?\s+and|,?\s+dan|;)\s+", ", ", text)
    s = re.sub(r"\s*,?\s*(?:et al\.?|dkk\.?)\s*$", "", s)
    parts = [p.strip(" .") for p in s.split(",") if p.strip(" .")]
    if len(parts) == 2 and all(re.fullmatch(r"[^\W\d_][\w'’\-]*", p) for p in parts):
        return [f"{parts[0]}, {parts[1]}"]  # "Foyle, Douglas": one person, family name first
    names: list[str] = []
    for part in parts:
        given = re.fullmatch(r"(?:[A-Z][a-z]+\s+)*(?:[A-Z]\.?\s?){1,3}", part) and len(names) == 1 and " " not in names[0]
        if names and (INITIAL.fullmatch(part.replace(" ", "")) or re.fullmatch(r"(?:[A-Z]\.\s?)+[A-Z]?\.?", part)
                      or given):
            names[-1] = f"{names[-1]}, {part}"
        else:
            names.append(part)
    return names


def _publication_date(text: str, year: str | None) -> PartialDate | None:
    dates = [d for d in find_dates(text) if d.date.month]
    if dates:
        return dates[0].date
    if year and year[:4].isdigit():
        return PartialDate(int(year[:4]))
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
