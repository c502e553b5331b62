"""CSL bibliographies: CSL-JSON (`.json`) and CSL-YAML (`.yaml`, `.yml`, or `references:` in a Pandoc
paper's front matter).

Each CSL item becomes one declared entry whose key is the item's `id` and whose fields come exactly
from the item (a `Record`); the entry stands on the line where the item starts in the file, and its
locator is `file.json:N`. The file is a bibliography database: only entry-level rules judge it (see
`auditor.documents.BIB_FORMATS`).

Both parsers are bounded: the file size by the loader, JSON and YAML nesting by a depth limit, and
YAML aliases (which can make a small file expand to billions of nodes) by a budget of nodes visited.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from auditor.errors import DocumentError
from auditor.model import DeclaredItem, Document, PartialDate, Record, ReferenceSection

# A CSL-YAML document may use aliases, but expanding them may visit at most this many nodes: a
# "billion laughs" of nested aliases is refused instead of expanded.
MAX_YAML_NODES = 2_000_000
MAX_DEPTH = 200
MAX_ITEMS = 100_000
# Fields each CSL type needs for a reader to find the work (for `Record.missing`).
REQUIRED = {
    "article-journal": ("author", "title", "container-title", "issued"),
    "article": ("author", "title", "issued"),
    "book": ("author", "title", "issued"),
    "chapter": ("author", "title", "container-title", "issued"),
    "paper-conference": ("author", "title", "container-title", "issued"),
    "thesis": ("author", "title", "issued"),
    "report": ("author", "title", "issued"),
}
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def _text(value: Any) -> str | None:
    """A CSL field as text: strings and numbers as they are; anything else (a list, a mapping) is none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        text = " ".join(str(value).split())
        return text or None
    return None


def _name(person: Any) -> str | None:
    """A CSL name as "Family, Given" (particles kept with the family name), or a literal name."""
    if isinstance(person, str):
        return " ".join(person.split()) or None
    if not isinstance(person, dict):
        return None
    literal = _text(person.get("literal"))
    family = " ".join(p for p in (_text(person.get("non-dropping-particle")), _text(person.get("family"))) if p)
    given = " ".join(p for p in (_text(person.get("given")), _text(person.get("dropping-particle"))) if p)
    if not family:
        return literal or given or None
    suffix = _text(person.get("suffix"))
    return ", ".join(p for p in (family, given, suffix) if p)


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        value = [value] if value else []
    return [n for n in (_name(p) for p in value[:1000]) if n]


def _int(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text and re.fullmatch(r"-?\d{1,5}", text) else None


def csl_date(value: Any) -> tuple[str | None, PartialDate | None]:
    """A CSL date (`date-parts`, `raw`, `literal`, or an EDTF string such as "2020-03") as a year text and,
    when it has a usable year, a partial date."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            numbers = [_int(p) for p in parts[0][:3]]
            year = numbers[0]
            if year is not None and year > 0:
                month = numbers[1] if len(numbers) > 1 and numbers[1] and 1 <= numbers[1] <= 12 else None
                day = numbers[2] if month and len(numbers) > 2 and numbers[2] and 1 <= numbers[2] <= 31 else None
                return str(year), PartialDate(year, month, day)
        for key in ("raw", "literal"):
            if _text(value.get(key)):
                return csl_date(_text(value.get(key)))
        return None, None
    text = _text(value)
    if not text:
        return None, None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if m:
        mtext, dtext = m.group(2), m.group(3)
        mm = int(mtext) if mtext and 1 <= int(mtext) <= 12 else None
        dd = int(dtext) if mm and dtext and 1 <= int(dtext) <= 31 else None
        return m.group(1), PartialDate(int(m.group(1)), mm, dd)
    found = YEAR.search(text)
    if found:
        return found.group(1), PartialDate(int(found.group(1)))
    return text, None


def csl_record(item: dict[str, Any]) -> Record:
    """The exact fields of one CSL item."""
    kind = _text(item.get("type")) or ""
    authors = _names(item.get("author")) or _names(item.get("editor"))
    year, published = csl_date(item.get("issued"))
    _, accessed = csl_date(item.get("accessed"))
    doi = _text(item.get("DOI") or item.get("doi"))
    if doi:
        doi = DOI_PREFIX.sub("", doi)
    url = _text(item.get("URL") or item.get("url"))
    record = Record(
        key=_text(item.get("id")), type=kind, authors=authors, year=year,
        title=_text(item.get("title")), container=_text(item.get("container-title")),
        volume=_text(item.get("volume")), issue=_text(item.get("issue")),
        pages=_text(item.get("page")), doi=doi, url=url, accessed=accessed, published=published,
    )
    present = {"author": bool(authors), "title": bool(record.title), "container-title": bool(record.container),
               "issued": item.get("issued") is not None}
    record.missing = [f for f in REQUIRED.get(kind, ()) if not present.get(f, True)]
    return record


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def json_items(text: str) -> Iterator[tuple[int, int, Any]]:
    """The top-level items of a CSL-JSON array with the offsets where each starts and ends.

    The standard json module decodes item by item (`raw_decode` from each item's start), so every
    item's place in the file is known exactly. A single item (an object) is read as a list of one.
    """
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    pos = ws.match(text, 0).end()  # type: ignore[union-attr]
    if text.startswith("{", pos):
        value, end = decoder.raw_decode(text, pos)
        yield pos, end, value
        return
    if not text.startswith("[", pos):
        raise ValueError("a CSL-JSON file holds an array of items")
    pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]
    if text.startswith("]", pos):
        return
    while True:
        value, end = decoder.raw_decode(text, pos)
        yield pos, end, value
        pos = ws.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith("]", pos):
            return
        if not text.startswith(",", pos):
            raise ValueError(f"expected ',' or ']' at offset {pos}")
        pos = ws.match(text, pos + 1).end()  # type: ignore[union-attr]


def yaml_items(text: str, line_offset: int = 0) -> list[tuple[int, int, Any]] | None:
    """The items of a CSL-YAML document (a list, or a mapping with `references:`), each with the 0-based
    first and last line where it stands. None when the document has no such list."""
    node = compose_yaml(text)
    if node is None:
        return None
    import yaml

    if isinstance(node, yaml.MappingNode):
        found = None
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "references":
                found = value
        node = found
    if not isinstance(node, yaml.SequenceNode):
        return None
    budget = [MAX_YAML_NODES]
    out = []
    rows = text.split("\n")
    for child in node.value[:MAX_ITEMS]:
        first, last = child.start_mark.line, child.end_mark.line
        if child.end_mark.column == 0 and last > first:
            last -= 1  # a block ends at the start of the next line
        while last > first and last < len(rows) and not rows[last].strip():
            last -= 1  # nor is a blank line after it part of the item
        out.append((first + line_offset, last + line_offset, yaml_value(child, budget)))
    return out


def compose_yaml(text: str) -> Any:
    """The YAML node tree of one document (no Python objects are built), with line marks."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n", 1)[0]
        raise ValueError(f"{problem}{where}") from None


def yaml_value(node: Any, budget: list[int], depth: int = 0) -> Any:
    """A node as plain values (dict, list, str, None), visiting at most budget[0] nodes in all, aliases
    counted each time they are used."""
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError("too many nodes once its aliases are expanded (a YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [yaml_value(n, budget, depth + 1) for n in node.value]
    out: dict[str, Any] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            out[key.value] = yaml_value(value, budget, depth + 1)
    return out


def declared(items: list[tuple[int, int, Any]], heading: str | None,
             heading_line: int | None) -> tuple[ReferenceSection, list[str]]:
    """A declared section of CSL items given as (first line, last line, item), lines 1-based; and the
    problems with items that are not CSL items (no `id`)."""
    declared_items: list[DeclaredItem] = []
    problems: list[str] = []
    for first, last, item in items:
        if not isinstance(item, dict) or _text(item.get("id")) is None:
            problems.append(f"line {first}: an item with no id")
            continue
        record = csl_record(item)
        declared_items.append(DeclaredItem(first, key=record.key, record=record, end_line=max(first, last)))
    start = min((i.line for i in declared_items), default=heading_line or 1)
    end = max((i.end_line or i.line for i in declared_items), default=start)
    return ReferenceSection(heading, heading_line, start, end, items=declared_items), problems


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _document(path: str, data: bytes, fmt: str, text: str, section: ReferenceSection) -> Document:
    from auditor.documents import split_lines

    lines = split_lines(text)
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    doc = Document(path=path, format=fmt, sha256=hashlib.sha256(data).hexdigest(), encoding="utf-8",
                   lines=lines, declared_sections=[section], declared_citations=[])
    doc.skip_lines = set(range(1, len(lines) + 1))  # data, not prose
    doc.locators = {i.line: f"{name}:{i.line}" for i in section.items or []}
    return doc


def read_csl_json(path: str, data: bytes) -> Document:
    """A CSL-JSON file: one declared entry per item, on the line of the item's opening brace."""
    text = _decode(path, data)
    starts = _line_starts(text)
    items: list[tuple[int, int, Any]] = []
    try:
        for begin, end, value in json_items(text):
            if len(items) >= MAX_ITEMS:
                raise ValueError(f"more than {MAX_ITEMS} items")
            _check_depth(value)
            items.append((bisect.bisect_right(starts, begin), bisect.bisect_right(starts, max(begin, end - 1)), value))
    except RecursionError:
        raise DocumentError(f"{path}: not CSL-JSON: nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError and says where
        raise DocumentError(f"{path}: not CSL-JSON: {exc}") from None
    section, problems = declared(items, None, None)
    if items and not section.items:
        raise DocumentError(f"{path}: not CSL-JSON: no item has an \"id\" ({problems[0]})")
    return _document(path, data, "csl-json", text, section)


def read_csl_yaml(path: str, data: bytes) -> Document:
    """A CSL-YAML file (a list of items, or `references:` holding one): one declared entry per item."""
    text = _decode(path, data)
    try:
        found = yaml_items(text, line_offset=1)
    except ValueError as exc:
        raise DocumentError(f"{path}: not CSL-YAML: {exc}") from None
    if found is None:
        raise DocumentError(f"{path}: not CSL-YAML: no list of references (a list of items, or 'references:')")
    section, problems = declared(found, None, None)
    if found and not section.items:
        raise DocumentError(f"{path}: not CSL-YAML: no item has an id ({problems[0]})")
    return _document(path, data, "csl-yaml", text, section)
