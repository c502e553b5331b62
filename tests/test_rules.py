"""One table per rule: documents where it must fire (and where), and documents where it must not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import audit_text

LIST = "\n\n## Daftar Pustaka\n\n"


def lines_of(rule: str, text: str, name: str = "doc.md", today: dt.date = dt.date(2026, 11, 22)) -> list:
    _, findings = audit_text(text, name, today=today)
    return [f.line for f in findings if f.rule == rule]


_counter: dict[str, int] = {}


def case(rule: str, text: str, expected: list, name: str = "doc.md"):
    _counter[rule] = _counter.get(rule, 0) + 1
    return pytest.param(rule, text, expected, name,
                        id=f"{'fires' if expected else 'quiet'}-{_counter[rule]}")


CASES = [
    # unresolved-citation
    case("unresolved-citation", "Teks (Brookngs 2022)." + LIST + "- Brookings. 2022. *Troops*. Washington.\n", [1]),
    case("unresolved-citation", "Teks (Hilang 2020)." + LIST + "- Ada. 2020. *Judul*. Jakarta.\n", [1]),
    case("unresolved-citation", "Teks (Brookings 2022)." + LIST + "- Brookings. 2022. *Troops*. Washington.\n", []),
    case("unresolved-citation", "Teks [3] dan [1]." + "\n\n## References\n\n1. Satu A. Judul. 2001.\n2. Dua B. Judul. 2002.\n", [1]),
    case("unresolved-citation", "Pakta (NATO) dan harga (US$750)." + LIST + "- Ada. 2020. *Judul*.\n", []),
    # ambiguous-citation
    case("ambiguous-citation", "Teks (Kompas.com 2023)." + LIST +
         "- Kompas.com. 2023. *Satu*. Jakarta.\n- Kompas.com. 2023. *Dua*. Jakarta.\n", [1]),
    case("ambiguous-citation", "Teks (Kompas.com 2023a)." + LIST +
         "- Kompas.com. 2023a. *Satu*. Jakarta.\n- Kompas.com. 2023b. *Dua*. Jakarta.\n", []),
    # citation-year-mismatch
    case("citation-year-mismatch", "Teks (Muhid, 2023)." + LIST + "Muhid, H. K. (2024). Ramai Politik. tempo.co.\n", [1]),
    case("citation-year-mismatch", "Teks (Muhid, 2024)." + LIST + "Muhid, H. K. (2024). Ramai Politik. tempo.co.\n", []),
    # citation-missing-year
    case("citation-missing-year", "Teks (Mardalis Jakarta)." + LIST + "- Mardalis. Jakarta. *Metode*. 1995: Bumi Aksara.\n", [1]),
    case("citation-missing-year", "Teks (Jakarta Selatan)." + LIST + "- Mardalis. 1995. *Metode*. Bumi Aksara.\n", []),
    # citation-not-first-author
    case("citation-not-first-author", "Teks (Ozdamar 2009)." + LIST + "- Balkan Devlen, Ozgur Ozdamar. 2009. *Crises*.\n", [1]),
    case("citation-not-first-author", "Teks (Ozdamar et al. 2009)." + LIST + "- Balkan Devlen, Ozgur Ozdamar. 2009. *Crises*.\n", []),
    case("citation-not-first-author", "Teks (Devlen 2009)." + LIST + "- Balkan Devlen, Ozgur Ozdamar. 2009. *Crises*.\n", []),
    # uncited-entry
    case("uncited-entry", "Teks (Ada 2020)." + LIST + "- Ada. 2020. *Judul*.\n- Lain. 2019. *Judul Lain*.\n", [6]),
    case("uncited-entry", "Teks (Ada 2020; Lain 2019)." + LIST + "- Ada. 2020. *Judul*.\n- Lain. 2019. *Judul Lain*.\n", []),
    case("uncited-entry", "Teks [1]." + "\n\n## References\n\n1. Satu A. Judul. 2001.\n2. Dua B. Judul. 2002.\n", [6]),
    # ibid-without-antecedent
    case("ibid-without-antecedent", "Teks[1] lagi[2].\n[1] Ibid.\n[2] “Judul”, Al Jazeera, 2022.\n", [2], "n.txt"),
    case("ibid-without-antecedent", "Teks[1] lagi[2] dan[3].\n[1] “Judul”, Al Jazeera, 2022.\n[2] Op. Cit., Reuters\n[3] Ibid.\n", [3, 4], "n.txt"),
    case("ibid-without-antecedent", "Teks[1] lagi[2].\n[1] “Judul”, Al Jazeera, 2022.\n[2] Op. Cit., Al Jazeera\n", [], "n.txt"),
    # reference-list-not-found
    case("reference-list-not-found", "Teks [1] dan [2] lagi [3].\n\nPenutup tanpa daftar.\n", [None]),
    case("reference-list-not-found", "Teks [1] dan [2]." + "\n\n## References\n\n1. Satu A. Judul. 2001.\n"
         "2. Dua B. Judul. 2002.\n", []),
    # impossible-date
    case("impossible-date", "Teks (Ada 2020)." + LIST + "- Ada. 2020. *Judul*. https://a.id/x. Diakses 30 Februari 2024.\n",
         [5]),
    case("impossible-date", "Teks (Ada 2020)." + LIST + "- Ada. 2020. *Judul*. https://a.id/x. Diakses 29 Februari 2024.\n",
         []),
    # undefined-footnote / unused-footnote
    case("undefined-footnote", "Teks[1] lagi[2] dan[7].\n[1] “Satu”, A, 2020.\n[2] “Dua”, B, 2021.\n", [1], "n.txt"),
    case("undefined-footnote", "Teks[1] lagi[2].\n[1] “Satu”, A, 2020.\n[2] “Dua”, B, 2021.\n", [], "n.txt"),
    case("unused-footnote", "Teks[1] lagi.\n[1] “Satu”, A, 2020.\n[2] “Dua”, B, 2021.\n", [3], "n.txt"),
    case("unused-footnote", "Teks[1] lagi[2].\n[1] “Satu”, A, 2020.\n[2] “Dua”, B, 2021.\n", [], "n.txt"),
    # duplicate-entry
    case("duplicate-entry", "Teks (Foyle 1997)." + LIST + "- Douglas Foyle. \"Public Opinion And Foreign Policy\". *ISQ*. 1997.\n"
         "- Foyle, Douglas. 1997. *Public Opinion And Foreign Policy*. *ISQ*.\n", [6]),
    case("duplicate-entry", "Teks (A 2022; B 2023)." + LIST + "- A. 2022. *Satu*. <https://Berkas.Dpr.Go.Id/Isu.Pdf>\n"
         "- B. 2023. *Dua*. <https://berkas.dpr.go.id/isu.pdf>\n", [6]),
    case("duplicate-entry", "Teks (Kompas.com 2023a; Kompas.com 2023b)." + LIST + "- Kompas.com. 2023a. *Poin Penting Perjanjian*.\n"
         "- Kompas.com. 2023b. *Kerja Sama Militer Tidak Melanggar*.\n", []),
    # duplicate-key / missing-field (a BibTeX database) / missing-part (a LaTeX paper)
    case("duplicate-key", "@book{a, author={A, B}, title={One}, publisher={P}, year=2020}\n"
         "@book{a, author={C, D}, title={Two}, publisher={P}, year=2021}\n", [2], "refs.bib"),
    case("duplicate-key", "@book{a, author={A, B}, title={One}, publisher={P}, year=2020}\n"
         "@book{b, author={C, D}, title={Two}, publisher={P}, year=2021}\n", [], "refs.bib"),
    case("missing-field", "@article{a,\n author={A, B},\n title={One},\n year=2020}\n", [1], "refs.bib"),
    case("missing-field", "@article{a,\n author={A, B},\n title={One},\n journaltitle={J},\n date={2020}}\n", [],
         "refs.bib"),
    case("missing-part", "\\begin{document}\nText \\cite{a}.\n\\bibliography{no-such-file-here}\n\\end{document}\n",
         [3], "paper.tex"),
    case("missing-part", "\\begin{document}\nText \\cite{a}.\n\\end{document}\n", [], "paper.tex"),
    # broken-entry
    case("broken-entry", "Teks (A 2022; Kompas 2022)." + LIST + "- A. 2022. *Satu*. Accessed 2024. <https://a.example.com/x>.\n"
         "2024. <https://www.kompas.com/tren/read/2022/03/05/1>.\n- Kompas. 2022. *Daftar Sanksi*. Accessed\n", [6, 7]),
    case("broken-entry", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. Accessed 2024.\n\n<https://a.example.com/x>.\n", []),
    # missing-year
    case("missing-year", "Teks (Brookings n.d.)." + LIST + "- Brookings. n.d. \"What do North Korean Troop Deployments Mean\".\n", [5]),
    case("missing-year", "Teks (Brookings 2022)." + LIST + "- Brookings. 2022. \"What do North Korean Troop Deployments Mean\".\n", []),
    # missing-access-date
    case("missing-access-date", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. <https://a.example.com/x>.\n", [5]),
    case("missing-access-date", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. Diakses 3 Maret 2024. <https://a.example.com/x>.\n", []),
    case("missing-access-date", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. J Biol 5:1–9. https://doi.org/10.1000/xyz\n", []),
    # access-date-without-url
    case("access-date-without-url", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. Accessed 3 March 2024.\n", [5]),
    case("access-date-without-url", "Teks (A 2022)." + LIST + "- A. 2022. *Satu*. Accessed 3 March 2024. <https://a.example.com/>\n", []),
    # access-before-publication
    case("access-before-publication", "Teks (A 2024)." + LIST + "- A. 2024. *Satu*. Accessed 3 March 2023. <https://a.example.com/x>\n", [5]),
    case("access-before-publication", "Teks (A 2024)." + LIST + "- A. 2024. *Satu*. 15 Juni 2024. Diakses 10 Juni 2024. <https://a.example.com/x>\n", [5]),
    case("access-before-publication", "Teks (A 2024)." + LIST + "- A. 2024. *Satu*. 15 Juni 2024. Diakses Juni 2024. <https://a.example.com/x>\n", []),
    # access-date-in-future
    case("access-date-in-future", "Teks (A 2024)." + LIST + "- A. 2024. *Satu*. Accessed 3 March 2031. <https://a.example.com/x>\n", [5]),
    case("access-date-in-future", "Teks (A 2024)." + LIST + "- A. 2024. *Satu*. Accessed 3 March 2025. <https://a.example.com/x>\n", []),
    # access-year-outlier
    case("access-year-outlier", "Teks (A 2022; B 2022; C 2022; D 2022; E 2022; F 2022)." + LIST + "".join(
        f"- {n}. 2022. *Judul {n}*. Accessed {2025 if n == 'F' else 2024}. <https://{n.lower()}.example.com/x>\n"
        for n in "ABCDEF"), [10]),
    case("access-year-outlier", "Teks (A 2022; B 2022; C 2022)." + LIST + "".join(
        f"- {n}. 2022. *Judul {n}*. Accessed {2025 if n == 'C' else 2024}. <https://{n.lower()}.example.com/x>\n"
        for n in "ABC"), []),
    # year-url-mismatch
    case("year-url-mismatch", "Teks (Kompas.com 2023)." + LIST + "- Kompas.com. 2023. *Poin*. Accessed 2024. <https://www.kompas.com/global/read/2024/06/20/162700270/poin>\n", [5]),
    case("year-url-mismatch", "Teks (CNBC 2022)." + LIST + "- CNBC. 2022. *Tentara*. Accessed 2024. <https://www.cnbcindonesia.com/news/20241031050407-4-584408/tentara>\n", [5]),
    case("year-url-mismatch", "Teks (Kompas.com 2024)." + LIST + "- Kompas.com. 2024. *Poin*. Accessed 2024. <https://www.kompas.com/global/read/2024/06/20/162700270/poin>\n", []),
    case("year-url-mismatch", "Teks (Dairani 2024)." + LIST + "Dairani (2024). Upaya. HUKMY, 2(2). https://doi.org/10.35316/hukmy.2022.v2i2.199-210\n", []),
    # title-url-mismatch
    case("title-url-mismatch", "Teks (Tempo.com 2022)." + LIST + "- Tempo.com. 2022. *Korea Utara dan Rusia Sepakat Kompak Saling Bantu Bila Dserang*. Accessed 2024. "
         "<https://www.tempo.co/internasional/korea-utara-dan-rusia-sepakat-kompak-saling-bantu-bila-diserang--1163034>.\n", [5]),
    case("title-url-mismatch", "Teks (Tempo.com 2022)." + LIST + "- Tempo.com. 2022. *Korea Utara dan Rusia Sepakat Kompak Saling Bantu Bila Diserang*. Accessed 2024. "
         "<https://www.tempo.co/internasional/korea-utara-dan-rusia-sepakat-kompak-saling-bantu-bila-diserang--1163034>.\n", []),
    # malformed-url
    case("malformed-url", "Teks (Kementerian 2021)." + LIST + "- Kementerian. 2021. *Sepakat*. Accessed 2024. <https://www.setneg.go/>.\n", [5]),
    case("malformed-url", "Teks (A 2021)." + LIST + "- A. 2021. *Satu*. Accessed 2024. <https://www.example.com/a b>.\n", [5]),
    case("malformed-url", "Teks (A 2021)." + LIST + "- A. 2021. *Satu*. Accessed 2024. <https://berkas.dpr.go.id/a(b.pdf>.\n", [5]),
    case("malformed-url", "Teks (Kementerian 2021)." + LIST + "- Kementerian. 2021. *Sepakat*. Accessed 2024. <https://www.setneg.go.id/>.\n", []),
    # suspicious-domain
    case("suspicious-domain", "Teks (Antara News 2022)." + LIST + "- Antara News. 2022. *Kecam*. Accessed 2024. <https://www.antaraneews.com/berita/1/kecam>.\n", [5]),
    case("suspicious-domain", "Teks (Antara News 2022)." + LIST + "- Antara News. 2022. *Kecam*. Accessed 2024. <https://www.antaranews.com/berita/1/kecam>.\n", []),
    # bibliography-order
    case("bibliography-order", "Teks (Budi 2020; Ani 2020; Citra 2020)." + LIST + "- Budi. 2020. *B*.\n- Ani. 2020. *A*.\n- Citra. 2020. *C*.\n", [6]),
    case("bibliography-order", "Teks (Ani 2020; Budi 2020; Citra 2020)." + LIST + "- Ani. 2020. *A*.\n- Budi. 2020. *B*.\n- Citra. 2020. *C*.\n", []),
    case("bibliography-order", "Teks [1-3]." + "\n\n## References\n\n1. Satu A. Judul. 2001.\n2. Dua B. Judul. 2002.\n4. Tiga C. Judul. 2003.\n", [7]),
    # anachronistic-citation
    case("anachronistic-citation", "Pada 2 Oktober 2024, Korea memanggil duta besar (VOA Indonesia 2022)." + LIST + "- VOA Indonesia. 2022. *Seoul*.\n", [1]),
    case("anachronistic-citation", "On 12 September 2023 they met (RCTI 2022) and (RCTI 2022)." + LIST + "- RCTI. 2022. *Sejarah*.\n", [1]),
    case("anachronistic-citation", "Pada 2 Oktober 2021, Korea memanggil duta besar (VOA Indonesia 2022)." + LIST + "- VOA Indonesia. 2022. *Seoul*.\n", []),
    case("anachronistic-citation", "The election in February 2024 was discussed (Hartati, 2018)." + LIST + "Hartati, A. Y. (2018). Asian Values.\n", []),
    # unsupported-quote
    case("unsupported-quote", "Teks (A 2020).\n\nKang mengatakan yang paling dibutuhkan adalah \"pendapatan devisa dari para pekerja.\"" + LIST + "- A. 2020. *Satu*.\n", [3]),
    case("unsupported-quote", "Kang mengatakan yang dibutuhkan adalah \"pendapatan devisa dari para pekerja\" (A 2020)." + LIST + "- A. 2020. *Satu*.\n", []),
    case("unsupported-quote", "Teks (A 2020).\n\nDengan judul \"Alasan dan Proyeksi Kebijakan Pertahanan Rusia\"." + LIST + "- A. 2020. *Satu*.\n", []),
    # unsourced-document
    case("unsourced-document", " ".join(["Rusia dan Korea Utara memperkuat kerja sama militer."] * 30) + "\n", [None]),
    case("unsourced-document", "Pendek sekali tanpa sumber.\n", []),
    case("unsourced-document", " ".join(["Rusia dan Korea Utara memperkuat kerja sama militer."] * 30) + " (A 2020)." + LIST + "- A. 2020. *Satu*.\n", []),
    # missing-part (the file is looked for beside the document: one of the fixtures is its place)
    case("missing-part", "---\ntitle: T\nbibliography: no-such-refs-file.json\n---\n\nTeks [@a].\n", [3],
         name=str(Path(__file__).parent / "fixtures" / "apa-english.md")),
    case("missing-part", "---\ntitle: T\nreferences:\n- id: a\n  title: A\n  issued: 2001\n---\n\nTeks [@a].\n", []),
]


TABLES: dict[str, list] = {}
for _case in CASES:
    TABLES.setdefault(_case.values[0], []).append(_case)


def _table_test(rule: str):
    cases = [pytest.param(*c.values[1:], id=c.id) for c in TABLES[rule]]

    @pytest.mark.parametrize("text,expected,name", cases)
    def test(text: str, expected: list, name: str) -> None:
        assert lines_of(rule, text, name) == expected

    test.__doc__ = f"{rule} fires exactly at the expected lines (an empty list: it must not fire)."
    return test


# One parametrized table per rule: test_unresolved_citation, test_ambiguous_citation, …
for _rule in TABLES:
    globals()[f"test_{_rule.replace('-', '_')}"] = _table_test(_rule)


def test_encoding_artifact_is_reported_at_the_repaired_line() -> None:
    """A repaired mojibake line is reported as encoding-artifact."""
    from auditor.checks import AuditContext, run_checks
    from auditor.config import Settings
    from auditor.documents import document_from_bytes
    from auditor.parsing import parse_document

    doc = document_from_bytes("x.txt", "Satu.\nDua dominasinya.Â\n".encode(), "txt")
    findings = run_checks(AuditContext(parse_document(doc), dt.date(2026, 1, 1)), Settings().enabled_rules(), strict=True)
    assert [(f.rule, f.line) for f in findings if f.rule == "encoding-artifact"] == [("encoding-artifact", 2)]


def test_every_offline_rule_has_a_table_case() -> None:
    """Each offline rule appears in the table above with at least one firing and one quiet case."""
    from auditor.checks import RULES

    fired = {c.values[0] for c in CASES if c.values[2]}
    quiet = {c.values[0] for c in CASES if not c.values[2]}
    # encoding-artifact and edited-citation-field (Word fields: tests/test_docx.py) cannot be written as text;
    # the sources family reads registry records (ctx.sources): its cases are in tests/test_sources.py.
    offline = {name for name, r in RULES.items() if not r.online and r.family != "sources"
               and name not in ("encoding-artifact", "edited-citation-field")}
    assert offline - fired == set() and offline - quiet == set()


def test_a_failing_rule_becomes_an_internal_error_finding() -> None:
    """One broken rule does not sink the run: it is reported, and the other rules still report."""
    from auditor.checks import AuditContext, run_checks
    from auditor.checks.registry import RULES, Rule
    from auditor.documents import document_from_bytes
    from auditor.model import Severity
    from auditor.parsing import parse_document

    def boom(ctx):
        raise RuntimeError("boom")

    RULES["test-boom"] = Rule("test-boom", Severity.INFO, "text", "d", "m", "", boom)
    try:
        doc = document_from_bytes("x.md", ("Teks (Hilang 2020)." + LIST + "- Ada. 2020. *J*.\n").encode(), "md")
        findings = run_checks(AuditContext(parse_document(doc), dt.date(2026, 1, 1)))
        assert ("internal-error", None) in [(f.rule, f.line) for f in findings]
        assert "unresolved-citation" in {f.rule for f in findings}
        with pytest.raises(RuntimeError):
            run_checks(AuditContext(parse_document(doc), dt.date(2026, 1, 1)), strict=True)
    finally:
        del RULES["test-boom"]


def _order_findings(names: list[str]) -> list[str]:
    from auditor.checks import AuditContext, run_checks
    from auditor.documents import document_from_bytes
    from auditor.parsing import parse_document

    refs = "\n\n".join(f"{n}, A. 2020. *A Study of {n}*. Jakarta: Penerbit." for n in names)
    doc = document_from_bytes("x.md", f"# Refs\n\n## Daftar Pustaka\n\n{refs}\n".encode(), "md")
    ctx = AuditContext(parse_document(doc), dt.date(2025, 1, 1))
    return [f.message for f in run_checks(ctx, {"bibliography-order"}, {})]


def test_bibliography_order_one_finding_per_cause() -> None:
    # One entry misplaced: one finding, at that entry (not also at its neighbour).
    assert _order_findings(["Abdullah", "Budiman", "Yusuf", "Cahyono", "Darmawan", "Effendi"]) == \
        ["Yusuf, A 2020 is out of order: alphabetically it belongs after Effendi, A 2020"]
    # A list sorted Z to A: one finding for the list, not one per entry.
    reverse = _order_findings(["Yusuf", "Wibowo", "Santoso", "Pratama", "Hidayat", "Darmawan", "Budiman"])
    assert len(reverse) == 1 and "reverse alphabetical order" in reverse[0]
    # A sorted list: nothing.
    assert _order_findings(["Abdullah", "Budiman", "Cahyono", "Darmawan"]) == []


def test_an_exact_duplicate_is_one_finding_not_an_ambiguity_at_every_citation() -> None:
    from conftest import TODAY

    from auditor.checks import AuditContext, run_checks
    from auditor.documents import document_from_bytes
    from auditor.parsing import parse_document

    entry = "Kitchen, N. 2010. *Systemic Pressures and Domestic Ideas*. Review of International Studies.\n\n"
    text = ("Teks (Kitchen 2010). Lagi (Kitchen 2010). Dan (Ford 2009).\n\n## Daftar Pustaka\n\n"
            + entry + "Ford, M. 2009. *Neoclassical Realism*. Jakarta: Penerbit.\n\n" + entry)
    ctx = AuditContext(parse_document(document_from_bytes("d.md", text.encode(), "md")), TODAY)
    rules = [f.rule for f in run_checks(ctx, {"ambiguous-citation", "duplicate-entry"}, {})]
    assert rules == ["duplicate-entry"]


def test_link_rules_are_ordinary_detectors_over_the_link_records() -> None:
    """Issue 12: the link rules read AuditContext.links like any rule reads the document: one path for
    selection, severity and order; nothing without records."""
    from auditor.checks import RULES, AuditContext, run_checks
    from auditor.config import Settings
    from auditor.linkcheck.records import LinkRecord, Outcome
    from auditor.model import PartialDate, Severity

    text = ("Teks (Kompas 2022; Hilang 2023; Lama 2020).\n\n## Daftar Pustaka\n\n"
            "- Kompas. 2022. *Kerja Sama Militer Kedua Negara*. <https://www.kompas.com/a/kerja-sama>.\n"
            "- Hilang. 2023. *Halaman Hilang*. <https://www.hilang.org/x/y>.\n"
            "- Lama. 2020. *Artikel Lama*. <https://www.lama.org/p/artikel-lama>.\n")
    parsed, offline = audit_text(text)
    links = {
        "https://www.kompas.com/a/kerja-sama": LinkRecord("https://www.kompas.com/a/kerja-sama", Outcome.OK, "HTTP 200",
                                                          titles=("Harga Beras Naik Lagi Hari Ini",)),
        "https://www.hilang.org/x/y": LinkRecord("https://www.hilang.org/x/y", Outcome.DEAD, "HTTP 404"),
        "https://www.lama.org/p/artikel-lama": LinkRecord("https://www.lama.org/p/artikel-lama", Outcome.OK, "HTTP 200",
                                                          published=PartialDate(2024, 6, 20)),
    }
    link_rules = {n for n, r in RULES.items() if r.online}
    assert not [f for f in offline if f.rule in link_rules]
    ctx = AuditContext(parsed, dt.date(2026, 11, 22), links=links)
    found = run_checks(ctx, Settings().enabled_rules() & link_rules, {"dead-link": Severity.WARNING})
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("title-mismatch", 5, Severity.WARNING), ("dead-link", 6, Severity.WARNING),
        ("source-date-mismatch", 7, Severity.WARNING)]
    assert run_checks(ctx, {"soft-404"}) == []
