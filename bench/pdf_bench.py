"""Benchmark the PDF reader: `auditor audit` of the demo paper as a 37-page PDF (goal: under 2 s).

Usage: python bench/pdf_bench.py [PDF] [RUNS]   (default references/004_5a448dbc96d01709.pdf, 5 runs)

Prints, as JSON, the page count, the time of reading the PDF in-process (pdfminer's parse and our
layout), and the time of the whole command (Python start-up, reading, parsing, checks, the database; no
HTML report, no link checks), each the best and the median of RUNS runs, as wall-clock time and as CPU
time (user + system; on a machine shared with other work, CPU time is the steadier measure).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def summary(times: list[float]) -> dict[str, float]:
    return {"best": round(min(times), 2), "median": round(statistics.median(times), 2)}


def main() -> int:
    from auditor.pdf import read_pdf

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "references" / "004_5a448dbc96d01709.pdf"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    data = path.read_bytes()
    reads, audits, read_cpu, audit_cpu = [], [], [], []
    pages = 0
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        doc = read_pdf(str(path), data)
        reads.append(time.perf_counter() - start)
        read_cpu.append(time.process_time() - cpu)
        pages = len(set(doc.locators.values()))
    auditor = Path(sys.executable).parent / "auditor"
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([str(auditor), "audit", str(path), "--db", str(Path(tmp) / "a.db"), "--no-html", "-q",
                            "--fail-on", "never"], check=True, stdout=subprocess.DEVNULL)
            audits.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            audit_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    print(json.dumps({
        "pdf": path.name, "pages": pages, "lines": len(doc.lines),
        "read_seconds": summary(reads), "read_cpu_seconds": summary(read_cpu),
        "audit_seconds": summary(audits), "audit_cpu_seconds": summary(audit_cpu),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
