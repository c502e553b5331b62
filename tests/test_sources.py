"""Scholarly source verification (#11): matching thresholds, registry shapes, the engine against fake
registries on 127.0.0.1 (never the internet), the rules, the cache, the CLI and the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from registryserver import RegistryServer, crossref_message

from auditor.checks import AuditContext, run_checks
from auditor.cli import cli
from auditor.config import Settings, discover_settings, parse_settings
from auditor.errors import ConfigError
from auditor.parsing.entries import parse_entry
from auditor.sources import Query, SourcePolicy, accept, match, scholarly_kind, verify_entries
from auditor.sources.http import get_json
from auditor.sources.registries import Crossref, Work

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)

RICE = {"doi": "10.1234/jai.2020.5", "title": "Deep learning for rice yield prediction", "subtitle": "A review",
        "authors": [("John", "Smith"), ("Karl", "Müller")], "year": 2020, "print_year": 2020, "online_year": 2019,
        "journal": "Journal of Agricultural Informatics", "volume": "12", "issue": "3", "page": "100-110"}
SENTIMENT = {"doi": "10.5555/jti.2019.2", "title": "Analisis sentimen ulasan aplikasi transportasi daring",
             "other_titles": ["Sentiment analysis of online transport application reviews"],
             "authors": [("Abdul", "Rahman"), ("Budi", "Santoso")], "year": 2019, "print_year": 2019,
             "online_year": 2019, "journal": "Jurnal Teknologi Informasi", "volume": "5", "issue": "2", "page": "11-20"}
RETRACTED = {"doi": "10.7777/med.2018.9", "title": "Vitamin supplements prevent seasonal influenza in adults",
             "authors": [("Maria", "García"), ("Li", "Wei")], "year": 2018, "print_year": 2018, "online_year": 2018,
             "journal": "Medical Hypotheses Quarterly",
             "updated_by": [{"type": "retraction", "label": "Retraction", "DOI": "10.7777/med.2021.1",
                             "date": [2021, 3, 4]}]}
CONCERN = {"doi": "10.7777/med.2019.4", "title": "Coffee consumption and memory in older adults",
           "authors": [("Sari", "Dewi")], "year": 2019, "print_year": 2019, "online_year": 2019,
           "journal": "Medical Hypotheses Quarterly",
           "updated_by": [{"type": "expression_of_concern", "label": "Expression of concern", "DOI": "10.7777/eoc.1"}]}
OA_RETRACTED = {"title": "Blockchain voting systems for village elections in Java",
                "authors": [("Agus", "Pratama")], "year": 2021, "journal": "Jurnal Sistem Informasi",
                "retracted": True, "registry": "openalex", "doi": "10.9999/jsi.2021.7"}
DATASET = {"doi": "10.5281/zenodo.123456", "title": "Rainfall observations of West Java stations 1990–2020",
           "authors": [("Rina", "Kusuma")], "year": 2021, "registry": "datacite", "type": "Dataset"}
JALC = {"doi": "10.11501/jjs.2015.3", "title": "A study of Japanese loanwords in Indonesian", "registry": "agency:JaLC"}
WORKS = [RICE, SENTIMENT, RETRACTED, CONCERN, OA_RETRACTED, DATASET, JALC]


@pytest.fixture
def registry():
    srv = RegistryServer(WORKS).start()
    yield srv
    srv.stop()


def policy(srv: RegistryServer, **kw) -> SourcePolicy:
    u = srv.settings()
    return SourcePolicy(crossref_url=u["crossref-url"], openalex_url=u["openalex-url"],
                        datacite_url=u["datacite-url"], doi_url=u["doi-url"], mailto="editor@example.org",
                        rate=kw.pop("rate", 100), **kw)


def entries(*raws: str):
    out = []
    for i, raw in enumerate(raws):
        e = parse_entry(raw)
        e.index, e.line = i, i + 1
        out.append(e)
    return out


# --- thresholds -------------------------------------------------------------------------------------

def test_title_thresholds_tolerate_diacritics_markup_and_case() -> None:
    """Folding: "Müller" is "Muller"; Crossref's <i>…</i> and case do not count."""
    assert match.title_score("Effects of café culture on Bogotá youth",
                             ["Effects of <i>cafe</i> culture on Bogota youth"]) >= match.TITLE_SAME


def test_title_thresholds_tolerate_a_subtitle_left_out_or_added() -> None:
    """A subtitle dropped by the citing author, or cited where the registry keeps it apart."""
    assert match.title_score("Deep learning for rice yield prediction",
                             ["Deep learning for rice yield prediction: A review"]) >= match.TITLE_SAME
    assert match.title_score("Deep learning for rice yield prediction: a review",
                             ["Deep learning for rice yield prediction"]) >= match.TITLE_SAME
    # A short main title alone says too little: "Deep learning" is not "Deep learning: a survey of X".
    assert match.title_score("Deep learning: applications in medicine",
                             ["Deep learning: a survey of rice genomics"]) < match.TITLE_SAME


def test_title_thresholds_separate_look_alikes() -> None:
    """A fabricated look-alike that shares most words is not the same title."""
    assert match.title_score("Deep learning for wheat yield prediction in arid regions",
                             ["Deep learning for rice yield prediction"]) < match.TITLE_SAME
    assert match.title_score("Analisis sentimen ulasan aplikasi belanja daring",
                             ["Analisis sentimen ulasan aplikasi transportasi daring"]) < match.TITLE_SAME
    assert match.title_score("Something about fish", ["Deep learning for rice yield"]) < match.TITLE_OTHER


def test_indonesian_and_english_title_variants_match_when_the_registry_holds_both() -> None:
    """Indonesian journals deposit both titles; either one cited is the work."""
    work = Work("crossref", "x", "10.5555/jti.2019.2", ["Analisis sentimen ulasan aplikasi transportasi daring",
                                                        "Sentiment analysis of online transport application reviews"],
                [("Abdul", "Rahman")], 2019, [2019])
    for title in ("Sentiment analysis of online transport application reviews",
                  "Analisis Sentimen Ulasan Aplikasi Transportasi Daring"):
        assert accept(Query(title=title, authors=["Rahman, A."], year=2019), [work]) is work


def test_author_thresholds_initials_order_diacritics_and_indonesian_names() -> None:
    assert match.same_name("Müller, K.", "Karl", "Mueller")  # transliteration
    assert match.same_name("K. Muller", "Karl", "Müller")  # initials first, diacritics
    assert match.same_name("Sugiyono", "Sugiyono", "")  # a single name deposited as the given name
    assert match.same_name("Ahmad Fauzi Rahman", "Ahmad Fauzi", "Rahman")  # a full Indonesian name
    assert match.same_name("van der Berg, J.", "Jan", "Berg")
    assert not match.same_name("Smith, J.", "John", "Smyth-Jones")
    assert not match.same_name("Santoso, B.", "Budi", "Susanto")


def test_year_thresholds_online_first_against_issue_year() -> None:
    """Online 2019, in an issue of 2020: either year cited is right; a year two off is not accepted by search
    unless the title is exact."""
    work = Work("crossref", "x", "10.1/x", ["Deep learning for rice yield prediction"], [("John", "Smith")], 2020,
                [2019, 2020], type="journal-article", dates_complete=True)
    q = Query(title="Deep learning for rice yield prediction", authors=["Smith, J."])
    for year in (2019, 2020, 2021):
        q.year = year
        assert accept(q, [work]) is work
    q.year = 2022  # the exact title: a drifted year is still the work (reported as a year mismatch)
    assert accept(q, [work]) is work
    q.year = 2024
    assert accept(q, [work]) is None
    q.year, q.title = 2022, "Deep learning for rice yield predictions in Java"  # not exact: the year must agree
    assert accept(q, [work]) is None
    e = parse_entry("Smith, J. (2019). Deep learning for rice yield prediction. Journal X, 12(3), 100-110.")
    from auditor.sources import compare

    assert compare(e, work) == []  # the online year
    e = parse_entry("Smith, J. (2021). Deep learning for rice yield prediction. Journal X, 12(3), 100-110.")
    assert [m[0] for m in compare(e, work)] == ["year"]
    # A record with one date only (the print or the online one missing): one year off is that other date.
    work.years, work.dates_complete = [2020], False
    assert compare(e, work) == []


def test_titles_that_swap_words_are_different_works() -> None:
    """Same template, another place or subject: a fabricated look-alike, however high the plain ratio."""
    assert match.title_score("A fuzzy logic approach for tuberculosis treatment adherence in West Papua",
                             ["A fuzzy logic approach for tuberculosis treatment adherence in Lombok"]) < match.TITLE_SAME
    assert match.title_score("A fuzzy logic aproach for tuberculosis treatment adherence in Lombok",
                             ["A fuzzy logic approach for tuberculosis treatment adherence in Lombok"]) >= match.TITLE_SAME
    assert match.same_name("Yilmaz, I.", "Ilker", "Yılmaz") and match.same_name("Ostergaard, S.", "Søren", "Østergaard")


def test_search_rejects_a_candidate_whose_first_author_differs() -> None:
    work = Work("crossref", "x", "10.1/x", ["Deep learning for rice yield prediction"], [("Ana", "Lopez")], 2020, [2020])
    assert accept(Query(title="Deep learning for rice yield predictions", authors=["Smith, J."], year=2020),
                  [work]) is None


# --- what is looked up --------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "Kompas. (2023, 5 Mei). Harga beras naik lagi di pasar induk. Kompas.com. https://kompas.com/read/2023/05/05/x",
    "Undang-Undang Republik Indonesia Nomor 20 Tahun 2003 tentang Sistem Pendidikan Nasional.",
    "Badan Pusat Statistik. (2022). Statistik Indonesia 2022. Jakarta: BPS.",
    "World Bank. (2020). Indonesia economic prospects: Towards a secure recovery. Report No. 123.",
    "Python Software Foundation. (2024). Python documentation. Available at: https://docs.python.org/3/",
    "Hidayat, R. (2021, 2 Maret). Cara membuat website dengan mudah [Blog post]. https://blog.example.id/cara",
])
def test_news_laws_grey_literature_and_web_pages_are_never_looked_up(raw: str) -> None:
    e = parse_entry(raw)
    assert scholarly_kind(e)[0] is None


def test_articles_books_theses_and_dois_are_looked_up() -> None:
    assert scholarly_kind(parse_entry(
        "Smith, J. (2020). Deep learning for rice yield prediction. Journal of Agri Informatics, 12(3), 100-110."))[0] == "article"
    assert scholarly_kind(parse_entry("Sugiyono. (2017). Metode penelitian kuantitatif, kualitatif, dan R&D. "
                                      "Bandung: Alfabeta."))[0] == "book"
    assert scholarly_kind(parse_entry("Putri, A. (2019). Pengaruh media sosial terhadap minat beli mahasiswa. "
                                      "Skripsi. Universitas Indonesia."))[0] == "thesis"
    assert scholarly_kind(parse_entry("Anon. (2020). A dataset. https://doi.org/10.5281/zenodo.1"))[0] == "doi"


# --- the engine against fake registries -----------------------------------------------------------------

def test_engine_verdicts_against_fake_registries(registry: RegistryServer) -> None:
    es = entries(
        "Smith, J., & Müller, K. (2020). Deep learning for rice yield prediction: A review. Journal of Agricultural "
        "Informatics, 12(3), 100–110. https://doi.org/10.1234/jai.2020.5",
        "Smith, J. (2020). Deep learning for rice yield prediction. Journal of Agricultural Informatics, 12(3), "
        "100–110. https://doi.org/10.1234/jai.2020.6",
        "Jones, P. (2018). Migration routes of freshwater eels in Borneo. Journal of Fish. "
        "https://doi.org/10.1234/jai.2020.5",
        "[4] A. Rahman and B. Santoso, \"Sentiment analysis of online transport application reviews,\" "
        "Jurnal Teknologi Informasi, vol. 5, no. 2, pp. 11-20, 2019.",
        "Smith, J. (2020). Deep learning for wheat yield prediction in arid regions. Journal of Agricultural "
        "Informatics, 12(3), 100–110.",
        "García, M., & Wei, L. (2018). Vitamin supplements prevent seasonal influenza in adults. Medical Hypotheses "
        "Quarterly, 4, 1-9. https://doi.org/10.7777/med.2018.9",
        "Dewi, S. (2019). Coffee consumption and memory in older adults. Medical Hypotheses Quarterly. "
        "https://doi.org/10.7777/med.2019.4",
        "Pratama, A. (2021). Blockchain voting systems for village elections in Java. Jurnal Sistem Informasi, 3(1), 1-9.",
        "Kusuma, R. (2021). Rainfall observations of West Java stations 1990–2020 [Data set]. Zenodo. "
        "https://doi.org/10.5281/zenodo.123456",
        "Tanaka, H. (2015). A study of Japanese loanwords in Indonesian. J. Jpn. Stud. https://doi.org/10.11501/jjs.2015.3",
    )
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    verdicts = [run.records[i].verdict for i in range(len(es))]
    assert verdicts == ["verified", "doi-not-found", "doi-mismatch", "retracted" if False else "verified",
                        "not-found", "retracted", "concern", "retracted", "verified", "unverifiable"]
    assert run.records[3].work is not None and run.records[3].work.doi == "10.5555/jti.2019.2"  # for missing-doi
    assert run.records[8].work is not None and run.records[8].work.registry == "datacite"
    assert run.records[5].retraction is not None and "2021-03-04" in run.records[5].retraction.describe()


def test_only_the_entrys_own_fields_are_sent_and_politely(registry: RegistryServer) -> None:
    es = entries("Smith, J. (2020). Deep learning for wheat yield prediction in arid regions. Journal of "
                 "Agricultural Informatics, 12(3), 100–110.")
    verify_entries(es, policy(registry), get_json, now=NOW)
    crossref = [h for h in registry.hits if h[0] == "/crossref/works"][0]
    assert crossref[1]["query.bibliographic"] == ("Deep learning for wheat yield prediction in arid regions smith "
                                                  "2020 Journal of Agricultural Informatics")
    assert crossref[1]["rows"] == "5" and crossref[1]["mailto"] == "editor@example.org"
    assert "mailto:editor@example.org" in crossref[2]["User-Agent"]
    openalex = [h for h in registry.hits if h[0] == "/openalex/works"][0]
    assert openalex[1]["search"] == "Deep learning for wheat yield prediction in arid regions"
    assert openalex[1]["mailto"] == "editor@example.org"


def test_429_with_retry_after_is_honoured_and_404_is_an_answer(registry: RegistryServer) -> None:
    registry.limited.add("/crossref/works/10.1234%2Fjai.2020.5")
    es = entries("Smith, J., & Müller, K. (2020). Deep learning for rice yield prediction. Journal of Agricultural "
                 "Informatics. https://doi.org/10.1234/jai.2020.5")
    import time

    started = time.monotonic()
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    assert run.records[0].verdict == "verified"
    assert time.monotonic() - started >= 0.9  # waited the second Retry-After asked for
    assert registry.refused == 1


def test_a_registry_that_fails_never_makes_a_finding(registry: RegistryServer) -> None:
    """Past the retries, an error: never `not-found` or `doi-not-found`, and not cached."""
    pol = policy(registry, retries=0)
    pol.crossref_url = "http://127.0.0.1:9/crossref"  # nothing listens on the discard port
    es = entries("Smith, J. (2020). Deep learning for wheat yield prediction in arid regions. Journal of Agri, 1(1), 1-9.",
                 "Smith, J. (2020). Deep learning. Journal X. https://doi.org/10.1234/none")
    run = verify_entries(es, pol, get_json, now=NOW)
    assert [r.verdict for r in run.records.values()] == ["error", "error"]
    assert run.lookups == {}
    assert findings_for(es, run) == []


def test_the_private_address_guard_does_not_block_a_configured_registry(registry: RegistryServer) -> None:
    """Registry URLs are the user's: a loopback mirror answers; a cited URL on loopback is still refused."""
    from auditor.linkcheck.client import Policy, fetch

    status, _, body = get_json(registry.settings()["crossref-url"] + "/works/10.1234%2Fjai.2020.5", {}, {}, 5)
    assert status == 200 and json.loads(body)["message-type"] == "work"
    assert fetch(registry.base + "/crossref/works/x", Policy()).error_kind == "private"


# --- rules ----------------------------------------------------------------------------------------------

def findings_for(es, run, settings: Settings | None = None):
    from auditor.model import Document, ParsedDocument

    doc = Document("doc.md", "markdown", "", "utf-8", [e.raw for e in es])
    parsed = ParsedDocument(doc, [], es, [], [])
    records = {es[pos].index: rec for pos, rec in run.records.items()}
    ctx = AuditContext(parsed, dt.date(2026, 11, 22), sources=records)
    return run_checks(ctx, (settings or Settings()).enabled_rules() & SOURCE_RULES, strict=True)


SOURCE_RULES = {"doi-not-found", "doi-mismatch", "retracted-source", "source-concern", "reference-not-found",
                "metadata-mismatch", "missing-doi"}


def test_rules_report_each_verdict_with_message_and_suggestion(registry: RegistryServer) -> None:
    es = entries(
        "Smith, J. (2020). Deep learning for rice yield prediction. Journal of Agricultural Informatics. "
        "https://doi.org/10.1234/jai.2020.6",
        "Jones, P. (2018). Migration routes of freshwater eels in Borneo. Journal of Fish. "
        "https://doi.org/10.1234/jai.2020.5",
        "García, M., & Wei, L. (2018). Vitamin supplements prevent seasonal influenza in adults. Medical Hypotheses "
        "Quarterly. https://doi.org/10.7777/med.2018.9",
        "Dewi, S. (2019). Coffee consumption and memory in older adults. Medical Hypotheses Quarterly. "
        "https://doi.org/10.7777/med.2019.4",
        "Smith, J. (2020). Deep learning for wheat yield prediction in arid regions. Journal of Agricultural "
        "Informatics, 12(3), 100–110.",
        "Smith, J. (2022). Deep learning for rice yield prediction. Journal of Food Engineering, 14(3), 200–210.",
        "Sugiyono. (2017). Metode penelitian kuantitatif, kualitatif, dan R&D. Bandung: Alfabeta.",
    )
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    found = {(f.line, f.rule, f.severity.value): f for f in findings_for(es, run)}
    assert (1, "doi-not-found", "error") in found
    assert (2, "doi-mismatch", "error") in found
    assert "Deep learning for rice yield prediction" in found[(2, "doi-mismatch", "error")].message
    assert (3, "retracted-source", "error") in found
    assert "Retraction of 2021-03-04 (doi:10.7777/med.2021.1)" in found[(3, "retracted-source", "error")].suggestion
    assert (4, "source-concern", "warning") in found
    assert (5, "reference-not-found", "warning") in found
    mismatch = sorted(f.message for f in findings_for(es, run) if f.rule == "metadata-mismatch")
    fields = {m.split(" of ")[0] for m in mismatch}
    assert {"the year", "the journal", "the volume", "the pages"} <= fields, mismatch
    year = next(f for f in findings_for(es, run) if f.rule == "metadata-mismatch" and f.message.startswith("the year"))
    assert "2020" in year.suggestion
    assert (6, "missing-doi", "info") in found and "10.1234/jai.2020.5" in found[(6, "missing-doi", "info")].message
    assert (7, "reference-not-found", "info") in found  # a book: registries hold few
    assert not any(rule == "doi-mismatch" for _, rule, _ in found if _ != "error")


def test_dropped_co_author_and_wrong_first_author_are_metadata_mismatches(registry: RegistryServer) -> None:
    es = entries("Smith, J. (2020). Deep learning for rice yield prediction. Journal of Agricultural Informatics, "
                 "12(3), 100-110. https://doi.org/10.1234/jai.2020.5",
                 "Müller, K., & Smith, J. (2020). Deep learning for rice yield prediction. Journal of Agricultural "
                 "Informatics, 12(3), 100-110. https://doi.org/10.1234/jai.2020.5")
    run = verify_entries(es, policy(registry), get_json, now=NOW)
    fs = [f for f in findings_for(es, run) if f.rule == "metadata-mismatch"]
    assert [(f.line, f.message.split(" of ")[0]) for f in fs] == [(1, "the authors"), (2, "the authors")]
    assert "Smith, John; Müller, Karl" in fs[0].suggestion


def test_source_rules_find_nothing_without_a_source_check(audit) -> None:
    _, findings = audit("# Referensi\n\n1. Smith, J. (2020). Deep learning. Journal X. https://doi.org/10.1/none\n")
    assert not [f for f in findings if f.rule in ("doi-not-found", "reference-not-found", "missing-doi")]


# --- cache, CLI, report -----------------------------------------------------------------------------------

DOC = """# Paper

Rice yields rose (Smith & Müller, 2020) while others disagree (García & Wei, 2018; Smith, 2021).
Reviews were mixed (Rahman & Santoso, 2019; Kompas, 2023).

## Daftar Pustaka

García, M., & Wei, L. (2018). Vitamin supplements prevent seasonal influenza in adults. *Medical Hypotheses Quarterly*, 4, 1–9. https://doi.org/10.7777/med.2018.9

Kompas. (2023, 5 Mei). Harga beras naik lagi di pasar induk. Kompas.com. https://kompas.com/read/2023/05/05/harga-beras

Rahman, A., & Santoso, B. (2019). Sentiment analysis of online transport application reviews. *Jurnal Teknologi Informasi*, 5(2), 11–20.

Smith, J. (2021). Deep learning for wheat yield prediction in arid regions. *Journal of Agricultural Informatics*, 13(1), 1–9.

Smith, J., & Müller, K. (2020). Deep learning for rice yield prediction: A review. *Journal of Agricultural Informatics*, 12(3), 100–110. https://doi.org/10.1234/jai.2020.5
"""


def write_project(tmp_path: Path, srv: RegistryServer) -> tuple[Path, Path]:
    (tmp_path / "paper.md").write_text(DOC, encoding="utf-8")
    cfg = tmp_path / "auditor.toml"
    lines = ["[tool.auditor.sources]", 'mailto = "editor@example.org"', "rate = 50"]
    lines += [f'{k} = "{v}"' for k, v in srv.settings().items()]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "paper.md", cfg


def test_audit_check_sources_end_to_end_with_cache_offline_and_report(registry: RegistryServer, tmp_path: Path) -> None:
    doc, cfg = write_project(tmp_path, registry)
    db, html = tmp_path / "audit.db", tmp_path / "report"
    args = ["audit", str(doc), "--db", str(db), "--html", str(html), "--config", str(cfg), "--check-sources",
            "--format", "json", "--fail-on", "never", "--today", "2026-11-22"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rules = sorted((f["rule"], f["severity"]) for d in data["documents"] for f in d["findings"]
                   if f["rule"] in ("retracted-source", "reference-not-found", "missing-doi", "doi-not-found"))
    assert rules == [("missing-doi", "info"), ("reference-not-found", "warning"), ("retracted-source", "error")]
    import sqlite_utils

    rows = {r["key"]: r for r in sqlite_utils.Database(db).query("select * from sources")}
    assert rows["doi:10.7777/med.2018.9"]["verdict"] == "retracted"
    assert rows["doi:10.1234/jai.2020.5"]["registry"] == "crossref"
    assert sorted(r["status"] for r in rows.values()) == ["found", "found", "found", "not-found"]
    page = next((html / "documents").glob("paper*.html")).read_text(encoding="utf-8")
    assert "source: retracted" in page and "source: verified" in page and "not found in any registry" in page
    assert f'href="{registry.base}/crossref/works/10.7777%2Fmed.2018.9"' in page
    # Within cache-age the same audit asks nothing; --offline uses the cache only, and so finds the same.
    before = len(registry.hits)
    for extra in ([], ["--offline"]):
        again = CliRunner().invoke(cli, args + extra)
        assert again.exit_code == 0
        assert sorted((f["rule"], f["severity"]) for d in json.loads(again.output)["documents"] for f in d["findings"]
                      if f["rule"] in ("retracted-source", "reference-not-found", "missing-doi")) == rules
    assert len(registry.hits) == before


def test_offline_without_a_cache_reports_nothing_and_needs_check_sources(registry: RegistryServer, tmp_path: Path) -> None:
    doc, cfg = write_project(tmp_path, registry)
    args = ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--config", str(cfg), "--fail-on", "never"]
    result = CliRunner().invoke(cli, args + ["--check-sources", "--offline"])
    assert result.exit_code == 0 and "retracted-source" not in result.output and registry.hits == []
    assert "unchecked" in result.output
    assert CliRunner().invoke(cli, args + ["--offline"]).exit_code == 2


def test_sources_command_rechecks_stored_results(registry: RegistryServer, tmp_path: Path) -> None:
    """`auditor sources` looks up again what is older than --older-than and exits 1 when a work was retracted."""
    doc, cfg = write_project(tmp_path, registry)
    db = tmp_path / "audit.db"
    CliRunner().invoke(cli, ["audit", str(doc), "--db", str(db), "--no-html", "--config", str(cfg), "--check-sources"])
    fresh = CliRunner().invoke(cli, ["sources", "--db", str(db), "--config", str(cfg)])
    assert fresh.exit_code == 0 and "0 source(s) due" in fresh.output
    RICE_NOW = dict(RICE, updated_by=[{"type": "retraction", "label": "Retraction", "DOI": "10.1234/r"}])
    registry.by_doi["10.1234/jai.2020.5"] = RICE_NOW
    result = CliRunner().invoke(cli, ["sources", "--db", str(db), "--config", str(cfg), "--older-than", "0s"])
    assert result.exit_code == 1, result.output
    assert "4 source(s) due" in result.output and "found → retracted: Deep learning for rice yield" in result.output


# --- configuration ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, message", [
    ({"mailto": "not an address"}, "e-mail"),
    ({"crossref-url": "ftp://x"}, "base URL"),
    ({"rate": 0}, "above 0"),
    ({"rate": 500}, "at most 50"),
    ({"timeout": -1}, "seconds"),
    ({"cache-age": "forever"}, "not a duration"),
    ({"concurrency": 100}, "between"),
    ({"colour": "red"}, "unknown key"),
])
def test_sources_configuration_is_validated(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings({"sources": table})


def test_a_configuration_shipped_with_the_documents_cannot_move_the_registries(tmp_path: Path) -> None:
    """The private-address guard is off for registry URLs, so only the user's own configuration sets them."""
    docs = tmp_path / "work" / "docs"
    docs.mkdir(parents=True)
    (docs / "auditor.toml").write_text('[tool.auditor.sources]\ncrossref-url = "http://10.0.0.1/"\n'
                                       'mailto = "a@example.org"\n', encoding="utf-8")
    settings, notes = discover_settings(docs, cwd=tmp_path / "work")
    assert settings.sources.crossref_url == "https://api.crossref.org"
    assert settings.sources.mailto == "a@example.org"
    assert any("sources.crossref-url ignored" in n for n in notes)


def test_crossref_shapes_update_to_the_work_itself_and_translated_titles() -> None:
    """A publisher that re-deposits the work as its own retraction (update-to its own DOI) retracts it; an
    update-to another DOI makes this record a notice, not a retracted work."""
    client = Crossref("http://x", lambda *a: (404, {}, b""), rate=10, timeout=1)
    m = crossref_message({"doi": "10.1/a", "title": "RETRACTED: A study", "authors": [("A", "B")], "year": 2020})
    m["update-to"] = [{"DOI": "10.1/a", "type": "retraction", "label": "Retraction",
                       "updated": {"date-parts": [[2022, 1, 2]]}}]
    work = client.parse(m)
    assert work.retracted and work.notices[0].retracts and work.notices[0].date == "2022-01-02"
    m["update-to"] = [{"DOI": "10.1/other", "type": "retraction", "label": "Retraction"}]
    m["title"] = ["Retraction notice"]
    assert client.parse(m).notices == [] and not client.parse(m).retracted
