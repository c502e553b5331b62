"""Speed of source verification: 500 entries with DOIs against a fake registry (tests/registryserver.py)
that adds 100 ms of latency to every request and answers 429 (Retry-After: 1) past 10 requests in a
second to one registry.

One Crossref lookup each (/works/{doi}), so the bound is 500 / 10 = 50 s; the client's rate limit
(`rate`, here 10 per second) keeps it there without being refused. OpenAlex is asked whether the works
were retracted at the same time (10 requests of 50 DOIs: another registry, another limit). A progress
bar runs on stderr.
Usage: python bench/sources_bench.py [--entries 500] [--rate 10] [--latency 0.1] [--limit 10] [--same-process]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from registryserver import RegistryServer  # noqa: E402

from auditor.model import Entry  # noqa: E402
from auditor.sources import SourcePolicy, verify_entries  # noqa: E402
from auditor.sources.http import get_json  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=500)
    ap.add_argument("--rate", type=float, default=10.0, help="the client's requests per second per registry")
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--limit", type=int, default=10, help="the server's requests per second before 429")
    ap.add_argument("--same-process", action="store_true", help="run the fake registry in this process")
    args = ap.parse_args()
    works = [{"doi": f"10.5555/bench.{i}", "title": f"Benchmark article number {i} on rice yield in Java",
              "authors": [("Agus", f"Author{i}")], "year": 2020, "print_year": 2020, "online_year": 2020,
              "journal": "Journal of Benchmarks"} for i in range(args.entries)]
    entries = []
    for i, w in enumerate(works):
        e = Entry(index=i, line=i + 1, end_line=i + 1,
                  raw=f"Author{i}, A. (2020). {w['title']}. Journal of Benchmarks. https://doi.org/{w['doi']}",
                  authors=[f"Author{i}, A."], author_text=f"Author{i}, A.", year="2020", title=str(w["title"]),
                  container="Journal of Benchmarks", doi=str(w["doi"]))
        entries.append(e)
    # The registry runs in a process of its own, as a registry is another machine: in this process its
    # threads would contend with the client's for the interpreter lock and delay arrivals by tens of
    # milliseconds (`--same-process` measures that case).
    if args.same_process:
        srv = RegistryServer(works, delay=args.latency, rate=args.limit).start()  # type: ignore[arg-type]
        u, stop = srv.settings(), lambda: (srv.stop(), _stats(srv))[1]
    else:
        u, stop = _serve_elsewhere(works, args.latency, args.limit)
    policy = SourcePolicy(crossref_url=u["crossref-url"], openalex_url=u["openalex-url"],
                          datacite_url=u["datacite-url"], doi_url=u["doi-url"], mailto="bench@example.org",
                          rate=args.rate, concurrency=4)
    with click.progressbar(length=len(entries), label="Checking sources", file=sys.stderr) as bar:
        started = time.monotonic()
        run = verify_entries(entries, policy, get_json, now=dt.datetime.now(dt.UTC),
                             progress=lambda done, total: bar.update(1))
        elapsed = time.monotonic() - started
    per, refused, overs = stop()
    verdicts: dict[str, int] = {}
    for r in run.records.values():
        verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
    bound = args.entries / min(args.rate, args.limit)
    load = os.getloadavg()[0]
    print(f"{args.entries} entries, {run.requests} requests {per} ({refused} refused with 429), "
          f"latency {args.latency * 1000:.0f} ms, server limit {args.limit}/s per registry, client rate "
          f"{args.rate:g}/s: {elapsed:.1f} s (bound {bound:.0f} s); verdicts {verdicts}; load average {load:.1f}")
    if overs:
        print("refused when the server's second already held the limit, spanning: "
              + ", ".join(f"{registry} {span * 1000:.0f} ms" for registry, span in overs))


Stats = tuple[dict[str, int], int, list[tuple[str, float]]]


def _stats(srv: RegistryServer) -> Stats:
    """(requests per registry, refusals, the span of the full window at each refusal)."""
    per: dict[str, int] = {}
    for path, _, _ in srv.hits:
        per[path.split("/")[1]] = per.get(path.split("/")[1], 0) + 1
    return per, srv.refused, list(srv.overs)


def _child(works: list, latency: float, limit: int, conn) -> None:
    srv = RegistryServer(works, delay=latency, rate=limit).start()
    conn.send(srv.settings())
    conn.recv()  # stop
    srv.stop()
    conn.send(_stats(srv))


def _serve_elsewhere(works: list, latency: float, limit: int) -> tuple[dict[str, str], Callable[[], Stats]]:
    ours, theirs = multiprocessing.Pipe()
    proc = multiprocessing.get_context("fork").Process(target=_child, args=(works, latency, limit, theirs), daemon=True)
    proc.start()
    settings = ours.recv()

    def stop() -> Stats:
        ours.send("stop")
        stats = ours.recv()
        proc.join(5)
        return stats

    return settings, stop


if __name__ == "__main__":
    main()
