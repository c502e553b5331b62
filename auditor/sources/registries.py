"""Registry clients: Crossref, DataCite, OpenAlex (and doi.org's registration-agency lookup).

Each reads the registry's real response shape into a `Work`: the record's essential fields and its
notices. Only an entry's own fields are sent (a DOI in the path, a title and author as query values);
the base URLs come from the user's configuration.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

# (url, params, headers, timeout) -> (status, headers, body); status 0: no answer (the reason in
# headers["x-error"]). Implemented by auditor.sources.http.get_json; tests may pass their own.
GetJson = Callable[[str, dict[str, str], dict[str, str], float], tuple[int, dict[str, str], bytes]]

MAX_RETRY_AFTER = 60.0
RETRACTING = {"retraction", "withdrawal", "removal"}
CONCERNING = {"expression_of_concern", "correction", "erratum", "corrigendum", "partial_retraction"}


@dataclass
class Notice:
    """A notice about a work: retraction, withdrawal, expression of concern, correction."""

    kind: str  # normalised: "retraction", "withdrawal", "expression_of_concern", "correction", …
    label: str = ""
    doi: str | None = None
    date: str | None = None
    source: str = ""

    @property
    def retracts(self) -> bool:
        return self.kind in RETRACTING

    def describe(self) -> str:
        what = (self.label or self.kind.replace("_", " ")).strip()
        when = f" of {self.date}" if self.date else ""
        where = f" (doi:{self.doi})" if self.doi else ""
        return f"{what}{when}{where}"


@dataclass
class Work:
    """The essential fields of one registry record."""

    registry: str  # crossref, datacite, openalex
    record_url: str  # where a person can read the registry's record
    doi: str | None = None
    titles: list[str] = field(default_factory=list)
    authors: list[tuple[str, str]] = field(default_factory=list)  # (given, family)
    year: int | None = None  # the year the registry gives the work (issued)
    years: list[int] = field(default_factory=list)  # every year of the record: issued, print, online
    containers: list[str] = field(default_factory=list)
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    type: str = ""
    notices: list[Notice] = field(default_factory=list)
    retracted: bool = False  # the registry says so (OpenAlex is_retracted, a RETRACTED title)
    # Both the print and the online date are known: a year one off from both is a wrong year, not the
    # missing other date.
    dates_complete: bool = False

    @property
    def title(self) -> str:
        return self.titles[0] if self.titles else ""

    def author_names(self) -> list[str]:
        return [f"{f}, {g}".strip(", ") if f else g for g, f in self.authors]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Work:
        data = json.loads(text)
        data["authors"] = [tuple(a) for a in data.get("authors", [])]
        data["notices"] = [Notice(**n) for n in data.get("notices", [])]
        return cls(**data)


class RegistryError(Exception):
    """A registry did not answer usefully (network failure, 5xx, rate limit past the retries)."""


class RateLimit:
    """At most `rate` requests in any second to one registry, shared by every thread; a 429's Retry-After
    holds every thread back.

    A sliding window, as registries count: a request may go when fewer than `count` requests went in
    the last `window` seconds (count = the rate's whole part, window = one second, or 1/rate for a rate
    below one a second). So a run of n requests takes n / rate seconds, not n / rate plus a spacing
    margin per request. The window is widened by `MARGIN` (an absolute 30 ms, not a share of the
    interval): the server counts requests on arrival, and network jitter must not bring the request
    that opens a window and the one that closes the next into one second (a 429 costs a whole
    Retry-After). A slot is taken only when the request goes, so a Retry-After that comes while a
    thread waits also holds that thread, and a 429 widens the window by another margin.
    """

    MARGIN = 0.03

    def __init__(self, rate: float) -> None:
        self.count = max(1, int(rate)) if rate > 0 else 0  # 0: no limit
        self.base = (max(1.0, 1.0 / rate) + self.MARGIN) if rate > 0 else 0.0
        self.window = self.base
        self.sent: deque[float] = deque()
        self.until = 0.0  # held back until then (Retry-After)
        self.lock = threading.Lock()

    def wait(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                slot = self.until
                if self.count and len(self.sent) >= self.count:
                    slot = max(slot, self.sent[0] + self.window)
                if slot <= now:
                    if self.count:
                        self.sent.append(now)
                        if len(self.sent) > self.count:
                            self.sent.popleft()
                    return
            time.sleep(slot - now)

    def hold(self, seconds: float) -> None:
        with self.lock:
            self.until = max(self.until, time.monotonic() + seconds)

    def refused(self) -> None:
        """The registry answered 429: by its clock we went too fast, so widen the window by another margin
        (at most four more: 150 ms of margin in all)."""
        with self.lock:
            if self.count:
                self.window = min(self.window + self.MARGIN, self.base + 4 * self.MARGIN)


def retry_after(headers: dict[str, str]) -> float | None:
    """Seconds a registry's Retry-After asks to wait (the link checker's reading of the header)."""
    from auditor.linkcheck.scheduler import retry_after_header

    return retry_after_header(headers)


class Client:
    """One registry: base URL, politeness (rate, mailto, User-Agent), bounded retries."""

    name = ""
    accept = "application/json"  # what the registry asks clients to accept

    def __init__(self, base: str, get: GetJson, *, rate: float, timeout: float, retries: int = 2,
                 user_agent: str = "", mailto: str | None = None, backoff: float = 0.5) -> None:
        self.base = base.rstrip("/")
        self.get = get
        self.limit = RateLimit(rate)
        self.timeout = timeout
        self.retries = retries
        self.user_agent = user_agent
        self.mailto = mailto
        self.backoff = backoff
        self.requests = 0

    def params(self, params: dict[str, str]) -> dict[str, str]:
        return params

    def fetch(self, path: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON or None); 404 is an answer; failures past the retries raise RegistryError."""
        url = self.base + path
        query = self.params(dict(params or {}))
        headers = {"User-Agent": self.user_agent, "Accept": self.accept}
        for attempt in range(self.retries + 1):
            self.limit.wait()
            self.requests += 1
            status, head, body = self.get(url, query, headers, self.timeout)
            head = {k.lower(): v for k, v in head.items()}
            if status in (429, 502, 503, 504) or status == 0:
                if status == 429:
                    self.limit.refused()
                if attempt < self.retries:
                    wait = retry_after(head) if status in (429, 503) else None
                    if wait is not None:
                        self.limit.hold(wait)
                    else:
                        time.sleep(self.backoff * (2 ** attempt))
                    continue
                why = head.get("x-error") or f"HTTP {status}"
                raise RegistryError(f"{self.name}: {why}")
            if status == 404:
                return 404, None
            if status != 200:
                raise RegistryError(f"{self.name}: HTTP {status}")
            try:
                return 200, json.loads(body.decode("utf-8", "replace"))
            except ValueError:
                raise RegistryError(f"{self.name}: the answer is not JSON") from None
        raise RegistryError(f"{self.name}: no answer")  # pragma: no cover - the loop returns or raises


def _doi_path(doi: str) -> str:
    return quote(doi, safe="")


def _year_of(part: Any) -> int | None:
    try:
        y = int(part["date-parts"][0][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return y if 1000 < y < 3000 else None


def _date_of(part: Any) -> str | None:
    try:
        bits = [int(x) for x in part["date-parts"][0] if x is not None]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return "-".join(f"{b:02d}" if i else f"{b:04d}" for i, b in enumerate(bits[:3])) or None


def _strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def _kind(text: str) -> str:
    return (text or "").strip().lower().replace("-", "_").replace(" ", "_")


class Crossref(Client):
    name = "crossref"

    def params(self, params: dict[str, str]) -> dict[str, str]:
        if self.mailto:
            params["mailto"] = self.mailto  # the polite pool, as Crossref asks
        return params

    def record_url(self, doi: str) -> str:
        return f"{self.base}/works/{_doi_path(doi)}"

    def work(self, doi: str) -> Work | None:
        status, data = self.fetch(f"/works/{_doi_path(doi)}")
        if status == 404 or not isinstance(data, dict):
            return None
        message = data.get("message")
        return self.parse(message) if isinstance(message, dict) else None

    def search(self, query: str, rows: int = 5) -> list[Work]:
        status, data = self.fetch("/works", {"query.bibliographic": query, "rows": str(rows)})
        if status == 404 or not isinstance(data, dict):
            return []
        items = (data.get("message") or {}).get("items") or []
        return [self.parse(i) for i in items if isinstance(i, dict)]

    def parse(self, m: dict[str, Any]) -> Work:
        doi = str(m.get("DOI") or "").lower() or None
        titles = _strs(m.get("title"))
        subtitles = _strs(m.get("subtitle"))
        if titles and subtitles:
            titles.append(f"{titles[0]}: {subtitles[0]}")
        titles += _strs(m.get("original-title")) + _strs(m.get("short-title"))
        authors = []
        for a in m.get("author") or []:
            if isinstance(a, dict):
                given, family = str(a.get("given") or ""), str(a.get("family") or a.get("name") or "")
                if given or family:
                    authors.append((given, family))
        years = [y for y in (_year_of(m.get(k)) for k in ("issued", "published-print", "published-online",
                                                          "published")) if y]
        work = Work("crossref", self.record_url(doi) if doi else self.base, doi, titles, authors,
                    years[0] if years else None, sorted(set(years)),
                    _strs(m.get("container-title")) + _strs(m.get("short-container-title")),
                    _str(m.get("volume")), _str(m.get("issue")), _str(m.get("page")), str(m.get("type") or ""))
        work.dates_complete = bool(m.get("published-print") and m.get("published-online"))
        # updated-by: notices about this work (a retraction of it); update-to on the work itself: a
        # publisher re-deposited the work as its own retraction ("RETRACTED: …" under the same DOI).
        for rel in ("updated-by", "update-to"):
            for u in m.get(rel) or []:
                if not isinstance(u, dict):
                    continue
                target = str(u.get("DOI") or "").lower() or None
                if rel == "update-to" and target != doi:
                    continue  # this record is a notice about another work
                work.notices.append(Notice(_kind(str(u.get("type") or "")), str(u.get("label") or ""),
                                           target if rel == "updated-by" else doi, _date_of(u.get("updated")),
                                           str(u.get("source") or "publisher")))
        if titles and titles[0].strip().upper().startswith(("RETRACTED", "WITHDRAWN")):
            work.retracted = True
        return work


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class DataCite(Client):
    name = "datacite"
    accept = "application/vnd.api+json"  # JSON:API, as DataCite's REST API documents

    def record_url(self, doi: str) -> str:
        return f"{self.base}/dois/{_doi_path(doi)}"

    def work(self, doi: str) -> Work | None:
        status, data = self.fetch(f"/dois/{_doi_path(doi)}")
        if status == 404 or not isinstance(data, dict):
            return None
        attrs = (data.get("data") or {}).get("attributes") or {}
        if not isinstance(attrs, dict):
            return None
        titles = [str(t.get("title")) for t in attrs.get("titles") or [] if isinstance(t, dict) and t.get("title")]
        authors = []
        for c in attrs.get("creators") or []:
            if not isinstance(c, dict):
                continue
            family = str(c.get("familyName") or "")
            given = str(c.get("givenName") or "")
            if not family and not given:
                name = str(c.get("name") or "")
                family, _, given = name.partition(",") if "," in name else (name, "", "")
            authors.append((given.strip(), family.strip()))
        year = None
        try:
            year = int(attrs.get("publicationYear"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
        publisher = attrs.get("publisher")
        if isinstance(publisher, dict):
            publisher = publisher.get("name")
        container = attrs.get("container") or {}
        containers = _strs(container.get("title")) if isinstance(container, dict) else []
        kind = (attrs.get("types") or {}).get("resourceTypeGeneral") if isinstance(attrs.get("types"), dict) else ""
        real = str(attrs.get("doi") or doi).lower()
        return Work("datacite", self.record_url(real), real, titles, authors, year, [year] if year else [],
                    containers or _strs(publisher), type=str(kind or ""))


class OpenAlex(Client):
    name = "openalex"

    def params(self, params: dict[str, str]) -> dict[str, str]:
        if self.mailto:
            params["mailto"] = self.mailto
        return params

    def work(self, doi: str) -> Work | None:
        status, data = self.fetch(f"/works/doi:{_doi_path(doi)}")
        if status == 404 or not isinstance(data, dict):
            return None
        return self.parse(data)

    def retractions(self, dois: list[str]) -> dict[str, tuple[bool, str]]:
        """DOI -> (is_retracted, the record's URL) for each of `dois` (one request, see `openalex_batches`)
        that OpenAlex holds; a DOI it does not hold is absent. Failures raise RegistryError."""
        results: Any
        if len(dois) == 1 and not BATCHABLE_DOI.fullmatch(dois[0].lower()):
            status, data = self.fetch(f"/works/doi:{_doi_path(dois[0])}", {"select": RETRACTION_FIELDS})
            results = [data] if status == 200 else []
        else:
            status, data = self.fetch("/works", {"filter": "doi:" + "|".join(dois), "select": RETRACTION_FIELDS,
                                                 "per-page": str(2 * OPENALEX_BATCH)})
            results = data.get("results") if isinstance(data, dict) else None
            if status != 200 or not isinstance(results, list):
                raise RegistryError(f"{self.name}: an answer of an unknown shape")
        out: dict[str, tuple[bool, str]] = {}
        for r in results:
            if not isinstance(r, dict) or not r.get("doi"):
                continue
            doi = _bare_doi(r["doi"])
            ident = str(r.get("id") or "")
            url = ident if ident.startswith("http") else f"{self.base}/works/doi:{_doi_path(doi)}"
            retracted = r.get("is_retracted") is True
            if doi not in out or retracted:  # a duplicate record that says retracted wins
                out[doi] = (retracted, url)
        return out

    def search(self, query: str, rows: int = 5) -> list[Work]:
        status, data = self.fetch("/works", {"search": query, "per-page": str(rows)})
        if status == 404 or not isinstance(data, dict):
            return []
        return [self.parse(r) for r in data.get("results") or [] if isinstance(r, dict)]

    def parse(self, r: dict[str, Any]) -> Work:
        doi = str(r.get("doi") or "").lower()
        for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
            doi = doi.removeprefix(prefix)
        titles = _strs(r.get("title")) or _strs(r.get("display_name"))
        authors = []
        for a in r.get("authorships") or []:
            name = str(((a or {}).get("author") or {}).get("display_name") or "") if isinstance(a, dict) else ""
            if name:
                given, _, family = name.rpartition(" ")
                authors.append((given, family))
        year = r.get("publication_year")
        year = year if isinstance(year, int) else None
        source = ((r.get("primary_location") or {}).get("source") or {}) if isinstance(r.get("primary_location"),
                                                                                      dict) else {}
        biblio = r.get("biblio") or {}
        pages = None
        if isinstance(biblio, dict) and biblio.get("first_page"):
            pages = str(biblio["first_page"]) + (f"-{biblio['last_page']}" if biblio.get("last_page") else "")
        ident = str(r.get("id") or "")
        url = ident if ident.startswith("http") else f"{self.base}/works/{quote(ident, safe='')}"
        work = Work("openalex", url, doi or None, titles, authors, year, [year] if year else [],
                    _strs(source.get("display_name")) if isinstance(source, dict) else [],
                    _str(biblio.get("volume")) if isinstance(biblio, dict) else None,
                    _str(biblio.get("issue")) if isinstance(biblio, dict) else None, pages, str(r.get("type") or ""))
        if r.get("is_retracted") is True:
            work.retracted = True
        return work


# OpenAlex's OR filter takes up to 50 values; a DOI with a character the filter syntax uses (`|`, `,`,
# `:`, `+`) or an unusual one is asked on its own (`/works/doi:{doi}`).
OPENALEX_BATCH = 50
BATCHABLE_DOI = re.compile(r"10\.\d{4,9}/[-._;()/<>\[\]a-z0-9]+")
RETRACTION_FIELDS = "id,doi,is_retracted"


def openalex_batches(dois: list[str]) -> list[list[str]]:
    """The DOIs in requests to OpenAlex: up to 50 a request where the OR filter can carry them, else one each."""
    plain = [d for d in dois if BATCHABLE_DOI.fullmatch(d.lower())]
    alone = [[d] for d in dois if not BATCHABLE_DOI.fullmatch(d.lower())]
    return [plain[i:i + OPENALEX_BATCH] for i in range(0, len(plain), OPENALEX_BATCH)] + alone


def _bare_doi(value: Any) -> str:
    doi = str(value or "").strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        doi = doi.removeprefix(prefix)
    return doi


class DoiAgency(Client):
    """doi.org's registration-agency lookup: does a DOI exist at all, and who registered it?"""

    name = "doi.org"

    def agency(self, doi: str) -> str | None:
        """"Crossref", "DataCite", "mEDRA", "JaLC" …; None when the DOI does not exist."""
        status, data = self.fetch(f"/ra/{_doi_path(doi)}")
        if status == 404:
            return None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise RegistryError(f"{self.name}: an answer of an unknown shape")
        if data[0].get("RA"):
            return str(data[0]["RA"])
        said = str(data[0].get("status") or "").lower()
        if "does not exist" in said or "invalid" in said:
            return None
        raise RegistryError(f"{self.name}: {said or 'no agency named'}")


def query_string(params: dict[str, str]) -> str:
    return urlencode(params)
