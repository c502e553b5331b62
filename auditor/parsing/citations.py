"""Find in-text citations: author-year, narrative, numbered and footnote markers.

Citations are found per paragraph so that one wrapped across a line break is still one citation;
every item keeps the 1-based line and column where it starts in the file.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator

from auditor.model import Citation, CitationKind, Document, Paragraph
from auditor.parsing.dates import HAS_YEAR, MONTHS
from auditor.parsing.entries import ORGANISATION
from auditor.parsing.text import PARTICLES, Spans, fold, mask_code, mask_emphasis, mask_links

YEAR_ITEM = r"(?:1[5-9]\d\d|20\d\d)[a-z]?|n\.\s?d\.?|t\.\s?t\.?|in\s+press|forthcoming|tanpa\s+tahun"
YEARS = re.compile(
    rf"(?P<years>(?:{YEAR_ITEM})(?:\s*,\s*(?:{YEAR_ITEM}|[a-z](?=\s*(?:,|$|[;:)]))))*)"
    r"(?P<loc>\s*[,:]\s*(?:hlm|hal|h|halaman|p|pp|page|pages|para|chap|bab|fig|figs|table)?\.?\s*[\dIVXLCivxlc][\dIVXLCivxlc\-–, ]*)?"
    r"(?P<tail>\s+(?:for|and|dan|untuk|as|in|on|with|but|which|who|yang|tentang|about|reviewed|review)\b[^\d]*)?\s*$",
    re.I,
)
PREFIX = re.compile(r"^\s*(?:(?:see(?:\s+also)?|cf\.?|lihat(?:\s+juga)?|e\.g\.|i\.e\.|also|juga|dalam|in|quoted\s+in|cited\s+in|dikutip\s+dalam|seperti\s+dalam"
                    r"|(?:image\s+)?source|(?:image\s+)?credit|sumber(?:\s+gambar)?|adapted\s+from|diadaptasi\s+dari)[,:]?\s+)+",
                    re.I)
CONNECTORS = {"and", "dan", "&", "und", "et", "y"}
LOWER_OK = PARTICLES | CONNECTORS | {"of", "on", "the", "for", "in", "dari", "untuk", "al.", "al", "dkk.", "dkk",
                                     "et", "an", "at", "to", "und", "des", "du", "pour"}
NOT_NAMES = {
    "figure", "fig", "figs", "table", "tabel", "gambar", "grafik", "pasal", "uu", "no", "nomor", "tahun",
    "sejak", "since", "in", "pada", "circa", "ca", "about", "sekitar", "vol", "volume", "tanggal", "hari",
    "eq", "equation", "supplementary", "appendix", "lampiran", "chapter", "bab", "section", "part", "periode",
    "period", "until", "hingga", "sampai", "before", "after", "sebelum", "sesudah", "setelah", "tahap",
    "phase", "wave", "gelombang", "edisi", "edition", "version", "versi", "abad", "century", "data",
    "survei", "survey", "sensus", "census", "pemilu", "pilkada", "pilpres", "pileg", "election", "elections",
    "perpres", "permen", "perppu", "pp", "keppres", "inpres", "sk", "law", "act", "rp", "us", "usd", "idr",
    "n", "p", "r", "f", "t", "df", "se", "sd", "ci", "or", "q", "week", "day", "month", "year", "age",
    "usia", "umur", "jam", "pukul", "ke", "est", "established", "founded", "born", "lahir", "wafat", "died",
    "d", "b", "kuartal", "quarter", "semester", "triwulan", "see", "lihat", "cf", "i", "ii", "iii",
}
SENTENCE_WORDS = {
    "menurut", "according", "in", "on", "at", "for", "as", "by", "with", "from", "to", "the", "a", "an",
    "this", "that", "these", "those", "penelitian", "studi", "hasil", "namun", "tetapi", "selain", "pada",
    "dalam", "oleh", "dari", "untuk", "bagi", "seperti", "sebagaimana", "lihat", "see", "also", "both",
    "while", "whereas", "when", "after", "before", "since", "although", "however", "moreover", "thus",
    "hence", "here", "there", "we", "our", "their", "they", "he", "she", "it", "its", "his", "her",
    "previously", "recently", "similarly", "studies", "study", "work", "research", "data", "results",
    "report", "reports", "analysis", "dan", "and", "yang", "ini", "itu", "kemudian", "sementara",
    "sedangkan", "bahkan", "juga", "adapun", "berdasarkan", "mengutip", "dikutip", "dilansir", "kata",
    "ujar", "if", "but", "so", "unlike", "like", "following", "using", "tulisan", "buku",
    "artikel", "riset", "kajian", "laporan", "survei", "pendapat", "teori", "konsep", "model",
    "because", "karena", "sebab", "sehingga", "maka", "jika", "bila", "apabila", "meskipun", "walaupun",
    "indeed", "notably", "importantly", "earlier", "later", "first", "second", "finally", "further",
    "furthermore", "additionally", "nevertheless", "nonetheless", "then", "thereby", "therefore",
}
for _month in MONTHS:
    NOT_NAMES.add(_month)
    SENTENCE_WORDS.add(_month)

# "[12]", "[3-5, 9]", and "\\[12\\]" as Word exports to Markdown write it.
NUMERIC_BRACKET = re.compile(r"(?=[\\\[])(?<![!\]])\\?\[(?P<body>\d{1,4}(?:\s*[-–—,]\s*\d{1,4})*)\\?\](?!\()")
# A symbolic label: "[RFC2396]", "[STD63]", "[Hol14]".
LABEL_BRACKET = re.compile(r"(?=\[)(?<![\w\]\\])\[(?P<body>[A-Za-z][\w.+\-]{1,24})\](?![(\[:])")
KEY_SHAPED = re.compile(r"[A-Z][A-Za-z\-]*\d{2,4}[a-z]?")
# "Graves2014" as the text of a link (tables in blog posts): a name glued to a year.
# "Menurut Rogers, 2013, …", "as in Luong, et al., 2015": an author and a year with no brackets at all.
BARE_CITATION = re.compile(
    r"(?=[A-Z\u00C0-\u024F])(?<![\w(\[])(?P<names>[A-Z\u00C0-\u024F][\w'’\-]+(?:(?:,?\s+(?:and|dan|&)\s+|,\s+)[A-Z\u00C0-\u024F][\w'’\-]+)?"
    r"(?:,?\s+(?:et\s+al\.?|dkk\.?))?),\s+(?P<year>(?:1[5-9]|20)\d\d[a-z]?)\b(?!\s*[-–/]\s*\d)")
# Pandoc citations: "[@key]", "[see @a, p. 3; @b]"; the keys name entries of a .bib file.
PANDOC_GROUP = re.compile(r"\[(?P<body>[^\[\]\n]*?(?<![\w.])@[\w][\w:.#$%&+?<>~/\-]*[^\[\]\n]*)\]")
PANDOC_KEY = re.compile(r"(?<![\w.])-?@(?P<key>[\w][\w:.#$%&+?<>~/\-]*[\w])")
GLUED_KEY = re.compile(r"(?=[A-Z])(?<![\w])(?P<name>[A-Z][a-z][\w\-]*?)(?P<year>(?:1[5-9]|20)\d\d[a-z]?)(?![\w])")
FOOTNOTE_REF = re.compile(r"\[\^(?P<body>\d{1,4})\](?!:)")
SUP = re.compile(r"<sup>\s*(?P<body>\d{1,4}(?:\s*[-–—,]\s*\d{1,4})*)\s*</sup>", re.I)
# Lettered note markers: "<sup>a</sup>", "<sup>a,c</sup>".
SUP_LETTER = re.compile(r"<sup>\s*(?P<body>[a-z](?:\s*,\s*[a-z])*)\s*</sup>")
BRACKET_RANGE = re.compile(r"\[(?P<a>\d{1,4})\]\s*[-–—]\s*\[(?P<b>\d{1,4})\]")
# Bounds that keep crafted input linear: `[1-200,1-200,…]` expands to at most MAX_GROUP_ITEMS numbers
# per bracket and MAX_PARAGRAPH_ITEMS per paragraph (real documents cite far fewer); a narrative
# citation's names are looked for only in the NARRATIVE_WINDOW characters before "(2005)".
MAX_GROUP_ITEMS = 500
MAX_PARAGRAPH_ITEMS = 10_000
NARRATIVE_WINDOW = 400
NAME_WORD = re.compile(r"^(?:\d+[A-Z][\w.'’\-]*|[A-Z\u00C0-\u024F][\w.'’\-]*|[a-z][a-z]*['’][A-Z][\w'’\-]*)$")


HEADING_LINE = re.compile(r"^\s*#{1,6}\s")


def build_paragraphs(doc: Document, excluded: set[int]) -> list[Paragraph]:
    """Prose blocks of the document outside the reference lists; a page break inside a sentence is joined."""
    paragraphs: list[Paragraph] = []
    parts: list[str] = []
    segments: list[tuple[int, int, int]] = []
    size = 0

    def close() -> None:
        nonlocal size
        if parts:
            paragraphs.append(Paragraph(len(paragraphs), "".join(parts), list(segments)))
        parts.clear()
        segments.clear()
        size = 0

    blank = False
    for number, line in enumerate(doc.lines, 1):
        if number in excluded or number in doc.skip_lines:
            close()
            blank = False
            continue
        if not line.strip():
            blank = True
            continue
        starts_block = bool(BLOCK_START.match(line))
        if parts and (starts_block or _heading_like(parts)):
            close()
        elif parts and blank and not _page_break(parts, line):
            close()
        if parts:
            # A page break is kept as a blank line ("\n\n") so that checks can tell it from a wrap; the
            # newline characters belong to the end of the line before.
            gap = "\n\n" if blank else "\n"
            parts.append(gap)
            size += len(gap)
        segments.append((size, number, 1))
        line = mask_emphasis(mask_links(mask_code(line)))
        parts.append(line)
        size += len(line)
        blank = False
        if HEADING_LINE.match(line):
            close()
    close()
    return paragraphs


BLOCK_START = re.compile(r"^\s*(?:#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|[a-z][.)]\s|\||>|\[(?:Figure|Table))")


def _heading_like(parts: list[str]) -> bool:
    return bool(HEADING_LINE.match(parts[0]))


def _page_break(parts: list[str], line: str) -> bool:
    """A blank line in mid-sentence (PDF page break): previous block unfinished, next starts in lower case."""
    previous = parts[-1].rstrip()
    nxt = line.lstrip()
    return bool(previous) and previous[-1] not in ".!?:”\"')" and nxt[:1].islower()


GLUED = re.compile(r"(?=\d)(?<=[^\W\d_][.,;:!?”\"’')])(?P<body>\d{1,3})(?=[\s\[(]|$)")


def find_citations(paragraphs: list[Paragraph], numbered: bool, notes: bool,
                   note_numbers: set[int] | None = None, labels: set[str] | None = None,
                   glued_keys: bool = False, note_groups: set[str] | None = None) -> list[Citation]:
    """Every citation item in the paragraphs, in text order.

    labels: the symbolic labels of the list ("RFC2396"), when it has them; glued_keys: also read
    "Graves2014" as a citation of Graves 2014 (kept by matching only when it names an entry);
    note_groups: the groups of the document's grouped notes ("n" for Wikipedia's "[n 1]" markers).
    """
    found: list[Citation] = []
    for para in paragraphs:
        items: list[Citation] = []
        items.extend(_parenthetical(para))
        if numbered or notes:
            items.extend(_numbered(para, brackets=numbered or notes, notes=notes))
        if notes and note_numbers:
            items.extend(_glued(para, note_numbers, items))
        if note_groups:
            items.extend(_group_markers(para, note_groups))
            if "letter" in note_groups:
                items.extend(_letter_markers(para))
        if "@" in para.text:
            pandoc = _pandoc(para)
            if pandoc:
                starts = {c.group_start for c in pandoc}
                items = [c for c in items if c.group_start not in starts]
                items.extend(pandoc)
        if labels:
            found_labels = _labels(para, labels)
            starts = {c.group_start for c in found_labels}
            items = [c for c in items if not (c.kind == "author-only" and c.group_start in starts)]
            items.extend(found_labels)
        if glued_keys and HAS_YEAR.search(para.text):  # both forms hold a year
            items.extend(_glued_keys(para, items))
            items.extend(_bare(para, items))
        items.sort(key=lambda c: c.offset)
        found.extend(items)
    for i, c in enumerate(found):
        c.index = i
    return found


BRACKETS = re.compile(r"[()\[\]]")


def _balanced_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of every parenthesised or bracketed group of reasonable length."""
    groups: list[tuple[int, int]] = []
    stacks: dict[str, list[int]] = {"(": [], "[": []}
    for m in BRACKETS.finditer(text):
        ch, i = m.group(0), m.start()
        if ch in "([":
            stacks[ch].append(i)
            continue
        stack = stacks["(" if ch == ")" else "["]
        if not stack:
            continue
        start = stack.pop()
        if i - start > 600:
            continue
        if ch == "]" and (text[start + 1: i].strip()[:1].isdigit() or text[i + 1: i + 2] == "("):
            continue  # numbered citations and Markdown links are not author-year groups
        groups.append((start, i))
    groups.sort()
    return groups


def _parenthetical(para: Paragraph) -> list[Citation]:
    out: list[Citation] = []
    text = para.text
    for start, end in _balanced_groups(text):
        inner = text[start + 1: end]
        if "(" in inner or "[" in inner:
            # "(Padgett & Morris (2005); …)": the nested group is handled on its own.
            inner_clean = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", lambda m: " " * len(m.group(0)), inner)
        else:
            inner_clean = inner
        if text[start] == "[" and re.fullmatch(r"[\d\s,\-–—]+", inner):
            continue  # numbered citations are found elsewhere
        if YEARS.fullmatch(inner_clean.strip()) and text[start] == "(":
            out.extend(_narrative(para, start, end))
            continue
        offset = start + 1
        # "(Image source: Ruiz (2019))": the name belongs to the narrative citation nested inside.
        nested_year = inner_clean != inner and re.search(r"\(\s*(?:1[5-9]|20)\d\d", inner)
        for part in _items(inner_clean):
            found = _author_year_part(para, part, offset, start, end)
            out.extend(c for c in found if not (nested_year and c.kind == "author-only"))
            offset += len(part) + 1
    return out


def _items(inner: str) -> list[str]:
    """The cited items of a group: separated by ";", or by "," after a year when every piece has a year
    ("(Smith, 2001, Jones, 2002)"; not "(StataCorp. 2005, Stata Statistical Software, TX)")."""
    items: list[str] = []
    for piece in inner.split(";"):
        pieces = ITEM_SEPARATOR.split(piece)
        if len(pieces) > 1 and all(re.search(r"\b\d{4}[a-z]?\b", p) for p in pieces):
            items.extend(pieces)
        else:
            items.append(piece)
    return items


ITEM_SEPARATOR = re.compile(r"(?:(?<=\b\d{4})|(?<=\b\d{4}[a-z])),(?=\s+(?:(?:dan|and|&)\s+)?(?:[A-Z\u00C0-\u024F]|van |de |d'|al-))")


NOT_NAME_CHARS = re.compile(r"[=%$<>#@|/\\]|\d+\s*[-–]\s*\d+|https?:")


def _valid_names(names: str) -> bool:
    words = names.replace("\n", " ").split()
    if not words or len(words) > 12 or len(names) > 120:
        return False
    if NOT_NAME_CHARS.search(names):
        return False
    first = words[0].strip(",.")
    if fold(first).rstrip(".") in NOT_NAMES or fold(first) in NOT_NAMES:
        return False
    if not NAME_WORD.match(first) and fold(first) not in PARTICLES:
        return False
    for w in words:
        bare = w.strip(",.;:")
        if not bare:
            continue
        if bare in ("&",) or fold(bare) in LOWER_OK or fold(bare).rstrip(".") in LOWER_OK:
            continue
        if not NAME_WORD.match(bare):
            return False
    return True


def _expands_acronym(before: str, body: str) -> bool:
    """"ACM (Association for Computing Machinery)": the words spell out the acronym just before them."""
    m = re.search(r"\b([A-Z]{2,8})\s*$", before)
    if not m:
        return False
    initials = "".join(w[0] for w in body.split() if w[:1].isupper())
    return initials == m.group(1) or initials.startswith(m.group(1))


def _lowercase_name(names: str, separator: str) -> bool:
    """"(crossbow, 2007)": a brand or a user name written in lower case, when a comma parts it from the year."""
    word = names.strip()
    return (bool(re.fullmatch(r"[a-z][a-z\-]{3,30}", word)) and "," in separator
            and word not in LOWER_OK and word not in SENTENCE_WORDS and word not in NOT_NAMES
            and word not in ("press", "forthcoming", "circa", "since", "until", "sejak", "tahun", "hingga"))


ET_AL_END = re.compile(r"\b(?:et\s*al\.?|dkk\.?|cs\.?)\s*,?$", re.I)
ET_AL_TAIL = re.compile(r",?\s*\b(?:et\s*al\.?|dkk\.?|cs\.?)\s*,?$", re.I)
NAME_SEPARATOR = re.compile(r"\s*(?:,\s*)?(?:\s&\s|&|\band\b|\bdan\b|\bund\b)\s*|,\s*")


def _split_names(names: str) -> tuple[list[str], bool]:
    """["Devlen", "Ozdamar"] and whether "et al."/"dkk." follows."""
    s = " ".join(names.split())
    et_al = bool(ET_AL_END.search(s))
    s = ET_AL_TAIL.sub("", s).strip(" ,")
    if "," not in s and ORGANISATION.search(s):
        return [s], et_al  # "Kementerian Koperasi dan UKM" is one author
    parts = NAME_SEPARATOR.split(s)
    return [p.strip(" ,.") if not p.strip().endswith(".") or len(p.strip()) > 4 else p.strip(" ,") for p in parts if p.strip(" ,.")], et_al


def _year_items(years: str, base: int) -> list[tuple[str, int]]:
    """("2020a", offset) for every year in "2020a, 2020b" or "2003a, b"; a lone letter takes the year before."""
    items: list[tuple[str, int]] = []
    last_year = ""
    for m in re.finditer(rf"{YEAR_ITEM}|\b[a-z]\b", years, re.I):
        token = m.group(0)
        if re.fullmatch(r"[a-z]", token, re.I) and last_year:
            value = last_year[:4] + token.lower()
        else:
            value = normalize_year_token(token)
            last_year = value
        items.append((value, base + m.start()))
    return items


def normalize_year_token(token: str) -> str:
    t = token.strip().lower()
    if re.fullmatch(r"(?:1[5-9]\d\d|20\d\d)[a-z]?", t):
        return t
    if "press" in t or "forthcoming" in t:
        return "in press"
    return "n.d."


LOWERCASE_LEAD = re.compile(r"^(?:[a-z][\w.,'’]*\s+){1,6}(?=[A-Z\u00C0-\u024F])")
NAMES_BEFORE_YEAR = re.compile(rf"^(?P<names>.+?)\s*,?\s+(?={YEAR_ITEM})", re.I | re.S)
NAMES_AND_PAGE = re.compile(r"(?P<names>.+?)\s*,?\s+(?P<page>\d{1,4}(?:\s*[-–]\s*\d{1,4})?)", re.S)
A_YEAR = re.compile(r"1[5-9]\d\d|20\d\d")


def _lowercase_lead(body: str) -> re.Match[str] | None:
    """Leading words such as "for a recent review see" before the cited name, but not "van" of "van Heel"."""
    m = LOWERCASE_LEAD.match(body)
    if not m:
        return None
    words = m.group(0).split()
    while words and fold(words[-1].strip(",.")) in PARTICLES:
        words.pop()
    if not words:
        return None
    return re.match(r"^" + r"\s+".join(re.escape(w) for w in words) + r"\s+", body)


def _author_year_part(para: Paragraph, part: str, offset: int, gstart: int, gend: int) -> list[Citation]:
    raw_part = part
    lead = len(part) - len(part.lstrip())
    body = part.strip()
    if not body or len(body) > 200:
        return []  # a cited item is a name and a year, never a long passage
    prefix = PREFIX.match(body) or _lowercase_lead(body)
    if prefix:
        lead += prefix.end()
        body = body[prefix.end():]
    # re.S: the names may be wrapped over a line break, "(Defence Intelligence\nAgency 2017)".
    m = NAMES_BEFORE_YEAR.match(body)
    ym = None
    if m:
        ym = YEARS.fullmatch(body[m.end():])
    if not m or not ym:
        # MLA "(Smith 23)", "(Smith and Jones 45–47)": author and page, no year; kept only if it names
        # an entry's author, like the author-only form below.
        mla = NAMES_AND_PAGE.fullmatch(body)
        if mla and not A_YEAR.fullmatch(mla.group("page").split("-")[0].split("–")[0].strip()) \
                and _valid_names(mla.group("names")) and len(mla.group("names").split()) <= 5:
            names, et_al = _split_names(mla.group("names"))
            line, col = para.where(offset + lead)
            return [Citation(0, line, col, " ".join(body.split()), CitationKind.AUTHOR_PAGE, names=names, et_al=et_al,
                             marker=raw_part.strip(), paragraph=para.index, offset=offset + lead,
                             group_start=gstart)]
        # "(Mardalis Jakarta)": a name without a year; kept only if it names an entry's author. Not "(A)",
        # "(CRM)": a lone letter or an acronym.
        if _valid_names(body) and not re.fullmatch(r"[A-Z]{1,}\.?", body) and len(body.split()) <= 5 \
                and not _expands_acronym(para.text[:gstart], body):
            names, et_al = _split_names(body)
            line, col = para.where(offset + lead)
            return [Citation(0, line, col, body.replace("\n", " "), CitationKind.AUTHOR_ONLY, names=names, et_al=et_al,
                             marker=raw_part.strip(), paragraph=para.index, offset=offset + lead,
                             group_start=gstart)]
        return []
    names_text = m.group("names")
    if not _valid_names(names_text) and not _lowercase_name(names_text, body[m.end("names"):m.end()]):
        return []
    names, et_al = _split_names(names_text)
    out: list[Citation] = []
    years_start = offset + lead + m.end()
    for i, (year, pos) in enumerate(_year_items(ym.group("years"), years_start)):
        start = offset + lead if i == 0 else pos
        if i == 0:
            # The citation as written (a nested "[BPS]" was blanked for parsing, not in the text).
            first_year = ym.group("years").split(",")[0].strip()
            raw = " ".join(para.text[offset + lead: years_start + len(first_year)].split())
        else:
            raw = para.text[pos: pos + len(year)]
        line, col = para.where(start)
        out.append(Citation(0, line, col, " ".join(raw.split()), CitationKind.AUTHOR_YEAR, names=names, et_al=et_al,
                            year=year, marker=raw_part.strip(), paragraph=para.index, offset=start,
                            group_start=gstart))
    return out


def _narrative(para: Paragraph, start: int, end: int) -> list[Citation]:
    """`Rosyidin (2010)`, `Gunanto (2020a, 2020b)`, `Padgett & Morris (2005)`: names before the year."""
    text = para.text
    inner = text[start + 1: end]
    ym = YEARS.fullmatch(inner.strip())
    if not ym:
        return []
    # Only a bounded window before the parenthesis is read, so that each citation costs the same
    # however long the paragraph is; a word the window cuts in two is not a name.
    base = max(0, start - NARRATIVE_WINDOW)
    before = text[base:start].rstrip()
    tokens = list(re.finditer(r"[^\s(),;:]+", before))
    if base > 0 and tokens and tokens[0].start() == 0 and not text[base - 1].isspace():
        tokens = tokens[1:]
    run: list[re.Match[str]] = []
    for tok in reversed(tokens):
        word = tok.group(0)
        bare = re.sub(r"['’]s$", "", word.rstrip(",."))
        if tok.end() < len(before) and not run and before[tok.end():].strip():
            break
        if re.fullmatch(r"(?:et\s*al\.?|al\.?|et|dkk\.?)", word, re.I):
            run.insert(0, tok)
            continue
        if fold(bare) in CONNECTORS or word == "&":
            if not run:
                break
            run.insert(0, tok)
            continue
        if fold(bare) in PARTICLES and run:
            run.insert(0, tok)
            continue
        if NAME_WORD.match(bare) and not re.fullmatch(r"[IVXLC]+", bare) and len(run) < 8:
            if word.endswith((".", ",")) and run and not re.fullmatch(r"[A-Z]\.", word) and word.endswith("."):
                break
            run.insert(0, tok)
            continue
        break
    while run and _joiner(run[0].group(0)):
        run.pop(0)
    if not run:
        return []
    # Every word of the run that is not a joiner may start the name: "Menurut Padgett & Morris" gives
    # three readings; matching keeps the one that names an entry.
    options = []
    for i, tok in enumerate(run):
        if _joiner(tok.group(0)):
            continue
        names_text = before[tok.start():]
        if _valid_names(names_text) or _valid_names(re.sub(r"['’]s\b", "", names_text)):
            options.append((i, names_text))
    if not options:
        return []
    out: list[Citation] = []
    # Keep every reading; matching picks the one that names an entry, else the last plausible name.
    readings = []
    for i, names_text in options:
        first_word = fold(run[i].group(0).rstrip(",."))
        names, et_al = _split_names(re.sub(r"['’]s\b", "", names_text))
        readings.append((base + run[i].start(), names, et_al, first_word))
    default = _default_reading(readings, before, base)
    for n, (year, pos) in enumerate(_year_items(ym.group("years"), start + 1 + (len(inner) - len(inner.lstrip())))):
        if n == 0:
            name_start = default[0]
            raw = " ".join(text[name_start: end + 1].split())
            line, col = para.where(name_start)
            cit = Citation(0, line, col, raw, CitationKind.NARRATIVE, names=default[1], et_al=default[2], year=year,
                           marker=text[start: end + 1], paragraph=para.index, offset=name_start, group_start=start)
        else:
            line, col = para.where(pos)
            cit = Citation(0, line, col, year, CitationKind.NARRATIVE, names=default[1], et_al=default[2], year=year,
                           marker=text[start: end + 1], paragraph=para.index, offset=pos, group_start=start)
        cit.readings = readings
        out.append(cit)
    return out


def _joiner(word: str) -> bool:
    """A word that joins names but cannot start one: and, dan, &, et al., dkk."""
    bare = word.rstrip(",.")
    return fold(bare) in CONNECTORS or word == "&" or bool(re.fullmatch(r"(?:et|al\.?|dkk\.?)", bare, re.I))


def _default_reading(readings: list[tuple[int, list[str], bool, str]], before: str,
                     base: int = 0) -> tuple[int, list[str], bool]:
    """Without an entry to decide, drop leading sentence words: "Menurut Padgett & Morris" → Padgett.

    `before` is the text from offset `base` of the paragraph up to the citation."""
    for start, names, et_al, first in readings:
        if first in SENTENCE_WORDS:
            continue
        head = before[:start - base]
        sentence_start = start == 0 or re.search(r"[.!?:]\s*$", head) or (base == 0 and not head.strip())
        if sentence_start and len(names) == 1 and len(names[0].split()) > 1:
            words = names[0].split()
            if fold(words[0]) in SENTENCE_WORDS:
                continue
        return start, names, et_al
    start, names, et_al, _ = readings[-1]
    return start, names, et_al


def _numbered(para: Paragraph, brackets: bool, notes: bool) -> list[Citation]:
    out: list[Citation] = []
    text = para.text
    taken = Spans()
    for m in BRACKET_RANGE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if 0 < b - a <= 200:
            taken.add(m.start(), m.end())
            marker = m.group(0)  # one string shared by every item of the range
            for value in range(a, min(b, a + MAX_GROUP_ITEMS - 1) + 1):
                if len(out) >= MAX_PARAGRAPH_ITEMS:
                    return out
                pos = m.start("a") if value == a else m.start("b") if value == b else m.start("a")
                out.append(_number_citation(para, value, pos, marker, m.start()))
    patterns = [FOOTNOTE_REF, SUP] + ([NUMERIC_BRACKET] if brackets else [])
    for pattern in patterns:
        for m in pattern.finditer(text):
            if taken.overlaps(m.start(), m.end()):
                continue
            if pattern is NUMERIC_BRACKET and _statistic(text, m.start(), m.end()):
                continue
            taken.add(m.start(), m.end())
            body_start = m.start("body")
            marker = m.group(0)
            for value, pos in _expand(m.group("body"), body_start):
                if len(out) >= MAX_PARAGRAPH_ITEMS:
                    return out
                out.append(_number_citation(para, value, pos, marker, m.start()))
    return out


def _glued(para: Paragraph, note_numbers: set[int], taken: list[Citation]) -> list[Citation]:
    """Note numbers written as plain digits after punctuation, as PDF text leaves them: "pesat.2"."""
    out = []
    used = {c.offset for c in taken}
    for m in GLUED.finditer(para.text):
        value = int(m.group("body"))
        if value in note_numbers and m.start() not in used:
            out.append(_number_citation(para, value, m.start(), m.group(0), m.start()))
    return out


def _statistic(text: str, start: int, end: int) -> bool:
    """`F[1,12] = 5.3` and similar: a bracket glued to a one-letter symbol or followed by `=`."""
    before = text[max(0, start - 3): start]
    if re.search(r"(?:^|[^\w])[A-Za-zχβα]\d?$", before):
        return True
    return bool(re.match(r"\s*[=<>≤≥]", text[end: end + 3]))


def _expand(body: str, base: int) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    for m in re.finditer(r"(\d{1,4})(?:\s*[-–—]\s*(\d{1,4}))?", body):
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        if b < a or b - a > 200:
            b = a
        for value in range(a, b + 1):
            if len(items) >= MAX_GROUP_ITEMS:
                return items
            pos = base + (m.start(1) if value == a else m.start(2) if value == b else m.start(1))
            items.append((value, pos))
    return items


def _number_citation(para: Paragraph, value: int, pos: int, marker: str, group_start: int) -> Citation:
    line, col = para.where(pos)
    return Citation(0, line, col, f"[{value}]", CitationKind.NUMBERED, number=value, marker=marker,
                    paragraph=para.index, offset=pos, group_start=group_start)


def _labels(para: Paragraph, labels: set[str]) -> list[Citation]:
    """"[RFC2396]" for a list whose entries carry such labels; an unknown label only when shaped like one."""
    out = []
    folded = {fold(x) for x in labels}
    for m in LABEL_BRACKET.finditer(para.text):
        body = m.group("body")
        if fold(body) not in folded and not KEY_SHAPED.fullmatch(body):
            continue
        line, col = para.where(m.start("body"))
        out.append(Citation(0, line, col, body, CitationKind.LABEL, marker=m.group(0), paragraph=para.index,
                            offset=m.start("body"), group_start=m.start()))
    return out


def _covered_by(taken: list[Citation], closed: bool) -> Callable[[int], bool]:
    """A test of whether an offset lies within a citation already found (from its group's opening to
    its end; the end included when closed), by binary search over the merged spans."""
    merged: list[list[int]] = []
    for start, end in sorted((c.group_start, c.offset + len(c.raw)) for c in taken):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [s for s, _ in merged]

    def inside(pos: int) -> bool:
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and (pos <= merged[i][1] if closed else pos < merged[i][1])

    return inside


def _glued_keys(para: Paragraph, taken: list[Citation]) -> list[Citation]:
    """"Graves2014": a family name glued to a year, as tables in blog posts label the works they cite."""
    out: list[Citation] = []
    if not _year_after_word(para.text):  # (one scan for years rather than a try at every capital)
        return out
    inside = _covered_by(taken, closed=False)
    for m in GLUED_KEY.finditer(para.text):
        if inside(m.start()):
            continue
        line, col = para.where(m.start())
        out.append(Citation(0, line, col, m.group(0), CitationKind.GLUED_KEY, names=[m.group("name")], year=m.group("year"),
                            marker=m.group(0), paragraph=para.index, offset=m.start(), group_start=m.start()))
    return out


def _year_after_word(text: str) -> bool:
    """Whether a year follows a word character or a hyphen, as in every glued key."""
    for m in A_YEAR.finditer(text):
        s = m.start()
        if s and (text[s - 1].isalnum() or text[s - 1] in "_-"):
            return True
    return False


COMMA_YEAR = re.compile(r",\s+(?:1[5-9]|20)\d\d")
# The names of a bare citation are looked for only this far before its ", 2013" (two names and "et al.").
BARE_WINDOW = 200


def _bare_matches(text: str) -> Iterator[re.Match[str]]:
    """BARE_CITATION.finditer(text), reading only the window before each ", 2013" rather than trying the
    pattern at every capital: a match ends at the first such comma after its start (no name holds one),
    so the leftmost match within a window cut there is where the whole text has its match, if anywhere."""
    pos = 0
    for hit in COMMA_YEAR.finditer(text):
        if hit.start() < pos:
            continue
        lo = max(pos, hit.start() - BARE_WINDOW)
        while (cut := BARE_CITATION.search(text, lo, hit.end())) is not None:
            whole = BARE_CITATION.match(text, cut.start())  # what follows the cut may undo it: "2013-2015"
            if whole is not None:
                yield whole
                pos = whole.end()
                break
            lo = cut.start() + 1


def _bare(para: Paragraph, taken: list[Citation]) -> list[Citation]:
    """"Rogers, 2013" written without brackets; matching keeps it only when it names an entry exactly."""
    out: list[Citation] = []
    inside = _covered_by(taken, closed=True)
    for m in _bare_matches(para.text):
        if inside(m.start()):
            continue
        names_text = m.group("names")
        if not _valid_names(names_text):
            continue
        names, et_al = _split_names(names_text)
        line, col = para.where(m.start())
        out.append(Citation(0, line, col, " ".join(m.group(0).split()), CitationKind.BARE, names=names, et_al=et_al,
                            year=m.group("year"), marker=m.group(0), paragraph=para.index, offset=m.start(),
                            group_start=m.start()))
    return out


CUE_BEFORE = re.compile(
    r"(?:\b(?:menurut|according\s+to|oleh|by|see|lihat|cf\.|in|dalam|following|mengikuti|mengutip|as|seperti|"
    r"sebagaimana|dikutip\s+dari|from|dari|like|and|dan|&|while|whereas|sedangkan)\s+(?:[\w.'’\-&]+\s+){0,4})$", re.I)
REPORTING_AFTER = re.compile(
    r"^\s*[,)]?\s*(?:also\s+|juga\s+|have\s+|has\s+|had\s+)?(?:states?|stated|says?|said|argues?|argued|finds?|found|shows?|"
    r"showed|shown|suggests?|suggested|proposes?|proposed|reports?|reported|notes?|noted|describes?|described|"
    r"defines?|defined|explains?|explained|claims?|claimed|introduces?|introduced|demonstrates?|demonstrated|"
    r"observes?|observed|writes?|wrote|concludes?|concluded|presents?|presented|developed|used|uses|"
    r"menyatakan|mengatakan|menjelaskan|berpendapat|mengemukakan|menyebutkan|mendefinisikan|menemukan|"
    r"meneliti|menunjukkan|mengungkapkan|menulis|menggunakan|mengembangkan|membahas|memaparkan|bahwa|that)\b",
    re.I)


def narrative_evidence(cit: Citation, para: Paragraph) -> bool:
    """Whether a narrative "Name (2010)" that names no entry is still surely a citation: "et al.", two
    surnames, a cue before it ("Menurut", "according to") or a reporting verb after it ("menyatakan",
    "argues"). "Medal of Freedom (1995)" and "Teori Mesin Turing (1936):" have none of these."""
    if cit.et_al:
        return True
    text = para.text
    if len(cit.names) >= 2 and all(len(n.split()) == 1 for n in cit.names):
        return True
    before = text[max(0, cit.offset - 60): cit.offset]
    if CUE_BEFORE.search(before) and not re.search(r"\b(?:of|the|dari|tentang)\s+$", before, re.I):
        return True
    close = text.find(")", cit.offset)
    after = text[close + 1: close + 60] if close >= 0 else ""
    return bool(REPORTING_AFTER.match(after))


def _pandoc(para: Paragraph) -> list[Citation]:
    """Every "@key" of a bracketed Pandoc citation group."""
    out = []
    for g in PANDOC_GROUP.finditer(para.text):
        for m in PANDOC_KEY.finditer(para.text, g.start("body"), g.end("body")):
            line, col = para.where(m.start("key"))
            out.append(Citation(0, line, col, m.group("key"), CitationKind.PANDOC, marker=g.group(0), paragraph=para.index,
                                offset=m.start("key"), group_start=g.start()))
    return out


GROUP_MARKER = re.compile(r"\[(?P<group>[A-Za-z][\w\-]{0,15}) (?P<body>\d{1,4})\]")


def _group_markers(para: Paragraph, groups: set[str]) -> list[Citation]:
    """"[n 1]": a marker of note 1 of the group "n", for a document whose notes have such groups."""
    out = []
    for m in GROUP_MARKER.finditer(para.text):
        if m.group("group") not in groups:
            continue
        line, col = para.where(m.start())
        out.append(Citation(0, line, col, m.group(0), CitationKind.NUMBERED, number=int(m.group("body")), marker=m.group(0),
                            paragraph=para.index, offset=m.start(), group_start=m.start(), group=m.group("group")))
    return out


def _letter_markers(para: Paragraph) -> list[Citation]:
    """"<sup>a</sup>": markers of lettered notes (the group "letter": a is 1, b is 2)."""
    out = []
    for m in SUP_LETTER.finditer(para.text):
        for letter in re.finditer(r"[a-z]", m.group("body")):
            pos = m.start("body") + letter.start()
            line, col = para.where(pos)
            out.append(Citation(0, line, col, f"[{letter.group(0)}]", CitationKind.NUMBERED,
                                number=ord(letter.group(0)) - ord("a") + 1, marker=m.group(0),
                                paragraph=para.index, offset=pos, group_start=m.start(), group="letter"))
    return out
