"""Pandoc Markdown, R Markdown and Quarto papers: citation keys as Pandoc reads them, the bibliography named
in the front matter (CSL-JSON, CSL-YAML, inline `references:`), and agreement with `pandoc --citeproc`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.audit import audit_paths, collect_paths
from auditor.config import Settings
from auditor.documents import companions, load_document
from auditor.parsing import parse_document
from tests.conftest import TODAY

FIXTURES = Path(__file__).parent / "fixtures" / "pandoc"
REFS = [
    {"id": "doe2020", "type": "article-journal", "author": [{"family": "Doe", "given": "Jane"}],
     "issued": {"date-parts": [[2020]]}, "title": "Sourcing in local news", "container-title": "Journalism Studies"},
    {"id": "roe2019", "type": "book", "author": [{"family": "Roe", "given": "Richard"}],
     "issued": {"date-parts": [[2019]]}, "title": "Weekly papers", "publisher": "Academic Press"},
    {"id": "a", "type": "book", "author": [{"family": "Ash", "given": "A."}], "issued": {"date-parts": [[2001]]},
     "title": "One letter", "publisher": "P"},
]
# Citation forms and the keys Pandoc 2.17 reads from each line (checked with `pandoc --citeproc`).
FORMS = {
    "Text [@doe2020; @missing1, p. 3] and [see @miss2, pp. 3-5] and [-@miss3].":
        ["doe2020", "missing1", "miss2", "miss3"],
    "Narrative @miss4 says and @miss5 [p. 3] too; (@miss6) and [@a].": ["miss4", "miss5", "miss6", "a"],
    "Trailing @miss8. and @miss9: and @a.b.c, @d--e @f:g @{braced key} @{h} @1abc @_u @-x":
        ["miss8", "miss9", "a.b.c", "d", "f:g", "h", "1abc", "_u"],
    "E-mail foo@bar.com, x@miss7, a.@k2, 1@k3, \\@escaped and `@incode` are not citations.": [],
    "Mention: thanks to @miss16's help. @Miss17 @miss18/foo @miss19//bar @k30<a> @k31~b":
        ["miss16", "Miss17", "miss18/foo", "miss19//bar", "k30<a", "k31~b"],
    "[@miss20 p. 33] [@miss21, {p. 3}] [@miss22; see @miss23] @miss24[p.3] **@miss11** _@miss12_":
        ["miss20", "miss21", "miss22", "miss23", "miss24", "miss11", "miss12_"],
}


def paper(folder: Path, body: str, front: str = "bibliography: refs.json", name: str = "paper.md",
          refs: list[dict[str, object]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "refs.json").write_text(json.dumps(REFS if refs is None else refs, indent=2), encoding="utf-8")
    path = folder / name
    path.write_text(f"---\ntitle: A paper\n{front}\n---\n\n{body}\n", encoding="utf-8")
    return path


def audit(*paths: Path):
    return audit_paths([str(p) for p in paths], Settings(), today=TODAY)


def unresolved(result) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for doc in result.documents:
        cited = {c.index: c for c in doc.parsed.citations} if doc.parsed else {}
        out += [cited[f.citation_index].raw for f in doc.findings
                if f.rule == "unresolved-citation" and f.citation_index is not None]
    return out


@pytest.mark.parametrize(("line", "keys"), list(FORMS.items()))
def test_pandoc_citation_keys(tmp_path: Path, line: str, keys: list[str]) -> None:
    doc = load_document(paper(tmp_path, line))
    assert [d.key for d in doc.declared_citations or []] == keys


def test_bracketed_and_narrative_citations_resolve_and_are_placed(tmp_path: Path) -> None:
    body = "As @doe2020 shows [see @roe2019, pp. 3-5; -@a], the gap widened [@nobody]."
    path = paper(tmp_path, body)
    result = audit(path)
    md = next(d for d in result.documents if d.path.endswith("paper.md"))
    assert md.manuscript == "paper"  # audited with its bibliography
    cits = md.parsed.citations
    assert [(c.raw, c.status) for c in cits] == [("doe2020", "resolved"), ("roe2019", "resolved"),
                                                ("a", "resolved"), ("nobody", "unresolved")]
    assert (cits[0].line, cits[0].column) == (6, 4)  # the "@" of @doe2020
    assert (cits[1].line, cits[1].column) == (6, 24)  # the "@" of @roe2019, inside its bracket
    assert cits[1].marker == "[see @roe2019, pp. 3-5; -@a]" and cits[2].column == 44  # the "@" of -@a
    assert unresolved(result) == ["nobody"]
    (finding,) = [f for f in md.findings if f.rule == "unresolved-citation"]
    assert finding.severity.value == "error"


def test_no_narrative_citations_without_a_bibliography(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text("# Notes\n\nThanks to @octocat for the fix; mail me at me@example.org.\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.declared_citations is None
    assert parse_document(doc).citations == []


def test_code_chunks_and_cross_references_are_not_citations(tmp_path: Path) -> None:
    body = """Results are in @fig-plot and @tbl:means, see @sec-method [@doe2020].

```{r}
x <- c(1, 2) # @notakey
```

    an indented code block @alsonot

```{python}
print("@neither")
```

Inline `r 1 + 1` and `@code` too; @roe2019 is cited."""
    for name in ("paper.Rmd", "paper.qmd", "paper.md"):
        doc = load_document(paper(tmp_path / name.replace(".", "_"), body, name=name))
        assert doc.format == "md"
        assert [d.key for d in doc.declared_citations or []] == ["doe2020", "roe2019"], name


def test_inline_references_are_a_declared_section(tmp_path: Path) -> None:
    front = """references:
- id: doe2020
  type: article-journal
  author:
  - family: Doe
    given: Jane
  issued: 2020
  title: Sourcing in local news
  container-title: Journalism Studies
- id: zed2010
  type: book
  author:
  - family: Zed
    given: Z.
  issued: 2010
  title: Never cited
- id: abe2001
  type: book
  title: Out of order and never cited
  issued: 2001"""
    path = paper(tmp_path, "Cited [@doe2020] and not found [@roe2019].", front=front)
    result = audit(path)
    (doc,) = result.documents
    entries = doc.parsed.entries
    assert [(e.key, e.line) for e in entries] == [("doe2020", 4), ("zed2010", 12), ("abe2001", 19)]
    assert entries[0].authors == ["Doe, Jane"] and entries[0].container == "Journalism Studies"
    assert unresolved(result) == ["roe2019"]
    rules = {f.rule for f in doc.findings}
    assert "uncited-entry" not in rules and "bibliography-order" not in rules  # a database, as Pandoc reads it


def test_bibliography_list_yaml_and_nocite(tmp_path: Path) -> None:
    (tmp_path / "more.yaml").write_text("- id: kim2018\n  type: book\n  title: Protocol\n  issued: 2018\n"
                                        "  author:\n  - family: Kim\n    given: K.\n", encoding="utf-8")
    front = "bibliography:\n- refs.json\n- more.yaml\nnocite: |\n  @roe2019, @ghost"
    path = paper(tmp_path, "Following [@kim2018; @doe2020].", front=front)
    assert [p.name for p in companions(path)] == ["refs.json", "more.yaml"]
    result = audit(path)
    assert sorted(Path(d.path).name for d in result.documents) == ["more.yaml", "paper.md", "refs.json"]
    assert unresolved(result) == []  # a nocite key that is not found is no error (Pandoc says nothing)
    # Unused entries of a bibliography database are info (Pandoc leaves them out of the bibliography);
    # those cited, and those listed by nocite, are not reported.
    uncited = [f for d in result.documents for f in d.findings if f.rule == "uncited-entry"]
    assert all(f.severity.value == "info" for f in uncited)
    assert not any(k in f.message for f in uncited for k in ("Kim", "Doe", "Roe"))


def test_companions_include_bib_files_named_in_front_matter(tmp_path: Path) -> None:
    (tmp_path / "refs.bib").write_text("@book{a, title={T}, year={2001}}\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "extra.json").write_text("[]", encoding="utf-8")
    path = paper(tmp_path, "Text [@a].", front="bibliography: [refs.bib, sub/extra.json, missing.json]")
    assert [p.name for p in companions(path)] == ["refs.bib", "extra.json"]


def test_missing_bibliography_is_one_clear_finding(tmp_path: Path) -> None:
    path = paper(tmp_path, "Text [@doe2020].", front="bibliography: nowhere.json")
    result = audit(path)
    (doc,) = result.documents
    (finding,) = [f for f in doc.findings if f.rule == "missing-part"]
    assert finding.severity.value == "warning" and finding.line == 3  # the paper may be audited without it
    assert "nowhere.json" in finding.message and "does not exist" in finding.message


@pytest.mark.parametrize("named", ["../outside.json", "/etc/passwd", "sub/../../outside.json", "C:\\refs.json",
                                   "https://example.org/refs.json"])
def test_bibliography_outside_the_folder_is_not_read(tmp_path: Path, named: str) -> None:
    (tmp_path / "outside.json").write_text(json.dumps(REFS), encoding="utf-8")
    path = paper(tmp_path / "paper", "Text [@doe2020] and [@roe2019].", front=f"bibliography: '{named}'")
    assert companions(path) == []
    result = audit(path)
    assert [Path(d.path).name for d in result.documents] == ["paper.md"]
    (doc,) = result.documents
    (finding,) = [f for f in doc.findings if f.rule == "missing-part"]
    assert finding.severity.value == "warning" and "not audited" in finding.message


def test_symlink_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text(json.dumps(REFS), encoding="utf-8")
    path = paper(tmp_path / "paper", "Text [@doe2020].", front="bibliography: link.json")
    (tmp_path / "paper" / "link.json").symlink_to(tmp_path / "outside.json")
    assert companions(path) == []


def test_a_folder_with_a_paper_audits_its_bibliography_with_it(tmp_path: Path) -> None:
    paper(tmp_path, "Text [@doe2020].")
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    found, _ = collect_paths([str(tmp_path)])
    assert [p.name for p in found] == ["paper.md"]
    result = audit(tmp_path)
    assert sorted(Path(d.path).name for d in result.documents) == ["paper.md", "refs.json"]
    assert all(d.manuscript == "paper" for d in result.documents)


def test_front_matter_that_is_not_yaml_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("---\nbibliography: [unclosed\n---\n\nText @someone.\n", encoding="utf-8")
    doc = load_document(path)
    assert doc.declared_citations is None and companions(path) == []


# Papers that `pandoc --citeproc` renders: the keys it warns about must be exactly the auditor's
# unresolved citations.
AGREEMENT = {
    "json": ("bibliography: refs.json", None),
    "yaml": ("bibliography: refs.yaml", "yaml"),
    "inline": ("references:\n" + "\n".join(
        f"- id: {r['id']}\n  type: {r['type']}\n  title: {r['title']}\n  issued: 2000" for r in REFS), None),
}
AGREEMENT_BODY = """# Introduction

Local newsrooms cite fewer sources [@doe2020; @roe2019, p. 12; @doe2021].
As @doe2020 shows, the gap widened [see also @lee2021, pp. 3-5]. Weeklies differ [-@roe2019].
Write to editor@example.org or @{a}; the protocol is older [@kim2018][^1].

[^1]: Described elsewhere [@roe2019; @gone2017].

```{r}
plot(x) # @notakey
```

# References
"""


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("kind", sorted(AGREEMENT))
def test_unresolved_citations_are_exactly_those_pandoc_warns_about(tmp_path: Path, kind: str) -> None:
    front, fmt = AGREEMENT[kind]
    path = paper(tmp_path, AGREEMENT_BODY, front=front)
    if fmt == "yaml":
        lines = ["---", "references:"]  # (Pandoc reads a CSL-YAML file only in this form)
        for r in REFS:
            lines += [f"- id: {r['id']}", f"  type: {r['type']}", f"  title: {r['title']}", "  issued: 2000"]
        (tmp_path / "refs.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run(["pandoc", "--citeproc", "-t", "plain", str(path.name)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=True)
    warned = sorted(re.findall(r"\[WARNING\] Citeproc: citation (\S+) not found", run.stderr))
    assert warned == ["doe2021", "gone2017", "kim2018", "lee2021"]
    assert sorted(set(unresolved(audit(path)))) == warned
