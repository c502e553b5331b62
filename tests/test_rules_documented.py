"""Every rule is documented: docs/rules.md has a section with an example and a fix for each."""

from __future__ import annotations

import re

from click.testing import CliRunner
from conftest import ROOT

from auditor.checks import RULES
from auditor.cli import cli


def test_every_rule_has_a_section_with_example_and_fix() -> None:
    """docs/rules.md names each registered rule in a heading followed by an example and a fix."""
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### ([a-z0-9-]+)\n(.*?)(?=^### |\Z)", text, re.M | re.S))
    missing = [name for name in RULES if name not in sections]
    assert missing == []
    for name in RULES:
        assert "**Example:**" in sections[name] and "**Fix:**" in sections[name], name


def test_rules_command_lists_every_rule_with_its_severity() -> None:
    """`auditor rules` prints one line per rule: name, severity, description."""
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == len(RULES)
    for line, rule in zip(lines, RULES.values()):
        assert line.split()[:2] == [rule.name, rule.severity.value]


def test_rules_page_is_generated_from_the_catalogue() -> None:
    """docs/rules.md is exactly what `auditor rules --format markdown` writes, so it cannot go stale."""
    result = CliRunner().invoke(cli, ["rules", "--format", "markdown"])
    assert result.output == (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
