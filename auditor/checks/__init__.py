"""The rule catalogue: importing this package registers every rule."""

from auditor.checks import citations, entries, fields, links, sources, text, urls  # noqa: F401  (registration)
from auditor.checks.registry import RULES, AuditContext, Hit, Rule, rule, run_checks

__all__ = ["RULES", "AuditContext", "Hit", "Rule", "rule", "run_checks"]
