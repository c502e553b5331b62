"""Benchmark the offline audit: the dev corpus, and one large synthetic document.

Usage: python bench/audit_bench.py [SHARED_DIR]   (default ../shared)
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


def main() -> int:
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
