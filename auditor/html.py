"""Read HTML into numbered lines, and declare the reference lists and notes its structure shows.

Lines. Every block element's own text (`p`, `li`, `td`, `div`, …, including text directly inside a
`div` that also holds other blocks, and text after a nested block's closing tag) goes on the line of
the block's opening tag; when two blocks open on one source line, the second goes to the next free
line. An entry of a declared list is one line, however many blocks it holds.

Structure. Note markers are in-page links to a note (`sup.reference` of MediaWiki, `fn:`/`fnref:`
footnotes of static-site generators, `a[data-type=noteref]`); they are written as "[12]", or
"[n 1]" for a note group, with the number of the note they link to. Note lists (`ol.references`,
`section.footnotes`, `div[data-type=footnotes]`, the parents of linked notes) and the lists under a
reference heading ("References", "Daftar Pustaka", also as a lone bold paragraph) are declared as
sections of the document, one item per entry: list items, styled paragraphs under sub-headings, or
the `<br>`-separated parts of one block. Back-links ("^ a b", "↩"), "[edit]" links, category and
language links are dropped.

The tree is walked iteratively (never recursively), so deeply nested HTML cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bs4 import Tag

from auditor.documents import split_lines
from auditor.model import DeclaredItem, ReferenceSection

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

BLOCKS = frozenset({
    "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "blockquote", "pre", "caption",
    "figcaption", "div", "section", "article", "header", "footer", "aside", "title", "address", "body",
    "html", "nav", "main", "figure", "details", "summary", "legend", "center",
})
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
DROP = ("script", "style", "noscript", "template")
# Page furniture that is not part of the text: edit links, note back-links, category and language links,
# site navigation.
FURNITURE_CLASSES = ("mw-editsection", "mw-cite-backlink", "catlinks", "mw-jump-link", "printfooter",
                     "footnote-backref", "reversefootnote", "footnote-back", "interlanguage-link")
FURNITURE_IDS = ("catlinks", "p-lang", "mw-navigation", "mw-panel", "mw-head", "footer", "toc")
NOTE_LISTS = ("ol.references", "section.footnotes", "div.footnotes", "aside.footnotes", "ol.footnotes",
              "[data-type=footnotes]", "[role=doc-endnotes]", "[role=doc-footnotes]")
NOTE_ITEMS = ("li", "p", "div", "dd", "aside")
NOTE_MARKER_CLASSES = ("reference", "footnote-ref", "footnote", "noteref", "footnote-reference")
LABEL = re.compile(r"^\[?\s*(?:(?P<group>[A-Za-z][\w\-]{0,15})\s+)?(?P<number>\d{1,4})\s*\]?$")


@dataclass
class _Note:
    element: Tag
    number: int | None = None
    group: str = ""


@dataclass
class _Section:
    heading: str | None
    heading_tag: Tag | None
    notes: bool
    # (element, subsection) per entry; an element in `split` stands for its <br>-separated parts.
    items: list[tuple[Tag, str | None]] = field(default_factory=list)
    labels: dict[int, tuple[int | None, str]] = field(default_factory=dict)  # id(element) → number, group
    # id(element) → blocks that continue that entry: a link alone in a paragraph after a list item.
    tails: dict[int, list[Tag]] = field(default_factory=dict)


@dataclass
class HtmlText:
    """An HTML document read: its lines, the reference sections it declares, and lines that are not prose."""

    lines: list[str]
    # None when the structure shows no reference list, so that the lines are searched as text.
    sections: list[ReferenceSection] | None
    # Lines of navigation boxes and infoboxes that hold no note marker: data, not sentences to cite from.
    skip_lines: set[int] = field(default_factory=set)


def html_to_lines(text: str) -> list[str]:
    """Render HTML as text lines placed at the source line where each block starts."""
    return read_html(text).lines


def read_html(text: str) -> HtmlText:
    """The text lines of an HTML document and the reference sections its structure declares."""
    import warnings

    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

    with warnings.catch_warnings():
        # A tiny HTML file may look like a file name to BeautifulSoup; it is still the document.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "html.parser")
    total = len(split_lines(text))
    _drop_furniture(soup)
    notes, markers = _notes_and_markers(soup)
    sections = _note_sections(soup, notes)
    sections += _heading_sections(soup, sections, {id(w) for w, _ in markers})
    links = _link_lists(soup)
    holders = {id(p) for w, _ in markers for p in w.parents}  # blocks that hold a note marker
    split = {id(el) for s in sections for el, _ in s.items if _split_parts(el)}
    prefixes = {id(el): "" if id(el) in split else _prefix(el, s.labels.get(id(el)))
                for s in sections for el, _ in s.items}
    _render_markers(markers)
    _render_links(soup, sup_notes=not markers)
    lines, placed, data = _layout(soup, total, prefixes, split, links - holders, holders)
    if not any(lines):
        return HtmlText(split_lines(soup.get_text("\n")), None)
    declared = _declare(sections, placed)
    return HtmlText(lines, declared or None, data)


def _classes(tag: Tag) -> list[str]:
    value: Any = tag.get("class") or []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def _drop_furniture(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(DROP):
        tag.decompose()
    doomed = [t for t in soup.find_all(True)
              if any(c in FURNITURE_CLASSES for c in _classes(t)) or t.get("id") in FURNITURE_IDS
              or t.get("role") == "doc-backlink"]
    for tag in doomed:
        if tag.parent is not None:
            tag.decompose()


def _is_marker_link(a: Tag) -> bool:
    """An in-page link written like a note marker: in a <sup>, or marked as a note reference."""
    if not LABEL.match(a.get_text("", strip=True)):
        return False
    if a.get("data-type") == "noteref" or a.get("role") == "doc-noteref" or a.get("rel") == ["footnote"]:
        return True
    if any(c in NOTE_MARKER_CLASSES for c in _classes(a)) or a.find("sup") is not None:
        return True
    parent = a.parent
    return parent is not None and parent.name == "sup"


def _note_of(target: Tag) -> Tag | None:
    """The note element a marker's target stands for: the target, or the block that holds an anchor."""
    if target.name in NOTE_ITEMS:
        return target
    if target.name == "a" and target.get("href"):
        return None  # a link back to a marker, not a note
    for parent in target.parents:
        if parent.name in NOTE_ITEMS:
            return parent
    return None


def _within(tag: Tag, ancestor: Tag) -> bool:
    return any(p is ancestor for p in tag.parents)


def _notes_and_markers(soup: BeautifulSoup) -> tuple[dict[int, _Note], list[tuple[Tag, _Note]]]:
    """Notes by element id and every marker linking to one (the tag to replace, the note)."""
    from urllib.parse import unquote

    ids: dict[str, Tag] = {}
    for tag in soup.find_all(id=True):
        ids.setdefault(str(tag["id"]), tag)
    notes: dict[int, _Note] = {}
    markers: list[tuple[Tag, _Note]] = []
    written: dict[int, Counter[tuple[int, str]]] = {}
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not href.startswith("#") or not _is_marker_link(a):
            continue
        target = ids.get(href[1:]) or ids.get(unquote(href[1:]))
        note = _note_of(target) if target is not None else None
        if note is None or _within(a, note):
            continue
        entry = notes.setdefault(id(note), _Note(note))
        wrapper = a
        text = a.get_text("", strip=True)
        if a.parent is not None and a.parent.name == "sup" and a.parent.get_text("", strip=True) == text:
            wrapper = a.parent
        markers.append((wrapper, entry))
        m = LABEL.match(text)
        if m:
            written.setdefault(id(note), Counter())[(int(m.group("number")), m.group("group") or "")] += 1
    for key, counts in written.items():
        (notes[key].number, notes[key].group), _ = counts.most_common(1)[0]
    # Links inside a note that point back at its markers ("^", "↩", the "22" of a book's footnote).
    marker_ids = set()
    for wrapper, _ in markers:
        inner = wrapper.find("a") if wrapper.name != "a" else None
        for each in (wrapper, inner):
            if isinstance(each, Tag) and each.get("id"):
                marker_ids.add(str(each["id"]))
    for a in soup.find_all("a", href=True):
        href = str(a["href"]).strip()
        if not (href.startswith("#") and (href[1:] in marker_ids or re.match(r"#(?:cite_ref|fnref)", href))):
            continue
        holder: Tag = a
        if a.parent is not None and a.parent.name == "sup" and a.parent.get_text("", strip=True) == a.get_text(
                "", strip=True):
            holder = a.parent
        label = LABEL.match(a.get_text("", strip=True))
        for parent in a.parents:
            holding = notes.get(id(parent))
            if holding is not None:
                if holding.number is None and label:
                    holding.number = int(label.group("number"))
                break
        if holder.parent is not None:
            holder.decompose()
    return notes, markers


def _note_sections(soup: BeautifulSoup, notes: dict[int, _Note]) -> list[_Section]:
    """A section per list of notes: the containers of linked notes and the standard note blocks."""
    containers: list[Tag] = []
    seen: set[int] = set()

    def add(container: Tag) -> None:
        if id(container) not in seen:
            seen.add(id(container))
            containers.append(container)

    for selector in NOTE_LISTS:
        for tag in soup.select(selector):
            inner = tag if tag.name in ("ol", "ul") else tag.find(["ol", "ul"])
            add(inner if inner is not None and not tag.select("[data-type=footnote]") else tag)
    for note in notes.values():
        if note.element.parent is not None:
            add(note.element.parent)
    sections: list[_Section] = []
    taken: set[int] = set()
    for container in containers:
        if id(container) in taken:
            continue  # inside a list of notes already read
        elements = [e for e in _note_elements(container, notes) if id(e) not in taken]
        if not elements:
            continue
        taken.add(id(container))
        taken.update(id(c) for c in container.find_all(True))
        section = _Section(None, None, True)
        groups = Counter(n.group for n in (notes.get(id(e)) for e in elements) if n is not None and n.number)
        group = groups.most_common(1)[0][0] if groups else ""
        start = _ol_start(container)
        for position, element in enumerate(elements):
            found = notes.get(id(element))
            number = found.number if found is not None else None
            if number is None and container.name == "ol":
                value = str(element.get("value") or "")
                number = int(value) if value.isdigit() else start + position
            if number is None:
                lead = re.match(r"\s*\[?(\d{1,4})[\].)]?\s", element.get_text(" "))
                number = int(lead.group(1)) if lead else None
            section.items.append((element, None))
            section.labels[id(element)] = (number, group)
            if found is not None:
                found.number, found.group = number, group
        sections.append(section)
    return sections


def _ol_start(tag: Tag) -> int:
    try:
        return int(str(tag.get("start") or 1))
    except ValueError:
        return 1


def _note_elements(container: Tag, notes: dict[int, _Note]) -> list[Tag]:
    if container.name in ("ol", "ul"):
        return [li for li in container.find_all("li", recursive=False)]
    out = []
    for child in container.find_all(True, recursive=False):
        if id(child) in notes or child.get("data-type") == "footnote" or child.get("role") in (
                "doc-endnote", "doc-footnote"):
            out.append(child)
    if not out:
        inner = container.find(["ol", "ul"])
        if inner is not None:
            return [li for li in inner.find_all("li", recursive=False)]
    return out


def _heading_of(tag: Tag) -> tuple[str, int, str] | None:
    """(kind, level, words) for a heading element, or for a short block that is only a heading's words."""
    from auditor.parsing.sections import heading_kind

    if tag.name in HEADINGS:
        found = heading_kind(" ".join(tag.get_text(" ").split()))
        return (found[0], int(tag.name[1]), found[2]) if found else None
    if tag.name in ("p", "div", "dt") and not tag.find(list(BLOCKS)):
        words = " ".join(tag.get_text(" ").split())
        if 0 < len(words) <= 40:
            found = heading_kind(words)
            if found:
                return found[0], 7, found[2]
    return None


NAVIGATION_CLASSES = {"navbox", "navbox-inner", "navigation", "nav", "navbar", "menu", "sidebar", "footer",
                      "site-footer", "site-nav", "catlinks", "toc", "vertical-navbox"}


def _navigation(tag: Tag) -> bool:
    """Whether an element is part of a navigation box, menu or page footer."""
    for parent in [tag, *tag.parents]:
        if parent.name in ("nav", "footer") or parent.get("role") == "navigation":
            return True
        if any(c in NAVIGATION_CLASSES or c.startswith("navbox") for c in _classes(parent)):
            return True
    return False


def _heading_sections(soup: BeautifulSoup, declared: list[_Section], marker_ids: set[int]) -> list[_Section]:
    """A section per reference heading: the list items, or the paragraphs, up to the next heading."""
    taken = {id(el) for s in declared for el, _ in s.items}
    heads = [(tag, _heading_of(tag)) for tag in soup.find_all(list(HEADINGS) + ["p", "div", "dt"])]
    heads = [(tag, found) for tag, found in heads if found and not _navigation(tag)]
    sections: list[_Section] = []
    for i, (tag, found) in enumerate(heads):
        kind, level, words = found  # type: ignore[misc]
        if kind == "after":
            continue
        stops = {id(t) for t, f in heads[i + 1:] if level == 7 or (t.name in HEADINGS and int(t.name[1]) <= level)}
        stops |= {id(t) for t in tag.find_all_next(HEADINGS) if int(t.name[1]) <= min(level, 6)}
        content = _content_after(tag, stops)
        inside = {id(el) for el in content}
        # A notes list under this heading gets its name; the heading adds nothing else.
        holds_notes = False
        for s in declared:
            if s.items and id(s.items[0][0]) in inside:
                holds_notes = True
                if s.heading is None:
                    s.heading, s.heading_tag = words, tag
        if holds_notes:
            continue  # the notes list is the section; a stray link after it is not an entry
        section = _Section(words, tag, kind == "notes")
        lis = any(el.name == "li" and id(el) not in taken for el in content)
        subsection = None
        for el in content:
            if id(el) in taken or _navigation(el):
                continue
            if el.name in HEADINGS or (el.name in ("p", "div") and _sub_heading(el)):
                subsection = " ".join(el.get_text(" ").split()).strip(" :")
                continue
            if lis:
                top = not any(p.name == "li" and id(p) in inside for p in el.parents)
                if el.name == "li" and top:
                    section.items.append((el, subsection))
                elif el.name in ("p", "div") and not any(p.name in ("li", "ul", "ol") for p in el.parents) \
                        and not el.find(list(BLOCKS)):
                    _stray_block(section, el, subsection)
            elif el.name in ("p", "div", "dd", "blockquote") and not el.find(list(BLOCKS)) and el.get_text(
                    "", strip=True):
                section.items.append((el, subsection))
        if not section.items:
            continue
        with_markers = sum(1 for el, _ in section.items if any(id(m) in marker_ids for m in el.find_all(True)))
        if with_markers * 2 >= len(section.items):
            continue  # body text with note markers, not a list of references
        taken.update(id(el) for el, _ in section.items)
        sections.append(section)
    return sections


LINK_HEADINGS = {"see also", "external links", "further reading", "related", "related posts", "lihat pula",
                 "lihat juga", "pranala luar", "tautan luar", "bacaan lanjutan", "bacaan lebih lanjut"}


def _stray_block(section: _Section, el: Tag, subsection: str | None) -> None:
    """A paragraph between or after the lists under a reference heading (a Word or PDF export breaks a
    list where an entry's link was set on a line of its own): a lone link continues the entry before it,
    and a paragraph that reads strongly like a reference is an entry; anything else is not taken."""
    from auditor.parsing.entries import is_url_only, parse_entry, reads_as_reference

    text = " ".join(el.get_text(" ").split())
    if not text:
        return
    if is_url_only(text.rstrip(".,;")) and section.items:
        section.tails.setdefault(id(section.items[-1][0]), []).append(el)
    elif reads_as_reference(parse_entry(text), 3):
        section.items.append((el, subsection))


def _link_lists(soup: BeautifulSoup) -> set[int]:
    """The blocks under "See also", "External links" or "Further reading": pointers, not prose or entries."""
    out: set[int] = set()
    for tag in soup.find_all(HEADINGS):
        key = " ".join(re.sub(r"[^\w\s]", " ", tag.get_text(" ").lower()).split())
        if key not in LINK_HEADINGS:
            continue
        level = int(tag.name[1])
        stops = {id(t) for t in tag.find_all_next(HEADINGS) if int(t.name[1]) <= level}
        out.update(id(el) for el in _content_after(tag, stops) if el.name in ("li", "p", "dd", "div"))
    return out


def _sub_heading(el: Tag) -> bool:
    """A short paragraph that only holds bold text ("Books", "Journal articles") inside a list."""
    text = " ".join(el.get_text(" ").split())
    if not text or len(text) > 40 or re.search(r"\d{4}", text):
        return False
    bold = " ".join(" ".join(b.get_text(" ").split()) for b in el.find_all(["b", "strong"]))
    return bold == text


def _content_after(head: Tag, stops: set[int]) -> list[Tag]:
    """The elements after a heading, in order, within its container, up to a stopping heading."""
    own = {id(t) for t in head.find_all(True)}
    container = head.parent
    out: list[Tag] = []
    for _ in range(3):
        if container is None:
            break
        out = []
        started = False
        for el in container.find_all(True):
            if el is head:
                started = True
                continue
            if not started or id(el) in own:
                continue
            if id(el) in stops:
                break
            out.append(el)
        if any(e.get_text("", strip=True) for e in out):
            break
        container = container.parent
    return out


def _split_parts(el: Tag) -> bool:
    """Whether a block holds several entries separated by <br>: two parts or more that each start one."""
    from auditor.parsing.entries import looks_like_entry_start

    if el.find("br") is None:
        return False
    parts = _br_parts(el)
    return len(parts) >= 2 and sum(1 for p in parts[1:] if looks_like_entry_start(p)) * 2 >= len(parts) - 1


def _br_parts(el: Tag) -> list[str]:
    from bs4 import NavigableString

    parts: list[str] = []
    current: list[str] = []
    for node in el.descendants:
        if getattr(node, "name", None) == "br":
            parts.append("".join(current))
            current = []
        elif isinstance(node, NavigableString) and type(node).__name__ == "NavigableString":
            current.append(str(node))
    parts.append("".join(current))
    return [" ".join(p.split()) for p in parts if p.strip()]


def _render_markers(markers: list[tuple[Tag, _Note]]) -> None:
    """Write each marker as the label of the note it links to: "[12]", or "[n 1]" in a note group."""
    for wrapper, note in markers:
        if note.number is None or wrapper.parent is None:
            continue
        label = f"[{note.group} {note.number}]" if note.group else f"[{note.number}]"
        before = wrapper.previous_sibling
        if isinstance(before, str) and before.endswith("]"):
            label = " " + label  # "[6] [7]", not "[6][7]", which reads as a Markdown reference link
        wrapper.replace_with(label)


def _render_links(soup: BeautifulSoup, sup_notes: bool) -> None:
    """External links as "label <url>"; a bare superscript number as "<sup>N</sup>", a note marker, unless
    the page links its markers to their notes (then it is an exponent)."""
    for tag in soup.find_all("a"):
        href = str(tag.get("href") or "").strip()
        label = tag.get_text(" ", strip=True)
        if href and href != label and re.match(r"https?://", href):
            tag.replace_with(f"{label} <{href}>" if label else f"<{href}>")
    for tag in soup.find_all("sup") if sup_notes else []:
        content = tag.get_text("", strip=True)
        if re.fullmatch(r"\d{1,3}", content):
            tag.replace_with(f"<sup>{content}</sup>")


def _layout(soup: BeautifulSoup, total: int, prefixes: dict[int, str], split: set[int], links: set[int],
            holders: set[int]) -> tuple[
        list[str], dict[int, list[int]], set[int]]:
    """Place every block's own text on its opening line.

    Returns the lines, the lines of each declared entry, and the lines of navigation boxes and infoboxes.

    `prefixes` holds the declared entries (their whole text is one line, after the prefix); `split` the
    entries whose <br>-separated parts each take their own line where the source gives them one.
    """
    from bs4 import NavigableString

    owner: dict[int, Any] = {id(soup): soup}  # id(tag) → the tag that owns its text
    pieces: dict[int, list[list[str]]] = {id(soup): [[]]}  # id(owner) → parts (split at <br>)
    starts: dict[int, list[int]] = {id(soup): [1]}  # id(owner) → source line where each part starts
    order: list[Any] = [soup]
    flat: set[int] = set()  # owners that take the text of their nested blocks too (declared entries)
    pending_break: dict[int, int] = {}  # owner → line of the <br> that opened its next part
    node: Any
    for node in soup.descendants:
        parent = node.parent
        parent_owner = owner.get(id(parent)) if parent is not None else soup
        if isinstance(node, NavigableString):
            if type(node) is not NavigableString or parent_owner is None:
                continue  # comments, doctype, CDATA
            key = id(parent_owner)
            if key in pending_break:
                text = str(node)
                lead = text[: len(text) - len(text.lstrip())]
                starts[key].append(pending_break.pop(key) + lead.count("\n"))
                pieces[key].append([])
            pieces[key][-1].append(str(node))
            continue
        if parent_owner is None:
            parent_owner = soup
        if id(parent_owner) in flat:
            holder = parent_owner
        elif node.name in BLOCKS or id(node) in prefixes:
            holder = node
        else:
            holder = parent_owner
        owner[id(node)] = holder
        if holder is node:
            if id(node) in prefixes:
                flat.add(id(node))
            pieces[id(node)] = [[]]
            starts[id(node)] = [node.sourceline or 1]
            order.append(node)
            pieces[id(parent_owner)][-1].append(" ")  # a nested block separates its parent's words
        elif node.name == "br" and id(holder) in split:
            pending_break[id(holder)] = node.sourceline or starts[id(holder)][-1]
        elif node.name in BLOCKS or node.name == "br":
            pieces[id(holder)][-1].append(" ")
    from auditor.parsing.entries import looks_like_entry_start

    lines = [""] * total
    placed: dict[int, list[int]] = {}
    data: set[int] = set()
    for tag in order:
        key = id(tag)
        last = -1
        for k, (part, start) in enumerate(zip(pieces[key], starts[key])):
            body = " ".join("".join(part).split())
            if not body:
                continue
            if k and last >= 0 and not looks_like_entry_start(body):
                lines[last] += " " + body  # a URL or a continuation after <br> stays with its entry
                continue
            if k == 0:
                if tag.name in HEADINGS:
                    body = "#" * int(tag.name[1]) + " " + body
                elif key in prefixes:
                    body = prefixes[key] + body
                elif tag.name == "li":
                    body = _list_marker(tag) + body
            number = min(max(start - 1, 0), total - 1)
            if last >= 0 and (number <= last or lines[number]):
                lines[last] += " " + body  # a part that cannot have its own line joins the one before
                continue
            while number < total - 1 and lines[number]:
                number += 1  # two blocks on one source line: keep both, the second just below
            lines[number] = f"{lines[number]} {body}" if lines[number] else body
            placed.setdefault(key, []).append(number + 1)
            last = number
            if k == 0 and tag is not soup and (id(tag) in links or (id(tag) not in holders and _data_box(tag))):
                data.add(number + 1)
    return lines, placed, data


def _data_box(tag: Tag) -> bool:
    """Whether a block sits in a navigation box or an infobox (label-value data, not prose)."""
    return _navigation(tag) or any(c.startswith("infobox") for p in [tag, *tag.parents] for c in _classes(p))


def _list_marker(li: Tag) -> str:
    """"N. " for an item of an ordered list (so numbered citations find it), "- " otherwise."""
    parent = li.parent
    if parent is None or parent.name != "ol":
        return "- "
    start = _ol_start(parent)
    position = sum(1 for _ in li.find_previous_siblings("li"))
    value = str(li.get("value") or "")
    number = int(value) if value.isdigit() else start + position
    return f"{number}. "


def _prefix(el: Tag, label: tuple[int | None, str] | None) -> str:
    number, group = label or (None, "")
    if number is not None:
        return f"[{group} {number}] " if group else f"{number}. "
    if el.name == "li":
        return _list_marker(el)
    return ""


def _declare(sections: list[_Section], placed: dict[int, list[int]]) -> list[ReferenceSection]:
    out: list[ReferenceSection] = []
    for s in sections:
        items: list[DeclaredItem] = []
        for el, subsection in s.items:
            number, group = s.labels.get(id(el), (None, ""))
            if number is None and el.name == "li" and el.parent is not None and el.parent.name == "ol":
                number = int(_list_marker(el).split(".")[0])
            for k, line in enumerate(placed.get(id(el), [])):
                items.append(DeclaredItem(line, number if k == 0 else None, group if k == 0 else "", subsection))
            tail = [n for t in s.tails.get(id(el), []) for n in placed.get(id(t), [])]
            if tail and items and items[-1].line < min(tail):
                items[-1].end_line = max(tail)
        if not items:
            continue
        items.sort(key=lambda i: i.line)
        heading_line = s.heading_tag.sourceline if s.heading_tag is not None else None
        start, end = items[0].line, items[-1].line
        out.append(ReferenceSection(s.heading, heading_line if heading_line and heading_line <= start else None,
                                    start, end, footnotes=s.notes, items=items))
    out.sort(key=lambda r: r.start)
    return out
