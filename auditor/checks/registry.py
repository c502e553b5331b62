"""Rules are data plus a small function: a name, a default severity, wording, and a detector.

Detection lives in the function; the words a person reads live beside it in the decorator, as in
Wikipedia's citation module where every diagnostic is an id, a message template and a help text.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditor.model import Citation, Entry, Finding, ParsedDocument, Severity

if TYPE_CHECKING:
    from auditor.linkcheck.records import LinkRecord
    from auditor.sources import SourceRecord

log = logging.getLogger(__name__)


@dataclass
class Hit:
    """What a rule reports: where, about what, and the values its message template needs."""

    line: int | None
    params: dict[str, Any] = field(default_factory=dict)
    entry: Entry | None = None
    citation: Citation | None = None
    column: int | None = None
    subject: str = ""
    # A lower severity than the rule's when the finding rests on an uncertain reading of the text.
    severity: Severity | None = None
    related: Entry | None = None  # another entry the finding involves (a duplicate's twin)


@dataclass
class AuditContext:
    """What a rule may look at: the parsed document, the day of the audit, the settings."""

    parsed: ParsedDocument
    today: dt.date
    settings: dict[str, Any] = field(default_factory=dict)
    # Results that several rules need, computed once per document (see checks.entries.duplicates).
    cache: dict[str, Any] = field(default_factory=dict)
    # For a file of a manuscript split over several files: every file's entries and citations pooled
    # (see auditor.manuscript). Rules about the whole work (is an entry cited? is the text sourced?)
    # judge `whole`; the others look at their own file.
    manuscript: ParsedDocument | None = None
    # The link checker's records by cited URL (`--check-links`); None when the links were not checked.
    links: Mapping[str, LinkRecord] | None = None
    # Scholarly source verification (--check-sources, `auditor sources`): entry index -> what the
    # registries said. Empty when sources were not checked; the rules of checks/sources.py read it.
    sources: dict[int, SourceRecord] = field(default_factory=dict)

    @property
    def whole(self) -> ParsedDocument:
        """The manuscript this document belongs to, or the document itself."""
        return self.manuscript if self.manuscript is not None else self.parsed

    @property
    def database(self) -> bool:
        """Whether the document is a bibliography database (a .bib): entries and no text of its own."""
        from auditor.documents import BIB_FORMATS

        return self.parsed.document.format in BIB_FORMATS

    def entry(self, index: int | None) -> Entry | None:
        if index is None:
            return None
        # Found through a table built once per list (the first entry of each index, as a scan would
        # find it), so that rules asking for every citation's entry cost the same per citation.
        entries = self.whole.entries
        cached = self.cache.get("entry_by_index")
        if cached is None or cached[0] is not entries or cached[1] != len(entries):
            table: dict[int, Entry] = {}
            for e in entries:
                table.setdefault(e.index, e)
            cached = self.cache["entry_by_index"] = (entries, len(entries), table)
        return cached[2].get(index)


Detector = Callable[[AuditContext], Iterator[Hit]]


@dataclass
class Rule:
    name: str
    severity: Severity
    family: str
    description: str
    message: str
    fix: str
    detect: Detector
    example: str = ""

    @property
    def online(self) -> bool:
        """Whether the rule reads the link checker's records (it reports nothing without --check-links)."""
        return self.family == "links"

    def finding(self, hit: Hit, severity: Severity | None = None) -> Finding:
        params = {k: _short(v) for k, v in hit.params.items()}
        message = self.message.format(**params)
        suggestion = self.fix.format(**params) if self.fix else None
        return Finding(
            rule=self.name,
            severity=severity or self.severity,
            line=hit.line,
            message=message,
            suggestion=suggestion,
            entry_index=hit.entry.index if hit.entry else None,
            citation_index=hit.citation.index if hit.citation else None,
            column=hit.column if hit.column is not None else (hit.citation.column if hit.citation else None),
            subject=hit.subject or _subject(hit),
            related_entry_index=hit.related.index if hit.related else None,
        )


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 160:
        return value[:157] + "…"
    return value


def _subject(hit: Hit) -> str:
    if hit.citation is not None:
        return f"citation:{hit.citation.raw}"
    if hit.entry is not None:
        return f"entry:{' '.join(hit.entry.raw.split())[:200]}"
    return "document"


RULES: dict[str, Rule] = {}


def rule(name: str, *, severity: Severity, family: str, description: str, message: str, fix: str = "",
         example: str = "") -> Callable[[Detector], Detector]:
    """Register a detector under a kebab-case rule name with its wording."""

    def register(func: Detector) -> Detector:
        if name in RULES:
            raise ValueError(f"rule {name} registered twice")
        RULES[name] = Rule(name, severity, family, description, message, fix, func, example)
        return func

    return register


# The rule families that judge a bibliography database (a .bib or CSL file, see documents.BIB_FORMATS):
# the entries themselves and their URLs; not the order of its entries. Within a paper's manuscript the
# citations family too: an entry no citation uses is reported (as info: see checks.citations).
DATABASE_FAMILIES = ("entries", "urls")
DATABASE_IN_MANUSCRIPT_FAMILIES = ("entries", "urls", "citations")
NOT_FOR_DATABASES = {"bibliography-order"}


def run_checks(ctx: AuditContext, enabled: set[str] | None = None,
               severities: dict[str, Severity] | None = None, strict: bool = False) -> list[Finding]:
    """Run every enabled rule; a rule that fails is reported as an internal-error finding, not raised."""
    findings: list[Finding] = []
    database = ctx.database
    families = DATABASE_FAMILIES if ctx.manuscript is None else DATABASE_IN_MANUSCRIPT_FAMILIES
    for name, r in RULES.items():
        if enabled is not None and name not in enabled:
            continue
        if database and (r.family not in families or name in NOT_FOR_DATABASES):
            continue  # a bibliography database has entries to judge, but no text and no order
        try:
            hits = list(r.detect(ctx))
        except Exception as exc:  # one broken rule must not sink the run
            if strict:
                raise
            log.exception("rule %s failed", name)
            findings.append(Finding("internal-error", Severity.WARNING, None,
                                    f"the rule {name} failed on this document: {exc!r}",
                                    "Please report this as a bug in citation-auditor.", subject=f"rule:{name}"))
            continue
        sev = (severities or {}).get(name)
        seen: set[tuple[int | None, int | None, str]] = set()
        for h in hits:
            f = r.finding(h, sev or h.severity)
            if (f.line, f.column, f.message) in seen:
                continue  # the same words at the same place say nothing new
            seen.add((f.line, f.column, f.message))
            findings.append(f)
    findings.sort(key=lambda f: (f.line or 0, f.column or 0, f.rule))
    return findings
