"""The HTML report: structure (BeautifulSoup), escaping of hostile text, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import REFERENCES

from auditor.cli import cli

HOSTILE = """# Laporan

Teks biasa (Evil 2020) dan kutipan (Ghost 2021).

## Daftar Pustaka

- Evil. 2020. *<script>window.__pwned = 1</script>" onmouseover="window.__pwned = 2*. Accessed 2024. <javascript:alert(1)>.
- Quiet, A. 2019. "<img src=x onerror=window.__pwned=3>". <https://example.org/a" onmouseover="x>.
"""


def run_audit(paths: list[str], tmp_path: Path) -> Path:
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["audit", *paths, "--db", str(tmp_path / "a.db"), "--html", str(out),
                                      "--fail-on", "never", "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The text demo documents (references/ also holds the journal paper as .docx, which would share its page name).
    return run_audit(sorted(str(p) for p in REFERENCES.glob("*.txt")), tmp_path_factory.mktemp("demo"))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_index_lists_every_document_with_counts(demo_report: Path) -> None:
    """index.html has one row per document with entries, citations and findings by severity, and a chart."""
    page = soup(demo_report / "index.html")
    rows = page.select("#documents tbody tr")
    assert len(rows) == 5
    row = next(r for r in rows if "004_" in r.get_text())
    cells = [c.get_text(strip=True) for c in row.find_all(["th", "td"])]
    assert cells[1] == "62" and cells[2] == "110"
    assert page.select_one("svg.chart title").get_text() == "Findings by rule"
    assert all(a["href"].startswith("documents/") for a in page.select("#documents a"))


def test_document_page_links_findings_to_lines_and_entries(demo_report: Path) -> None:
    """A finding links to its line; the citation on that line links to its entry: two clicks."""
    page = soup(demo_report / "documents" / "004_5a448dbc96d01709.html")
    row = next(r for r in page.select("#findings-table tbody tr") if r["data-rule"] == "ambiguous-citation")
    line_link = row.find("a", href=lambda h: h and h.startswith("#L"))
    line = page.find(id=line_link["href"][1:])
    assert line is not None
    entry_link = row.find("a", href=lambda h: h and h.startswith("#E"))
    assert page.find(id=entry_link["href"][1:]) is not None
    cite = page.find(id="L49").find("a", class_="cite")
    assert cite.get_text() == "Rosyidin 2010" and page.find(id=cite["href"][1:]) is not None


def test_severity_is_written_not_only_coloured(demo_report: Path) -> None:
    """Every severity badge carries its name as text."""
    page = soup(demo_report / "documents" / "004_5a448dbc96d01709.html")
    for badge in page.select("#findings-table .badge"):
        assert badge.get_text(strip=True) in ("error", "warning", "info", "suppressed")


def test_report_is_self_contained(demo_report: Path) -> None:
    """No page loads anything from the network: scripts and styles are local files."""
    for path in [demo_report / "index.html", *sorted((demo_report / "documents").glob("*.html"))]:
        page = soup(path)
        for tag in page.find_all(["script", "link", "img"]):
            ref = tag.get("src") or tag.get("href") or ""
            assert not ref.startswith(("http:", "https:", "//")), (path.name, ref)
    assert (demo_report / "static" / "report.js").exists() and (demo_report / "static" / "report.css").exists()


def test_hostile_text_is_escaped(tmp_path: Path) -> None:
    """<script> and attribute payloads in a document render as text; javascript: URLs are never links."""
    doc = tmp_path / "evil.md"
    doc.write_text(HOSTILE, encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    html = (out / "documents" / "evil.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    assert len(page.find_all("script")) == 1 and page.find("script")["src"].endswith("report.js")
    assert not page.find(attrs={"onmouseover": True}) and not page.find(attrs={"onerror": True})
    assert not page.find("img")
    assert "<script>window.__pwned" in page.get_text()
    assert not page.find("a", href=lambda h: h and h.lower().startswith("javascript"))


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        if os.environ.get("AUDITOR_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (AUDITOR_REQUIRE_BROWSER is set) but was not found")
        pytest.skip("no Chromium on this machine (CI installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.browser
def test_report_in_chromium(browser, demo_report: Path, tmp_path: Path) -> None:
    """Opened from file://, the page has no console errors, and the severity filter hides rows."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((demo_report / "documents" / "004_5a448dbc96d01709.html").as_uri())
    rows = page.locator("#findings-table tbody tr")
    total = rows.count()
    assert total > 20
    assert page.locator("#filters").is_visible()
    page.uncheck("input[name=severity][value=info]")
    visible = page.locator("#findings-table tbody tr:not([hidden])")
    info_rows = page.locator("#findings-table tbody tr[data-severity=info]").count()
    assert info_rows > 0 and visible.count() == total - info_rows
    page.fill("input[name=q]", "Brookngs")
    page.wait_for_timeout(200)
    assert page.locator("#findings-table tbody tr:not([hidden])").count() == 2
    page.click("#findings-table tbody tr:not([hidden]) a[href^='#L']")
    assert page.evaluate("location.hash") == "#L164"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    index = browser.new_page()
    index.on("pageerror", lambda e: errors.append(str(e)))
    index.goto((demo_report / "index.html").as_uri())
    index.click("#documents th:nth-child(4) button")
    index.click("#documents th:nth-child(4) button")
    first = index.locator("#documents tbody tr").first.inner_text()
    assert "004_" in first
    assert errors == []


@pytest.mark.browser
def test_hostile_payloads_do_not_run_in_chromium(browser, tmp_path: Path) -> None:
    """The payloads of a hostile document never execute in a real browser."""
    doc = tmp_path / "evil.md"
    doc.write_text(HOSTILE, encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    page = browser.new_page()
    page.goto((out / "documents" / "evil.html").as_uri())
    page.hover("text=onmouseover")
    assert page.evaluate("window.__pwned === undefined")


@pytest.mark.browser
def test_two_thousand_findings_filter(browser, tmp_path: Path) -> None:
    """A page with 2,000 findings renders and filters them (its speed is measured in bench/report_bench.py)."""
    lines = ["Teks " + " ".join(f"(Hantu{i} 2020)" for i in range(20)) for _ in range(100)]
    doc = tmp_path / "many.md"
    doc.write_text("\n\n".join(lines) + "\n\n## Daftar Pustaka\n\n- Ada. 2020. Judul.\n", encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    page = browser.new_page()
    page.goto((out / "documents" / "many.html").as_uri())
    assert page.locator("#findings-table tbody tr").count() >= 2000
    page.uncheck("input[name=severity][value=error]")
    remaining = page.locator("#findings-table tbody tr:not([hidden])")
    assert remaining.count() < 10
    assert all(s != "error" for s in remaining.evaluate_all("rows => rows.map(r => r.dataset.severity)"))


def test_the_page_of_a_huge_document_is_bounded(tmp_path: Path, monkeypatch) -> None:
    """Past the page limits the document page shows part of the text and findings and says so."""
    from auditor import report

    monkeypatch.setattr(report, "MAX_TEXT_LINES", 40)
    monkeypatch.setattr(report, "MAX_ROWS", 10)
    lines = [f"Teks (Hantu{i} 2020) lagi." for i in range(200)]
    doc = tmp_path / "big.md"
    doc.write_text("\n\n".join(lines) + "\n\n## Daftar Pustaka\n\n- Ada. 2020. Judul.\n", encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    page = BeautifulSoup((out / "documents" / "big.html").read_text(encoding="utf-8"), "html.parser")
    assert len(page.select("#findings-table tbody tr")) == 10
    assert len(page.select(".source .line")) == 40
    note = page.select_one(".truncated").get_text(" ", strip=True)
    assert "10 of its" in note and "40 of its" in note
