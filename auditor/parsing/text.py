"""Small text helpers shared by the parsers: Markdown clean-up and normalisation for comparison."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

MD_LINK = re.compile(r"\[([^\]]*)\]\((\S+?)\)")
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!$&%<>~|\"'])")
EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
# Word exports put spaces inside the markers ("**DAFTAR PUSTAKA **", "*Journal *"); a single underscore
# marks italics only at word edges ("_Ibid._"), never inside snake_case names.
LOOSE_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)([^*\n]*?\S)(\s+)\1(?!\*)")
UNDERSCORE = re.compile(r"(?<![\w\\])_(?=[^\s_])([^_\n]+?)(?<=[^\s_\\])_(?!\w)")
HTML_TAG = re.compile(r"</?(?:sup|sub|em|strong|i|b|u|span|br)\b[^>]*>", re.I)


# A Markdown link or image; the label may hold one level of brackets ("[[1]](#ref-1)").
LINK_SPAN = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\"[^\"\n]*\")?\)")


LINKED_CITATION = re.compile(r"[A-Z\u00C0-\u024F][^()\[\]\n]{0,100}?,?\s+(?:(?:1[5-9]|20)\d\d[a-z]?|n\.\s?d\.?)")


INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def mask_code(line: str) -> str:
    """Blank inline code spans (`a = [1, 2, 3]`): code is not prose and cites nothing."""
    if "`" not in line:
        return line
    return INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


EMPHASIS_MARK = re.compile(r"\*{1,3}|(?<![\w\\])_{1,3}(?=\S)|(?<=\S)_{1,3}(?!\w)")


def mask_emphasis(line: str) -> str:
    """Blank Markdown emphasis markers ("**Zhang & Debono (2024)**"), keeping every offset."""
    if "*" not in line and "_" not in line:
        return line
    return EMPHASIS_MARK.sub(lambda m: " " * len(m.group(0)), line)


def mask_links(line: str) -> str:
    """Keep a Markdown link's label and blank its brackets and target, so that offsets do not move:
    "([Ho et al., 2020](https://…))" reads as "( Ho et al., 2020 …)" to the citation finder."""
    if "](" not in line:
        return line

    def blank(m: re.Match[str]) -> str:
        if m.group(1):  # an image: its alt text is not prose
            return " " * len(m.group(0))
        label = m.group(2)
        if LINKED_CITATION.fullmatch(label.strip()):
            # "[Bahdanau et al., 2015](url)" cites like "(Bahdanau et al., 2015)".
            return "(" + label + ")" + " " * (len(m.group(0)) - len(label) - 2)
        return " " + label + " " * (len(m.group(0)) - len(label) - 1)

    return LINK_SPAN.sub(blank, line)


def unescape_markdown(text: str) -> str:
    """Remove Markdown backslash escapes: `Isu\\_Sepekan` becomes `Isu_Sepekan`."""
    if "\\" not in text:
        return text
    return MD_ESCAPE.sub(r"\1", text)


def strip_markdown(text: str) -> str:
    """Plain text of a Markdown line: links become `text <url>`, emphasis and escapes go away."""

    def link(m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if unescape_markdown(label).strip() == unescape_markdown(target).strip():
            return f"<{target}>"
        return f"{label} <{target}>" if label.strip() else f"<{target}>"

    # Each pattern runs only when the text holds the characters it needs ("](", "<", "*" or "__").
    if "](" in text:
        text = MD_LINK.sub(link, text)
    if "<" in text:
        text = HTML_TAG.sub("", text)
    if "*" in text or "__" in text:
        for _ in range(2):
            text = EMPHASIS.sub(r"\2", text)
    if "*" in text:
        text = LOOSE_EMPHASIS.sub(r"\2\3", text)
    if "_" in text:
        text = UNDERSCORE.sub(r"\1", text)
    text = unescape_markdown(text)
    return text


COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


# Lower-case words that belong to a family name ("van Heel", "de la Cruz", "bin Laden", "dos Santos"):
# one list for reading citations and for matching them to entries.
PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "la", "le", "al", "bin", "binti", "el",
                       "del", "della", "dos", "das", "ten", "ter", "y", "e", "st", "st."})


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case text without diacritics: "Aragón" and "aragon" fold alike."""
    if text.isascii():
        return text.casefold()
    return COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


@functools.lru_cache(maxsize=65536)
def name_key(text: str) -> str:
    """A comparison key for names: folded, punctuation dropped, spaces collapsed."""
    folded = fold(text)
    folded = re.sub(r"[^\w\s]|_", " ", folded)
    return " ".join(folded.split())


def compact_key(text: str) -> str:
    """Like name_key with the spaces removed too: "BBC News" and "BBCNews" compare equal."""
    return name_key(text).replace(" ", "")


def words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", fold(text))


class Spans:
    """Disjoint [start, end) spans kept sorted, so that an overlap test is a binary search, not a scan."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end)

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)
