"""Issue 15, security and input bounds: hostile documents, servers and bundled configuration get nowhere.

Each test here names a guarantee listed in docs/security.md.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT
from linkserver import LinkServer

from auditor.cli import cli
from auditor.config import parse_settings
from auditor.errors import ConfigError
from auditor.linkcheck import client as client_module
from auditor.linkcheck import remapped
from auditor.linkcheck.classify import classify
from auditor.linkcheck.client import Policy, fetch, is_private


@pytest.fixture(scope="module")
def server():
    s = LinkServer().start()
    yield s
    s.stop()


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every address a socket tries to connect to during the test."""
    seen: list[object] = []
    original = socket.socket.connect

    def recording(self: socket.socket, address: Any) -> None:
        seen.append(address)
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return seen


# --- 1. private-address guard -------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "100.64.0.1", "100.127.255.254",  # CGNAT (a cloud metadata endpoint lives there)
    "::ffff:127.0.0.1", "::ffff:10.0.0.1",  # IPv4-mapped IPv6
    "0.0.0.0", "::", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "64:ff9b::a00:1", "64:ff9b::7f00:1",  # NAT64 of private IPv4
    "2002:7f00:1::1",  # 6to4 of loopback
    "fc00::1", "fe80::1%eth0", "::1", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1",
])
def test_every_address_that_is_not_globally_routable_is_private(address: str) -> None:
    """CGNAT, IPv4-mapped, NAT64, 6to4, unspecified, documentation and multicast addresses are all private."""
    assert is_private(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_global_addresses_are_public(address: str) -> None:
    """Globally routable unicast addresses (also IPv4-mapped or NAT64 forms of one) pass the guard."""
    assert not is_private(address)


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "100.64.0.1", "0.0.0.0",
                                  "2130706433", "0x7f.1", "[64:ff9b::a9fe:a9fe]"])
def test_literal_private_ip_is_skipped_without_connecting(host: str, connects: list[object]) -> None:
    """A URL whose host is a private IP, also in decimal, hex or NAT64 form, is skipped without any connection."""
    f = fetch(f"http://{host}:{closed_port()}/x", Policy(timeout=1, deadline=2))
    assert f.error_kind == "private" and classify(f).outcome == "skipped"
    assert connects == []


def test_open_and_closed_private_ports_look_the_same(server: LinkServer, connects: list[object]) -> None:
    """A private host gives the same skipped result whether its port is open or closed: no port-scan oracle."""
    for host in ("127.0.0.1", "localhost"):
        results = []
        for port in (server.server_address[1], closed_port()):
            f = fetch(f"http://{host}:{port}/ok/scan", Policy(timeout=1, deadline=2))
            results.append((classify(f).outcome, f.error_kind, f.error))
        assert results[0] == results[1] and results[0][0] == "skipped", (host, results)
    assert connects == []
    assert all(p != "/ok/scan" for _, p in server.hits)


def test_every_resolved_address_is_checked_before_connecting(monkeypatch: pytest.MonkeyPatch,
                                                            connects: list[object]) -> None:
    """A name resolving to a public and a private address is refused before any connection."""
    def fake(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("100.100.100.200", port))]

    monkeypatch.setattr(client_module.socket, "getaddrinfo", fake)
    f = fetch("http://metadata.example.test/latest", Policy(timeout=1, deadline=2))
    assert f.error_kind == "private" and "100.100.100.200" in (f.error or "")
    assert connects == []


def test_allow_private_still_reaches_local_servers(server: LinkServer) -> None:
    """With allow_private, a server on 127.0.0.1 (by address or by name) is fetched as before."""
    for base in (server.base, server.base.replace("127.0.0.1", "localhost")):
        f = fetch(base + "/ok/allowed", Policy(allow_private=True, timeout=2, deadline=4))
        assert f.status == 200 and f.error_kind is None


def test_connected_peer_is_checked_again(server: LinkServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """If resolution passes but the socket ends up connected to a private peer, the request is not sent."""
    real = client_module._resolve_checked
    monkeypatch.setattr(client_module, "is_private", lambda ip: ip.startswith("127."))
    monkeypatch.setattr(client_module, "_resolve_checked",
                        lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
                        if host == "public.example.test" else real(host, port))
    server.hits.clear()
    f = fetch(f"http://public.example.test:{server.server_address[1]}/ok/peer", Policy(timeout=1, deadline=2))
    assert f.error_kind == "private"
    assert ("GET", "/ok/peer") not in server.hits


# --- 8. user regular expressions ----------------------------------------------------------------

def run_bounded(code: str, seconds: int = 30) -> subprocess.CompletedProcess[str]:
    """Run Python code in a child process that is killed after `seconds` (a hang fails the test)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=seconds, check=False,
                          cwd=ROOT)


def test_catastrophic_user_patterns_cannot_hang_the_run() -> None:
    """`(a+)+!x` as exclude and remap pattern against a 100,000-character URL finishes (RE2, linear time)."""
    code = textwrap.dedent("""
        from auditor.config import parse_settings
        from auditor.linkcheck import _skip_reason, remapped
        s = parse_settings({"links": {"exclude": ["(a+)+!x"], "remap": [["(a+)+!x", "y"]]}})
        url = "https://example.com/" + "a" * 100_000
        assert remapped(url, s.links.remap) == url
        assert _skip_reason(url, url, s) is None
        print("done")
    """)
    result = run_bounded(code)
    assert result.returncode == 0 and result.stdout.strip() == "done", result.stderr


@pytest.mark.parametrize("pattern", ["(?=a)b", "(?<!x)y", r"(a)\1"])
def test_pattern_the_linear_engine_cannot_run_is_a_config_error(pattern: str) -> None:
    """A lookaround or backreference in `exclude` is a ConfigError naming the key and saying why."""
    with pytest.raises(ConfigError, match=r"links\.exclude: .*not a valid regular expression.*lookarounds"):
        parse_settings({"links": {"exclude": [pattern]}}, "auditor.toml")


@pytest.mark.parametrize("replacement", [r"\2", r"\g<2>", r"\g<nope>", r"\q", "trailing\\"])
def test_bad_remap_replacement_is_a_config_error_at_load(replacement: str) -> None:
    """A remap replacement referring to a missing group (or with a bad escape) fails at load, naming the key."""
    with pytest.raises(ConfigError, match=r"auditor\.toml: links\.remap: the replacement"):
        parse_settings({"links": {"remap": [["^http://(old)\\.example", replacement]]}}, "auditor.toml")


def test_bad_remap_replacement_on_the_command_line_exits_2(tmp_path: Path) -> None:
    """`--remap PATTERN '\\3'` is a usage error before any work, naming --remap."""
    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Ford 2009).\n\n## Daftar Pustaka\n\n- Ford. 2009. *Judul*.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--check-links", "--remap", "^(http)", r"\3"])
    assert result.exit_code == 2 and "--remap: the replacement" in result.output
    assert not (tmp_path / "a.db").exists()


def test_remap_replacement_follows_python_syntax_and_keeps_unicode() -> None:
    """Group references \\1 and \\g<name>, escaped backslashes and non-ASCII text are substituted as re.sub does."""
    pattern, replacement = r"^http://(?P<host>old)\.example/(\w+)", r"https://\g<host>.contoh/\2/é—\\"
    url = "http://old.example/page?x=1"
    assert remapped(url, [(pattern, replacement)]) == re.sub(pattern, replacement, url)


# --- 9. every configuration and option value validated at load ---------------------------------

@pytest.mark.parametrize("key,value,says", [
    ("timeout", 0, "links.timeout"), ("timeout", -1.5, "links.timeout"), ("timeout", float("nan"), "links.timeout"),
    ("deadline", float("inf"), "links.deadline"), ("deadline", 0.0, "links.deadline"),
    ("user-agent", "bot/1.0\r\nX-Injected: 1", "links.user-agent"), ("user-agent", "a\nb", "links.user-agent"),
    ("cache-age", "forever", "links.cache-age"), ("older-than", "-3d", "links.older-than"),
    ("cache-age", "99999999999d", "links.cache-age"), ("older-than", "1e400", "links.older-than"),
    ("per-host", 0, "links.per-host"), ("per-host", -2, "links.per-host"), ("concurrency", 0, "links.concurrency"),
    ("max-bytes", -1, "links.max-bytes"), ("max-bytes", 0, "links.max-bytes"), ("retries", -1, "links.retries"),
    ("concurrency", 10**9, "links.concurrency"), ("archive-url", "file:///etc/passwd", "links.archive-url"),
])
def test_bad_link_settings_are_config_errors_naming_the_key(key: str, value: object, says: str) -> None:
    """Non-positive or non-finite timeouts, CR/LF user agents, bad or huge durations and bad counts fail at load."""
    with pytest.raises(ConfigError) as info:
        parse_settings({"links": {key: value}}, "auditor.toml")
    assert f"auditor.toml: {says}" in str(info.value)


def test_bad_values_in_a_config_file_exit_2_with_the_key(tmp_path: Path) -> None:
    """A config file with cache-age = "forever" stops the run with exit 2 and names the key (no traceback)."""
    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Ford 2009).\n\n## Daftar Pustaka\n\n- Ford. 2009. *Judul*.\n", encoding="utf-8")
    config = tmp_path / "auditor.toml"
    config.write_text('[links]\ncache-age = "forever"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(doc), "--config", str(config), "--db", str(tmp_path / "a.db"),
                                      "--no-html"])
    assert result.exit_code == 2 and "links.cache-age: 'forever' is not a duration" in result.output


def test_huge_older_than_option_is_a_usage_error(tmp_path: Path) -> None:
    """`auditor links --older-than 99999999999d` is an error naming the option, not an OverflowError."""
    from auditor.store import open_db

    open_db(tmp_path / "l.db")
    result = CliRunner().invoke(cli, ["links", "--db", str(tmp_path / "l.db"), "--older-than", "99999999999d"])
    assert result.exit_code == 2 and "--older-than: '99999999999d' is longer than a hundred years" in result.output
    assert "internal error" not in result.output


def test_deeply_nested_toml_is_a_config_error(tmp_path: Path) -> None:
    """A TOML file nested thousands of levels deep is a ConfigError, not a RecursionError."""
    from auditor.config import load_settings

    config = tmp_path / "auditor.toml"
    config.write_text("x = " + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_settings(config)


@pytest.mark.parametrize("script", [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 900 + '{"datePublished": "2020-01-01"}' + "}" * 900,
])
def test_deep_json_ld_on_a_page_gives_no_date(script: str) -> None:
    """A page whose JSON-LD is nested very deeply has its title read and no date, without an error."""
    from auditor.linkcheck.classify import page_info

    body = (f'<html><head><title>Dalam</title><script type="application/ld+json">{script}</script></head>'
            f"<body><p>isi</p></body></html>").encode()
    info = page_info(body, "text/html")
    assert info.title == "Dalam" and info.published is None


# --- 2. configuration trusted only from the user ------------------------------------------------

LINKED_DOC = """Kerja sama (Kompas 2022).

## Daftar Pustaka

- Kompas. 2022. *Kerja Sama Militer*. Diakses 3 Maret 2024. <http://10.255.255.1/ok/kerja-sama-militer>.
"""


def bundled(folder: Path, server: LinkServer) -> Path:
    """A manuscript folder shipping an auditor.toml that tries to reach a local server."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "paper.md").write_text(LINKED_DOC, encoding="utf-8")
    (folder / "auditor.toml").write_text(
        '[links]\nallow-private = true\nuser-agent = "bundled-agent/1.0"\n'
        f'remap = [["^http://10\\\\.255\\\\.255\\\\.1", "{server.base}"]]\n'
        f'archive-url = "{server.base}/archive"\n', encoding="utf-8")
    return folder


def test_config_among_the_documents_cannot_reach_private_addresses(
        server: LinkServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bundled auditor.toml below the working directory cannot set allow-private, remap or archive-url."""
    work = tmp_path / "work"
    docs = bundled(work / "submissions" / "pr-42", server)
    monkeypatch.chdir(work)
    server.hits.clear()
    result = CliRunner().invoke(cli, ["audit", str(docs), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--check-links", "--archive", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert server.hits == []  # nothing was fetched from 127.0.0.1, not even the archive endpoint
    assert "Note: using the configuration" in result.stderr and "found among the documents" in result.stderr
    for key in ("allow-private", "remap", "archive-url"):
        assert f"links.{key} ignored" in result.stderr
    assert "user-agent ignored" not in result.stderr


def test_config_at_the_working_directory_or_given_is_honoured(
        server: LinkServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same file is honoured when it is in the working directory or given with --config."""
    docs = bundled(tmp_path / "mine", server)
    monkeypatch.chdir(docs)
    server.hits.clear()
    result = CliRunner().invoke(cli, ["audit", "paper.md", "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--check-links"])
    assert ("GET", "/ok/kerja-sama-militer") in server.hits and "ignored" not in result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    server.hits.clear()
    result = CliRunner().invoke(cli, ["audit", str(docs / "paper.md"), "--config", str(docs / "auditor.toml"),
                                      "--db", str(tmp_path / "b.db"), "--no-html", "--check-links"])
    assert ("GET", "/ok/kerja-sama-militer") in server.hits and "ignored" not in result.stderr


def test_links_command_distrusts_a_config_beside_a_foreign_database(tmp_path: Path) -> None:
    """discover_settings keeps allow-private from a file above the working directory, drops it below."""
    from auditor.config import discover_settings

    project = tmp_path / "project"
    (project / "reports").mkdir(parents=True)
    (project / "auditor.toml").write_text("[links]\nallow-private = true\n", encoding="utf-8")
    trusted, notes = discover_settings(project / "reports" / "audit.db", cwd=project / "reports")
    assert trusted.links.allow_private and notes == []
    untrusted, notes = discover_settings(project / "reports" / "audit.db", cwd=tmp_path)
    assert not untrusted.links.allow_private and any("allow-private ignored" in n for n in notes)


# --- 7. only regular files are read, and only up to the limit -----------------------------------

GOOD_DOC = "Realisme (Ford 2009).\n\n## Daftar Pustaka\n\n- Ford, Arthur P. 2009. *Denting The Hub*. Alabama.\n"


def limit_memory() -> None:  # pragma: no cover - runs in the child process
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo") or not Path("/dev/zero").exists(),
                    reason="needs a POSIX system")
def test_fifo_and_device_get_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    """A FIFO and /dev/zero each get one `Error:` line (no hang, no MemoryError) and the good file is audited."""
    import os

    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    good = tmp_path / "good.md"
    good.write_text(GOOD_DOC, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", str(fifo), "/dev/zero", str(good), "--db", str(tmp_path / "a.db"),
         "--no-html", "--fail-on", "never"],
        capture_output=True, text=True, timeout=60, cwd=ROOT, preexec_fn=limit_memory, check=False)
    assert result.returncode == 0, result.stderr
    assert f"Error: {fifo}: is a named pipe (FIFO), not a regular file; not read" in result.stderr
    assert "Error: /dev/zero: is a character device, not a regular file; not read" in result.stderr
    assert "good.md: 1 entries" in result.stdout and "1 document(s) audited" in result.stdout


def test_reading_stops_one_byte_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file larger than the limit is refused from its size without reading, and never read past limit + 1."""
    import os

    from auditor import documents
    from auditor.errors import DocumentError

    read: list[int] = []
    real_read = os.read
    def counting(fd: int, n: int) -> bytes:
        read.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(documents.os, "read", counting)
    monkeypatch.setattr(documents, "MAX_BYTES", 1000)
    big = tmp_path / "big.txt"
    big.write_bytes(b"kata " * 2000)
    with pytest.raises(DocumentError, match="too large"):
        documents.load_document(big)
    assert read == []
    # A file whose size is misreported (like those under /proc) is cut at limit + 1 bytes.
    real_fstat, real_stat = os.fstat, os.stat
    small = os.stat_result((*real_stat(big)[:6], 10, *real_stat(big)[7:]))
    monkeypatch.setattr(documents.os, "stat", lambda p: small)
    monkeypatch.setattr(documents.os, "fstat", lambda fd: real_fstat(fd))
    with pytest.raises(DocumentError, match="too large"):
        documents.load_document(big)
    assert sum(read) <= 1001


# --- 4. symbolic links ---------------------------------------------------------------------------

SECRET = "Rahasia (Kunci 2020).\n\n## Daftar Pustaka\n\n- Kunci. 2020. *Isi Rahasia Di Luar Folder*. Jakarta.\n"


def test_symlinks_out_of_the_audited_folder_are_reported_and_not_read(tmp_path: Path) -> None:
    """A file link and a folder link leading outside the audited folder get a problem line; nothing is read."""
    from auditor.audit import collect_paths

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "paper.md").write_text(GOOD_DOC, encoding="utf-8")
    (docs / "passwd.md").symlink_to(outside / "secret.md")
    (docs / "sub" / "same.md").symlink_to(docs / "paper.md")  # inside the folder: fine
    (docs / "escape").symlink_to(outside, target_is_directory=True)
    (docs / "sub" / "loop").symlink_to(docs, target_is_directory=True)  # a loop: never followed
    files, problems = collect_paths([str(docs)])
    assert [f.name for f in files] == ["paper.md"]  # same.md leads to paper.md: one document
    assert f"{docs / 'passwd.md'}: a symbolic link to a file outside {docs}; not read" in problems
    assert f"{docs / 'escape'}: a symbolic link to a folder outside {docs}; not followed" in problems
    assert not any("loop" in p for p in problems)


def test_symlink_given_by_name_that_leads_out_is_an_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor audit docs/*.md` with a link to a file outside gives `Error:` for it; its text is not stored."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    work = tmp_path / "work"
    docs = work / "docs"
    docs.mkdir(parents=True)
    (docs / "paper.md").write_text(GOOD_DOC, encoding="utf-8")
    (docs / "evil.md").symlink_to(outside / "secret.md")
    monkeypatch.chdir(work)
    result = CliRunner().invoke(cli, ["audit", "docs/evil.md", "docs/paper.md", "--db", str(tmp_path / "a.db"),
                                      "--no-html", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "Error: docs/evil.md: a symbolic link to a file outside its folder; not read" in result.stderr
    from auditor.store import open_db

    texts = " ".join(r["text"] or "" for r in open_db(tmp_path / "a.db").query(
        "select coalesce(d.text, t.text) as text from documents d left join texts t on t.sha256 = d.text_sha256"))
    assert "Rahasia" not in texts and "Realisme" in texts


def test_report_files_replace_symlinks_instead_of_writing_through_them(tmp_path: Path) -> None:
    """index.html, document pages, static files and -o are replaced: a planted symlink's target is untouched."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "paper.md").write_text(GOOD_DOC, encoding="utf-8")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    reports = tmp_path / "reports"
    (reports / "documents").mkdir(parents=True)
    (reports / "static").mkdir()
    planted = [reports / "index.html", reports / "documents" / "paper.html", reports / "static" / "report.css",
               tmp_path / "out.json"]
    for link in planted:
        link.symlink_to(victim)
    result = CliRunner().invoke(cli, ["audit", str(docs), "--db", str(tmp_path / "a.db"), "--html", str(reports),
                                      "--format", "json", "-o", str(tmp_path / "out.json"), "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    for path in planted:
        assert not path.is_symlink() and path.stat().st_size > 0


# --- 3. terminal and files -----------------------------------------------------------------------

HOSTILE = ("Realisme (Ford 2009).\n\n## Daftar Pustaka\n\n- Ford, Arthur P. 2009. *Denting The Hub*. Alabama.\n"
           "- Kitchen\x1b]0;owned\x07\x1b[8m\u009b2J\u202e, Nicholas. 2010. *Systemic Pressures*. London.\n")
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]")


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A folder holding a document whose file name and reference list carry ESC, OSC, CSI and C1 sequences."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pa\x1b[31mper.md").write_text(HOSTILE, encoding="utf-8")
    (folder / "bro\x1b]0;x\x07ken.md").write_bytes(b"\x00\x01binary")
    return folder


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_control_characters_from_documents_never_reach_the_terminal(hostile: Path, tmp_path: Path, fmt: str) -> None:
    """ESC/OSC/CSI/C1 characters from file names and document text are escaped (shown as \\x1b) in every format."""
    result = CliRunner().invoke(cli, ["audit", str(hostile), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--format", fmt, "--fail-on", "never"], color=True)
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROLS.search(result.stdout) and not RAW_CONTROLS.search(result.stderr)
    assert "\\x1b[31m" in result.stdout or "\\u001b[31m" in result.stdout
    assert "Error: " in result.stderr and "bro\\x1b]0;x\\x07ken.md" in result.stderr


def test_no_colour_in_files_or_pipes(hostile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the text is coloured, but the -o file never is; NO_COLOR or a pipe turns colour off."""
    from auditor import commands, terminal

    monkeypatch.setattr(commands, "use_colour", lambda stream: True)  # as if stdout were a terminal
    out = tmp_path / "out.txt"
    result = CliRunner().invoke(cli, ["audit", str(hostile), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "-o", str(out), "--fail-on", "never"], color=True)
    assert "\x1b[1m" in result.stdout  # bold document header on the terminal
    written = out.read_text(encoding="utf-8")
    assert "\x1b" not in written and "\\x1b[31m" in written

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    with open(out, encoding="utf-8") as file:
        assert not terminal.use_colour(file)  # a file (like a pipe) is not a terminal
    assert terminal.use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal.use_colour(Tty())  # type: ignore[arg-type]


def test_links_output_escapes_urls_and_details(tmp_path: Path) -> None:
    """`auditor links` shows a stored URL with control characters escaped."""
    from auditor.store import open_db

    db = open_db(tmp_path / "l.db")
    url = "http://127.0.0.1:9/\x1b]0;owned\x07gone"
    db.table("links").insert({"url": url, "outcome": "ok", "checked_at": "2026-01-01T00:00:00Z",
                              "consecutive_failures": 0})
    result = CliRunner().invoke(cli, ["links", "--db", str(tmp_path / "l.db"), "--allow-private"], color=True)
    assert "changed: http://127.0.0.1:9/\\x1b]0;owned\\x07gone" in result.stdout
    assert not RAW_CONTROLS.search(result.stdout)
