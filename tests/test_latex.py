"""LaTeX papers (.tex): every citation command, thebibliography, the files a paper names (chapters and .bib)
audited with it as one manuscript, escapes refused, and markup never read as citations."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.documents import load_document
from auditor.errors import DocumentError
from auditor.latex import tex_parts
from auditor.parsing import parse_document

TODAY = dt.date(2026, 11, 22)
FIXTURES = Path(__file__).parent / "fixtures" / "latex"

REFS = """@article{smith2020,
  author = {Smith, John and Doe, Jane},
  title = {Deep Learning for Citation Audits},
  journal = {Journal of Deep Things},
  year = {2020},
}
@book{jones2019,
  author = {Jones, Mary},
  title = {A Book about Bibliographies},
  publisher = {Press},
  year = 2019,
}
@article{old1999, author = {Old, Alan}, title = {Old Results on Old Things}, journal = {J}, year = {1999}}
@article{spare2000, author = {Spare, Sam}, title = {Nobody Cites This}, journal = {J}, year = {2000}}
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def paper(body: str, preamble: str = "") -> str:
    return f"\\documentclass{{article}}\n{preamble}\\begin{{document}}\n{body}\\end{{document}}\n"


def audit(*paths: Path):
    from auditor.audit import audit_paths
    from auditor.config import Settings

    return audit_paths([str(p) for p in paths], Settings(), today=TODAY)


def findings(result) -> list[tuple[str, str, int | None]]:
    return [(Path(d.path).name, f.rule, f.line) for d in result.documents for f in d.findings]


def declared(text: str, tmp_path: Path) -> list[tuple[int, str, str, str, bool, bool]]:
    doc = load_document(write(tmp_path, "p.tex", text))
    assert doc.declared_citations is not None
    return [(c.line, c.key, c.prefix, c.suffix, c.narrative, c.nocite) for c in doc.declared_citations]


def test_every_cite_command_form(tmp_path: Path) -> None:
    """natbib and BibLaTeX commands, starred and capitalised, with [post] or [pre][post], several keys,
    multi-citations and \\nocite: one declared citation per key, notes and narrative kept."""
    body = (
        "\\cite{a} \\citep{b,c} \\citet{d} \\citeauthor{e} \\citeyear{f}\n"                   # 2
        "\\parencite{g} \\textcite{h} \\autocite{i} \\footcite{j} \\nocite{k,l}\n"               # 3
        "\\citep*[p.~3]{m} \\Citet[see][ch. 2]{n} \\citealp{o} \\citealt{p} \\Textcite{q}\n"     # 4
        "\\cites(all)(ok)[p. 1]{r}[see][p. 2]{s,t} \\parencites{u}{v}\n"                         # 5
        "\\nocite{*}\n"                                                                           # 6
    )
    got = declared(paper(body), tmp_path)
    assert [k for _, k, *_ in got] == list("abcdefghijklmnopqrstuv") + ["*"]
    by_key = {k: (line, pre, post, narrative, nocite) for line, k, pre, post, narrative, nocite in got}
    assert by_key["a"] == (3, "", "", False, False)
    assert by_key["d"][3] and by_key["e"][3] and by_key["h"][3] and by_key["n"][3] and by_key["q"][3]
    assert not by_key["b"][3] and not by_key["f"][3] and not by_key["i"][3]
    assert by_key["k"][4] and by_key["l"][4] and by_key["*"][4] and not by_key["j"][4]
    assert by_key["m"][1:3] == ("", "p. 3")
    assert by_key["n"][1:3] == ("see", "ch. 2")
    assert by_key["r"][1:3] == ("", "p. 1") and by_key["s"][1:3] == ("see", "p. 2") == by_key["t"][1:3]
    assert by_key["u"][0] == 6 and by_key["v"][0] == 6


def test_a_citation_keeps_its_column_and_text(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "p.tex", paper("As shown \\citep[see][p.~3]{smith2020,jones2019}.\n")))
    assert doc.declared_citations is not None
    first = doc.declared_citations[0]
    assert (first.line, first.column, first.raw) == (3, 10, "\\citep[see][p.~3]{smith2020,jones2019}")
    assert doc.lines[2].startswith("As shown \\citep")


def test_markup_is_never_read_as_citations(tmp_path: Path) -> None:
    """Comments, the preamble, math, verbatim, \\iffalse, tables, labels and options hold citation-like text;
    none of it is read: only the real \\cite commands count."""
    body = r"""\section{Introduction}\label{sec:2020}
Text (see Section~\ref{sec:2020}) cites \citet{smith2020}. % (Fake, 2001) and \cite{commented}
50\% of it; $[0, 1]$ and $(a, 2020)$ and \[ [2] + (Brown, 2004) \] hold.
\begin{equation}
f = (Green, 2004) + [3]
\end{equation}
\begin{verbatim}
\cite{verb} (Brown, 2000) [4]
\end{verbatim}
\iffalse (Hidden, 1999) \cite{hidden} \fi
\begin{table}[h]
\begin{tabular}{ll}
(Table, 2004) & [5] \\[2pt]
\end{tabular}
\caption{Data from \citet{jones2019}.}\label{tab:1}
\end{table}
\begin{figure}[t]\includegraphics[width=0.5\textwidth]{plot-2020-[6].pdf}\end{figure}
\begin{lstlisting}
x = { unbalanced (Code, 2010)
\end{lstlisting}
\bibliography{refs}
"""
    preamble = "\\title{On Things (Title, 2019)}\n\\newcommand{\\mycite}[1]{\\citep{#1}}\n% \\cite{x}\n"
    write(tmp_path, "refs.bib", REFS.replace("@article{old1999", "@comment{old1999").replace(
        "@article{spare2000", "@comment{spare2000"))
    main = write(tmp_path, "main.tex", paper(body, preamble))
    result = audit(main)
    assert findings(result) == []
    doc = result.documents[0].parsed
    assert doc is not None
    assert sorted(c.raw for c in doc.citations) == ["jones2019", "smith2020"]


def test_an_undefined_key_is_an_error_and_a_defined_one_resolves(tmp_path: Path) -> None:
    write(tmp_path, "refs.bib", REFS)
    main = write(tmp_path, "main.tex", paper("Text \\citep{smith2020} and \\cite{missing2021}.\n"
                                             "\\nocite{jones2019,old1999,spare2000}\n\\bibliography{refs}\n"))
    result = audit(main)
    assert findings(result) == [("main.tex", "unresolved-citation", 3)]
    (f,) = result.documents[0].findings
    assert f.severity.value == "error" and f.column == 28 and "missing2021" in f.message


def test_nocite_star_cites_every_entry(tmp_path: Path) -> None:
    write(tmp_path, "refs.bib", REFS)
    main = write(tmp_path, "main.tex", paper("Text \\citep{smith2020}.\n\\nocite{*}\n\\bibliography{refs}\n"))
    assert findings(audit(main)) == []


def test_nocite_in_the_preamble_counts(tmp_path: Path) -> None:
    """BibLaTeX allows \\nocite in the preamble; \\addbibresource names the database there."""
    write(tmp_path, "refs.bib", REFS)
    main = write(tmp_path, "main.tex", paper("Text \\textcite{smith2020}.\n\\printbibliography\n",
                                             "\\usepackage{biblatex}\n\\addbibresource{refs.bib}\n"
                                             "\\nocite{jones2019,old1999}\n"))
    assert findings(audit(main)) == [("refs.bib", "uncited-entry", 14)]


def test_unused_entries_of_the_bib_are_info(tmp_path: Path) -> None:
    write(tmp_path, "refs.bib", REFS)
    main = write(tmp_path, "main.tex", paper("Text \\citep{smith2020,jones2019}.\n\\bibliography{refs}\n"))
    result = audit(main)
    unused = [(Path(d.path).name, f.line, f.severity.value) for d in result.documents for f in d.findings]
    assert unused == [("refs.bib", 13, "info"), ("refs.bib", 14, "info")]


def test_a_folder_audits_the_paper_with_its_chapters_and_bib_once(tmp_path: Path) -> None:
    """main.tex \\input's chapters/ch1 (which \\input's a section of its own) and \\include's ch2; the .bib
    and the chapters are audited within the paper, none of them alone; citations resolve across files."""
    write(tmp_path, "refs.bib", REFS)
    write(tmp_path, "main.tex", paper("Intro \\citep{smith2020}.\n\\input{chapters/ch1}\n\\include{ch2}\n"
                                      "\\bibliography{refs}\n"))
    write(tmp_path, "chapters/ch1.tex", "\\section{One}\nAs \\citet{jones2019} shows.\n\\input{chapters/sec1}\n")
    write(tmp_path, "chapters/sec1.tex", "Old \\cite{old1999} and \\cite{nowhere}.\n")
    write(tmp_path, "ch2.tex", "Spare \\cite{spare2000}.\n")
    assert [p.name for p in tex_parts(tmp_path / "main.tex")] == ["ch1.tex", "sec1.tex", "ch2.tex", "refs.bib"]
    result = audit(tmp_path)
    names = [Path(d.path).name for d in result.documents]
    assert sorted(names) == ["ch1.tex", "ch2.tex", "main.tex", "refs.bib", "sec1.tex"]
    assert {d.manuscript for d in result.documents} == {"main"}
    assert findings(result) == [("sec1.tex", "unresolved-citation", 1)]


def test_a_chapter_audited_alone_reports_nothing_it_cannot_know(tmp_path: Path) -> None:
    """A chapter's keys are defined by the main file's .bib: alone, the chapter says nothing about them."""
    ch = write(tmp_path, "ch1.tex", "\\section{One}\nAs \\citet{jones2019} shows \\cite{a,b,c}.\n")
    assert findings(audit(ch)) == []


@pytest.mark.parametrize("command,name,why", [
    ("input", "../../etc/passwd", "leads outside the paper's folder"),
    ("include", "../outside", "leads outside the paper's folder"),
    ("input", "/etc/passwd", "is an absolute path"),
    ("bibliography", "/etc/refs", "is an absolute path"),
    ("addbibresource", "../refs.bib", "leads outside the paper's folder"),
    ("bibliography", "nothere", "does not exist (looked for nothere.bib)"),
    ("input", "chapters/gone", "does not exist (looked for chapters/gone.tex and chapters/gone)"),
])
def test_escapes_and_missing_parts_are_reported_not_read(tmp_path: Path, command: str, name: str, why: str) -> None:
    root = tmp_path / "paper"
    write(tmp_path, "outside.tex", "Secret (Leak, 2020).\n")
    write(tmp_path, "refs.bib", REFS)
    main = write(root, "main.tex", paper(f"Text.\n\\{command}{{{name}}}\n"))
    assert tex_parts(main) == []
    result = audit(main)
    assert [Path(d.path).name for d in result.documents] == ["main.tex"]
    (f,) = result.documents[0].findings
    assert (f.rule, f.line, f.severity.value) == ("missing-part", 4, "warning")
    assert f"\u201c{name}\u201d {why}" in f.message


def test_a_symbolic_link_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "paper"
    secret = write(tmp_path, "secret.bib", REFS)
    main = write(root, "main.tex", paper("Text \\cite{smith2020}.\n\\bibliography{refs}\n"))
    try:
        os.symlink(secret, root / "refs.bib")
    except OSError:
        pytest.skip("symbolic links are not available")
    assert tex_parts(main) == []
    result = audit(main)
    (f,) = result.documents[0].findings
    assert f.rule == "missing-part" and "symbolic link" in f.message


def test_includes_are_bounded_and_cycles_end(tmp_path: Path) -> None:
    """A chapter that \\input's itself or its parent, and a chain deeper than the limit, end."""
    from auditor.latex import MAX_PART_DEPTH

    write(tmp_path, "main.tex", paper("\\input{a}\n"))
    write(tmp_path, "a.tex", "A \\input{main} \\input{a} \\input{c0}\n")
    for i in range(MAX_PART_DEPTH + 5):
        write(tmp_path, f"c{i}.tex", f"C{i} \\input{{c{i + 1}}}\n")
    parts = tex_parts(tmp_path / "main.tex")
    assert parts[0].name == "a.tex" and len(parts) == MAX_PART_DEPTH + 1
    assert len({p.resolve() for p in parts}) == len(parts)


def test_thebibliography_is_a_declared_list_with_keys(tmp_path: Path) -> None:
    """\\bibitem{key} items are entries parsed from their text, found by their keys; numbered when they
    have no [label], as LaTeX numbers them; an unused item is uncited (a warning: it is printed)."""
    body = r"""Prior work \cite{knuth1984,lamport1994} and \cite{nobody}.
\begin{thebibliography}{9}
\bibitem{knuth1984}
D.~E. Knuth. \newblock \emph{The {\TeX}book}. \newblock Addison-Wesley, 1984.
\bibitem{lamport1994} L.~Lamport. \newblock \emph{{\LaTeX}: A Document Preparation System}.
\newblock Addison-Wesley, 2nd edition, 1994.
\bibitem{unused} A. Nobody. Unused Work. Publisher, 2001.
\end{thebibliography}
"""
    path = write(tmp_path, "paper.tex", paper(body))
    parsed = parse_document(load_document(path))
    assert [(e.key, e.number, e.line, e.end_line, e.year) for e in parsed.entries] == [
        ("knuth1984", 1, 5, 6, "1984"), ("lamport1994", 2, 7, 8, "1994"), ("unused", 3, 9, 9, "2001")]
    assert parsed.entries[0].title == "The TeX book" and parsed.entries[1].authors == ["L. Lamport"]
    result = audit(path)
    assert [(r, line) for _, r, line in findings(result)] == [("unresolved-citation", 3), ("uncited-entry", 9)]


def test_a_paper_without_a_bibliography_command_keeps_its_typed_list(tmp_path: Path) -> None:
    """No \\bibliography and no thebibliography: a list typed under a References heading is found as text."""
    body = ("Text (Smith, 2020) and (Jones, 2019).\n\n\\section*{References}\n\n"
            "Smith, J. (2020). \\emph{Deep Learning for Citation Audits}. Journal of Deep Things.\n\n"
            "Jones, M. (2019). \\emph{A Book about Bibliographies}. Press.\n\n")
    result = audit(write(tmp_path, "paper.tex", paper(body)))
    parsed = result.documents[0].parsed
    assert parsed is not None and len(parsed.entries) == 2
    assert findings(result) == []


def test_deep_nesting_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.tex", paper("{" * 5000 + "x" + "}" * 5000 + "\n"))
    with pytest.raises(DocumentError, match="nested more than"):
        load_document(path)


def test_a_large_paper_is_read_in_bounded_time(tmp_path: Path) -> None:
    import time

    para = "Some text with \\emph{emphasis} and \\citep[p.~3]{smith2020} and math $a+b$ and 50\\% more. " * 5
    path = write(tmp_path, "big.tex", paper((para + "\n\n") * 200))
    start = time.monotonic()
    doc = load_document(path)
    assert time.monotonic() - start < 20
    assert doc.declared_citations is not None and len(doc.declared_citations) == 1000


# The unresolved keys of the fixture paper as pandoc --citeproc reports them (tests/fixtures/latex/make.sh).
def _our_unresolved(root: Path) -> set[str]:
    result = audit(root / "main.tex")
    return {c.raw for d in result.documents if d.parsed for c in d.parsed.citations if c.status == "unresolved"}


def test_unresolved_keys_match_pandoc_recorded() -> None:
    """The keys the auditor finds unresolved are exactly those pandoc --citeproc warned about (recorded)."""
    recorded = set((FIXTURES / "pandoc-unresolved.txt").read_text(encoding="utf-8").split())
    assert recorded and _our_unresolved(FIXTURES) == recorded


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
def test_unresolved_keys_match_pandoc_live(tmp_path: Path) -> None:
    """The same comparison with pandoc run now, on a copy of the fixture paper."""
    root = tmp_path / "paper"
    shutil.copytree(FIXTURES, root)
    done = subprocess.run(["pandoc", "main.tex", "--citeproc", "-t", "plain", "-o", os.devnull], cwd=root,
                          capture_output=True, text=True, timeout=120)
    warned = set(re.findall(r"Citeproc: citation (\S+) not found", done.stderr))
    assert warned and _our_unresolved(root) == warned


def test_a_labelled_bibliography_is_not_sorted_by_its_keys(tmp_path: Path) -> None:
    """\\bibitem[label]{key} lists (a .bbl pasted in) are in author order; keys in another order are fine."""
    body = r"""See \citep{zz1,aa2,mm3}.
\begin{thebibliography}{3}
\bibitem[{Adams(2001)}]{zz1} Adams, A. 2001. \newblock First Title. \newblock Press.
\bibitem[{Brown(2002)}]{aa2} Brown, B. 2002. \newblock Second Title. \newblock Press.
\bibitem[{Clark(2003)}]{mm3} Clark, C. 2003. \newblock Third Title. \newblock Press.
\end{thebibliography}
"""
    result = audit(write(tmp_path, "paper.tex", paper(body)))
    parsed = result.documents[0].parsed
    assert parsed is not None and [e.number for e in parsed.entries] == [None, None, None]
    assert [e.year for e in parsed.entries] == ["2001", "2002", "2003"]
    assert findings(result) == []


def test_the_report_marks_the_whole_command_of_a_declared_key() -> None:
    """In the HTML text, a declared key's citation is the command as written, linked to its entry."""
    from auditor.report import _highlight

    cite = {"column": 5, "number": None, "raw": "a", "kind": "key", "marker": "\\citep[p.~3]{a,b}",
            "status": "resolved", "entry_id": 7}
    html = str(_highlight("See \\citep[p.~3]{a,b}.", [cite, {**cite, "raw": "b", "entry_id": 8}], {}))
    assert html.count("<a ") == 1 and ">\\citep[p.~3]{a,b}</a>." in html and "#E7" in html


@pytest.mark.parametrize("name", ["x" * 900, "a\\u0000b", "loop"])
def test_unusable_part_names_do_not_stop_the_audit(tmp_path: Path, name: str) -> None:
    """A name too long for the file system, a control character, or a loop of links: reported, never raised."""
    if name == "loop":
        try:
            os.symlink(tmp_path / "loop.tex", tmp_path / "loop.tex")
        except OSError:
            pytest.skip("symbolic links are not available")
    main = write(tmp_path, "main.tex", paper(f"Text.\n\\input{{{name}}}\n"))
    assert tex_parts(main) == []
    result = audit(main)
    assert [f.rule for f in result.documents[0].findings] == ["missing-part"]


def test_the_last_bibitem_may_end_on_the_end_line(tmp_path: Path) -> None:
    body = "See \\cite{a,b}.\n\\begin{thebibliography}{2}\n\\bibitem{a} Adams, A. 2001. First Title. Press.\n" \
           "\\bibitem{b} Brown, B.\n2002. Second Title. Press.\\end{thebibliography}\n"
    parsed = parse_document(load_document(write(tmp_path, "p.tex", paper(body))))
    assert [(e.line, e.end_line, e.year) for e in parsed.entries] == [(5, 5, "2001"), (6, 7, "2002")]


def test_a_bibitem_key_used_twice_is_a_duplicate_key(tmp_path: Path) -> None:
    body = "See \\cite{a}.\n\\begin{thebibliography}{2}\n\\bibitem{a} Adams, A. 2001. First Title. Press.\n" \
           "\\bibitem{a} Brown, B. 2002. Second Title. Press.\n\\end{thebibliography}\n"
    result = audit(write(tmp_path, "p.tex", paper(body)))
    assert findings(result) == [("p.tex", "duplicate-key", 6)]
