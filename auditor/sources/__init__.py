"""Scholarly source verification: does each cited work exist, is it the work cited, was it retracted?

An engine, like the link checker: it takes entries (their own fields only) and a policy and returns
one `SourceRecord` per entry. It knows nothing of documents, printing or the database: the cache of
earlier lookups comes in as a mapping and the new lookups go out in the result. The rules that turn
records into findings live in `auditor/checks/sources.py`; storing and the CLI glue in
`auditor/sources/run.py`.

Per entry:
- not scholarly (a web page, news, a law, grey literature) or too little to search with: skipped;
- with a DOI: Crossref `/works/{doi}`, then DataCite; a DOI neither knows is asked of doi.org's
  agency lookup, and only a DOI that doi.org says does not exist is `doi-not-found` (a DOI of
  mEDRA, JaLC, KISTI … exists but cannot be compared: `unverifiable`);
- without a DOI: Crossref `query.bibliographic`, then OpenAlex `search`, with the entry's title,
  first author, year and journal; a candidate is accepted only when title, first author and year
  agree (`auditor/sources/match.py`). A registry that fails leaves the entry `error`, never
  `not-found`;
- retraction: Crossref's update notices (`updated-by`) and OpenAlex's `is_retracted`. A work found
  in Crossref or DataCite is asked of OpenAlex too, by DOI, 50 DOIs a request (its OR filter with
  `select`): the entries' own DOIs on a thread of their own while Crossref is asked (another
  registry, another rate limit), DOIs that a search found afterwards. Either registry saying
  retracted makes the verdict; OpenAlex failing makes none, only a note, and the lookup is asked
  again next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from auditor.model import Entry
from auditor.parsing.entries import ORGANISATION, cites_a_work, source_type
from auditor.parsing.text import name_key, strip_markdown
from auditor.sources import match
from auditor.sources.registries import (
    CONCERNING,
    Crossref,
    DataCite,
    DoiAgency,
    GetJson,
    Notice,
    OpenAlex,
    RegistryError,
    Work,
    openalex_batches,
)

# Verdicts, the most serious first.
VERDICTS = ("doi-not-found", "doi-mismatch", "retracted", "not-found", "mismatch", "concern", "verified",
            "unverifiable", "error", "unchecked", "skipped")

# Record types (BibTeX, CSL, JATS) of works registries hold; anything else is checked only with a DOI.
SCHOLARLY_RECORD_TYPES = {
    "article": "article", "article-journal": "article", "journal-article": "article", "journal": "article",
    "inproceedings": "article", "conference": "article", "paper-conference": "article",
    "proceedings-article": "article", "preprint": "article", "posted-content": "article",
    "book": "book", "incollection": "chapter", "inbook": "chapter", "chapter": "chapter",
    "book-chapter": "chapter", "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "dissertation": "thesis",
}
# What registries do not hold: news, laws and regulations, grey literature, pages of the web.
NEWS = re.compile(r"\b(?:news|berita|koran|surat kabar|newspaper|magazine|majalah|kompas(?:\.com)?|tempo\.co|"
                  r"koran tempo|majalah tempo|detik\.?com|detiknews|republika|antaranews|antara news|liputan6|"
                  r"tribun\w*|okezone|kumparan|tirto\.id|katadata|cnn|cnbc|bbc|reuters|bloomberg|forbes|"
                  r"the guardian|new york times|washington post|jakarta post|jakarta globe|associated press|"
                  r"press release|siaran pers)\b", re.I)
LAW = re.compile(r"\b(?:undang[- ]undang|uu\s*(?:no|nomor|ri)\b|peraturan|perpres|permen\w*|perda|kepmen\w*|"
                 r"keputusan\s+(?:menteri|presiden|gubernur|bupati|wali\s?kota|kepala|direktur|dirjen|mahkamah)|"
                 r"instruksi presiden|inpres|putusan|mahkamah|pasal|uud|act\s+(?:of|no)|regulation\s*\(|"
                 r"directive\s+\d|statute|constitution of|code of federal|federal register|gazette|lembaran negara|"
                 r"berita negara)\b", re.I)
GREY = re.compile(r"\b(?:report|laporan|working paper|policy brief|white paper|fact ?sheet|technical note|"
                  r"handbook|guidelines?|pedoman|panduan|petunjuk teknis|juknis|dataset|data set|"
                  r"badan pusat statistik|bps|statistics indonesia|statistical yearbook|blog|podcast|video|youtube|"
                  r"wikipedia|slides|webinar|newsletter|brosur|brochure|rencana strategis|renstra|"
                  r"standar nasional|sni\s?\d|iso\s?\d|rfc\s?\d)\b", re.I)
DESCRIPTION = re.compile(r"\[[^\]]{2,40}\]")
PARENTHESIS = re.compile(r"\([^()]{2,60}\)")
THESIS = re.compile(r"\b(?:thesis|dissertation|disertasi|tesis|skripsi|tugas akhir)\b", re.I)
CHAPTER = re.compile(r"\b(?:in|dalam)\s*:?\s+[A-Z][^.]{0,80}\((?:eds?|ed\.|editor|penyunting)", re.I)
ET_AL = re.compile(r"\bet\.?\s*al\b|\bdkk\b|\band others\b|\bdan kawan|…|\.\.\.", re.I)
VOLUME = [re.compile(r"\bvol(?:ume)?\.?\s*(\d{1,4})\b", re.I),
          re.compile(r"[,.]\s*(\d{1,4})\s*\(\s*[\w\-–/]{1,8}\s*\)\s*[,:.]")]
PAGES = [re.compile(r"\b(?:pp?|hlm|hal|pages?)\.?\s*(\d{1,6})\s*[-–—]+\s*\d", re.I),
         re.compile(r"\)\s*[,:]\s*(\d{1,6})\s*[-–—]+\s*\d")]


@dataclass
class SourcePolicy:
    """Where and how politely to ask. The URLs are the user's (trusted) configuration."""

    crossref_url: str = "https://api.crossref.org"
    openalex_url: str = "https://api.openalex.org"
    datacite_url: str = "https://api.datacite.org"
    doi_url: str = "https://doi.org"
    mailto: str | None = None
    rate: float = 5.0  # requests per second per registry
    timeout: float = 20.0
    retries: int = 2
    concurrency: int = 4
    cache_age: dt.timedelta = dt.timedelta(days=30)
    user_agent: str = ""


@dataclass
class Query:
    """The entry's own fields that a lookup sends: nothing else of the document ever leaves."""

    doi: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    container: str | None = None

    def key(self) -> str:
        if self.doi:
            return f"doi:{self.doi.lower()}"
        first = " ".join(match.name_tokens(self.authors[0])) if self.authors else ""
        text = f"{match.norm_title(self.title)}|{first}|{self.year or ''}"
        return "q:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]

    def bibliographic(self) -> str:
        first = " ".join(match.name_tokens(self.authors[0])) if self.authors else ""
        parts = [self.title or "", first, str(self.year or ""), self.container or ""]
        return " ".join(p for p in parts if p)[:300]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Query:
        return cls(**json.loads(text))


@dataclass
class Lookup:
    """What the registries said for one query (cached and reused within cache-age; errors never are)."""

    key: str
    status: str  # found, doi-not-found, not-found, other-agency, error
    work: Work | None = None
    via: str = "doi"  # doi or search
    query: Query | None = None
    checked_at: str = ""
    detail: str = ""
    from_cache: bool = False
    # OpenAlex's is_retracted for a work found elsewhere (Crossref, DataCite) with a DOI: "retracted",
    # "not-retracted", "absent" (OpenAlex does not hold it), "error: why" (it failed: no verdict, a note)
    # or "" (not asked).
    openalex: str = ""

    @property
    def retraction_doi(self) -> str | None:
        """The DOI to ask OpenAlex about, for a work found in a registry that does not say is_retracted."""
        if self.status != "found" or self.work is None or self.work.registry == "openalex":
            return None
        doi = self.work.doi or (self.query.doi if self.query else None)
        return doi.lower() if doi else None

    @property
    def complete(self) -> bool:
        """Whether every registry that should have been asked answered (a lookup that is not complete is
        asked again next time, though it may be used offline)."""
        return self.retraction_doi is None or self.openalex in ("retracted", "not-retracted", "absent")

    @property
    def verdict(self) -> str:
        """What the registries say of the work itself: found, retracted, concern, not-found, doi-not-found,
        other-agency or error (stored in the sources table; an entry's own verdict may add a mismatch)."""
        if self.status != "found" or self.work is None:
            return self.status
        w = self.work
        if w.retracted or any(n.retracts for n in w.notices):
            return "retracted"
        if any(n.kind in CONCERNING for n in w.notices):
            return "concern"
        return "found"


@dataclass
class SourceRecord:
    """What the verification found about one entry."""

    entry_index: int
    verdict: str
    kind: str = ""  # article, book, chapter, thesis, doi
    key: str = ""
    via: str = ""
    work: Work | None = None
    mismatches: list[tuple[str, str, str]] = field(default_factory=list)  # (field, cited, registry's)
    notices: list[Notice] = field(default_factory=list)
    detail: str = ""
    checked_at: str = ""
    from_cache: bool = False

    @property
    def retraction(self) -> Notice | None:
        found = [n for n in self.notices if n.retracts]
        if found:
            return found[0]
        if self.work is not None and self.work.retracted:
            return Notice("retraction", "marked as retracted by the registry", self.work.doi, None,
                          self.work.registry)
        return None

    @property
    def retractions(self) -> list[Notice]:
        """Every retraction or withdrawal said of the work (Crossref's notices, OpenAlex's is_retracted)."""
        found = [n for n in self.notices if n.retracts]
        first = self.retraction
        return found or ([first] if first is not None else [])

    @property
    def concerns(self) -> list[Notice]:
        return [n for n in self.notices if n.kind in CONCERNING]


@dataclass
class SourceRun:
    records: dict[int, SourceRecord] = field(default_factory=dict)
    lookups: dict[str, Lookup] = field(default_factory=dict)  # the new lookups, to store
    checked: int = 0
    cached: int = 0
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.records.values():
            if r.verdict != "skipped":
                counts[r.verdict] = counts.get(r.verdict, 0) + 1
        parts = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v))
        notes = "".join(f"; {n}" for n in self.notes)
        return f"Sources: {parts or 'no scholarly entry'} ({self.checked} looked up, {self.cached} from cache){notes}"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def scholarly_kind(entry: Entry) -> tuple[str | None, str]:
    """("article" | "book" | "chapter" | "thesis" | "doi", "") for an entry registries may hold, else
    (None, why not). Only an entry's own fields decide."""
    if entry.kind not in ("reference", "note"):
        return None, f"a {entry.kind}, not a reference"
    if entry.kind == "note" and not cites_a_work(entry):
        return None, "a note that cites no work"
    if entry.doi:
        return "doi", ""
    text = " ".join(strip_markdown(entry.raw).split())
    # News and grey-literature cues count outside the title ("Fake news detection with BERT" is an
    # article); a bracketed description ("[Blog post]", "[Data set]") counts wherever it stands.
    around = text.replace(entry.title, " ") if entry.title else text
    around += " " + " ".join(DESCRIPTION.findall(text)) + " " + " ".join(PARENTHESIS.findall(text))
    if entry.record is not None and entry.record.type:
        kind = SCHOLARLY_RECORD_TYPES.get(entry.record.type.lower())
        if kind is None:
            return None, f"a {entry.record.type}: registries do not hold such works"
    else:
        if NEWS.search(around):
            return None, "news: registries do not hold it"
        if LAW.search(text):
            return None, "a law or regulation: registries do not hold it"
        if GREY.search(around):
            return None, "grey literature: registries hold little of it"
        if ORGANISATION.search(entry.author_text) and not re.search(r",\s*[A-Z]\.", entry.author_text):
            return None, "published by an organisation: grey literature, which registries hold little of"
        if THESIS.search(text):
            kind = "thesis"
        elif CHAPTER.search(text):
            kind = "chapter"
        else:
            kind = {"article": "article", "preprint": "article", "book": "book"}.get(source_type(entry))
        if kind is None:
            return None, "not recognisably a journal article, paper, book or thesis"
    title = match.norm_title(entry.title)
    if len(title.split()) < 3 or len(title) < 15:
        return None, "too short a title to search for"
    if not entry.authors and entry.year_value is None:
        return None, "neither an author nor a year to search with"
    return kind, ""


def query_of(entry: Entry) -> Query:
    container = entry.container
    if container and entry.record is None:
        container = re.split(r",\s*(?:vol|no|pp?\b|hlm|\d)", container, maxsplit=1, flags=re.I)[0].strip(" ,.")
    return Query(entry.doi.lower() if entry.doi else None, entry.title, list(entry.authors[:3]), entry.year_value,
                 container or None)


class Engine:
    """The registries of one run, each with its own rate limit."""

    def __init__(self, policy: SourcePolicy, get: GetJson) -> None:
        ua = policy.user_agent or _user_agent(policy.mailto)
        common = {"rate": policy.rate, "timeout": policy.timeout, "retries": policy.retries, "user_agent": ua,
                  "mailto": policy.mailto}
        self.crossref = Crossref(policy.crossref_url, get, **common)  # type: ignore[arg-type]
        self.datacite = DataCite(policy.datacite_url, get, **common)  # type: ignore[arg-type]
        self.openalex = OpenAlex(policy.openalex_url, get, **common)  # type: ignore[arg-type]
        self.agency = DoiAgency(policy.doi_url, get, **common)  # type: ignore[arg-type]

    @property
    def requests(self) -> int:
        return sum(c.requests for c in (self.crossref, self.datacite, self.openalex, self.agency))

    def retractions(self, dois: list[str]) -> dict[str, tuple[str, str]]:
        """DOI -> ("retracted" | "not-retracted", the OpenAlex record's URL) for the DOIs OpenAlex holds,
        ("absent", "") for those it does not, ("error", why) for those of a request that failed (never a
        verdict: only a note)."""
        out: dict[str, tuple[str, str]] = {}
        for batch in openalex_batches(dois):
            try:
                found = self.openalex.retractions(batch)
            except RegistryError as exc:
                out.update({d.lower(): ("error", str(exc)) for d in batch})
                continue
            out.update({d.lower(): ("absent", "") for d in batch})
            for doi, (retracted, url) in found.items():
                out[doi] = ("retracted" if retracted else "not-retracted", url)
        return out

    def lookup(self, query: Query, now: dt.datetime) -> Lookup:
        key = query.key()
        try:
            if query.doi:
                return self._by_doi(key, query, now)
            return self._by_search(key, query, now)
        except RegistryError as exc:
            return Lookup(key, "error", via="doi" if query.doi else "search", query=query, checked_at=iso(now),
                          detail=str(exc))

    def _by_doi(self, key: str, query: Query, now: dt.datetime) -> Lookup:
        doi = query.doi or ""
        work = self.crossref.work(doi) or self.datacite.work(doi)
        if work is not None:
            return Lookup(key, "found", work, "doi", query, iso(now))
        agency = self.agency.agency(doi)
        if agency is None:
            return Lookup(key, "doi-not-found", None, "doi", query, iso(now),
                          "not in Crossref or DataCite, and doi.org says it does not exist")
        if agency.lower() in ("crossref", "datacite"):
            return Lookup(key, "error", None, "doi", query, iso(now), f"registered with {agency}, but not found there yet")
        return Lookup(key, "other-agency", None, "doi", query, iso(now), f"registered with {agency}")

    def _by_search(self, key: str, query: Query, now: dt.datetime) -> Lookup:
        failed = []
        for registry, text in ((self.crossref, query.bibliographic()), (self.openalex, query.title or "")):
            try:
                found = accept(query, registry.search(text))
            except RegistryError as exc:
                failed.append(str(exc))
                continue
            if found is not None:
                return Lookup(key, "found", found, "search", query, iso(now))
        if failed:
            return Lookup(key, "error", None, "search", query, iso(now), "; ".join(failed))
        return Lookup(key, "not-found", None, "search", query, iso(now), "no record in Crossref or OpenAlex agrees")


def _user_agent(mailto: str | None) -> str:
    from auditor.linkcheck.client import USER_AGENT

    return USER_AGENT[:-1] + f"; mailto:{mailto})" if mailto and USER_AGENT.endswith(")") else USER_AGENT


def accept(query: Query, works: list[Work]) -> Work | None:
    """The best candidate whose title, first author and year agree with the query, or None."""
    best: tuple[float, Work] | None = None
    for w in works:
        score = match.title_score(query.title, w.titles)
        if score < match.TITLE_SAME:
            continue
        first = match.first_author_agrees(query.authors, w.authors)
        gap = match.year_gap(query.year, w.years)
        if first is True and (gap is None or gap <= match.YEAR_SLACK):
            ok = True
        elif score >= match.TITLE_EXACT and (gap is None or gap <= match.YEAR_DRIFT):
            # The exact title: a drifted year or the first author moved down the list is the same work.
            ok = first is None or match.author_listed(query.authors, w.authors)
            if first is None and gap is not None and gap > match.YEAR_SLACK:
                ok = False
        else:
            ok = False
        if ok and (best is None or score > best[0]):
            best = (score, w)
    return best[1] if best else None


def lookup_all(queries: list[Query], policy: SourcePolicy, get: GetJson, *, now: dt.datetime | None = None,
               progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Lookup], int]:
    """Ask the registries about each query (at most `concurrency` at once, each registry at its rate);
    return the lookups by key and the number of HTTP requests made."""
    now = now or dt.datetime.now(dt.UTC)
    engine = Engine(policy, get)
    results: dict[str, Lookup] = {}
    unique = list({q.key(): q for q in queries}.values())
    said: dict[str, tuple[str, str]] = {}  # DOI -> OpenAlex's ("retracted" | "not-retracted" | "error", detail)
    # OpenAlex is asked whether the works of the entries' DOIs were retracted, 50 DOIs a request, on a
    # thread of its own while Crossref is asked about each: another registry with its own rate limit.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sources-openalex") as side:
        dois = sorted({q.doi.lower() for q in unique if q.doi})
        asked = side.submit(engine.retractions, dois) if dois else None
        with ThreadPoolExecutor(max_workers=max(1, policy.concurrency), thread_name_prefix="sources") as pool:
            for done, lookup in enumerate(pool.map(lambda q: engine.lookup(q, now), unique), 1):
                results[lookup.key] = lookup
                if progress:
                    progress(done, len(unique))
        if asked is not None:
            said.update(asked.result())
    # Works that a search found in Crossref (their DOI known only now) are asked afterwards.
    later = sorted({d for d in (lk.retraction_doi for lk in results.values()) if d and d not in said})
    if later:
        said.update(engine.retractions(later))
    for lookup in results.values():
        mark_retraction(lookup, said)
    return results, engine.requests


def mark_retraction(lookup: Lookup, said: dict[str, tuple[str, str]]) -> None:
    """Add OpenAlex's is_retracted to a lookup of a work found in Crossref or DataCite: a retraction notice
    when OpenAlex says retracted; a note when OpenAlex could not be asked (the verdict is then Crossref's
    alone, and the lookup is asked again next time)."""
    doi = lookup.retraction_doi
    if doi is None or lookup.work is None:
        return
    state, detail = said.get(doi, ("absent", ""))
    lookup.openalex = f"error: {detail}" if state == "error" else state
    if state == "retracted" and not any(n.source == "openalex" and n.retracts for n in lookup.work.notices):
        lookup.work.notices.append(Notice("retraction", f"marked as retracted in OpenAlex ({detail})", None, None,
                                          "openalex"))
    elif state == "error":
        note = f"OpenAlex could not be asked whether the work was retracted ({detail})"
        lookup.detail = f"{lookup.detail}; {note}" if lookup.detail else note


def verify_entries(entries: list[Entry], policy: SourcePolicy, get: GetJson, *, cached: dict[str, Lookup] | None = None,
                   offline: bool = False, now: dt.datetime | None = None,
                   progress: Callable[[int, int], None] | None = None) -> SourceRun:
    """Look up every scholarly entry (or reuse a fresh cached lookup) and judge it. The records are keyed
    by the entry's position in `entries` (entries of several documents may share an index)."""
    now = now or dt.datetime.now(dt.UTC)
    run = SourceRun()
    cached = cached or {}
    reused: dict[str, Lookup] = {}
    queries: dict[str, Query] = {}
    plan: list[tuple[int, Entry, str, str]] = []
    for pos, e in enumerate(entries):
        kind, why = scholarly_kind(e)
        if kind is None:
            run.records[pos] = SourceRecord(e.index, "skipped", detail=why)
            continue
        q = query_of(e)
        key = q.key()
        plan.append((pos, e, kind, key))
        hit = cached.get(key)
        if hit is not None and hit.status != "error" and _fresh(hit.checked_at, now, policy.cache_age) \
                and (hit.complete or offline):
            reused[key] = hit
            continue
        queries.setdefault(key, q)
    results: dict[str, Lookup] = {}
    if queries and not offline:
        results, run.requests = lookup_all(list(queries.values()), policy, get, now=now, progress=progress)
    run.checked = len(results)
    run.cached = len(reused)
    for pos, e, kind, key in plan:
        lookup = results.get(key) or reused.get(key)
        if lookup is None:
            run.records[pos] = SourceRecord(e.index, "unchecked", kind, key, detail="offline: no cached result")
            continue
        run.records[pos] = judge(e, kind, lookup)
    run.lookups = {k: v for k, v in results.items() if v.status != "error"}
    failed = [v for v in results.values() if v.openalex.startswith("error")]
    if failed:
        why = failed[0].openalex.removeprefix("error: ")
        run.notes.append(f"OpenAlex could not be asked whether {len(failed)} work(s) were retracted ({why}): "
                         "Crossref's and DataCite's notices alone were read")
    return run


def _fresh(checked_at: str, now: dt.datetime, age: dt.timedelta) -> bool:
    try:
        when = dt.datetime.fromisoformat(checked_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when <= now and now - when < age


def judge(entry: Entry, kind: str, lookup: Lookup) -> SourceRecord:
    """The entry against what the registries said."""
    rec = SourceRecord(entry.index, "verified", kind, lookup.key, lookup.via, lookup.work, detail=lookup.detail,
                       checked_at=lookup.checked_at, from_cache=lookup.from_cache)
    if lookup.status != "found" or lookup.work is None:
        rec.verdict = {"doi-not-found": "doi-not-found", "not-found": "not-found", "other-agency": "unverifiable"}.get(
            lookup.status, "error")
        return rec
    work = lookup.work
    rec.notices = list(work.notices)
    if lookup.via == "doi" and different_work(entry, work):
        rec.verdict = "doi-mismatch"
        return rec
    rec.mismatches = compare(entry, work)
    if rec.retraction is not None:
        rec.verdict = "retracted"
    elif rec.mismatches:
        rec.verdict = "mismatch"
    elif rec.concerns:
        rec.verdict = "concern"
    return rec


def _author_part(entry: Entry) -> str:
    return entry.author_text or "; ".join(entry.authors) or entry.raw


def different_work(entry: Entry, work: Work) -> bool:
    """Whether the DOI's record is another work: its title and its authors both disagree with the entry,
    judged on the entry's whole text too, so that a misread field cannot make the error."""
    if not work.titles or not work.authors or not entry.title or not entry.authors:
        return False
    if len(match.norm_title(entry.title).split()) < 3:
        return False
    if match.title_score(entry.title, work.titles) >= match.TITLE_SAME or match.title_in_text(work.titles, entry.raw):
        return False
    if match.first_author_agrees(entry.authors, work.authors):
        return False
    # The record's first author is nowhere in the entry: not a misread author field, another work.
    return not match.surname_in_text(*work.authors[0], entry.raw)


def compare(entry: Entry, work: Work) -> list[tuple[str, str, str]]:
    """(field, cited, registry's) for each field of the entry that the record contradicts."""
    out: list[tuple[str, str, str]] = []
    year = entry.year_value
    if year is not None and work.years and year not in work.years:
        gap = match.year_gap(year, work.years) or 0
        # One year off where the record knows only one date: the other (online-first or issue) is missing.
        if not (gap == 1 and not work.dates_complete and work.type in ("journal-article", "article")):
            out.append(("year", str(year), str(work.year or work.years[0])))
    if entry.title and work.titles and match.title_score(entry.title, work.titles) < match.TITLE_SAME \
            and not match.title_in_text(work.titles, entry.raw):
        out.append(("title", entry.title, work.title))
    authors = _authors_problem(entry, work)
    if authors:
        out.append(authors)
    if work.type in ("journal-article", "article") and entry.container:
        cited = _cited_container(entry)
        if match.container_agrees(cited, work.containers, entry.record.container if entry.record and
                                  entry.record.container else entry.raw) is False:
            out.append(("journal", cited, work.containers[0]))
    vol = entry.record.volume if entry.record else _first(VOLUME, entry.raw)
    if vol and work.volume and vol.isdigit() and work.volume.isdigit() and int(vol) != int(work.volume):
        out.append(("volume", vol, work.volume))
    page = _first_page(entry.record.pages) if entry.record and entry.record.pages else _first(PAGES, entry.raw)
    have = _first_page(work.pages)
    if page and have and page.isdigit() and have.isdigit() and int(page) != int(have):
        out.append(("pages", page, work.pages or have))
    return out


def _authors_problem(entry: Entry, work: Work) -> tuple[str, str, str] | None:
    if not entry.authors or not work.authors:
        return None
    part = _author_part(entry)
    g0, f0 = work.authors[0]
    # The first author differs: the record's first author is absent from the entry's authors, or the
    # cited first author is another author of the record (the order changed).
    if not match.first_author_agrees(entry.authors, work.authors) and (
            not match.surname_in_text(g0, f0, part) or match.author_listed(entry.authors, work.authors)):
        return ("authors", f"first author {entry.authors[0]}", f"first author {work.author_names()[0]}")
    if 2 <= len(work.authors) <= 8 and not ET_AL.search(entry.raw):
        missing = [n for (g, f), n in zip(work.authors, work.author_names()) if not match.surname_in_text(g, f, part)]
        if missing and len(entry.authors) < len(work.authors):
            return ("authors", "; ".join(entry.authors), "; ".join(work.author_names()))
    return None


def _cited_container(entry: Entry) -> str:
    if entry.record is not None and entry.record.container:
        return entry.record.container
    text = entry.container or ""
    return re.split(r",\s*(?:vol|no|pp?\b|hlm|\d)", text, maxsplit=1, flags=re.I)[0].strip(" ,.")


def _first(patterns: list[re.Pattern[str]], text: str) -> str | None:
    flat = " ".join(text.split())
    for p in patterns:
        m = p.search(flat)
        if m:
            return m.group(1)
    return None


def _first_page(pages: str | None) -> str | None:
    if not pages:
        return None
    m = re.match(r"\s*([A-Za-z]?\d+)", pages)
    return m.group(1) if m else None


def record_link(rec: SourceRecord) -> str | None:
    return rec.work.record_url if rec.work is not None else None


def plain_key(text: str) -> str:
    return name_key(text)
