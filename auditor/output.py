"""Formatters for a stored run: text for people, JSON, SARIF 2.1.0 and GitHub workflow annotations.

Each format is one `Formatter` registered in FORMATTERS, the one place the CLI's `--format` choices
and the configuration's `format` key come from. A formatter reads the run from the database through
the store's queries and returns the text to print or write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import sqlite_utils

from auditor import HOMEPAGE, __version__, store
from auditor.terminal import clean, clean_line

JSON_SCHEMA_VERSION = "1.2"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@dataclass
class RunView:
    """What a formatter is asked to show: a stored run, and how."""

    db: sqlite_utils.Database
    run_id: int
    changes: Changes | None = None
    quiet: bool = False
    link_summary: str | None = None
    colour: bool = False  # text only, for a terminal: never for a file or a pipe
    statistics: bool = False  # counts per rule (--statistics) instead of (text) or beside (JSON) the findings


@dataclass(frozen=True)
class Formatter:
    name: str
    description: str
    render: Callable[[RunView], str]


FORMATTERS: dict[str, Formatter] = {}


def formatter(name: str, description: str) -> Callable[[Callable[[RunView], str]], Callable[[RunView], str]]:
    """Register a function from a RunView to text as the output format `name`."""

    def register(func: Callable[[RunView], str]) -> Callable[[RunView], str]:
        if name in FORMATTERS:
            raise ValueError(f"output format {name} registered twice")
        FORMATTERS[name] = Formatter(name, description, func)
        return func

    return register


def render(fmt: str, db: sqlite_utils.Database, run_id: int, *, changes: Changes | None = None,
           quiet: bool = False, link_summary: str | None = None, colour: bool = False,
           statistics: bool = False) -> str:
    """The run in a registered format."""
    return FORMATTERS[fmt].render(RunView(db, run_id, changes, quiet, link_summary, colour, statistics))


def _documents(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    return store.run_documents(db, run_id)


def _findings(db: sqlite_utils.Database, document_id: int) -> list[dict[str, Any]]:
    return store.document_findings(db, document_id)


# JSON escapes C0 controls itself; these it leaves raw with ensure_ascii=False. They can only occur
# inside strings, where the \u escape is the same data: C1 controls (0x9b is a CSI on some
# terminals), DEL and the bidirectional overrides.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def dumps(data: Any) -> str:
    """JSON text, readable (non-ASCII letters kept) but with no raw control character in it."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@formatter("text", "findings grouped by document, for people (the default)")
def _text(view: RunView) -> str:
    return as_text(view.db, view.run_id, view.changes, view.quiet or view.statistics, view.link_summary,
                   colour=view.colour, statistics=view.statistics)


@formatter("json", "the run as JSON (docs/output.md)")
def _json(view: RunView) -> str:
    data = as_json(view.db, view.run_id, view.changes)
    if view.statistics:
        data["statistics"] = rule_statistics(view.db, view.run_id)
    return dumps(data) + "\n"


@formatter("sarif", "SARIF 2.1.0, for code-scanning tools")
def _sarif(view: RunView) -> str:
    return dumps(as_sarif(view.db, view.run_id)) + "\n"


@formatter("github", "GitHub Actions workflow annotations")
def _github(view: RunView) -> str:
    return as_github(view.db, view.run_id)


def as_text(db: sqlite_utils.Database, run_id: int, changes: Changes | None, quiet: bool,
            link_summary: str | None, colour: bool = False, statistics: bool = False) -> str:
    """Findings grouped by document; every piece of document text escaped, styles only with colour."""
    lines: list[str] = []
    for d in _documents(db, run_id):
        lines.extend(text_document(db, d, quiet or statistics, colour))
    lines.extend(text_summary(db, run_id, changes, quiet, link_summary, colour, statistics))
    return "\n".join(lines) + "\n"


def text_document(db: sqlite_utils.Database, d: dict[str, Any], quiet: bool, colour: bool = False) -> list[str]:
    """One document's lines of the text output (none for a document that could not be read: its error
    was printed on standard error)."""

    def style(text: str, **how: Any) -> str:
        return click.style(text, **how) if colour else text

    if d["error"]:
        return []
    counts = ", ".join(f"{d[k]} {label}" for k, label in
                       (("errors", "errors"), ("warnings", "warnings"), ("infos", "info")))
    header = (f"{clean_line(d['path'])}: {d['entries_count']} entries, {d['citations_count']} citations, "
              f"findings: {counts}" + (" (unchanged: results reused)" if d.get("reused_from") else ""))
    lines = [style(header, bold=True)]
    if quiet:
        return lines
    path = clean_line(d["path"])
    for f in _findings(db, d["id"]):
        if f["suppressed"]:
            continue
        where = f"{path}:{f['line']}" if f["line"] else path
        if f["line"] and f["column"]:
            where += f":{f['column']}"
        sev = style(f"{f['severity']:<7}", fg=COLOURS[f["severity"]])
        lines.append(f"  {where}: {sev} {f['rule']}: {clean_line(f['message'])}")
        if f["suggestion"]:
            lines.append(f"      fix: {clean_line(f['suggestion'])}")
    return lines


def text_summary(db: sqlite_utils.Database, run_id: int, changes: Changes | None, quiet: bool,
                 link_summary: str | None, colour: bool = False, statistics: bool = False) -> list[str]:
    """The closing lines of the text output: counts per rule (with statistics), totals, link and source
    summaries, changes since the last run."""

    def style(text: str, **how: Any) -> str:
        return click.style(text, **how) if colour else text

    lines = statistics_lines(rule_statistics(db, run_id), style) if statistics else []
    totals = store.run_totals(db, run_id)
    reused = f" ({totals['reused']} unchanged, results reused)" if totals["reused"] else ""
    also = f", {totals['baselined']} baselined" if totals["baselined"] else ""
    lines.append(f"{totals['readable']} document(s) audited{reused}: {totals['error']} errors, "
                 f"{totals['warning']} warnings, {totals['info']} info{also} (run {run_id})")
    if link_summary:
        lines.extend(clean_line(part) for part in link_summary.split("\n"))
    if changes is not None:
        lines.append(f"Since run {changes.old_run}: {len(changes.new)} new, {len(changes.fixed)} fixed")
        if not quiet:
            for f in changes.new[:50]:
                lines.append(f"  + {_change_line(f)}")
            for f in changes.fixed[:50]:
                lines.append(f"  - {_change_line(f)}")
    return lines


def as_json(db: sqlite_utils.Database, run_id: int, changes: Changes | None = None) -> dict[str, Any]:
    """The run as JSON; the layout is documented in docs/output.md and versioned by schema_version."""
    run = store.run_row(db, run_id)
    assert run is not None, f"no run {run_id}"
    manuscripts = store.run_manuscripts(db, run_id)
    documents = []
    for d in _documents(db, run_id):
        documents.append({
            "path": d["path"], "sha256": d["sha256"], "format": d["format"], "error": d["error"],
            "manuscript": manuscripts.get(d.get("manuscript_id") or 0),
            "entries": d["entries_count"], "citations": d["citations_count"],
            "counts": {"error": d["errors"], "warning": d["warnings"], "info": d["infos"]},
            "findings": [{
                "rule": f["rule"], "severity": f["severity"], "line": f["line"], "column": f["column"],
                "message": f["message"], "suggestion": f["suggestion"], "fingerprint": f["fingerprint"],
                "suppressed": bool(f["suppressed"]), "baselined": bool(f.get("baselined")),
            } for f in _findings(db, d["id"])],
        })
    out: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "citation-auditor", "version": __version__},
        "run": {"id": run_id, "started_at": run["started_at"], "finished_at": run["finished_at"]},
        "documents": documents,
    }
    if changes is not None:
        out["changes"] = {"since_run": changes.old_run,
                          "new": [c["fingerprint"] for c in changes.new],
                          "fixed": [c["fingerprint"] for c in changes.fixed]}
    return out


def sentence(text: str) -> str:
    """A message as a full sentence: a capital first letter and a full stop (SARIF asks for sentences)."""
    text = " ".join(text.split())
    if not text:
        return text
    if text[0].islower():
        text = text[0].upper() + text[1:]
    return text if re.search(r"[.!?][\"'”’)\]]*$", text) else text + "."


RELATION_TEXT = {
    "entry": "The entry this finding is about.",
    "cited": "The entry this citation points to.",
    "suggested": "The entry this citation probably means.",
    "candidate": "An entry this citation may mean.",
    "related": "The other entry this finding involves (for a duplicate, the entry it repeats).",
    "source": "The listed work this note cites.",
}
MAX_RELATED = 10


def related_places(f: dict[str, Any], places: store.RunPlaces) -> list[tuple[str, dict[str, Any]]]:
    """The entries a finding relates to, each once, as (relation, entry place), the finding's own line
    left out: the entry a citation points to (or probably means, or may mean), a duplicate's twin, the
    listed work of a note."""
    wanted: list[tuple[str, int | None]] = []
    cited = places.citations.get(f["citation_id"]) if f["citation_id"] else None
    if f["entry_id"]:
        wanted.append(("entry", f["entry_id"]))
    if cited is not None:
        wanted.append(("cited", cited["entry_id"]))
        wanted.append(("suggested", cited["suggestion_entry_id"]))
        wanted.extend(("candidate", e) for e in cited["candidates"])
    if f.get("related_entry_id"):
        wanted.append(("related", f["related_entry_id"]))
    for _, e in list(wanted):
        source = places.entries.get(e)["source_entry_id"] if e in places.entries else None  # type: ignore[index]
        if source:
            wanted.append(("source", source))
    out: list[tuple[str, dict[str, Any]]] = []
    seen = {(f["path"], f["line"])}
    for relation, entry_id in wanted:
        place = places.entries.get(entry_id) if entry_id else None
        if place is None or (place["path"], place["line"]) in seen:
            continue
        seen.add((place["path"], place["line"]))
        out.append((relation, place))
    return out[:MAX_RELATED]


def as_sarif(db: sqlite_utils.Database, run_id: int) -> dict[str, Any]:
    """SARIF 2.1.0, as code-scanning tools read it: messages are sentences with the fix, and a result
    carries the entries it relates to (the entry a citation points to, a duplicate's twin) as
    relatedLocations."""
    from auditor.checks import RULES

    rule_ids = list(RULES)
    rules = [{
        "id": r.name,
        "name": "".join(part.capitalize() for part in r.name.split("-")),
        "shortDescription": {"text": r.description},
        "fullDescription": {"text": f"{r.description} Example: {r.example}" if r.example else r.description},
        "helpUri": f"{HOMEPAGE}/blob/main/docs/rules.md#{r.name}",
        "defaultConfiguration": {"level": SARIF_LEVEL[r.severity.value]},
        "properties": {"family": r.family},
    } for r in RULES.values()]
    results = []
    artifacts: list[dict[str, Any]] = []
    places = store.run_places(db, run_id)
    for d in _documents(db, run_id):
        uri = Path(d["path"]).as_posix()
        artifacts.append({"location": {"uri": uri}})
        for f in _findings(db, d["id"]):
            region: dict[str, Any] = {"startLine": f["line"] or 1}
            if f["column"]:
                region["startColumn"] = f["column"]
            text = sentence(f["message"]) + (f" Fix: {sentence(f['suggestion'])}" if f["suggestion"] else "")
            result: dict[str, Any] = {
                "ruleId": f["rule"],
                "level": SARIF_LEVEL[f["severity"]],
                "message": {"text": text},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
                "partialFingerprints": {"citationAuditor/v1": f["fingerprint"]},
            }
            related = related_places(f, places)
            if related:
                result["relatedLocations"] = [{
                    "id": i,
                    "physicalLocation": {"artifactLocation": {"uri": Path(place["path"]).as_posix()},
                                         "region": {"startLine": place["line"] or 1}},
                    "message": {"text": RELATION_TEXT[relation]},
                } for i, (relation, place) in enumerate(related, 1)]
            if f["rule"] in rule_ids:
                result["ruleIndex"] = rule_ids.index(f["rule"])
            if f.get("baselined"):
                result["suppressions"] = [{"kind": "external",
                                           "justification": "Recorded in the baseline file (--baseline)."}]
            elif f["suppressed"]:
                result["suppressions"] = [{"kind": "inSource"}]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "citation-auditor", "version": __version__,
                                "informationUri": HOMEPAGE, "rules": rules}},
            "artifacts": artifacts,
            "results": results,
        }],
    }


def rule_statistics(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """Findings that count per rule and severity, most first (as `ruff --statistics`): count, rule,
    severity, description."""
    from auditor.catalogue import RULES

    rank = {"error": 0, "warning": 1, "info": 2}
    rows = [{"count": r["n"], "rule": r["rule"], "severity": r["severity"],
             "description": RULES[r["rule"]].description if r["rule"] in RULES else "A rule failed on a document."}
            for r in store.rule_counts(db, run_id)]
    rows.sort(key=lambda r: (-r["count"], rank.get(r["severity"], 3), r["rule"]))
    return rows


def statistics_lines(rows: list[dict[str, Any]], style: Callable[..., str] = lambda t, **_: t) -> list[str]:
    if not rows:
        return ["No findings."]
    count_w = max(len(str(r["count"])) for r in rows)
    rule_w = max(len(r["rule"]) for r in rows)
    return [f"{r['count']:>{count_w}}  {r['rule']:<{rule_w}}  "
            f"{style(r['severity'].ljust(7), fg=COLOURS.get(r['severity']))}  {r['description']}" for r in rows]


def _change_line(f: dict[str, Any], severity: bool = False) -> str:
    sev = f"{f['severity']} " if severity else ""
    return f"{clean_line(f['path'])}:{f['line'] or ''} {sev}{f['rule']}: {clean_line(f['message'])}"


def _escape_data(text: str) -> str:
    # Control characters other than line breaks are shown escaped: a CI log renders ANSI sequences.
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(db: sqlite_utils.Database, run_id: int) -> str:
    """GitHub Actions workflow commands: `::error file=…,line=…::message`."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for d in _documents(db, run_id):
        if d["error"]:
            lines.append(f"::error file={_escape_property(d['path'])}::{_escape_data(d['error'])}")
            continue
        for f in _findings(db, d["id"]):
            if f["suppressed"]:
                continue
            props = [f"file={_escape_property(d['path'])}"]
            if f["line"]:
                props.append(f"line={f['line']}")
            if f["column"]:
                props.append(f"col={f['column']}")
            props.append(f"title={_escape_property(f['rule'])}")
            message = f["message"] + (f"\nFix: {f['suggestion']}" if f["suggestion"] else "")
            lines.append(f"::{level[f['severity']]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass
class Changes:
    old_run: int
    new_run: int
    new: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)


def changes_between(db: sqlite_utils.Database, old_run: int, new_run: int) -> Changes:
    """Findings new in new_run and fixed since old_run, by fingerprint, for the documents both audited
    and the rules both runs had enabled (a narrower --select, or a run without --check-links, fixes
    nothing)."""
    shared = store.document_names(db, old_run) & store.document_names(db, new_run)
    rules = _both(run_rules(db, old_run), run_rules(db, new_run))

    def load(run: int) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for r in store.unsuppressed_findings(db, run, other=new_run if run == old_run else old_run):
            if r["doc_name"] in shared and (rules is None or r["rule"] in rules or r["rule"] == "internal-error"):
                out.setdefault(r["fingerprint"], []).append(r)
        return out

    old, new = load(old_run), load(new_run)
    changes = Changes(old_run, new_run)
    for fp, rows in new.items():
        extra = len(rows) - len(old.get(fp, []))
        changes.new.extend(rows[len(rows) - extra:] if extra > 0 else [])
    for fp, rows in old.items():
        extra = len(rows) - len(new.get(fp, []))
        changes.fixed.extend(rows[len(rows) - extra:] if extra > 0 else [])
    return changes


def _both(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    if a is None or b is None:
        return a if b is None else b
    return a & b


def run_rules(db: sqlite_utils.Database, run_id: int) -> set[str] | None:
    """The rules a run had enabled, from its stored settings (None when they do not say): the rules it
    recorded, else its select and ignore; the link and source rules only with their checks."""
    from auditor.catalogue import RULES
    from auditor.config import expand_rules
    from auditor.errors import ConfigError

    run = store.run_row(db, run_id)
    try:
        settings = json.loads(run["settings"] or "{}") if run else {}
    except ValueError:
        return None
    if not isinstance(settings, dict):
        return None
    if isinstance(settings.get("rules"), list):
        return {str(r) for r in settings["rules"]}
    if "select" not in settings:
        return None
    try:
        chosen = expand_rules(list(settings["select"] or ["ALL"]), "select")
        chosen -= expand_rules(list(settings.get("ignore") or []), "ignore")
    except (ConfigError, TypeError):
        return None  # names a later or earlier version knew: compare everything
    return {r for r in chosen if r in RULES and (RULES[r].family != "links" or settings.get("check_links"))
            and (RULES[r].family != "sources" or settings.get("check_sources"))}


def format_changes(changes: Changes, fmt: str) -> str:
    if fmt == "json":
        def row(r: dict[str, Any]) -> dict[str, Any]:
            return {k: r[k] for k in ("path", "rule", "severity", "line", "message", "fingerprint")}

        return dumps({"old_run": changes.old_run, "new_run": changes.new_run,
                      "new": [row(r) for r in changes.new], "fixed": [row(r) for r in changes.fixed]})
    lines = [f"Run {changes.old_run} → run {changes.new_run}: {len(changes.new)} new, {len(changes.fixed)} fixed"]
    for r in changes.new:
        lines.append(f"  + {_change_line(r, severity=True)}")
    for r in changes.fixed:
        lines.append(f"  - {_change_line(r, severity=True)}")
    return "\n".join(lines)
