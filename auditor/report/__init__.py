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

from auditor import HOMEPAGE, __version__
from auditor.fileio import write_atomic
from auditor.report.charts import bar_chart, outcome_chart

SEVERITIES = ("error", "warning", "info")
# A document's page is bounded whatever the document's size (a 19 MB input once made a 331 MB page that
# took 4 GB to render): past these limits the page says what it leaves out; the database has it all.
MAX_TEXT_CHARS = 2_000_000
MAX_TEXT_LINES = 50_000
MAX_ROWS = 5_000  # findings in the table, entries in the reference list


def _env() -> Environment:
    folder = resources.files("auditor.report") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
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
    run = next(db.query("select * from runs where id = ?", [run_id]))
    documents = list(db.query("select * from documents where run_id = ? order by id", [run_id]))
    outcomes = _link_outcomes(db)
    taken: set[str] = set()
    rows = []
    by_rule: Counter[str] = Counter()
    for d in documents:
        d["slug"] = slug(Path(d["path"]).stem, taken)
    elsewhere = _manuscript_entry_pages(db, run_id, {d["id"]: d["slug"] for d in documents})
    for d in documents:
        findings = list(db.query("select rule, severity from findings where document_id = ? and suppressed = 0",
                                 [d["id"]]))
        by_rule.update(f["rule"] for f in findings)
        health = Counter(outcomes.get(u) for u in _document_urls(db, d["id"]) if outcomes.get(u))
        rows.append({"doc": d, "health": dict(health), "href": f"documents/{d['slug']}.html"})
        if not d["error"]:
            page = render_document(env, db, d, run, outcomes, elsewhere)
            write_atomic(pages / f"{d['slug']}.html", page)
    history = _outcome_history(db)
    index = env.get_template("index.html").render(
        run=run, rows=rows, version=__version__, homepage=HOMEPAGE,
        rule_chart=Markup(bar_chart(by_rule.most_common(), "Findings by rule")) if by_rule else None,
        outcome_chart=Markup(outcome_chart(history)) if history else None,
        any_links=bool(outcomes), static="static",
    )
    target = out_dir / "index.html"
    write_atomic(target, index)
    return target


def _document_urls(db: sqlite_utils.Database, document_id: int) -> list[str]:
    return [r["url"] for r in db.query(
        "select l.url from entry_links l join entries e on e.id = l.entry_id where e.document_id = ?",
        [document_id])]


def _manuscript_entry_pages(db: sqlite_utils.Database, run_id: int, slugs: dict[int, str]) -> dict[int, str]:
    """For the entries of files audited as one manuscript: entry id → the page of the file it is in."""
    rows = db.query("select e.id, e.document_id from entries e join documents d on d.id = e.document_id "
                    "where d.run_id = ? and d.manuscript_id is not null", [run_id])
    return {r["id"]: f"{slugs[r['document_id']]}.html" for r in rows}


def _link_outcomes(db: sqlite_utils.Database) -> dict[str, str]:
    if "links" not in db.table_names():
        return {}
    return {r["url"]: r["outcome"] for r in db.query("select url, outcome from links")}


def _outcome_history(db: sqlite_utils.Database) -> list[tuple[str, dict[str, int]]]:
    """Per day of checking, how many URLs had each outcome."""
    if "link_checks" not in db.table_names():
        return []
    days: dict[str, Counter[str]] = defaultdict(Counter)
    for r in db.query("select substr(checked_at, 1, 10) as day, outcome, count(*) as n from link_checks "
                      "group by day, outcome order by day"):
        days[r["day"]][r["outcome"]] += r["n"]
    return [(day, dict(counts)) for day, counts in sorted(days.items())]


def render_document(env: Environment, db: sqlite_utils.Database, d: dict[str, Any], run: dict[str, Any],
                    outcomes: dict[str, str], elsewhere: dict[int, str] | None = None) -> str:
    """One document's page; elsewhere: the page of each entry of its manuscript, for links into other files."""
    entries = list(db.query("select * from entries where document_id = ? order by line", [d["id"]]))
    citations = list(db.query("select * from citations where document_id = ? order by line, \"column\"",
                              [d["id"]]))
    findings = list(db.query(
        "select * from findings where document_id = ? order by coalesce(line, 0), rule", [d["id"]]))
    totals = {"findings": len(findings), "entries": len(entries)}
    # The most serious findings first when some must be left out.
    if len(findings) > MAX_ROWS:
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        keep = sorted(findings, key=lambda f: (rank.get(f["severity"], 9), f["line"] or 0))[:MAX_ROWS]
        kept_ids = {f["id"] for f in keep}
        findings = [f for f in findings if f["id"] in kept_ids]
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
    sources = _source_statuses(db)
    for e in entries:
        e["source"] = _entry_source(e, sources) if sources else None
        e["url_list"] = [{"url": u, "href": safe_url(u), "outcome": outcomes.get(u)}
                         for u in json.loads(e["urls"] or "[]")]
        e["findings"] = by_entry.get(e["id"], [])
    text = d["text"] or ""
    lines = text[:MAX_TEXT_CHARS].split("\n")[:MAX_TEXT_LINES]
    if len(text) > MAX_TEXT_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last line may have been cut in the middle
    totals["lines"] = text.count("\n") + 1
    truncated = {k: (shown, totals[k]) for k, shown in
                 (("findings", len(findings)), ("entries", len(entries)), ("lines", len(lines)))
                 if shown < totals[k]}
    text_rows = _text_rows(lines, citations, findings, entries, pages)
    rules = sorted({f["rule"] for f in findings})
    counts = Counter(f["severity"] for f in findings if not f["suppressed"])
    return env.get_template("document.html").render(
        doc=d, run=run, entries=entries, findings=findings, rules=rules, counts=counts,
        text_rows=text_rows, version=__version__, homepage=HOMEPAGE, static="../static",
        severities=SEVERITIES, truncated=truncated,
    )


SOURCE_LABELS = {"found": "verified", "retracted": "retracted", "concern": "notice issued",
                 "not-found": "not found in any registry", "doi-not-found": "DOI does not exist",
                 "other-agency": "DOI of another agency"}
REGISTRIES = {"crossref": "Crossref", "datacite": "DataCite", "openalex": "OpenAlex"}


def _source_statuses(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    from auditor.store import source_statuses

    return source_statuses(db)


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


def _text_rows(lines: list[str], citations: list[dict[str, Any]], findings: list[dict[str, Any]],
               entries: list[dict[str, Any]], pages: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Each line of the document as escaped HTML with its citations turned into links to their entries."""
    by_line: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in citations:
        by_line[c["line"]].append(c)
    findings_at: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        if f["line"]:
            findings_at[f["line"]].append(f)
    entry_starts = {e["line"]: e for e in entries}
    rows = []
    for number, text in enumerate(lines, 1):
        rows.append({
            "number": number,
            "html": _highlight(text, by_line.get(number, []), pages or {}),
            "findings": findings_at.get(number, []),
            "entry": entry_starts.get(number),
        })
    return rows


def _highlight(text: str, citations: list[dict[str, Any]], pages: dict[int, str] | None = None) -> Markup:
    spans: list[tuple[int, int, dict[str, Any]]] = []
    for c in sorted(citations, key=lambda c: c["column"] or 0):
        start = max(0, (c["column"] or 1) - 1)
        if c["number"] is not None:
            length = len(str(c["number"]))
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
        if c["entry_id"] is not None:
            out.append(Markup('<a class="cite cite-{s}" href="{p}#E{e}" title="{t}">{l}</a>').format(
                s=status, p=(pages or {}).get(c["entry_id"], ""), e=c["entry_id"], t=title, l=label))
        else:
            out.append(Markup('<mark class="cite cite-{s}" title="{t}">{l}</mark>').format(
                s=status, t=title, l=label))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
