"""CSL-JSON and CSL-YAML bibliographies: exact records on the lines where items start, bounded parsing,
entry-level rules only, and audited only when named (not every .json found in a folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.audit import audit_paths, collect_paths
from auditor.config import Settings
from auditor.documents import load_document
from auditor.errors import DocumentError
from auditor.model import PartialDate
from auditor.parsing import parse_document
from tests.conftest import TODAY

CSL_JSON = """[
  {
    "id": "doe2020",
    "type": "article-journal",
    "author": [{"family": "Doe", "given": "Jane"}, {"family": "Gogh", "given": "Vincent",
               "non-dropping-particle": "van"}],
    "issued": {"date-parts": [[2020, 5, 17]]},
    "title": "Sourcing in local news",
    "container-title": "Journalism Studies",
    "volume": 21, "issue": "4", "page": "455-470",
    "DOI": "https://doi.org/10.1080/1461670X.2020.1234567"
  },
  {"id": "pew2021", "type": "webpage", "author": [{"literal": "Pew Research Center"}],
   "issued": {"raw": "2021-03-02"}, "title": "State of the news media",
   "URL": "https://www.pewresearch.org/journalism/fact-sheet/",
   "accessed": {"date-parts": [["2024", "1", "15"]]}},
  {"id": "anon", "type": "book", "title": "A book without a year"}
]
"""
CSL_YAML = """---
references:
- id: doe2020
  type: article-journal
  author:
  - family: Doe
    given: Jane
  issued:
    date-parts:
    - [2020]
  title: Sourcing in local news
  container-title: Journalism Studies

- id: roe2019
  type: book
  author:
  - family: Roe
    given: Richard
  issued: 2019-04
  title: Weekly papers
...
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def audit(*paths: Path):
    return audit_paths([str(p) for p in paths], Settings(), today=TODAY)


def test_csl_json_items_are_exact_records_on_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.json", CSL_JSON)
    doc = load_document(path)
    assert doc.format == "csl-json"
    parsed = parse_document(doc)
    doe, pew, anon = parsed.entries
    lines = CSL_JSON.split("\n")
    assert lines[doe.line - 1].strip() == "{" and lines[doe.end_line - 1].strip() == "},"
    assert lines[pew.line - 1].lstrip().startswith('{"id": "pew2021"')
    assert (doe.key, pew.key, anon.key) == ("doe2020", "pew2021", "anon")
    assert doe.authors == ["Doe, Jane", "van Gogh, Vincent"]
    assert (doe.year, doe.title, doe.container) == ("2020", "Sourcing in local news", "Journalism Studies")
    assert doe.doi == "10.1080/1461670X.2020.1234567"
    assert doe.published == PartialDate(2020, 5, 17)
    assert doe.record is not None and (doe.record.volume, doe.record.issue, doe.record.pages) == ("21", "4", "455-470")
    assert pew.authors == ["Pew Research Center"] and pew.year == "2021"
    assert pew.urls == ["https://www.pewresearch.org/journalism/fact-sheet/"]
    assert pew.accessed == PartialDate(2024, 1, 15)
    assert anon.year is None and anon.record is not None and anon.record.missing == ["author", "issued"]
    assert doc.locator(doe.line) == f"refs.json:{doe.line}"


def test_csl_yaml_items_on_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.yaml", CSL_YAML)
    parsed = parse_document(load_document(path))
    doe, roe = parsed.entries
    assert (doe.line, roe.line) == (3, 14)
    assert doe.end_line == 12  # the blank line after the item is not part of it
    assert roe.authors == ["Roe, Richard"] and roe.published == PartialDate(2019, 4)
    # A bare list of items is CSL-YAML too.
    bare = write(tmp_path, "list.yml", "- id: a1\n  title: One\n  issued: 2001\n- id: b2\n  title: Two\n")
    assert [(e.key, e.line) for e in parse_document(load_document(bare)).entries] == [("a1", 1), ("b2", 4)]


def test_standalone_database_gets_entry_level_rules_only(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.json", CSL_JSON)
    result = audit(path)
    (doc,) = result.documents
    rules = {f.rule for f in doc.findings}
    assert "missing-year" in rules  # the book without a year
    assert not rules & {"uncited-entry", "bibliography-order", "unsourced-document", "reference-list-not-found"}
    missing = [f for f in doc.findings if f.rule == "missing-year"]
    assert [f.line for f in missing] == [parse_document(load_document(path)).entries[2].line]


def test_access_before_publication_in_a_csl_item(tmp_path: Path) -> None:
    item = [{"id": "x", "type": "webpage", "title": "T", "author": [{"family": "A", "given": "B"}],
             "issued": {"date-parts": [[2024, 6, 1]]}, "accessed": {"date-parts": [[2023, 1, 2]]},
             "URL": "https://example.org/page"}]
    path = write(tmp_path, "refs.json", json.dumps(item, indent=2))
    (doc,) = audit(path).documents
    assert [f.rule for f in doc.findings if f.severity.value == "error"] == ["access-before-publication"]


@pytest.mark.parametrize(("name", "text", "says"), [
    ("bad.json", '[{"id": "a",}]', "not CSL-JSON: Expecting property name"),
    ("obj.json", '"just a string"', "holds an array of items"),
    ("noid.json", '[{"title": "x"}]', "no item has an \"id\""),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("bad.yaml", "references:\n- id: a\n  title: [unclosed\n", "not CSL-YAML"),
    ("none.yaml", "title: a paper\n", "no list of references"),
    ("deep.yaml", "[" * 5000 + "]" * 5000, "not CSL-YAML"),
])
def test_bad_bibliographies_give_one_clear_error(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert says in str(info.value) and str(info.value).startswith(str(path))


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("references:\n- id: bomb\n  title: *a9")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    with pytest.raises(DocumentError, match="alias"):
        load_document(path)


def test_json_and_yaml_in_a_folder_are_audited_only_when_named(tmp_path: Path) -> None:
    write(tmp_path, "config.json", '{"debug": true}')
    write(tmp_path, "environment.yml", "name: env\ndependencies: [python]\n")
    write(tmp_path, "refs.json", CSL_JSON)
    write(tmp_path, "notes.md", "A short note without sources.\n")
    found, problems = collect_paths([str(tmp_path)])
    assert [p.name for p in found] == ["notes.md"] and not problems
    # Named on the command line, a .json is read.
    found, _ = collect_paths([str(tmp_path / "refs.json")])
    assert [p.name for p in found] == ["refs.json"]
