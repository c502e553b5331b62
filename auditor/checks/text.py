"""Checks on the text around the citations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.checks.registry import AuditContext, Hit, rule
from auditor.model import Citation, Severity, year_number
from auditor.parsing.dates import HAS_YEAR, find_dates

QUOTE = re.compile(r"(?=[“\"‘])(?:“([^”]{3,600})”|(?<![\w])\"([^\"\n]{3,600}?)\"(?![\w])|‘([^’]{3,400})’)")
TITLE_CUE = re.compile(r"(?:judul|berjudul|bertajuk|entitled|titled|title|called|disebut|istilah|slogan|tagline|"
                       r"kampanye|campaign|hashtag|tema|theme)\s*[:,]?\s*$", re.I)
MIN_WORDS = 150
ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|saying|stated|states|stating|argued|argues|wrote|writes|told|tells|claimed|claims|"
    r"explained|explains|noted|notes|added|adds|according\s+to|remarked|declared|announced|insisted|warned|"
    r"mengatakan|menyatakan|berkata|kata|katanya|ujar|ujarnya|tutur|tuturnya|menurut|menegaskan|"
    r"menyebut|menyebutkan|menjelaskan|mengungkapkan|menambahkan|menilai|berpendapat|bilang|"
    r"menekankan|mengklaim|memperingatkan|mengutip|dikutip|disampaikan|menuturkan|mengucapkan)\b",
    re.I,
)


IDIOM = re.compile(r"\b(?:that\s+being|having|that\s+is\s+not\s+to\s+be)\s+said\b|\bneedless\s+to\s+say\b", re.I)
HYPOTHETICAL = re.compile(r"\b(?:could|would|might|may|can|should|must|bisa|dapat|akan|mungkin|boleh|might\s+well)"
                          r"(?:\s+\w+)?\s*$", re.I)


def _cited_year(ctx: AuditContext, c: Citation) -> int | None:
    if year_number(c.year) is not None:
        return year_number(c.year)
    entry = ctx.entry(c.entry_index)
    if entry is not None and entry.refers_to is not None:
        entry = ctx.entry(entry.refers_to)
    return entry.year_value if entry is not None else None


@rule("anachronistic-citation", severity=Severity.WARNING, family="text",
      description="The passage a citation supports names a date later than the cited source's year.",
      message="the passage before \u201c{citation}\u201d mentions {date}, after the source's year {year}",
      fix="Cite a source from {after} or later for this event, or check the citation's year.",
      example="Pada 2 Oktober 2024, \u2026 (VOA Indonesia 2022)")
def anachronistic_citation(ctx: AuditContext) -> Iterator[Hit]:
    by_paragraph: dict[int, list[Citation]] = {}
    for c in ctx.parsed.citations:
        by_paragraph.setdefault(c.paragraph, []).append(c)
    for para in ctx.parsed.paragraphs:
        cites = sorted(by_paragraph.get(para.index, []), key=lambda c: c.offset)
        previous_end = 0
        for c in cites:
            start = min(c.group_start, c.offset)
            passage = para.text[previous_end:start]
            # The passage a citation supports stops at a blank line, even one that splits a sentence.
            passage = passage.rsplit("\n\n", 1)[-1]
            previous_end = max(previous_end, c.offset + len(c.raw))
            year = _cited_year(ctx, c)
            if year is None or not any(int(y.group(0)) > year for y in HAS_YEAR.finditer(passage)):
                continue  # (every date form writes its year in digits: no later year, no later date)
            # Only a date to the day is evidence of a dated event; "in February 2024" is too often context.
            # (Month-and-year forms are read last, so leaving them out changes no dated match.)
            later = [d for d in find_dates(passage, month_year=False) if d.date.day and d.date.year > year]
            if later:
                d = later[-1]
                yield Hit(c.line, {"citation": " ".join(c.raw.split()), "date": d.text, "year": year,
                                   "after": d.date.year}, citation=c)


def _title_case(text: str) -> bool:
    ws = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 3]
    if not ws:
        return True
    capital = sum(1 for w in ws if w[0].isupper())
    return capital >= 0.6 * len(ws)


@rule("unsupported-quote", severity=Severity.INFO, family="text",
      description="A direct quotation of four or more words in a paragraph that carries no citation.",
      message="the quotation \u201c{quote}\u201d has no citation in its paragraph",
      fix="Cite the source of the quotation.",
      example="\u2026 mengatakan yang paling dibutuhkan adalah \"pendapatan devisa dari para pekerja.\"")
def unsupported_quote(ctx: AuditContext) -> Iterator[Hit]:
    parsed = ctx.parsed
    if not ctx.whole.entries and not ctx.whole.citations:
        return
    cited = {c.paragraph for c in parsed.citations}
    for para in parsed.paragraphs:
        if para.index in cited or para.text.lstrip().startswith(("#", "|", "[Figure", "[Table", ">")):
            continue
        for m in QUOTE.finditer(para.text):
            quote = next(g for g in m.groups() if g is not None)
            if len(quote.split()) < 4 or _title_case(quote) or TITLE_CUE.search(para.text[: m.start()]):
                continue
            if re.search(r"\d+\.\d+\.\d+", quote) or len(re.findall(r"[^\W\d_]{3,}", quote)) < 2:
                continue  # a command or a value ("ip address 172.16.128.1 255.255.255.0"), not a quotation
            # A quotation put in someone's mouth: an attribution verb in its sentence, before or after it.
            sentence_start = max(para.text.rfind(". ", 0, m.start()), para.text.rfind("\n\n", 0, m.start()), 0)
            around = para.text[sentence_start: m.start()] + " " + para.text[m.end(): m.end() + 60]
            around = IDIOM.sub(" ", around)  # "That being said, …" attributes nothing
            attribution = ATTRIBUTION.search(around)
            if not attribution:
                continue
            gerund = attribution.group(0).lower().endswith("ing") and re.search(
                r"\b(?:with|by|than|of|about|without|like|from|for)\s*$", around[: attribution.start()], re.I)
            if HYPOTHETICAL.search(around[: attribution.start()]) or gerund:
                continue  # "an economist could say, “…”": words put in nobody's mouth
            line, column = para.where(m.start())
            yield Hit(line, {"quote": " ".join(quote.split())[:80]}, column=column,
                      subject=f"quote:{' '.join(quote.split())[:80]}")
            break


@rule("unsourced-document", severity=Severity.WARNING, family="text",
      description="Substantial text with neither citations nor a reference list.",
      message="the document has {words} words of text but no citation and no reference list",
      fix="Add the sources the text relies on, cited in the text and listed at the end.",
      example="an opinion piece that states facts (dates, treaties) without any source")
def unsourced_document(ctx: AuditContext) -> Iterator[Hit]:
    parsed = ctx.parsed
    if ctx.whole.entries or ctx.whole.citations:
        return
    count = sum(len(re.findall(r"[^\W\d_]{2,}", p.text)) for p in parsed.paragraphs)
    if count >= MIN_WORDS:
        yield Hit(None, {"words": count}, subject="document")


@rule("encoding-artifact", severity=Severity.INFO, family="text",
      description="Mojibake such as \u201c\u00c2\u201d (UTF-8 read as Latin-1) was found and repaired in the audit.",
      message="line {line} had mis-encoded characters (mojibake such as \u201c\u00c2\u201d)",
      fix="Re-save the document as UTF-8 and fix the damaged characters.",
      example="dominasinya.\u00c2")
def encoding_artifact(ctx: AuditContext) -> Iterator[Hit]:
    for number in ctx.parsed.document.repaired_lines:
        yield Hit(number, {"line": number}, subject=f"line:{ctx.parsed.document.line(number)[:80]}")
