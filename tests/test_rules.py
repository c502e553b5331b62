"""One table per rule: documents where it must fire (and where), and documents where it must not."""

from __future__ import annotations

import datetime as dt

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
    # The sources family reads registry records (ctx.sources): its cases are in tests/test_sources.py.
    offline = {name for name, r in RULES.items()
               if not r.online and name != "encoding-artifact" and r.family != "sources"}
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
