"""Accuracy of scholarly source verification (#11) on a seeded set of entries whose truth is known.

A fake registry (tests/registryserver.py, the real Crossref/OpenAlex/DataCite/doi.org shapes) holds
the "real" records; the entries cite them exactly, as drifted copies (online-first year, dropped
subtitle, diacritics, initials, Indonesian/English title, wrong year, dropped co-author, wrong journal,
volume or pages), by a wrong DOI, or are fabricated look-alikes (titles recombined from real ones,
real-looking authors and journals, with or without an invented DOI); some records are retracted
(a Crossref notice, OpenAlex's is_retracted, or both) or carry an expression of concern; news, laws,
grey literature and web pages are mixed in. Each entry is
written as APA or IEEE text, read by the real entry parser, verified and judged by the registered rules.

Usage: python bench/sources_accuracy.py [--seed 11] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from registryserver import RegistryServer  # noqa: E402

from auditor.checks import AuditContext, run_checks  # noqa: E402
from auditor.model import Document, ParsedDocument  # noqa: E402
from auditor.parsing.entries import parse_entry  # noqa: E402
from auditor.sources import SourcePolicy, verify_entries  # noqa: E402
from auditor.sources.http import get_json  # noqa: E402

METHODS = ["Deep learning", "A random forest model", "Machine learning", "A fuzzy logic approach", "Sentiment analysis",
           "Bayesian inference", "A systematic review", "Participatory mapping", "Remote sensing", "Community-based monitoring",
           "Spatial regression", "Topic modelling", "Convolutional neural networks", "A mixed-methods study",
           "Life cycle assessment", "Agent-based simulation"]
TASKS = ["rice yield prediction", "flood risk assessment", "dengue incidence forecasting", "peatland fire detection",
         "coral reef monitoring", "urban heat island mapping", "student dropout prediction", "mangrove loss estimation",
         "household energy use", "smallholder coffee productivity", "groundwater depletion", "landslide susceptibility",
         "online news credibility", "tuberculosis treatment adherence", "microfinance repayment", "traffic congestion"]
PLACES = ["in Central Java", "in Jakarta", "in East Kalimantan", "on Sumatra", "in the Mekong Delta", "in Bali",
          "in Sulawesi", "in rural Vietnam", "in Lombok", "in West Papua", "in coastal Bangladesh", "in Yogyakarta"]
ID_METHODS = ["Analisis", "Penerapan", "Pengaruh", "Evaluasi", "Perancangan sistem", "Studi kasus", "Implementasi"]
ID_TASKS = ["kepuasan pelanggan layanan daring", "kinerja guru sekolah dasar", "ketahanan pangan rumah tangga",
            "literasi digital mahasiswa", "pengelolaan sampah plastik", "minat beli produk halal",
            "produktivitas petani padi", "kualitas air sungai", "penggunaan dompet digital", "pariwisata berkelanjutan"]
ID_PLACES = ["di Kota Bandung", "di Kabupaten Sleman", "di Provinsi Aceh", "di Kota Makassar", "di Jawa Timur",
             "di Kabupaten Bogor", "di Kota Medan", "di Nusa Tenggara Barat"]
EN_OF_ID = {"Analisis": "An analysis of", "Penerapan": "Applying", "Pengaruh": "The effect of", "Evaluasi": "Evaluating",
            "Perancangan sistem": "Designing a system for", "Studi kasus": "A case study of",
            "Implementasi": "Implementing"}
GIVEN = ["Agus", "Siti", "Budi", "Dewi", "Rizky", "Putri", "Ahmad", "Nur", "Maria", "José", "Li", "Hannah", "Thomas",
         "Nguyễn", "Kenji", "Ayşe", "Søren", "Zoë", "Rahmat", "Indah", "Wahyu", "Fajar", "Ratna", "Andreas"]
FAMILY = ["Santoso", "Wijaya", "Pratama", "Hidayat", "Kusuma", "Setiawan", "Nugroho", "Rahmawati", "García", "Müller",
          "Nguyen", "Tanaka", "Yılmaz", "Østergaard", "Smith", "Dubois", "Sutanto", "Halim", "Saputra", "Lestari",
          "Fernández", "Kowalski", "Brennan", "Ishikawa", "Siregar", "Nasution", "Gunawan", "Hakim"]
JOURNALS = ["Journal of Environmental Management", "Jurnal Teknologi Informasi", "Remote Sensing Letters",
            "Indonesian Journal of Geography", "Jurnal Ekonomi dan Bisnis", "Applied Geography",
            "Jurnal Pendidikan Indonesia", "International Journal of Disaster Risk Reduction",
            "Jurnal Ilmu Lingkungan", "Public Health Reports Asia", "Computers and Electronics in Agriculture",
            "Jurnal Sistem Informasi"]
NON_SCHOLARLY = [
    "Kompas. ({y}, 5 Mei). Harga beras naik lagi di pasar induk {p}. Kompas.com. https://kompas.com/read/{y}/05/05/x{n}",
    "Undang-Undang Republik Indonesia Nomor {n} Tahun {y} tentang Pengelolaan Sumber Daya Air.",
    "Badan Pusat Statistik. ({y}). Statistik Indonesia {y}. Jakarta: BPS.",
    "World Bank. ({y}). Indonesia economic prospects: Towards a secure recovery (Report No. {n}). Washington, DC.",
    "Hidayat, R. ({y}, 2 Maret). Cara membuat peta banjir dengan QGIS [Blog post]. https://blog.example.id/p{n}",
    "Reuters. ({y}). Indonesia floods displace thousands {p}. https://www.reuters.com/world/asia/x{n}",
    "Peraturan Menteri Lingkungan Hidup Nomor {n} Tahun {y} tentang Baku Mutu Air Limbah.",
    "Kementerian Kesehatan RI. ({y}). Pedoman pencegahan dan pengendalian demam berdarah dengue. Jakarta.",
]


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(GIVEN), rng.choice(FAMILY)


def make_records(rng: random.Random, n: int) -> list[dict]:
    records, seen = [], set()
    while len(records) < n:
        if rng.random() < 0.3:
            method = rng.choice(ID_METHODS)
            task, place = rng.choice(ID_TASKS), rng.choice(ID_PLACES)
            title = f"{method} {task} {place}"
            english = f"{EN_OF_ID[method]} {task} {place}"  # (not a translation: a variant the journal deposits)
        else:
            title = f"{rng.choice(METHODS)} for {rng.choice(TASKS)} {rng.choice(PLACES)}"
            english = None
        if title.lower() in seen:
            continue
        seen.add(title.lower())
        year = rng.randint(2008, 2024)
        online = year - 1 if rng.random() < 0.3 else year
        authors = [person(rng) for _ in range(rng.randint(1, 4))]
        if len({f for _, f in authors}) < len(authors):
            continue
        i = len(records)
        first = rng.randint(1, 400)
        rec = {"doi": f"10.{rng.randint(1000, 9999)}/j.{year}.{i:04d}", "title": title, "authors": authors,
               "year": online, "print_year": year, "online_year": online, "journal": rng.choice(JOURNALS),
               "volume": str(rng.randint(1, 40)), "issue": str(rng.randint(1, 12)),
               "page": f"{first}-{first + rng.randint(5, 20)}"}
        if english:
            rec["other_titles"] = [english]
        if rng.random() < 0.3:
            rec["subtitle"] = rng.choice(["A review", "Evidence from panel data", "A case study",
                                          "Lessons from the field", "Studi kasus"])
        records.append(rec)
    return records


def apa(authors: list[tuple[str, str]], year: object, title: str, journal: str, vol: str, issue: str, page: str,
        doi: str | None, et_al: bool = False) -> str:
    names = [f"{f}, {g[0]}." for g, f in authors]
    who = names[0] + (" et al." if et_al else "") if et_al or len(names) == 1 else \
        ", ".join(names[:-1]) + ", & " + names[-1]
    tail = f" https://doi.org/{doi}" if doi else ""
    return f"{who} ({year}). {title}. {journal}, {vol}({issue}), {page.replace('-', '–')}.{tail}"


def ieee(n: int, authors: list[tuple[str, str]], year: object, title: str, journal: str, vol: str, issue: str,
         page: str, doi: str | None) -> str:
    names = [f"{g[0]}. {f}" for g, f in authors]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    tail = f", doi: {doi}." if doi else "."
    return f"[{n}] {who}, \u201c{title},\u201d {journal}, vol. {vol}, no. {issue}, pp. {page}, {year}{tail}"


def build(seed: int) -> tuple[list[dict], list[tuple[str, str, set[str]]]]:
    """(registry records, [(entry text, category, expected rules)])."""
    rng = random.Random(seed)
    records = make_records(rng, 170)
    real, retracted, concern, oa_retracted = records[:130], records[130:150], records[150:160], records[160:170]
    for r in retracted:
        r["updated_by"] = [{"type": rng.choice(["retraction", "retraction", "withdrawal"]), "label": "Retraction",
                            "DOI": r["doi"] + ".ret", "date": [2024, 2, 1]}]
    for r in concern:
        r["updated_by"] = [{"type": rng.choice(["expression_of_concern", "correction"]), "label": "Notice",
                            "DOI": r["doi"] + ".eoc", "date": [2023, 6, 1]}]
    for r in oa_retracted:
        r["registry"] = "openalex"
        r["retracted"] = True
    cases: list[tuple[str, str, set[str]]] = []
    n = 0

    def cite(r: dict, *, year: object = None, title: str | None = None, authors: list | None = None,
             journal: str | None = None, vol: str | None = None, page: str | None = None, doi: object = "keep",
             style: str | None = None) -> str:
        nonlocal n
        n += 1
        a = authors if authors is not None else r["authors"]
        t = title if title is not None else r["title"] + (f": {r['subtitle']}" if r.get("subtitle") else "")
        d = r["doi"] if doi == "keep" else doi
        args = (a, year if year is not None else r["print_year"], t, journal or r["journal"], vol or r["volume"],
                r["issue"], page or r["page"], d)
        return ieee(n, *args) if (style or rng.choice(["apa", "ieee"])) == "ieee" else apa(*args)  # type: ignore[arg-type]

    # Real records cited exactly, with and without their DOI.
    for r in real[:40]:
        cases.append((cite(r), "real", set()))
    for r in real[40:80]:
        cases.append((cite(r, doi=None), "real", {"missing-doi"}))
    # Honest variants that must raise nothing (but missing-doi when cited without the DOI).
    for i, r in enumerate(real[80:110]):
        doi = "keep" if i % 2 else None
        base = set() if doi == "keep" else {"missing-doi"}
        kind = i % 5
        if kind == 0:
            text = cite(r, year=r["online_year"], doi=doi)  # online-first year
        elif kind == 1:
            text = cite(r, title=r["title"], doi=doi)  # subtitle left out
        elif kind == 2:
            text = cite(r, authors=[(g, f.replace("ü", "u").replace("í", "i").replace("ø", "o").replace("ı", "i"))
                                    for g, f in r["authors"]], doi=doi)  # diacritics dropped
        elif kind == 3 and r.get("other_titles"):
            text = cite(r, title=r["other_titles"][0], doi=doi)  # the other title the journal deposited
        else:
            text = cite(r, title=r["title"].upper() if i % 3 else r["title"].lower(), doi=doi)  # case
        cases.append((text, "real-variant", base))
    # Drifted copies: one field wrong.
    for i, r in enumerate(real[110:130] + real[:20]):
        doi = "keep" if i % 2 else None
        base = set() if doi == "keep" else {"missing-doi"}
        kind = i % 5
        if kind == 0:
            text = cite(r, year=max(r["print_year"], r["online_year"]) + rng.choice([1, 2]), doi=doi)
        elif kind == 1 and len(r["authors"]) >= 2:
            text = cite(r, authors=r["authors"][:-1], doi=doi)
        elif kind == 2:
            text = cite(r, journal=rng.choice([j for j in JOURNALS if j != r["journal"]]), doi=doi)
        elif kind == 3:
            text = cite(r, vol=str(int(r["volume"]) + 3), doi=doi)
        else:
            first = int(r["page"].split("-")[0]) + 50
            text = cite(r, page=f"{first}-{first + 9}", doi=doi)
        cases.append((text, "drifted", base | {"metadata-mismatch"}))
    # Wrong DOIs: another real work's, or one that does not exist.
    for i, r in enumerate(real[20:45]):
        if i % 5 == 4:
            cases.append((cite(r, doi=r["doi"] + "9"), "wrong-doi", {"doi-not-found"}))
        else:
            other = real[(real.index(r) + 37) % len(real)]
            cases.append((cite(r, doi=other["doi"]), "wrong-doi", {"doi-mismatch"}))
    # Retracted works and notices, cited with and without the DOI.
    for i, r in enumerate(retracted):
        cases.append((cite(r, doi="keep" if i % 2 else None), "retracted",
                      {"retracted-source"} | (set() if i % 2 else {"missing-doi"})))
    for r in oa_retracted:
        cases.append((cite(r, doi=None), "retracted", {"retracted-source", "missing-doi"}))
    for i, r in enumerate(concern):
        cases.append((cite(r, doi="keep" if i % 2 else None), "concern",
                      {"source-concern"} | (set() if i % 2 else {"missing-doi"})))
    # Fabricated look-alikes: a real record's title with one part swapped, real-looking authors and journal.
    for i in range(60):
        r = rng.choice(real)
        fake = dict(r)
        if r.get("other_titles") is not None or r["title"].split()[0] in ID_METHODS:
            title = f"{rng.choice(ID_METHODS)} {rng.choice(ID_TASKS)} {rng.choice(ID_PLACES)}"
        else:
            words = r["title"].split(" for ")
            title = f"{words[0]} for {rng.choice(TASKS)} {rng.choice(PLACES)}" if i % 2 else \
                f"{rng.choice(METHODS)} for {words[1] if len(words) > 1 else rng.choice(TASKS)}"
        if any(title.lower() == x["title"].lower() for x in records):
            continue
        fake["title"] = title
        fake.pop("subtitle", None)
        fake["authors"] = r["authors"][:1] + [person(rng)] if i % 3 == 0 else [person(rng) for _ in range(2)]
        if i % 4 == 3:
            cases.append((cite(fake, doi=f"10.{rng.randint(1000, 9999)}/fake.{i}"), "fabricated", {"doi-not-found"}))
        else:
            cases.append((cite(fake, doi=None), "fabricated", {"reference-not-found"}))
    # What registries do not hold.
    for i in range(24):
        text = NON_SCHOLARLY[i % len(NON_SCHOLARLY)].format(y=rng.randint(2015, 2024), n=100 + i,
                                                             p=rng.choice(PLACES))
        cases.append((text, "non-scholarly", set()))
    # Works Crossref holds without a notice that OpenAlex marks as retracted (is_retracted), and works
    # both retract: cited with their DOI (OpenAlex asked in batches beside Crossref) or without (found
    # by searching Crossref, then asked of OpenAlex). Drawn from a second generator, after the rest, so
    # that the cases above stay as they were.
    known = {r["title"].lower() for r in records} | {r["doi"] for r in records}
    extra = [r for r in make_records(random.Random(seed + 1), 40)
             if r["title"].lower() not in known and r["doi"] not in known][:12]
    for i, r in enumerate(extra):
        r["doi"] = r["doi"].replace("/j.", "/oa.")
        r["retracted"] = True
        if i % 4 == 3:
            r["updated_by"] = [{"type": "retraction", "label": "Retraction", "DOI": r["doi"] + ".ret",
                                "date": [2025, 1, 15]}]
        records.append(r)
        keep = i % 3 != 2
        cases.append((cite(r, doi="keep" if keep else None), "retracted",
                      {"retracted-source"} | (set() if keep else {"missing-doi"})))
    return records, cases


SOURCE_RULES = {"doi-not-found", "doi-mismatch", "retracted-source", "source-concern", "reference-not-found",
                "metadata-mismatch", "missing-doi"}
ERROR_RULES = ("doi-not-found", "doi-mismatch", "retracted-source")


def evaluate(seed: int) -> dict:
    records, cases = build(seed)
    srv = RegistryServer(records).start()
    try:
        u = srv.settings()
        policy = SourcePolicy(crossref_url=u["crossref-url"], openalex_url=u["openalex-url"],
                              datacite_url=u["datacite-url"], doi_url=u["doi-url"], mailto="bench@example.org",
                              rate=200, concurrency=8)
        entries = []
        for i, (text, _, _) in enumerate(cases):
            e = parse_entry(text)
            e.index, e.line = i, i + 1
            entries.append(e)
        run = verify_entries(entries, policy, get_json, now=dt.datetime.now(dt.UTC))
    finally:
        srv.stop()
    doc = Document("bench.md", "markdown", "", "utf-8", [c[0] for c in cases])
    parsed = ParsedDocument(doc, [], entries, [], [])
    ctx = AuditContext(parsed, dt.date.today(), sources={entries[p].index: r for p, r in run.records.items()})
    findings = run_checks(ctx, SOURCE_RULES, strict=True)
    got: dict[int, set[str]] = {}
    for f in findings:
        got.setdefault((f.line or 0) - 1, set()).add(f.rule)
    per_rule = {}
    for rule in sorted(SOURCE_RULES):
        tp = sum(1 for i, c in enumerate(cases) if rule in c[2] and rule in got.get(i, set()))
        fp = sum(1 for i, c in enumerate(cases) if rule not in c[2] and rule in got.get(i, set()))
        fn = sum(1 for i, c in enumerate(cases) if rule in c[2] and rule not in got.get(i, set()))
        per_rule[rule] = {"tp": tp, "fp": fp, "fn": fn, "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                          "recall": round(tp / (tp + fn), 3) if tp + fn else None}
    fabricated = [i for i, c in enumerate(cases) if c[1] == "fabricated"]
    caught = [i for i in fabricated if got.get(i, set()) & {"reference-not-found", "doi-not-found", "doi-mismatch"}]
    real = [i for i, c in enumerate(cases) if c[1] in ("real", "real-variant", "drifted", "retracted", "concern",
                                                        "wrong-doi")]
    lost = [i for i in real if "reference-not-found" in got.get(i, set()) or
            ("doi-not-found" in got.get(i, set()) and "doi-not-found" not in cases[i][2])]
    mistakes = [{"entry": cases[i][0], "category": cases[i][1], "expected": sorted(cases[i][2]),
                 "got": sorted(got.get(i, set()))} for i in range(len(cases)) if got.get(i, set()) != cases[i][2]]
    return {"seed": seed, "entries": len(cases), "categories": dict(Counter(c[1] for c in cases)),
            "per_rule": per_rule, "fabricated_recall": round(len(caught) / len(fabricated), 3),
            "fabricated": len(fabricated), "real_reported_not_found": len(lost), "mistakes": mistakes,
            "requests": run.requests}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--mistakes", action="store_true", help="print every entry whose findings differ from the truth")
    args = ap.parse_args()
    result = evaluate(args.seed)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    print(f"{result['entries']} entries (seed {args.seed}): "
          + ", ".join(f"{n} {c}" for c, n in result["categories"].items()))
    print("| rule | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    for rule, m in result["per_rule"].items():
        print(f"| `{rule}` | {m['tp']} | {m['fp']} | {m['fn']} | {m['precision']} | {m['recall']} |")
    print(f"fabricated references caught: {result['fabricated_recall']} of {result['fabricated']}; "
          f"real entries reported not found: {result['real_reported_not_found']}")
    if args.mistakes:
        for m in result["mistakes"]:
            print(json.dumps(m, ensure_ascii=False))
    ok = all((m["precision"] or 1) >= 0.97 for r, m in result["per_rule"].items() if r in ERROR_RULES)
    ok = ok and result["fabricated_recall"] >= 0.95 and result["real_reported_not_found"] == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
