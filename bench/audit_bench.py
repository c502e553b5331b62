"""Benchmark the offline audit: the dev corpus, and one large synthetic document; or a whole archive.

Usage: python bench/audit_bench.py [SHARED_DIR]   (default ../shared)
       python bench/audit_bench.py --archive DIR [--jobs N] [--runs 2] [--html]
         audits DIR (made by bench/corpus.py) with the `auditor` command into a fresh database, RUNS
         times over the same files (the second run finds them unchanged), and reports for each run the
         wall time, documents per second, the peak memory of the whole process tree (the writer and
         its workers, sampled from /proc every 50 ms) and the database size.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and its descendants, from /proc."""
    import os

    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def _sample(pid: int, done: object, peaks: list[int]) -> None:
    while not done.is_set():  # type: ignore[attr-defined]
        peaks[0] = max(peaks[0], tree_rss(pid))
        done.wait(0.05)  # type: ignore[attr-defined]


def archive(folder: Path, jobs: int | None, runs: int, html: bool) -> dict[str, object]:
    import subprocess
    import tempfile
    import threading

    count = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    out: dict[str, object] = {"documents": count, "megabytes": round(size / 1e6, 1), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        for _ in range(runs):
            cmd = [str(ROOT / ".venv" / "bin" / "auditor"), "audit", str(folder), "--db", str(db), "-q",
                   "--fail-on", "never"] + (["--jobs", str(jobs)] if jobs else [])
            cmd += ["--html", str(Path(tmp) / "report")] if html else ["--no-html"]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            done = threading.Event()
            peaks = [0]
            sampler = threading.Thread(target=_sample, args=(proc.pid, done, peaks))
            sampler.start()
            _, err = proc.communicate()
            wall = time.perf_counter() - start
            done.set()
            sampler.join()
            peak = peaks[0]
            if proc.returncode not in (0, 1):
                raise SystemExit(f"audit failed ({proc.returncode}): {err.decode()[-2000:]}")
            out["runs"].append({"seconds": round(wall, 2), "documents_per_second": round(count / wall, 1),  # type: ignore[attr-defined]
                                "peak_mb": round(peak / 1e6), "db_mb": round(db.stat().st_size / 1e6, 1)})
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--archive":
        import argparse

        parser = argparse.ArgumentParser()
        parser.add_argument("--archive", type=Path, required=True)
        parser.add_argument("--jobs", type=int)
        parser.add_argument("--runs", type=int, default=2)
        parser.add_argument("--html", action="store_true")
        args = parser.parse_args()
        print(json.dumps(archive(args.archive, args.jobs, args.runs, args.html), indent=2))
        return 0
    from auditor.checks import AuditContext, run_checks
    from auditor.config import Settings
    from auditor.documents import document_from_bytes, load_document
    from auditor.parsing import parse_document

    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared"
    results = {}
    docs = sorted((shared / "corpus" / "docs").glob("*.md"))
    if docs:
        start = time.perf_counter()
        lines = 0
        for path in docs:
            doc = load_document(path)
            lines += len(doc.lines)
            run_checks(AuditContext(parse_document(doc), dt.date(2026, 11, 22)), Settings().enabled_rules())
        results["corpus"] = {"documents": len(docs), "lines": lines, "seconds": round(time.perf_counter() - start, 2)}
    random.seed(1)
    words = ["Ford", "(", ")", "2009", "dan", "the", "Kompas.com", ",", ";", "[1]", "et", "al.", "https://a.b/c",
             "Accessed", "Juni", "2024", "\"", "“", "”", "Smith", "van", "&", "dkk.", "a" * 50]
    body = " ".join(random.choice(words) for _ in range(100_000)).replace(";", "\n")
    refs = "\n".join(f"- Ford, A. {2000 + i % 20}. Title number {i} about things. https://e.com/{i}" for i in range(2000))
    text = body + "\n\n## References\n\n" + refs
    start = time.perf_counter()
    parsed = parse_document(document_from_bytes("big.md", text.encode(), "md"))
    findings = run_checks(AuditContext(parsed, dt.date(2026, 11, 22)), Settings().enabled_rules())
    results["large_document"] = {"bytes": len(text.encode()), "entries": len(parsed.entries),
                                 "citations": len(parsed.citations), "findings": len(findings),
                                 "seconds": round(time.perf_counter() - start, 2)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
