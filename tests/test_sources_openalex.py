"""Scholarly source verification (#11), second part: OpenAlex's is_retracted for DOI entries (asked in
batches beside Crossref), the registries' own headers, and the rate limiter's sliding window. All against
the fake registries of tests/registryserver.py on 127.0.0.1, never the internet."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from registryserver import RegistryServer
from test_sources import entries, findings_for, policy

from auditor.cli import cli
from auditor.linkcheck.client import Policy, fetch
from auditor.sources import verify_entries
from auditor.sources.http import get_json
from auditor.sources.registries import RateLimit, openalex_batches

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def work(doi: str, title: str, family: str, **extra) -> dict:
    return {"doi": doi, "title": title, "authors": [("Agus", family)], "year": 2019, "print_year": 2019,
            "online_year": 2019, "journal": "Jurnal Kesehatan Masyarakat", **extra}


RETRACTION = [{"type": "retraction", "label": "Retraction", "DOI": "10.7777/ret.1", "date": [2022, 5, 6]}]
OA_ONLY = work("10.7777/oa.1", "Herbal tea cures dengue fever in children", "Santoso", retracted=True)
CR_ONLY = work("10.7777/cr.1", "Mobile games improve arithmetic in primary schools", "Wijaya", updated_by=RETRACTION)
BOTH = work("10.7777/both.1", "Fasting lowers blood pressure in office workers", "Hidayat", retracted=True,
            updated_by=RETRACTION)
CLEAN = work("10.7777/clean.1", "Handwashing campaigns in rural health centres", "Pratama")
NOT_IN_OPENALEX = work("10.7777/none.1", "Village midwives and neonatal care in Flores", "Kusuma", openalex=False)
ODD_DOI = work("10.7777/odd|1,2", "Malaria bed nets and school attendance in Sumba", "Lestari", retracted=True)
WORKS = [OA_ONLY, CR_ONLY, BOTH, CLEAN, NOT_IN_OPENALEX, ODD_DOI]


def cite(w: dict, doi: bool = True) -> str:
    tail = f" https://doi.org/{w['doi']}" if doi else ""
    return f"{w['authors'][0][1]}, A. (2019). {w['title']}. Jurnal Kesehatan Masyarakat, 4(2), 10-19.{tail}"


@pytest.fixture
def registry():
    srv = RegistryServer(WORKS).start()
    yield srv
    srv.stop()


def retracted_notices(es, run) -> dict[int, str]:
    return {f.line: f.suggestion or "" for f in findings_for(es, run) if f.rule == "retracted-source"}


# --- retraction: OpenAlex is_retracted for DOI entries, beside Crossref's update notices ---------------------

def test_a_doi_entry_retracted_in_openalex_only_is_reported_naming_openalex(registry: RegistryServer) -> None:
    es = entries(cite(OA_ONLY), cite(CLEAN))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    assert [run.records[i].verdict for i in range(2)] == ["retracted", "verified"]
    found = retracted_notices(es, run)
    assert list(found) == [1]
    assert "marked as retracted in OpenAlex (https://openalex.org/W1000)" in found[1]
    assert run.lookups["doi:10.7777/oa.1"].openalex == "retracted"
    assert run.lookups["doi:10.7777/clean.1"].openalex == "not-retracted"


def test_a_doi_entry_retracted_in_crossref_only_names_the_crossref_notice(registry: RegistryServer) -> None:
    es = entries(cite(CR_ONLY))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    assert run.records[0].verdict == "retracted"
    assert retracted_notices(es, run) == {1: "Remove the citation, or cite the work as retracted and say why it is "
                                             "still cited (notice: Retraction of 2022-05-06 (doi:10.7777/ret.1))."}
    assert run.lookups["doi:10.7777/cr.1"].openalex == "not-retracted"


def test_a_work_retracted_in_both_registries_is_one_finding_naming_both(registry: RegistryServer) -> None:
    es = entries(cite(BOTH))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    found = retracted_notices(es, run)
    assert list(found) == [1]
    assert "Retraction of 2022-05-06 (doi:10.7777/ret.1); marked as retracted in OpenAlex" in found[1]


def test_a_work_openalex_does_not_hold_is_judged_by_crossref_alone(registry: RegistryServer) -> None:
    es = entries(cite(NOT_IN_OPENALEX))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    assert run.records[0].verdict == "verified" and run.lookups["doi:10.7777/none.1"].openalex == "absent"
    assert run.notes == []
    assert [h[0] for h in registry.hits if h[0].startswith("/openalex")] == ["/openalex/works"]  # asked once


def test_openalex_down_gives_no_false_verdict_and_a_clear_note(registry: RegistryServer) -> None:
    """OpenAlex failing never makes or hides a Crossref verdict; the run says what was not asked, and the
    incomplete lookup is asked again next time (but may be used offline)."""
    registry.down.add("openalex")
    es = entries(cite(OA_ONLY), cite(CR_ONLY), cite(CLEAN))
    run = verify_entries(es, policy(registry, retries=0), get_json, now=NOW)
    assert [run.records[i].verdict for i in range(3)] == ["verified", "retracted", "verified"]
    assert list(retracted_notices(es, run)) == [2]
    assert run.notes == ["OpenAlex could not be asked whether 3 work(s) were retracted (openalex: HTTP 503): "
                         "Crossref's and DataCite's notices alone were read"]
    assert "OpenAlex could not be asked" in run.summary()
    assert "OpenAlex could not be asked whether the work was retracted" in run.records[0].detail
    lookups = run.lookups
    assert all(not lk.complete for lk in lookups.values())
    # Next time (OpenAlex back), the incomplete lookups are asked again; offline, they are used as they are.
    for lk in lookups.values():
        lk.from_cache = True
    offline = verify_entries(es, policy(registry), get_json, now=NOW, cached=lookups, offline=True)
    assert [offline.records[i].verdict for i in range(3)] == ["verified", "retracted", "verified"]
    registry.down.clear()
    again = verify_entries(es, policy(registry), get_json, now=NOW, cached=lookups)
    assert again.checked == 3 and [again.records[i].verdict for i in range(3)] == ["retracted", "retracted", "verified"]


def test_a_work_found_by_searching_crossref_is_asked_of_openalex_afterwards(registry: RegistryServer) -> None:
    es = entries(cite(OA_ONLY, doi=False), cite(CLEAN, doi=False))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    assert [run.records[i].verdict for i in range(2)] == ["retracted", "verified"]
    assert run.records[0].work is not None and run.records[0].work.registry == "crossref"
    asked = [h for h in registry.hits if h[0] == "/openalex/works" and "filter" in h[1]]
    assert [h[1]["filter"] for h in asked] == ["doi:10.7777/clean.1|10.7777/oa.1"]


def test_openalex_is_asked_fifty_dois_a_request_and_odd_dois_alone(registry: RegistryServer) -> None:
    """The polite way: OpenAlex's OR filter with `select`; a DOI holding the filter's own syntax (| ,) alone."""
    more = [work(f"10.5555/many.{i}", f"Community health workers and immunisation coverage study {i}", f"Author{i}")
            for i in range(120)]
    registry.works += more
    registry.by_doi.update({w["doi"]: w for w in more})
    es = entries(*(cite(w) for w in more), cite(ODD_DOI))
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    batches = [h for h in registry.hits if h[0] == "/openalex/works"]
    assert [len(h[1]["filter"].removeprefix("doi:").split("|")) for h in batches] == [50, 50, 20]
    assert all(h[1]["select"] == "id,doi,is_retracted" and h[1]["mailto"] == "editor@example.org" for h in batches)
    alone = [h for h in registry.hits if h[0].startswith("/openalex/works/doi:")]
    assert [h[0] for h in alone] == ["/openalex/works/doi:10.7777%2Fodd%7C1%2C2"]
    assert run.records[120].verdict == "retracted"
    crossref = [h for h in registry.hits if h[0].startswith("/crossref/")]
    assert len(crossref) == 121 and run.requests == 121 + 4


def test_openalex_verdicts_are_cached_and_an_older_row_is_asked_again(registry: RegistryServer, tmp_path: Path) -> None:
    (tmp_path / "paper.md").write_text("# Paper\n\nAs shown (Santoso, 2019; Pratama, 2019).\n\n## Referensi\n\n"
                                       f"{cite(OA_ONLY)}\n\n{cite(CLEAN)}\n", encoding="utf-8")
    cfg = tmp_path / "auditor.toml"
    cfg.write_text("[tool.auditor.sources]\nmailto = \"editor@example.org\"\nrate = 50\n"
                   + "".join(f'{k} = "{v}"\n' for k, v in registry.settings().items()), encoding="utf-8")
    db = tmp_path / "audit.db"
    args = ["audit", str(tmp_path / "paper.md"), "--db", str(db), "--no-html", "--config", str(cfg),
            "--check-sources", "--fail-on", "never"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and "retracted-source" in first.output
    rows = {r["key"]: r for r in sqlite_utils.Database(db).query("select key, verdict, openalex, notices from sources")}
    assert rows["doi:10.7777/oa.1"]["openalex"] == "retracted" and rows["doi:10.7777/oa.1"]["verdict"] == "retracted"
    assert "marked as retracted in OpenAlex" in rows["doi:10.7777/oa.1"]["notices"]
    assert rows["doi:10.7777/clean.1"]["openalex"] == "not-retracted"
    before = len(registry.hits)
    assert "retracted-source" in CliRunner().invoke(cli, args).output and len(registry.hits) == before
    # A row stored before OpenAlex was asked about DOI entries: looked up again.
    sqlite_utils.Database(db).execute("update sources set openalex = null where key = 'doi:10.7777/clean.1'").connection.commit()
    CliRunner().invoke(cli, args)
    assert sorted(h[0] for h in registry.hits[before:]) == ["/crossref/works/10.7777%2Fclean.1", "/openalex/works"]


def test_the_sources_command_stores_nothing_when_openalex_is_down(registry: RegistryServer, tmp_path: Path) -> None:
    (tmp_path / "paper.md").write_text(f"# Paper\n\nSee (Wijaya, 2019).\n\n## Referensi\n\n{cite(CR_ONLY)}\n",
                                       encoding="utf-8")
    cfg = tmp_path / "auditor.toml"
    cfg.write_text("[tool.auditor.sources]\nrate = 50\nretries = 0\n"
                   + "".join(f'{k} = "{v}"\n' for k, v in registry.settings().items()), encoding="utf-8")
    db = tmp_path / "audit.db"
    CliRunner().invoke(cli, ["audit", str(tmp_path / "paper.md"), "--db", str(db), "--no-html", "--config", str(cfg),
                             "--check-sources"])
    registry.down.add("openalex")
    result = CliRunner().invoke(cli, ["sources", "--db", str(db), "--config", str(cfg), "--older-than", "0s"])
    assert result.exit_code == 0 and "1 could not be checked" in result.output, result.output
    row = next(sqlite_utils.Database(db).query("select openalex from sources"))
    assert row["openalex"] == "not-retracted"


def test_openalex_batches_split_fifty_and_keep_odd_dois_apart() -> None:
    dois = [f"10.1234/x{i}" for i in range(51)] + ["10.1234/a|b", "10.1234/a,b", "10.1234/a:b"]
    assert [len(b) for b in openalex_batches(dois)] == [50, 1, 1, 1, 1]
    assert openalex_batches(dois)[-3:] == [["10.1234/a|b"], ["10.1234/a,b"], ["10.1234/a:b"]]


# --- headers: what each registry asks for ------------------------------------------------------------------

def test_registries_get_json_accept_headers_and_the_polite_pool_identification(registry: RegistryServer) -> None:
    registry.works.append({"doi": "10.5281/zenodo.9", "title": "Rainfall of Java stations 1990 to 2020 data",
                           "authors": [("Rina", "Kusuma")], "year": 2021, "registry": "datacite", "type": "Dataset"})
    registry.by_doi["10.5281/zenodo.9"] = registry.works[-1]
    es = entries(cite(CLEAN), "Kusuma, R. (2021). Rainfall of Java stations 1990 to 2020 data [Data set]. Zenodo. "
                              "https://doi.org/10.5281/zenodo.9", cite(CLEAN, doi=False))
    verify_entries(es, policy(registry), get_json, now=NOW)
    seen: dict[str, dict[str, str]] = {}
    for path, query, headers in registry.hits:
        name = path.split("/")[1]
        heads = {k.lower(): v for k, v in headers.items()}
        seen.setdefault(name, {})
        assert "mailto:editor@example.org" in heads["user-agent"], (path, heads)
        assert heads["connection"] == "close"
        seen[name]["accept"] = heads["accept"]
        if name in ("crossref", "openalex"):
            assert query.get("mailto") == "editor@example.org", path
    assert seen == {"crossref": {"accept": "application/json"}, "openalex": {"accept": "application/json"},
                    "datacite": {"accept": "application/vnd.api+json"}}


def test_link_checking_keeps_its_headers_and_extra_headers_cannot_keep_a_connection(registry: RegistryServer) -> None:
    fetch(registry.base + "/crossref/works/x", Policy(allow_private=True))
    heads = {k.lower(): v for k, v in registry.hits[-1][2].items()}
    assert heads["accept"].startswith("text/html") and heads["connection"] == "close"
    assert heads["accept-language"] == "id,en;q=0.8"
    fetch(registry.base + "/crossref/works/x", Policy(allow_private=True, headers={"accept": "application/json",
                                                                                  "Connection": "keep-alive"}))
    heads = {k.lower(): v for k, v in registry.hits[-1][2].items()}
    assert heads["accept"] == "application/json" and heads["connection"] == "close"
    assert heads["accept-language"] == "id,en;q=0.8"


# --- the rate limiter --------------------------------------------------------------------------------------

def test_the_rate_limit_is_a_sliding_second_that_no_thread_overruns() -> None:
    """25 requests at 10 a second from 4 threads: never 11 in any second (with the margin), and no slower
    than the windows need (two full windows wait: about 2.06 s)."""
    limit = RateLimit(10)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25 // 4 + 1):
            with lock:
                if len(sent) + pending[0] >= 25:
                    return
                pending[0] += 1
            limit.wait()
            with lock:
                sent.append(time.monotonic())
                pending[0] -= 1

    pending = [0]
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent.sort()
    assert len(sent) == 25
    assert all(sent[i + 10] - sent[i] >= 1.0 + RateLimit.MARGIN - 0.005 for i in range(len(sent) - 10))
    assert 2.0 <= sent[-1] - started < 2.5


def test_a_retry_after_holds_a_thread_already_waiting() -> None:
    limit = RateLimit(1)
    limit.wait()
    started = time.monotonic()
    done: list[float] = []
    t = threading.Thread(target=lambda: (limit.wait(), done.append(time.monotonic())))
    t.start()
    time.sleep(0.1)
    limit.hold(1.5)  # a 429 came while the thread waited for its slot
    t.join()
    assert done[0] - started >= 1.55


def test_a_refusal_widens_the_window_a_little_and_not_without_end() -> None:
    limit = RateLimit(10)
    for expected in (1.06, 1.09, 1.12, 1.15, 1.15):
        limit.refused()
        assert round(limit.window, 2) == expected


def test_a_rate_below_one_a_second_spaces_requests() -> None:
    limit = RateLimit(4)  # whole part 4: four in any window of a second
    assert (limit.count, round(limit.window, 2)) == (4, 1.03)
    slow = RateLimit(0.5)
    assert (slow.count, round(slow.window, 2)) == (1, 2.03)
    fractional = RateLimit(2.5)  # never more than 2.5 in a second: 2
    assert (fractional.count, round(fractional.window, 2)) == (2, 1.03)
