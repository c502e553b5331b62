"""Checks on the entries themselves: duplicates, fragments, years, access dates, order."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from rapidfuzz import fuzz

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.model import Entry, PartialDate, Severity
from auditor.parsing.entries import cites_a_work, says_online, source_type
from auditor.parsing.text import compact_key, fold, name_key
from auditor.parsing.urls import is_doi_url, normalize_url


def references(ctx: AuditContext) -> list[Entry]:
    """Entries that are whole references (not fragments, not Ibid. notes)."""
    return [e for e in ctx.parsed.entries if e.kind in ("reference", "note")]


def _snippet(e: Entry) -> str:
    text = " ".join(e.raw.split())
    return text if len(text) <= 70 else text[:67] + "…"


def _web_urls(e: Entry) -> frozenset[str]:
    return frozenset(u for u in (normalize_url(x) for x in e.urls if not is_doi_url(x)) if "/" in u.strip("/"))


def same_work(a: Entry, b: Entry) -> str | None:
    """Why two entries are the same work, or None."""
    if a.doi and b.doi and a.doi == b.doi:
        return f"the same DOI {a.doi}"
    if a.urls and b.urls and _web_urls(a) & _web_urls(b):
        return "the same URL"
    if not a.title or not b.title:
        return None
    ta, tb = name_key(a.title), name_key(b.title)
    if NUMBERS.findall(ta) != NUMBERS.findall(tb):
        return None  # "Modul 12: … Database 1" and "Modul 13: … Database 2" are two works
    if len(ta) < 12 or abs(len(ta) - len(tb)) > 0.2 * len(ta) or fuzz.ratio(ta, tb, score_cutoff=92) < 92:
        return None
    years_agree = a.year == b.year or a.year in (None, "n.d.") or b.year in (None, "n.d.")
    if not years_agree:
        return None
    if not a.author_text or not b.author_text:
        return "the same title and year" if a.year == b.year and a.year else None
    if fuzz.token_set_ratio(name_key(a.author_text), name_key(b.author_text)) >= 85:
        return "the same author, title and year" if a.year == b.year else "the same author and title"
    return None


# An entry is compared by title with at most this many earlier entries whose titles are close enough;
# only a crafted list of hundreds of near-identical titles reaches it.
MAX_TITLE_CANDIDATES = 200
NO_YEAR = (None, "n.d.")


def duplicates(ctx: AuditContext) -> dict[int, tuple[Entry, str]]:
    """Each entry that repeats an earlier one → (the earlier entry, why); computed once per document.

    The answer is the same as comparing every pair with `same_work` (the first earlier entry that is
    the same work), but the candidates come from indexes: the first entry with each DOI and each URL,
    and titles that can pass the title test, looked up among entries whose years can agree."""
    if "duplicates" not in ctx.cache:
        ctx.cache["duplicates"] = _find_duplicates([e for e in references(ctx) if not e.is_footnote])
    return ctx.cache["duplicates"]


NUMBERS = re.compile(r"\d+")


def _find_duplicates(entries: list[Entry]) -> dict[int, tuple[Entry, str]]:
    from rapidfuzz import process

    found: dict[int, tuple[Entry, str]] = {}
    first_doi: dict[str, int] = {}
    first_url: dict[str, int] = {}
    # year → (title keys, positions) of earlier entries with a title key of 12 characters or more
    titles: dict[str | None, tuple[list[str], list[int]]] = {}
    for i, b in enumerate(entries):
        sure: list[int] = []
        if b.doi and b.doi in first_doi:
            sure.append(first_doi[b.doi])
        urls = _web_urls(b) if b.urls else frozenset()
        sure.extend(first_url[u] for u in urls if u in first_url)
        limit = min(sure) if sure else i
        candidates = set(sure)
        tb = name_key(b.title) if b.title else ""
        if tb:
            years = list(titles) if b.year in NO_YEAR else [b.year, *NO_YEAR]
            close: list[int] = []
            for year in dict.fromkeys(years):
                keys, positions = titles.get(year, ([], []))
                for _, _, k in process.extract(tb, keys, scorer=fuzz.ratio, score_cutoff=92, limit=None):
                    if positions[k] < limit and abs(len(keys[k]) - len(tb)) <= 0.2 * len(keys[k]) \
                            and NUMBERS.findall(keys[k]) == NUMBERS.findall(tb):
                        close.append(positions[k])
            candidates.update(sorted(close)[:MAX_TITLE_CANDIDATES])
        for j in sorted(candidates):
            why = same_work(entries[j], b)
            if why:
                found[b.index] = (entries[j], why)
                break
        if b.doi:
            first_doi.setdefault(b.doi, i)
        for u in urls:
            first_url.setdefault(u, i)
        if len(tb) >= 12:
            keys, positions = titles.setdefault(b.year, ([], []))
            keys.append(tb)
            positions.append(i)
    return found


@rule("duplicate-entry", severity=Severity.WARNING, family="entries",
      description="Two entries are the same work: same URL or DOI, or same title and year with matching author.",
      message="{entry} repeats the entry on line {other} ({why})",
      fix="Keep one of the two entries and point the citations at it.",
      example="Foyle, Douglas. 1997. Public Opinion … and Douglas Foyle. \"Public Opinion …\" 1997.")
def duplicate_entry(ctx: AuditContext) -> Iterator[Hit]:
    for b in references(ctx):
        if b.index in duplicates(ctx):
            a, why = duplicates(ctx)[b.index]
            yield Hit(b.line, {"entry": b.label, "other": a.line, "why": why}, entry=b)


@rule("broken-entry", severity=Severity.WARNING, family="entries",
      description="A fragment that is not a whole reference: it starts with a year or URL and has no author, "
                  "or it ends with a dangling \u201cAccessed\u201d.",
      message="{what}",
      fix="{fix}",
      example="a line \u201c2024. <https://…>\u201d split off the entry it belongs to.")
def broken_entry(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        if e.kind == "fragment":
            yield Hit(e.line, {"what": f"\u201c{_snippet(e)}\u201d is a fragment, not a whole reference",
                               "fix": "Join it to the entry it was split from, or complete it."}, entry=e)
        elif e.dangling_access:
            yield Hit(e.line, {"what": f"{e.label} ends with \u201cAccessed\u201d but no date or URL follows",
                               "fix": "Complete the access date and the URL, or remove the dangling word."},
                      entry=e)


@rule("missing-year", severity=Severity.WARNING, family="entries",
      description="An entry without a publication year, or marked n.d./t.t.",
      message="{entry} has no publication year{nd}",
      fix="Add the year of publication; use n.d. only when the work has none.",
      example="Brookings. n.d. \u201cWhat do North Korean Troop Deployments …\u201d")
def missing_year(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        if e.kind == "note" and not cites_a_work(e):
            continue  # an explanatory note cites no work, so it has no year to give
        if e.year is None or e.year == "n.d.":
            yield Hit(e.line, {"entry": e.label, "nd": " (it says n.d.)" if e.year == "n.d." else ""}, entry=e)


INDONESIAN_LIST = re.compile(r"daftar|pustaka|referensi|rujukan|sumber|kepustakaan|bibliografi|catatan", re.I)


def _access_expected(ctx: AuditContext) -> Callable[[Entry], bool]:
    """Whether the document's style asks for access dates on web sources: the entry says "[Online].
    Available:", other web entries of the document carry one, the page is undated, or the list is an
    Indonesian academic one ("Daftar Pustaka", "Referensi"), whose style requires "Diakses …"."""
    if "access_expected" in ctx.cache:
        return ctx.cache["access_expected"]
    web = [e for e in references(ctx) if source_type(e) == "web"]
    practice = bool(web) and sum(e.accessed is not None for e in web) * 2 >= len(web)

    def expected(e: Entry) -> bool:
        return (practice or says_online(e) or e.year is None
                or bool(e.section and INDONESIAN_LIST.search(e.section)))

    ctx.cache["access_expected"] = expected
    return expected


@rule("missing-access-date", severity=Severity.INFO, family="entries",
      description="A web page (a source known by its URL, not a journal article, book, preprint or standard) "
                  "without an access date, where the document's style asks for one.",
      message="{entry} cites a web page but gives no access date",
      fix="Add when the page was consulted, e.g. \u201cAccessed 3 March 2024\u201d / \u201cDiakses 3 Maret 2024\u201d.",
      example="[2] \u201cIntroduction to Rational Choice Theory\u201d, [Online]. Available: https://… with no date.")
def missing_access_date(ctx: AuditContext) -> Iterator[Hit]:
    expected = _access_expected(ctx)
    for e in references(ctx):
        if e.accessed is not None or e.dangling_access:
            continue
        web = source_type(e) == "web"
        # Whatever the work, a link with neither a year nor an access date leaves the version undated.
        undated_link = e.year is None and any(not is_doi_url(u) for u in e.urls)
        if (web and expected(e)) or undated_link:
            yield Hit(e.line, {"entry": e.label}, entry=e)


@rule("access-date-without-url", severity=Severity.WARNING, family="entries",
      description="An entry gives an access date but no URL.",
      message="{entry} says \u201c{accessed}\u201d but gives no URL",
      fix="Add the URL that was accessed, or drop the access date for a printed source.",
      example="Kompas. 2022. Daftar Sanksi … Accessed 2024. (no link)")
def access_date_without_url(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        if e.accessed is not None and not e.urls and not e.dangling_access:
            yield Hit(e.line, {"entry": e.label, "accessed": e.accessed_text or "Accessed"}, entry=e)


def _compare(a: PartialDate, b: PartialDate) -> int:
    precision = min(a.precision, b.precision)
    ka, kb = a.key(precision), b.key(precision)
    return (ka > kb) - (ka < kb)


@rule("access-before-publication", severity=Severity.ERROR, family="entries",
      description="The access date is earlier than the publication date.",
      message="{entry} was accessed {accessed}, before it was published ({published})",
      fix="Check both dates; one of them is wrong.",
      example="… 2024. Accessed 3 March 2023.")
def access_before_publication(ctx: AuditContext) -> Iterator[Hit]:
    for e in references(ctx):
        if e.accessed and e.published and _compare(e.accessed, e.published) < 0:
            yield Hit(e.line, {"entry": e.label, "accessed": e.accessed.iso(), "published": e.published.iso()},
                      entry=e)


@rule("access-date-in-future", severity=Severity.ERROR, family="entries",
      description="The access date is after the day of the audit.",
      message="{entry} gives the access date {accessed}, which is after today ({today})",
      fix="Correct the access date.",
      example="Accessed 3 March 2031.")
def access_date_in_future(ctx: AuditContext) -> Iterator[Hit]:
    today = PartialDate(ctx.today.year, ctx.today.month, ctx.today.day)
    for e in references(ctx):
        if e.accessed and _compare(e.accessed, today) > 0:
            yield Hit(e.line, {"entry": e.label, "accessed": e.accessed.iso(), "today": today.iso()}, entry=e)


@rule("access-year-outlier", severity=Severity.INFO, family="entries",
      description="The access year differs from the year in which most entries of the document were accessed.",
      message="{entry} was accessed in {year}, while {share} were accessed in {usual}",
      fix="Check the access year; if the source was re-checked, update the other access dates too.",
      example="three \u201cAccessed 2025\u201d among forty \u201cAccessed 2024\u201d.")
def access_year_outlier(ctx: AuditContext) -> Iterator[Hit]:
    dated = [e for e in references(ctx) if e.accessed]
    if len(dated) < 5:
        return
    counts = Counter(e.accessed.year for e in dated if e.accessed)
    usual, n = counts.most_common(1)[0]
    if n < 0.7 * len(dated) or n == len(dated):
        return
    for e in dated:
        if e.accessed and e.accessed.year != usual:
            yield Hit(e.line, {"entry": e.label, "year": e.accessed.year, "usual": usual,
                               "share": f"{n} of the {len(dated)} entries with an access date"}, entry=e)


def _sort_key(e: Entry) -> str:
    if e.key:
        return compact_key(e.key)  # "[RFC2396]" lists are sorted by their labels
    text = e.author_text or e.title or e.raw
    first = re.split(r"[,\s.]+", fold(text).strip(" *\"“'‘"), maxsplit=1)[0]
    return compact_key(first)


@rule("bibliography-order", severity=Severity.INFO, family="entries",
      description="Entries of a section are not in alphabetical (author-date) or numerical (numbered) order.",
      message="{entry} is out of order: it comes after {previous}",
      fix="{fix}",
      example="\u201cTempo \u2026\u201d listed after \u201cWerner \u2026\u201d in an alphabetical list.")
def bibliography_order(ctx: AuditContext) -> Iterator[Hit]:
    groups: dict[tuple[str | None, str | None], list[Entry]] = {}
    for e in references(ctx):
        if not e.is_footnote:
            groups.setdefault((e.section, e.subsection), []).append(e)
    for group in groups.values():
        if len(group) < 3:
            continue
        numbered = [e for e in group if e.number is not None]
        if len(numbered) * 2 >= len(group) and len({e.number for e in numbered}) == 1:
            continue  # Markdown "1. 1. 1." lazy numbering: the renderer numbers the list
        if len(numbered) * 2 >= len(group):
            previous = None
            for e in numbered:
                expected: int | None = (previous.number or 0) + 1 if previous is not None else None
                if expected is not None and e.number != expected:
                    yield Hit(e.line, {"entry": e.label, "previous": f"number {expected - 1}",
                                       "fix": f"Number the list consecutively ({expected} comes next)."},
                              entry=e)
                previous = e
            continue
        for prev, e in zip(group, group[1:]):
            a, b = _sort_key(prev), _sort_key(e)
            if a and b and b < a:
                yield Hit(e.line, {"entry": e.label, "previous": prev.label,
                                   "fix": "Sort the list alphabetically by the first author's family name."},
                          entry=e)


@rule("impossible-date", severity=Severity.WARNING, family="entries",
      description="An entry gives a date that does not exist, such as 30 February.",
      message="{entry} gives the date \u201c{date}\u201d, which does not exist",
      fix="Correct the date.",
      example="Diakses 30 Februari 2024.")
def impossible_date(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        for date in e.bad_dates:
            yield Hit(e.line, {"entry": e.label, "date": date}, entry=e, subject=f"date:{date}:{e.raw[:80]}")
