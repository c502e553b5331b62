"""Rules over the link checker's records (`--check-links`, `auditor links`): ordinary detectors that read
`AuditContext.links` (cited URL → LinkRecord) and report nothing when the links were not checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rapidfuzz import fuzz

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.linkcheck.records import LinkRecord, Outcome
from auditor.model import Entry, Severity
from auditor.parsing.text import name_key


def _checked(ctx: AuditContext) -> Iterator[tuple[Entry, str, LinkRecord, dict[str, Any]]]:
    """Each entry's checked URLs with their records and the message parameters they share."""
    if not ctx.links:
        return
    for e in ctx.parsed.entries:
        for url in e.urls:
            rec = ctx.links.get(url)
            if rec is None:
                continue
            yield e, url, rec, {"url": url, "entry": e.label, "detail": rec.detail,
                                "final_url": rec.final_url or url,
                                "archive": f": {rec.archive_url}" if rec.archive_url else ""}


def _with_outcome(ctx: AuditContext, outcome: Outcome) -> Iterator[Hit]:
    for e, url, rec, params in _checked(ctx):
        if rec.outcome == outcome:
            yield Hit(e.line, params, entry=e, subject=f"url:{url}")


@rule("dead-link", severity=Severity.ERROR, family="links",
      description="The cited URL is gone: 404, 410, no such host, connection refused.",
      message="the URL {url} of {entry} is dead ({detail})",
      fix="Find where the page moved, or cite an archived copy{archive}.",
      example="a news article deleted last year (HTTP 404)")
def dead_link(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.DEAD)


@rule("soft-404", severity=Severity.ERROR, family="links",
      description="The URL answers 200 but shows an error page, or a deep link lands on the site's home page.",
      message="the URL {url} of {entry} answers, but with an error page or the home page ({detail})",
      fix="Find the page's new address, or cite an archived copy{archive}.",
      example="a page that says \u201cHalaman tidak ditemukan\u201d with status 200")
def soft_404(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.SOFT_404)


@rule("link-error", severity=Severity.WARNING, family="links",
      description="The server failed (5xx), TLS failed, too many redirects, or the response was invalid.",
      message="the URL {url} of {entry} could not be checked: {detail}",
      fix="Try the link again later; if it keeps failing, replace it.",
      example="HTTP 503 or a certificate error")
def link_error(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.ERROR)


@rule("link-timeout", severity=Severity.WARNING, family="links",
      description="The server did not answer within the time allowed.",
      message="the URL {url} of {entry} did not answer in time ({detail})",
      fix="Try the link again later; if it keeps timing out, replace it.",
      example="a server that never answers")
def link_timeout(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.TIMEOUT)


@rule("link-blocked", severity=Severity.INFO, family="links",
      description="The server refused the checker (401, 403, 429, 999, bot challenge): the page may be fine.",
      message="the URL {url} of {entry} could not be verified: the site blocks automated checks ({detail})",
      fix="Open the link in a browser to confirm it works.",
      example="a Cloudflare challenge (HTTP 403)")
def link_blocked(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.BLOCKED)


@rule("redirected-link", severity=Severity.INFO, family="links",
      description="The URL permanently redirects to a different page.",
      message="the URL {url} of {entry} has moved to {final_url}",
      fix="Cite the new address {final_url}.",
      example="HTTP 301 to a new address")
def redirected_link(ctx: AuditContext) -> Iterator[Hit]:
    return _with_outcome(ctx, Outcome.REDIRECTED)


def title_mismatch(cited: str | None, titles: tuple[str, ...]) -> str | None:
    """The page's title when none of its titles resembles the cited one; None when they agree."""
    if not cited or not titles or len(cited.split()) < 3:
        return None
    want = name_key(cited)
    best = max(max(fuzz.token_set_ratio(want, name_key(t)), fuzz.partial_ratio(want, name_key(t)))
               for t in titles)
    return None if best >= 60 else titles[0]


LIVE = (Outcome.OK, Outcome.REDIRECTED)  # the page was read: its title and date can be compared


@rule("title-mismatch", severity=Severity.WARNING, family="links",
      description="The live page's title does not match the title cited.",
      message="the page at {url} is titled \u201c{page_title}\u201d, not \u201c{title}\u201d as cited in {entry}",
      fix="Check that the URL is the work cited; the content may have changed.",
      example="the URL now shows a different article")
def title_mismatch_rule(ctx: AuditContext) -> Iterator[Hit]:
    for e, url, rec, params in _checked(ctx):
        mismatch = title_mismatch(e.title, rec.titles) if rec.outcome in LIVE else None
        if mismatch:
            yield Hit(e.line, {**params, "page_title": mismatch, "title": e.title}, entry=e, subject=f"url:{url}")


@rule("source-date-mismatch", severity=Severity.WARNING, family="links",
      description="The live page's publication date disagrees with the entry's year.",
      message="the page at {url} was published {published}, but {entry} gives the year {year}",
      fix="Correct the year to {published_year}, or check the URL.",
      example="article:published_time 2024-06-20 for an entry dated 2023")
def source_date_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for e, url, rec, params in _checked(ctx):
        if rec.outcome in LIVE and rec.published and e.year_value and rec.published.year != e.year_value:
            yield Hit(e.line, {**params, "published": rec.published.iso(), "year": e.year,
                               "published_year": rec.published.year}, entry=e, subject=f"url:{url}")
