"""A baseline: the findings of a day recorded by fingerprint, so that a gate fails only on new ones.

`auditor baseline` audits the documents and writes the fingerprints of their findings (those that
count: not suppressed) to a JSON file; `auditor audit --baseline FILE` (or `baseline = "…"` in
`[tool.auditor]`) marks each finding the file holds as baselined: it is stored and shown, like a
suppressed finding, but does not count for the exit code. Fingerprints (rule, document name, subject)
do not depend on line numbers, so moving text does not make a baselined finding new. A fingerprint
recorded twice covers two findings: a third one like them is new.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ConfigError
from auditor.store import fingerprint
from auditor.timestamps import now_iso

if TYPE_CHECKING:
    from auditor.audit import AuditResult
    from auditor.rows import UnitRows

DEFAULT_NAME = ".auditor-baseline.json"
FORMAT_VERSION = 1
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Baseline:
    path: Path
    counts: Counter[str] = field(default_factory=Counter)

    def digest(self) -> str:
        """What the baseline holds, as a key (a stored result made with another baseline is not reused)."""
        import hashlib

        return hashlib.sha256(json.dumps(sorted(self.counts.items())).encode()).hexdigest()[:16]


def default_path(root: Path | None) -> Path:
    """Where `auditor baseline` writes when not told: beside the configuration file, else here."""
    return (root or Path(".")) / DEFAULT_NAME


def read_baseline(path: str | Path) -> Baseline:
    """The baseline file's fingerprints; a missing or malformed file is one clear configuration error."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{p}: the baseline file is too large (more than {MAX_BYTES} bytes)")
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such baseline file (`auditor baseline` writes one)") from None
    except OSError as exc:
        raise ConfigError(f"{p}: the baseline file cannot be read ({exc.strerror or exc})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: not a baseline file (invalid JSON: {exc})") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or not all(
            isinstance(f, dict) and isinstance(f.get("fingerprint"), str) for f in findings):
        raise ConfigError(f"{p}: not a baseline file (expected an object with a list of findings, each with "
                          f"a fingerprint)")
    return Baseline(p, Counter(f["fingerprint"] for f in findings))


def baseline_rows(result: AuditResult) -> list[dict[str, Any]]:
    """The findings of an audit that count (not suppressed), as the baseline file lists them."""
    rows = []
    for d in result.readable:
        for f in d.findings:
            if f.suppressed:
                continue
            rows.append({"fingerprint": fingerprint(f.rule, d.path, f.subject), "rule": f.rule,
                         "severity": f.severity.value, "path": d.path, "line": f.line, "message": f.message})
    rows.sort(key=lambda r: (r["path"], r["line"] or 0, r["rule"], r["fingerprint"]))
    return rows


def baseline_text(result: AuditResult) -> str:
    from auditor import __version__
    from auditor.output import dumps

    return dumps({"version": FORMAT_VERSION, "tool": {"name": "citation-auditor", "version": __version__},
                  "created_at": now_iso(), "findings": baseline_rows(result)}) + "\n"


def apply_baseline(result: AuditResult, baseline: Baseline) -> int:
    """Mark the findings the baseline holds as baselined (and so suppressed); return how many."""
    left = Counter(baseline.counts)
    marked = 0
    for d in result.readable:
        for f in d.findings:
            if f.suppressed:
                continue
            if _spend(left, fingerprint(f.rule, d.path, f.subject)):
                f.baselined = f.suppressed = True
                marked += 1
    return marked


def _spend(left: Counter[str], fp: str) -> bool:
    """Whether the baseline still covers a finding with this fingerprint (and count it as covered)."""
    if left[fp] <= 0:
        return False
    left[fp] -= 1
    return True


def mark_baselined(unit: UnitRows, left: Counter[str]) -> int:
    """apply_baseline on a unit's rows as they reach the writer (in the run's order, so the same findings
    are marked however the work was run); the documents' counts leave the baselined findings out."""
    from auditor.rows import FINDING_COLUMNS

    at = {name: 3 + i for i, name in enumerate(FINDING_COLUMNS)}  # after the three ordinals
    marked = 0
    for d in unit.documents:
        for n, row in enumerate(d.findings):
            if row[at["suppressed"]] or not _spend(left, str(row[at["fingerprint"]])):
                continue
            changed = list(row)
            changed[at["suppressed"]] = changed[at["baselined"]] = 1
            d.findings[n] = tuple(changed)
            key = {"error": "errors", "warning": "warnings", "info": "infos"}[str(row[at["severity"]])]
            d.document[key] = int(d.document[key]) - 1  # type: ignore[call-overload]
            marked += 1
    return marked
