"""Fetch one URL politely and safely: manual redirects, private-address guard, bounded body, deadline.

HTTP goes through a `requests.Session` (one per worker thread) whose adapter (`GuardedAdapter`) builds
urllib3 pools of guarded connections: the checks need what a plain session hides, the socket of each
connection, to test the address actually connected to and to cut a check at its deadline. No network
exception escapes: every failure becomes a Fetch with an error kind, found by exception type.

The private-address guard runs on every hop of a redirect chain, in three places: a literal IP in
the URL is refused before any connection; a host name is resolved by the guard itself and *every*
address it resolves to is checked before connecting (the socket then connects to those checked
addresses, not to a second lookup); and the peer of the connected socket is checked once more. So a
private host gives the same `private` result whether its port is open or closed (no port-scan
oracle), and no byte is sent to it.

A connection serves one request: every request says `Connection: close`, the sockets of a check are
closed when it ends, and the pools never keep a connection for the next check.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

from auditor import HOMEPAGE, __version__
from auditor.linkcheck.records import ErrorKind

USER_AGENT = f"citation-auditor/{__version__} (+{HOMEPAGE})"
REDIRECTS = (301, 302, 303, 307, 308)


class PrivateAddressError(Exception):
    """The host resolved to a private, loopback or link-local address and those are not allowed."""


@dataclass
class Policy:
    timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 3 * 1024 * 1024
    max_redirects: int = 10
    allow_private: bool = False
    user_agent: str = USER_AGENT
    head: bool = False
    stop_at_front: bool = True
    # Seconds earlier attempts at the same URL took (retries): the deadline is for the URL in all.
    spent: float = 0.0
    # Headers added to or replacing the defaults (`HEADERS`; a registry's `Accept: application/json`).
    # Every request still says `Connection: close`.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hop:
    url: str
    status: int


@dataclass
class Fetch:
    """What happened when fetching one URL (after following redirects)."""

    url: str
    status: int | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    hops: list[Hop] = field(default_factory=list)
    error_kind: ErrorKind | None = None  # None: the server answered
    error: str | None = None
    elapsed_ms: int = 0
    method: str = "GET"
    landed_on_front: bool = False
    page: Any = None  # the PageInfo read from the body in the worker thread (see linkcheck.engine)


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def front_page_of(original: str, final: str) -> bool:
    """Whether final is the home page or a section front above the deep link original (a soft 404)."""
    a, b = urlsplit(original), urlsplit(final)
    if (a.hostname or "").removeprefix("www.") != (b.hostname or "").removeprefix("www."):
        return False
    orig, fin = _segments(original), _segments(final)
    deep = len(orig) >= 2 or (len(orig) == 1 and len(orig[0]) > 12)
    if not deep or len(fin) >= len(orig):
        return False
    return orig[: len(fin)] == fin and len(fin) <= 1


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_private(ip: str) -> bool:
    """Whether an address is anything but a globally routable unicast address (unparsable counts as private).

    IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4,
    Teredo) are private when the embedded address is; IPv4-mapped and NAT64 addresses are judged by it.
    """
    try:
        addr = ipaddress.ip_address(ip.split("%")[0].strip("[]"))
    except ValueError:
        return True
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped:
            return is_private(str(addr.ipv4_mapped))
        if addr in NAT64:  # a NAT64 gateway connects to the embedded IPv4 address: judge that one
            return is_private(str(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)))
        embedded = [addr.sixtofour] if addr.sixtofour else []
        embedded += list(addr.teredo or ())
        if any(is_private(str(e)) for e in embedded):
            return True
    return bool(not addr.is_global or addr.is_multicast or addr.is_reserved or addr.is_unspecified
                or addr.is_loopback or addr.is_link_local or addr.is_private)


def literal_ip(host: str | None) -> str | None:
    """The IP address when a URL's host is written as one (IPv6 without brackets), else None."""
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%")[0]))
    except ValueError:
        return None


_local = threading.local()


class Watchdog:
    """One thread that cuts the sockets of every check that passes its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: dict[int, tuple[float, object]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    def add(self, when: float, action) -> int:
        with self._cond:
            self._next += 1
            self._jobs[self._next] = (when, action)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="linkcheck-watchdog", daemon=True)
                self._thread.start()
            # No notify: the watchdog wakes at least every 0.25 s, which is precise enough for deadlines
            # of seconds and spares a thread switch per request.
            return self._next

    def cancel(self, ticket: int) -> None:
        with self._cond:
            self._jobs.pop(ticket, None)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [t for t, (when, _) in self._jobs.items() if when <= now]
                actions = [self._jobs.pop(t)[1] for t in due]
                if not actions:
                    soonest = min((when for when, _ in self._jobs.values()), default=now + 1.0)
                    self._cond.wait(timeout=max(0.01, min(soonest - now, 0.25)))
                    continue
            for action in actions:
                try:
                    action()  # type: ignore[operator]
                except Exception:
                    pass


WATCHDOG = Watchdog()


def _guard_and_track(sock: socket.socket) -> socket.socket:
    """Check the address connected to and remember the socket so the deadline can cut it."""
    state = getattr(_local, "state", None)
    if state is not None:
        try:
            peer = sock.getpeername()[0]
        except OSError:
            peer = None
        if peer and not state["allow_private"] and is_private(peer):
            state["sockets"].append(sock)  # closed with the others when the check ends
            raise PrivateAddressError(f"the host resolves to the private address {peer}")
        state["sockets"].append(sock)
    return sock


def _resolve_checked(host: str, port: int) -> list[tuple]:
    """Resolve host and refuse, before any connection, when any of its addresses is private."""
    if host.startswith("["):
        host = host.strip("[]")
    infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        if is_private(str(sockaddr[0])):
            raise PrivateAddressError(f"the host resolves to the private address {sockaddr[0]}")
    return infos


def _connect_checked(conn: HTTPConnection) -> socket.socket:
    """urllib3's create_connection, but connecting only to the addresses the guard has just checked.

    Written here rather than calling urllib3's helper because that helper resolves the name itself:
    a second lookup could answer differently (DNS rebinding) from the one that was checked.
    """
    try:
        infos = _resolve_checked(conn._dns_host, conn.port)
    except socket.gaierror as e:
        raise NameResolutionError(conn.host, conn, e) from e
    err: OSError | None = None
    for af, socktype, proto, _, sockaddr in infos:
        sock = None
        try:
            sock = socket.socket(af, socktype, proto)
            for opt in conn.socket_options or []:
                sock.setsockopt(*opt)
            if isinstance(conn.timeout, (int, float)):  # else urllib3's "default" sentinel or None
                sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            err = e
            if sock is not None:
                sock.close()
    if isinstance(err, socket.timeout):
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={conn.timeout})"
                                  ) from err
    raise NewConnectionError(conn, f"Failed to establish a new connection: {err}") from err


def _new_guarded_conn(conn: HTTPConnection, plain) -> socket.socket:
    state = getattr(_local, "state", None)
    if state is None or state["allow_private"]:
        return _guard_and_track(plain())
    return _guard_and_track(_connect_checked(conn))


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _new_guarded_conn(self, super()._new_conn)


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _new_guarded_conn(self, super()._new_conn)


class _SingleUse:
    """A pool that closes every connection given back instead of keeping it for the next request."""

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            conn.close()
        super()._put_conn(None)  # type: ignore[misc]  # keeps the pool's count of free slots


class _GuardedHTTPPool(_SingleUse, HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(_SingleUse, HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """requests' adapter on pools whose connections pass the private-address guard and the deadline.

    It never uses a proxy (a proxy would connect on our behalf, past the guard) and never keeps a
    connection for another request: every request says `Connection: close`, and a server that keeps
    the connection open anyway must not leave a socket in the pool that a later check would reuse
    after this check closed it (issue 12: "file descriptor cannot be a negative integer").
    """

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise PrivateAddressError("proxies are not used by the link checker")


def new_session() -> requests.Session:
    """A session for one thread: guarded adapter, no proxies or .netrc from the environment, no cookies."""
    session = requests.Session()
    session.trust_env = False  # no proxy, .netrc or CA bundle from the environment
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))  # as a fresh client
    adapter = GuardedAdapter(pool_connections=4, pool_maxsize=1, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = new_session()
    return s


def fetch(url: str, policy: Policy) -> Fetch:
    """GET (or HEAD then GET) the URL, following up to max_redirects hops, within the deadline (what is
    left of it after `policy.spent`)."""
    started = time.monotonic() - policy.spent
    result = Fetch(url)
    sockets: list[socket.socket] = []
    _local.state = {"allow_private": policy.allow_private, "sockets": sockets}
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        for s in list(sockets):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    ticket = WATCHDOG.add(started + policy.deadline, cut)
    try:
        if policy.head:
            head = _follow(url, policy, result, "HEAD", started, expired)
            if head.error_kind is None and head.status is not None and head.status < 400:
                head.elapsed_ms = int((time.monotonic() - started) * 1000)
                return head
            result = Fetch(url)
        result = _follow(url, policy, result, "GET", started, expired)
    finally:
        WATCHDOG.cancel(ticket)
        _local.state = None
        for s in sockets:
            try:
                s.close()
            except OSError:
                pass
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    return result


HEADERS = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Encoding": "gzip, deflate",
           "Accept-Language": "id,en;q=0.8", "Connection": "close"}


def _follow(url: str, policy: Policy, result: Fetch, method: str, started: float,
            expired: threading.Event) -> Fetch:
    result.method = method
    current = url
    headers = {"User-Agent": policy.user_agent, **HEADERS, **policy.headers, "Connection": "close"}
    for _ in range(policy.max_redirects + 1):
        scheme = urlsplit(current).scheme.lower()
        if scheme not in ("http", "https"):
            result.error_kind, result.error = ErrorKind.SCHEME, f"a redirect led to a non-web address ({scheme}:)"
            return result
        ip = literal_ip(urlsplit(current).hostname)
        if ip is not None and not policy.allow_private and is_private(ip):
            # Refused before any connection: not even a closed port is told from an open one.
            result.error_kind, result.error = ErrorKind.PRIVATE, f"the address {ip} is private"
            return result
        remaining = policy.deadline - (time.monotonic() - started)
        if remaining <= 0 or expired.is_set():
            result.error_kind = ErrorKind.TIMEOUT
            result.error = f"no answer within the deadline of {policy.deadline:g} s"
            return result
        try:
            limit = min(policy.timeout, remaining)
            # Prepared here rather than by Session.request: the session has nothing to merge in (no
            # cookies, auth or environment), and merging costs a fifth of the client's CPU.
            request = requests.PreparedRequest()
            request.prepare(method=method, url=current, headers=headers)
            resp = _session().send(request, allow_redirects=False, stream=True, timeout=(limit, limit),
                                   verify=True, proxies={})
        except Exception as exc:  # every network failure becomes a result
            _describe_error(result, exc, expired, policy)
            return result
        try:
            result.status = resp.status_code
            result.final_url = current
            result.headers = {k.lower(): v for k, v in resp.headers.items()}
            location = resp.headers.get("location")
            if resp.status_code in REDIRECTS and location:
                result.hops.append(Hop(current, resp.status_code))
                current = urljoin(current, location.strip())
                if policy.stop_at_front and front_page_of(url, current):
                    # A deep link sent to the home page or a section front: that is the answer (a
                    # soft 404); fetching the home page would tell nothing more.
                    result.final_url = current
                    result.landed_on_front = True
                    return result
                continue
            if method == "GET":
                _read_body(resp.raw, result, policy, expired)
            return result
        except Exception as exc:
            _describe_error(result, exc, expired, policy)
            return result
        finally:
            resp.close()
    result.error_kind, result.error = ErrorKind.REDIRECTS, f"more than {policy.max_redirects} redirects"
    return result


def _read_body(resp: Any, result: Fetch, policy: Policy, expired: threading.Event) -> None:
    """Read at most max_bytes of the body, decompressing gzip/deflate under the same bound."""
    encoding = (resp.headers.get("content-encoding") or "").lower().strip()
    decoder = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(31)
    elif encoding == "deflate":
        decoder = zlib.decompressobj(15)
    out = bytearray()
    limit = policy.max_bytes
    raw_limit = limit * 2
    raw_read = 0
    while True:
        if expired.is_set():
            raise TimeoutError("deadline")
        chunk = resp.read(16384, decode_content=False)
        if not chunk:
            break
        raw_read += len(chunk)
        if decoder is None:
            out += chunk
        else:
            data = chunk
            while data:
                try:
                    piece = decoder.decompress(data, limit - len(out) + 1)
                except zlib.error:
                    if encoding == "deflate" and not out:
                        decoder = zlib.decompressobj(-15)
                        piece = decoder.decompress(data, limit - len(out) + 1)
                    else:
                        raise ValueError("the compressed body is corrupt") from None
                out += piece
                if len(out) > limit:
                    break
                data = decoder.unconsumed_tail
        if len(out) > limit or raw_read > raw_limit:
            result.truncated = True
            break
    result.body = bytes(out[:limit])


# What a failure is, by the type of an exception anywhere in its chain (causes, contexts, wrapped
# reasons), first match wins: requests wraps urllib3's errors, which wrap the socket's.
ERROR_TYPES: tuple[tuple[tuple[type[BaseException], ...], ErrorKind], ...] = (
    ((socket.gaierror, NameResolutionError), ErrorKind.DNS),
    ((ConnectionRefusedError,), ErrorKind.REFUSED),
    # Not urllib3's TimeoutError: its NewConnectionError (any failure to connect) is one.
    ((TimeoutError, urllib3.exceptions.ReadTimeoutError, requests.exceptions.Timeout), ErrorKind.TIMEOUT),
    ((ssl.SSLError, ssl.CertificateError, urllib3.exceptions.SSLError, requests.exceptions.SSLError),
     ErrorKind.TLS),
    ((urllib3.exceptions.LocationValueError, requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
      requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader, UnicodeError),
     ErrorKind.INVALID),
    ((urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, http.client.HTTPException,
      requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError, ValueError),
     ErrorKind.INVALID),
)


def error_kind_of(exc: BaseException) -> tuple[ErrorKind, BaseException]:
    """The kind of a network failure, by exception type (never by the words of its message), and the
    innermost exception of that type (whose message is the informative one)."""
    chain = _chain(exc)
    private = [e for e in chain if isinstance(e, PrivateAddressError)]
    if private:
        return ErrorKind.PRIVATE, private[-1]
    for types, kind in ERROR_TYPES:
        found = [e for e in chain if isinstance(e, types)]
        if found:
            return kind, found[-1]
    return ErrorKind.CONNECTION, exc


def _describe_error(result: Fetch, exc: Exception, expired: threading.Event, policy: Policy) -> None:
    kind, cause = error_kind_of(exc)
    if kind != ErrorKind.PRIVATE and expired.is_set():
        # The deadline cut the sockets: whatever broke then, it was the deadline.
        result.error_kind = ErrorKind.TIMEOUT
        result.error = f"no answer within the deadline of {policy.deadline:g} s"
        return
    result.error_kind = kind
    if kind == ErrorKind.DNS:
        result.error = "the host name does not exist"
    elif kind == ErrorKind.REFUSED:
        result.error = "the connection was refused"
    elif kind == ErrorKind.TIMEOUT:
        result.error = f"no answer within {policy.timeout:g} s (deadline {policy.deadline:g} s)"
    elif kind == ErrorKind.TLS:
        result.error = f"TLS failed: {cause}"[:300]
    elif kind == ErrorKind.INVALID:
        result.error = f"invalid request or response: {cause}"[:300]
    elif kind == ErrorKind.PRIVATE:
        result.error = str(cause)
    else:
        result.error = f"{type(exc).__name__}: {exc}"[:300]


def _chain(exc: BaseException) -> list[BaseException]:
    """exc and every exception behind it (cause, context, wrapped in args or `reason`), outermost first."""
    seen: list[BaseException] = []
    stack = [exc]
    while stack:
        e = stack.pop(0)
        if e in seen:
            continue
        seen.append(e)
        for nxt in (e.__cause__, e.__context__, *[a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]):
            if nxt is not None:
                stack.append(nxt)
        reason = getattr(e, "reason", None)
        if isinstance(reason, BaseException):
            stack.append(reason)
    return seen
