"""URLs and DOIs in reference entries: extraction, normalisation, embedded dates, slugs, validity."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from auditor.model import PartialDate
from auditor.parsing.text import Spans, unescape_markdown

# The runs of URL characters are possessive (`*+`, `++`): what follows a run can never be one of its
# characters, so giving characters back could not produce a match, only cost time on unclosed input.
ANGLE = re.compile(r"<((?:https?|ftp)://[^>\s]*+(?:\s[^>\s]++)*?)>|<(www\.[^>\s]++)>", re.I)
MD_TARGET = re.compile(r"\]\(((?:(?:https?|ftp)://|www\.)[^)\s]++(?:\([^)\s]*\)[^)\s]*)*)\)", re.I)
# Each `<…>` or `](…)` is looked for within this many characters of where it opens, so that text
# full of unclosed openers costs time proportional to its length.
URL_WINDOW = 4096
BARE = re.compile(r"(?=[hfw])(?<![\w/<(\[])((?:https?|ftp)://[^\s<>\"'\]]+|www\.[a-z0-9\-]+\.[^\s<>\"'\]]+)", re.I)
FILE_EXTENSIONS = r"(?:pdf|html?|php|aspx?|jsp|docx?|xlsx?|pptx?|txt|csv|zip)"
SPLIT_FILE = re.compile(rf"[ \t][^\s<>\"'/]{{1,60}}\.{FILE_EXTENSIONS}\b", re.I)
FILE_END = re.compile(rf"\.{FILE_EXTENSIONS}$|\.[a-z0-9]{{1,5}}$|/$", re.I)
WIKI_LINK = re.compile(r"\[\[((?:https?|ftp)://[^\]\s]+)\]\]", re.I)
ARCHIVE_HOST = re.compile(r"(?:^|\.)(?:archive\.org|archive\.(?:today|is|ph|li|vn|fo|md)|webcitation\.org|"
                          r"archive-it\.org|arquivo\.pt|webarchive\.[\w.]+)$", re.I)
DOI = re.compile(r"(?=1)\b(10\.\d{4,9}/[^\s<>\"'\]]+)", re.I)
TRAILING = ".,;:!?'\"”’*"


def _trim(url: str) -> str:
    url = url.strip()
    while url and url[-1] in TRAILING:
        url = url[:-1]
    # A closing parenthesis belongs to the URL only when the URL opened one.
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1]
    while url and url[-1] in TRAILING:
        url = url[:-1]
    return url


def _scan(pattern: re.Pattern[str], text: str, opener: str) -> Iterator[re.Match[str]]:
    """Non-overlapping matches of `pattern`, tried only where `opener` occurs, each on at most URL_WINDOW
    characters."""
    pos = text.find(opener)
    while pos != -1:
        m = pattern.match(text, pos, min(len(text), pos + URL_WINDOW))
        if m:
            yield m
        pos = text.find(opener, m.end() if m else pos + 1)


def find_urls(text: str) -> list[tuple[str, str, int]]:
    """URLs in an entry as (cleaned url, url as written, offset), angle brackets and link targets first."""
    out: list[tuple[str, str, int]] = []
    spans = Spans()
    seen: set[str] = set()

    def add(raw: str, start: int, end: int) -> None:
        if spans.overlaps(start, end):
            return
        spans.add(start, end)
        cleaned = _trim(unescape_markdown(raw))
        if cleaned.lower().startswith("www."):
            cleaned = "http://" + cleaned
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            out.append((cleaned, raw, start))

    for m in _scan(MD_TARGET, text, "]("):
        add(m.group(1), m.start(1), m.end(1))
    for m in WIKI_LINK.finditer(text):
        add(m.group(1), m.start(1), m.end(1))
    for m in _scan(ANGLE, text, "<"):
        raw = m.group(1) or m.group(2)
        add(raw, m.start(), m.end())
    for m in BARE.finditer(text):
        end = m.end(1)
        # "…/files/paper 2022.pdf": a file name broken by a space stays one (malformed) URL.
        tail = SPLIT_FILE.match(text, end)
        if tail and "/" in m.group(1)[8:] and not FILE_END.search(m.group(1)):
            end = tail.end()
        add(text[m.start(1):end], m.start(1), end)
    out.sort(key=lambda u: u[2])
    return out


def find_doi(text: str) -> str | None:
    """The DOI named in an entry (bare, `doi:`, or inside a doi.org or publisher URL)."""
    m = DOI.search(unescape_markdown(text))
    if not m:
        return None
    return _trim(m.group(1)).lower()


def is_doi_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("doi.org", "dx.doi.org", "www.doi.org")


@functools.lru_cache(maxsize=8192)
def normalize_url(url: str) -> str:
    """A comparison key: scheme, `www.`, letter case, escapes, fragment and trailing slash ignored."""
    url = unescape_markdown(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    path = unquote(parts.path).rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}".lower()


URL_DATE_PATTERNS = [
    # /2024/06/20/ and /2020/09/ (news sites, wp-content/uploads)
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>0?[1-9]|1[0-2])(?:/(?P<d>0?[1-9]|[12]\d|3[01]))?(?=/|$)"),
    # /20241031050407-4-584408/ (date and time stamped ids)
    re.compile(r"/(?P<y>20\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?:\d{0,8})(?=[-_/.]|$)"),
    # /2024-06-20-title or _2024-06-20
    re.compile(r"[/_\-](?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?=[-_/.]|$)"),
]


def url_date(url: str) -> PartialDate | None:
    """A publication date written into the URL's path, if there is one (not an archive's snapshot time)."""
    try:
        parts = urlsplit(url)
        path = parts.path
    except ValueError:
        return None
    if ARCHIVE_HOST.search(parts.hostname or ""):
        return None  # web.archive.org/web/20070925…/: when the copy was made, not when the page was
    for pattern in URL_DATE_PATTERNS:
        m = pattern.search(path)
        if m:
            d = m.groupdict().get("d")
            return PartialDate(int(m["y"]), int(m["m"]), int(d) if d else None)
    return None


def url_slug(url: str) -> list[str]:
    """The words of the URL's most descriptive path segment: `/bila-diserang--1163034` → [bila, diserang]."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return []
    best: list[str] = []
    for segment in path.split("/"):
        segment = re.sub(r"\.(html?|php|aspx?|pdf)$", "", segment, flags=re.I)
        tokens = [t for t in re.split(r"[-_+\s]+", segment) if t]
        wordy = [t.lower() for t in tokens if re.fullmatch(r"[^\W\d_]+", t)]
        if len(wordy) >= 3 and len(wordy) >= len(tokens) - 2 and len(wordy) > len(best):
            best = wordy
    return best


@functools.lru_cache(maxsize=1)
def _tld_extractor():
    import tldextract

    # The bundled snapshot of the public suffix list: the audit never fetches it.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def url_problem(url: str, written: str | None = None) -> str | None:
    """Why the URL cannot be a working web address, or None when it can."""
    written = written if written is not None else url
    if re.search(r"\s", written.strip()):
        return "it contains spaces"
    if "\\" in url:
        return "it still contains a backslash escape"
    if url.count("(") != url.count(")") or url.count("[") != url.count("]"):
        return "its brackets are unbalanced"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "it cannot be parsed"
    if parts.scheme.lower() not in ("http", "https", "ftp"):
        return f"'{parts.scheme}' is not a web address scheme"
    host = parts.hostname or ""
    if not host:
        return "it has no host name"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if host == "localhost":
        return None
    if not re.fullmatch(r"[a-z0-9\-.]+", host, re.I) and not host.startswith("xn--"):
        try:
            host.encode("idna")
        except UnicodeError:
            return f"the host '{host}' is not a valid name"
    if ".." in host or host.startswith((".", "-")):
        return f"the host '{host}' is not a valid name"
    ext = _tld_extractor()(host)
    if not ext.suffix:
        tld = host.rsplit(".", 1)[-1] if "." in host else host
        return f"the host '{host}' has no valid top-level domain ('.{tld}' does not exist)"
    if not ext.domain:
        return f"the host '{host}' is only a public suffix"
    return None


def domain_label(url: str) -> str:
    """The registrable name of the URL's host without its suffix: `www.antaraneews.com` → `antaraneews`."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return _tld_extractor()(host).domain.lower()
