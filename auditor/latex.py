"""Read a LaTeX document (`.tex`): its citation commands, its `thebibliography`, and the files it names.

The document's lines are the file's lines, with what is not prose blanked to spaces (every column kept):
comments, the preamble, math, verbatim and code, tables and pictures, command names, braces and the
arguments of commands such as `\\label` or `\\includegraphics`. So the text scanner reads the prose and
never takes LaTeX markup for a citation. Citation commands stay as written and are declared exactly,
one `DeclaredCitation` per key; `\\bibitem` lists are declared as a reference section whose items are
parsed as text (they are free text).

Parsing is pylatexenc's LatexWalker (the dependency bibtexparser already brings), with the argument
forms of natbib's and BibLaTeX's commands added; the multi-citation commands (`\\cites[a][b]{x}[c]{y}`),
whose argument count varies, are read here. Verbatim-like environments and `\\iffalse … \\fi` are
blanked before parsing, since their contents need not be LaTeX at all.

The files the document names (`\\input`, `\\include`, `\\bibliography`, `\\addbibresource`) are its
parts (`tex_parts`, registered in COMPANIONS): they are found with a light scan of the comment-free text,
resolved relative to the main file's folder as LaTeX does, only inside that folder tree, recursively
within a depth and a count limit. A part a main document names but that cannot be read is recorded on
the document (`unread_parts`) for the `missing-part` rule.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from auditor.documents import split_lines
from auditor.errors import DocumentError
from auditor.model import DeclaredCitation, DeclaredItem, Document, ReferenceSection

# natbib and BibLaTeX citation commands with the usual arguments: *[pre][post]{keys}.
CITE_COMMANDS = {
    "cite", "Cite", "citep", "Citep", "citet", "Citet", "citealp", "Citealp", "citealt", "Citealt",
    "citeauthor", "Citeauthor", "citefullauthor", "Citefullauthor", "citeyear", "citeyearpar", "citenum",
    "citetitle", "Citetitle", "citedate", "citeurl", "parencite", "Parencite", "footcite", "Footcite",
    "footcitetext", "textcite", "Textcite", "autocite", "Autocite", "smartcite", "Smartcite", "supercite",
    "fullcite", "footfullcite", "nocite",
}
# BibLaTeX's multi-citation commands: (pre)(post) for the group, then [pre][post]{keys} repeated.
MULTICITE_COMMANDS = {"cites", "Cites", "parencites", "Parencites", "footcites", "Footcites", "textcites",
                      "Textcites", "autocites", "Autocites", "smartcites", "Smartcites", "supercites"}
# The author's name is part of the sentence: "Smith (2020) shows".
NARRATIVE = {"citet", "Citet", "textcite", "Textcite", "textcites", "Textcites", "citeauthor", "Citeauthor",
             "citefullauthor", "Citefullauthor"}
# Commands whose mandatory arguments are prose; their optional arguments (short titles) are not read.
PROSE_COMMANDS = {
    "emph", "textbf", "textit", "textsl", "textsc", "textup", "textrm", "textsf", "textmd", "textnormal",
    "underline", "uline", "mbox", "hbox", "text", "enquote", "foreignlanguage", "textquote", "hl",
    "part", "chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph",
    "caption", "subcaption", "footnote", "footnotetext", "marginpar", "thanks", "title", "author",
    "abstract", "item", "textcolor", "colorbox", "href", "url",
}
# Accents and escapes are kept as written: a name stays one word ("G\\\"odel").
ACCENTS = set("'\"`^~=.") | {"c", "v", "u", "H", "k", "r", "d", "b", "t", "i", "j", "o", "O", "l", "L", "ss",
                            "ae", "AE", "oe", "OE", "aa", "AA"}
ESCAPES = set("%&$_#{}")
# Commands that print a word: shown as that word ("\\TeX" → "TeX", padded with spaces to its width).
LOGOS = {"TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2e", "BibTeX": "BibTeX", "XeTeX": "XeTeX",
         "LuaTeX": "LuaTeX", "eTeX": "eTeX", "AmS": "AMS", "ldots": "...", "dots": "...", "textendash": "-",
         "textemdash": "-", "S": "§", "P": "¶", "copyright": "©", "textregistered": "®", "textellipsis": "...",
         "textquotedblleft": "“", "textquotedblright": "”", "textquoteleft": "‘", "textquoteright": "’"}
# Environments whose contents are not prose: only citation commands are read there.
HIDDEN_ENVIRONMENTS = {
    "equation", "equation*", "align", "align*", "alignat", "alignat*", "gather", "gather*", "multline",
    "multline*", "flalign", "flalign*", "eqnarray", "eqnarray*", "displaymath", "math", "split", "array",
    "tabular", "tabular*", "tabularx", "tabulary", "longtable", "longtable*", "supertabular", "tblr",
    "tikzpicture", "pgfpicture", "picture", "algorithmic", "algorithm2e", "circuitikz", "axis",
    "thebibliography",  # read on its own
}
# Environments whose contents need not be LaTeX: blanked before parsing.
VERBATIM = re.compile(r"\\begin\s*\{(verbatim\*?|Verbatim\*?|BVerbatim|LVerbatim|lstlisting|minted|comment|"
                      r"filecontents\*?|alltt|pycode|sagesilent|sageblock|luacode\*?|codeblock)\}")
IFFALSE = re.compile(r"\\iffalse(?![A-Za-z])")
FI = re.compile(r"\\(?:if[A-Za-z]*|fi)(?![A-Za-z])")
COMMENT = re.compile(r"\\.|%", re.S)
PARTS = re.compile(r"\\(input|include|bibliography|addbibresource|addglobalbib|subfile)(?![A-Za-z])\s*"
                   r"(?:\[[^\]\n]{0,500}\]\s*)?\{([^{}\n]{1,1000})\}")
BEGIN_DOCUMENT = re.compile(r"\\begin\s*\{document\}")
END_DOCUMENT = re.compile(r"\\end\s*\{document\}")
BIBLIOGRAPHY_COMMAND = re.compile(r"\\(?:bibliography|addbibresource|addglobalbib|printbibliography)(?![A-Za-z])")
KEY = re.compile(r"^[^\s#\\{}%,~]+$")
# Parts followed: nesting depth of \input and the number of files.
MAX_PART_DEPTH = 8
MAX_PARTS = 200
# Nesting of braces and environments past which the parser (recursive) is not asked to read the file.
MAX_NESTING = 120


@dataclass
class _Reading:
    """What a walk over the parsed document collects."""

    text: str
    keep: list[tuple[int, int]] = field(default_factory=list)  # ranges of the text shown as written
    put: list[tuple[int, str]] = field(default_factory=list)  # words shown in place of a command
    citations: list[tuple[int, int, str, list[str], str, str, bool]] = field(default_factory=list)
    bibitems: list[tuple[int, str, bool]] = field(default_factory=list)  # position, key, has a [label]
    bibliographies: list[tuple[int, int]] = field(default_factory=list)  # thebibliography: start, end
    skip_until: int = 0


def read_tex(path: str, data: bytes) -> Document:
    """A .tex file as a Document (see the module's notes)."""
    from auditor.documents import decode_bytes

    text, encoding = decode_bytes(path, data)
    text = "\n".join(split_lines(text.removeprefix("\ufeff")))
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    hidden, verbatim_lines = blank_verbatim(text)
    if nesting(hidden) > MAX_NESTING:
        raise DocumentError(f"{path}: braces or environments are nested more than {MAX_NESTING} deep; "
                            f"not read as LaTeX")
    try:
        reading = walk(hidden)
    except RecursionError:
        raise DocumentError(f"{path}: nested too deeply to be read as LaTeX") from None

    def where(pos: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, pos)
        return line, pos - starts[line - 1] + 1

    out = [ch if ch == "\n" else " " for ch in text]
    for a, b in reading.keep:
        out[a:b] = text[a:b]
    for a, word in reading.put:
        out[a:a + len(word)] = word
    lines = "".join(out).split("\n")
    doc = Document(path=path, format="tex", sha256=hashlib.sha256(data).hexdigest(), encoding=encoding,
                   lines=lines)
    doc.skip_lines = set(verbatim_lines)
    plain = strip_comments(hidden)
    begin = BEGIN_DOCUMENT.search(plain)
    if begin:
        doc.skip_lines.update(range(1, where(begin.start())[0] + 1))
        finish = END_DOCUMENT.search(plain, begin.end())
        if finish:
            doc.skip_lines.update(range(where(finish.start())[0], len(lines) + 1))
    declared: list[DeclaredCitation] = []
    for start, end, command, keys, pre, post, nocite in reading.citations:
        line, column = where(start)
        raw = text[start:end]
        for key in keys:
            declared.append(DeclaredCitation(line, column, raw, key, narrative=command in NARRATIVE,
                                             prefix=pre, suffix=post, nocite=nocite))
    doc.declared_citations = declared
    sections = []
    for first, last in reading.bibliographies:
        items = [(p, k, labelled) for p, k, labelled in reading.bibitems if first <= p < last]
        head, tail = where(first)[0], where(last)[0]
        numbered = not any(labelled for _, _, labelled in items)
        declared_items = []
        for i, (p, key, _) in enumerate(items):
            line = where(p)[0]
            # To the line before the next item, or before \end{thebibliography} (or on it, when text is there).
            until = where(items[i + 1][0])[0] - 1 if i + 1 < len(items) else tail - (not lines[tail - 1].strip())
            declared_items.append(DeclaredItem(line, number=i + 1 if numbered else None, key=key,
                                               end_line=max(line, until)))
        sections.append(ReferenceSection("thebibliography", head, head, tail, items=declared_items))
    if sections:
        doc.declared_sections = sections
    elif BIBLIOGRAPHY_COMMAND.search(plain):
        doc.declared_sections = []  # the list is built from a .bib: no heading in the text is one
    root = Path(path).parent
    if begin:  # a main document: what it names but cannot be read is reported (a chapter's relative
        # names may be meant from the main file's folder, which the chapter alone does not know)
        found, unread = resolve_parts(root, plain)
        doc.companions = [str(p) for p in found]
        doc.unread_parts = unread
    return doc


def strip_comments(text: str) -> str:
    """The text with every comment (`%` to the end of its line, not `\\%`) blanked, offsets kept."""
    if "%" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in COMMENT.finditer(text):
        if m.group(0) != "%":
            continue
        if m.start() < pos:
            continue
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        out += [text[pos:m.start()], " " * (end - m.start())]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def blank_verbatim(text: str) -> tuple[str, set[int]]:
    """The text with verbatim-like environments and `\\iffalse … \\fi` blanked; the lines they cover."""
    plain = strip_comments(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    while m := VERBATIM.search(plain, pos):
        close = re.compile(r"\\end\s*\{" + re.escape(m.group(1)) + r"\}").search(plain, m.end())
        end = close.end() if close else len(plain)
        spans.append((m.start(), end))
        pos = end
    pos = 0
    while m := IFFALSE.search(plain, pos):
        depth, end = 1, len(plain)
        for f in FI.finditer(plain, m.end()):
            depth += -1 if f.group(0) == "\\fi" else 1
            if depth == 0:
                end = f.end()
                break
        if not any(a <= m.start() < b for a, b in spans):
            spans.append((m.start(), end))
        pos = end
    if not spans:
        return text, set()
    spans.sort()
    pieces: list[str] = []
    lines: set[int] = set()
    pos = 0
    for a, b in spans:
        if a < pos:
            continue
        pieces += [text[pos:a], _blank(text[a:b])]
        first = text.count("\n", 0, a) + 1
        lines.update(range(first, first + text.count("\n", a, b) + 1))
        pos = b
    pieces.append(text[pos:])
    return "".join(pieces), lines


def nesting(text: str) -> int:
    """The deepest nesting of braces and environments, counted in one pass."""
    depth = deepest = 0
    for m in re.finditer(r"\\[{}]|\\begin\b|\\end\b|[{}]", text):
        token = m.group(0)
        if token in ("\\{", "\\}"):
            continue
        depth += 1 if token in ("{", "\\begin") else -1 if depth > 0 else 0
        deepest = max(deepest, depth)
    return deepest


@lru_cache(maxsize=1)
def _context() -> Any:
    from pylatexenc.latexwalker import get_default_latex_context_db
    from pylatexenc.macrospec import EnvironmentSpec, MacroSpec

    db = get_default_latex_context_db()
    macros = [MacroSpec(name, "*[[{") for name in CITE_COMMANDS if name != "nocite"]
    macros += [MacroSpec("nocite", "{"), MacroSpec("bibitem", "[{"), MacroSpec("addbibresource", "[{"),
               MacroSpec("caption", "*[{"), MacroSpec("href", "[{{"), MacroSpec("enquote", "*{"),
               MacroSpec("thanks", "{"), MacroSpec("footnotetext", "[{"), MacroSpec("subcaption", "[{"),
               MacroSpec("newblock", ""), MacroSpec("bibliographystyle", "{"), MacroSpec("printbibliography", "["),
               MacroSpec("subfile", "{"), MacroSpec("addglobalbib", "[{")]
    macros += [MacroSpec(name, "") for name in MULTICITE_COMMANDS]
    environments = [EnvironmentSpec("thebibliography", "{"), EnvironmentSpec("tikzpicture", "["),
                    EnvironmentSpec("abstract", "")]
    db.add_context_category("auditor-latex", prepend=True, macros=macros, environments=environments)
    return db


def walk(text: str) -> _Reading:
    """Parse the text and collect what is prose, the citations and the `\\bibitem` lists."""
    from pylatexenc.latexwalker import LatexEnvironmentNode, LatexWalker

    nodes, _, _ = LatexWalker(text, latex_context=_context(), tolerant_parsing=True).get_latex_nodes()
    reading = _Reading(text)
    document = next((n for n in nodes or [] if isinstance(n, LatexEnvironmentNode)
                     and n.environmentname == "document"), None)
    if document is None:
        _walk(reading, nodes, prose=True)
        return reading
    for node in nodes[: nodes.index(document)]:
        # The preamble: only \nocite counts (BibLaTeX allows it there); a \cite inside a \newcommand is none.
        if _macro(node) == "nocite":
            _cite(reading, node)
    _walk(reading, document.nodelist, prose=True)
    return reading


def _macro(node: Any) -> str | None:
    from pylatexenc.latexwalker import LatexMacroNode

    return node.macroname if isinstance(node, LatexMacroNode) else None


def _walk(reading: _Reading, nodes: Any, prose: bool) -> None:
    """Walk nodes without recursion into Python's stack for long lists; nested groups recurse (bounded)."""
    from pylatexenc.latexwalker import (
        LatexCharsNode,
        LatexEnvironmentNode,
        LatexGroupNode,
        LatexMacroNode,
        LatexMathNode,
        LatexSpecialsNode,
    )

    for node in nodes or []:
        if node is None or node.pos < reading.skip_until:
            continue
        if isinstance(node, LatexCharsNode):
            if prose:
                reading.keep.append((node.pos, node.pos + node.len))
        elif isinstance(node, LatexGroupNode):
            _walk(reading, node.nodelist, prose)
        elif isinstance(node, LatexMathNode):
            _walk(reading, node.nodelist, prose=False)
        elif isinstance(node, LatexSpecialsNode):
            if prose and node.specials_chars != "~":
                reading.keep.append((node.pos, node.pos + node.len))
        elif isinstance(node, LatexEnvironmentNode):
            name = node.environmentname
            if name == "thebibliography":
                _bibliography(reading, node)
            elif name in ("document",):
                _walk(reading, node.nodelist, prose)
            else:
                _walk(reading, node.nodelist, prose and name not in HIDDEN_ENVIRONMENTS)
        elif isinstance(node, LatexMacroNode):
            _macro_node(reading, node, prose)


def _macro_node(reading: _Reading, node: Any, prose: bool) -> None:
    name = node.macroname
    if name in CITE_COMMANDS:
        _cite(reading, node)
    elif name in MULTICITE_COMMANDS:
        _multicite(reading, node)
    elif name in ESCAPES:
        if prose:
            reading.keep.append((node.pos + 1, node.pos + 2))
    elif name in ACCENTS:
        if prose:
            reading.keep.append((node.pos, node.pos + node.len))
    elif name in LOGOS:
        if prose and len(LOGOS[name]) <= node.len:
            reading.put.append((node.pos, LOGOS[name]))
    elif name == "bibitem":
        pass  # outside thebibliography: nothing to read
    else:
        args = node.nodeargd.argnlist if node.nodeargd is not None else []
        spec = node.nodeargd.argspec if node.nodeargd is not None else ""
        for kind, arg in zip(spec, args):
            if arg is None:
                continue
            # A prose command's text is prose; any command's arguments may hold a citation.
            _walk(reading, [arg], prose and kind == "{" and name in PROSE_COMMANDS)


def _arg_text(node: Any) -> str:
    if node is None:
        return ""
    raw: str = node.latex_verbatim()
    if raw[:1] in "[{(" and raw[-1:] in "]})":
        raw = raw[1:-1]
    return " ".join(raw.replace("~", " ").split())


def _keys(text: str) -> list[str]:
    return [k for k in (k.strip() for k in text.split(",")) if k and (k == "*" or KEY.match(k))]


def _cite(reading: _Reading, node: Any) -> None:
    name = node.macroname
    args = node.nodeargd.argnlist if node.nodeargd is not None else []
    if not args or args[-1] is None:
        return
    keys = _keys(_arg_text(args[-1]))
    first, second = (args[1], args[2]) if len(args) == 4 else (None, None)
    pre, post = (_arg_text(first), _arg_text(second)) if second is not None else ("", _arg_text(first))
    end = node.pos + node.len
    reading.keep.append((node.pos, end))
    if keys:
        reading.citations.append((node.pos, end, name, keys, pre, post, name == "nocite"))


def _multicite(reading: _Reading, node: Any) -> None:
    """`\\cites(pre)(post)[pre][post]{a}[post]{b}`: the arguments are read from the text after the name."""
    text = reading.text
    pos = node.pos + node.len
    groups: list[tuple[str, str]] = []
    options: list[str] = []
    parens = 0
    while pos < len(text):
        skip = pos
        while skip < len(text) and text[skip] in " \t":
            skip += 1
        if skip < len(text) and text[skip] == "\n" and text[skip + 1: skip + 2] not in ("\n",):
            skip += 1
            while skip < len(text) and text[skip] in " \t":
                skip += 1
        ch = text[skip: skip + 1]
        close = {"(": ")", "[": "]", "{": "}"}.get(ch)
        if close is None or (ch == "(" and (groups or options or parens >= 2)):
            break
        end = _matching(text, skip, ch, close)
        if end < 0:
            break
        inner = " ".join(text[skip + 1: end].replace("~", " ").split())
        if ch == "(":
            parens += 1
        elif ch == "[":
            options.append(inner)
        else:
            groups.append(("\0".join(options[-2:]), inner))
            options = []
        pos = end + 1
    if not groups:
        return
    reading.keep.append((node.pos, pos))
    reading.skip_until = max(reading.skip_until, pos)
    for notes, keys in groups:
        parts = notes.split("\0") if notes else []
        pre, post = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0] if parts else "")
        found = _keys(keys)
        if found:
            reading.citations.append((node.pos, pos, node.macroname, found, pre, post, False))


def _matching(text: str, start: int, open_: str, close: str, limit: int = 2000) -> int:
    """The position of the bracket that closes the one at start (braces nest), or -1: none within limit
    characters, or a blank line (which ends any argument) comes first."""
    depth = 0
    i = start
    end = min(len(text), start + limit)
    while i < end:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if open_ == "{" and depth == 0:
                return i
        elif ch == close and depth == 0 and i > start:
            return i
        elif ch == "\n" and text[i + 1: i + 2] == "\n":
            return -1
        i += 1
    return -1


def _bibliography(reading: _Reading, env: Any) -> None:
    """`thebibliography`: each `\\bibitem[label]{key}` starts an item; the rest is prose (free text)."""
    reading.bibliographies.append((env.pos, env.pos + env.len))
    for node in env.nodelist or []:
        if _macro(node) == "bibitem":
            args = node.nodeargd.argnlist if node.nodeargd is not None else []
            key = _arg_text(args[-1]) if args and args[-1] is not None else ""
            if KEY.match(key):
                reading.bibitems.append((node.pos, key, len(args) > 1 and args[0] is not None))
        elif node is not None:
            _walk(reading, [node], prose=True)


def resolve_parts(root: Path, text: str) -> tuple[list[Path], list[tuple[int, str, str]]]:
    """The files a document's comment-free text names, found in root's tree: (found in reading order, the
    unread ones as (line, name, why)). `\\input` and `\\include` count only after `\\begin{document}`."""
    found: list[Path] = []
    unread: list[tuple[int, str, str]] = []
    begin = BEGIN_DOCUMENT.search(text)
    for m in PARTS.finditer(text):
        command = m.group(1)
        if command in ("input", "include", "subfile") and begin is not None and m.start() < begin.start():
            continue  # a preamble \input loads macros, not text
        line = text.count("\n", 0, m.start()) + 1
        names = m.group(2).split(",") if command == "bibliography" else [m.group(2)]
        for name in names:
            name = name.strip()
            if not name:
                continue
            path, why = resolve_part(root, command, name)
            if path is not None:
                found.append(path)
            elif why:
                unread.append((line, name, why))
    return found, unread


def _candidates(command: str, name: str) -> list[str]:
    if command == "include":
        return [name + ".tex"]
    if command == "bibliography":
        return [name if name.lower().endswith(".bib") else name + ".bib"]
    if command in ("addbibresource", "addglobalbib"):
        return [name]
    return [name] if name.lower().endswith(".tex") else [name + ".tex", name]


def resolve_part(root: Path, command: str, name: str) -> tuple[Path | None, str | None]:
    """The file a command names, inside root's tree; else None and why it is not read (None: not a document
    at all, such as a `.pgf` picture, which is not reported)."""
    if any(ord(ch) < 32 for ch in name):
        return None, "is not a usable file name"
    try:
        return _resolve_part(root, command, name)
    except (OSError, ValueError, RuntimeError) as exc:  # a name too long for the file system, a loop of links
        return None, f"cannot be looked up ({getattr(exc, 'strerror', None) or exc})"


def _resolve_part(root: Path, command: str, name: str) -> tuple[Path | None, str | None]:
    from auditor.documents import FORMATS

    if name.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", name):
        return None, "is an absolute path, outside the paper's folder"
    if re.match(r"^[a-z][a-z0-9+.-]*://", name, re.I):
        return None, "is a URL (nothing is fetched)"
    base = root.resolve()
    candidates = _candidates(command, name)
    for cand in candidates:
        lexical = Path(os.path.normpath(base / cand))
        if lexical != base and base not in lexical.parents:
            return None, "leads outside the paper's folder"
        target = (root / cand)
        if not target.exists() and not target.is_symlink():
            continue
        real = target.resolve()
        if real != base and base not in real.parents:
            return None, "is a symbolic link leading outside the paper's folder"
        if not real.is_file():
            return None, "is not a regular file"
        if real.suffix.lower() not in FORMATS or not real.suffix:
            return None, None  # a picture or data file, not a document
        return target, None
    last = candidates[-1]
    if Path(last).suffix.lower() not in (".tex", ".bib", ""):
        return None, None  # a generated picture or table that is not there is not a document missing
    return None, f"does not exist (looked for {' and '.join(candidates)})"


def tex_parts(path: Path) -> list[Path]:
    """The files a LaTeX document names as its parts, recursively: chapters (`\\input`, `\\include`) in reading
    order, then the bibliography databases. Names are relative to the main file's folder (as LaTeX, run there,
    reads them) and stay inside its tree; at most MAX_PART_DEPTH levels and MAX_PARTS files."""
    from auditor.documents import MAX_BYTES, decode_bytes, read_regular_file

    root = path.parent
    seen = {path.resolve()}
    chapters: list[Path] = []
    databases: list[Path] = []

    def visit(p: Path, depth: int) -> None:
        try:
            data = read_regular_file(p, MAX_BYTES)
            text = decode_bytes(str(p), data)[0]
        except DocumentError:
            return
        hidden, _ = blank_verbatim("\n".join(split_lines(text)))
        found, _ = resolve_parts(root, strip_comments(hidden))
        for part in found:
            key = part.resolve()
            if key in seen or len(seen) > MAX_PARTS:
                continue
            seen.add(key)
            if part.suffix.lower() == ".tex":
                chapters.append(part)
                if depth < MAX_PART_DEPTH:
                    visit(part, depth + 1)
            else:
                databases.append(part)

    visit(path, 0)
    return chapters + databases
