"""Turn a fetch into one outcome, and read the page's title and publication date.

Outcomes: ok, redirected, dead, soft-404, blocked, timeout, error, skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from auditor.linkcheck.client import Fetch, front_page_of
from auditor.linkcheck.records import ErrorKind, Outcome
from auditor.model import PartialDate
from auditor.parsing.dates import find_dates

SOFT_404 = re.compile(
    r"\b(?:page|file|article|post|content)\s+(?:was\s+)?not\s+found\b|\b404\b|\bnot\s+found\b|"
    r"page\s+(?:you\s+(?:are|were)\s+looking\s+for|you\s+requested)\s+(?:does\s+not|doesn['’]t|could\s+not|cannot|can['’]t|is\s+no\s+longer)|"
    r"(?:does\s+not|doesn['’]t)\s+exist|no\s+longer\s+(?:available|exists)|page\s+(?:has\s+been\s+)?removed|"
    r"halaman\s+(?:yang\s+anda\s+cari\s+)?tidak\s+(?:ditemukan|tersedia|ada)|tidak\s+ditemukan|"
    r"(?:artikel|berita|konten|laman)\s+tidak\s+(?:ditemukan|tersedia)|maaf,?\s+halaman|"
    r"halaman\s+tidak\s+dapat\s+ditemukan|error\s+404|galat\s+404",
    re.I,
)
CHALLENGE = re.compile(
    r"just a moment\.\.\.|attention required! \| cloudflare|cf-chl|challenge-platform|checking your browser|"
    r"enable javascript and cookies to continue|ddos-guard|captcha|are you a robot|access denied",
    re.I,
)
DATE_META = ("article:published_time", "og:published_time", "published_time", "pubdate", "publishdate",
             "publish-date", "publish_date", "date", "dc.date", "dc.date.issued", "dcterms.created",
             "dcterms.issued", "citation_publication_date", "citation_date", "sailthru.date", "parsely-pub-date",
             "datepublished", "article.published", "content_publishdate", "og:article:published_time")


@dataclass
class PageInfo:
    title: str | None = None
    titles: tuple[str, ...] = ()
    published: PartialDate | None = None
    text: str = ""


class _PageParser(HTMLParser):
    """Collects the title candidates, date metadata and some visible text in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.h1: list[str] = []
        self.meta_titles: list[str] = []
        self.dates: list[str] = []
        self.jsonld: list[str] = []
        self.text: list[str] = []
        self.text_len = 0
        self._in: str | None = None
        self._h1_done = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").strip().lower()
            content = a.get("content", "")
            if key in ("og:title", "twitter:title", "citation_title", "dc.title") and content:
                self.meta_titles.append(" ".join(content.split()))
            elif key in DATE_META and content:
                self.dates.append(content)
        elif tag == "title" and not self.title:
            self._in = "title"
        elif tag == "h1" and not self._h1_done:
            self._in = "h1"
        elif tag == "time" and a.get("datetime"):
            self.dates.append(a["datetime"])
        elif tag == "script":
            self._skip += 1
            self._in = "jsonld" if a.get("type") == "application/ld+json" else self._in
        elif tag in ("style", "noscript", "template"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
            if self._in == "jsonld":
                self._in = None
        elif tag == "title" and self._in == "title":
            self._in = None
        elif tag == "h1" and self._in == "h1":
            self._in = None
            self._h1_done = True

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title.append(data)
        elif self._in == "h1":
            self.h1.append(data)
        elif self._in == "jsonld":
            self.jsonld.append(data)
        if not self._skip and self.text_len < 5000:
            self.text.append(data)
            self.text_len += len(data)


def decode_body(body: bytes, content_type: str | None) -> str:
    """Text of a response body: the charset the server names, or one declared in the page, else UTF-8."""
    charset = None
    if content_type:
        m = re.search(r"charset=[\"']?([\w\-]+)", content_type, re.I)
        charset = m.group(1) if m else None
    if not charset:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([\w\-]+)", body[:4096], re.I)
        charset = declared.group(1).decode("ascii", "ignore") if declared else None
    try:
        return body.decode(charset or "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def page_info(body: bytes, content_type: str | None) -> PageInfo:
    """Title candidates (<title>, og:title, h1), publication date and visible text of an HTML page."""
    if not body or (content_type and "html" not in content_type.lower() and "xml" not in content_type.lower()):
        return PageInfo()
    parser = _PageParser()
    try:
        parser.feed(decode_body(body, content_type))
        parser.close()
    except Exception:  # a broken page is still a page; keep what was read
        pass
    titles = [" ".join("".join(parser.title).split())] + parser.meta_titles + [" ".join("".join(parser.h1).split())]
    titles = [t for t in titles if t]
    published = None
    for value in parser.dates:
        published = iso_date(value)
        if published:
            break
    if published is None:
        for block in parser.jsonld:
            try:
                published = _jsonld_date(json.loads(block))
            except (ValueError, TypeError, RecursionError):  # a page nested too deeply has no date
                continue
            if published:
                break
    visible = " ".join(" ".join(parser.text).split())[:5000]
    return PageInfo(titles[0] if titles else None, tuple(dict.fromkeys(titles)), published, visible)


JSONLD_DEPTH = 32  # real JSON-LD nests a few levels; deeper is not looked into


def _jsonld_date(data, depth: int = 0) -> PartialDate | None:
    if depth > JSONLD_DEPTH:
        return None
    if isinstance(data, list):
        for item in data:
            d = _jsonld_date(item, depth + 1)
            if d:
                return d
    elif isinstance(data, dict):
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if isinstance(data.get(key), str):
                d = iso_date(data[key])
                if d:
                    return d
        for value in data.values():
            if isinstance(value, (dict, list)):
                d = _jsonld_date(value, depth + 1)
                if d:
                    return d
    return None


def iso_date(text: str) -> PartialDate | None:
    m = re.match(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if m and 1500 <= int(m.group(1)) <= 2100:
        month = int(m.group(2)) if m.group(2) else None
        day = int(m.group(3)) if m.group(3) else None
        if month and not 1 <= month <= 12:
            month, day = None, None
        return PartialDate(int(m.group(1)), month, day)
    dates = find_dates(text, year_only=True)
    return dates[0].date if dates else None


@dataclass
class Verdict:
    outcome: Outcome
    detail: str
    final_url: str | None = None


def same_page(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        p = urlsplit(u)
        host = (p.hostname or "").lower().removeprefix("www.")
        return f"{host}{p.path.rstrip('/')}?{p.query}"

    return norm(a) == norm(b)


# The outcome of a fetch that got no HTTP answer, by its error kind, with the words used when the
# fetch has none (kinds not listed are errors).
ERROR_OUTCOMES: dict[ErrorKind, tuple[Outcome, str | None]] = {
    ErrorKind.PRIVATE: (Outcome.SKIPPED, "private address"),
    ErrorKind.SCHEME: (Outcome.ERROR, "redirect to a non-web address"),
    ErrorKind.TIMEOUT: (Outcome.TIMEOUT, "timed out"),
    ErrorKind.DNS: (Outcome.DEAD, "the host name does not exist"),
    ErrorKind.REFUSED: (Outcome.DEAD, "the connection was refused"),
}
# Kinds whose fixed words replace the fetch's own.
FIXED_DETAIL = {ErrorKind.DNS, ErrorKind.REFUSED}
DEAD_STATUS = {404, 410}
BLOCKED_STATUS = {401, 403, 429, 999}
BLOCKED_IF_CHALLENGE = {502, 503}  # an overloaded server, unless the page is a bot challenge
CHALLENGE_STATUS = {401, 403, 429, 502, 503}  # statuses whose body is searched for a challenge


def classify(f: Fetch, info: PageInfo | None = None) -> Verdict:
    """The outcome of a fetch, with a short human explanation."""
    if f.error_kind is not None:
        outcome, words = ERROR_OUTCOMES.get(f.error_kind, (Outcome.ERROR, None))
        detail = words if f.error_kind in FIXED_DETAIL else f.error or words or f.error_kind
        return Verdict(outcome, detail or "")
    status = f.status or 0
    final = f.final_url or f.url
    if f.landed_on_front:
        return Verdict(Outcome.SOFT_404, f"the link now leads to {final}", final)
    challenge = f.headers.get("cf-mitigated") == "challenge"
    small_page = info is not None and 0 < len(info.text) < 1500
    if not challenge and f.body and (status in CHALLENGE_STATUS or small_page):
        challenge = bool(CHALLENGE.search(f.body[:8000].decode("utf-8", "replace")))
    if status in DEAD_STATUS:
        return Verdict(Outcome.DEAD, f"HTTP {status}", final)
    if status in BLOCKED_STATUS or (status in BLOCKED_IF_CHALLENGE and challenge):
        return Verdict(Outcome.BLOCKED, f"HTTP {status}, bot challenge" if challenge else f"HTTP {status}", final)
    if status >= 400:
        return Verdict(Outcome.ERROR, f"HTTP {status}", final)
    if 200 <= status < 300:
        if f.hops and front_page_of(f.url, final):
            return Verdict(Outcome.SOFT_404, f"the link now leads to {final}", final)
        if info is not None and _looks_missing(info):
            return Verdict(Outcome.SOFT_404, "the page says it was not found", final)
        if challenge and status == 200 and info is not None and len(info.text) < 2000:
            return Verdict(Outcome.BLOCKED, "bot challenge page", final)
        permanent = [h for h in f.hops if h.status in (301, 308)]
        if permanent and not same_page(f.url, final):
            return Verdict(Outcome.REDIRECTED, f"moved permanently to {final}", final)
        return Verdict(Outcome.OK, f"HTTP {status}", final)
    if 300 <= status < 400:
        return Verdict(Outcome.ERROR, f"HTTP {status} without a usable Location", final)
    return Verdict(Outcome.ERROR, f"HTTP {status}", final)


def _looks_missing(info: PageInfo) -> bool:
    for title in info.titles:
        if SOFT_404.search(title):
            return True
    # A short page whose text is mostly an error message.
    return len(info.text) < 1500 and bool(SOFT_404.search(info.text[:600]))
