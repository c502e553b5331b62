"""The cost of a document grows linearly with its length (issue #14).

Work is counted, not timed: every line of the auditor's own code that runs and every call into C
(each regular expression search, each set operation) adds one. Doubling a long synthetic document
(its body and its reference list) must roughly double the count, for the parser, the matcher and
the checks; an algorithm that compares every citation with every entry, or every line with every
line, would make the count grow four times.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import auditor
from auditor.checks import AuditContext, run_checks
from auditor.config import Settings
from auditor.documents import document_from_bytes
from auditor.matching import match_citations
from auditor.model import ParsedDocument
from auditor.parsing import cite_document, parse_references

PACKAGE = str(Path(auditor.__file__).parent)
FAMILIES = ["Smith", "Wijaya", "Nguyen", "Garcia", "Kusuma", "Olsen", "Haddad", "Tanaka", "Mensah", "Rossi"]
RATIO = 2.5  # twice the document: at most this much more work (linear work doubles, quadratic quadruples)


def _author(i: int, n: int) -> str:
    # A distinct family name per entry and per document size (so that no cache serves the larger
    # document from the smaller one); "Smith17" is not a name, so the digits are written as letters.
    suffix = "".join(chr(ord("a") + int(d)) for d in str(n * 10_000 + i))
    return FAMILIES[i % len(FAMILIES)] + suffix


def markdown(n: int) -> str:
    """A manuscript of n paragraphs citing n entries in several ways, with the dates, quotations, URLs and
    prose the rules read, then its reference list of n entries (plus a few uncited and broken ones)."""
    body = ["# A long synthetic paper", ""]
    for i in range(n):
        a, b = _author(i, n), _author((i + 7) % n, n)
        year, other = 2000 + i % 20, 2000 + (i + 7) % n % 20
        body.append(
            f"On 3 March {2001 + i % 20} the committee met, as {a} ({year}) reports; later work "
            f"(e.g. {b} et al., {other}; {a}, {year}) disagrees. One official said \"the numbers do not "
            f"add up at all\" in an interview. See https://example.org/report/{i} and Kompas.com for details "
            f"of the {i}th meeting [{i + 1}], in Juni 2024.")
        body.append("")
    refs = ["## References", ""]
    for i in range(n):
        year = 2000 + i % 20
        if i % 3 == 0:
            refs.append(f"- {_author(i, n)}, A., & {_author(i + n, n)}, B. ({year}). A study of things number {i}. "
                        f"*Journal of Examples*, {i % 40 + 1}(2), 10-20. https://doi.org/10.1234/ex.{i}")
        elif i % 3 == 1:
            refs.append(f"- {_author(i, n)}, C. {year}. *Book of Topic {i}*. Jakarta: Penerbit Contoh.")
        else:
            refs.append(f"- {_author(i, n)}. ({year}). Web page {i}. Diakses 5 Mei 2024, dari https://example.com/{i}")
    refs.append("- Nobody, Z. 2019. Uncited Work. Bandung: Alfabeta.")
    refs.append("- 2024. https://example.net/orphan")
    return "\n".join(body + refs) + "\n"


def notes_markdown(n: int) -> str:
    """A notes-and-bibliography manuscript: n paragraphs with footnote markers, n notes (with Ibid. and
    Op. cit.), and a bibliography of n entries the notes point at."""
    body = ["# Notes paper", ""]
    for i in range(n):
        body.append(f"Paragraph {i} states a fact about the year {1990 + i % 30}.[^{i + 1}]")
        body.append("")
    notes = []
    for i in range(n):
        if i % 5 == 4:
            notes.append(f"[^{i + 1}]: Ibid., {i}.")
        elif i % 5 == 3:
            notes.append(f"[^{i + 1}]: {_author(i - 1, n)}, Op. Cit., {i}.")
        else:
            notes.append(f"[^{i + 1}]: Anna {_author(i, n)}, *Title of Work {i}* (London: Routledge, {2000 + i % 20}), {i}.")
    biblio = ["", "## Bibliography", ""]
    for i in range(n):
        biblio.append(f"- {_author(i, n)}, Anna. {2000 + i % 20}. *Title of Work {i}*. London: Routledge.")
    return "\n".join(body + notes + biblio) + "\n"


def count_work(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Lines of the auditor's code executed plus calls into C made, while fn runs."""
    count = 0

    def line_tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return line_tracer

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            return line_tracer
        return None

    def profiler(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    sys.settrace(tracer)
    sys.setprofile(profiler)
    try:
        result = fn()
    finally:
        sys.setprofile(None)
        sys.settrace(None)
    return count, result


def _stages(text: str) -> dict[str, int]:
    doc = document_from_bytes("long.md", text.encode(), "md")
    parse_cost, parsed = count_work(lambda: parse_references(doc))
    cite_cost, _ = count_work(lambda: cite_document(parsed))
    # The matcher alone, run again on the found citations with their matches cleared.
    for c in parsed.citations:
        c.entry_index, c.candidates, c.suggestion_index = None, [], None
    view = ParsedDocument(parsed.document, parsed.sections, parsed.entries, list(parsed.citations), parsed.paragraphs)
    match_cost, _ = count_work(lambda: match_citations(view))
    rules = Settings().enabled_rules()
    check_cost, findings = count_work(lambda: run_checks(AuditContext(parsed, dt.date(2026, 11, 22)), rules))
    assert parsed.entries and parsed.citations and findings
    return {"parse": parse_cost, "cite": cite_cost, "match": match_cost, "checks": check_cost}


@pytest.mark.parametrize("make", [markdown, notes_markdown], ids=["author-year", "notes"])
def test_doubling_a_document_doubles_the_work(make: Callable[[int], str]) -> None:
    _stages(make(10))  # first calls import modules and fill caches: work done once, not per line
    small, large = _stages(make(150)), _stages(make(300))
    ratios = {stage: large[stage] / small[stage] for stage in small}
    assert all(r < RATIO for r in ratios.values()), (ratios, small, large)
    assert all(r > 1.5 for r in ratios.values()), ratios  # the document really grew, and so did the work


def test_the_synthetic_document_is_read_as_meant() -> None:
    """The counts above mean something only if the parser reads the synthetic document fully."""
    doc = document_from_bytes("long.md", markdown(60).encode(), "md")
    parsed = parse_references(doc)
    cite_document(parsed)
    assert len(parsed.entries) == 62
    resolved = [c for c in parsed.citations if c.status == "resolved"]
    assert len(resolved) >= 3 * 60
