"""Issue 13, linter habits: the current folder by default, --show-files, `-` for standard input, --color and
NO_COLOR, --statistics, GitHub annotations with the fix, SARIF related locations, --select that fixes
nothing, the baseline, scheduled link checks that say where a URL is cited, and the release's version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import ROOT

import auditor
from auditor.cli import cli
from auditor.store import open_db

SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
PAPER = """# Kajian

Realisme (Forrd 2009). Lain (Ford 2009).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
- Kitchen, Nicholas. 2010. *Systemic Pressures*. London.
"""
CLEAN = """Realisme (Ford 2009).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
"""


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


# 1. The current folder by default ------------------------------------------------------------------

def test_audit_without_a_path_audits_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`auditor audit` reads the documents of the working folder (not references/), and on the next run
    skips the report it wrote there."""
    write(tmp_path, "chapters/paper.md", CLEAN)
    write(tmp_path, "notes.md", CLEAN)
    monkeypatch.chdir(tmp_path)
    first = run("audit", "--fail-on", "never")
    assert first.exit_code == 0, first.output
    assert "chapters/paper.md: 1 entries" in first.output and "notes.md: 1 entries" in first.output
    assert (tmp_path / "reports" / "index.html").exists()
    second = run("audit", "--show-files")
    assert second.output.split() == ["chapters/paper.md", "notes.md"]


def test_the_demo_names_its_folder() -> None:
    """The demo passes references/ explicitly, so the new default does not change it."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"auditor audit references\b", makefile)


# 2. --show-files ----------------------------------------------------------------------------------

def test_show_files_lists_after_discovery_and_grouping_and_writes_nothing(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """.gitignore'd files and hidden folders are left out, a configured manuscript is shown with its files
    (one given brings the others), and no database or report is written."""
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "drafts/\n")
    write(tmp_path, "drafts/old.md", CLEAN)
    write(tmp_path, ".hidden/x.md", CLEAN)
    write(tmp_path, "thesis/bab1.md", CLEAN)
    write(tmp_path, "thesis/bab2.md", CLEAN)
    write(tmp_path, "paper.md", CLEAN)
    write(tmp_path, "auditor.toml", '[tool.auditor.manuscripts]\nthesis = ["thesis/bab*.md"]\n')
    monkeypatch.chdir(tmp_path)
    result = run("audit", "--show-files", "--db", "x.db")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["paper.md", "thesis/bab1.md  (manuscript thesis)",
                                          "thesis/bab2.md  (manuscript thesis)"]
    one = run("audit", "thesis/bab2.md", "--show-files")
    assert one.output.splitlines() == ["thesis/bab1.md  (manuscript thesis)", "thesis/bab2.md  (manuscript thesis)"]
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "reports").exists()


# 3. `-` reads standard input --------------------------------------------------------------------

def test_dash_reads_standard_input_as_markdown_named_dash(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = run("audit", "-", "--db", str(db), "--no-html", input=PAPER)
    assert result.exit_code == 1, result.output
    assert "  -:3:11: error   unresolved-citation:" in result.output
    row = open_db(db).execute("select path, format from documents").fetchone()
    assert row == ("-", "md")


def test_stdin_filename_gives_the_name_and_format_and_stores_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    page = "<html><body><p>Realisme (Forrd 2009).</p><h2>Daftar Pustaka</h2><ul><li>Ford, Arthur P. 2009. " \
           "<i>Denting The Hub</i>. Alabama: Air University.</li></ul></body></html>"
    result = run("audit", "-", "--stdin-filename", "web/page.html", "--db", str(db), "--no-html", "--format", "json",
                 input=page)
    data = json.loads(result.output)
    assert data["documents"][0]["path"] == "web/page.html" and data["documents"][0]["format"] == "html"
    assert data["documents"][0]["entries"] == 1 and data["documents"][0]["findings"]
    # --stdin-filename alone reads standard input too; files and standard input together are audited together.
    other = write(tmp_path, "clean.md", CLEAN)
    both = run("audit", str(other), "-", "--stdin-filename", "draft.txt", "--db", str(db), "--no-html",
               input=PAPER)
    assert f"{other}: 1 entries" in both.output and "draft.txt: 3 entries" in both.output


def test_stdin_is_bounded_and_bad_input_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.stdin

    monkeypatch.setattr(auditor.stdin, "MAX_BYTES", 1000)
    big = run("audit", "-", "--db", ":memory:", "--no-html", input="x" * 5000)
    assert big.exit_code == 2 and "-: (standard input): too large" not in big.output
    assert "- (standard input): too large (more than 1000 bytes)" in big.output
    odd = run("audit", "-", "--stdin-filename", "paper.odt", "--db", ":memory:", "--no-html", input=PAPER)
    assert odd.exit_code == 2 and "paper.odt: unsupported format '.odt'" in odd.output
    empty = run("audit", "-", "--db", ":memory:", "--no-html", input="")
    assert empty.exit_code == 2 and "-: the file is empty" in empty.output
    lonely = run("audit", "paper.md", "--stdin-filename", "x.md", "--db", ":memory:")
    assert lonely.exit_code == 2 and "give `-` as a path" in lonely.output


def test_stdin_through_a_real_pipe(tmp_path: Path) -> None:
    """`cat paper.md | auditor audit -` in a real process (a pipe, not a test stream)."""
    result = subprocess.run([sys.executable, "-m", "auditor", "audit", "-", "--db", ":memory:", "--no-html",
                             "--format", "github"], input=PAPER.encode(), capture_output=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stdout.decode().startswith("::error file=-,line=3,col=11,title=unresolved-citation::")


# 4. --color and NO_COLOR ------------------------------------------------------------------------

def test_use_colour_follows_the_mode_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.terminal import use_colour

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty()) and not use_colour(None)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "")  # empty: not set, per no-color.org
    assert use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())  # type: ignore[arg-type]
    assert use_colour(None, "always") and not use_colour(Tty(), "never")  # type: ignore[arg-type]


def test_color_option_on_audit_and_on_the_group(tmp_path: Path) -> None:
    """--color always colours even into a pipe and over NO_COLOR (as ruff and click do); never and
    NO_COLOR keep escape codes out; the mode does not leak into the next command."""
    doc = write(tmp_path, "paper.md", PAPER)
    common = [str(doc), "--db", str(tmp_path / "a.db"), "--no-html"]
    forced = run("audit", *common, "--color", "always", env={"NO_COLOR": "1"})
    assert "\x1b[31merror" in forced.output
    grouped = run("--color", "always", "audit", *common)
    assert "\x1b[1m" in grouped.output
    plain = run("audit", *common)
    assert "\x1b[" not in plain.output
    never = run("audit", *common, "--color", "never")
    assert "\x1b[" not in never.output
    assert run("audit", *common, "--color", "sometimes").exit_code == 2


# 5. --statistics --------------------------------------------------------------------------------

def test_statistics_counts_findings_per_rule(tmp_path: Path) -> None:
    doc = write(tmp_path, "paper.md", PAPER.replace("# Kajian", "# Kajian\n\nLagi (Forrd 2009) dan (Smiht 2011)."))
    db = str(tmp_path / "a.db")
    result = run("audit", str(doc), "--db", db, "--no-html", "--statistics")
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{doc}: 3 entries")
    stats = [line.split(None, 3) for line in lines[1:-1]]
    assert stats[0][:3] == ["3", "unresolved-citation", "error"]
    assert stats[0][3].startswith("An in-text citation matches no entry")
    assert [int(s[0]) for s in stats] == sorted((int(s[0]) for s in stats), reverse=True)
    assert {s[1] for s in stats} >= {"duplicate-entry", "uncited-entry"}
    assert not any(line.startswith("  ") for line in lines)  # no finding lines
    assert lines[-1].startswith("1 document(s) audited: 3 errors")
    data = json.loads(run("audit", str(doc), "--db", db, "--no-html", "--statistics", "--format", "json").output)
    assert data["statistics"][0] == {"count": 3, "rule": "unresolved-citation", "severity": "error",
                                     "description": stats[0][3]}
    assert data["documents"][0]["findings"]  # JSON keeps the findings beside the counts


# 6. GitHub annotations with the fix --------------------------------------------------------------

def test_github_annotations_carry_the_fix_escaped(tmp_path: Path) -> None:
    doc = write(tmp_path, "50%, draft: paper.md", PAPER)
    result = run("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "github")
    lines = result.output.splitlines()
    first = lines[0]
    assert first.startswith("::error file=") and "50%25%2C draft%3A paper.md,line=3,col=11" in first
    message = first.split("::", 2)[2]
    assert "%0AFix: If Ford, Arthur P 2009 is meant, correct the citation" in message
    assert all(line.startswith("::") for line in lines)  # no raw line break inside a command


# 7. SARIF: related locations and full sentences ------------------------------------------------

def test_sarif_results_carry_related_locations_and_sentences(tmp_path: Path) -> None:
    """The duplicate points at its twin, a citation at the entry it (probably) means, an entry in another
    file of a manuscript keeps its own file; messages are sentences with the fix; the schema validates."""
    doc = write(tmp_path, "paper.md", PAPER)
    out = tmp_path / "a.sarif"
    run("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "sarif", "-o", str(out))
    sarif = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    dup = results["duplicate-entry"]
    assert dup["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    twin = dup["relatedLocations"][0]
    assert twin["physicalLocation"]["region"]["startLine"] == 7 and twin["message"]["text"].startswith("The other entry")
    typo = results["unresolved-citation"]
    assert [(r["physicalLocation"]["region"]["startLine"], r["message"]["text"]) for r in typo["relatedLocations"]] == \
        [(7, "The entry this citation probably means.")]
    for r in sarif["runs"][0]["results"]:
        text = r["message"]["text"]
        assert text[0].isupper() or text[0] in "“\"", text
        assert text.endswith("."), text
    assert " Fix: Keep one of the two entries" in dup["message"]["text"]


def test_sarif_related_location_in_another_file_of_a_manuscript(tmp_path: Path) -> None:
    write(tmp_path, "thesis/bab1.md", "Realisme (Ford 2009).\n")
    write(tmp_path, "thesis/daftar_pustaka.md", "## Daftar Pustaka\n\n- Ford, Arthur P. 2009. *Denting The Hub*. "
                                                "Alabama: Air University.\n- Ford, Arthur P. 2009. *Denting The Hub*."
                                                " Alabama: Air University.\n")
    result = run("audit", "--manuscript", str(tmp_path / "thesis"), "--db", str(tmp_path / "a.db"), "--no-html",
                 "--format", "sarif", "--fail-on", "never")
    sarif = json.loads(result.output)
    dup = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "duplicate-entry")
    assert dup["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("daftar_pustaka.md")


def test_sentence() -> None:
    from auditor.output import sentence

    assert sentence("the key x is defined again") == "The key x is defined again."
    assert sentence("“A” (line 3)") == "“A” (line 3)."
    assert sentence("Already one.") == "Already one."
    assert sentence("Quoted “end.”") == "Quoted “end.”"


# 8. Narrowing --select fixes nothing ---------------------------------------------------------------

def test_narrowing_select_reports_no_unselected_rule_as_fixed(tmp_path: Path) -> None:
    doc = write(tmp_path, "paper.md", PAPER)
    db = str(tmp_path / "a.db")
    run("audit", str(doc), "--db", db, "--no-html")
    narrow = run("audit", str(doc), "--db", db, "--no-html", "--select", "unresolved-citation")
    assert "Since run 1: 0 new, 0 fixed" in narrow.output
    wide = run("audit", str(doc), "--db", db, "--no-html")
    assert "Since run 2: 0 new, 0 fixed" in wide.output
    diff = json.loads(run("diff", "1", "3", "--db", db, "--format", "json").output)
    assert diff["new"] == [] and diff["fixed"] == []
    # A real fix of a selected rule is still one.
    doc.write_text(PAPER.replace("Forrd", "Ford"), encoding="utf-8")
    fixed = run("audit", str(doc), "--db", db, "--no-html", "--select", "citations")
    assert "Since run 3: 0 new, 1 fixed" in fixed.output and "  - " in fixed.output


def test_runs_stored_before_rules_were_recorded_compare_by_their_select(tmp_path: Path) -> None:
    from auditor.output import run_rules

    db = open_db(tmp_path / "a.db")
    for i, settings in enumerate([{"select": ["ALL"], "ignore": ["uncited-entry"], "check_links": False},
                                  {"select": ["citations"], "ignore": [], "check_links": True},
                                  {}, {"select": ["no-such-rule"]}], 1):
        db.table("runs").insert({"id": i, "status": "complete", "settings": json.dumps(settings)})
    first, second = run_rules(db, 1), run_rules(db, 2)
    assert first is not None and "uncited-entry" not in first and "unresolved-citation" in first
    assert "dead-link" not in first and "retracted-source" not in first
    assert second is not None and "unresolved-citation" in second and "duplicate-entry" not in second
    assert run_rules(db, 3) is None and run_rules(db, 4) is None


# 9. The baseline ------------------------------------------------------------------------------------

def test_baseline_makes_the_gate_fail_only_on_new_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "paper.md", PAPER)
    monkeypatch.chdir(tmp_path)
    made = run("baseline")
    assert made.exit_code == 0, made.output
    assert "Recorded 3 finding(s) of 1 document(s) in .auditor-baseline.json." in made.output
    recorded = json.loads((tmp_path / ".auditor-baseline.json").read_text(encoding="utf-8"))
    assert {f["rule"] for f in recorded["findings"]} == {"unresolved-citation", "duplicate-entry", "uncited-entry"}
    assert not (tmp_path / "reports").exists()  # nothing stored
    gate = run("audit", "--no-html", "--baseline", ".auditor-baseline.json", "--format", "json")
    assert gate.exit_code == 0, gate.output
    findings = json.loads(gate.output)["documents"][0]["findings"]
    assert len(findings) == 3 and all(f["baselined"] and f["suppressed"] for f in findings)
    # Text moved and one new error: only the new one counts, and nothing is "fixed".
    write(tmp_path, "paper.md", "Pendahuluan (Smiht 2011).\n\n" + PAPER)
    again = run("audit", "--no-html", "--baseline", ".auditor-baseline.json")
    assert again.exit_code == 1
    assert "1 document(s) audited: 1 errors, 0 warnings, 0 info, 3 baselined" in again.output
    assert "Smiht 2011" in again.output and "Forrd" not in again.output
    assert "Since run 1: 1 new, 0 fixed" in again.output
    # The same from the configuration, relative to its folder; SARIF marks baselined results as external.
    write(tmp_path, "pyproject.toml", '[tool.auditor]\nbaseline = ".auditor-baseline.json"\n')
    sarif = json.loads(run("audit", "--no-html", "--format", "sarif").output)
    kinds = [r.get("suppressions", [{}])[0].get("kind") for r in sarif["runs"][0]["results"]]
    assert kinds.count("external") == 3 and kinds.count(None) == 1
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def test_a_fingerprint_recorded_once_covers_one_finding(tmp_path: Path) -> None:
    from auditor.audit import AuditResult
    from auditor.baseline import Baseline, apply_baseline
    from auditor.model import Finding, Severity
    from auditor.store import DocumentResult, fingerprint

    def twin() -> Finding:
        return Finding("unresolved-citation", Severity.ERROR, 3, "m", subject="citation:(X 2000)")

    result = AuditResult("now")
    result.documents.append(DocumentResult("a.md", parsed=object(), findings=[twin(), twin()]))  # type: ignore[arg-type]
    fp = fingerprint("unresolved-citation", "a.md", "citation:(X 2000)")
    assert apply_baseline(result, Baseline(tmp_path, __import__("collections").Counter({fp: 1}))) == 1
    assert [f.baselined for f in result.documents[0].findings] == [True, False]


def test_a_bad_baseline_file_is_one_clear_error(tmp_path: Path) -> None:
    doc = write(tmp_path, "paper.md", CLEAN)
    bad = write(tmp_path, "b.json", "{not json")
    result = run("audit", str(doc), "--db", ":memory:", "--no-html", "--baseline", str(bad))
    assert result.exit_code == 2 and "not a baseline file (invalid JSON" in result.output
    missing = run("audit", str(doc), "--db", ":memory:", "--no-html", "--baseline", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "no such baseline file" in missing.output
    write(tmp_path, "auditor.toml", "[tool.auditor]\nbaseline = 3\n")
    typed = run("audit", str(doc), "--db", ":memory:", "--no-html")
    assert typed.exit_code == 2 and "baseline must be the path of a baseline file" in typed.output


# 10. Scheduled link checks ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server():
    from linkserver import LinkServer

    s = LinkServer().start()
    yield s
    s.stop()


def test_links_says_where_a_dead_url_is_cited_and_refreshes_the_report(server, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    base = server.base
    write(tmp_path, "paper.md", f"""# Kajian

Menurut Hilang (2023), dan lagi (Hilang, 2023). Juga (Ada, 2022).

## Daftar Pustaka

- Ada. 2022. *Halaman Ada*. <{base}/ok/ada>.
- Hilang. 2023. *Halaman Hilang*. <{base}/gone404/hilang>.
""")
    monkeypatch.chdir(tmp_path)
    audited = run("audit", "paper.md", "--fail-on", "never")
    assert audited.exit_code == 0, audited.output
    index = tmp_path / "reports" / "index.html"
    assert "dead link" not in index.read_text(encoding="utf-8")  # links not checked yet
    result = run("links", "--allow-private")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    died = lines.index(next(line for line in lines if line.startswith(f"  died: {base}/gone404/hilang")))
    assert lines[died + 1] == "      in paper.md:8, cited on line 3"
    assert "HTML report: reports/index.html" in result.output
    html = index.read_text(encoding="utf-8")
    assert "1 dead link" in html and "dead: 1" in html  # the verdict and the document's link health
    # Nothing died tonight: exit 0, unless --fail-on-dead, which fails while a cited link is dead.
    quiet = run("links", "--allow-private")
    assert quiet.exit_code == 0, quiet.output
    rendered = index.stat().st_mtime_ns
    failing = run("links", "--allow-private", "--fail-on-dead", "--no-html", "--format", "json")
    assert failing.exit_code == 1 and index.stat().st_mtime_ns == rendered  # --no-html: left as it was
    data = json.loads(failing.output)
    assert data["dead"] == [f"{base}/gone404/hilang"]
    assert data["cited_in"][f"{base}/gone404/hilang"] == [
        {"path": "paper.md", "line": 8, "locator": None, "cited_lines": [3]}]
    # Once the document no longer cites it (a later run), the dead link no longer fails the job.
    write(tmp_path, "paper.md", f"Juga (Ada, 2022).\n\n## Daftar Pustaka\n\n- Ada. 2022. *Halaman Ada*. <{base}/ok/ada>.\n")
    run("audit", "paper.md", "--no-html", "--fail-on", "never")
    text = run("links", "--allow-private", "--fail-on-dead", "--no-html")
    assert text.exit_code == 0 and "No cited link is dead." in text.output


def test_the_link_chart_counts_urls_not_checks(tmp_path: Path) -> None:
    from auditor.store import outcome_history

    db = open_db(tmp_path / "a.db")
    rows = [("u1", "2026-11-20T01:00:00Z", "error"), ("u1", "2026-11-20T03:00:00Z", "ok"),
            ("u1", "2026-11-20T05:00:00Z", "ok"), ("u2", "2026-11-20T05:00:00Z", "dead"),
            ("u1", "2026-11-21T05:00:00Z", "dead")]
    db.table("link_checks").insert_all({"url": u, "checked_at": t, "outcome": o} for u, t, o in rows)
    assert outcome_history(db) == [("2026-11-20", {"ok": 1, "dead": 1}), ("2026-11-21", {"dead": 1})]


# 11. The release --------------------------------------------------------------------------------------

def test_readme_names_the_package_version() -> None:
    """The README's install lines and pre-commit rev name the release `auditor.__version__` says."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tag = f"v{auditor.__version__}"
    installs = re.findall(r'pip install "git\+https://github\.com/[\w.-]+/[\w.-]+@(v[\d.]+)"', readme)
    revs = re.findall(r"^\s+rev: (v[\d.]+)$", readme, re.M)
    assert installs and revs and set(installs) == set(revs) == {tag}
    assert auditor.__version__ == "0.2.0"
    assert re.search(rf'"version": "{re.escape(auditor.__version__)}"', (ROOT / "docs" / "output.md").read_text())
