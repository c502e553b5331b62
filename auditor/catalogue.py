"""What the light commands need without importing the checks: the output formats and the rule catalogue.

`auditor rules`, `auditor rule NAME` and `--help` must start in a blink (under 0.15 s), so they read
the rules from `rules.json`, written from the registry (`auditor/checks/registry.py`) by
`python -m auditor.catalogue` and kept in step with it by a test, instead of importing every detector
(and the parsers, BeautifulSoup and rapidfuzz with them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from auditor.errors import AuditorError

# The names of auditor.output.FORMATTERS (a test keeps them equal), for `--format` and the configuration.
OUTPUT_FORMATS = ("text", "json", "sarif", "github")


@dataclass(frozen=True)
class RuleInfo:
    name: str
    severity: str
    family: str
    description: str
    message: str
    fix: str
    example: str
    online: bool


def _load() -> dict[str, RuleInfo]:
    data = json.loads((resources.files("auditor") / "rules.json").read_text(encoding="utf-8"))
    return {r["name"]: RuleInfo(**r) for r in data}


def registry_rules() -> list[dict[str, object]]:
    """The catalogue as the registry has it (what rules.json must hold)."""
    from auditor.checks import RULES

    return [{"name": r.name, "severity": r.severity.value, "family": r.family, "description": r.description,
             "message": r.message, "fix": r.fix, "example": r.example, "online": r.online} for r in RULES.values()]


try:
    RULES = _load()
except FileNotFoundError:  # being written: python -m auditor.catalogue
    RULES = {}


FAMILY_TITLES = {"citations": "Citations against the reference list", "entries": "Entries", "urls": "URLs",
                 "text": "The text", "links": "Links (with --check-links or `auditor links`)",
                 "sources": "Scholarly sources (with --check-sources or `auditor sources`)"}


def rules_document() -> str:
    """docs/rules.md: every rule with its severity, what it finds, an example, its message and fix."""
    out = ["# Rules", "",
           "Every finding carries one of these rule names. Severities are defaults: change them with",
           "`[tool.auditor.severity]` in `pyproject.toml` or `auditor.toml` (see the README), select or ignore",
           "rules with `select`/`ignore` or `--select`/`--ignore`. `auditor rules` prints this list;",
           "`auditor rules --format markdown` writes this page.", "",
           "| rule | severity | what it finds |", "|---|---|---|"]
    out += [f"| [`{r.name}`](#{r.name}) | {r.severity} | {r.description} |" for r in RULES.values()]
    out.append("")
    for family, title in FAMILY_TITLES.items():
        out += [f"## {title}", ""]
        for r in RULES.values():
            if r.family != family:
                continue
            fix = shown_template(r.fix)
            out += [f"### {r.name}", "", f"Default severity: **{r.severity}**. {r.description}", "",
                    f"- **Example:** {r.example}", f"- **Message:** {shown_template(r.message)}", f"- **Fix:** {fix}", ""]
    out += ["### internal-error", "",
            "Reported (warning) when a rule itself fails on a document: the run goes on and the other rules",
            "still report. Please report it as a bug with the document that triggers it.", ""]
    return "\n".join(out)


def list_rules(fmt: str) -> str:
    if fmt == "markdown":
        return rules_document()
    if fmt == "json":
        return json.dumps([{"name": r.name, "severity": r.severity, "family": r.family,
                            "description": r.description} for r in RULES.values()], indent=2)
    width = max(len(r) for r in RULES)
    return "\n".join(f"{r.name:<{width}}  {r.severity:<7}  {r.description}" for r in RULES.values())


def shown_template(template: str) -> str:
    """A message or fix template as a reader sees it: ‹placeholders›, or a note when it is all placeholder."""
    if not template or re.fullmatch(r"\{\w+\}", template):
        return "depends on the case; each finding says which"
    return template.replace("{", "‹").replace("}", "›")


def explain_rule(name: str, fmt: str = "text") -> str:
    """One rule explained, as `ruff rule NAME` does: severity, what it finds, an example, message and fix."""
    r = RULES.get(name.strip().lower())
    if r is None:
        from rapidfuzz import process

        close = process.extractOne(name, list(RULES), score_cutoff=60)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise AuditorError(f"unknown rule '{name}'{hint} ('auditor rules' lists every rule)")
    message, fix = shown_template(r.message), shown_template(r.fix)
    other = "info" if r.severity != "info" else "warning"
    if fmt == "json":
        return json.dumps({"name": r.name, "severity": r.severity, "family": r.family,
                           "description": r.description, "example": r.example, "message": message,
                           "fix": fix, "online": r.online}, indent=2, ensure_ascii=False)
    return "\n".join([
        f"{r.name} ({r.family}, default severity {r.severity})", "",
        r.description, "",
        f"Example:  {r.example}" if r.example else "",
        f"Message:  {message}",
        f"Fix:      {fix}", "",
        f"Change its severity with [tool.auditor.severity] {r.name} = \"{other}\"; turn it off with",
        f"--ignore {r.name}, or on one line with <!-- auditor-ignore: {r.name} -->.",
    ]).replace("\n\n\n", "\n\n")




if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("rules.json").write_text(json.dumps(registry_rules(), indent=1, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
