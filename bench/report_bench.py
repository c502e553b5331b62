"""Benchmark the HTML report: render a document with N findings and time the severity filter in Chromium.

Usage: python bench/report_bench.py [N ...]   (default 2000 10000)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    exe = shutil.which("chromium")
    if not exe:
        print("needs Debian's chromium")
        return 2
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking"])
        for n in sizes:
            folder = Path(tempfile.mkdtemp())
            per_line = 20
            lines = ["Teks " + " ".join(f"(Hantu{i} 2020)" for i in range(per_line)) for _ in range(n // per_line)]
            doc = folder / "many.md"
            doc.write_text("\n\n".join(lines) + "\n\n## Daftar Pustaka\n\n- Ada. 2020. Judul.\n", encoding="utf-8")
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "auditor", "audit", str(doc), "--db", str(folder / "a.db"),
                            "--html", str(folder / "r"), "--fail-on", "never", "-q"], check=True,
                           capture_output=True)
            audit_s = time.perf_counter() - start
            page = browser.new_page()
            start = time.perf_counter()
            page.goto((folder / "r" / "documents" / "many.html").as_uri())
            load_s = time.perf_counter() - start
            filter_ms = page.evaluate("""() => { const t = performance.now();
                const box = document.querySelector('input[name=severity][value=error]');
                box.checked = false; box.dispatchEvent(new Event('change', {bubbles: true}));
                return performance.now() - t; }""")
            search_ms = page.evaluate("""() => { const form = document.getElementById('filters');
                const t = performance.now(); form.elements.q.value = 'Hantu7';
                form.dispatchEvent(new Event('change')); return performance.now() - t; }""")
            results.append({"findings": page.locator("#findings-table tbody tr").count(),
                            "audit_and_render_s": round(audit_s, 2), "page_load_s": round(load_s, 2),
                            "severity_filter_ms": round(filter_ms, 1), "search_ms": round(search_ms, 1)})
            shutil.rmtree(folder)
        browser.close()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
