"""An asyncio HTTP server for the benchmark: the same pages as tests/linkserver.py for the routes the
benchmark uses, at a fraction of the CPU, so that the 2-core machine measures the checker, not the harness."""

from __future__ import annotations

import asyncio

from linkserver import page

LIMITED_SEEN: set[tuple[str, str]] = set()
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body>Checking your browser. cf-chl</body></html>"


def respond(method: str, path: str, host: str = "") -> tuple[int, dict[str, str], bytes]:
    segs = [s for s in path.split("?")[0].split("/") if s]
    head = segs[0] if segs else ""
    n = segs[1] if len(segs) > 1 else "page"
    if not segs:
        return 200, {}, page("Beranda — Situs Berita")
    if head == "ok":
        return 200, {}, page(" ".join(segs[1:]).replace("-", " ").title())
    if head == "gone404":
        return 404, {}, page("404 Not Found")
    if head == "gone410":
        return 410, {}, page("Gone")
    if head == "moved":
        return 301, {"Location": f"/ok/new-{n}"}, b""
    if head == "soft":
        return 200, {}, page("Halaman tidak ditemukan", body="Maaf, halaman yang Anda cari tidak ditemukan.")
    if head == "deep":
        return 301, {"Location": "/"}, b""
    if head == "nohead":
        return (405, {"Allow": "GET"}, b"") if method == "HEAD" else (200, {}, page("Artikel Tanpa Head"))
    if head == "limited":
        if (host, path) not in LIMITED_SEEN:  # once per URL, on every host
            LIMITED_SEEN.add((host, path))
            return 429, {"Retry-After": "1"}, b"slow down"
        return 200, {}, page("Artikel Setelah Antre")
    if head == "challenge":
        return 403, {"Server": "cloudflare", "cf-mitigated": "challenge"}, CHALLENGE
    return 404, {}, page("404 Not Found")


REASONS = {200: "OK", 301: "Moved Permanently", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           410: "Gone", 429: "Too Many Requests"}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        method, path, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        await asyncio.sleep(delay)
        status, headers, body = respond(method, path, str(writer.get_extra_info("sockname")))
        head = [f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}", "Content-Type: text/html; charset=utf-8",
                f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (b"" if method == "HEAD" else body))
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve_all(hosts: list[str], port: int, delay: float, ready, stop) -> None:  # type: ignore[no-untyped-def]
    servers = [await asyncio.start_server(lambda r, w: handle(r, w, delay), host, port, backlog=512)
               for host in hosts]
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for s in servers:
        s.close()


def run(hosts: list[str], port: int, delay: float, ready, stop) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(serve_all(hosts, port, delay, ready, stop))
