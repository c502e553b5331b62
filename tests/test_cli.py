"""The command line through CliRunner: exit codes, formats, configuration, bad input, what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import REFERENCES, ROOT

from auditor.cli import cli

# The OASIS SARIF 2.1.0 schema, copied from ../shared/schemas so that the test never needs the network.
SARIF_SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
CLEAN = """Realisme (Ford 2009).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
"""
WARN_ONLY = """Realisme (Ford 2009).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
- Kitchen, Nicholas. 2010. *Systemic Pressures*. London.
"""
ERROR = """Realisme (Forrd 2009).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama: Air University.
"""


def invoke(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    return runner.invoke(cli, list(args), catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("text,fail_on,code", [
    (CLEAN, "error", 0), (WARN_ONLY, "error", 0), (WARN_ONLY, "warning", 1), (ERROR, "error", 1),
    (ERROR, "never", 0), (CLEAN, "info", 0),
])
def test_exit_codes_follow_fail_on(tmp_path: Path, text: str, fail_on: str, code: int) -> None:
    """0 when nothing is at or above --fail-on, 1 when something is."""
    doc = write(tmp_path, "paper.md", text)
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--fail-on", fail_on)
    assert result.exit_code == code, result.output


def test_usage_error_exits_2(tmp_path: Path) -> None:
    """A bad option is a usage error: exit 2."""
    result = CliRunner().invoke(cli, ["audit", "--fail-on", "sometimes"])
    assert result.exit_code == 2


def test_nothing_readable_exits_2(tmp_path: Path) -> None:
    """When no document can be read the exit code is 2 and each file is named."""
    empty = write(tmp_path, "empty.md", "")
    result = CliRunner().invoke(cli, ["audit", str(empty), str(tmp_path / "missing.md"), "--db",
                                      str(tmp_path / "a.db"), "--no-html"])
    assert result.exit_code == 2
    assert "empty.md: the file is empty" in result.output
    assert "missing.md: no such file" in result.output
    assert "Traceback" not in result.output


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    """A binary file gets one clear message while the other documents are audited."""
    (tmp_path / "scan.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    write(tmp_path, "paper.md", CLEAN)
    result = CliRunner().invoke(cli, ["audit", str(tmp_path), "--db", str(tmp_path / "a.db"), "--no-html"])
    assert result.exit_code == 0
    assert result.output.count("Error:") == 1 and "scan.txt: looks like a binary file" in result.output
    assert "paper.md: 1 entries, 1 citations" in result.output


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    """Unknown keys and rule names are configuration errors with a clear message."""
    doc = write(tmp_path, "paper.md", CLEAN)
    write(tmp_path, "auditor.toml", 'select = ["uncited-entri"]\n')
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html"])
    assert result.exit_code == 2
    assert "unknown rule 'uncited-entri' (did you mean 'uncited-entry'?)" in result.output
    write(tmp_path, "auditor.toml", "colour = true\n")
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html"])
    assert result.exit_code == 2 and "unknown key(s) colour" in result.output


def test_unusable_database_exits_2(tmp_path: Path) -> None:
    """A database path that is not a database is an input error, and the file is left alone."""
    doc = write(tmp_path, "paper.md", CLEAN)
    bad = write(tmp_path, "not.db", "this is not sqlite " * 100)
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(bad), "--no-html"])
    assert result.exit_code == 2 and "not an audit database" in result.output
    assert bad.read_text(encoding="utf-8").startswith("this is not sqlite")


def test_json_output_is_versioned(tmp_path: Path) -> None:
    """--format json prints the documented layout with a schema version."""
    doc = write(tmp_path, "paper.md", ERROR)
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "json")
    data = json.loads(result.output)
    assert data["schema_version"] == "1.2" and data["tool"]["name"] == "citation-auditor"
    finding = data["documents"][0]["findings"][0]
    assert set(finding) == {"rule", "severity", "line", "column", "message", "suggestion", "fingerprint", "suppressed",
                            "baselined"}
    assert finding["rule"] == "unresolved-citation" and finding["line"] == 1


def test_sarif_output_validates_against_the_official_schema(tmp_path: Path) -> None:
    """--format sarif writes SARIF 2.1.0 that validates against the OASIS schema."""
    out = tmp_path / "audit.sarif"
    result = invoke("audit", str(REFERENCES), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "sarif",
                    "-o", str(out), "--fail-on", "never")
    assert result.exit_code == 0
    sarif = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert len(results) > 50
    first = results[0]
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".txt")
    assert sarif["runs"][0]["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == first["ruleId"]


def test_github_annotations(tmp_path: Path) -> None:
    """--format github prints workflow commands with file, line and an escaped message."""
    doc = write(tmp_path, "paper.md", ERROR)
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "github")
    line = result.output.splitlines()[0]
    assert line.startswith(f"::error file={doc},line=1,col=")
    assert "title=unresolved-citation::" in line and "Forrd 2009" in line


def test_text_output_groups_by_document(tmp_path: Path) -> None:
    """Text output has a header per document and a line per finding with the fix."""
    doc = write(tmp_path, "paper.md", ERROR)
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html")
    lines = result.output.splitlines()
    assert lines[0] == f"{doc}: 1 entries, 1 citations, findings: 1 errors, 0 warnings, 0 info"
    assert lines[1].startswith(f"  {doc}:1:11: error   unresolved-citation:")
    assert lines[2].startswith("      fix: ")


def test_default_path_is_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no arguments, the working folder is audited (like a linter) into reports/audit.db and
    reports/index.html; the report folder it wrote is not audited the next time."""
    shutil.copytree(REFERENCES, tmp_path / "references")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["audit", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "audit.db").exists() and (tmp_path / "reports" / "index.html").exists()
    assert "references/004_5a448dbc96d01709.txt: 62 entries, 110 citations" in result.output
    assert "README" not in result.output
    again = CliRunner().invoke(cli, ["audit", "--fail-on", "never", "--show-files"])
    assert again.exit_code == 0 and again.output.strip() and "reports/" not in again.output


def test_configuration_round_trip(tmp_path: Path) -> None:
    """Settings in pyproject.toml found by walking up are applied: selection, severities, per-path ignores."""
    project = tmp_path / "project"
    docs = project / "docs" / "drafts"
    docs.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.auditor]\nignore = ["bibliography-order"]\nfail-on = "warning"\n\n'
        '[tool.auditor.severity]\nuncited-entry = "info"\n\n'
        '[tool.auditor.per-path-ignores]\n"docs/drafts/skip-*.md" = ["unresolved-citation"]\n', encoding="utf-8")
    write(docs, "paper.md", WARN_ONLY)
    write(docs, "skip-me.md", ERROR)
    result = invoke("audit", str(docs), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "json")
    data = {Path(d["path"]).name: d for d in json.loads(result.stdout)["documents"]}
    uncited = [f for f in data["paper.md"]["findings"] if f["rule"] == "uncited-entry"]
    assert uncited and uncited[0]["severity"] == "info"
    assert not [f for f in data["skip-me.md"]["findings"] if f["rule"] == "unresolved-citation"]
    assert result.exit_code == 0  # only info findings remain, and fail-on is warning
    result = invoke("audit", str(docs), "--db", str(tmp_path / "a.db"), "--no-html", "--select", "entries,citations",
                    "--format", "json")
    rules = {f["rule"] for d in json.loads(result.stdout)["documents"] for f in d["findings"]}
    assert rules == {"uncited-entry"}
    result = invoke("audit", str(docs), "--db", str(tmp_path / "a.db"), "--no-html", "--select", "citations",
                    "--ignore", "uncited-entry", "--format", "json")
    assert all(not d["findings"] for d in json.loads(result.stdout)["documents"])


def test_inline_ignore_comment_suppresses_and_keeps_the_finding(tmp_path: Path) -> None:
    """<!-- auditor-ignore: rule --> suppresses that finding on the next line; it stays stored, marked."""
    text = WARN_ONLY.replace("- Kitchen", "<!-- auditor-ignore: uncited-entry -->\n- Kitchen")
    doc = write(tmp_path, "paper.md", text)
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "json",
                    "--fail-on", "warning")
    findings = json.loads(result.output)["documents"][0]["findings"]
    assert [(f["rule"], f["suppressed"]) for f in findings] == [("uncited-entry", True)]
    assert result.exit_code == 0


def test_file_level_ignore_comment_suppresses_a_rule_everywhere_in_the_file(tmp_path: Path) -> None:
    """<!-- auditor-ignore-file: rule --> anywhere suppresses that rule in the whole file, nothing else."""
    text = "<!-- auditor-ignore-file: uncited-entry -->\n" + WARN_ONLY + "- Rosyidin, M. 2010. *Integrasi*. Global.\n"
    doc = write(tmp_path, "paper.md", text.replace("(Ford 2009)", "(Ford 2009; Forrd 2009)"))
    result = invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", "--format", "json",
                    "--fail-on", "warning")
    findings = json.loads(result.output)["documents"][0]["findings"]
    assert sorted((f["rule"], f["suppressed"]) for f in findings) == [
        ("uncited-entry", True), ("uncited-entry", True), ("unresolved-citation", False)]
    assert result.exit_code == 1


def test_diff_sees_one_new_and_one_fixed_finding_after_an_edit(tmp_path: Path) -> None:
    """Moving lines changes no fingerprint; fixing one citation and breaking another gives 1 new, 1 fixed."""
    before = """Pertama (Ford 2009).

Kedua (Kitchen 2011).

Ketiga (Rosyidin 2010).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama.
- Kitchen, Nicholas. 2010. *Systemic Pressures*. London.
- Rosyidin, Mohamad. 2010. *Integrasi*. Global.
"""
    after = """Pendahuluan baru yang menggeser semua baris ke bawah.

Tambahan paragraf.

Kedua (Kitchen 2010).

Pertama (Ford 2008).

Ketiga (Rosyidin 2010).

## Daftar Pustaka

- Ford, Arthur P. 2009. *Denting The Hub*. Alabama.
- Kitchen, Nicholas. 2010. *Systemic Pressures*. London.
- Rosyidin, Mohamad. 2010. *Integrasi*. Global.
"""
    doc = write(tmp_path, "paper.md", before)
    db = str(tmp_path / "a.db")
    invoke("audit", str(doc), "--db", db, "--no-html")
    doc.write_text(after, encoding="utf-8")
    result = invoke("audit", str(doc), "--db", db, "--no-html")
    assert "Since run 1: 1 new, 1 fixed" in result.output
    diff = invoke("diff", "--db", db, "--format", "json")
    data = json.loads(diff.output)
    assert [(f["rule"], f["line"]) for f in data["new"]] == [("citation-year-mismatch", 7)]
    assert "Ford 2008" in data["new"][0]["message"]
    assert [(f["rule"], f["line"]) for f in data["fixed"]] == [("citation-year-mismatch", 3)]
    explicit = invoke("diff", "1", "2", "--db", db)
    assert explicit.output.startswith("Run 1 → run 2: 1 new, 1 fixed")


def test_report_command_renders_the_latest_run(tmp_path: Path) -> None:
    """`auditor report` re-renders the HTML report from the database."""
    doc = write(tmp_path, "paper.md", ERROR)
    invoke("audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html")
    result = invoke("report", "--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0 and (tmp_path / "out" / "index.html").exists()
    missing = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "no such database" in missing.output


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m auditor --version` works."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("auditor, version ")


def test_unwritable_report_folder_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    """A report folder that cannot be created gives a one-line error and exit 2."""
    doc = write(tmp_path, "paper.md", CLEAN)
    blocker = write(tmp_path, "blocker", "a file where a folder should be")
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--html",
                                      str(blocker / "report")])
    assert result.exit_code == 2
    assert "Error: " in result.output and "Traceback" not in result.output


def test_invalid_remap_pattern_is_a_usage_error(tmp_path: Path) -> None:
    """A --remap pattern that is not a regular expression is reported before any work."""
    doc = write(tmp_path, "paper.md", CLEAN)
    result = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html",
                                      "--check-links", "--remap", "([", "x"])
    assert result.exit_code == 2 and "--remap: '([' is not a valid regular expression" in result.output


def test_rule_command_explains_one_rule_and_suggests_a_near_name() -> None:
    result = invoke("rule", "citation-year-mismatch")
    assert result.exit_code == 0
    assert result.output.startswith("citation-year-mismatch (citations, default severity error)")
    assert "Example:  (Muhid, 2023)" in result.output and "Fix:      Correct the year to ‹entry_years›" in result.output
    data = json.loads(invoke("rule", "uncited-entry", "--format", "json").output)
    assert data["severity"] == "warning" and data["message"].startswith("depends on the case")
    wrong = invoke("rule", "uncited")
    assert wrong.exit_code == 2 and "did you mean uncited-entry?" in wrong.output


@pytest.mark.parametrize("flags", [["--archive"], ["--allow-private"], ["--remap", "a", "b"], ["--timeout", "3"],
                                   ["--per-host", "1", "--deadline", "5"]])
def test_link_options_without_check_links_are_a_usage_error(tmp_path: Path, flags: list[str]) -> None:
    """Issue 12: options that only matter when links are fetched are refused without --check-links (exit 2)."""
    doc = tmp_path / "paper.md"
    doc.write_text("Teks.\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["audit", str(doc), "--db", str(tmp_path / "a.db"), "--no-html", *flags])
    assert res.exit_code == 2 and "--check-links" in res.output, res.output
    assert not (tmp_path / "a.db").exists()


def test_link_numbers_on_the_command_line_override_the_configuration(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """--timeout, --deadline, --per-host and --concurrency win over [tool.auditor.links] on audit and links."""
    from auditor.linkcheck import engine
    from auditor.linkcheck.records import LinkRecord, Outcome

    seen: list[tuple[float, float, int, int]] = []

    def fake(tasks, policy, limits, progress=None):  # type: ignore[no-untyped-def]
        seen.append((policy.timeout, policy.deadline, limits.per_host, limits.concurrency))
        return {t.key: LinkRecord(t.key, Outcome.SKIPPED, "not fetched in this test") for t in tasks}

    monkeypatch.setattr(engine, "check_urls", fake)
    monkeypatch.setattr("auditor.linkcheck.check_urls", fake)
    (tmp_path / "auditor.toml").write_text("[tool.auditor.links]\ntimeout = 9\nper-host = 3\n", encoding="utf-8")
    doc = tmp_path / "paper.md"
    doc.write_text("Teks (Kompas 2022).\n\n## Daftar Pustaka\n\n- Kompas. 2022. *Berita*. "
                   "<https://www.kompas.com/a/b>.\n", encoding="utf-8")
    db = str(tmp_path / "a.db")
    args = ["--timeout", "2.5", "--deadline", "7", "--per-host", "1", "--concurrency", "4"]
    CliRunner().invoke(cli, ["audit", str(doc), "--db", db, "--no-html", "--check-links", *args])
    CliRunner().invoke(cli, ["audit", str(doc), "--db", db, "--no-html", "--check-links"])
    CliRunner().invoke(cli, ["links", "--db", db, "--older-than", "0s", *args])
    assert seen == [(2.5, 7.0, 1, 4), (9.0, 30.0, 3, 32), (2.5, 7.0, 1, 4)]


def test_a_host_without_a_public_suffix_is_malformed_whatever_remap_does(tmp_path: Path) -> None:
    """Issue 12: `www.setneg.go` is skipped as malformed even when --remap turns it into a fetchable URL."""
    from auditor.config import Settings
    from auditor.linkcheck import verify_urls

    cited = "https://www.setneg.go/berita"
    run = verify_urls([cited], Settings(), None, remap=[(r"^https://www\.setneg\.go", "https://www.setneg.go.id")],
                      show_progress=False)
    rec = run.records[cited]
    assert rec.outcome == "skipped" and rec.detail.startswith("malformed:") and "setneg.go" in rec.detail
    assert run.checked == 0
