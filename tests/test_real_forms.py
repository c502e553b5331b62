"""Reference lists, entries and citations in the forms real manuscripts use (issue #9), one small
document per form, written for the test: Word exports, labels without headings, RFC labels, link text."""

from __future__ import annotations

import pytest
from conftest import audit_text


def entry_lines(text: str, name: str = "doc.md") -> list[int]:
    parsed, _ = audit_text(text, name)
    return [e.line for e in parsed.entries]


def citations(text: str, name: str = "doc.md") -> list[tuple[int, str, int | None]]:
    """(line, raw, line of the entry it resolves to) for every citation."""
    parsed, _ = audit_text(text, name)
    line_of = {e.index: e.line for e in parsed.entries}
    return [(c.line, c.raw, line_of.get(c.entry_index)) for c in parsed.citations]


def findings(text: str, name: str = "doc.md") -> list[tuple[str, int | None]]:
    _, found = audit_text(text, name)
    return [(f.rule, f.line) for f in found]


WORD_EXPORT = """**BAB I PENDAHULUAN**

CRM adalah strategi untuk mengelola hubungan dengan pelanggan \\[1\\]. Loyalitas dibahas \\[2\\].

**DAFTAR PUSTAKA **

\\[1\\] 

N. A. Anggara and M. Iqbal, “Penerapan Customer Relationship 

Management Berbasis Web,” 2022. 

\\[2\\] 

Y. S. Hardiana, “PENERAPAN CRM UNTUK 

MENINGKATKAN LOYALITAS,” Oct. 

2025. \\[Online\\]. Available: https://rcf-

indonesia.org/jurnal/index.php/x 
"""


def test_word_export_lone_markers_and_blank_wrapped_lines() -> None:
    """A Word export's `**DAFTAR PUSTAKA **`, escaped `\\[1\\]` markers alone on their line and entries
    broken by blank lines give one entry per marker, and the escaped markers in the text resolve."""
    parsed, found = audit_text(WORD_EXPORT)
    assert [(e.line, e.number) for e in parsed.entries] == [(7, 1), (13, 2)]
    assert parsed.entries[1].year == "2025" and "rcf-indonesia.org" in parsed.entries[1].raw.replace("\n", "")
    assert [(c.line, c.number, c.status) for c in parsed.citations] == [(3, 1, "resolved"), (3, 2, "resolved")]
    assert not [f for f in found if f.rule in ("broken-entry", "uncited-entry", "unresolved-citation")]


def test_an_outline_mention_of_the_heading_is_not_the_list() -> None:
    """"DAFTAR PUSTAKA" in a report's outline, with prose under it, is not taken for the reference list."""
    text = ("**DAFTAR PUSTAKA **\n\nBerisi daftar referensi yang digunakan dalam penulisan makalah.\n\n"
            + WORD_EXPORT)
    assert entry_lines(text) == [11, 17]


@pytest.mark.parametrize("label", ["Referensi:", "Sumber:", "Daftar Pustaka:", "**Referensi Terkait**:"])
def test_a_label_without_heading_markup_opens_the_list_until_the_next_heading(label: str) -> None:
    """A plain or bold label opens a list that ends at the next Markdown heading."""
    text = (f"# Laporan\n\nTeks tentang stroke (Smith, 2020).\n\n{label}\n"
            "- Smith, J. (2020). *Stroke Prediction*. Journal of Medicine, 17(4), 567-579.\n"
            "- WHO (2021). Cardiovascular Diseases. Available at: https://www.who.int/cvd\n\n"
            "## Business Understanding\n\nBagian berikutnya (2021) tanpa daftar.\n")
    assert entry_lines(text) == [6, 7]


def test_entries_written_as_headings_and_links_to_them() -> None:
    """`##### [1] …` entries under `# References` are entries, and `[[1]](#anchor)` cites them."""
    text = ("Berdasarkan [[1]](#1-kenneth-a-tutu) di Ghana, beton [[2]](#2-liu) sering gagal.\n\n"
            "# References\n"
            "##### [1] Kenneth A. Tutu, \"Concrete quality issues,\" *Case Studies, Vol 17, 2022* https://a.org/1\n"
            "##### [2] Gaoyang Liu, \"Concrete strength prediction,\" *Case Studies, Vol 18, 2023* https://a.org/2\n")
    assert citations(text) == [(1, "[1]", 4), (1, "[2]", 5)]


def test_entries_that_are_one_whole_link_each() -> None:
    """`[[1] Title](url)` lines are numbered entries; `[[1]](url)` in the text resolves to them."""
    text = ("Stroke adalah penyebab kematian [[1]](https://j.id/179).\n\nReferensi:\n\n"
            "[[1] Penerapan Range Of Motion pada pasien stroke](https://j.id/179)\n\n"
            "[[2] Karakteristik Penderita Stroke](https://j.id/468)\n\n## Berikutnya\n")
    parsed, found = audit_text(text)
    assert [(e.line, e.number) for e in parsed.entries] == [(5, 1), (7, 2)]
    assert [c.status for c in parsed.citations] == ["resolved"]
    assert ("missing-year", 5) in [(f.rule, f.line) for f in found]


def test_a_list_of_bare_wiki_links_has_one_entry_per_line() -> None:
    """Seven `[[https://…]]` lines under a bold label are seven entries, not one."""
    urls = "\n".join(f"[[https://site{i}.example.org/page-{i}]]" for i in range(1, 4))
    text = "# Makalah\n\nKomputer kuantum berkembang pesat.\n\n**Daftar Pustaka**\n" + urls + "\n"
    parsed, found = audit_text(text)
    assert [e.line for e in parsed.entries] == [6, 7, 8]
    assert [e.urls for e in parsed.entries][0] == ["https://site1.example.org/page-1"]
    # An Indonesian academic list asks for access dates on web sources; nothing is cited.
    assert [f.line for f in found if f.rule == "missing-access-date"] == [6, 7, 8]
    assert [(f.rule, f.line) for f in found if f.rule == "uncited-entry"] == [("uncited-entry", None)]


RFC = """Network Working Group                                     T. Berners-Lee
Request for Comments: 3986                                           W3C

1.  Introduction

   This document obsoletes [RFC2396], which merged [RFC1738] and
   [RFC1808].  The ABNF notation [STD68] defines rules [ "//" authority ].
   A URI is identified per [RFC1808].





Berners-Lee, et al.         Standards Track                     [Page 1]
\f
RFC 3986                   URI Generic Syntax               January 2005


10.  References

10.1.  Normative References

   [RFC1808]  Fielding, R., "Relative Uniform Resource Locators",
              RFC 1808, June 1995.

   [STD68]    Crocker, D. and P. Overell, "Augmented BNF for Syntax
              Specifications: ABNF", STD 68, RFC 5234, January 2008.



Berners-Lee, et al.         Standards Track                     [Page 2]
\f
RFC 3986                   URI Generic Syntax               January 2005


10.2.  Informative References

   [RFC1738]  Berners-Lee, T., Masinter, L., and M. McCahill, "Uniform
              Resource Locators (URL)", RFC 1738, December 1994.

   [RFC2396]  Berners-Lee, T., Fielding, R., and L. Masinter, "Uniform
              Resource Identifiers (URI): Generic Syntax", RFC 2396,
              August 1998, <http://www.ietf.org/rfc/
              rfc2396.txt>.

Appendix A.  Collected ABNF for URI

   URI           = scheme ":" hier-part [ "?" query ]
"""


def test_rfc_labels_page_furniture_and_the_end_of_the_list() -> None:
    """Symbolic labels are entries and citations; page headers and footers, sub-headings and the
    appendix after the list are not entries; a URL wrapped inside <…> is one URL; the list sorted by
    label is in order."""
    parsed, found = audit_text(RFC, "rfc.txt")
    assert [(e.line, e.key) for e in parsed.entries] == [(23, "RFC1808"), (26, "STD68"), (38, "RFC1738"),
                                                         (41, "RFC2396")]
    line_of = {e.index: e.line for e in parsed.entries}
    assert [(c.raw, line_of.get(c.entry_index)) for c in parsed.citations] == [
        ("RFC2396", 41), ("RFC1738", 38), ("RFC1808", 23), ("STD68", 26), ("RFC1808", 23)]
    assert parsed.entries[3].urls == ["http://www.ietf.org/rfc/rfc2396.txt"]
    assert parsed.entries[0].year == "1995"  # "RFC 1808" is an identifier, not a year
    assert found == []


LINK_TEXT = """The encoder-decoder model ([Bahdanau et al., 2015](https://arxiv.org/abs/1409.0473)) is classic.
A figure from [Ho et al. (2020)](https://arxiv.org/abs/2006.11239) and [Nichol & Dhariwal (2021)](https://x.org/n).
(Image source: [Sohl-Dickstein et al., 2015](https://arxiv.org/abs/1503.03585))

| Name | Paper |
|---|---|
| Additive | [Bahdanau2015](https://arxiv.org/pdf/1409.0473.pdf) |

(*) Referred to as "concat" in Luong, et al., 2015.

The list literal `a = [1, 2, 3]` and a topic link to [attention](https://example.org/attn) cite nothing.

## References

[1] Dzmitry Bahdanau, Kyunghyun Cho, and Yoshua Bengio. "Neural machine translation." ICLR 2015.

[2] Jonathan Ho, Ajay Jain, Pieter Abbeel. "Denoising diffusion probabilistic models." arxiv 2020.

[3] Alex Nichol and Prafulla Dhariwal. "Improved denoising diffusion." ICML 2021.

[4] Jascha Sohl-Dickstein et al. "Deep unsupervised learning." ICML 2015.

[5] Minh-Thang Luong, Hieu Pham, Christopher D. Manning. "Effective approaches." EMNLP 2015.
"""


def test_citations_inside_markdown_link_text_resolve_with_both_authors() -> None:
    """Author-year citations written as link text, narrative link text with two authors, an image credit,
    a name glued to a year in a table and an unbracketed "Luong, et al., 2015" all resolve; list literals
    and topic links are not citations."""
    found = citations(LINK_TEXT)
    assert found == [(1, "Bahdanau et al., 2015", 15), (2, "Ho et al. (2020)", 17),
                     (2, "Nichol & Dhariwal (2021)", 19), (3, "Sohl-Dickstein et al., 2015", 21),
                     (7, "Bahdanau2015", 15), (9, "Luong, et al., 2015", 23)]
    parsed, _ = audit_text(LINK_TEXT)
    assert parsed.citations[2].names == ["Nichol", "Dhariwal"]


@pytest.mark.parametrize("sentence", [
    "2. Teori Mesin Turing (1936):",
    "Ia menerima Presidential Medal of Freedom (1995) dari presiden.",
    "Penemuan Transistor (1947) mengubah segalanya.",
    "The infobox says Gini (2014) 35.8 medium.",
    "Kegiatan ini disebut (A) dan (B) dalam laporan.",
])
def test_capitalised_words_before_a_year_are_not_unresolved_citations(sentence: str) -> None:
    """A heading year, an award or a lone letter gives no unresolved-citation without a surname-like cue."""
    text = sentence + "\n\n## Daftar Pustaka\n\n- Smith, J. 2001. *Judul*. Jakarta: Gramedia.\n"
    assert [r for r, _ in findings(text) if r in ("unresolved-citation", "citation-missing-year")] == []


@pytest.mark.parametrize("sentence, severity", [
    ("Menurut Stanford (2013), sensor ini hemat daya.", "warning"),
    ("Hasil ini dilaporkan sebelumnya (Stanford, 2013).", "error"),
    ("Sensor dijelaskan oleh Garcia et al. (2012) secara rinci.", "warning"),
    ("Spesifikasi IPR2400 dapat dilihat sebagai berikut (crossbow, 2007):", "warning"),
])
def test_unresolved_citations_with_evidence_are_reported_at_a_confidence_severity(sentence: str,
                                                                                 severity: str) -> None:
    """A narrative citation with a cue is reported as a warning; a bracketed "(Name, 2013)" as an error."""
    text = sentence + "\n\n## Daftar Pustaka\n\n- Smith, J. 2001. *Judul*. Jakarta: Gramedia.\n"
    _, found = audit_text(text)
    assert [f.severity.value for f in found if f.rule == "unresolved-citation"] == [severity]


def test_given_and_family_names_and_an_and_inside_an_organisation() -> None:
    """"Kementerian Koperasi dan UKM" is one author; "Balkan Devlen, Ozgur Ozdamar" is cited as Devlen."""
    text = ("Data UMKM (Kementerian Koperasi dan UKM, 2023) dan krisis (Devlen 2009).\n\n## Daftar Pustaka\n\n"
            "- Kementerian Koperasi dan UKM. 2023. *Data UMKM*. Jakarta.\n"
            "- Balkan Devlen, Ozgur Ozdamar. 2009. *Neoclassical Realism And Foreign Policy Crises*.\n")
    parsed, found = audit_text(text)
    assert parsed.entries[0].authors == ["Kementerian Koperasi dan UKM"]
    assert [c.status for c in parsed.citations] == ["resolved", "resolved"]
    assert found == []


@pytest.mark.parametrize("raw, accessed", [
    ("Ihem, M. 2012. http://a.blogspot.com/p.html. Diakses Rabu 1 Mei 2013.", "2013-05-01"),
    ("Smith J. Web page [Internet]. 2010 [cited 2013 Jan 5]. Available from: http://a.org", "2013-01-05"),
    ("Doe, J. \"Page\". Example. Retrieved Monday, 3 June 2024, from https://example.org/p", "2024-06-03"),
])
def test_access_dates_with_weekdays_and_vancouver_cited(raw: str, accessed: str) -> None:
    """Access dates written with a weekday or as Vancouver "[cited 2013 Jan 5]" are access dates."""
    from auditor.parsing.entries import parse_entry

    entry = parse_entry(raw)
    assert entry.accessed is not None and entry.accessed.iso() == accessed


@pytest.mark.parametrize("raw, year", [
    ("Gavron, E., \"A Security Problem\", RFC 1535, October 1993.", "1993"),
    ("ISO. Quality management systems. ISO 9001, 2015.", "2015"),
    ("Smith, J. \"Page\". Archived from the original on 3 May 2020. Retrieved 4 May 2021.", None),
    ("Phillips R, Ursell T, Sens P. 2009. Emerging roles. Nature 459:379-385.", "2009"),
])
def test_identifiers_and_archive_dates_are_not_publication_years(raw: str, year: str | None) -> None:
    """"RFC 1535" and "ISO 9001" are identifiers and an archive date dates the copy, not the work."""
    from auditor.parsing.entries import parse_entry

    assert parse_entry(raw).year == year


def test_an_impossible_date_is_reported_and_not_stored() -> None:
    """"30 Februari 2024" is reported by impossible-date and is not stored as that day."""
    text = ("Teks (Ada 2020).\n\n## Daftar Pustaka\n\n"
            "- Ada. 2020. *Judul*. https://a.id/x. Diakses 30 Februari 2024.\n")
    parsed, found = audit_text(text)
    assert ("impossible-date", 5) in [(f.rule, f.line) for f in found]
    assert parsed.entries[0].accessed is None or parsed.entries[0].accessed.day is None


@pytest.mark.parametrize("entry, expected", [
    ("[1] A. Smith, \"Latency,\" *IEEE Trans. Netw.*, vol. 5, no. 2, pp. 1-9, 2020. https://ieee.org/a", False),
    ("[1] F. Chen, \"Edge caching,\" arXiv:2001.01234, 2020. https://arxiv.org/abs/2001.01234", False),
    ("[1] E. Park, *Edge Systems*. New York: Springer, 2018. https://springer.com/b", False),
    ("[1] Berners-Lee, T., \"URI\", RFC 3986, January 2005. https://www.rfc-editor.org/rfc/rfc3986", False),
    ("[1] \"Boeing statement,\" 2019. [Online]. Available: https://boeing.com/news", True),
    ("[1] Course notes on matrices. https://math.example.edu/notes.pdf", True),
])
def test_access_date_expected_by_source_kind(entry: str, expected: bool) -> None:
    """Web pages need an access date; journal articles, preprints, books and RFCs with a URL do not."""
    text = "Teks [1].\n\n## References\n\n" + entry + "\n"
    assert (("missing-access-date", 5) in findings(text)) is expected


def test_a_blog_that_never_gives_access_dates_is_not_asked_for_them() -> None:
    """Dated web entries in an English list where no entry has an access date get no finding."""
    text = ("Text [1] and [2].\n\n## References\n\n[1] Lilian Weng. \"Attention?\" Blog, 2018. https://l.io/a\n"
            "[2] Jay Alammar. \"The Illustrated Transformer\" 2018. https://j.io/t\n")
    assert [r for r, _ in findings(text) if r == "missing-access-date"] == []


def test_lazy_markdown_numbering_is_not_disorder() -> None:
    """Every item numbered "1." is Markdown lazy numbering, not a bibliography out of order."""
    text = ("Teks.\n\n## Referensi\n\n1. https://a.org/x  \nDiakses tanggal: 2018-08-22\n"
            "1. https://b.org/y  \nDiakses tanggal: 2018-08-22\n1. https://c.org/z  \nDiakses tanggal: 2018-08-22\n")
    assert [r for r, _ in findings(text) if r == "bibliography-order"] == []


def test_ibid_notes_in_italics_have_no_missing_year() -> None:
    """`_Ibid._` notes are Ibid. notes: no missing-year, and they point at the note before."""
    text = ("Text<sup>1</sup> more<sup>2</sup>.\n\n"
            "[^1]: Breiman, Leo, \"Statistical Modeling\" _Statistical Science_ Vol. 16, No. 3, 2001, pp. 199.\n\n"
            "[^2]: _Ibid._, 208.\n")
    parsed, found = audit_text(text)
    assert [e.kind for e in parsed.entries] == ["note", "ibid"]
    assert [r for r, _ in [(f.rule, f.line) for f in found] if r == "missing-year"] == []


def test_numbered_markers_without_any_list_are_one_finding() -> None:
    """Markers [1]…[4] with no list give one reference-list-not-found, not an error per marker."""
    text = "Satu [1], dua [2], tiga [3] dan empat [4].\n\nPenutup.\n"
    assert findings(text) == [("reference-list-not-found", None)]


def test_a_list_nobody_cites_is_said_plainly() -> None:
    """A reference list none of whose entries is cited is reported once, in a sentence that reads well."""
    _, found = audit_text("Teks tanpa sitasi.\n\n## Daftar Pustaka\n\n- Ada. 2020. *Judul*.\n- Lain. 2019. *Dua*.\n")
    messages = [f.message for f in found if f.rule == "uncited-entry"]
    assert messages == ["the text cites no source: none of the 2 entries of the reference list is cited anywhere"]


@pytest.mark.parametrize("text", [
    "An economist could say, \"holding all else constant, raising wages lowers employment\".",
    "Compared with saying \"given new data, this model predicts with accuracy\", it falls short.",
])
def test_hypothetical_phrases_in_quotation_marks_are_not_unsupported_quotes(text: str) -> None:
    """Words put in a hypothetical speaker's mouth are not quotations that need a source."""
    doc = text + "\n\nOther text (Ada 2020).\n\n## References\n\n- Ada. 2020. *Title*.\n"
    assert [r for r, _ in findings(doc) if r == "unsupported-quote"] == []


def test_pandoc_keys_whose_bibliography_is_a_bib_file_are_not_unresolved() -> None:
    """`[@Ramsay:1998; @Sadeghi:2000]` are citations; with the list in a .bib file they are not errors,
    and the document is not "unsourced"."""
    text = ("---\ntitle: 'mwarp1d'\nbibliography: paper.bib\n---\n\n# Summary\n\n"
            "Registration is common [@Ramsay:1998; @Sadeghi:2000, p. 3].\n\n# References\n")
    parsed, found = audit_text(text)
    assert [(c.line, c.raw) for c in parsed.citations] == [(8, "Ramsay:1998"), (8, "Sadeghi:2000")]
    assert found == []


def test_yaml_front_matter_is_not_a_list_or_prose() -> None:
    """Jekyll front matter with years and URLs is metadata: no entries, no citations, no findings."""
    text = ("---\nlayout: post\ntitle: Laporan (2013)\ncanonicalurl: https://a.github.io/2020/10/31/x\n---\n"
            "## Catatan\n\n*   Tulisan ini adalah laporan kerja praktek saya di Badung, Bali dari Juni 2013.\n"
            "*   Laporan ini merupakan kewajiban untuk kelulusan S1 saya di Universitas Udayana tahun 2014.\n\n"
            "## Abstrak\n\nTeks laporan.\n")
    parsed, found = audit_text(text)
    assert parsed.entries == [] and parsed.citations == [] and found == []


@pytest.mark.parametrize("entry, rule", [
    ("[1] \"Mean rainfall\" <https://web.archive.org/web/20110503221956/http://niwa.co.nz/rain.xls>. NIWA. "
     "2009. Retrieved 4 February 2011.", "year-url-mismatch"),
    ("[1] Callister, Paul (2004). \"Ethnic Identity\" <http://panz.org/wp-content/uploads/2010/01/x.pdf>. "
     "Population Review. 30 (1): 5-22.", "year-url-mismatch"),
    ("[1] \"Cisco's new routers arrive in stores this week\" <https://news.example.com/ciscos-new-routers-"
     "arrive-in-stores-this-week>. 2019. Retrieved 3 May 2020.", "title-url-mismatch"),
    ("[1] \"Lague report on the World's rivers and lakes\" <https://example.org/lagu%C3%AB-report-on-the-worlds-"
     "rivers-and-lakes>. 2019. Retrieved 3 May 2020.", "title-url-mismatch"),
    ("[1] Auckland Coastguard. \"Annual report\" <https://www.auckland-coastguard.org.nz/report>. 2015. "
     "Retrieved 3 May 2016.", "suspicious-domain"),
    ("[1] Patman, Robert (2005). \"Globalisation\" <https://x.ac.nz/wp21.pdf>. Working Paper. Archived from the "
     "original <http://x.ac.nz/wp21.pdf> (PDF) on 25 September 2007. Retrieved 12 March 2007.",
     "access-before-publication"),
])
def test_things_real_citations_do_that_are_not_defects(entry: str, rule: str) -> None:
    """Archive snapshot dates, later uploads, plurals, diacritics, hyphenated domains and archive dates
    give no finding."""
    text = "Text [1].\n\n## Notes\n\n" + entry + "\n"
    assert rule not in [r for r, _ in findings(text)]


def test_an_explanatory_note_needs_no_year_but_a_cited_work_does() -> None:
    """A note that explains (with at most a link) has no missing-year; a note citing a work without a year has."""
    text = ("Text[1] and more[2].\n\n## Notes\n\n"
            "1. Zero-redundancy situations count as imminent, as do \"nearly full\" parts of your service! "
            "For more, see https://en.wikipedia.org/wiki/N%2B1_redundancy.\n"
            "2. Reiss, Julian, \"A Plea for Simulations\", _Simulation & Gaming_ Vol 42, No. 2, pp. 249.\n")
    assert [(r, n) for r, n in findings(text) if r == "missing-year"] == [("missing-year", 6)]


def test_a_note_referred_to_only_from_another_note_is_used() -> None:
    """Note 3, reached only from inside note 2 ("see [3]"), is not an unused footnote."""
    text = ("Text[1] and more[2].\n\n## Notes\n\n1. Smith, J. (2001). *Title*. Press.\n"
            "2. Jones, K. (2002). *Other*. Press. See also [3].\n3. Lee, M. (2003). *Third*. Press.\n")
    assert [r for r, _ in findings(text) if r == "unused-footnote"] == []


def test_a_given_name_first_author_is_not_cited_by_the_given_name() -> None:
    """"Yang & Ermon, 2019" for "Yang Song & Stefano Ermon" does not resolve (Song is the family name)."""
    text = ("Score matching (Yang & Ermon, 2019) and (Song & Ermon, 2019).\n\n## References\n\n"
            "[1] Yang Song & Stefano Ermon. \"Generative modeling by estimating gradients.\" NeurIPS 2019.\n")
    parsed, _ = audit_text(text)
    assert [c.status for c in parsed.citations] == ["unresolved", "resolved"]


def test_an_acronym_spelt_out_in_brackets_is_not_a_citation() -> None:
    """"ACM (Association for Computing Machinery)" names an organisation, even one the list holds."""
    text = ("Kode etik ACM (Association for Computing Machinery) berlaku.\n\n## Daftar Pustaka\n\n"
            "[1] Association for Computing Machinery, \"ACM Code of Ethics,\" 2018. [Online]. "
            "Available: https://www.acm.org/code-of-ethics\n")
    parsed, _ = audit_text(text)
    assert parsed.citations == []


@pytest.mark.parametrize("sentence", [
    "That being said, teams avoid anything that requires someone to \"stare at a screen to watch for problems.\"",
    "Use the command \"ip address 172.16.128.1 255.255.255.0\" and then \"no shutdown\" as the table says.",
])
def test_idioms_and_commands_in_quotation_marks_are_not_unsupported_quotes(sentence: str) -> None:
    """"That being said" attributes nothing, and a quoted command is not a quotation."""
    doc = sentence + "\n\nOther text (Ada 2020).\n\n## References\n\n- Ada. 2020. *Title*.\n"
    assert [r for r, _ in findings(doc) if r == "unsupported-quote"] == []


def test_a_bracketed_citation_standing_alone_is_only_a_warning() -> None:
    """"(Fourth Estate, 2012)" alone on a line (a book review's header) is not an error-level finding."""
    _, found = audit_text("(Fourth Estate, 2012)\n\nA review of the book.\n\n## References\n\n- Ada. 2020. *Title*.\n")
    assert [(f.rule, f.severity.value) for f in found if f.rule == "unresolved-citation"] == [
        ("unresolved-citation", "warning")]


def test_restructuredtext_notes_and_markers() -> None:
    """`.. [1] …` notes in a .rst file are notes, and `[1]_` markers resolve to them."""
    text = "Text one [1]_ and two [2]_.\n\n.. [1] Smith, J. (2001). *Title*. Press.\n.. [2] Lee, K. (2002). *Other*.\n"
    parsed, found = audit_text(text, "doc.rst")
    assert [(e.line, e.number, e.kind) for e in parsed.entries] == [(3, 1, "note"), (4, 2, "note")]
    assert [c.status for c in parsed.citations] == ["resolved", "resolved"] and found == []


def test_lettered_notes_and_lettered_superscripts() -> None:
    """Notes lettered "a.", "b." are notes of their own group, and `<sup>a</sup>` points at note a."""
    text = ("Kadar<sup>a</sup> dan suhu<sup>b</sup>.\n\n## Catatan\n\n"
            "a. Diukur dengan alat X pada 2020.\nb. Sumber: BMKG, Laporan Iklim 2021.\n")
    parsed, found = audit_text(text)
    assert [(e.line, e.number, e.group) for e in parsed.entries] == [(5, 1, "letter"), (6, 2, "letter")]
    assert [(c.raw, c.status) for c in parsed.citations] == [("[a]", "resolved"), ("[b]", "resolved")]
    assert found == []


def test_note_labels_glued_to_their_text() -> None:
    """In a plain "Notes" section, "1Smith, …" is note 1 (PDF text glues the label to the note)."""
    text = ("The claim.1 Another.2\n\nNotes\n1Smith, John. The Book. London: Press, 2001.\n"
            "2Lee, Kim. Other Book. Paris: Gallimard, 2003.\n")
    parsed, found = audit_text(text, "doc.txt")
    assert [(e.line, e.number) for e in parsed.entries] == [(4, 1), (5, 2)]
    assert [c.status for c in parsed.citations] == ["resolved", "resolved"] and found == []


def test_hard_wrapped_entries_keep_their_continuation_lines() -> None:
    """"Bandung: Alfabeta." and "Jurnal Ilmu Ekonomi, 5(3), 45-60." continue the entry above them."""
    text = ("Teks (Sugiyono, 2017) dan (Rahman, 2020).\n\nDAFTAR PUSTAKA\n\n"
            "Sugiyono. 2017. Metode Penelitian Kuantitatif, Kualitatif, dan R&D.\nBandung: Alfabeta.\n"
            "Rahman, A. 2020. Analisis Pertumbuhan Ekonomi Daerah.\nJurnal Ilmu Ekonomi, 5(3), 45-60.\n")
    parsed, found = audit_text(text, "doc.txt")
    assert [(e.line, e.end_line) for e in parsed.entries] == [(5, 6), (7, 8)]
    assert found == []


def test_author_year_citations_without_any_list_are_one_finding() -> None:
    """Bracketed author-year citations in a document with no reference list give one warning."""
    _, found = audit_text("Teks (Sugiyono, 2017) dan (Rahman, 2020).\n\nPenutup.\n")
    assert [(f.rule, f.severity.value) for f in found] == [("reference-list-not-found", "warning")]


def test_a_short_form_note_points_at_its_bibliography_entry() -> None:
    """"King 2003, p. 41." in the notes links to King's entry in the bibliography, which is then cited."""
    text = ("Text.[1] More.[2]\n\n## Notes\n\n1. King 2003, p. 41.\n2. Belich 1996, p. 3.\n\n## References\n\n"
            "- King, Michael (2003). *The Penguin History of New Zealand*. Auckland: Penguin.\n"
            "- Belich, James (1996). *Making Peoples*. Auckland: Penguin.\n")
    parsed, found = audit_text(text)
    by_line = {e.line: e for e in parsed.entries}
    assert by_line[5].source == by_line[10].index and by_line[6].source == by_line[11].index
    assert found == []


def test_a_url_broken_by_a_space_is_reported_whole() -> None:
    """"…/files/paper 2022.pdf" is one URL with a space in it (malformed), not a URL cut at the space."""
    text = ("Teks (Ada, 2022).\n\n## Daftar Pustaka\n\n"
            "- Ada, B. 2022. Judul. https://repo.ac.id/files/paper 2022.pdf. Diakses 3 Mei 2023.\n")
    parsed, found = audit_text(text)
    assert parsed.entries[0].urls == ["https://repo.ac.id/files/paper 2022.pdf"]
    assert [(f.rule, f.line) for f in found] == [("malformed-url", 5)]


def test_a_url_wrapped_at_a_hyphen_by_a_word_export_is_rejoined() -> None:
    """"https://rcf-" at the end of a line and "indonesia.org/…" on the next are one URL."""
    from auditor.parsing.entries import parse_entry

    entry = parse_entry("S. Wahyuni, “Judul,” 2025. [Online]. Available: https://rcf-\nindonesia.org/jurnal/x")
    assert entry.urls == ["https://rcf-indonesia.org/jurnal/x"]


def test_an_entry_without_a_year_does_not_make_its_citation_an_error() -> None:
    """"(Mehta et al., 2019)" for an entry that gives no year resolves; missing-year reports the entry."""
    text = ("Randomization ([Mehta et al., 2019](https://arxiv.org/abs/1904.04762)) is used.\n\n## References\n\n"
            "[1] Bhairav Mehta et al. [\"Active Domain Randomization\"](https://arxiv.org/abs/1904.04762) "
            "arXiv:1904.04762\n")
    parsed, found = audit_text(text)
    assert [c.status for c in parsed.citations] == ["resolved"]
    assert [f.rule for f in found if f.severity.value == "error"] == []
    assert "missing-year" in [f.rule for f in found]


@pytest.mark.parametrize("heading", ["## Bibliography {#bibliography}", '<h2 id="references">References</h2>'])
def test_headings_with_pandoc_attributes_or_written_in_html(heading: str) -> None:
    """A Pandoc attribute after a heading, or an HTML heading inside Markdown, still opens the list."""
    text = (f"Skew-Fit ([Pong et al., 2019](#org1)) works (Koh and Kelly, 1987).\n\n{heading}\n<ol>\n"
            "<li>Koh, C. G., and Kelly, J. M. (1987). \"Effects of axial load on\nelastomeric bearings.\" "
            "EERC, Berkeley.</li>\n</ol>\n\n"
            "<a id=\"org1\"></a>Pong, Vitchyr H., and Sergey Levine. 2019. “Skew-Fit.” <http://arxiv.org/abs/1903>.\n")
    parsed, found = audit_text(text)
    assert len(parsed.entries) == 2
    assert [c.status for c in parsed.citations] == ["resolved", "resolved"] and found == []


def test_bold_narrative_citations_keep_every_author() -> None:
    """"**Zhang & Debono (2024)**" and "**Chainsecurity (2023)**" are narrative citations of their entries."""
    text = ("**Zhang & Debono (2024)**\nMenganalisis kontrak.\n\n**Chainsecurity (2023)**\nTidak ada batas.\n\n"
            "## DAFTAR PUSTAKA\n\n- Chainsecurity. (2023). TSTORE Low Gas Reentrancy.\n"
            "- Zhang, A. & Debono, M. (2024). Transient Storage in the wild.\n")
    parsed, found = audit_text(text)
    assert [(c.raw, c.status) for c in parsed.citations] == [("Zhang & Debono (2024)", "resolved"),
                                                             ("Chainsecurity (2023)", "resolved")]
    assert found == []


def test_a_nested_narrative_citation_is_not_also_an_author_only_citation() -> None:
    """"(Image source: [Ruiz (2019)](url))" is one citation, not also "Ruiz" without a year."""
    text = ("*Fig. 3. An overview. (Image source: [Ruiz (2019)](https://arxiv.org/abs/1810.02513))*\n\n"
            "## References\n\n[1] Nataniel Ruiz, et al. \"Learning to Simulate.\" ICLR 2019\n")
    parsed, found = audit_text(text)
    assert [c.raw for c in parsed.citations] == ["Ruiz (2019)"] and found == []


def test_titles_that_differ_only_in_their_numbers_are_different_works() -> None:
    """"Modul 12: … Database 1" and "Modul 13: … Database 2" by the same author in the same year are two works."""
    text = ("Teks [1], [2].\n\n## Referensi\n[1] Informatics Lab, “Modul 12: Laravel : Database 1,” in Modul "
            "Praktikum, 2024, pp. 80–89.\n[2] Informatics Lab, “Modul 13: Laravel : Database 2,” in Modul "
            "Praktikum, 2024, pp. 90–92.\n")
    assert [r for r, _ in findings(text) if r == "duplicate-entry"] == []


def test_rfc_labels_on_their_own_line_indented_subheadings_and_hanging_indents() -> None:
    """A label alone on its line, "  Normative References" inside the list and a capitalised hanging-indent
    line are not entries; the year is not taken from a title ("GOST 2012"); "Authors" ends the list."""
    text = ("Intro cites [DNSKEY-IANA] and [RFC5997] and [RFC9558].\n\n6.  References\n\n"
            "  Normative References\n\n   [DNSKEY-IANA]\n              IANA, \"DNSSEC Algorithm\n"
            "              Numbers\", 2023, <https://www.iana.org/assignments/dns-sec-alg-numbers/>.\n\n"
            "   [RFC5997]  DeKok, A., \"Use of Status-Server Packets in the\n"
            "              Remote Authentication Dial In User Service (RADIUS)\n"
            "              Protocol\", August 2010.\n\n"
            "   [RFC9558]  Makarenko, B., \"Use of GOST 2012 Signature Algorithms\", RFC 9558, April 2024.\n\n"
            "Authors\n\n   Jane Doe\n")
    parsed, found = audit_text(text, "draft.txt")
    assert [(e.line, e.key, e.year) for e in parsed.entries] == [(7, "DNSKEY-IANA", "2023"), (11, "RFC5997", "2010"),
                                                                 (15, "RFC9558", "2024")]
    assert [c.status for c in parsed.citations] == ["resolved"] * 3 and found == []


def test_git_conflict_markers_are_not_text() -> None:
    """A ">>>>>>> 4974…" line left by a merge is not part of the note above it."""
    text = ("Teks[^1].\n\n[^1]: https://www.geeksforgeeks.org/java-classes.\n>>>>>>> 49746944b436a1b2\n")
    parsed, _ = audit_text(text)
    assert ">>>>>>>" not in parsed.entries[0].raw


def test_a_link_to_an_entrys_url_cites_it() -> None:
    """"([GameFAQ](url))" with exactly the URL of an entry makes that entry cited."""
    text = ("Forums agree ([GameFAQ](https://gamefaqs.gamespot.com/boards/605603/65100695?page=15)) and "
            "(Lukman, 2024).\n\n## References\n\n[1] Lukman, A. (2024). Report. https://example.org/report\n"
            "[2] GameFAQs. Resident Evil 6 board. 2013. https://gamefaqs.gamespot.com/boards/605603/65100695?page=15\n")
    assert [r for r, _ in findings(text) if r == "uncited-entry"] == []


def test_the_single_uncited_entry_message_reads_naturally() -> None:
    """One uncited entry and no citation: "the only entry of the reference list is not cited anywhere"."""
    _, found = audit_text("Teks tanpa sitasi.\n\n## References\n\n- Williams, M. 2015. *A Data-Driven Method*.\n")
    assert [f.message for f in found if f.rule == "uncited-entry"] == [
        "the text cites no source: the only entry of the reference list is not cited anywhere"]
