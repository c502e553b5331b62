"""JATS XML: text on the lines of the XML file, ref-lists as declared sections with exact records, xref
citations by key, footnotes as notes; bounded, entity-safe parsing. The pandoc fixtures are made by
tests/fixtures/pandoc/make_fixtures.sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.audit import audit_paths, collect_paths
from auditor.config import Settings
from auditor.documents import load_document
from auditor.errors import DocumentError
from auditor.model import PartialDate
from auditor.parsing import parse_document
from tests.conftest import TODAY

FIXTURES = Path(__file__).parent / "fixtures" / "pandoc"

ARTICLE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN" "JATS-journalpublishing1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" dtd-version="1.2" article-type="research-article">
<front><article-meta><title-group><article-title>Rivers&nbsp;and towns</article-title></title-group>
<contrib-group><contrib><name><surname>Writer</surname></name></contrib></contrib-group></article-meta></front>
<body>
<sec><title>Introduction</title>
<p>Rivers shaped towns [<xref ref-type="bibr" rid="b1 b2">1,2</xref>], as
<xref ref-type="bibr" rid="b3">Lee (2019)</xref> argued; a later survey
[<xref ref-type="bibr" rid="b9">9</xref>] disagrees.</p>
</sec>
</body>
<back>
<ref-list><title>References</title>
<ref id="b1"><label>1</label><element-citation publication-type="journal">
  <person-group person-group-type="author"><name><surname>Smith</surname><given-names>John</given-names></name>
  <collab>River Study Group</collab></person-group>
  <person-group person-group-type="editor"><name><surname>Ed</surname><given-names>E.</given-names></name></person-group>
  <article-title>Rivers</article-title><source>Geography</source><year>2018</year>
  <volume>12</volume><issue>3</issue><fpage>45</fpage><lpage>67</lpage>
  <pub-id pub-id-type="doi">10.1000/rivers.2018</pub-id></element-citation></ref>
<ref id="b2"><label>2</label><mixed-citation publication-type="web">Town Council. Flood report. 2020.
  <ext-link ext-link-type="uri" xlink:href="https://example.org/flood">https://example.org/flood</ext-link>
  (accessed <date-in-citation content-type="access-date" iso-8601-date="2019-01-05">5 January 2019</date-in-citation>).
  </mixed-citation></ref>
<ref id="b3"><label>3</label><mixed-citation>Lee, K. (2019). Towns by water. <source>Urban Journal</source>,
  4, 1-9. <pub-id pub-id-type="doi">10.1000/towns</pub-id></mixed-citation></ref>
</ref-list>
</back>
</article>
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_hand_written_article(tmp_path: Path) -> None:
    path = write(tmp_path, "article.xml", ARTICLE)
    doc = load_document(path)
    assert doc.format == "jats"
    lines = ARTICLE.split("\n")
    parsed = parse_document(doc)
    b1, b2, b3 = parsed.entries
    for e, ref in ((b1, "b1"), (b2, "b2"), (b3, "b3")):
        assert f'<ref id="{ref}">' in lines[e.line - 1] and e.key == ref  # on the line of its <ref>
    assert b1.authors == ["Smith, John", "River Study Group"]  # the editor is not an author
    assert (b1.year, b1.title, b1.container, b1.doi) == ("2018", "Rivers", "Geography", "10.1000/rivers.2018")
    assert b1.record is not None and (b1.record.volume, b1.record.issue, b1.record.pages) == ("12", "3", "45-67")
    assert b1.number == 1
    assert b2.urls == ["https://example.org/flood"] and b2.accessed == PartialDate(2019, 1, 5)
    assert b3.container == "Urban Journal" and b3.doi == "10.1000/towns" and b3.year == "2019"
    # The title with its entity, as a heading on the line of its tag.
    assert doc.lines[3] == "# Rivers and towns"
    cits = [(c.raw, c.line, c.status) for c in parsed.citations]
    assert cits == [("b1", 8, "resolved"), ("b2", 8, "resolved"), ("b3", 8, "resolved"), ("b9", 8, "unresolved")]
    # The key, not the text "9", decides: there is no b9 although "9" could read as a number.
    findings = audit_paths([str(path)], Settings(), today=TODAY).documents[0].findings
    assert [(f.rule, f.severity.value) for f in findings if f.rule == "unresolved-citation"] == [
        ("unresolved-citation", "error")]
    assert "access-before-publication" in {f.rule for f in findings}  # accessed 2019, published 2020


def test_pandoc_jats_with_mixed_citations() -> None:
    path = FIXTURES / "paper.jats.xml"
    doc = load_document(path)
    parsed = parse_document(doc)
    xml = path.read_text(encoding="utf-8").split("\n")
    assert [e.key for e in parsed.entries if e.kind == "reference"] == ["ref-doe2020", "ref-lee2021", "ref-roe2019"]
    for e in parsed.entries:
        if e.kind == "reference":
            assert f'<ref id="{e.key}">' in xml[e.line - 1]
    doe = parsed.entries[0]
    assert doe.doi == "10.1080/1461670X.2020.1234567"  # from the doi.org link's element, exactly
    assert [(c.raw, c.status) for c in parsed.citations if c.status != "resolved"] == [("ref-kim2018", "unresolved")]
    # Every citation of the text is one xref: the narrative "Doe and Smith (2020)" is not read twice.
    keys = [c.raw for c in parsed.citations if c.kind == "key"]
    assert keys == ["ref-doe2020", "ref-roe2019", "ref-doe2020", "ref-lee2021", "ref-roe2019", "ref-kim2018",
                    "ref-roe2019"]
    assert [c.kind for c in parsed.citations if c.kind != "key"] == ["numbered"]  # the footnote marker
    # The footnote is a note, after the article's last line, located in the XML file.
    (note,) = [e for e in parsed.entries if e.is_footnote]
    assert note.number == 1 and note.line > len(xml) - 1
    assert doc.locator(note.line) is not None and doc.locator(note.line).startswith("footnote 1 (paper.jats.xml:")


def test_pandoc_jats_with_element_citations() -> None:
    parsed = parse_document(load_document(FIXTURES / "paper.element.xml"))
    refs = {e.key: e for e in parsed.entries if e.kind == "reference"}
    doe, roe, lee = refs["ref-doe2020"], refs["ref-roe2019"], refs["ref-lee2021"]
    assert doe.authors == ["Doe, Jane", "Smith, Ann"] and doe.published == PartialDate(2020, 5)
    assert (doe.title, doe.container, doe.doi) == ("Sourcing in local news", "Journalism Studies",
                                                  "10.1080/1461670X.2020.1234567")
    assert (roe.title, roe.container, roe.year) == ("Weekly papers", None, "2019")
    assert lee.authors == ["Pew Research Center"] and lee.year == "2021"  # not the access year
    assert lee.accessed == PartialDate(2024, 1, 15) and lee.urls == ["https://www.pewresearch.org/journalism/fact-sheet/"]
    assert [c.raw for c in parsed.citations if c.status == "unresolved"] == ["ref-kim2018"]


def test_entities_are_never_expanded(tmp_path: Path) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE article [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>'
              '<article><body><p>Text &c; and &x; here.</p></body></article>')
    doc = load_document(write(tmp_path, "bomb.xml", laughs))
    assert [line for line in doc.lines if line] == ["Text and here."]


@pytest.mark.parametrize(("text", "says"), [
    ("<html><body><p>x</p></body></html>", "not a JATS article"),
    ("<article><p>unclosed</article>", "not well-formed XML"),
    ("<article>" + "<sec>" * 300 + "</sec>" * 300 + "</article>", "not well-formed XML"),
])
def test_bad_xml_gives_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, "bad.xml", text)
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert says in str(info.value) and "\n" not in str(info.value)


def test_only_jats_xml_is_collected_from_a_folder(tmp_path: Path) -> None:
    write(tmp_path, "article.nxml", ARTICLE)
    write(tmp_path, "pom.xml", "<project><modelVersion>4.0.0</modelVersion></project>")
    write(tmp_path, "feed.xml", '<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>')
    found, _ = collect_paths([str(tmp_path)])
    assert [p.name for p in found] == ["article.nxml"]


def test_a_one_line_article_is_laid_out_block_by_block(tmp_path: Path) -> None:
    one = ('<article><body><sec><title>A</title><p>First [<xref ref-type="bibr" rid="r1">1</xref>].</p>'
           '<p>Second.</p></sec></body><back><ref-list><ref id="r1"><mixed-citation>Ames, B. 2001. '
           '<source>Book</source>.</mixed-citation></ref></ref-list></back></article>')
    doc = load_document(write(tmp_path, "one.xml", one))
    assert doc.lines == ["# A", "First [1].", "Second.", "Ames, B. 2001. Book."]
    parsed = parse_document(doc)
    (c,) = parsed.citations
    assert (c.line, c.column, c.status) == (2, 8, "resolved")
