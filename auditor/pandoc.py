"""Pandoc Markdown, R Markdown (`.Rmd`) and Quarto (`.qmd`): the YAML front matter and Pandoc citations.

A Markdown file is read as text as before (`documents.document_from_bytes`); when its front matter
names a bibliography (`bibliography:`) or holds one (`references:`), it is a Pandoc paper and:

- every Pandoc citation is declared with its exact key: `[@a; @b, p. 3]`, `[see @a, pp. 3-5]`,
  `[-@a]` (author suppressed), narrative `@a` and `@a [p. 3]`, `@{key}`; and the keys of `nocite:`.
  The keys follow Pandoc's syntax (a letter, digit or `_`, then word characters and internal
  punctuation `:.#$%&-+?<>~/`); an `@` right after a word character (an e-mail address) or a
  backslash is not a citation, nor is one in code, a comment, a URL or a link's target, nor a
  cross-reference such as `@fig-plot` or `@sec:intro` (Quarto, pandoc-crossref);
- the items of `references:` are a declared reference section on the lines where they stand;
- the files of `bibliography:` are the paper's companions (`companions`), audited with it as one
  manuscript: relative paths inside the paper's folder tree only; a file that is missing, outside
  that tree or in a format the auditor does not read is recorded on the document (`unread_parts`)
  and reported by the rule `missing-part`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath, PureWindowsPath

from auditor.model import DeclaredCitation, Document, ReferenceSection

# The front matter is read only from a file's first lines; a longer block is not front matter.
MAX_FRONT_MATTER_LINES = 200_000
# Pandoc's citation key: `@` (or `-@`) not right after a letter or digit, a "word." or a backslash.
CITE = re.compile(
    r"(?<![^\W_]|\\)(?<![^\W_]\.)(?P<minus>-)?@(?:(?P<key>\w(?:\w|[:.#$%&\-+?<>~/](?=\w)|[:/](?=/))*)"
    r"|\{(?P<braced>[^\s{}]{1,200})\})")
# Cross-references of Quarto (`@fig-plot`) and pandoc-crossref (`@fig:plot`), not citations.
CROSS_REFERENCE = re.compile(r"^(?:fig|tbl|sec|eq|lst|thm|lem|cor|prp|cnj|def|exm|exr|sol|rem|alg|apx)[-:]")
URL = re.compile(r"<?(?:https?|ftp)://[^\s<>]*>?|\bwww\.[^\s<>]+|<[^\s<>@]+@[^\s<>]+>")
LINK_TARGET = re.compile(r"\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
LINK_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)[^\]]{1,999}\]:\s*\S*")
COMMENT = re.compile(r"<!--.*?-->")
INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
BRACKET = re.compile(r"\[[^\[\]]*\]")


@dataclass
class FrontMatter:
    """What a Pandoc paper's YAML front matter says about its citations."""

    end: int  # the line of the closing `---` or `...`
    bibliography: list[tuple[int, str]] = field(default_factory=list)  # (line, path as written)
    references: ReferenceSection | None = None
    nocite: list[tuple[int, int, str]] = field(default_factory=list)  # (line, column, key)
    problems: list[str] = field(default_factory=list)

    @property
    def pandoc(self) -> bool:
        """Whether the document is a Pandoc paper with a bibliography."""
        return bool(self.bibliography) or self.references is not None


def front_matter(lines: list[str]) -> FrontMatter | None:
    """The YAML block at the top of a Markdown file, when it is one and is a mapping; else None."""
    from auditor.csl import compose_yaml, declared, yaml_items
    from auditor.documents import DATABASE_SECTION

    if not lines or lines[0].rstrip() != "---" or len(lines) < 2 or not lines[1].strip():
        return None
    end = None
    for number in range(2, min(len(lines), MAX_FRONT_MATTER_LINES) + 1):
        if lines[number - 1].rstrip() in ("---", "..."):
            end = number
            break
    if end is None:
        return None
    text = "\n".join(lines[1:end - 1])
    try:
        node = compose_yaml(text)
    except ValueError:
        return None  # not YAML: a rule and some text, as in any Markdown file
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    found = FrontMatter(end)
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        if key.value == "bibliography":
            values = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for v in values[:100]:
                if isinstance(v, yaml.ScalarNode) and v.value.strip():
                    found.bibliography.append((v.start_mark.line + 2, v.value.strip()))
        elif key.value == "references" and isinstance(value, yaml.SequenceNode):
            try:
                items = yaml_items(text)
            except ValueError as exc:
                found.problems.append(f"references: {exc}")
                continue
            section, problems = declared([(a + 2, b + 2, item) for a, b, item in items or []],
                                         DATABASE_SECTION, key.start_mark.line + 2)
            found.references = section
            found.problems.extend(problems)
        elif key.value == "nocite" and isinstance(value, yaml.ScalarNode):
            start = value.start_mark.line + 2
            for offset, line in enumerate(value.value.split("\n")[:10_000]):
                for m in CITE.finditer(line):
                    cite = m.group("key") or m.group("braced")
                    found.nocite.append((start + offset, 1, cite))
                if line.strip() == "@*":
                    found.nocite.append((start + offset, 1, "*"))
    return found


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)]|\(?@\w*\))\s")


def indented_code(lines: list[str], skip: set[int]) -> set[int]:
    """Lines of indented code blocks: indented four spaces (or a tab) after a blank line, outside a list."""
    code: set[int] = set()
    in_list = blank = in_code = False
    for number, line in enumerate(lines, 1):
        if number in skip:
            in_code = blank = False
            continue
        if not line.strip():
            blank = True
            continue
        indented = line.startswith(("    ", "\t"))
        if indented and (in_code or (blank and not in_list)):
            code.add(number)
            in_code = True
        elif not indented:
            in_code = False
            if LIST_ITEM.match(line):
                in_list = True
            elif blank or not in_list:
                in_list = False
        blank = False
    return code


def masked_lines(doc: Document) -> list[str]:
    """The lines where citations may stand, with code, comments, URLs and link targets blanked in place."""
    out = []
    code = indented_code(doc.lines, doc.skip_lines)
    for number, line in enumerate(doc.lines, 1):
        if number in doc.skip_lines or number in code or "@" not in line:
            out.append("" if number in doc.skip_lines or number in code else line)
            continue
        for pattern in (INLINE_CODE, COMMENT, LINK_DEFINITION, LINK_TARGET, URL):
            line = pattern.sub(lambda m: _blank(m.group(0)), line)
        out.append(line)
    return out


def pandoc_citations(doc: Document, nocite: list[tuple[int, int, str]] | None = None) -> list[DeclaredCitation]:
    """Every Pandoc citation of a Markdown document, with its exact key and place."""
    lines = masked_lines(doc)
    text = "\n".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    import bisect

    groups = [(m.start(), m.end()) for m in BRACKET.finditer(text) if "@" in m.group(0) and "\n\n" not in m.group(0)
              and not text.startswith("(", m.end())]
    group_starts = [a for a, _ in groups]
    out: list[DeclaredCitation] = []
    for m in CITE.finditer(text):
        key = m.group("key") or m.group("braced")
        if not key or CROSS_REFERENCE.match(key):
            continue
        i = bisect.bisect_right(group_starts, m.start()) - 1
        inside = i >= 0 and groups[i][0] < m.start() < groups[i][1]
        at = m.start() + (1 if m.group("minus") else 0)  # the citation stands where its "@" is
        group = text[groups[i][0]:groups[i][1]] if inside else ""
        row = bisect.bisect_right(starts, at) - 1
        out.append(DeclaredCitation(row + 1, at - starts[row] + 1, text[at:m.end()], key, narrative=not inside,
                                    marker=group))
    for line_number, column, key in nocite or []:
        out.append(DeclaredCitation(line_number, column, f"@{key}", key, nocite=True))
    return out


def _named_path(written: str) -> PurePosixPath | None:
    """A bibliography path as written, when it is relative and stays inside the paper's folder tree."""
    if "\x00" in written or PureWindowsPath(written).is_absolute() or written.startswith(("/", "~", "\\")) \
            or re.match(r"^[A-Za-z][\w+.-]*:", written):
        return None
    path = PurePosixPath(written.replace("\\", "/"))
    if any(part == ".." for part in path.parts):
        return None
    return path


def bibliography_files(path: Path, matter: FrontMatter) -> tuple[list[Path], list[tuple[int, str, str]]]:
    """The files a paper's `bibliography:` names, resolved against its folder and confined to that
    folder tree; and the ones that cannot be read: (line, name as written, why)."""
    from auditor.documents import FORMATS

    folder = path.absolute().parent
    root = folder.resolve()
    found: list[Path] = []
    unread: list[tuple[int, str, str]] = []
    for line, written in matter.bibliography:
        named = _named_path(written)
        if named is None:
            unread.append((line, written, "is outside the paper's folder"))
            continue
        candidate = folder / named
        try:
            target = candidate.resolve()
        except (OSError, RuntimeError):
            unread.append((line, written, "cannot be read"))
            continue
        if target != root and root not in target.parents:
            unread.append((line, written, "leads outside the paper's folder"))
        elif not target.exists():
            unread.append((line, written, "does not exist"))
        elif not target.is_file():
            unread.append((line, written, "is not a regular file"))
        else:
            found.append(candidate)  # (a .bib is the paper's part even where the auditor cannot read it)
            if target.suffix.lower() not in FORMATS or not target.suffix:
                unread.append((line, written, f"is in a format the auditor does not read ('{target.suffix}')"))
    return found, unread


def pandoc_paper(doc: Document) -> None:
    """Give a Markdown document that is a Pandoc paper its citations, `references:` and named bibliography."""
    matter = front_matter(doc.lines)
    if matter is None or not matter.pandoc:
        return
    doc.skip_lines.update(range(1, matter.end + 1))
    if matter.references is not None:
        from auditor.parsing.sections import reference_sections

        others = [s for s in reference_sections(replace(doc, declared_sections=None)) if s.start > matter.end]
        doc.declared_sections = [matter.references, *others]
    doc.declared_citations = pandoc_citations(doc, matter.nocite)
    if Path(doc.path).is_file():  # (a text given without a file has no folder to look in)
        found, doc.unread_parts = bibliography_files(Path(doc.path), matter)
        doc.companions = [str(p) for p in found]


def companions(path: Path) -> list[Path]:
    """The bibliography files a Pandoc paper names in its front matter, that exist inside its folder tree."""
    from auditor.documents import MAX_BYTES, decode_bytes, file_head, read_regular_file

    if path.suffix.lower() not in (".md", ".markdown", ".rmd", ".qmd", ".mdx"):
        return []
    if not file_head(path, 6).startswith((b"---", b"\xef\xbb\xbf---")):
        return []  # most papers have no front matter: their first bytes say so
    data = read_regular_file(path, MAX_BYTES)
    if not data.startswith((b"---", b"\xef\xbb\xbf---")):
        return []
    text, _ = decode_bytes(str(path), data)
    matter = front_matter(text.splitlines()[:MAX_FRONT_MATTER_LINES + 1])
    if matter is None:
        return []
    found, _ = bibliography_files(path, matter)
    return found
