"""Checks on the entries themselves: duplicates, fragments, years, access dates, order."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from rapidfuzz import fuzz

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.documents import DATABASE_SECTION
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
    # (year, the numbers in the title) → (title keys, positions) of earlier entries with a title key of
    # 12 characters or more: a title is compared only with titles holding the same numbers, as the test
    # below requires ("Report 2019" and "Report 2020" are never compared), so the work stays linear.
    titles: dict[tuple[str | None, tuple[str, ...]], tuple[list[str], list[int]]] = {}
    for i, b in enumerate(entries):
        sure: list[int] = []
        if b.doi and b.doi in first_doi:
            sure.append(first_doi[b.doi])
        urls = _web_urls(b) if b.urls else frozenset()
        sure.extend(first_url[u] for u in urls if u in first_url)
        limit = min(sure) if sure else i
        candidates = set(sure)
        tb = name_key(b.title) if b.title else ""
        numbers = tuple(NUMBERS.findall(tb))
        if tb:
            years = [y for y, n in titles if n == numbers] if b.year in NO_YEAR else [b.year, *NO_YEAR]
            close: list[int] = []
            for year in dict.fromkeys(years):
                keys, positions = titles.get((year, numbers), ([], []))
                for _, _, k in process.extract(tb, keys, scorer=fuzz.ratio, score_cutoff=92, limit=None):
                    if positions[k] < limit and abs(len(keys[k]) - len(tb)) <= 0.2 * len(keys[k]):
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
            keys, positions = titles.setdefault((b.year, numbers), ([], []))
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
            if a.key and a.key == b.key and a.record is not None:
                continue  # the same key twice: duplicate-key says so
            yield Hit(b.line, {"entry": b.label, "other": a.line, "why": why}, entry=b, related=a)


@rule("duplicate-key", severity=Severity.ERROR, family="entries",
      description="Two entries of a BibTeX database (or two \\bibitem of a LaTeX paper) share a key: citations "
                  "of that key reach only the first, and the second entry is never used.",
      message="the key {key} is defined again ({where} has it first); the first definition is the one used",
      fix="Give one of the two entries a key of its own and cite it by that key, or remove the repeated entry.",
      example="@article{smith2020, \u2026} and later @book{smith2020, \u2026} in refs.bib.")
def duplicate_key(ctx: AuditContext) -> Iterator[Hit]:
    first: dict[str, Entry] = {}
    for e in ctx.whole.entries:
        if e.key and e.list_style != "label" and not e.is_footnote:
            first.setdefault(e.key, e)
    for e in ctx.parsed.entries:
        if not e.key or e.list_style == "label" or e.is_footnote:
            continue
        earlier = first.get(e.key)
        if earlier is not None and earlier is not e:
            where = f"line {earlier.line}" + (f" of {earlier.file}" if earlier.file and earlier.file != e.file else "")
            yield Hit(e.line, {"key": e.key, "where": where}, entry=e, subject=f"key:{e.key}:{e.line}",
                      related=earlier)


@rule("missing-field", severity=Severity.WARNING, family="entries",
      description="A structured entry (BibTeX/BibLaTeX) lacks a field its type requires, e.g. an @article "
                  "without journal or year.",
      message="{entry} lacks {fields}, required for the type @{type}",
      fix="Add the {fields} field, or give the entry the type that fits the work.",
      example="@article{smith2020, author = {Smith, J.}, title = {\u2026}, year = 2020} with no journal.")
def missing_field(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        if e.record is None or not e.record.missing or e.record.error:
            continue
        fields = e.record.missing
        named = ", ".join(fields[:-1]) + " and " + fields[-1] if len(fields) > 1 else fields[0]
        yield Hit(e.line, {"entry": e.key or e.label, "type": e.record.type, "fields": named}, entry=e)


@rule("missing-part", severity=Severity.WARNING, family="entries",
      description="A paper names a file as its part that was not audited with it: a bibliography (Pandoc's "
                  "`bibliography:`, LaTeX's \\bibliography or \\addbibresource) or a chapter (\\input, "
                  "\\include) that is missing, lies outside the paper's folder, or is in a format not read. "
                  "Citations of its entries are then unresolved warnings, not errors.",
      message="\u201c{name}\u201d {why}, so it was not audited with the paper",
      fix="{fix}",
      example="\\bibliography{refs} with no refs.bib beside main.tex; bibliography: refs.bib in a Pandoc paper's "
              "front matter with no refs.bib.")
def missing_part(ctx: AuditContext) -> Iterator[Hit]:
    for line, name, why in ctx.parsed.document.unread_parts:
        missing = why.startswith("does not exist")
        fix = ("Correct the file name, or put the file in the paper's folder, then audit again." if missing else
               "Keep the file in the paper's folder (and in a format the auditor reads) to have it checked.")
        yield Hit(line, {"name": name, "why": why, "fix": fix}, subject=f"part:{name}")


@rule("broken-entry", severity=Severity.WARNING, family="entries",
      description="A fragment that is not a whole reference: it starts with a year or URL and has no author, "
                  "or it ends with a dangling \u201cAccessed\u201d.",
      message="{what}",
      fix="{fix}",
      example="a line \u201c2024. <https://…>\u201d split off the entry it belongs to.")
def broken_entry(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        if e.record is not None and e.record.error:
            name = f"the entry {e.key}" if e.key else "an entry"
            yield Hit(e.line, {"what": f"{name} cannot be read: {e.record.error}",
                               "fix": "Correct the entry's syntax (a missing brace, quote or comma); BibTeX "
                                      "skips or misreads it."}, entry=e)
        elif e.kind == "fragment":
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
        if e.record is not None and any(f.startswith("year") for f in e.record.missing):
            continue  # a structured entry whose type requires the year: missing-field names it
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
    if e.key and e.list_style == "label":
        return compact_key(e.key)  # "[RFC2396]" lists are sorted by their labels (not by \bibitem keys)
    text = e.author_text or e.title or e.raw
    first = re.split(r"[,\s.]+", fold(text).strip(" *\"“'‘"), maxsplit=1)[0]
    return compact_key(first)


@rule("bibliography-order", severity=Severity.INFO, family="entries",
      description="Entries of a section are not in alphabetical (author-date) or numerical (numbered) order. "
                  "One finding per cause: each misplaced entry, or the whole list when it runs backwards or "
                  "is mostly unsorted.",
      message="{entry} {problem}",
      fix="{fix}",
      example="\u201cTempo \u2026\u201d listed after \u201cWerner \u2026\u201d in an alphabetical list.")
def bibliography_order(ctx: AuditContext) -> Iterator[Hit]:
    groups: dict[tuple[str | None, str | None], list[Entry]] = {}
    if ctx.database:
        return  # the order of a .bib is not the bibliography's: the style sorts it
    for e in references(ctx):
        if not e.is_footnote and e.section != DATABASE_SECTION:  # a database's order is free
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
                    yield Hit(e.line, {"entry": e.label, "problem": f"is out of order: it comes after number "
                                                                    f"{expected - 1}",
                                       "fix": f"Number the list consecutively ({expected} comes next)."},
                              entry=e)
                previous = e
            continue
        yield from _alphabetical_order(group)


def _alphabetical_order(group: list[Entry]) -> Iterator[Hit]:
    """The entries out of place in a list meant to be alphabetical: those outside its longest sorted run
    (so one misplaced entry is one finding, not two); a list that runs backwards or is mostly unsorted
    is one finding for the whole list."""
    keyed = [e for e in group if _sort_key(e)]
    if len(keyed) < 3:
        return
    keys = [_sort_key(e) for e in keyed]
    # Of two equally long sorted runs, keep the earlier entries: in "Han, He, Hansen" it is Hansen, read
    # after He, that is out of place. (The run is found from the end, in reverse order.)
    n = len(keys)
    ascending = [n - 1 - i for i in reversed(_longest_sorted([_Reversed(k) for k in reversed(keys)]))]
    descending = _longest_sorted([_Reversed(k) for k in keys])
    first = keyed[0]
    fix = "Sort the list alphabetically by the first author's family name."
    if len(descending) > len(ascending) and len(descending) * 5 >= len(keyed) * 3:
        yield Hit(first.line, {"entry": first.label, "problem": f"starts a list of {len(keyed)} entries that runs "
                                                               "in reverse alphabetical order (Z to A)",
                               "fix": fix}, entry=first, subject=f"reverse:{first.section}:{first.subsection}")
        return
    kept = set(ascending)
    misplaced = [i for i in range(len(keyed)) if i not in kept]
    if len(misplaced) > max(3, len(keyed) // 4):
        e = keyed[misplaced[0]]
        yield Hit(e.line, {"entry": e.label, "problem": f"is out of order, and so are {len(misplaced) - 1} more of "
                                                       f"the list's {len(keyed)} entries: the list is not sorted",
                           "fix": fix}, entry=e, subject=f"unsorted:{e.section}:{e.subsection}")
        return
    for i in misplaced:
        # Where it belongs: after the last entry of the sorted run whose key is not greater than its own.
        place = [j for j in ascending if keys[j] <= keys[i]]
        where = f"belongs after {keyed[place[-1]].label}" if place else f"belongs before {keyed[ascending[0]].label}"
        yield Hit(keyed[i].line, {"entry": keyed[i].label, "problem": f"is out of order: alphabetically it {where}",
                                  "fix": fix}, entry=keyed[i])


class _Reversed:
    """A key that sorts in the opposite order."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.key < self.key)

    def __le__(self, other: _Reversed) -> bool:
        return bool(other.key <= self.key)


def _longest_sorted(keys: list[Any]) -> list[int]:
    """Indexes of a longest non-decreasing subsequence of keys (patience sorting, n log n)."""
    import bisect

    tails: list[Any] = []  # the smallest last key of a run of each length
    tail_index: list[int] = []
    parent: list[int | None] = [None] * len(keys)
    for i, k in enumerate(keys):
        pos = bisect.bisect_right(tails, k)
        if pos == len(tails):
            tails.append(k)
            tail_index.append(i)
        else:
            tails[pos] = k
            tail_index[pos] = i
        parent[i] = tail_index[pos - 1] if pos else None
    run: list[int] = []
    at: int | None = tail_index[-1] if tail_index else None
    while at is not None:
        run.append(at)
        at = parent[at]
    return run[::-1]


@rule("impossible-date", severity=Severity.WARNING, family="entries",
      description="An entry gives a date that does not exist, such as 30 February.",
      message="{entry} gives the date \u201c{date}\u201d, which does not exist",
      fix="Correct the date.",
      example="Diakses 30 Februari 2024.")
def impossible_date(ctx: AuditContext) -> Iterator[Hit]:
    for e in ctx.parsed.entries:
        for date in e.bad_dates:
            yield Hit(e.line, {"entry": e.label, "date": date}, entry=e, subject=f"date:{date}:{e.raw[:80]}")
