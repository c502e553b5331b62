"""Tables of real-world strings: citation forms, entry forms, reference-list headings and splitting."""

from __future__ import annotations

import pytest

from auditor.documents import document_from_bytes
from auditor.model import PartialDate
from auditor.parsing import parse_document
from auditor.parsing.dates import find_access_date, parse_date
from auditor.parsing.entries import parse_entry
from auditor.parsing.sections import heading_kind

BIB = """

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
- Kitchen, Nicholas. 2010. 'Systemic Pressures', *Review Of International Studies*.
- Lobell, Steven E., Norrin M. Ripsman, Dan Jeffrey W. Taliaffero. 2009. *Neoclassical Realism*. New York: CUP.
- Balkan Devlen, Ozgur Ozdamar. 2009. *Neoclassical Realism And Foreign Policy Crises*.
- Gunanto, A. 2020a. Satu. Jakarta.
- Gunanto, A. 2020b. Dua. Jakarta.
- BBC. 2024a. *Berita*. Accessed 2024. <https://www.bbc.com/a>.
- Brookings. n.d. "What do North Korean Troop Deployments Mean".
- Brookings. 2022. "What do North Korean Troop Deployments Mean". Accessed 2024. <https://www.brookings.edu/x/>.
- Pusat Analisis Keparlemen Badan Keahlian Setjen DPR RI. 2023. *Peningkatan Hubungan*. Accessed 2024.
- Aragón, Pablo. 2018. *Title*. Madrid.
- Kompas.com, . 2023. *Satu*. Accessed 2024. <https://www.kompas.com/a>.
- Rosyidin, Mohamad. 2010. 'Integrasi Struktur Dan Unit', *Global*.
- Badan Pusat Statistik [BPS]. 2023. *Statistik Indonesia*. Jakarta.
"""


def cite(sentence: str) -> list:
    """The citations found in one sentence placed before a reference list that has the usual entries."""
    text = sentence + "\n" + BIB
    doc = document_from_bytes("t.md", text.encode(), "md")
    parsed = parse_document(doc)
    by_index = {e.index: e for e in parsed.entries}
    return [(c.raw, by_index[c.entry_index].author_text.split(",")[0] if c.entry_index is not None else None,
             c.status) for c in parsed.citations]


@pytest.mark.parametrize("sentence,expected", [
    ("Realism (Ford 2009).", [("Ford 2009", "Ford", "resolved")]),
    ("Realism (Ford, 2009).", [("Ford, 2009", "Ford", "resolved")]),
    ("Realism (Ford 2009; Kitchen 2010).", [("Ford 2009", "Ford", "resolved"), ("Kitchen 2010", "Kitchen", "resolved")]),
    ("Realism (Ford 2009, 12).", [("Ford 2009", "Ford", "resolved")]),
    ("Realism (Ford 2009, hlm. 12).", [("Ford 2009", "Ford", "resolved")]),
    ("Realism (Lobell dkk. 2009).", [("Lobell dkk. 2009", "Lobell", "resolved")]),
    ("Realism (Lobell et al., 2009).", [("Lobell et al., 2009", "Lobell", "resolved")]),
    ("Crises (Devlen & Ozdamar 2009).", [("Devlen & Ozdamar 2009", "Balkan Devlen", "resolved")]),
    ("Crises (Devlen dan Ozdamar 2009).", [("Devlen dan Ozdamar 2009", "Balkan Devlen", "resolved")]),
    ("News (BBC, 2024a).", [("BBC, 2024a", "BBC", "resolved")]),
    ("Troops (Brookings n.d.).", [("Brookings n.d.", "Brookings", "resolved")]),
    ("Pact (Pusat Analisis Keparlemen Badan Keahlian Setjen DPR RI 2023).",
     [("Pusat Analisis Keparlemen Badan Keahlian Setjen DPR RI 2023", "Pusat Analisis Keparlemen Badan Keahlian Setjen DPR RI", "resolved")]),
    ("Menurut Rosyidin (2010), realisme.", [("Rosyidin (2010)", "Rosyidin", "resolved")]),
    ("Gunanto (2020a, 2020b) menulis.", [("Gunanto (2020a, 2020b)", "Gunanto", "resolved"), ("2020b", "Gunanto", "resolved")]),
    ("Realism was integrated (Kitchen\n2010).", [("Kitchen 2010", "Kitchen", "resolved")]),
    ("Both (Aragon 2018) spellings.", [("Aragon 2018", "Aragón", "resolved")]),
    ("Two (Kompas.com 2023).", [("Kompas.com 2023", "Kompas.com", "resolved")]),
    ("Typo (Brookngs 2022).", [("Brookngs 2022", None, "unresolved")]),
    ("Year (Kitchen 2011).", [("Kitchen 2011", None, "year-mismatch")]),
    ("Second (Ozdamar 2009).", [("Ozdamar 2009", "Balkan Devlen", "not-first-author")]),
    ("No year (Rosyidin Jakarta).", [("Rosyidin Jakarta", "Rosyidin", "missing-year")]),
    ("(see Ford 2009 for a review)", [("Ford 2009", "Ford", "resolved")]),
    ("Text (Ford, 2009, Kitchen, 2010).", [("Ford, 2009", "Ford", "resolved"), ("Kitchen, 2010", "Kitchen", "resolved")]),
    ("Data (Badan Pusat Statistik [BPS], 2023).", [("Badan Pusat Statistik [BPS], 2023", "Badan Pusat Statistik [BPS]", "resolved")]),
])
def test_citation_forms(sentence: str, expected: list) -> None:
    """Every common author-year form is found and resolved to its entry."""
    assert cite(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "Pakta Pertahanan Atlantik Utara (NATO) dan (KCNA).",
    "dengan harga Rp12,3 juta (US$750).",
    "pada rentang waktu (1945-1948) dan (2019).",
    "hasil signifikan (p < 0.05; n = 12) dan (F = 3.2).",
    "lihat (Figure 2) dan (Tabel 3, 2020).",
    "pada (Juni 2024) dan (19 Juni 2024).",
    "the ratio F[1,12] = 5.3 was high.",
    "with STATA 9.0 (StataCorp. 2005, Stata Statistical Software, College Station, TX, USA).",
])
def test_parentheses_that_are_not_citations(sentence: str) -> None:
    """Acronyms, money, year ranges, statistics, figures and dates are not citations."""
    assert cite(sentence) == []


NUMBERED = """Putin wrote to Kim[1]. Theory [2, 3] and more [4–6] and [7]–[8].

## References

1. Al Jazeera. 2022. https://www.aljazeera.com/news/2022/8/15/putin
2. Grieco JM. Realist Theory. J Polit. 1988;50:485-507.
3. Second ref. 2001.
4. Fourth ref. 2004.
5. Fifth ref. 2005.
6. Sixth ref. 2006.
7. Seventh ref. 2007.
8. Eighth ref. 2008.
"""


def test_numbered_citations_expand_lists_and_ranges() -> None:
    """[1], [2, 3], [4–6] and [7]–[8] give one citation per number, each resolved to its entry."""
    doc = document_from_bytes("n.md", NUMBERED.encode(), "md")
    parsed = parse_document(doc)
    assert [c.number for c in parsed.citations] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(c.status == "resolved" for c in parsed.citations)
    line_of = {e.index: e.line for e in parsed.entries}
    assert [line_of[c.entry_index] for c in parsed.citations] == [5, 6, 7, 8, 9, 10, 11, 12]
    assert parsed.citations[0].column == 20  # the first digit, as the gold counts it


NOTES = """Teks pertama[1]. Teks kedua.[2] Teks ketiga.[3] Teks keempat,[4] kelima.[5]
[1] “Putin says Russia and N Korea will expand ties”, Al Jazeera, 15 Agustus 2022, https://www.aljazeera.com/news/2022/8/15/putin
[2] “Introduction to Rational Choice Theory”, Online MSW Program, https://www.onlinemswprograms.com/x/
[3] Op. Cit., Al Jazeera
[4] Ibid.
[5] Joseph M. Grieco “Realist Theory”, The Journal of Politics, https://www.journals.uchicago.edu/doi/epdf/10.2307/2131460
"""


def test_trailing_notes_with_ibid_and_op_cit() -> None:
    """A trailing block of numbered notes is the reference list; Op. Cit. and Ibid. resolve to note 1."""
    parsed = parse_document(document_from_bytes("n.txt", NOTES.encode(), "txt"))
    notes = {e.number: e for e in parsed.entries}
    assert [notes[n].kind for n in range(1, 6)] == ["note", "note", "op-cit", "ibid", "note"]
    assert notes[3].refers_to == notes[1].index and notes[4].refers_to == notes[1].index
    assert notes[5].doi == "10.2307/2131460"
    assert notes[1].published == PartialDate(2022, 8, 15)
    assert notes[5].author_text == "Joseph M. Grieco"


@pytest.mark.parametrize("raw,authors,year,title,accessed,urls", [
    ("- Tempo Internasional. 2022. *Amerika Serikat Mengutuk*. Accessed 2024. <https://www.tempo.co/a-45861>.",
     "Tempo Internasional", "2022", "Amerika Serikat Mengutuk", "2024", ["https://www.tempo.co/a-45861"]),
    ("Amin, I. (2024). Konflik PKB Vs PBNU. Tirto.iId, Accessed on: 26 August 2024. https://tirto.id/konflik-g2pj",
     "Amin, I", "2024", "Konflik PKB Vs PBNU", "2024-08-26", ["https://tirto.id/konflik-g2pj"]),
    ("- International Crisis Group. 2020. *Afghanistan Peace Talk*. Agustus 11. Accessed Januari 30, 2024. <https://www.crisisgroup.org/a>.",
     "International Crisis Group", "2020", "Afghanistan Peace Talk", "2024-01-30", ["https://www.crisisgroup.org/a"]),
    ("Metro TV (2024a). KIM PLUS DEKLARASI. https://www.youtube.com/watch?v=t71rmCDIe8Y",
     "Metro TV", "2024a", "KIM PLUS DEKLARASI", None, ["https://www.youtube.com/watch?v=t71rmCDIe8Y"]),
    ("1. Avery SV. Microbial cell individuality. Nat Rev Microbiol. 2006;4:577-587. doi:10.1038/nrmicro1460",
     "Avery SV", "2006", "Microbial cell individuality", None, []),
    ("Baldwin PR, Penczek PA. 2007. The Transform Class in SPARX. J Struct Biol 157:250–61.",
     "Baldwin PR, Penczek PA", "2007", "The Transform Class in SPARX", None, []),
    ("- Brookings. n.d. \"\"What do North Korean Troop Deployments Mean”.\"",
     "Brookings", "n.d.", "What do North Korean Troop Deployments Mean", None, []),
    ("- Kementerian. 2021. *Sepakat*. April 6. Diakses 3 Maret 2024. <https://www.setneg.go/>.",
     "Kementerian", "2021", "Sepakat", "2024-03-03", ["https://www.setneg.go/"]),
    ("- Pusat. 2023. *Isu*. Retrieved 5 May 2024. [https://Berkas.Dpr.Go.Id/Isu\\\\_Sepekan.Pdf](https://Berkas.Dpr.Go.Id/Isu_Sepekan.Pdf)",
     "Pusat", "2023", "Isu", "2024-05-05", ["https://Berkas.Dpr.Go.Id/Isu_Sepekan.Pdf"]),
    ("Douglas Foyle. \"Public Opinion And Foreign Policy\". *International Studies Quarterly*. 1997.",
     "Douglas Foyle", "1997", "Public Opinion And Foreign Policy", None, []),
    ("Dairani (2024). Upaya Konstitusional. HUKMY, 2(2), 199–210. https://doi.org/10.35316/hukmy.2022.v2i2.199-210",
     "Dairani", "2024", "Upaya Konstitusional", None, ["https://doi.org/10.35316/hukmy.2022.v2i2.199-210"]),
    ("Smith, J. (t.t.). Tanpa tahun. Diunduh 1 Januari 2020 dari http://example.org/a.",
     "Smith, J", "n.d.", "Tanpa tahun", "2020-01-01", ["http://example.org/a"]),
])
def test_entry_fields(raw: str, authors: str, year: str, title: str, accessed: str | None, urls: list) -> None:
    """Authors, year (with a/b suffix or n.d.), title, access date and URLs are read from common forms."""
    e = parse_entry(raw)
    assert e.author_text == authors
    assert e.year == year
    assert e.title == title
    assert (e.accessed.iso() if e.accessed else None) == accessed
    assert e.urls == urls


@pytest.mark.parametrize("line,kind", [
    ("## DAFTAR PUSTAKA", "bibliography"), ("**Daftar Rujukan**", "bibliography"), ("Referensi", "bibliography"),
    ("RUJUKAN:", "bibliography"), ("# Bibliografi", "bibliography"), ("VII. References", "bibliography"),
    ("Works Cited", "bibliography"), ("### Literature Cited", "bibliography"), ("Sumber", "bibliography"),
    ("Catatan", "notes"), ("## Endnotes", "notes"), ("Notes:", "notes"),
    ("References to the past are many", None), ("Daftar pustaka disusun berikut ini dengan rapi.", None),
])
def test_reference_headings(line: str, kind: str | None) -> None:
    """Reference-list headings in Markdown, bold, numbered or plain form; sentences are not headings."""
    found = heading_kind(line)
    assert (found[0] if found else None) == kind


SPLIT = """Body (Mulvey 2022) (Kompas 2022) (IP Defense Forum 2024) (Antara News 2022).

## DAFTAR PUSTAKA

### Internet

- Mulvey, S. 2022. "Ukraina diserbu." *BBC.com*. Accessed 2024. <https://www.bbc.com/indonesia/dunia-60554780>.
2024. <https://www.kompas.com/tren/read/2022/03/05/123000765/daftar-sanksi>.
- Kompas. 2022. *Daftar Sanksi*. Accessed
- IP Defense Forum. 2024. *Ikatan Militer*. Accessed 2025.

<https://ipdefenseforum.com/id/2024/11/ikatan-militer>.

- Jurnal Patroli News. 2022. "Korut." Accessed 2024. <https://jurnalpatrolineews.co.id/headline/korut/>.

Antara News. 2022. *Kecam Kerja Sama*. Accessed 2024.
<https://www.antaraneews.com/berita/4163196/as-kecam>.
"""


def test_entry_splitting_keeps_urls_and_reports_fragments() -> None:
    """A URL on its own line (even after a blank line) joins the entry above; an orphan fragment stays apart."""
    parsed = parse_document(document_from_bytes("s.md", SPLIT.encode(), "md"))
    got = [(e.line, e.end_line, e.kind, e.subsection) for e in parsed.entries]
    assert got == [(7, 7, "reference", "Internet"), (8, 8, "fragment", "Internet"),
                   (9, 9, "reference", "Internet"), (10, 12, "reference", "Internet"),
                   (14, 14, "reference", "Internet"), (16, 17, "reference", "Internet")]
    assert parsed.entries[3].urls == ["https://ipdefenseforum.com/id/2024/11/ikatan-militer"]
    assert parsed.entries[2].dangling_access


@pytest.mark.parametrize("text,expected", [
    ("Accessed 2024.", "2024"), ("Diakses 3 Maret 2024", "2024-03-03"), ("Accessed Januari 30, 2024", "2024-01-30"),
    ("Retrieved June 5, 2023, from", "2023-06-05"), ("Diunduh pada tanggal 1 Mei 2020", "2020-05-01"),
    ("Accessed on: 26 August 2024.", "2024-08-26"), ("accessed 2024-02-03", "2024-02-03"),
])
def test_access_dates(text: str, expected: str) -> None:
    """Access dates in English and Indonesian, to the year, month or day."""
    found = find_access_date(text)
    assert found is not None and found.date is not None and found.date.iso() == expected


@pytest.mark.parametrize("text,expected", [
    ("15 Agustus 2022", PartialDate(2022, 8, 15)), ("Desember 2013", PartialDate(2013, 12)),
    ("2 Oktober 2024", PartialDate(2024, 10, 2)), ("March 3rd, 2021", PartialDate(2021, 3, 3)), ("1999", PartialDate(1999)),
])
def test_dates(text: str, expected: PartialDate) -> None:
    """Dates to the day, month or year in both languages."""
    assert parse_date(text) == expected
