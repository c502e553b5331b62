"""Start-up time of the light commands (issue #14: under 0.15 s).

Usage: python bench/startup_bench.py [RUNS]   (default 10; prints the best and the median, seconds)
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDITOR = str(ROOT / ".venv" / "bin" / "auditor")


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    out = {}
    for args in (["--version"], ["rules"], ["rule", "uncited-entry"]):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([AUDITOR, *args], stdout=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - start)
        out["auditor " + " ".join(args)] = {"best": round(min(times), 3), "median": round(statistics.median(times), 3)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
