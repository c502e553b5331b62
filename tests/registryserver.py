"""Fake scholarly registries on one local HTTP server, answering in the registries' real shapes.

Prefixes: /crossref (`/works/{doi}` → {"status":"ok","message-type":"work","message":{…}}, `/works?
query.bibliographic=…&rows=5` → "work-list" with message.items), /openalex (`/works/doi:{doi}`,
`/works?search=…&per-page=5` → {"meta":…,"results":[…]}), /datacite (`/dois/{doi}` →
{"data":{"id","type":"dois","attributes":{…}}}) and /doi (`/ra/{doi}`, doi.org's agency lookup).
Unknown DOIs get 404 as the registries give it. Options: `delay` (latency per request), `rate`
(requests per second to each registry, counted on arrival in a sliding second as registries do; past
it, 429 with Retry-After: 1), `limited` (paths answered 429 with Retry-After once) and `down`
(registries that answer 503 to everything). OpenAlex also answers `/works?filter=doi:a|b|c` (its OR
filter, up to 50 DOIs, with `select` of root fields), as the real API does. Works are given as plain dicts (see `Spec`), rendered per registry.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypedDict
from urllib.parse import parse_qs, unquote, urlsplit

from rapidfuzz import fuzz


class Spec(TypedDict, total=False):
    doi: str
    title: str
    subtitle: str
    other_titles: list[str]  # more `title` values (a translated title)
    authors: list[tuple[str, str]]  # (given, family)
    year: int  # issued
    print_year: int
    online_year: int
    journal: str
    volume: str
    issue: str
    page: str
    type: str
    updated_by: list[dict[str, Any]]  # {"type": "retraction", "label": "Retraction", "DOI": …, "date": [y, m, d]}
    retracted: bool  # OpenAlex is_retracted
    openalex: bool  # False: OpenAlex does not hold the work (default True)
    registry: str  # crossref (default), datacite, openalex (no DOI record anywhere but OpenAlex), agency:<RA>


def _parts(*values: int | None) -> dict[str, Any]:
    return {"date-parts": [[v for v in values if v is not None]]}


def crossref_message(s: Spec) -> dict[str, Any]:
    m: dict[str, Any] = {
        "DOI": s.get("doi", ""), "type": s.get("type", "journal-article"), "publisher": "Fake Publisher",
        "title": [s.get("title", "")] + list(s.get("other_titles", [])), "source": "Crossref",
        "author": [{"given": g, "family": f, "sequence": "first" if i == 0 else "additional", "affiliation": []}
                   for i, (g, f) in enumerate(s.get("authors", []))],
        "issued": _parts(s.get("year")), "reference-count": 0, "prefix": s.get("doi", "10.0/x").split("/")[0],
        "member": "1", "indexed": {"date-parts": [[2026, 1, 1]], "date-time": "2026-01-01T00:00:00Z"},
        "container-title": [s["journal"]] if s.get("journal") else [],
        "relation": {},
    }
    if s.get("subtitle"):
        m["subtitle"] = [s["subtitle"]]
    if s.get("print_year"):
        m["published-print"] = _parts(s["print_year"])
    if s.get("online_year"):
        m["published-online"] = _parts(s["online_year"])
    for key in ("volume", "issue", "page"):
        if s.get(key):
            m[key] = s[key]
    if s.get("updated_by"):
        m["updated-by"] = [{"updated": {"date-parts": [u.get("date", [2024, 1, 1])], "date-time": "2024-01-01T00:00:00Z",
                                        "timestamp": 1704067200000},
                            "DOI": u.get("DOI", ""), "type": u["type"], "label": u.get("label", u["type"].title()),
                            "source": u.get("source", "retraction-watch"), "record-id": u.get("record-id", "1")}
                           for u in s["updated_by"]]
    return m


def openalex_work(s: Spec, n: int) -> dict[str, Any]:
    return {
        "id": f"https://openalex.org/W{1000 + n}", "doi": f"https://doi.org/{s['doi']}" if s.get("doi") else None,
        "title": s.get("title"), "display_name": s.get("title"), "publication_year": s.get("year"),
        "type": "article", "is_retracted": bool(s.get("retracted")),
        "authorships": [{"author_position": "first" if i == 0 else "middle",
                         "author": {"id": f"https://openalex.org/A{i}", "display_name": f"{g} {f}".strip()}}
                        for i, (g, f) in enumerate(s.get("authors", []))],
        "primary_location": {"source": {"display_name": s.get("journal")}} if s.get("journal") else None,
        "biblio": {"volume": s.get("volume"), "issue": s.get("issue"),
                   "first_page": (s.get("page") or "").split("-")[0] or None,
                   "last_page": (s.get("page") or "-").split("-")[-1] or None},
    }


def datacite_data(s: Spec) -> dict[str, Any]:
    return {"data": {"id": s["doi"], "type": "dois", "attributes": {
        "doi": s["doi"], "titles": [{"title": s.get("title", "")}],
        "creators": [{"name": f"{f}, {g}", "givenName": g, "familyName": f, "nameType": "Personal"}
                     for g, f in s.get("authors", [])],
        "publisher": "Zenodo", "publicationYear": s.get("year"),
        "types": {"resourceTypeGeneral": s.get("type", "Text")}}}}


def _search_text(s: Spec) -> str:
    names = " ".join(f for _, f in s.get("authors", []))
    return f"{s.get('title', '')} {s.get('subtitle', '')} {names} {s.get('year', '')} {s.get('journal', '')}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RegistryServer

    def log_message(self, *args: Any) -> None:
        pass

    def send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: C901 - one route per registry endpoint
        srv = self.server
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        registry = parts.path.split("/")[1] if parts.path.count("/") > 1 else ""
        with srv.lock:
            srv.hits.append((parts.path, query, dict(self.headers)))
            now = time.monotonic()
            window = srv.windows[registry] = [t for t in srv.windows.get(registry, []) if now - t < 1.0]
            over = srv.rate is not None and len(window) >= srv.rate
            if not over:
                window.append(now)
            elif srv.rate is not None:
                srv.overs.append((registry, now - window[0]))
            once = parts.path in srv.limited
            srv.limited.discard(parts.path)
        if srv.delay:
            time.sleep(srv.delay)
        if over or once:
            srv.refused += 1
            return self.send(429, b"Too many requests", {"Retry-After": "1"})
        if registry in srv.down:
            return self.send(503, b"Service unavailable")
        path = unquote(parts.path)
        if path.startswith("/crossref/works/"):
            doi = path.removeprefix("/crossref/works/").lower()
            spec = srv.by_doi.get(doi)
            if spec is None or spec.get("registry", "crossref") != "crossref":
                return self.send(404, b"Resource not found.")
            return self.send(200, {"status": "ok", "message-type": "work", "message-version": "1.0.0",
                                   "message": crossref_message(spec)})
        if path == "/crossref/works":
            rows = int(query.get("rows", "20"))
            items = [crossref_message(s) for s in srv.search(query.get("query.bibliographic", ""), rows, "crossref")]
            return self.send(200, {"status": "ok", "message-type": "work-list", "message-version": "1.0.0",
                                   "message": {"facets": {}, "total-results": len(items), "items": items,
                                               "items-per-page": rows, "query": {"start-index": 0,
                                                                                 "search-terms": None}}})
        if path.startswith("/openalex/works/doi:"):
            doi = path.removeprefix("/openalex/works/doi:").lower()
            spec = srv.by_doi.get(doi)
            if spec is None or not spec.get("openalex", True):
                return self.send(404, {"error": "Not found"})
            work = openalex_work(spec, srv.number(spec))
            fields = [f for f in query.get("select", "").split(",") if f]
            return self.send(200, {k: work.get(k) for k in fields} if fields else work)
        if path == "/openalex/works" and query.get("filter", "").startswith("doi:"):
            # The OR filter: DOIs short or as URLs, case-insensitive; `select` keeps root fields.
            wanted = [d.strip().lower().removeprefix("https://doi.org/") for d in query["filter"][4:].split("|")]
            if len(wanted) > 50:
                return self.send(403, {"error": "Invalid query parameters error.",
                                       "message": "Maximum number of values exceeded for doi. Decrease values to 50 or below."})
            found = [s for s in (srv.by_doi.get(d) for d in dict.fromkeys(wanted))
                     if s is not None and s.get("openalex", True)]
            fields = [f for f in query.get("select", "").split(",") if f]
            results = [openalex_work(s, srv.number(s)) for s in found]
            if fields:
                results = [{k: r.get(k) for k in fields} for r in results]
            per = int(query.get("per-page", "25"))
            return self.send(200, {"meta": {"count": len(results), "db_response_time_ms": 4, "page": 1,
                                            "per_page": per, "groups_count": None},
                                   "results": results[:per], "group_by": []})
        if path == "/openalex/works":
            per = int(query.get("per-page", "25"))
            found = srv.search(query.get("search", ""), per, "openalex")
            return self.send(200, {"meta": {"count": len(found), "db_response_time_ms": 3, "page": 1, "per_page": per},
                                   "results": [openalex_work(s, srv.number(s)) for s in found],
                                   "group_by": []})
        if path.startswith("/datacite/dois/"):
            doi = path.removeprefix("/datacite/dois/").lower()
            spec = srv.by_doi.get(doi)
            if spec is None or spec.get("registry") != "datacite":
                return self.send(404, {"errors": [{"status": "404",
                                                   "title": "The resource you are looking for doesn't exist."}]})
            return self.send(200, datacite_data(spec))
        if path.startswith("/doi/ra/"):
            doi = path.removeprefix("/doi/ra/").lower()
            spec = srv.by_doi.get(doi)
            if spec is None:
                return self.send(200, [{"DOI": doi, "status": "DOI does not exist"}])
            ra = spec.get("registry", "crossref")
            ra = ra.split(":", 1)[1] if ra.startswith("agency:") else {"crossref": "Crossref",
                                                                       "datacite": "DataCite"}.get(ra, "Crossref")
            return self.send(200, [{"DOI": doi, "RA": ra}])
        return self.send(404, b"Resource not found.")


class RegistryServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, works: list[Spec], delay: float = 0.0, rate: int | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.works = list(works)
        self.by_doi = {w["doi"].lower(): w for w in self.works if w.get("doi")}
        self.delay = delay
        self.rate = rate
        self.hits: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.windows: dict[str, list[float]] = {}  # per registry: arrivals in the last second
        self.overs: list[tuple[str, float]] = []  # 429s for the rate: (registry, span of the full window)
        self.down: set[str] = set()  # registries (crossref, openalex …) that answer 503 to everything
        self.limited: set[str] = set()
        self.refused = 0
        self.lock = threading.Lock()
        self._texts = [_search_text(w).lower() for w in self.works]

    def number(self, spec: Spec) -> int:
        """The work's place (its OpenAlex id), also for a work a test put in `by_doi` in place of another."""
        for i, w in enumerate(self.works):
            if w is spec or (spec.get("doi") and w.get("doi", "").lower() == spec["doi"].lower()):
                return i
        return len(self.works)

    def search(self, text: str, rows: int, registry: str) -> list[Spec]:
        """The works most like the query, as a relevance search ranks them (title words count most)."""
        text = text.lower()
        scored = []
        for w, t in zip(self.works, self._texts):
            if registry == "crossref" and w.get("registry", "crossref") not in ("crossref",):
                continue
            if registry == "openalex" and not w.get("openalex", True):
                continue
            score = fuzz.token_set_ratio(text, t)
            if score >= 50:
                scored.append((score, w))
        scored.sort(key=lambda p: -p[0])
        return [w for _, w in scored[:rows]]

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def settings(self) -> dict[str, str]:
        """The [tool.auditor.sources] URLs that point at this server."""
        return {"crossref-url": f"{self.base}/crossref", "openalex-url": f"{self.base}/openalex",
                "datacite-url": f"{self.base}/datacite", "doi-url": f"{self.base}/doi"}

    def start(self) -> RegistryServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
