"""Golden files: the full parse and findings of each demo document, reviewed by hand.

Run `pytest --update-golden` to rewrite them after an intended change, and read the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REFERENCES, TODAY

GOLDEN = Path(__file__).parent / "golden"
SEEDS = sorted(REFERENCES.glob("*.txt"))


def snapshot(path: Path) -> dict:
    from auditor.checks import AuditContext, run_checks
    from auditor.config import Settings
    from auditor.documents import load_document
    from auditor.parsing import parse_document

    parsed = parse_document(load_document(path))
    findings = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    line_of = {e.index: e.line for e in parsed.entries}
    return {
        "entries": [{"line": e.line, "end_line": e.end_line, "kind": e.kind, "authors": e.author_text,
                     "year": e.year, "urls": e.urls, "accessed": e.accessed.iso() if e.accessed else None}
                    for e in parsed.entries],
        "citations": [{"line": c.line, "column": c.column, "raw": c.raw, "status": c.status,
                       "entry_line": line_of.get(c.entry_index)} for c in parsed.citations],
        "findings": [{"rule": f.rule, "severity": f.severity.value, "line": f.line, "message": f.message}
                     for f in findings],
    }


@pytest.mark.parametrize("path", SEEDS, ids=[p.stem for p in SEEDS])
def test_seed_matches_golden_file(path: Path, update_golden: bool) -> None:
    """Each demo document parses and checks exactly as its reviewed golden file says."""
    got = snapshot(path)
    golden = GOLDEN / f"{path.stem}.json"
    if update_golden or not golden.exists():
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        if not update_golden:
            pytest.fail(f"{golden.name} did not exist and was written; review it and run again")
    want = json.loads(golden.read_text(encoding="utf-8"))
    assert got == want


def test_every_seed_has_a_golden_file() -> None:
    """The demo folder holds the five seeds and each has a reviewed golden file."""
    assert len(SEEDS) == 5
    assert {p.stem for p in SEEDS} == {p.stem for p in GOLDEN.glob("*.json")}
