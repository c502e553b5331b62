"""The report as an editor reads it: the verdict first, documents by title and errors, findings by severity,
a rule chart that filters, filters in the address, parsed entries with their citing lines, locators, and a
page usable at phone width (checked in a real headless Chromium at 390 and 1280 px)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from bs4 import BeautifulSoup
from test_report import browser, demo_report, run_audit, soup  # noqa: F401  (fixtures)

from auditor.report import document_title, render_html, verdict

DEMO_PAGE = "004_5a448dbc96d01709.html"
RANK = {"error": 0, "warning": 1, "info": 2}

PAPER = """---
title: "Kajian *Aliansi* Rusia"
---

# Pendahuluan

Menurut Sugiyono (2017), metode ini tepat. Lihat juga (Sugiyono, 2017) dan (Hantu, 2020).

## Daftar Pustaka

- Sugiyono. 2017. *Metode Penelitian Kuantitatif*. Bandung: Alfabeta.
- Arikunto, Suharsimi. 2010. *Prosedur Penelitian*. Jakarta: Rineka Cipta.
"""


def test_verdict_wording() -> None:
    """One line that answers the editor: errors in how many documents, unreadable files, dead links."""
    def doc(errors: int, error: str | None = None) -> dict:
        return {"errors": errors, "error": error}

    five = [doc(9), doc(0), doc(0), doc(0), doc(0)]
    assert verdict(five, 3) == "9 errors in 1 of 5 documents; 3 dead links"
    assert verdict(five, None) == "9 errors in 1 of 5 documents"
    assert verdict([doc(1), doc(0)], 0) == "1 error in 1 of 2 documents; no dead links"
    assert verdict([doc(0), doc(0)], None) == "No errors in 2 documents"
    assert verdict([doc(0)], 1) == "No errors in the document; 1 dead link"
    assert verdict([doc(2), doc(0, "binary file")], None) == "2 errors in the document; 1 document could not be read"
    assert verdict([doc(2), doc(1), doc(0, "binary file")], None) == (
        "3 errors in 2 of 2 documents; 1 document could not be read")
    assert verdict([doc(0, "binary file")], None) == "No document could be read"


@pytest.mark.parametrize("fmt, text, title", [
    ("md", "# Kajian Aliansi\n\nTeks.", "Kajian Aliansi"),
    ("md", "Kajian **Aliansi**\n=====\n\nTeks.", "Kajian Aliansi"),
    ("md", '---\ntitle: "Judul dari YAML"\n---\n# Lain', "Judul dari YAML"),
    ("md", "**KERJASAMA RUSIA**\n\nTeks.", "KERJASAMA RUSIA"),
    ("md", "## Daftar Pustaka\n\n- Ada. 2020. Judul.", None),  # a reference heading is not a title
    ("md", "## Daftar Pustaka\n\n# Bab Dua\n", "Bab Dua"),
    ("md", "# [Judul bertaut](https://example.org) {#id}\n", "Judul bertaut"),
    ("html", "Judul halaman\nBeranda\n# Judul utama\nTeks.", "Judul utama"),
    ("txt", "Kajian Aliansi\n==============\n\nTeks.", "Kajian Aliansi"),  # reStructuredText
    ("txt", "\n\n## **KERJASAMA PERTAHANAN**\n\nTeks.", "KERJASAMA PERTAHANAN"),
    ("txt", "Latar Belakang Hubungan Korea Utara dan Rusia\nHubungan antara keduanya dimulai.",
     "Latar Belakang Hubungan Korea Utara dan Rusia"),
    ("txt", "Dalam realisme berasumsi bahwasanya negara bertindak berdasarkan kepentingan nasionalnya, dalam "
            "hal ini baik Rusia maupun Korut membuat aliansi.\nLain.", None),  # a paragraph, not a title
    ("txt", "Sebuah kalimat pendek yang berakhir dengan titik.\nLain.", None),
    ("txt", "", None),
])
def test_document_title(fmt: str, text: str, title: str | None) -> None:
    assert document_title(text, fmt) == title


def test_index_starts_with_the_verdict_and_orders_documents_by_errors(demo_report: Path) -> None:  # noqa: F811
    """The verdict comes before the table; each document shows its title with the file beneath; most errors first."""
    page = soup(demo_report / "index.html")
    main = page.find("main")
    first = main.find(["p", "table"], recursive=False)
    assert first.get("id") == "verdict"
    assert first.get_text(strip=True) == "7 errors in 1 of 5 documents."
    rows = page.select("#documents tbody tr")
    top = rows[0].find("th")
    assert top.select_one(".doc-title").get_text(strip=True) == "KERJASAMA PERTAHANAN RUSIA DAN KOREA UTARA"
    assert top.select_one(".file").get_text(strip=True).endswith("004_5a448dbc96d01709.txt")
    errors = [int(r.select("td")[2]["data-value"]) for r in rows]
    assert errors == sorted(errors, reverse=True)
    # A document without a heading is listed by its path, not twice.
    untitled = next(r for r in rows if "000_c9b6a0501ebbd398" in r.get_text())
    assert untitled.select_one(".doc-title").get_text(strip=True).endswith("000_c9b6a0501ebbd398.txt")
    assert untitled.select_one(".file") is None


def test_findings_by_severity_then_line_with_column(demo_report: Path) -> None:  # noqa: F811
    page = soup(demo_report / "documents" / DEMO_PAGE)
    rows = page.select("#findings-table tbody tr")
    keys = []
    for r in rows:
        where = r.select_one("td.where").get_text(" ", strip=True)
        line = int(where.split()[1].rstrip(",")) if where.startswith("line ") else 0
        keys.append((RANK[r["data-severity"]], line))
    assert keys == sorted(keys) and keys[0][0] == 0 and keys[-1][0] == 2
    first = rows[0].select_one("td.where a").get_text(strip=True)
    assert first == "line 41, column 64"
    assert "errors first" in page.select_one("#findings-table caption").get_text()


def test_rule_chart_coloured_by_severity_errors_first(demo_report: Path) -> None:  # noqa: F811
    """Bars carry a segment per severity; rules with errors come first; every bar is a link that filters."""
    for path, suffix in ((demo_report / "index.html", ""), (demo_report / "documents" / DEMO_PAGE, "#findings")):
        page = soup(path)
        bars = page.select(".rule-chart a.rule-bar")
        assert len(bars) >= 10
        worst = [min(RANK[c.split("-", 1)[1]] for s in b.select(".seg") for c in s["class"] if c.startswith("seg-"))
                 for b in bars]
        assert worst == sorted(worst) and worst[0] == 0
        for b in bars:
            assert b["href"] == f"?rule={b['data-rule']}{suffix}"
            assert b.select_one(".rule-name").get_text() == b["data-rule"]
        first = bars[0].select_one(".rule-count").get_text(" ", strip=True)
        assert first == "4 (4 error)"


def test_reference_list_shows_parsed_fields_and_citing_lines(tmp_path: Path) -> None:
    """Each entry shows its parsed authors, year and title, and "cited N times" links to every citing line."""
    doc = tmp_path / "paper.md"
    doc.write_text(PAPER, encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    index = soup(out / "index.html")
    assert index.select_one("#documents .doc-title").get_text(strip=True) == "Kajian Aliansi Rusia"
    page = soup(out / "documents" / "paper.html")
    assert page.find("h1").get_text(strip=True) == "Kajian Aliansi Rusia"
    first, second = page.select("ol.entries > li")
    fields = {dt.get_text(strip=True): dd.get_text(strip=True) for dt, dd in
              zip(first.select("dt"), first.select("dd"))}
    assert fields == {"Authors": "Sugiyono", "Year": "2017", "Title": "Metode Penelitian Kuantitatif"}
    assert first.select_one(".cited").get_text(strip=True) == "cited 2 times"
    links = first.select("a.citing")
    assert [a["href"] for a in links] == ["#L7", "#L7"]
    for a in links:
        line = page.find(id=a["href"][1:])
        assert line.find("a", class_="cite", href=f"#{first['id']}") is not None
    assert second.select_one(".cited").get_text(strip=True) == "not cited"
    assert {dt.get_text(strip=True): dd.get_text(strip=True)
            for dt, dd in zip(second.select("dt"), second.select("dd"))}["Authors"] == "Arikunto, Suharsimi"


def test_citing_lines_in_other_files_of_a_manuscript(tmp_path: Path) -> None:
    """An entry of the shared reference list links to the lines of the chapters that cite it."""
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "bab1.md").write_text("# Bab 1\n\nMenurut Sugiyono (2017), metode ini tepat.\n", encoding="utf-8")
    (folder / "daftar_pustaka.md").write_text(
        "# Daftar Pustaka\n\n- Sugiyono. 2017. *Metode Penelitian*. Bandung: Alfabeta.\n", encoding="utf-8")
    out = tmp_path / "report"
    from click.testing import CliRunner

    from auditor.cli import cli

    result = CliRunner().invoke(cli, ["audit", "--manuscript", str(folder), "--db", str(tmp_path / "a.db"),
                                      "--html", str(out), "--fail-on", "never", "--today", "2026-11-22"])
    assert result.exit_code == 0, result.output
    page = soup(out / "documents" / "daftar_pustaka.html")
    [link] = page.select("ol.entries a.citing")
    assert link["href"] == "bab1.html#L3" and link.get_text(strip=True) == "bab1.md line 3"
    chapter = soup(out / "documents" / "bab1.html")
    assert chapter.find(id="L3") is not None


def test_locator_shown_beside_the_line(tmp_path: Path) -> None:
    """When a reader gave a place in the original file ("page 4"), it is shown beside the line number."""
    doc = tmp_path / "paper.md"
    doc.write_text(PAPER, encoding="utf-8")
    run_audit([str(doc)], tmp_path)
    conn = sqlite3.connect(tmp_path / "a.db")
    with conn:
        conn.execute("update findings set locator = 'page 4' where line = 7")
        conn.execute("update citation_rows set locator = 'page 4' where line = 7")
        conn.execute("update entry_rows set locator = 'page 9'")
    conn.close()
    out = tmp_path / "again"
    render_html(sqlite_utils.Database(tmp_path / "a.db"), 1, out)
    page = soup(out / "documents" / "paper.html")
    wheres = [td.get_text(" ", strip=True) for td in page.select("#findings-table td.where")]
    assert any(w.startswith("line 7, column") and "(page 4)" in w for w in wheres), wheres
    entry = page.select_one("ol.entries > li")
    assert entry.select_one(".entry-raw a").get_text(strip=True) == "line 11 (page 9)"
    assert [a.get_text(strip=True) for a in entry.select("a.citing")] == ["line 7 (page 4)", "line 7 (page 4)"]


def test_hostile_title_is_text(tmp_path: Path) -> None:
    """A title taken from the document is escaped like everything else from it."""
    doc = tmp_path / "evil.md"
    doc.write_text('# Judul &lt;b&gt; "x" <img src=x onerror=alert(1)> <script>alert(2)</script>\n\nTeks.\n',
                   encoding="utf-8")
    out = run_audit([str(doc)], tmp_path)
    for path in (out / "index.html", out / "documents" / "evil.html"):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert not page.find("img") and len(page.find_all("script")) == 1


# --- in a real browser ---------------------------------------------------------------------------------

NO_OVERFLOW = """() => {
  const too_wide = [...document.querySelectorAll('.message, .fix, .rule-bar, .rule-name, .rule-count, .verdict, .doc-title, .entry-fields dd, .entry-meta')]
    .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(e => e.className + ': ' + e.textContent.slice(0, 40));
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, too_wide};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_overflow_and_legible_chart(browser, demo_report: Path, tmp_path: Path, width: int) -> None:  # noqa: F811
    """At phone and desktop width nothing is wider than the window; chart words keep a readable size."""
    errors: list[str] = []
    for path in (demo_report / "index.html", demo_report / "documents" / DEMO_PAGE):
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        layout = page.evaluate(NO_OVERFLOW)
        assert layout["scroll"] <= layout["inner"] == width, (path.name, layout)
        assert layout["too_wide"] == [], (path.name, layout)
        sizes = page.locator(".rule-name, .rule-count").evaluate_all(
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert sizes and min(sizes) >= 12
        bar = page.locator(".rule-bar").first.bounding_box()
        assert bar is not None and bar["height"] >= 16 and bar["x"] + bar["width"] <= width
        shot = tmp_path / f"{path.stem}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        page.close()
    assert errors == []


@pytest.mark.browser
def test_filters_live_in_the_address(browser, demo_report: Path) -> None:  # noqa: F811
    """A shared address opens the same view; changing a filter or selecting a bar rewrites the address."""
    url = (demo_report / "documents" / DEMO_PAGE).as_uri()
    page = browser.new_page()
    page.goto(url)
    total = page.locator("#findings-table tbody tr").count()  # every finding of the document
    page.goto(url + "?severity=warning&rule=uncited-entry")
    visible = page.locator("#findings-table tbody tr:not([hidden])")
    assert visible.count() == 8
    assert set(visible.evaluate_all("rows => rows.map(r => r.dataset.rule + '/' + r.dataset.severity)")) == {
        "uncited-entry/warning"}
    assert page.locator("#shown").inner_text() == f"8 of {total} findings: warning, rule uncited-entry"
    assert page.is_checked("input[name=severity][value=warning]")
    assert not page.is_checked("input[name=severity][value=error]")
    assert page.locator(".rule-bar[aria-current=true]").get_attribute("data-rule") == "uncited-entry"

    page.check("input[name=severity][value=error]")
    page.click(".rule-bar[data-rule=ambiguous-citation]")
    assert page.evaluate("location.search") == "?severity=error%2Cwarning&rule=ambiguous-citation"
    assert page.locator("#findings-table tbody tr:not([hidden])").count() == 4
    assert page.locator("#shown").inner_text() == f"4 of {total} findings: error and warning, rule ambiguous-citation"
    page.fill("input[name=q]", "Kompas")
    page.wait_for_timeout(200)
    assert "q=Kompas" in page.evaluate("location.search")
    # The address reopens the same view in a new page.
    again = browser.new_page()
    again.goto(page.url)
    assert again.locator("#findings-table tbody tr:not([hidden])").count() == 4
    assert again.input_value("input[name=q]") == "Kompas"
    again.click("button[name=clear]")
    assert again.evaluate("location.search") == ""
    assert again.locator("#findings-table tbody tr:not([hidden])").count() == total

    # The index: a bar keeps the documents with that rule, and their links open the page filtered to it.
    index = browser.new_page()
    index.goto((demo_report / "index.html").as_uri())
    index.click(".rule-bar[data-rule=unsourced-document]")
    assert index.evaluate("location.search") == "?rule=unsourced-document"
    shown = index.locator("#documents tbody tr:not([hidden])")
    assert shown.count() == 3 and "004_" not in shown.all_inner_texts()[0]
    assert index.locator("#rule-filter").is_visible()
    href = shown.first.locator("a.doc-title").get_attribute("href")
    assert href.endswith("?rule=unsourced-document#findings")
    index.click("#rule-filter a")
    assert index.locator("#documents tbody tr:not([hidden])").count() == 5
    for p in (page, again, index):
        p.close()


def test_verdict_counts_dead_links_of_the_run(tmp_path: Path) -> None:
    """Once links are checked, the verdict says how many cited URLs of the run are dead."""
    doc = tmp_path / "paper.md"
    doc.write_text(PAPER.replace("Rineka Cipta.", "Rineka Cipta. https://example.org/a\n- Hidup. 2019. "
                                 "*Judul*. https://example.org/b"), encoding="utf-8")
    run_audit([str(doc)], tmp_path)
    db = sqlite_utils.Database(tmp_path / "a.db")
    urls = sorted(r["url"] for r in db.query("select url from entry_links"))
    assert urls == ["https://example.org/a", "https://example.org/b"]
    db["links"].insert_all([{"url": urls[0], "outcome": "dead", "checked_at": "2026-11-22T00:00:00Z"},
                            {"url": urls[1], "outcome": "ok", "checked_at": "2026-11-22T00:00:00Z"}],
                           replace=True, alter=True)
    out = tmp_path / "again"
    render_html(db, 1, out)
    page = soup(out / "index.html")
    assert page.select_one("#verdict").get_text(strip=True) == "1 error in the document; 1 dead link."
    assert "dead: 1" in page.select_one("#documents tbody tr").get_text()
