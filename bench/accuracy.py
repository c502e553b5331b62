"""Accuracy against hand-made gold, with the figures issue #9 asks for that score.py does not print.

usage: python bench/accuracy.py DB GOLD_DIR [--per-document]

Uses ../shared/eval/score.py (found next to GOLD_DIR's parent or via $AUDITOR_SCORER) for the
matching itself, then adds entries precision and the precision of error-level findings, micro-averaged
over the documents like score.py's summary.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import sys
from collections import Counter
from pathlib import Path


def load_scorer(gold_dir: Path):  # type: ignore[no-untyped-def]
    """Import the shared scorer module."""
    candidates = [os.environ.get("AUDITOR_SCORER", "")]
    for parent in [gold_dir, *gold_dir.parents]:
        candidates.append(str(parent / "eval" / "score.py"))
    for c in candidates:
        if c and Path(c).is_file():
            spec = importlib.util.spec_from_file_location("score", c)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit("cannot find eval/score.py; set AUDITOR_SCORER")


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__)
        return 2
    db_path, gold_dir = argv[1], Path(argv[2])
    score = load_scorer(gold_dir)
    db = score.load_db(db_path)
    tot: Counter[str] = Counter()
    rows = []
    for p in sorted(gold_dir.glob("*.json")):
        gold = json.loads(p.read_text(encoding="utf-8"))
        r = score.score_document(db, gold, False)
        if not r.get("found"):
            tot["missing"] += 1
            continue
        e, c, f = r["entries"], r["citations"], r["findings"]
        hit = round((e["recall"] or 0) * e["gold"])
        tot["e_gold"] += e["gold"]
        tot["e_hit"] += hit
        tot["e_extra"] += len(e["extra"])
        chit = round((c["recall"] or 0) * c["gold"])
        tot["c_gold"] += c["gold"]
        tot["c_hit"] += chit
        tot["c_found"] += c["found"]
        tot["c_res"] += round((c["resolution"] or 0) * chit)
        tot["f_must"] += f["must"]
        tot["f_hit"] += round((f["recall"] or 0) * f["must"])
        tot["f_found"] += f["found"]
        tot["f_tp"] += round((f["precision"] or 0) * f["found"])
        did = score.doc_id(db, gold["document"])
        errors = Counter((x["rule"], x["line"]) for x in db.execute(
            "select rule, line from findings where document_id=? and severity='error'", (did,)))
        unexpected = Counter(tuple(u) for u in f["unexpected"])
        bad = sum(min(n, unexpected.get(k, 0)) for k, n in errors.items())
        tot["err_found"] += sum(errors.values())
        tot["err_bad"] += bad
        rows.append((gold["document"], e, c, f, sum(errors.values()), bad))
    if "--per-document" in argv:
        for name, e, c, f, nerr, bad in rows:
            print(f"{name[:40]:40} entries R {e['recall']} P {e['precision']} | cit R {c['recall']} "
                  f"res {c['resolution']} | find R {f['recall']} P {f['precision']} ({f['found']}) "
                  f"| errors {nerr - bad}/{nerr}")

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 3) if b else None

    print(f"accuracy: entries recall {ratio(tot['e_hit'], tot['e_gold'])}"
          f" precision {ratio(tot['e_hit'], tot['e_hit'] + tot['e_extra'])}"
          f" | citations recall {ratio(tot['c_hit'], tot['c_gold'])}"
          f" precision {ratio(tot['c_hit'], tot['c_found'])}"
          f" resolution {ratio(tot['c_res'], tot['c_hit'])}"
          f" | findings recall {ratio(tot['f_hit'], tot['f_must'])}"
          f" precision {ratio(tot['f_tp'], tot['f_found'])}"
          f" | error-level precision {ratio(tot['err_found'] - tot['err_bad'], tot['err_found'])}"
          f" ({tot['err_found'] - tot['err_bad']}/{tot['err_found']})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except sqlite3.Error as exc:
        print(f"cannot read {sys.argv[1]}: {exc}")
        sys.exit(2)
