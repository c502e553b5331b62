"""A local HTTP server that plays every kind of website the link checker meets (tests and bench).

Routes: /ok/<slug>, /title/<words>, /dated/<yyyy-mm-dd>/<slug>, /gone404/…, /gone410/…, /moved/<n>
(301 → /ok/new-<n>), /temp/<n> (302 → /ok/<n>), /soft/<n> (200 "halaman tidak ditemukan"),
/deep/<a>/<b>/<n> (redirect → /), /nohead/<n> (HEAD → 405), /limited/<n> (429 Retry-After: 1 once),
/challenge/<n> (Cloudflare-style 403), /drip (one byte a second), /loop/<n> (endless redirects),
/big (10 MB), /bomb (gzip that inflates to 50 MB), /error503, /error500, /redirect-to?url=…,
/archive (Wayback-style availability API).
"""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

BOMB = gzip.compress(b"\0" * (50 * 1024 * 1024), compresslevel=9)
BIG = b"<html><title>big</title>" + b"x" * (10 * 1024 * 1024)


def page(title: str, published: str | None = None, body: str = "") -> bytes:
    meta = f'<meta property="article:published_time" content="{published}T10:00:00+07:00">' if published else ""
    filler = " ".join(["Isi artikel yang cukup panjang untuk sebuah halaman berita."] * 40)
    return (f"<!doctype html><html><head><title>{title}</title>{meta}</head>"
            f"<body><h1>{title}</h1><p>{body or filler}</p></body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LinkServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def send(self, status: int, body: bytes = b"", headers: dict | None = None, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        self.close_connection = True

    def redirect(self, status: int, location: str) -> None:
        self.send(status, b"", {"Location": location})

    def do_HEAD(self) -> None:
        self.route()

    def do_GET(self) -> None:
        self.route()

    def route(self) -> None:
        self.server.hits.append((self.command, self.path))
        if self.server.delay:
            time.sleep(self.server.delay)
        parts = urlsplit(self.path)
        segs = [unquote(s) for s in parts.path.split("/") if s]
        head = segs[0] if segs else ""
        if not segs:
            return self.send(200, page("Beranda — Situs Berita"))
        if head == "ok":
            return self.send(200, page(" ".join(segs[1:]).replace("-", " ").title() or "Artikel"))
        if head == "title":
            return self.send(200, page(" ".join(segs[1:])))
        if head == "dated":
            return self.send(200, page(segs[2].replace("-", " ").title() if len(segs) > 2 else "Artikel", segs[1]))
        if head == "gone404":
            return self.send(404, page("404 Not Found"))
        if head == "gone410":
            return self.send(410, page("Gone"))
        if head == "moved":
            return self.redirect(301, f"/ok/new-{segs[1] if len(segs) > 1 else 'page'}")
        if head == "temp":
            return self.redirect(302, f"/ok/{segs[1] if len(segs) > 1 else 'page'}")
        if head == "soft":
            return self.send(200, page("Halaman tidak ditemukan", body="Maaf, halaman yang Anda cari tidak ditemukan."))
        if head == "deep":
            return self.redirect(301, "/")
        if head == "nohead":
            if self.command == "HEAD":
                return self.send(405, b"", {"Allow": "GET"})
            return self.send(200, page("Artikel Tanpa Head"))
        if head == "limited":
            with self.server.lock:
                first = self.path not in self.server.limited
                self.server.limited.add(self.path)  # this server is one host: once per path
            if first:
                return self.send(429, b"slow down", {"Retry-After": "1"})
            return self.send(200, page("Artikel Setelah Antre"))
        if head == "challenge":
            body = b"<html><head><title>Just a moment...</title></head><body>Checking your browser. cf-chl</body></html>"
            return self.send(403, body, {"Server": "cloudflare", "cf-mitigated": "challenge"})
        if head == "error503":
            return self.send(503, b"down")
        if head == "error500":
            return self.send(500, b"oops")
        if head == "loop":
            n = int(segs[1]) if len(segs) > 1 and segs[1].isdigit() else 0
            return self.redirect(302, f"/loop/{n + 1}")
        if head == "big":
            return self.send(200, BIG)
        if head == "bomb":
            return self.send(200, BOMB, {"Content-Encoding": "gzip"})
        if head == "gzip":
            return self.send(200, gzip.compress(page("Halaman Terkompresi")), {"Content-Encoding": "gzip"})
        if head == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(120):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        if head == "redirect-to":
            target = parse_qs(parts.query).get("url", ["/"])[0]
            return self.redirect(302, target)
        if head == "archive":
            query = parse_qs(parts.query)
            url = query.get("url", [""])[0]
            stamp = query.get("timestamp", ["20240101"])[0]
            snapshot = f"http://web.archive.invalid/web/{stamp}000000/{url}"
            body = ('{"archived_snapshots": {"closest": {"available": true, "status": "200", '
                    f'"url": "{snapshot}", "timestamp": "{stamp}000000"}}}}}}').encode()
            return self.send(200, body, ctype="application/json")
        return self.send(404, page("404 Not Found"))


class LinkServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    handler: type[BaseHTTPRequestHandler] = Handler

    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0) -> None:
        super().__init__((host, port), self.handler)
        self.delay = delay
        self.hits: list[tuple[str, str]] = []
        self.limited: set[str] = set()
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LinkServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def url_quote(url: str) -> str:
    return quote(url, safe="")


class KeepAliveHandler(BaseHTTPRequestHandler):
    """A server that keeps the connection open although the request says `Connection: close` (many do),
    or (mode "drop") closes it after answering without saying so."""

    protocol_version = "HTTP/1.1"
    server: KeepAliveServer

    def log_message(self, *args) -> None:
        pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.close_connection = False  # ignore the client's `Connection: close`
        return ok

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.server.hits.append((self.command, self.path))
        body = page(" ".join(s for s in self.path.split("/") if s).replace("-", " ").title() or "Beranda")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # no `Connection: close`: the connection stays open for another request
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()
        if self.server.mode == "drop":
            # Close the connection at once after answering, as a busy server or a proxy does.
            self.close_connection = True


class KeepAliveServer(LinkServer):
    handler = KeepAliveHandler

    def __init__(self, mode: str = "keep", host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.mode = mode
