"""Shared fixtures: paths, a strict audit helper, and the --update-golden option."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "references"
TODAY = dt.date(2026, 11, 22)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/*.json")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def audit_text(text: str, name: str = "doc.md", tmp_path: Path | None = None, today: dt.date = TODAY):
    """Parse and check a document given as text; rules run strictly (a failing rule raises)."""
    from auditor.checks import AuditContext, run_checks
    from auditor.config import Settings
    from auditor.documents import FORMATS, READERS, document_from_bytes, read_with
    from auditor.parsing import parse_document

    fmt = FORMATS[Path(name).suffix.lower()]
    data = text.encode("utf-8")
    doc = read_with(fmt, name, data) if fmt in READERS else document_from_bytes(name, data, fmt)
    parsed = parse_document(doc)
    findings = run_checks(AuditContext(parsed, today), Settings().enabled_rules(), strict=True)
    return parsed, findings


@pytest.fixture
def audit():
    return audit_text
