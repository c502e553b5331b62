"""The formats really agree (issue 10): one manuscript read as Markdown, Word, PDF and HTML gives the
same entries, citations and findings, apart from where they stand; and on a Pandoc paper with a
BibTeX bibliography, the citations reported unresolved are exactly those `pandoc --citeproc` warns about.

The demo paper is in references/ as .txt (Markdown), .docx and .pdf (made with pandoc and LibreOffice:
tests/fixtures/docx/make.py, tests/fixtures/pdf/make_fixtures.py); its HTML is made here with pandoc.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "references" / "004_5a448dbc96d01709"


def need_pandoc() -> str:
    found = shutil.which("pandoc")
    if found is None:
        if os.environ.get("AUDITOR_REQUIRE_PANDOC"):
            pytest.fail("pandoc is required here (AUDITOR_REQUIRE_PANDOC is set) but is not installed")
        pytest.skip("pandoc is not installed")
    return found


def audited(path: Path, db: Path) -> tuple[int, Counter, Counter]:
    """(entries, findings as (rule, entry), citations as (text, status)) with places left out."""
    result = CliRunner().invoke(cli, ["audit", str(path), "--db", str(db), "--no-html", "--fail-on", "never",
                                      "-q"])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    entries = {}
    for eid, year, urls, authors, title in con.execute("select id, year, urls, author_text, title from entries"):
        links = json.loads(urls or "[]")
        entries[eid] = (year, links[0] if links else (authors or title or "")[:15])
    findings = Counter((rule, entries.get(eid)) for rule, eid in con.execute("select rule, entry_id from findings"))
    citations = Counter(con.execute("select raw, status from citations").fetchall())
    return len(entries), findings, citations


def test_the_demo_paper_reads_the_same_as_markdown_word_pdf_and_html(tmp_path: Path) -> None:
    pandoc = need_pandoc()
    md = tmp_path / "paper.md"
    shutil.copyfile(DEMO.with_suffix(".txt"), md)
    html = tmp_path / "paper.html"
    subprocess.run([pandoc, "-f", "markdown-smart", "-t", "html5", "--standalone", "--metadata", "title=paper",
                    str(md), "-o", str(html)], check=True, timeout=120)
    versions = {"md": md, "docx": DEMO.with_suffix(".docx"), "pdf": DEMO.with_suffix(".pdf"), "html": html}
    results = {name: audited(path, tmp_path / f"{name}.db") for name, path in versions.items()}
    entries, findings, citations = results["md"]
    assert entries == 62 and sum(citations.values()) == 110 and sum(findings.values()) > 30
    for name, (n, f, c) in results.items():
        assert n == entries, name
        assert c == citations, (name, c - citations, citations - c)
        assert f == findings, (name, f - findings, findings - f)


PAPER = """---
title: 'A small JOSS-style paper'
bibliography: paper.bib
---

# Summary

Warping is old [@ramsay1998; @sadeghi2000, p. 3] and @marron2015 compared methods.
Later work [-@ramsay2005; see @ghost2019] and [@Missing:key] extended it; e-mail me at a@b.org.

# References
"""
BIB = """@article{ramsay1998,
  author = {Ramsay, J. O. and Li, Xiaochun},
  title = {Curve registration},
  journal = {Journal of the Royal Statistical Society B},
  year = {1998}
}
@article{sadeghi2000,
  author = {Sadeghi, H. and others},
  title = {Symmetry and limb dominance},
  journal = {Gait \\& Posture},
  year = {2000}
}
@article{marron2015,
  author = {Marron, J. S. and Ramsay, James O.},
  title = {Functional data analysis of amplitude and phase variation},
  journal = {Statistical Science},
  year = {2015}
}
@book{ramsay2005,
  author = {Ramsay, J. O. and Silverman, B. W.},
  title = {Functional Data Analysis},
  publisher = {Springer},
  year = {2005}
}
@misc{unused2010,
  author = {Nobody, N.},
  title = {Never cited},
  year = {2010}
}
"""


def test_a_pandoc_paper_with_bibtex_is_unresolved_exactly_where_pandoc_warns(tmp_path: Path) -> None:
    pandoc = need_pandoc()
    (tmp_path / "paper.md").write_text(PAPER, encoding="utf-8")
    (tmp_path / "paper.bib").write_text(BIB, encoding="utf-8")
    run = subprocess.run([pandoc, "--citeproc", "paper.md", "-t", "plain", "-o", os.devnull], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    warned = set(re.findall(r"Citeproc: citation (\S+) not found", run.stderr))
    assert warned == {"ghost2019", "Missing:key"}, run.stderr
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["audit", str(tmp_path), "--db", str(db), "--no-html", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(db)
    unresolved = {raw for (raw,) in con.execute("select raw from citations where entry_id is null")}
    assert unresolved == warned
    # The paper and its bibliography are one manuscript; the unused database entry is info.
    names = [n for (n,) in con.execute("select name from documents order by name")]
    assert names == ["paper.bib", "paper.md"]
    uncited = con.execute("select severity, locator from findings where rule = 'uncited-entry'").fetchall()
    assert uncited == [("info", "paper.bib:25")]
