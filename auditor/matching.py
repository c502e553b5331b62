"""Match citations to entries: exact names first, then family names, then co-authors; fuzzy only to suggest.

A citation resolves to the entry with the same author(s) and year after normalisation. Two entries
that fit equally make it ambiguous; a misspelt name does not resolve but gets the closest entry as a
suggestion (rapidfuzz).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from auditor.model import Citation, CitationStatus, Entry, ParsedDocument
from auditor.parsing.citations import narrative_evidence
from auditor.parsing.text import PARTICLES, compact_key, fold

INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")


def _strip_initials(name: str) -> str:
    """Drop trailing initials ("Siegert A" → "Siegert"); a leading acronym ("VOA Indonesia") stays."""
    words = name.replace(",", " ").split()  # (str.split and \s agree on what whitespace is)
    while len(words) > 1 and INITIALS.fullmatch(words[-1]):
        words.pop()
    return " ".join(words)


@dataclass
class EntryKeys:
    """The ways an entry's authors may be cited."""

    full: set[str] = field(default_factory=set)  # whole first author or organisation
    family: set[str] = field(default_factory=set)  # first author's family name candidates
    others: set[str] = field(default_factory=set)  # co-authors' family names
    second: set[str] = field(default_factory=set)  # second author's family name candidates


BRACKETED = re.compile(r"[\[(]([^\])]{2,20})[\])]")
BRACKETED_SPAN = re.compile(r"\s*[\[(][^\])]*[\])]")


def entry_keys(entry: Entry) -> EntryKeys:
    keys = EntryKeys()
    text = entry.author_text
    if not text:
        return keys
    keys.full.add(compact_key(text))
    keys.full.add(compact_key(_strip_initials(text)))
    # "Badan Pusat Statistik [BPS]": cited by the name or by the abbreviation.
    for inner in BRACKETED.findall(text):
        keys.full.add(compact_key(inner))
    bare = BRACKETED_SPAN.sub("", text)
    if bare != text:
        keys.full.add(compact_key(bare))
    authors = entry.authors or [text]
    for position, author in enumerate(authors):
        segment = author.split(",")[0] if "," in author else author
        bare = _strip_initials(segment)
        words = [w for w in bare.split() if w]
        cands = {compact_key(bare)}
        if words:
            cands.add(compact_key(words[-1]))
            # "Yang Song" (given name first) is cited as Song, never as Yang; "Siegert A" or a single
            # name may be cited by its first word.
            # "Yang Song" (given name first) is cited as Song, never as Yang; a single name, "Siegert A"
            # (family name, then initials) or "Tarumingkeng Rudy C" may be cited by the first word.
            if len(words) == 1 or "," in author or bare != segment.strip() or not _given_first(words):
                cands.add(compact_key(words[0]))
            # "van Heel", "de la Cruz": family names with their particles.
            for i, w in enumerate(words):
                if fold(w) in PARTICLES:
                    cands.add(compact_key(" ".join(words[i:])))
        cands.discard("")
        if position == 0:
            keys.full.add(compact_key(author))
            keys.full.add(compact_key(segment))
            keys.family |= cands
        else:
            keys.others |= cands
            if position == 1:
                keys.second |= cands
    keys.full.discard("")
    return keys


def _given_first(words: list[str]) -> bool:
    """"Yang Song", "Stefano Ermon", "Balkan Devlen": two or three capitalised words, none an initial."""
    return 2 <= len(words) <= 3 and all(re.fullmatch(r"[A-Z][a-z][\w'’\-]*", w) for w in words)


def citation_keys(names: list[str], loose: bool = False) -> list[set[str]]:
    """Comparison keys per cited name; loose adds the first word alone ("Mardalis Jakarta" → mardalis)."""
    out = []
    for name in names:
        cands = {compact_key(name), compact_key(_strip_initials(name))}
        if loose and name.split():
            cands.add(compact_key(name.split()[0]))
        cands.discard("")
        out.append(cands)
    return out


def year_fits(cited: str | None, entry: Entry) -> bool:
    if cited is None or entry.year is None:
        return True  # an entry with no year at all is missing-year's finding, not the citation's
    have = entry.year or "n.d."
    if cited == have:
        return True
    if cited == "n.d." or have == "n.d.":
        return False
    # "2024" cites "2024a" only when it is the one entry; the caller treats several as ambiguous.
    return cited[:4] == have[:4] and (len(cited) == 4 or len(have) == 4)


def name_tier(cit_names: list[set[str]], keys: EntryKeys, et_al: bool = False) -> int | None:
    """1: the whole first author or organisation; 2: the first author's family name; 3: the second author.

    "X et al." says X is the first author, so it never matches X as a co-author.
    """
    if not cit_names:
        return None
    first = cit_names[0]
    tier = None
    if first & keys.full:
        tier = 1
    elif first & keys.family:
        tier = 2
    elif first & keys.second and not et_al and len(cit_names) == 1:
        tier = 3
    if tier is None:
        return None
    if len(cit_names) > 1 and tier < 3:
        second = cit_names[1]
        if not (second & (keys.others | keys.full | keys.family)):
            return None
    return tier


class KeyIndex:
    """The keyed entries with, for each name key, the entries that key can name as first or second
    author: a citation compares itself with those entries only (name_tier is None for every other),
    so matching costs the same per citation however long the list is."""

    def __init__(self, keyed: list[tuple[Entry, EntryKeys]]) -> None:
        self.keyed = keyed
        self.by_key: dict[str, list[int]] = {}
        for position, (_, keys) in enumerate(keyed):
            for key in keys.full | keys.family | keys.second:
                self.by_key.setdefault(key, []).append(position)

    def candidates(self, cit_names: list[set[str]]) -> list[tuple[Entry, EntryKeys]]:
        """The entries a citation's first name may name, in list order."""
        if not cit_names:
            return []
        found: set[int] = set()
        for key in cit_names[0]:
            found.update(self.by_key.get(key, ()))
        return [self.keyed[i] for i in sorted(found)]


def match_citations(parsed: ParsedDocument) -> None:
    """Set entry_index, status and suggestions on every citation of the document."""
    entries = [e for e in parsed.entries if e.kind != "fragment"]
    keyed = KeyIndex([(e, entry_keys(e)) for e in entries if e.kind in ("reference", "note")])
    by_number = {}
    for e in parsed.entries:
        if e.number is not None and (e.group, e.number) not in by_number:
            by_number[(e.group, e.number)] = e
    by_key = {fold(e.key): e for e in reversed(parsed.entries) if e.key}
    kept: list[Citation] = []
    for cit in parsed.citations:
        if cit.kind in ("label", "pandoc", "key"):
            _resolve_exactly(cit, by_key.get(fold(cit.raw)))
            kept.append(cit)
            continue
        if cit.kind in ("glued-key", "bare"):
            # "Graves2014" is a citation only when it names an entry; otherwise it is just a word.
            if _match_author_year(cit, keyed) and cit.status == "resolved":
                kept.append(cit)
            continue
        if cit.number is not None:
            _resolve_exactly(cit, by_number.get((cit.group, cit.number)))
            kept.append(cit)
            continue
        if cit.readings:
            _choose_reading(cit, cit.readings, keyed)
        matched = _match_author_year(cit, keyed)
        if cit.kind == "narrative" and cit.status == "unresolved" and cit.paragraph < len(parsed.paragraphs) \
                and not narrative_evidence(cit, parsed.paragraphs[cit.paragraph]):
            continue  # a capitalised phrase before a year in brackets, not a citation
        if matched or cit.kind not in ("author-only", "author-page"):
            kept.append(cit)
    for i, cit in enumerate(kept):
        cit.index = i
    parsed.citations = kept


def _resolve_exactly(cit: Citation, entry: Entry | None) -> None:
    """A number or a label names its entry exactly, or none."""
    if entry is not None:
        cit.entry_index = entry.index
        cit.candidates = [entry.index]
        cit.status = CitationStatus.RESOLVED


def _choose_reading(cit: Citation, readings: list, keyed: KeyIndex) -> None:
    """Of the possible name starts before "(2005)", take the one that names an entry."""
    best = None
    for start, names, et_al, _first in readings:
        keys = citation_keys(names)
        maybe = [name_tier(keys, k, et_al) for e, k in keyed.candidates(keys) if year_fits(cit.year, e)]
        tiers = [t for t in maybe if t is not None]
        if tiers:
            score = (min(tiers), -len(names))
            if best is None or score < best[0]:
                best = (score, start, names, et_al)
    if best is None:
        return
    _, start, names, et_al = best
    if cit.raw == cit.year:  # the second year of "Gunanto (2020a, 2020b)" keeps its place
        cit.names, cit.et_al = names, et_al
        return
    shift = start - cit.offset
    cit.names, cit.et_al = names, et_al
    if shift:
        cit.raw = cit.raw[shift:] if shift > 0 else cit.raw
        cit.offset = start
        cit.column = cit.column + shift


def _match_author_year(cit: Citation, keyed: KeyIndex) -> bool:
    """Resolve one author-year citation; False when an author-only candidate names no entry."""
    keys = citation_keys(cit.names, loose=cit.kind == "author-only")
    by_tier: dict[int, list[Entry]] = {}
    by_name: dict[int, list[Entry]] = {}
    for entry, ek in keyed.candidates(keys):
        tier = name_tier(keys, ek, cit.et_al)
        if tier is None:
            continue
        by_name.setdefault(tier, []).append(entry)
        if cit.kind in ("author-only", "author-page") or year_fits(cit.year, entry):
            by_tier.setdefault(tier, []).append(entry)
    if cit.kind == "author-page":
        # MLA names the author and a page; the entry is the author's work (one, or ambiguous).
        close = by_name.get(1, []) + by_name.get(2, [])
        if not close:
            return False
        cit.candidates = [e.index for e in close]
        cit.status = CitationStatus.RESOLVED if len(close) == 1 else CitationStatus.AMBIGUOUS
        cit.entry_index = close[0].index if len(close) == 1 else None
        return True
    if cit.kind == "author-only":
        close = by_name.get(1, []) + by_name.get(2, [])
        if not close:
            return False
        cit.candidates = [e.index for e in close]
        cit.status = CitationStatus.MISSING_YEAR
        if len(close) == 1:
            cit.entry_index = close[0].index
            cit.suggestion_index = close[0].index
        return True
    if by_tier:
        tier = min(by_tier)
        found = by_tier[tier]
        exact = [e for e in found if (e.year or "n.d.") == cit.year]
        if len(found) > 1 and len(exact) == 1:
            found = exact
        cit.candidates = [e.index for e in found]
        if len(found) == 1:
            cit.entry_index = found[0].index
            cit.status = CitationStatus.NOT_FIRST_AUTHOR if tier == 3 else CitationStatus.RESOLVED
        else:
            cit.status = CitationStatus.AMBIGUOUS
        return True
    named = by_name.get(1, []) + by_name.get(2, [])
    if named:
        cit.candidates = [e.index for e in named]
        cit.status = CitationStatus.YEAR_MISMATCH
        if len(named) == 1:
            cit.suggestion_index = named[0].index
        return True
    cit.status = CitationStatus.UNRESOLVED
    cit.suggestion_index = suggest_entry(cit, keyed.keyed)
    return True


def suggest_entry(cit: Citation, keyed: list[tuple[Entry, EntryKeys]]) -> int | None:
    """The entry whose author is spelt most like the citation's (and, on a tie, has its year)."""
    if not cit.names or not keyed:
        return None
    entries = [e for e, _ in keyed]
    target = compact_key(_strip_initials(cit.names[0]))
    if len(target) < 3:
        return None
    choices: dict[tuple[int, str], str] = {}
    for e, keys in keyed:
        for k in keys.full | keys.family:
            if len(k) >= 3:
                choices.setdefault((e.index, k), k)
    best = process.extract(target, choices, scorer=fuzz.ratio, limit=5, score_cutoff=80)
    if not best:
        return None
    ranked = sorted(best, key=lambda b: (-b[1], 0 if _year_of(entries, b[2][0]) == cit.year else 1))
    return ranked[0][2][0]


def _year_of(entries: list[Entry], index: int) -> str | None:
    for e in entries:
        if e.index == index:
            return e.year
    return None


def link_notes_to_bibliography(entries: list[Entry]) -> None:
    """In notes-and-bibliography style, point each note at the bibliography entry of the same work.

    "Rizal Sukma, *Islam in Indonesian Foreign Policy* (London: Routledge, 2003), 45." and
    "Sukma, Rizal. 2003. *Islam in Indonesian Foreign Policy*." share a family name and a title.
    """
    notes = [e for e in entries if e.is_footnote and e.kind == "note"]
    bibliography = [e for e in entries if not e.is_footnote and e.kind == "reference"]
    if not notes or not bibliography:
        return
    keyed = [(b, entry_keys(b)) for b in bibliography]
    # Each note is compared only with the entries that share a name with it, found by name.
    by_name: dict[str, list[int]] = {}
    for position, (_, bk) in enumerate(keyed):
        for key in bk.full | bk.family | bk.others:
            by_name.setdefault(key, []).append(position)
    for note in notes:
        nk = entry_keys(note)
        names = nk.full | nk.family | nk.others
        best, best_score = None, 0.0
        sharing: set[int] = set()
        for key in names:
            sharing.update(by_name.get(key, ()))
        for position in sorted(sharing):
            b, bk = keyed[position]
            score = 0.0
            if note.title and b.title:
                score = fuzz.token_set_ratio(fold(note.title), fold(b.title))
            if note.year and note.year == b.year:
                score = max(score, 70.0) + 10
            if score > best_score:
                best, best_score = b, score
        if best is not None and best_score >= 75:
            note.source = best.index
