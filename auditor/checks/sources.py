"""Rules over the records of scholarly source verification (`--check-sources`, `auditor sources`).

Each reads `ctx.sources` (entry index -> SourceRecord, from `auditor.sources`); without a source check
the mapping is empty and they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.model import Entry, Severity
from auditor.sources import SourceRecord

FAMILY = "sources"
NAMES = {"crossref": "Crossref", "datacite": "DataCite", "openalex": "OpenAlex"}


def _records(ctx: AuditContext, *verdicts: str) -> Iterator[tuple[Entry, SourceRecord]]:
    if not ctx.sources:
        return
    for e in ctx.parsed.entries:
        rec = ctx.sources.get(e.index)
        if rec is not None and (not verdicts or rec.verdict in verdicts):
            yield e, rec


def _authors(rec: SourceRecord) -> str:
    names = rec.work.author_names() if rec.work else []
    if not names:
        return "no author named"
    return "; ".join(names[:3]) + (" et al." if len(names) > 3 else "")


@rule("doi-not-found", severity=Severity.ERROR, family=FAMILY,
      description="The entry's DOI resolves in no registry: not in Crossref or DataCite, and doi.org says it does not exist.",
      message="the DOI {doi} of {entry} does not exist (not in Crossref or DataCite, unknown to doi.org)",
      fix="Check the DOI on the publisher's page of the work and correct it, or remove it.",
      example="https://doi.org/10.1234/jai.2020.6 for an article whose DOI ends in .5")
def doi_not_found(ctx: AuditContext) -> Iterator[Hit]:
    for e, _rec in _records(ctx, "doi-not-found"):
        yield Hit(e.line, {"doi": e.doi, "entry": e.label}, entry=e, subject=f"doi:{e.doi}")


@rule("doi-mismatch", severity=Severity.ERROR, family=FAMILY,
      description="The entry's DOI belongs to another work: the record's title and authors both disagree with the entry.",
      message="the DOI {doi} of {entry} names another work: \u201c{title}\u201d by {authors} ({year})",
      fix="Give the cited work's own DOI, or correct the reference to the work this DOI names ({record_url}).",
      example="a DOI copied from the neighbouring entry")
def doi_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx, "doi-mismatch"):
        assert rec.work is not None
        yield Hit(e.line, {"doi": e.doi, "entry": e.label, "title": rec.work.title, "authors": _authors(rec),
                           "year": rec.work.year or "n.d.", "record_url": rec.work.record_url},
                  entry=e, subject=f"doi:{e.doi}")


@rule("retracted-source", severity=Severity.ERROR, family=FAMILY,
      description="The cited work was retracted or withdrawn (Crossref update notices, OpenAlex is_retracted); "
                  "the suggestion names each notice and the registry that says so.",
      message="{entry} cites a retracted work: {notice}",
      fix="Remove the citation, or cite the work as retracted and say why it is still cited (notice: {notice}).",
      example="an article with a Crossref `updated-by` retraction notice")
def retracted_source(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx):
        notices = rec.retractions
        if not notices or rec.verdict in ("doi-mismatch", "doi-not-found"):
            continue
        text = "; ".join(dict.fromkeys(n.describe() for n in notices))
        yield Hit(e.line, {"entry": e.label, "notice": text}, entry=e, subject=f"retracted:{rec.key}")


@rule("source-concern", severity=Severity.WARNING, family=FAMILY,
      description="An expression of concern or a correction was issued about the cited work.",
      message="{what} was issued about the work {entry} cites: {notice}",
      fix="Read the notice ({notice}) and check that what the text takes from this source still holds.",
      example="a Crossref `updated-by` expression of concern or correction")
def source_concern(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx):
        if rec.verdict in ("doi-mismatch", "doi-not-found") or rec.retraction is not None:
            continue
        for n in rec.concerns:
            what = n.kind.replace("_", " ")
            what = what[:1].upper() + what[1:]
            yield Hit(e.line, {"what": f"an {what}" if what[:1] in "AEIOU" else f"a {what}", "entry": e.label,
                               "notice": n.describe()}, entry=e, subject=f"concern:{rec.key}:{n.kind}:{n.doi}")


@rule("reference-not-found", severity=Severity.WARNING, family=FAMILY,
      description="A scholarly-looking entry matches no record in Crossref or OpenAlex: possibly a fabricated "
                  "reference. Never reported for web pages, news, laws or grey literature; info for books, "
                  "chapters and theses, which registries hold fewer of.",
      message="{entry} matches no record in Crossref or OpenAlex: the {kind} may not exist",
      fix="Find the work at its publisher or in a library catalogue and add its DOI; remove the reference if it "
          "cannot be found (it may be fabricated).",
      example="a plausible article title with real-looking authors that no journal ever published")
def reference_not_found(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx, "not-found"):
        weak = rec.kind in ("book", "chapter", "thesis")
        kind = {"article": "article", "book": "book", "chapter": "chapter", "thesis": "thesis"}.get(rec.kind, "work")
        yield Hit(e.line, {"entry": e.label, "kind": kind}, entry=e, subject=f"not-found:{rec.key}",
                  severity=Severity.INFO if weak else None)


@rule("metadata-mismatch", severity=Severity.WARNING, family=FAMILY,
      description="The cited work's record exists, but a field disagrees: year, title, authors, journal, volume "
                  "or pages.",
      message="the {field} of {entry} disagrees with the {registry} record: {cited} cited, {value} registered",
      fix="Correct the {field} to the registered value: {value} ({record_url}).",
      example="an entry dated 2021 for an article published in 2019")
def metadata_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx, "mismatch", "retracted", "concern"):
        if rec.work is None:
            continue
        for name, cited, value in rec.mismatches:
            yield Hit(e.line, {"field": name, "entry": e.label, "cited": cited, "value": value,
                               "registry": NAMES.get(rec.work.registry, rec.work.registry),
                               "record_url": rec.work.record_url},
                      entry=e, subject=f"mismatch:{rec.key}:{name}")


@rule("missing-doi", severity=Severity.INFO, family=FAMILY,
      description="A registry holds a DOI for the cited work and the entry does not give it.",
      message="{entry} has no DOI, but {registry} gives this work one: {doi}",
      fix="Add the DOI: https://doi.org/{doi}",
      example="a journal article cited without its DOI")
def missing_doi(ctx: AuditContext) -> Iterator[Hit]:
    for e, rec in _records(ctx, "verified", "mismatch", "retracted", "concern"):
        if e.doi or rec.work is None or not rec.work.doi or rec.via != "search":
            continue
        yield Hit(e.line, {"entry": e.label, "doi": rec.work.doi,
                           "registry": NAMES.get(rec.work.registry, rec.work.registry)},
                  entry=e, subject=f"missing-doi:{rec.work.doi}")
