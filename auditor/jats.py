"""JATS XML (`.xml`, `.nxml`): journal articles as PubMed Central, publishers and `pandoc -t jats` write them.

Lines. As for HTML (`auditor/html.py`), each block's text (`p`, a section's `title` written as a
Markdown heading, table cells, captions, the article title) goes on the line of its opening tag, so
line numbers point into the XML file; a block that opens on a line already taken goes to the next
free line (a file written on one line is laid out block by block).

Structure. Each `<ref-list>` is declared as a reference section, one item per `<ref>` with the ref's
`id` as its key and a `Record` from its `element-citation` (names, year, titles, source, volume,
issue, pages, DOI, links) or, for a `mixed-citation`, from its text parsed as usual with the
structured elements it has taking precedence. `<xref ref-type="bibr" rid="b1 b2">` gives one declared
citation per id: the key, not the text ("[1]", "Smith 2020"), decides what is cited. Footnotes (`fn`,
inline as Pandoc writes them or in an `fn-group`) are declared as notes on lines after the article's
last line, each marked "[N]" in the text where it stands or where an `xref ref-type="fn"` points at it.

Safety. lxml parses with entities left unexpanded, no DTD loaded, no network, and libxml2's depth
limit; the tree is walked without recursion.
"""

from __future__ import annotations

import hashlib
import html.entities
import re
from dataclasses import dataclass, field
from typing import Any

from auditor.errors import DocumentError
from auditor.model import DeclaredCitation, DeclaredItem, Document, PartialDate, Record, ReferenceSection

BLOCKS = frozenset({"p", "title", "article-title", "subtitle", "td", "th", "term", "def-head", "attrib",
                    "disp-quote", "speech", "verse-line", "trans-title"})
# Elements whose text is not prose: formulas, code, metadata inside the body.
SKIP = frozenset({"disp-formula", "inline-formula", "tex-math", "math", "code", "preformat", "object-id",
                  "alternatives", "graphic", "media", "inline-graphic", "supplementary-material"})
# Containers whose children are walked for blocks; everything else in <front> is metadata.
FRONT_TEXT = frozenset({"article-title", "abstract", "trans-abstract"})
JATS_HEAD = re.compile(rb"JATS|NLM|-//NLM|dtd-version=|<front[\s>]")
ROOT_TAG = re.compile(rb"<(?![?!])([\w:.-]+)")


def local(tag: Any) -> str:
    """An element's name without its namespace; "" for entities and other non-elements."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def looks_like_jats(head: bytes) -> bool:
    """Whether the first bytes of an XML file are a JATS article's: root <article> and a JATS/NLM mark."""
    body = re.sub(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", b"", head[:65536], flags=re.S)
    root = ROOT_TAG.search(body)
    return bool(root and local(root.group(1).decode("ascii", "replace")) == "article" and JATS_HEAD.search(head[:65536]))


def _text(el: Any) -> str:
    """All the text of an element, entities as their characters, whitespace collapsed."""
    parts = []
    for node in el.iter():
        if node is not el and local(node.tag) in SKIP:
            continue
        if _is_entity(node):
            parts.append(_entity(node))
        else:
            parts.append(node.text or "")
        if node is not el:
            parts.append(node.tail or "")
    return " ".join("".join(parts).split())


def _is_entity(node: Any) -> bool:
    from lxml import etree

    return isinstance(node, etree._Entity)


def _entity(node: Any) -> str:
    name = str(node.text or "").strip("&;")
    code = html.entities.name2codepoint.get(name)
    return chr(code) if code else ""


class _Line:
    """The text of one block, whitespace collapsed as it is added, with the offsets of its citations."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.cites: list[tuple[int, str, list[str]]] = []  # offset, text, keys

    def add(self, text: str) -> None:
        if not text:
            return
        collapsed = re.sub(r"\s+", " ", text)
        if collapsed.startswith(" ") and (not self.size or self.parts[-1].endswith(" ")):
            collapsed = collapsed[1:]
        if collapsed:
            self.parts.append(collapsed)
            self.size += len(collapsed)

    def text(self) -> str:
        return "".join(self.parts).rstrip()


@dataclass
class _Reader:
    name: str
    total: int
    lines: list[str] = field(default_factory=list)
    cursor: int = 0
    citations: list[DeclaredCitation] = field(default_factory=list)
    notes: list[tuple[Any, int]] = field(default_factory=list)  # fn element, number
    note_numbers: dict[Any, int] = field(default_factory=dict)  # fn id -> number
    locators: dict[int, str] = field(default_factory=dict)

    def place(self, source_line: int | None, text: str, cites: list[tuple[int, str, list[str]]],
              prefix: str = "") -> int:
        """Put a block's text on its source line or the next free one; return the line."""
        line = max(source_line or 0, self.cursor + 1)
        self.cursor = line
        while len(self.lines) < line:
            self.lines.append("")
        self.lines[line - 1] = prefix + text
        for offset, raw, keys in cites:
            for key in keys:
                self.citations.append(DeclaredCitation(line, len(prefix) + offset + 1, raw, key))
        return line

    def render(self, block: Any, queue: list[Any]) -> _Line:
        """A block's own text; the blocks nested in it are added to queue, an inline footnote becomes "[N]"."""
        out = _Line()
        stack: list[tuple[Any, bool]] = [(block, False)]
        while stack:
            node, tail = stack.pop()
            if tail:
                out.add(node.tail or "")
                continue
            if node is not block:
                stack.append((node, True))
                if _is_entity(node):
                    out.add(_entity(node))
                    continue
                tag = local(node.tag)
                if tag in SKIP or not tag:
                    continue
                if tag in BLOCKS or tag in ("list", "table-wrap", "fig", "boxed-text", "def-list", "ref-list"):
                    queue.append(node)
                    continue
                if tag == "fn":
                    out.add(f"[{self.note_numbers.get(id(node), 0)}]")
                    continue
                if tag == "xref":
                    self._xref(node, out)
                    continue
            out.add(node.text or "")
            for child in reversed(node):
                stack.append((child, False))
        return out

    def _xref(self, node: Any, out: _Line) -> None:
        kind = node.get("ref-type", "")
        rids = (node.get("rid") or "").split()
        shown = _text(node)
        if kind == "fn":
            numbers = [self.note_numbers[r] for r in rids if r in self.note_numbers]
            out.add(f"[{numbers[0]}]" if numbers else shown)
            return
        if kind == "bibr" and rids:
            out.cites.append((out.size, shown or "[" + ", ".join(rids) + "]", rids))
            out.add(shown or "[" + ", ".join(rids) + "]")
            return
        out.add(shown)


def _parse(path: str, data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True, recover=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{path}: not well-formed XML ({exc})") from None


def read_jats(path: str, data: bytes) -> Document:
    """A JATS article: its text on the lines of the XML file, its ref-lists, xref citations and footnotes."""
    root = _parse(path, data)
    if local(root.tag) != "article":
        raise DocumentError(f"{path}: not a JATS article (the root element is <{local(root.tag)}>, not <article>)")
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    reader = _Reader(name, data.count(b"\n") + 1)
    reader.lines = [""] * reader.total
    fns = [el for el in root.iter() if local(el.tag) == "fn"]
    for i, fn in enumerate(fns, 1):
        label = next((c for c in fn if local(c.tag) == "label"), None)
        number = int(_text(label)) if label is not None and _text(label).isdigit() else i
        reader.note_numbers[id(fn)] = number
        if fn.get("id"):
            reader.note_numbers[fn.get("id")] = number
        reader.notes.append((fn, number))
    sections: list[ReferenceSection] = []
    # The walk: (element, heading level of the sections around it).
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        el, level = stack.pop()
        tag = local(el.tag)
        if not tag or tag in SKIP or tag == "fn":
            continue
        if tag == "front":  # the title and the abstract; the rest is metadata
            stack.extend((c, level) for c in reversed([d for d in el.iter() if local(d.tag) in FRONT_TEXT][:1000]))
            continue
        if tag in ("journal-meta", "article-meta", "fn-group"):
            continue
        if tag == "ref-list":
            sections.extend(_ref_list(el, reader, level))
            continue
        if tag in BLOCKS:
            queue: list[Any] = []
            line_text = reader.render(el, queue)
            prefix = ""
            if tag in ("title", "article-title"):
                prefix = "#" * max(1, min(level, 6)) + " "
            text = line_text.text()
            if text:
                reader.place(el.sourceline, text, line_text.cites, prefix)
            stack.extend((q, level) for q in reversed(queue))
            continue
        inner = level + 1 if tag in ("sec", "app", "ack", "abstract") else level
        stack.extend((c, inner) for c in reversed(el) if not _is_entity(c))
    notes = _notes(reader)
    if notes is not None:
        sections.append(notes)
    doc = Document(path=path, format="jats", sha256=hashlib.sha256(data).hexdigest(),
                   encoding=(root.getroottree().docinfo.encoding or "utf-8").lower(), lines=reader.lines,
                   declared_sections=sections, declared_citations=reader.citations)
    doc.locators = reader.locators
    return doc


def _notes(reader: _Reader) -> ReferenceSection | None:
    """The footnotes, each on a line after the article's last, numbered and located by their XML line."""
    if not reader.notes:
        return None
    items = []
    start = max(reader.cursor, reader.total) + 1
    reader.cursor = start - 1
    for fn, number in reader.notes:
        queue: list[Any] = []
        body = _Line()
        for child in fn:
            if local(child.tag) == "label":
                continue
            part = reader.render(child, queue) if local(child.tag) in BLOCKS else None
            if part is not None:
                base = body.size + (1 if body.size else 0)
                body.add(" " if body.size else "")
                body.cites.extend((base + o, r, k) for o, r, k in part.cites)
                body.add(part.text())
        prefix = f"[{number}] "
        line = reader.place(None, body.text() or "(empty note)", body.cites, prefix)
        reader.locators[line] = f"footnote {number} ({reader.name}:{fn.sourceline})"
        items.append(DeclaredItem(line, number=number))
    return ReferenceSection("Notes", None, start, reader.cursor, footnotes=True, items=items)


def _ref_list(el: Any, reader: _Reader, level: int) -> list[ReferenceSection]:
    """A ref-list as a declared section (and the ref-lists nested in it as their own)."""
    title = next((c for c in el if local(c.tag) == "title"), None)
    heading = _text(title) if title is not None else "References"
    heading_line = None
    if title is not None and heading:
        heading_line = reader.place(title.sourceline, heading, [], "#" * max(1, min(level + 1, 6)) + " ")
    items: list[DeclaredItem] = []
    nested: list[Any] = []
    for child in el:
        tag = local(child.tag)
        if tag == "ref-list":
            nested.append(child)
        elif tag == "ref":
            item = _ref(child, reader)
            if item is not None:
                items.append(item)
    out = []
    if items:
        out.append(ReferenceSection(heading, heading_line, items[0].line, items[-1].line, items=items))
    for n in nested:
        out.extend(_ref_list(n, reader, level + 1))
    return out


CITATIONS = ("element-citation", "mixed-citation", "citation", "nlm-citation")


def _ref(ref: Any, reader: _Reader) -> DeclaredItem | None:
    cites = [c for c in ref if local(c.tag) in CITATIONS]
    label = next((c for c in ref if local(c.tag) == "label"), None)
    number_text = _text(label).strip("[]().") if label is not None else ""
    number = int(number_text) if number_text.isdigit() else None
    if not cites:
        text = _text(ref)
        if not text:
            return None
        line = reader.place(ref.sourceline, text, [])
        return DeclaredItem(line, number=number, key=ref.get("id"))
    cite = cites[0]
    structured = local(cite.tag) != "mixed-citation"
    text = _spaced_text(cite) if structured else _text(cite)
    if not text:
        return None
    record = citation_record(cite, text, structured)
    line = reader.place(ref.sourceline, _display(record) if structured else text, [])
    record.key = ref.get("id")
    return DeclaredItem(line, number=number, key=ref.get("id"), record=record)


def _display(record: Record) -> str:
    """An element-citation written out as a reference (its elements have no punctuation between them)."""
    where = " ".join(p for p in (record.container, record.volume and record.volume + (
        f"({record.issue})" if record.issue else "")) if p)
    parts = ["; ".join(record.authors), record.year, record.title, where, record.pages,
             f"https://doi.org/{record.doi}" if record.doi else None, record.url]
    return ". ".join(p.strip(" .") for p in parts if p and p.strip(" .")) + "."


def _spaced_text(el: Any) -> str:
    """The text of an element-citation, whose parts have no punctuation between them: one space each."""
    parts = []
    for node in el.iter():
        if _is_entity(node):
            parts.append(_entity(node))
            continue
        parts.append(node.text or "")
        if node is not el:
            parts.append(node.tail or "")
        parts.append(" ")
    return " ".join("".join(parts).split())


def _children(el: Any, *names: str) -> list[Any]:
    return [d for d in el.iter() if local(d.tag) in names]


def _date(el: Any) -> PartialDate | None:
    """A JATS date: its iso-8601-date, else its year, month and day elements, else its text."""
    iso = el.get("iso-8601-date") or ""
    m = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", iso)
    parts = {local(c.tag): _text(c) for c in el}
    if not m and parts.get("year", "")[:4].isdigit():
        month_text = parts.get("month", "")
        m = re.match(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?",
                     "-".join(p for p in (parts["year"][:4], month_text if month_text.isdigit() else "",
                                          parts.get("day", "") if month_text.isdigit() else "") if p))
    if m:
        month = int(m.group(2)) if m.group(2) and 1 <= int(m.group(2)) <= 12 else None
        day = int(m.group(3)) if month and m.group(3) and 1 <= int(m.group(3)) <= 31 else None
        return PartialDate(int(m.group(1)), month, day)
    from auditor.parsing.dates import parse_date

    return parse_date(_text(el))


def _names(cite: Any) -> list[str]:
    """The authors: the names of the author person-group (or of the first group, or anywhere)."""
    groups = _children(cite, "person-group")
    scope = [g for g in groups if g.get("person-group-type", "author") == "author"] or groups[:1] or [cite]
    names = []
    for holder in scope:
        for n in holder.iter():
            tag = local(n.tag)
            if tag in ("name", "string-name"):
                surname = next((_text(c) for c in n if local(c.tag) == "surname"), "")
                given = next((_text(c) for c in n if local(c.tag) == "given-names"), "")
                names.append(f"{surname}, {given}" if surname and given else surname or given or _text(n))
            elif tag == "collab":
                names.append(_text(n))
    return [n for n in names if n][:1000]


def citation_record(cite: Any, text: str, structured: bool) -> Record:
    """The fields of an element-citation exactly; of a mixed-citation, its text parsed with the structured
    elements it has taking precedence."""
    from auditor.parsing.entries import parse_entry

    base = None if structured else parse_entry(text)
    record = Record(type=cite.get("publication-type") or "")

    def elements(*names: str) -> list[Any]:
        """The elements of these names that are not part of an access date."""
        return [d for d in _children(cite, *names)
                if not any(local(a.tag) == "date-in-citation" for a in d.iterancestors())]

    def first(*names: str) -> str | None:
        for name in names:
            found = [t for t in (_text(e) for e in elements(name)) if t]
            if found:
                return found[0]
        return None

    record.authors = _names(cite) or (list(base.authors) if base else [])
    year = first("year")
    if year is None:
        for date in _children(cite, "date"):
            d = _date(date)
            if d:
                year = str(d.year)
                break
    record.year = year[:5] if year else (base.year if base else None)
    article_title = first("article-title", "chapter-title", "part-title", "data-title")
    source = first("source")
    # In a mixed-citation, the text's title is the work's when it is not the source (a journal's name).
    text_title = base.title if base and base.title and base.title != source else None
    record.title = article_title or text_title or source
    if article_title or text_title:
        record.container = source or (base.container if base else None)
    record.volume, record.issue = first("volume"), first("issue")
    fpage, lpage = first("fpage"), first("lpage")
    record.pages = f"{fpage}-{lpage}" if fpage and lpage else fpage or first("page-range", "elocation-id")
    doi = next((_text(p) for p in _children(cite, "pub-id") if p.get("pub-id-type") == "doi" and _text(p)), None)
    links = [link for link in _children(cite, "ext-link", "uri")]
    hrefs = [h for h in (link.get("{http://www.w3.org/1999/xlink}href") or _text(link) for link in links) if h]
    if doi is None:
        doi = next((h for link, h in zip(links, hrefs) if link.get("ext-link-type") == "doi"
                    or re.match(r"https?://(?:dx\.)?doi\.org/10\.", h)), None)
    record.doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.I) if doi else \
        (base.doi if base else None)
    urls = [h for h in hrefs if re.match(r"https?://", h) and h != doi]
    record.url = urls[0] if urls else (base.urls[0] if base and base.urls else None)
    published = next((d for d in (_date(x) for x in elements("date") if x.get("date-type") != "access")
                      if d), None)
    years = elements("year")
    if published is None and years and years[0].get("iso-8601-date"):
        published = _date(years[0])
    if published is None and year and year[:4].isdigit():
        published = PartialDate(int(year[:4]))
    record.published = published or (base.published if base else None)
    access = [x for x in _children(cite, "date-in-citation", "date")
              if (x.get("content-type") or x.get("date-type") or "").startswith("access")]
    record.accessed = next((d for d in (_date(a) for a in access) if d), None) or (base.accessed if base else None)
    return record
