"""Speed of source verification: 500 entries with DOIs against a fake registry (tests/registryserver.py)
that adds 100 ms of latency to every request and answers 429 (Retry-After: 1) past 10 requests a second.

One lookup each (Crossref /works/{doi}), so the bound is 500 / 10 = 50 s; the client's rate limit
(`rate`, here 10 per second) keeps it there without being refused. A progress bar runs on stderr.
Usage: python bench/sources_bench.py [--entries 500] [--rate 10] [--latency 0.1] [--limit 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
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
    srv = RegistryServer(works, delay=args.latency, rate=args.limit).start()  # type: ignore[arg-type]
    u = srv.settings()
    policy = SourcePolicy(crossref_url=u["crossref-url"], openalex_url=u["openalex-url"],
                          datacite_url=u["datacite-url"], doi_url=u["doi-url"], mailto="bench@example.org",
                          rate=args.rate, concurrency=4)
    with click.progressbar(length=len(entries), label="Checking sources", file=sys.stderr) as bar:
        started = time.monotonic()
        run = verify_entries(entries, policy, get_json, now=dt.datetime.now(dt.UTC),
                             progress=lambda done, total: bar.update(1))
        elapsed = time.monotonic() - started
    srv.stop()
    verdicts: dict[str, int] = {}
    for r in run.records.values():
        verdicts[r.verdict] = verdicts.get(r.verdict, 0) + 1
    bound = args.entries / min(args.rate, args.limit)
    print(f"{args.entries} entries, {run.requests} requests ({srv.refused} refused with 429), "
          f"latency {args.latency * 1000:.0f} ms, server limit {args.limit}/s, client rate {args.rate:g}/s: "
          f"{elapsed:.1f} s (bound {bound:.0f} s); verdicts {verdicts}")


if __name__ == "__main__":
    main()
