"""Link checking against HTTP servers started on 127.0.0.1: outcomes, bounds, guard, retries, cache, history."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from linkserver import LinkServer

from auditor.cli import cli
from auditor.config import Settings
from auditor.linkcheck import client as client_module
from auditor.linkcheck import verify_urls
from auditor.linkcheck.classify import classify, page_info
from auditor.linkcheck.client import Policy, fetch
from auditor.linkcheck.scheduler import Task, check_all
from auditor.store import open_db


@pytest.fixture(scope="module")
def server():
    s = LinkServer().start()
    yield s
    s.stop()


def outcome(url: str, **policy) -> tuple[str, str]:
    p = Policy(allow_private=True, timeout=policy.pop("timeout", 2), deadline=policy.pop("deadline", 4), **policy)
    f = fetch(url, p)
    v = classify(f, page_info(f.body, f.headers.get("content-type")))
    return v.outcome, v.detail


@pytest.mark.parametrize("path,expected", [
    ("/ok/kerja-sama-militer", "ok"),
    ("/temp/kerja-sama", "ok"),
    ("/gone404/x", "dead"),
    ("/gone410/x", "dead"),
    ("/moved/7", "redirected"),
    ("/soft/1", "soft-404"),
    ("/deep/section/2024/article", "soft-404"),
    ("/challenge/1", "blocked"),
    ("/limited/once-only", "blocked"),
    ("/error500", "error"),
    ("/error503", "error"),
    ("/loop/0", "error"),
    ("/gzip", "ok"),
    ("/nohead/1", "ok"),
])
def test_each_outcome(server: LinkServer, path: str, expected: str) -> None:
    """Each kind of page gets its outcome: dead, soft-404, blocked and error are told apart."""
    assert outcome(server.base + path)[0] == expected


def test_host_that_does_not_exist_and_refused_connection_are_dead() -> None:
    """No such host and a refused connection are dead links."""
    assert outcome("http://no-such-host.invalid/page")[0] == "dead"
    assert outcome("http://127.0.0.1:9/page") == ("dead", "the connection was refused")


def test_head_mode_falls_back_to_get(server: LinkServer) -> None:
    """With HEAD enabled, a page that refuses HEAD (405) is fetched again with GET."""
    server.hits.clear()
    assert outcome(server.base + "/nohead/9", head=True)[0] == "ok"
    assert [m for m, p in server.hits if p == "/nohead/9"] == ["HEAD", "GET"]


def test_dripping_server_is_cut_at_the_deadline(server: LinkServer) -> None:
    """A server sending one byte a second cannot hold the check past its total deadline."""
    start = time.monotonic()
    result = outcome(server.base + "/drip", timeout=1.5, deadline=2)
    assert result[0] == "timeout"
    assert time.monotonic() - start < 4


def test_redirect_loop_stops_at_the_limit(server: LinkServer) -> None:
    """An endless redirect chain stops after max_redirects hops and is an error."""
    f = fetch(server.base + "/loop/0", Policy(allow_private=True, max_redirects=10))
    assert f.error_kind == "redirects" and len(f.hops) == 11


def test_oversized_body_is_truncated(server: LinkServer) -> None:
    """At most max_bytes of a 10 MB page are read."""
    f = fetch(server.base + "/big", Policy(allow_private=True, max_bytes=100_000))
    assert f.truncated and len(f.body) == 100_000


def test_compression_bomb_is_bounded(server: LinkServer) -> None:
    """A gzip body that would inflate to 50 MB is decompressed only up to max_bytes."""
    f = fetch(server.base + "/bomb", Policy(allow_private=True, max_bytes=200_000))
    assert f.truncated and len(f.body) == 200_000


def test_compressed_page_is_read(server: LinkServer) -> None:
    """A gzip-compressed page is decompressed and its title read."""
    f = fetch(server.base + "/gzip", Policy(allow_private=True))
    assert page_info(f.body, f.headers.get("content-type")).title == "Halaman Terkompresi"


def test_loopback_is_refused_unless_allowed(server: LinkServer) -> None:
    """Loopback and private addresses are skipped by default, checked after DNS."""
    f = fetch(server.base + "/ok/private-1", Policy())
    assert f.error_kind == "private" and classify(f).outcome == "skipped"
    f = fetch(server.base.replace("127.0.0.1", "localhost") + "/ok/private-2", Policy())
    assert f.error_kind == "private"
    # The guard acts on connection, before any request is sent.
    assert not [p for _, p in server.hits if p.startswith("/ok/private-")]


def test_private_address_guard_applies_to_every_redirect(server: LinkServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A public page redirecting to a private address is stopped at the redirect."""
    other = LinkServer("127.0.0.2").start()
    try:
        # Treat 127.0.0.1 as public and 127.0.0.2 as private for this test.
        monkeypatch.setattr(client_module, "is_private", lambda ip: ip.startswith("127.0.0.2"))
        target = other.base + "/ok/secret"
        f = fetch(f"{server.base}/redirect-to?url={target}", Policy())
        assert f.error_kind == "private"
        assert ("GET", "/ok/secret") not in other.hits
    finally:
        other.stop()


def test_retry_after_is_honoured(server: LinkServer) -> None:
    """A 429 with Retry-After: 1 is retried after a second and then succeeds."""
    start = time.monotonic()
    results = check_all([Task(server.base + "/limited/retry", "k")], Policy(allow_private=True), retries=2)
    assert results["k"].status == 200
    assert time.monotonic() - start >= 0.95


def test_only_retryable_failures_are_retried(server: LinkServer) -> None:
    """503 is retried with backoff; 404 is an answer and is not retried."""
    server.hits.clear()
    check_all([Task(server.base + "/error503", "a"), Task(server.base + "/gone404/z", "b")],
              Policy(allow_private=True), retries=2, backoff=0.05)
    assert sum(1 for _, p in server.hits if p == "/error503") == 3
    assert sum(1 for _, p in server.hits if p == "/gone404/z") == 1


def test_per_host_cap_is_respected(server: LinkServer) -> None:
    """No more than per_host requests run at once against one host."""
    slow = LinkServer(delay=0.1).start()
    try:
        active, peak = [0], [0]
        import threading
        lock = threading.Lock()

        def counting(url: str, policy: Policy):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                return fetch(url, policy)
            finally:
                with lock:
                    active[0] -= 1

        tasks = [Task(f"{slow.base}/ok/{i}", str(i)) for i in range(8)]
        results = check_all(tasks, Policy(allow_private=True), per_host=2, concurrency=8, fetcher=counting)
        assert len(results) == 8 and peak[0] == 2
    finally:
        slow.stop()


def test_slow_host_does_not_stall_the_others(server: LinkServer) -> None:
    """Round-robin scheduling: a fast host's URLs finish while a slow host is still busy."""
    slow = LinkServer(delay=1.5).start()
    try:
        finished: list[str] = []
        tasks = [Task(f"{slow.base}/ok/{i}", f"slow{i}") for i in range(4)]
        tasks += [Task(f"{server.base}/ok/{i}", f"fast{i}") for i in range(6)]
        check_all(tasks, Policy(allow_private=True), per_host=1, concurrency=4,
                  progress=lambda key, f: finished.append(key))
        # Every fast URL is done before the slow host has answered even its first request.
        first_slow = next(i for i, k in enumerate(finished) if k.startswith("slow"))
        assert all(k.startswith("slow") for k in finished[first_slow:])
    finally:
        slow.stop()


def test_user_agent_names_the_tool(server: LinkServer) -> None:
    """Requests carry a User-Agent with the tool's name, version and homepage."""
    assert client_module.USER_AGENT.startswith("citation-auditor/") and "+http" in client_module.USER_AGENT


def test_remap_fetches_the_new_url_and_keeps_the_cited_one(server: LinkServer) -> None:
    """--remap rewrites the URL fetched; the result stays filed under the cited URL."""
    settings = Settings()
    cited = "https://example.org/ok/kebijakan"
    run = verify_urls([cited], settings, None, allow_private=True, remap=[(r"^https://example\.org", server.base)],
                      show_progress=False)
    assert run.records[cited].outcome == "ok"
    assert run.records[cited].fetched_url == server.base + "/ok/kebijakan"


def test_cache_reuses_successes_but_never_failures(server: LinkServer, tmp_path: Path) -> None:
    """A fresh ok result is reused; a failure is checked again."""
    from auditor.store import save_links

    db = open_db(tmp_path / "a.db")
    settings = Settings()
    good, bad = server.base + "/ok/cached", server.base + "/gone404/cached"
    now = dt.datetime.now(dt.UTC)
    first = verify_urls([good, bad], settings, db, allow_private=True, now=now, show_progress=False)
    save_links(db, first, None, now)
    server.hits.clear()
    second = verify_urls([good, bad], settings, db, allow_private=True, now=now + dt.timedelta(hours=1),
                         show_progress=False)
    assert second.records[good].from_cache and not second.records[bad].from_cache
    assert [p for _, p in server.hits] == ["/gone404/cached"]
    later = verify_urls([good], settings, db, allow_private=True, now=now + dt.timedelta(days=2), show_progress=False)
    assert not later.records[good].from_cache


def test_history_rule_three_failures_a_day_apart(tmp_path: Path) -> None:
    """In scheduled checks a refused connection is dead only after three failures at least a day apart."""
    from auditor.linkcheck import recheck_links

    db = open_db(tmp_path / "h.db")
    url = "http://127.0.0.1:9/gone"  # nothing listens on port 9: connection refused
    db.table("entry_links").insert({"entry_id": 1, "url": url})
    settings = Settings()
    day0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    codes, outcomes = [], []
    for when in (day0, day0 + dt.timedelta(hours=2), day0 + dt.timedelta(days=1, hours=1),
                 day0 + dt.timedelta(days=2, hours=2)):
        codes.append(recheck_links(db, settings, older_than="1m", fmt="text", archive=False, allow_private=True,
                                   remap=[], now=when))
        outcomes.append(db.table("links").get(url)["outcome"])
    assert outcomes == ["error", "error", "error", "dead"]
    assert codes == [0, 0, 0, 1]
    assert db.table("links").get(url)["consecutive_failures"] == 3
    assert db.execute("select count(*) from link_checks where url = ?", [url]).fetchone()[0] == 4


def test_404_is_dead_at_once_in_scheduled_checks(server: LinkServer, tmp_path: Path) -> None:
    """404 and 410 do not wait for the three-failure rule."""
    from auditor.linkcheck import recheck_links

    db = open_db(tmp_path / "d.db")
    db.table("entry_links").insert({"entry_id": 1, "url": server.base + "/gone410/now"})
    code = recheck_links(db, Settings(), older_than="7d", fmt="text", archive=False, allow_private=True, remap=[])
    assert code == 1 and db.table("links").get(server.base + "/gone410/now")["outcome"] == "dead"


DOC = """Kerja sama (Kompas 2022; Berita 2024; Hilang 2023; Lama 2020).

## Daftar Pustaka

- Kompas. 2022. *Kerja Sama Militer*. Diakses 3 Maret 2024. <{base}/ok/kerja-sama-militer>.
- Berita. 2024. *Judul Yang Sama Sekali Lain Tentang Cuaca*. Diakses 3 Maret 2024. <{base}/title/Harga%20Beras%20Naik%20Lagi%20Hari%20Ini>.
- Hilang. 2023. *Halaman Hilang*. Diakses 3 Maret 2024. <{base}/gone404/hilang>.
- Lama. 2020. *Artikel Lama Tentang Pakta*. Diakses 3 Maret 2024. <{base}/dated/2024-06-20/artikel-lama-tentang-pakta>.
"""


def test_audit_check_links_reports_findings(server: LinkServer, tmp_path: Path) -> None:
    """`audit --check-links` adds dead-link (with archive), title-mismatch and source-date-mismatch findings."""
    doc = tmp_path / "paper.md"
    doc.write_text(DOC.format(base=server.base), encoding="utf-8")
    (tmp_path / "auditor.toml").write_text(
        f'[tool.auditor.links]\narchive-url = "{server.base}/archive"\n', encoding="utf-8")
    db = tmp_path / "a.db"
    # Given with --config: a file found beside the documents may not change the archive endpoint.
    result = CliRunner().invoke(cli, ["audit", str(doc), "--config", str(tmp_path / "auditor.toml"),
                                      "--db", str(db), "--no-html", "--check-links",
                                      "--allow-private", "--archive", "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.output)["documents"][0]["findings"]
    rules = {(f["rule"], f["line"]) for f in findings}
    assert ("dead-link", 7) in rules
    assert ("title-mismatch", 6) in rules
    assert ("source-date-mismatch", 8) in rules
    dead = next(f for f in findings if f["rule"] == "dead-link")
    assert "web.archive.invalid/web/20240303" in dead["suggestion"]
    store = open_db(db)
    assert store.table("links").get(server.base + "/gone404/hilang")["archive_url"].startswith("http://web.archive")
    assert store.execute("select count(*) from link_checks where run_id is not null").fetchone()[0] == 4


def test_links_command_exits_1_when_a_link_died(server: LinkServer, tmp_path: Path) -> None:
    """`auditor links` re-checks stale URLs and exits 1 when one died since the previous check."""
    db_path = tmp_path / "l.db"
    db = open_db(db_path)
    url = server.base + "/gone404/later"
    db.table("links").insert({"url": url, "outcome": "ok", "checked_at": "2026-01-01T00:00:00Z",
                              "consecutive_failures": 0})
    result = CliRunner().invoke(cli, ["links", "--db", str(db_path), "--allow-private"])
    assert result.exit_code == 1
    assert "died: " + url in result.output
    again = CliRunner().invoke(cli, ["links", "--db", str(db_path), "--allow-private", "--older-than", "0s"])
    assert again.exit_code == 0


@pytest.mark.parametrize("mode", ["keep", "drop"])
def test_a_check_never_fails_because_of_an_earlier_checks_connection(mode: str) -> None:
    """Issue 12: a server that keeps the connection open although the request says `Connection: close`
    (or closes it at an odd moment) must not make a later check on the same host fail: four pages on
    one host, checked one after the other in one worker and also directly, all come back ok."""
    from linkserver import KeepAliveServer

    host = KeepAliveServer(mode).start()
    try:
        urls = [f"{host.base}/ok/halaman-{i}" for i in range(4)]
        results = check_all([Task(u, u) for u in urls], Policy(allow_private=True, timeout=2, deadline=4),
                            per_host=1, concurrency=1)
        assert {u: (f.status, f.error) for u, f in results.items()} == {u: (200, None) for u in urls}
        for u in urls:
            assert outcome(u) == ("ok", "HTTP 200")
        assert len(host.hits) == 8
    finally:
        host.stop()


def test_network_errors_are_classified_by_type_not_by_wording() -> None:
    """Error kinds come from the exception types in the chain that requests and urllib3 build."""
    import errno
    import socket

    import requests
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ReadTimeoutError

    from auditor.linkcheck.client import PrivateAddressError, error_kind_of
    from auditor.linkcheck.records import ErrorKind

    def wrapped(inner: Exception) -> Exception:
        try:
            try:
                raise inner
            except Exception as e:
                raise requests.exceptions.ConnectionError(MaxRetryError(None, "/", e)) from None  # type: ignore[arg-type]
        except Exception as outer:
            return outer

    def new_conn(cause: OSError) -> NewConnectionError:
        try:
            raise NewConnectionError(None, "Failed to establish a new connection") from cause  # type: ignore[arg-type]
        except NewConnectionError as e:
            return e

    assert error_kind_of(wrapped(new_conn(ConnectionRefusedError(errno.ECONNREFUSED, "x"))))[0] == ErrorKind.REFUSED
    assert error_kind_of(wrapped(new_conn(OSError(errno.ENETUNREACH, "x"))))[0] == ErrorKind.CONNECTION
    dns = NameResolutionError("h", None, socket.gaierror(-2, "x"))  # type: ignore[arg-type]
    assert error_kind_of(wrapped(dns))[0] == ErrorKind.DNS
    assert error_kind_of(ReadTimeoutError(None, "/", "read timed out"))[0] == ErrorKind.TIMEOUT  # type: ignore[arg-type]
    assert error_kind_of(wrapped(PrivateAddressError("10.0.0.1")))[0] == ErrorKind.PRIVATE
    # The words of a message decide nothing.
    assert error_kind_of(RuntimeError("Connection refused; SSL; getaddrinfo"))[0] == ErrorKind.CONNECTION


def test_the_deadline_covers_every_attempt_at_a_url(server: LinkServer) -> None:
    """Issue 12: the deadline is per URL, retries and their waits included: a server failing with 503 gets
    no retry that could not finish within it."""
    server.hits.clear()
    start = time.monotonic()
    results = check_all([Task(server.base + "/error503", "k")], Policy(allow_private=True, deadline=1.2),
                        retries=5, backoff=0.5)
    assert results["k"].status == 503
    assert sum(1 for _, p in server.hits if p == "/error503") == 2  # at 0 s and 0.5 s; the next wait ends past 1.2 s
    assert time.monotonic() - start < 1.2
