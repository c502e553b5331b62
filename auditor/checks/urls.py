"""Checks on the URLs of entries: validity, embedded dates, slugs, look-alike domains."""

from __future__ import annotations

from collections.abc import Iterator

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from auditor.checks.entries import references
from auditor.checks.registry import AuditContext, Hit, rule
from auditor.model import Severity
from auditor.parsing.text import compact_key, fold, words
from auditor.parsing.urls import domain_label, is_doi_url, url_date, url_problem, url_slug


@rule("malformed-url", severity=Severity.ERROR, family="urls",
      description="A URL that cannot be a working web address: invalid host or top-level domain, spaces, "
                  "unbalanced brackets, escape characters left inside it.",
      message="the URL {url} in {entry} is malformed: {why}",
      fix="Copy the address again from the browser's address bar.",
      example="<https://www.setneg.go/> (no such top-level domain)")
def malformed_url(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        for url, written in zip(e.urls, e.raw_urls):
            why = url_problem(url, written)
            if why:
                yield Hit(e.line, {"url": url, "entry": e.label, "why": why}, entry=e, subject=f"url:{url}")


@rule("year-url-mismatch", severity=Severity.WARNING, family="urls",
      description="The entry's year disagrees with a date written in its URL.",
      message="{entry} is dated {year}, but its URL is dated {url_date}",
      fix="Check the publication year; the URL says {url_year}.",
      example="Kompas.com. 2023. … <https://www.kompas.com/global/read/2024/06/20/…>")
def year_url_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        if e.year_value is None:
            continue
        for url in e.urls:
            if is_doi_url(url):
                continue
            d = url_date(url)
            if d and "/uploads/" in url and d.year > e.year_value:
                continue  # a file uploaded after it was published (/wp-content/uploads/2010/…) is normal
            if d and d.year != e.year_value:
                yield Hit(e.line, {"entry": e.label, "year": e.year, "url_date": d.iso(), "url_year": d.year},
                          entry=e)
                break


def _typo_pairs(title_words: list[str], slug: list[str]) -> list[tuple[str, str]]:
    """Title words that are one or two edits away from a slug word they should equal."""
    pairs = []
    slug_set = set(slug)
    for w in title_words:
        if w in slug_set or len(w) < 4:
            continue
        for s in slug:
            if s.startswith(w) or w.startswith(s):
                continue  # "cisco" / "ciscos", "education" / "educational": inflections, not typos
            if abs(len(s) - len(w)) <= 2 and Levenshtein.distance(w, s) <= (1 if len(w) < 7 else 2):
                pairs.append((w, s))
                break
    return pairs


@rule("title-url-mismatch", severity=Severity.INFO, family="urls",
      description="The title and the URL's slug disagree beyond a typo threshold, or agree except for a typo in the title.",
      message="{entry}: {what}",
      fix="{fix}",
      example="title \u201c… Bila Dserang\u201d, URL slug \u201c…-bila-diserang\u201d")
def title_url_mismatch(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        if not e.title:
            continue
        title_words = words(e.title)
        if len(title_words) < 3:
            continue
        for url in e.urls:
            slug = [fold(w) for w in url_slug(url)]
            if len(slug) < 4:
                continue
            covered = sum(1 for w in title_words if w in slug)
            typos = _typo_pairs(title_words, slug)
            if typos and covered + len(typos) >= 0.8 * len(title_words):
                bad, good = typos[0]
                yield Hit(e.line, {"entry": e.label,
                                   "what": f"the title has \u201c{bad}\u201d where the URL has \u201c{good}\u201d",
                                   "fix": f"Check the spelling of \u201c{bad}\u201d in the title."}, entry=e)
                break
            score = fuzz.token_set_ratio(" ".join(title_words), " ".join(slug))
            if len(title_words) >= 4 and score < 25:
                yield Hit(e.line, {"entry": e.label,
                                   "what": "the title and the URL seem to be about different things",
                                   "fix": "Check that the URL is the page this entry describes."}, entry=e)
                break


@rule("suspicious-domain", severity=Severity.INFO, family="urls",
      description="The URL's domain is a near-miss of the publisher named in the entry.",
      message="the domain {domain} in {entry} looks like a misspelling of {publisher}",
      fix="Check the address: the publisher's site is probably {expected}.",
      example="antaraneews.com for Antara News")
def suspicious_domain(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        names = [n for n in (e.author_text, e.container) if n]
        for url in e.urls:
            label = domain_label(url)
            if len(label) < 5:
                continue
            for name in names:
                key = compact_key(name)
                bare = label.replace("-", "")
                if len(key) < 5 or key == bare or key in bare or bare in key:
                    continue
                distance = Levenshtein.distance(label, key)
                if distance <= 2 and fuzz.ratio(label, key) >= 88:
                    yield Hit(e.line, {"domain": label, "entry": e.label, "publisher": name, "expected": key},
                              entry=e, subject=f"domain:{label}")
                    break
            else:
                continue
            break
