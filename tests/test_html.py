"""HTML read by structure: note lists and markers, footnote blocks, lists under headings, text kept in place."""

from __future__ import annotations

from conftest import TODAY

from auditor.checks import AuditContext, run_checks
from auditor.config import Settings
from auditor.documents import document_from_bytes
from auditor.html import html_to_lines
from auditor.model import Document, ParsedDocument
from auditor.parsing import parse_document


def doc_of(html: str) -> Document:
    return document_from_bytes("page.html", html.encode("utf-8"), "html")


def parsed_of(html: str) -> ParsedDocument:
    return parse_document(doc_of(html))


def cited(parsed: ParsedDocument) -> list[tuple[int, str, int | None]]:
    """(line, text, line of the entry it resolves to) for every citation."""
    line_of = {e.index: e.line for e in parsed.entries}
    return [(c.line, c.raw, line_of.get(c.entry_index)) for c in parsed.citations]


WIKI = """<html><body><div class="mw-parser-output">
<table class="infobox"><tr><td>Anthem: "Song"<sup id="cite_ref-a" class="reference"><a href="#cite_note-a">[n 1]</a></sup></td></tr></table>
<p>Kiwi are birds.<sup id="cite_ref-1" class="reference"><a href="#cite_note-kiwi-1">[1]</a></sup><sup class="reference"><a href="#cite_note-2">[2]</a></sup><sup class="reference nowrap"><span title="Page: 7">:p. 7</span></sup> They are shy.<sup class="reference"><a href="#cite_note-kiwi-1">[1]</a></sup></p>
<h2><span class="mw-headline" id="Literature">Literature</span><span class="mw-editsection">[<a href="/edit">edit</a>]</span></h2>
<p>Writers wrote about kiwi in 1905 and 1950.<sup class="reference"><a href="#cite_note-2">[2]</a></sup></p>
<h2><span class="mw-headline" id="See_also">See also</span></h2>
<ul><li><a href="/wiki/Moa">Moa</a></li><li><a href="/wiki/Weka">Weka</a></li></ul>
<h2><span class="mw-headline" id="Notes">Notes</span><span class="mw-editsection">[<a href="/edit">edit</a>]</span></h2>
<ol class="references">
<li id="cite_note-a"><span class="mw-cite-backlink"><b><a href="#cite_ref-a">^</a></b></span> <span class="reference-text">Sung only on state occasions.</span></li>
</ol>
<h2><span class="mw-headline" id="Citations">Citations</span><span class="mw-editsection">[<a href="/edit">edit</a>]</span></h2>
<ol class="references">
<li id="cite_note-kiwi-1"><span class="mw-cite-backlink">^ <a href="#cite_ref-1"><sup><i><b>a</b></i></sup></a> <a href="#cite_ref-x"><sup><i><b>b</b></i></sup></a></span> <span class="reference-text">King 2003, p. 41.</span></li>
<li id="cite_note-2"><span class="mw-cite-backlink"><b><a href="#cite_ref-2">^</a></b></span> <span class="reference-text"><cite>"Kiwi facts". <i>Birds NZ</i>. 2019. Retrieved 2 May 2020.</cite></span></li>
</ol>
<h2><span class="mw-headline" id="References">References</span></h2>
<ul><li><cite>King, Michael (2003). <i>The Penguin History of New Zealand</i>. Penguin Books.</cite></li></ul>
<h2><span class="mw-headline" id="External_links">External links</span></h2>
<ul><li><cite>"Kiwi". <i>Te Ara</i>. 2010.</cite></li></ul>
<table class="navbox"><tr><td><ul><li><a href="/wiki/A">Auckland (2014)</a></li><li><a href="/wiki/B">Bay</a></li></ul></td></tr></table>
</div></body></html>
"""


def test_mediawiki_notes_markers_and_groups() -> None:
    """Notes of `ol.references` are entries at their `<li>` lines; markers link to them by id, groups kept."""
    parsed = parsed_of(WIKI)
    assert [(e.line, e.number, e.group, e.is_footnote) for e in parsed.entries] == [
        (10, 1, "n", True), (14, 1, "", True), (15, 2, "", True), (18, None, "", False)]
    assert cited(parsed)[:4] == [(2, "[n 1]", 10), (3, "[1]", 14), (3, "[2]", 15), (3, "[1]", 14)]


def test_mediawiki_furniture_is_not_text() -> None:
    """"[edit]" links, "^ a b" back-links and navigation boxes are dropped or never read as entries."""
    doc = doc_of(WIKI)
    assert "## Notes" in doc.lines and not any("edit" in line for line in doc.lines)
    parsed = parse_document(doc)
    assert parsed.entries[1].raw == "1. King 2003, p. 41."
    assert parsed.entries[0].raw == "Sung only on state occasions."
    assert not any("^" in e.raw or "Auckland" in e.raw or "Moa" in e.raw for e in parsed.entries)


def test_mediawiki_body_section_named_literature_is_prose() -> None:
    """A body section titled "Literature" whose paragraphs carry note markers is not a reference list."""
    parsed = parsed_of(WIKI)
    assert all(s.heading != "Literature" for s in parsed.sections)
    assert (5, "[2]", 15) in cited(parsed)


def test_mediawiki_short_form_notes_point_at_the_bibliography() -> None:
    """"King 2003, p. 41." in a note links the note to the King 2003 entry, which is then cited."""
    parsed = parsed_of(WIKI)
    king = next(e for e in parsed.entries if not e.is_footnote)
    assert parsed.entries[1].source == king.index
    findings = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    assert [(f.rule, f.line) for f in findings if f.severity.value == "error"] == []
    assert not any(f.rule in ("uncited-entry", "unused-footnote", "undefined-footnote") for f in findings)


KRAMDOWN = """<html><body>
<p>Static sites use footnotes.<sup id="fnref:1" role="doc-noteref"><a href="#fn:1" class="footnote" rel="footnote">1</a></sup>
And more.<sup id="fnref:2"><a href="#fn:2" class="footnote-ref">2</a></sup></p>
<div class="footnotes" role="doc-endnotes">
<ol>
<li id="fn:1" role="doc-endnote"><p>Smith, J. (2020). <em>Sites</em>. <a href="#fnref:1" class="reversefootnote">&#8617;</a></p></li>
<li id="fn:2"><p>Jones, K. (2021). Notes. <a href="#fnref:2" class="footnote-backref">&#8617;</a></p></li>
</ol>
</div>
</body></html>
"""


def test_static_site_footnotes() -> None:
    """`div.footnotes` with `fn:`/`fnref:` links: each `<li>` is a note, back-links are not its text."""
    parsed = parsed_of(KRAMDOWN)
    assert [(e.line, e.number, e.raw) for e in parsed.entries] == [
        (6, 1, "1. Smith, J. (2020). Sites."), (7, 2, "2. Jones, K. (2021). Notes.")]
    assert cited(parsed) == [(2, "[1]", 6), (2, "[2]", 7)]


BOOK = """<html><body><section>
<p>Alerts should be rare.<sup><a data-type="noteref" id="n22-marker" href="#n22">22</a></sup></p>
<p>Latency matters.<sup><a data-type="noteref" id="n23-marker" href="#n23">23</a></sup></p>
<div class="footnotes" data-type="footnotes">
<p data-type="footnote" id="n22"><sup><a href="#n22-marker">22</a></sup>Sometimes known as "alert spam".</p>
<p data-type="footnote" id="n23"><sup><a href="#n23-marker">23</a></sup>See the chapter on latency.</p>
</div></section></body></html>
"""


def test_book_footnotes_numbered_across_the_book() -> None:
    """`p[data-type=footnote]` notes numbered from 22 and their `a[data-type=noteref]` markers match up."""
    parsed = parsed_of(BOOK)
    assert [(e.line, e.number, e.raw) for e in parsed.entries] == [
        (5, 22, '22. Sometimes known as "alert spam".'), (6, 23, "23. See the chapter on latency.")]
    assert cited(parsed) == [(2, "[22]", 5), (3, "[23]", 6)]
    findings = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    assert not any(f.rule in ("undefined-footnote", "unused-footnote") for f in findings)


STYLED = """<html><body>
<p>As shown (Hatta, 1953) and (Kemlu, 2023; Sukma, 2003).</p>
<h2>Daftar Pustaka</h2>
<p><b>Buku</b></p>
<p class="bib">Hatta, M. (1953). <i>Mendayung</i>. Jakarta: Balai.</p>
<p class="bib">Sukma, R. (2003). <i>Islam in Indonesian Foreign Policy</i>. London: Routledge.</p>
<p><b>Internet</b></p>
<p class="bib">Kemlu. (2023). <i>Capaian</i>. Diakses 5 Januari 2024, dari <a href="https://kemlu.go.id/c">https://kemlu.go.id/c</a></p>
<h2>Lampiran</h2>
<p>Tabel 1 (2020) ringkasan.</p>
</body></html>
"""


def test_styled_paragraph_bibliography_under_subheadings() -> None:
    """Each styled `<p>` under a reference heading is an entry; bold sub-headings name its group."""
    parsed = parsed_of(STYLED)
    assert [(e.line, e.subsection) for e in parsed.entries] == [(5, "Buku"), (6, "Buku"), (8, "Internet")]
    assert [line for _, _, line in cited(parsed)] == [5, 8, 6]


BR = """<html><body>
<p>Two works (Ford, 2009; Kitchen, 2010).</p>
<p><strong>References</strong></p>
<p>Ford, A. (2009). <i>Denting the Hub</i>. Oxford.<br>
Kitchen, B. (2010). <i>Rails</i>. London.<br>
<a href="https://example.org/rails">https://example.org/rails</a></p>
</body></html>
"""


def test_br_separated_entries_each_on_their_own_line() -> None:
    """Entries separated by `<br>` in one paragraph are separate entries at their own source lines."""
    parsed = parsed_of(BR)
    assert [(e.line, e.author_text) for e in parsed.entries] == [(4, "Ford, A"), (5, "Kitchen, B")]
    assert parsed.entries[1].urls == ["https://example.org/rails"]
    assert [line for _, _, line in cited(parsed)] == [4, 5]


def test_text_directly_in_a_div_and_after_a_closing_tag_is_kept() -> None:
    """Text beside nested blocks stays, on the line of the block that holds it."""
    html = ("<html><body>\n<div>Intro (Ford, 2009).\n<p>Inner paragraph.</p>\nTail after the paragraph.</div>\n"
            "<div><p>First.</p> Loose (Kitchen, 2010).</div>\n</body></html>\n")
    lines = html_to_lines(html)
    assert lines[1] == "Intro (Ford, 2009). Tail after the paragraph."
    assert lines[2] == "Inner paragraph."
    assert lines[4] == "Loose (Kitchen, 2010)."
    assert lines[5] == "First."


def test_two_blocks_on_one_source_line_take_the_next_free_line() -> None:
    """When two blocks open on one line, the second goes to the next free line, and text is not lost."""
    lines = html_to_lines("<p>One.</p><p>Two.</p>\n\n<p>Three.</p>\n")
    assert lines == ["One.", "Two.", "Three.", ""]


def test_publisher_references_under_a_heading() -> None:
    """`<h2>References</h2>` then `<ol><li>`: numbered entries that bracketed numbers cite."""
    html = ("<html><body>\n<p>Trees grow [1], [2]–[3].</p>\n<h2>References</h2>\n<ol>\n"
            "<li>Ford A (2009) Hubs. Nature 1: 1-2.</li>\n<li>Lee B (2010) Roots. Cell 2: 3-4.</li>\n"
            "<li>Kim C (2011) Leaves. PLoS One 3: 5.</li>\n</ol></body></html>\n")
    parsed = parsed_of(html)
    assert [(e.line, e.number) for e in parsed.entries] == [(5, 1), (6, 2), (7, 3)]
    assert [(raw, line) for _, raw, line in cited(parsed)] == [("[1]", 5), ("[2]", 6), ("[3]", 7)]


def test_deeply_nested_html_is_read() -> None:
    """Thousands of nested elements are walked without recursion."""
    depth = 3000
    html = "<div>" * depth + "Deep text (Ford, 2009)." + "</div>" * depth
    lines = html_to_lines(html)
    assert lines == ["Deep text (Ford, 2009)."]


LINKS = """<html><body>
<p>Matrices commute.<sup class="reference"><a href="#cite_note-1">[1]</a></sup> The space has dimension n<sup>2</sup>.</p>
<h2>References</h2>
<ol class="references"><li id="cite_note-1"><cite>Horn, R. (2013). <i>Matrix Analysis</i>. Cambridge.</cite></li></ol>
<p><a href="http://example.com/x">A stray link after the notes</a></p>
<h2>Further reading</h2>
<ul><li><cite>Sinclair, Keith; revised by Dalziel, Raewyn (2000). <i>A History</i>.</cite></li>
<li><cite>Hazewinkel, M., ed. (2001) [1994], "Hermitian matrix"</cite></li></ul>
</body></html>
"""


def test_further_reading_and_external_links_are_neither_prose_nor_entries() -> None:
    """Items under "Further reading" give no citations and no entries; exponents are not note markers."""
    parsed = parsed_of(LINKS)
    assert [e.line for e in parsed.entries] == [4]
    assert cited(parsed) == [(2, "[1]", 4)]
    findings = run_checks(AuditContext(parsed, TODAY), Settings().enabled_rules(), strict=True)
    assert [f.rule for f in findings if f.severity.value == "error"] == []


def test_a_list_broken_by_a_lone_link_or_an_orphan_entry_keeps_them() -> None:
    # As pandoc writes a Markdown list whose entry had its link on a line of its own, and an entry
    # set apart after the list; a closing remark after the list is not an entry.
    parsed = parsed_of("""<p>Text (Lee 2024). More (Ng 2022). Also (Kim 2021).</p>
<h2>References</h2>
<ul>
<li>Kim, J. 2021. <em>First Work on Alliances</em>. Accessed 2024.
<a href="https://example.org/kim">https://example.org/kim</a>.</li>
<li>Lee, A. 2024. <em>Military Ties in Asia</em>. Accessed 2025.</li>
</ul>
<p><a href="https://example.org/lee">https://example.org/lee</a>.</p>
<p>Ng, B. 2022. <em>Sanctions and Their Limits</em>. Accessed 2024.
<a href="https://example.org/ng">https://example.org/ng</a>.</p>
<p>All links were checked in May.</p>
""")
    by_author = {e.author_text: e for e in parsed.entries}
    assert sorted(by_author) == ["Kim, J", "Lee, A", "Ng, B"]
    assert by_author["Lee, A"].urls == ["https://example.org/lee"]
    assert by_author["Ng, B"].urls == ["https://example.org/ng"]
    assert all(c.status == "resolved" for c in parsed.citations)
