"""Read a document from disk into numbered lines of text: plain text, Markdown or HTML."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from auditor.errors import DocumentError, UnsupportedFormatError
from auditor.model import Document

FORMATS = {
    ".txt": "txt",
    ".rst": "txt",
    ".text": "txt",
    "": "txt",
    ".md": "md",
    ".markdown": "md",
    ".mdx": "md",
    ".rmd": "md",
    ".qmd": "md",
    ".json": "csl-json",
    ".yaml": "csl-yaml",
    ".yml": "csl-yaml",
    ".xml": "jats",
    ".nxml": "jats",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".doc": "docx",  # read only to say that a legacy .doc must be saved as .docx
    ".bib": "bib",
    ".tex": "tex",
    ".pdf": "pdf",
}
MAX_BYTES = 20 * 1024 * 1024
# Formats read by a reader of their own: "module:function", imported only when such a file is read.
# Each takes (path, bytes) and returns a Document or raises DocumentError with one clear message.
READERS: dict[str, str] = {
    "csl-json": "auditor.csl:read_csl_json",
    "csl-yaml": "auditor.csl:read_csl_yaml",
    "jats": "auditor.jats:read_jats",
    "docx": "auditor.docx:read_docx",
    "bib": "auditor.bibtex:read_bib",
    "tex": "auditor.latex:read_tex",
    "pdf": "auditor.pdf:read_pdf",
}
# Formats whose files name other files as their parts (a LaTeX paper's \\bibliography and \\input, a
# Pandoc paper's `bibliography:`): "module:function" taking a Path and returning those files, in
# reading order, that exist. A file with parts is audited with them as one manuscript.
COMPANIONS: dict[str, str] = {
    "md": "auditor.pandoc:companions",
    "tex": "auditor.latex:tex_parts",
}
# Bibliography databases (a .bib file, a CSL-JSON or CSL-YAML file): a store of entries rather than a
# list a reader sees, so only entry-level rules judge them (their entries are never "uncited", their
# order is free) and the text rules have no text to read. See `checks.registry.run_checks`. Within a
# paper's manuscript, an entry no citation uses is left out of the printed bibliography, so it is worth
# an `info`, not a warning.
BIB_FORMATS = frozenset({"bib", "csl-json", "csl-yaml"})
# The heading given to a bibliography held in a document's metadata (Pandoc's `references:`): a database
# too, whose entries are never "uncited" and whose order is free.
DATABASE_SECTION = "references (front matter)"
# Suffixes too generic to audit every such file found in a folder: audited when named on the command
# line or by a paper (its `bibliography:`), and .xml when it is a JATS article (see `audit._expand_folder`).
NAMED_ONLY = frozenset({".json", ".yaml", ".yml", ".xml", ".nxml"})

# UTF-8 text decoded as Windows-1252 leaves these pairs behind ("Ã©" for "é", "â€™" for "’").
MOJIBAKE = re.compile(r"[ÃÂâ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]|Â(?=\s|$)")
IGNORE_COMMENT = re.compile(r"<!--\s*auditor-ignore(?P<file>-file)?(?::\s*(?P<rules>[\w\-,\s]+?))?\s*-->")
WHOLE_FILE = 0  # the key of ignore_directives for `<!-- auditor-ignore-file: … -->`
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The text's lines, split at CR LF, CR or LF (not at the other breaks `str.splitlines` knows)."""
    return LINE_BREAK.split(text) if "\r" in text else text.split("\n")


def supported_suffixes() -> list[str]:
    """The file name endings the auditor reads."""
    return sorted(s for s in FORMATS if s)


def load_document(path: str | Path) -> Document:
    """Read one document; raise DocumentError with a clear message when it cannot be read."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(
            f"{p}: unsupported format '{p.suffix}' (the auditor reads {', '.join(supported_suffixes())})"
        )
    data = read_regular_file(p, MAX_BYTES)
    if fmt in READERS:
        return read_with(fmt, str(p), data)
    return document_from_bytes(str(p), data, fmt)


def companions(path: Path) -> list[Path]:
    """The files a document names as its own parts (see COMPANIONS); none for most formats.

    A reader that cannot make sense of the file names no parts: loading it later gives the clear error."""
    import importlib

    fmt = FORMATS.get(path.suffix.lower())
    if fmt not in COMPANIONS:
        return []
    module, _, function = COMPANIONS[fmt].partition(":")
    try:
        found: list[Path] = getattr(importlib.import_module(module), function)(path)
    except DocumentError:
        return []
    return found


def read_with(fmt: str, path: str, data: bytes) -> Document:
    """Read bytes with the reader registered for a format (see READERS)."""
    import importlib

    if not data.strip():
        raise DocumentError(f"{path}: the file is empty")
    module, _, function = READERS[fmt].partition(":")
    reader = getattr(importlib.import_module(module), function)
    doc: Document = reader(path, data)
    return doc


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_nonblocking(p: Path | str) -> tuple[int, int]:
    """Open a file for reading without blocking (a FIFO would block an ordinary open) and return the
    descriptor and the mode of what was opened (check that, not a stat made before: it may have been
    swapped in between); OSError as os.open raises it."""
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        return fd, os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise


def file_head(p: Path, size: int) -> bytes:
    """The first bytes of a regular file; empty for anything else or what cannot be read."""
    try:
        fd, mode = open_nonblocking(p)
    except OSError:
        return b""
    try:
        return os.read(fd, size) if stat.S_ISREG(mode) else b""
    except OSError:
        return b""
    finally:
        os.close(fd)


def read_regular_file(p: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most limit bytes; a DocumentError for anything else.

    The file is checked with stat before it is opened (a FIFO would block the open, /dev/zero never
    ends), opened without blocking and checked again on the open descriptor (it may have been swapped
    in between), and at most limit + 1 bytes are read whatever its size claims (files under /proc say 0).
    """
    try:
        before = os.stat(p)
    except FileNotFoundError:
        raise DocumentError(f"{p}: no such file") from None
    except OSError as exc:
        raise DocumentError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(before.st_mode):
        raise DocumentError(f"{p}: is {_kind(before.st_mode)}, not a regular file; not read")
    if before.st_size > limit:
        raise DocumentError(f"{p}: too large ({before.st_size} bytes; the limit is {limit})")
    try:
        fd, mode = open_nonblocking(p)
    except OSError as exc:
        raise DocumentError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(mode):
            raise DocumentError(f"{p}: is {_kind(mode)}, not a regular file; not read")
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise DocumentError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise DocumentError(f"{p}: too large (more than {limit} bytes)")
    return data


def document_from_bytes(path: str, data: bytes, fmt: str) -> Document:
    """Decode bytes into a Document of the given format ("txt", "md" or "html")."""
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{path}: too large ({len(data)} bytes; the limit is {MAX_BYTES})")
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty")
    text, encoding = decode_bytes(path, data)
    lines = split_lines(text)
    # (Every form of the damage starts with one of these: most documents need no line-by-line look.)
    lines, repaired = repair_mojibake(lines) if any(c in text for c in "ÃÂâ") else (lines, [])
    html = None
    if fmt == "html":
        source = text if not repaired else "\n".join(lines)
        if html_depth(source) <= MAX_HTML_DEPTH:
            from auditor.html import read_html  # (BeautifulSoup: imported when an HTML file is read)

            html = read_html(source)
            lines = html.lines
        else:
            lines = flat_html_lines(source)
    doc = Document(
        path=path,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        lines=lines,
        repaired_lines=repaired,
        declared_sections=html.sections if html is not None else None,
    )
    if fmt in ("md", "html"):
        doc.skip_lines = markup_lines(lines) if fmt == "md" else html.skip_lines if html is not None else set()
        doc.ignore_directives = ignore_directives(split_lines(text)) if "auditor-ignore" in text else {}
    if fmt in ("txt", "md"):
        from auditor.parsing.layout import page_furniture

        doc.skip_lines |= page_furniture(lines)
    if fmt == "md" and lines and lines[0].rstrip() == "---":
        from auditor.pandoc import pandoc_paper

        pandoc_paper(doc)  # a Pandoc paper: its citations and bibliography from the front matter
    return doc


def decode_bytes(path: str, data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM) or, failing that, the encoding charset-normalizer detects."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{path}: starts with a UTF-16 byte order mark but is not valid UTF-16 "
                                f"({exc.reason} at byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path}: looks like a binary file, not a text document")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 is the usual legacy encoding of Indonesian and English documents; take it when
    # every non-ASCII character it yields is a Latin letter or typographic punctuation.
    try:
        latin = data.decode("cp1252")
    except UnicodeDecodeError:
        latin = None
    if latin is not None and _plausible_latin(latin):
        return latin, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DocumentError(f"{path}: cannot determine the text encoding; save it as UTF-8")
    text, encoding = str(best), best.encoding
    if _control_share(text) > 0.05:
        raise DocumentError(f"{path}: looks like a binary file, not a text document")
    return text, encoding


def _plausible_latin(text: str) -> bool:
    import unicodedata

    others = [ch for ch in text if ord(ch) > 127]
    if not others:
        return True
    good = sum(1 for ch in others if ch in "“”‘’–—…•«»°±×€£§©®·" or (
        unicodedata.category(ch).startswith("L") and "LATIN" in unicodedata.name(ch, "")))
    return good >= 0.9 * len(others)


def _control_share(text: str) -> float:
    sample = text[:8192]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    return bad / max(1, len(sample))


def repair_mojibake(lines: list[str]) -> tuple[list[str], list[int]]:
    """Undo UTF-8-read-as-Latin-1 damage line by line; return the lines and the numbers repaired."""
    out: list[str] = []
    repaired: list[int] = []
    for number, line in enumerate(lines, 1):
        if not MOJIBAKE.search(line):
            out.append(line)
            continue
        fixed = _redecode(line)
        if fixed is None:
            # A lone "Â" left from a no-break space whose second byte was lost.
            fixed = re.sub(r"Â(?=[\s\u00a0]|$)", "", line)
        out.append(fixed)
        if fixed != line:
            repaired.append(number)
    return out, repaired


def _redecode(line: str) -> str | None:
    for codec in ("cp1252", "latin-1"):
        try:
            return line.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return None


JSX_CLOSE_START = re.compile(r"</[A-Z]")
JSX_OPEN = re.compile(r"<[A-Z][\w.]*(\s|/?>|$)")
JSX_TAG = re.compile(r"</?[A-Z][\w.]*>")
JSX_CLOSE_END = re.compile(r"</[A-Z][\w.]*>\s*$")
JSX_OPEN_ONLY = re.compile(r"<[A-Z][\w.]*>")


def markup_lines(lines: list[str]) -> set[int]:
    """Lines of a Markdown file that are code or component markup, not prose."""
    skip: set[int] = set()
    fence: str | None = None
    in_jsx = False
    in_comment = False
    if lines and lines[0].strip() == "---":
        # YAML front matter (Jekyll, Hugo, Pandoc, JOSS): metadata, not prose.
        for number, line in enumerate(lines[1:200], 2):
            if line.strip() in ("---", "..."):
                skip.update(range(1, number + 1))
                break
    for number, line in enumerate(lines, 1):
        if number in skip:
            continue
        stripped = line.strip()
        if fence:
            skip.add(number)
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            skip.add(number)
            continue
        if in_comment:
            skip.add(number)
            if "-->" in stripped:
                in_comment = False
            continue
        if stripped.startswith("<!--"):
            skip.add(number)
            in_comment = "-->" not in stripped
            continue
        if in_jsx:
            skip.add(number)
            if stripped.endswith("/>") or JSX_CLOSE_START.match(stripped) or stripped == ">":
                in_jsx = False
            continue
        if stripped.startswith("<") and (JSX_OPEN.match(stripped) or JSX_TAG.match(stripped)):
            skip.add(number)
            in_jsx = not (stripped.endswith("/>") or JSX_CLOSE_END.search(stripped))
            if JSX_OPEN_ONLY.fullmatch(stripped):
                in_jsx = False
            continue
        if stripped.startswith(("import ", "export ")):
            skip.add(number)
    return skip


def ignore_directives(lines: list[str]) -> dict[int, set[str]]:
    """Map each line to the rules an `<!-- auditor-ignore: … -->` comment just above it suppresses, and
    WHOLE_FILE (0) to those an `<!-- auditor-ignore-file: … -->` comment anywhere suppresses everywhere."""
    out: dict[int, set[str]] = {}
    pending: set[str] | None = None
    for number, line in enumerate(lines, 1):
        match = IGNORE_COMMENT.search(line)
        if match and match.group("file"):
            rules = match.group("rules")
            out.setdefault(WHOLE_FILE, set()).update(
                {r.strip() for r in rules.split(",") if r.strip()} if rules else {"*"})
            continue
        if match:
            rules = match.group("rules")
            pending = {r.strip() for r in rules.split(",") if r.strip()} if rules else {"*"}
            rest = IGNORE_COMMENT.sub("", line).strip()
            if not rest:
                continue
        if pending is not None and line.strip():
            out[number] = pending
            pending = None
    return out


# Deeply nested markup costs the HTML parser quadratic time (20,000 nested <div> took a minute); past
# this depth a document is read as text with its tags blanked out, line by line.
MAX_HTML_DEPTH = 1000
# Bounded repetitions keep these scans linear on text full of unclosed "<".
TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^<>]{0,4000}?(/?)>")
SCRIPT_START = re.compile(r"<(script|style)\b", re.IGNORECASE)
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
             "track", "wbr"}


def html_depth(text: str) -> int:
    """The deepest nesting of elements (open tags not yet closed), found in one pass without parsing."""
    depth = deepest = 0
    for m in TAG.finditer(text):
        if m.group(3) or m.group(2).lower() in VOID_TAGS:
            continue
        depth = max(0, depth - 1) if m.group(1) else depth + 1
        deepest = max(deepest, depth)
    return deepest


def flat_html_lines(text: str) -> list[str]:
    """The text of HTML too deeply nested to parse: tags and scripts blanked, each line kept in place."""
    import html

    pieces: list[str] = []
    pos = 0
    while m := SCRIPT_START.search(text, pos):
        close = _find_close(text, m)
        pieces += [text[pos:m.start()], "\n" * text.count("\n", m.start(), close)]
        pos = close
    pieces.append(text[pos:])
    text = re.sub(r"<[^<>]{0,4000}>", lambda m: " " + "\n" * m.group(0).count("\n"), "".join(pieces))
    return [" ".join(html.unescape(line).split()) for line in split_lines(text)]


def _find_close(text: str, start: re.Match[str]) -> int:
    """Where the script or style element opened at `start` ends (the end of the text if never)."""
    m = re.compile(rf"</{start.group(1)}\s*>", re.IGNORECASE).search(text, start.end())
    return m.end() if m else len(text)
