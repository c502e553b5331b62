"""Bounded resources on hostile input (issue 15, points 5, 6 and 10): work counts and memory, never wall time."""

from __future__ import annotations

import re
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.documents import document_from_bytes
from auditor.model import Entry, Paragraph
from auditor.parsing import citations, parse_document, urls


def parse(text: str, name: str = "doc.txt"):  # type: ignore[no-untyped-def]
    fmt = "html" if name.endswith(".html") else "md" if name.endswith(".md") else "txt"
    return parse_document(document_from_bytes(name, text.encode("utf-8"), fmt))


def python_lines(fn: Callable[[], Any], module_file: str) -> int:
    """How many lines of Python `fn` executes in the given source file: a measure of work, not of time."""
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if frame.f_code.co_filename != module_file:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


class CountingRe:
    """Stands in for the `re` module in one parser: counts the characters each call is given to scan."""

    def __init__(self) -> None:
        self.scanned = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def _count(self, name: str, pattern: Any, string: str, *args: Any, **kwargs: Any) -> Any:
        self.scanned += len(string)
        return getattr(re, name)(pattern, string, *args, **kwargs)

    def finditer(self, pattern: Any, string: str, *a: Any, **k: Any) -> Any:
        return self._count("finditer", pattern, string, *a, **k)

    def search(self, pattern: Any, string: str, *a: Any, **k: Any) -> Any:
        return self._count("search", pattern, string, *a, **k)

    def match(self, pattern: Any, string: str, *a: Any, **k: Any) -> Any:
        return self._count("match", pattern, string, *a, **k)

    def fullmatch(self, pattern: Any, string: str, *a: Any, **k: Any) -> Any:
        return self._count("fullmatch", pattern, string, *a, **k)


# Point 5: numbered ranges


def test_crafted_ranges_stay_small_in_memory() -> None:
    """A 2 KB bracket of `1-200` ranges is capped and shares one marker string, so parsing it stays under 20 MB."""
    body = ",".join(["1-200"] * 340)
    text = f"Claim [{body}].\n\nReferences\n\n" + "\n".join(f"[{i}] Author {i}. 2001. Title {i}." for i in range(1, 4))
    tracemalloc.start()
    try:
        parsed = parse(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert len(parsed.citations) <= citations.MAX_GROUP_ITEMS
    assert len({id(c.marker) for c in parsed.citations}) == 1


def test_ranges_are_capped_per_paragraph() -> None:
    """Many `[1]-[200]` runs in one paragraph give at most MAX_PARAGRAPH_ITEMS numbered citations."""
    para = Paragraph(0, " ".join(["[1]-[200]"] * 200), [(0, 1, 1)])
    found = citations._numbered(para, brackets=True, notes=False)
    assert len(found) == citations.MAX_PARAGRAPH_ITEMS


def test_real_ranges_still_expand_fully() -> None:
    """`[4]–[8]` and `[1-3, 7]` still expand to every number they name."""
    para = Paragraph(0, "As shown [4]–[8] and later [1-3, 7].", [(0, 1, 1)])
    numbers = [c.number for c in citations._numbered(para, brackets=True, notes=False)]
    assert numbers == [4, 5, 6, 7, 8, 1, 2, 3, 7]


# Point 6: linear time


def test_narrative_citations_read_a_bounded_window() -> None:
    """The text a narrative citation examines does not grow with the paragraph: doubling it doubles the work."""
    def scanned(n: int) -> int:
        text = " ".join(f"as argued by Smith and Jones ({1990 + i % 30}) the results hold" for i in range(n))
        para = Paragraph(0, text, [(0, 1, 1)])
        counter = CountingRe()
        real = citations.re
        citations.re = counter  # type: ignore[assignment]
        try:
            citations._parenthetical(para)
        finally:
            citations.re = real
        return counter.scanned

    small, large = scanned(300), scanned(600)
    assert large <= 2.3 * small
    assert large <= 600 * (2 * citations.NARRATIVE_WINDOW + 400)


def test_narrative_readings_are_unchanged_by_the_window() -> None:
    """A name before "(2005)" late in a long paragraph is read the same as at its start."""
    filler = "Lorem ipsum dolor sit amet. " * 200
    para = Paragraph(0, filler + "Menurut Padgett & Morris (2005) hal itu benar.", [(0, 1, 1)])
    found = citations._parenthetical(para)
    assert [(c.names, c.year) for c in found] == [(["Padgett", "Morris"], "2005")]
    assert found[0].offset == para.text.index("Padgett")


def test_numbered_overlap_checks_are_not_quadratic() -> None:
    """Checking bracket markers against those already taken costs about the same per marker at any size."""
    def work(n: int) -> int:
        para = Paragraph(0, " ".join(f"claim [{i % 50 + 1}]" for i in range(n)), [(0, 1, 1)])
        return python_lines(lambda: citations._numbered(para, brackets=True, notes=False), citations.__file__)

    small, large = work(500), work(1000)
    assert large <= 2.3 * small


@pytest.mark.parametrize("opener", ["<http://a b ", "](http://", "](http://((((", "<www.a"])
def test_url_patterns_see_a_bounded_window(opener: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each try of the `<…>` and `](…)` patterns is given at most URL_WINDOW characters, once per opener."""
    seen: list[int] = []

    class Spy:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def __getattr__(self, name: str) -> Any:
            return getattr(self.pattern, name)

        def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
            seen.append(min(endpos, len(string)) - pos)
            return self.pattern.match(string, pos, endpos)

        def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
            seen.append(min(endpos, len(string)) - pos)
            return self.pattern.finditer(string, pos, endpos)

    monkeypatch.setattr(urls, "ANGLE", Spy(urls.ANGLE))
    monkeypatch.setattr(urls, "MD_TARGET", Spy(urls.MD_TARGET))
    text = opener * (100_000 // len(opener))
    urls.find_urls(text)
    assert seen and max(seen) <= urls.URL_WINDOW
    assert len(seen) <= 2 * text.count("<") + 2 * text.count("](") + 2


def test_url_extraction_is_unchanged() -> None:
    """Angle brackets, Markdown link targets and bare URLs are still found as before."""
    found = urls.find_urls("See [x](https://a.org/p_(q)) and <https://b.org/x y> and https://c.org/z.")
    assert [u for u, _, _ in found] == ["https://a.org/p_(q", "https://b.org/x y", "https://c.org/z"]


def _entries(n: int) -> list[Entry]:
    out = []
    for i in range(n):
        e = Entry(index=i, line=i + 1, end_line=i + 1, raw=f"e{i}")
        e.title = f"A distinct title about subject number {i * 7919 % 100003}"
        e.year = str(1990 + i % 30)
        e.author_text = f"Author{i}, A."
        e.urls = [f"https://example{i}.com/page/{i}"]
        e.kind = "reference"
        out.append(e)
    return out


def test_duplicate_check_compares_few_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 entries with URLs are checked for duplicates with a number of comparisons linear in their count."""
    from auditor.checks import entries as checks

    calls = 0
    real = checks.same_work

    def counting(a: Entry, b: Entry) -> str | None:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(checks, "same_work", counting)
    items = _entries(2000)
    items.append(items[5].__class__(**{**items[5].__dict__, "index": 2000}))  # one true duplicate
    found = checks._find_duplicates(items) if hasattr(checks, "_find_duplicates") else None
    if found is None:  # the old all-pairs loop, through the public function
        from types import SimpleNamespace

        ctx = SimpleNamespace(cache={}, parsed=SimpleNamespace(entries=items))
        found = checks.duplicates(ctx)  # type: ignore[arg-type]
    assert found[2000][0].index == 5
    assert calls <= 3 * len(items)


def test_duplicate_check_gives_the_same_pairs_as_all_pairs() -> None:
    """The indexed duplicate check finds exactly the pairs (and reasons) that comparing every pair finds."""
    from auditor.checks.entries import _find_duplicates, same_work

    base = _entries(60)
    variants = []
    for i, e in enumerate(base[:40]):
        v = Entry(index=100 + i, line=200 + i, end_line=200 + i, raw="v", kind="reference")
        kind = i % 5
        v.title = e.title if kind in (0, 1, 2) else (e.title or "") + "s" if kind == 3 else "Something else entirely here"
        v.year = e.year if kind != 2 else None
        v.author_text = e.author_text if kind != 1 else "Someone Else, B."
        v.urls = e.urls if kind == 4 else []
        v.doi = "10.1234/x" if i in (7, 9) else None
        variants.append(v)
    items = base + variants
    expected = {}
    for i, b in enumerate(items):
        for a in items[:i]:
            why = same_work(a, b)
            if why:
                expected[b.index] = (a.index, why)
                break
    got = {k: (a.index, why) for k, (a, why) in _find_duplicates(items).items()}
    assert got == expected and len(expected) > 20


def test_deeply_nested_html_is_read_without_the_tree_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 nested <div> are read as text line by line, and the recursive HTML parser is never called."""
    from auditor import documents
    from auditor import html as html_reader

    def refuse(text: str) -> list[str]:
        raise AssertionError("read_html called on deeply nested HTML")

    monkeypatch.setattr(html_reader, "read_html", refuse)  # (documents imports it when it reads HTML)
    n = 20_000
    html = ("<html><body>\n" + "<div>" * n + "\n<p>Claim (Smith, 2000).</p>\n" + "</div>" * n +
            "\n<h2>References</h2>\n<p>Smith, J. 2000. A title of the work. Pub.</p>\n</body></html>\n")
    doc = document_from_bytes("deep.html", html.encode(), "html")
    assert doc.lines[2] == "Claim (Smith, 2000)."
    assert documents.html_depth(html) == n + 3


def test_html_depth_scan_is_linear_on_unclosed_tags() -> None:
    """The nesting scan gives each unclosed "<" a bounded number of characters, so unclosed tags cost linear time."""
    from auditor import documents

    text = "<a " * 20_000
    assert documents.html_depth(text) == 0
    assert documents.TAG.pattern.count("{0,4000}") == 1  # no unbounded run that an unclosed "<" could scan


# Point 10: one bad file never aborts the run


def test_malformed_utf16_is_a_document_error(tmp_path: Path) -> None:
    """A file with a UTF-16 byte order mark and an odd number of bytes gets its own error; the others are audited."""
    from auditor.audit import audit_paths
    from auditor.config import Settings

    (tmp_path / "bad.txt").write_bytes(b"\xff\xfeA\x00B\x00C")
    (tmp_path / "good.txt").write_text("Text (Smith, 2000).\n\nReferences\n\nSmith, J. 2000. A title. Pub.\n")
    result = audit_paths([str(tmp_path)], Settings())
    by_name = {Path(d.path).name: d for d in result.documents}
    assert by_name["bad.txt"].error and "UTF-16" in by_name["bad.txt"].error
    assert by_name["good.txt"].parsed is not None


def test_a_document_the_parser_fails_on_does_not_stop_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while parsing one document becomes that document's error; the next is audited."""
    from auditor import audit

    real = audit.parse_document

    def flaky(doc):  # type: ignore[no-untyped-def]
        if doc.path.endswith("a.txt"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(doc)

    monkeypatch.setattr(audit, "parse_document", flaky)
    monkeypatch.delenv("AUDITOR_DEBUG", raising=False)
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Text (Smith, 2000).\n\nReferences\n\nSmith, J. 2000. A title. Pub.\n")
    from auditor.config import Settings

    result = audit.audit_paths([str(tmp_path)], Settings())
    assert [bool(d.error) for d in result.documents] == [True, False]
    assert "RecursionError" in (result.documents[0].error or "")


def test_unreadable_subfolders_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subfolder that cannot be listed gets an error naming it while the readable documents are collected."""
    import os

    from auditor.audit import collect_paths

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "a.txt").write_text("Text (Smith, 2000).\n")
    (tmp_path / "locked").mkdir()
    real = os.scandir

    def scandir(path: Any = ".") -> Any:  # chmod 000 does not stop root, so refuse the listing here
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, problems = collect_paths([str(tmp_path)])
    assert [f.name for f in files] == ["a.txt"]
    assert len(problems) == 1 and "locked" in problems[0] and "Permission denied" in problems[0]


def _two_documents(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Text (Smith, 2000).\n\nReferences\n\nSmith, J. 2000. A title. Pub.\n")


def test_a_document_over_its_time_budget_ends_with_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose audit never ends is stopped at --doc-timeout with a clear error; the next one is audited."""
    import time

    from auditor import audit
    from auditor.config import Settings

    real = audit.parse_document

    def hang(doc):  # type: ignore[no-untyped-def]
        if doc.path.endswith("a.txt"):
            while True:
                time.sleep(0.05)
        return real(doc)

    monkeypatch.setattr(audit, "parse_document", hang)
    _two_documents(tmp_path)
    result = audit.audit_paths([str(tmp_path)], Settings(), doc_timeout=0.5)
    first, second = result.documents
    assert first.error and "time limit of 0.5 s" in first.error and "--doc-timeout" in first.error
    assert second.error is None and second.parsed is not None and len(second.parsed.entries) == 1


def test_a_worker_that_dies_is_that_documents_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose worker process is killed (as by the out-of-memory killer) gets an error; the run goes on."""
    import os

    from auditor import audit
    from auditor.config import Settings

    real = audit.parse_document

    def die(doc):  # type: ignore[no-untyped-def]
        if doc.path.endswith("a.txt"):
            os._exit(9)
        return real(doc)

    monkeypatch.setattr(audit, "parse_document", die)
    _two_documents(tmp_path)
    result = audit.audit_paths([str(tmp_path)], Settings(), doc_timeout=30)
    assert "ended unexpectedly (exit code 9)" in (result.documents[0].error or "")
    assert result.documents[1].parsed is not None


def test_doc_timeout_option_reaches_the_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor audit --doc-timeout` prints the per-document error and still stores the run of the others."""
    import sqlite3
    import time

    from click.testing import CliRunner

    from auditor import audit
    from auditor.cli import cli

    real = audit.parse_document

    def hang(doc):  # type: ignore[no-untyped-def]
        if doc.path.endswith("a.txt"):
            time.sleep(60)
        return real(doc)

    monkeypatch.setattr(audit, "parse_document", hang)
    _two_documents(tmp_path)
    db = tmp_path / "audit.db"
    res = CliRunner().invoke(cli, ["audit", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--db", str(db),
                                   "--no-html", "--doc-timeout", "0.5", "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    assert "a.txt: not audited: it took longer than the per-document time limit" in res.output
    rows = sqlite3.connect(db).execute("select name, error is null from documents").fetchall()
    assert sorted(rows) == [("a.txt", 0), ("b.txt", 1)]


def test_entry_boundary_search_reads_a_bounded_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding sentence boundaries in a long entry of initials scans text in proportion to its length."""
    from auditor.parsing import entries

    counter = CountingRe()

    class Spy:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def search(self, string: str, *a: Any) -> Any:
            counter.scanned += len(string)
            return self.pattern.search(string, *a)

    monkeypatch.setattr(entries, "re", counter)
    if hasattr(entries, "WORD_AT_END"):
        monkeypatch.setattr(entries, "WORD_AT_END", Spy(entries.WORD_AT_END))

    def scanned(n: int) -> int:
        counter.scanned = 0
        entries._boundary("Smith, J. " + "A. B. " * n + "2000. The title.")
        return counter.scanned

    small, large = scanned(500), scanned(1000)
    assert large <= 2.3 * small
    assert entries._boundary("Smith, J. A. 2000. The title.") == len("Smith, J. A. 2000")


@pytest.mark.parametrize("jobs", [1, 2])
def test_units_queued_behind_a_dead_or_stuck_one_are_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             jobs: int) -> None:
    """Each worker holds a second unit while it audits the first; when the first kills or hangs the worker,
    the units queued behind it go to the new worker and are audited, in order."""
    import os
    import time

    from auditor import audit
    from auditor.config import Settings

    real = audit.parse_document

    def trouble(doc):  # type: ignore[no-untyped-def]
        if doc.path.endswith("b.txt"):
            os._exit(9)
        if doc.path.endswith("d.txt"):
            while True:
                time.sleep(0.05)
        return real(doc)

    monkeypatch.setattr(audit, "parse_document", trouble)
    for name in "abcdef":
        (tmp_path / f"{name}.txt").write_text("Text (Smith, 2000).\n\nReferences\n\nSmith, J. 2000. A title. Pub.\n")
    result = audit.audit_paths([str(tmp_path)], Settings(), doc_timeout=1, jobs=jobs)
    assert [Path(d.path).name for d in result.documents] == [f"{n}.txt" for n in "abcdef"]
    errors = {Path(d.path).name: d.error for d in result.documents if d.error}
    assert set(errors) == {"b.txt", "d.txt"}
    assert "ended unexpectedly" in (errors["b.txt"] or "") and "time limit of 1 s" in (errors["d.txt"] or "")
    assert all(len(d.parsed.entries) == 1 for d in result.documents if d.parsed is not None)
