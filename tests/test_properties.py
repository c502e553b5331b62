"""Property tests: parsing and checking never raise, whatever the text."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.checks import AuditContext, run_checks
from auditor.documents import document_from_bytes
from auditor.parsing import parse_document
from auditor.parsing.entries import parse_entry

PIECES = st.sampled_from([
    "(", ")", "[", "]", "[1]", "(Ford 2009)", "(Ford, 2009; Kitchen 2010a)", "Rosyidin (2010)", "\n", "\n\n",
    "## Daftar Pustaka\n", "- ", "1. ", "Ibid.", "Op. Cit., ", "Accessed 2024. ", "Diakses 3 Maret 2024 ",
    "<https://example.com/a>", "https://www.setneg.go/", "n.d.", "2024.", "“", "”", "\"", "*", "\\_", "Â", " ",
    "Kompas.com", "et al.", "dkk.", "&", "<sup>1</sup>", "[^1]: note", "<Chart", "/>",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=60))
def test_audit_never_raises(parts: list[str]) -> None:
    """Any mix of citation-like and random text parses and checks without an exception."""
    text = "".join(parts) or "x"
    for fmt, name in (("md", "a.md"), ("txt", "a.txt"), ("html", "a.html")):
        try:
            doc = document_from_bytes(name, text.encode("utf-8", "surrogatepass"), fmt)
        except Exception as exc:  # only the documented error for unreadable input is allowed
            from auditor.errors import DocumentError

            assert isinstance(exc, DocumentError)
            continue
        parsed = parse_document(doc)
        run_checks(AuditContext(parsed, dt.date(2026, 11, 22)), strict=True)
        for c in parsed.citations:
            assert c.line >= 1 and c.column >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_entry_never_raises(text: str) -> None:
    """Any string parses into an entry (possibly with nothing found)."""
    entry = parse_entry(text)
    assert entry.raw == text
