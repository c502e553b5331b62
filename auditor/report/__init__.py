"""The HTML report of a run: an index of documents and one page per document.

Everything from a document or a web page is untrusted: Jinja2 escapes it (autoescape), the text
with its highlighted citations is assembled from escaped pieces, and only http(s) URLs become links.
The pages are self-contained (CSS and JavaScript ship with the package) and readable with
JavaScript off; the script only adds filtering, searching and sorting.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from importlib import resources
from pathlib import Path
from typing import Any

import sqlite_utils
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from auditor import HOMEPAGE, __version__, store
from auditor.fileio import write_atomic
from auditor.report.charts import outcome_chart, rule_bars

SEVERITIES = ("error", "warning", "info")
# A document's page is bounded whatever the document's size (a 19 MB input once made a 331 MB page that
# took 4 GB to render): past these limits the page says what it leaves out; the database has it all.
MAX_TEXT_CHARS = 2_000_000
MAX_TEXT_LINES = 50_000
MAX_ROWS = 5_000  # findings in the table, entries in the reference list
MAX_CITING = 50  # citing lines linked from one entry ("cited 300 times" links the first 50)


def _env() -> Environment:
    folder = resources.files("auditor.report") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    env.globals["where"] = where
    return env


def safe_url(url: str | None) -> str | None:
    """The URL when it is an http(s) address a link may point to; None for javascript:, data: and the like."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^https?://[^\s\"'<>]+$", url, re.I):
        return url
    return None


def slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "document"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def render_html(db: sqlite_utils.Database, run_id: int, out_dir: Path) -> Path:
    """Write index.html, one page per document and the static files; return the index path."""
    out_dir = Path(out_dir)
    pages = out_dir / "documents"
    pages.mkdir(parents=True, exist_ok=True)
    static = out_dir / "static"
    static.mkdir(parents=True, exist_ok=True)
    for name in ("report.css", "report.js"):
        source = resources.files("auditor.report") / "static" / name
        with resources.as_file(source) as path:
            write_atomic(static / name, Path(path).read_bytes())
    env = _env()
    run = store.run_row(db, run_id)
    assert run is not None, f"no run {run_id}"
    documents = store.run_documents(db, run_id)
    outcomes = store.link_outcomes(db)
    data = store.report_data(db, run_id)
    taken: set[str] = set()
    rows: list[dict[str, Any]] = []
    for d in documents:
        d["slug"] = slug(Path(d["path"]).stem, taken)
    doc_pages = {d["id"]: (f"{d['slug']}.html", d["name"]) for d in documents}
    elsewhere = {entry: doc_pages[doc][0] for entry, doc in data.manuscript_entries.items() if doc in doc_pages}
    dead: set[str] = set()
    for d in documents:
        urls = list(dict.fromkeys(store.document_urls(db, d["id"])))  # each URL once, however many entries cite it
        health = Counter(outcomes.get(u) for u in urls if outcomes.get(u))
        dead.update(u for u in urls if outcomes.get(u) == "dead")
        rules = sorted({rule for (rule, _severity) in data.by_document.get(d["id"], {})})
        rows.append({"doc": d, "health": dict(health), "href": f"documents/{d['slug']}.html",
                     "title": stored_title(db, d), "rules": " ".join(rules)})
        if not d["error"]:
            page = render_document(env, db, d, run, outcomes, elsewhere, data=data, doc_pages=doc_pages)
            write_atomic(pages / f"{d['slug']}.html", page)
    # The documents that need the editor first: by errors (an unreadable one first among equals), warnings, info.
    rows.sort(key=lambda r: (-(r["doc"]["errors"] or 0), not r["doc"]["error"], -(r["doc"]["warnings"] or 0),
                             -(r["doc"]["infos"] or 0), r["doc"]["path"]))
    by_rule: Counter[tuple[str, str]] = Counter()
    for counts in data.by_document.values():
        by_rule.update(counts)
    history = store.outcome_history(db)
    index = env.get_template("index.html").render(
        run=run, rows=rows, version=__version__, homepage=HOMEPAGE,
        verdict=verdict(documents, len(dead) if outcomes else None),
        totals={s: sum(d[f"{s}s" if s != "info" else "infos"] or 0 for d in documents) for s in SEVERITIES},
        rule_chart=Markup(rule_bars(by_rule, "Findings by rule", "?rule=")) if by_rule else None,
        outcome_chart=Markup(outcome_chart(history)) if history else None,
        any_links=bool(outcomes), static="static",
    )
    target = out_dir / "index.html"
    write_atomic(target, index)
    return target


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def verdict(documents: list[dict[str, Any]], dead_links: int | None) -> str:
    """The editor's answer in one line: "9 errors in 1 of 5 documents; 3 dead links"."""
    read = [d for d in documents if not d["error"]]
    errors = sum(d["errors"] or 0 for d in read)
    with_errors = sum(1 for d in read if d["errors"])
    where = f"in {with_errors} of {plural(len(read), 'document')}" if len(read) > 1 else "in the document"
    if errors:
        parts = [f"{plural(errors, 'error')} {where}"]
    elif read:
        parts = [f"no errors in {plural(len(read), 'document')}" if len(read) > 1 else "no errors in the document"]
    else:
        parts = ["no document could be read"]
    unreadable = len(documents) - len(read)
    if unreadable and read:
        parts.append(f"{plural(unreadable, 'document')} could not be read")
    if dead_links is not None:
        parts.append(f"{plural(dead_links, 'dead link')}" if dead_links else "no dead links")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_RST_RULE = re.compile(r"^([=\-~^\"'`#*+.:_])\1{2,}[ \t]*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<t>[^*_].*?)\1\s*$")


def stored_title(db: sqlite_utils.Database, d: dict[str, Any]) -> str | None:
    """A stored document's title: found when it was audited, or (runs before 0008-incremental) now."""
    if d.get("text_sha256"):
        return d.get("title")
    return document_title(store.document_text(db, d), d["format"])


def document_title(text: str | None, fmt: str | None) -> str | None:
    """The document's title for the index: its first heading (Markdown ATX or setext, a heading of an HTML
    page, an underlined reStructuredText title, `title:` in YAML front matter, a bold line alone), or in
    plain text a short first line that reads like a heading. None when there is no such line; reference
    list headings ("Daftar Pustaka") are never a title."""
    from auditor.parsing.sections import heading_kind

    lines = (text or "").split("\n", 400)[:400]
    start = 0
    if fmt == "md" and lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:60], 1):
            if line.strip() in ("---", "..."):
                start = i + 1
                break
            m = re.match(r"^title:\s*(.+)$", line)
            if m and (found := _clean_title(m.group(1).strip().strip("\"'"))):
                return found
    seen = 0
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        seen += 1
        following = lines[i + 1] if i + 1 < len(lines) else ""
        candidate = None
        if m := _ATX.match(line):  # also in plain text: Word and web exports keep Markdown headings
            candidate = m.group(2)
        elif fmt == "md" and _SETEXT.match(following) and not line.lstrip().startswith(("-", "*", "+", ">", "|")):
            candidate = line
        elif fmt == "md" and (m := _BOLD_LINE.match(line)):
            candidate = m.group("t")
        elif fmt == "txt" and _RST_RULE.match(following) and len(following.strip()) >= len(line.strip()) - 1:
            candidate = line
        elif fmt == "txt" and seen == 1 and _reads_like_heading(line):
            candidate = line
        title = _clean_title(candidate) if candidate else None
        if title and not heading_kind(title):
            return title
        if fmt == "txt" and seen >= 3:
            break  # plain text: a title is at the top or not at all
    return None


def _reads_like_heading(line: str) -> bool:
    """A plain-text first line that is short and ends without sentence punctuation."""
    stripped = line.strip()
    return (1 <= len(stripped.split()) <= 14 and len(stripped) <= 120 and not re.search(r"[.,;:!?)\]]$", stripped)
            and not _RST_RULE.match(stripped))


def _clean_title(raw: str) -> str | None:
    text = re.sub(r"\s*\{[#.][^{}]*\}\s*$", "", raw)  # Pandoc attributes
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [label](url) → label
    text = re.sub(r"<sup>.*?</sup>|<[^<>]{1,200}>", "", text, flags=re.I)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    text = " ".join(text.split()).strip(" _")
    if not text or not re.search(r"\w", text):
        return None
    return text if len(text) <= 160 else text[:159] + "…"


def render_document(env: Environment, db: sqlite_utils.Database, d: dict[str, Any], run: dict[str, Any],
                    outcomes: dict[str, str], elsewhere: dict[int, str] | None = None, *,
                    data: store.ReportData | None = None, doc_pages: dict[int, tuple[str, str]] | None = None) -> str:
    """One document's page; elsewhere: the page of each entry of its manuscript, for links into other files;
    doc_pages: the page and file name of each document of the run, for citing lines in other files."""
    if data is None:
        data = store.report_data(db, d["run_id"])
    doc_pages = doc_pages or {}
    entries = store.document_entries(db, d["id"])
    citations = store.document_citations(db, d["id"])
    findings = store.document_findings(db, d["id"], by_column=False)
    # What an editor fixes first comes first: errors, then warnings, then notes; within each, by line.
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (bool(f["suppressed"]), rank.get(f["severity"], 9), f["line"] or 0,
                                 f["column"] or 0, f["rule"]))
    totals = {"findings": len(findings), "entries": len(entries)}
    findings = findings[:MAX_ROWS]  # the most serious ones when some must be left out
    entries = entries[:MAX_ROWS]
    entry_line = {e["id"]: e["line"] for e in entries}
    pages = {i: page for i, page in (elsewhere or {}).items() if i not in entry_line}
    cited_entry = {}
    for c in citations:
        candidates = json.loads(c["candidates"] or "[]")
        cited_entry[c["id"]] = c["entry_id"] or c["suggestion_entry_id"] or (candidates[0] if candidates else None)
    for f in findings:
        # A finding about a citation links to the entry it (probably) means, so that a reader gets from
        # the finding to the line and to the entry in one click each.
        f["entry_ref"] = f["entry_id"] or cited_entry.get(f["citation_id"])
        f["entry_line"] = entry_line.get(f["entry_ref"])
        f["entry_href"] = f"{pages.get(f['entry_ref'], '')}#E{f['entry_ref']}"
    by_entry: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["entry_id"] is not None:
            by_entry[f["entry_id"]].append(f)
    sources = store.source_statuses(db)
    for e in entries:
        e["source"] = _entry_source(e, sources) if sources else None
        e["url_list"] = [{"url": u, "href": safe_url(u), "outcome": outcomes.get(u)}
                         for u in json.loads(e["urls"] or "[]")]
        e["findings"] = by_entry.get(e["id"], [])
        e["author_list"] = _authors(e["authors"])
        citing = data.citing.get(e["id"], [])
        e["cited_n"] = len(citing)
        e["cited_by"] = [
            {"href": f"#L{line}", "label": where(line, locator)} if doc == d["id"] else
            {"href": f"{doc_pages[doc][0]}#L{line}", "label": f"{doc_pages[doc][1]} {where(line, locator)}"}
            for doc, line, locator in citing[:MAX_CITING] if doc == d["id"] or doc in doc_pages]
    text = store.document_text(db, d) or ""
    lines = text[:MAX_TEXT_CHARS].split("\n")[:MAX_TEXT_LINES]
    if len(text) > MAX_TEXT_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last line may have been cut in the middle
    totals["lines"] = text.count("\n") + 1
    truncated = {k: (shown, totals[k]) for k, shown in
                 (("findings", len(findings)), ("entries", len(entries)), ("lines", len(lines)))
                 if shown < totals[k]}
    text_html = _text_html(lines, citations, findings, pages)
    rules = sorted({f["rule"] for f in findings})
    counts = Counter(f["severity"] for f in findings if not f["suppressed"])
    by_rule = data.by_document.get(d["id"], Counter())
    return env.get_template("document.html").render(
        doc=d, run=run, entries=entries, findings=findings, rules=rules, counts=counts,
        text_html=text_html, version=__version__, homepage=HOMEPAGE, static="../static",
        severities=SEVERITIES, truncated=truncated, title=stored_title(db, d),
        rule_chart=Markup(rule_bars(by_rule, "Findings by rule", "?rule=", "#findings")) if by_rule else None,
    )


def where(line: int | None, locator: str | None = None, column: int | None = None) -> str:
    """"line 12", "line 12, column 5", "line 12 (page 4)" when the reader gave a place in the original file."""
    if not line:
        return "whole document"
    text = f"line {line}, column {column}" if column else f"line {line}"
    return f"{text} ({locator})" if locator else text


def _authors(raw: str | None) -> list[str]:
    try:
        authors = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(a) for a in authors if a] if isinstance(authors, list) else []


SOURCE_LABELS = {"found": "verified", "retracted": "retracted", "concern": "notice issued",
                 "not-found": "not found in any registry", "doi-not-found": "DOI does not exist",
                 "other-agency": "DOI of another agency"}
REGISTRIES = {"crossref": "Crossref", "datacite": "DataCite", "openalex": "OpenAlex"}


def _entry_source(e: dict[str, Any], sources: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The registry status of an entry's work (from the sources table), with a link to the record."""
    from auditor.sources import Query

    year = e["year"][:4] if e["year"] and e["year"][:4].isdigit() else None
    try:
        authors = json.loads(e["authors"] or "[]")
    except ValueError:
        authors = []
    key = Query(e["doi"], e["title"], authors[:3], int(year) if year else None).key()
    row = sources.get(key)
    if row is None:
        return None
    status = row["verdict"] or row["status"]
    notices = json.loads(row["notices"] or "[]")
    return {"status": status, "label": SOURCE_LABELS.get(status, status), "href": safe_url(row["record_url"]),
            "registry": REGISTRIES.get(row["registry"] or "", row["registry"] or "registry"),
            "title": f"checked {row['checked_at']}" + (f"; {'; '.join(notices)}" if notices else "")}


def _text_html(lines: list[str], citations: list[dict[str, Any]], findings: list[dict[str, Any]],
               pages: dict[int, str] | None = None) -> Markup:
    """The document's text section: each line as escaped HTML, its citations turned into links to their
    entries and its findings listed under it. Built as one string: the whole text is escaped in one call
    and only lines with a citation or a finding get more work, so a page costs little per line (a
    template loop per line made the report of 10,000 documents take minutes)."""
    by_line: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in citations:
        by_line[c["line"]].append(c)
    findings_at: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["line"]:
            findings_at[f["line"]].append(f)
    escaped = str(escape("\n".join(lines))).split("\n")  # escaping never adds or removes a line break
    out: list[str] = []
    for number, text in enumerate(lines, 1):
        cites = by_line.get(number)
        html = str(_highlight(text, cites, pages or {})) if cites else escaped[number - 1]
        found = findings_at.get(number)
        out.append(f'<div class="line{" has-findings" if found else ""}" id="L{number}"><a class="ln" '
                   f'href="#L{number}" aria-label="line {number}">{number}</a><span class="code">{html}</span></div>\n')
        if found:
            out.append(f'<ul class="line-findings" aria-label="findings on line {number}">\n')
            for f in found:
                locator = f" ({escape(f['locator'])})" if f["locator"] else ""
                out.append(f'<li><a href="#F{escape(f["id"])}"><span class="badge sev-{escape(f["severity"])}">'
                           f'{escape(f["severity"])}</span> {escape(f["rule"])}</a>{locator}: {escape(f["message"])}</li>')
            out.append("</ul>\n")
    return Markup("".join(out))


def _highlight(text: str, citations: list[dict[str, Any]], pages: dict[int, str] | None = None) -> Markup:
    spans: list[tuple[int, int, dict[str, Any]]] = []
    for c in sorted(citations, key=lambda c: c["column"] or 0):
        start = max(0, (c["column"] or 1) - 1)
        if c["number"] is not None:
            length = len(str(c["number"]))
        elif c.get("kind") == "key" and c.get("marker"):
            # A key a reader declared (\citep{a,b}): the command as written, on its first line.
            length = min(len(c["marker"].split("\n", 1)[0]), len(text) - start)
        else:
            length = min(len(c["raw"] or ""), len(text) - start)
        if length <= 0 or start >= len(text):
            continue
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, start + length, c))
    out = []
    pos = 0
    for start, end, c in spans:
        out.append(escape(text[pos:start]))
        status = c["status"] or "unresolved"
        label = escape(text[start:end])
        title = escape(f"{status}: {c['raw']}")
        # Every piece is escaped (as Markup.format would, at a fraction of its cost).
        if c["entry_id"] is not None:
            page = escape((pages or {}).get(c["entry_id"], ""))
            out.append(Markup(f'<a class="cite cite-{escape(status)}" href="{page}#E{escape(c["entry_id"])}" '
                              f'title="{title}">{label}</a>'))
        else:
            out.append(Markup(f'<mark class="cite cite-{escape(status)}" title="{title}">{label}</mark>'))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
