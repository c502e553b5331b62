"""Benchmark reading and auditing structured formats: time `auditor audit FILE --no-html --db …` end to end.

Usage: python bench/formats_bench.py [FILE ...]

Without arguments it times two Word documents (goal: under 2 s each on the reference machine):
- the demo paper `references/004_5a448dbc96d01709.docx` (pandoc-made; 37 pages as LibreOffice lays it out);
- a generated 30-page thesis chapter: 300 body paragraphs, 150 footnotes (a third of them "Ibid., hlm. N"),
  150 Zotero citation fields and a Zotero bibliography field of 100 items.
Each file is audited three times in a fresh process; the best and the median wall times are printed.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORDS = ("pertahanan kawasan kebijakan luar negeri aliansi keamanan regional negara struktur sistem "
         "internasional kerja sama militer diplomasi analisis data teori realisme").split()


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def zotero_field(n: int, visible: str) -> str:
    item = {"id": n, "uris": [f"http://zotero.org/users/1/items/I{n}"],
            "itemData": {"id": n, "type": "article-journal", "title": f"Kajian Kawasan Nomor {n} tentang Aliansi",
                         "author": [{"family": f"Penulis{n}", "given": "Ahmad"}], "issued": {"date-parts": [[2000 + n % 24]]},
                         "container-title": "Jurnal Pertahanan", "DOI": f"10.1234/jp.{n}"}}
    instr = " ADDIN ZOTERO_ITEM CSL_CITATION " + json.dumps(
        {"citationID": f"c{n}", "properties": {"plainCitation": visible, "noteIndex": 0}, "citationItems": [item]})
    chunks = "".join(f"<w:r><w:instrText xml:space=\"preserve\">{instr[i:i + 80].replace('&', '&amp;').replace('<', '&lt;')}"
                     "</w:instrText></w:r>" for i in range(0, len(instr), 80))
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>{chunks}<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'{run(visible)}<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def generated(path: Path) -> None:
    paragraphs, notes = [], []
    note = 0
    for i in range(300):
        words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(90))
        parts = [run(f"Paragraf {i}: {words.capitalize()}. ")]
        if i % 2 == 0:
            n = i // 2 % 100 + 1
            parts.append(zotero_field(n, f"(Penulis{n}, {2000 + n % 24})"))
            parts.append(run(" dan seterusnya."))
        else:
            note += 1
            parts.append(f'<w:r><w:footnoteReference w:id="{note}"/></w:r>')
            text = "Ibid., hlm. 5." if note % 3 == 0 else f"Penulis{note}, Kajian Kawasan (Bandung: Pustaka, 2010), hlm. {note}."
            notes.append(f'<w:footnote w:id="{note}"><w:p>{run(text)}</w:p></w:footnote>')
        if i % 40 == 0:
            paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr>{run(f"Bagian {i // 40 + 1}")}</w:p>')
        paragraphs.append(f"<w:p>{''.join(parts)}</w:p>")
    paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>{run("Daftar Pustaka")}</w:p>')
    bib = []
    for n in range(1, 101):
        text = f"Penulis{n}, A. ({2000 + n % 24}). Kajian Kawasan Nomor {n} tentang Aliansi. Jurnal Pertahanan."
        start = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> ADDIN ZOTERO_BIBL {} CSL_BIBLIOGRAPHY'
                 ' </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>') if n == 1 else ""
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>' if n == 100 else ""
        bib.append(f"<w:p>{start}{run(text)}{end}</w:p>")
    document = f'<w:document xmlns:w="{W}" xmlns:r="{R}"><w:body>{"".join(paragraphs + bib)}</w:body></w:document>'
    styles = (f'<w:styles xmlns:w="{W}"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/>'
              '</w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style></w:styles>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{R}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId2" Type="{R}/footnotes" Target="footnotes.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", document)
        z.writestr("word/styles.xml", styles)
        z.writestr("word/footnotes.xml", f'<w:footnotes xmlns:w="{W}">{"".join(notes)}</w:footnotes>')
        z.writestr("word/_rels/document.xml.rels", rels)


def timed(path: Path, db: Path) -> tuple[list[float], str]:
    times = []
    out = ""
    for _ in range(3):
        db.unlink(missing_ok=True)
        start = time.perf_counter()
        result = subprocess.run([str(ROOT / ".venv" / "bin" / "auditor"), "audit", str(path), "--no-html", "--db",
                                 str(db), "-q", "--fail-on", "never"], capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        out = (result.stdout.strip().splitlines() or [result.stderr.strip()])[0]
    return times, out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(a) for a in sys.argv[1:]]
        if not files:
            made = Path(tmp) / "generated-30-pages.docx"
            generated(made)
            files = [ROOT / "references" / "004_5a448dbc96d01709.docx", made]
        for path in files:
            times, summary = timed(path, Path(tmp) / "x.db")
            print(f"{path.name}: {path.stat().st_size // 1024} KB; best {min(times):.2f} s, median "
                  f"{statistics.median(times):.2f} s — {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
