"""History policy: what one more check of a URL means given its earlier ones.

For scheduled checks (`auditor links`): a transient failure (timeout, 5xx, no such host, refused
connection) becomes `dead` only after three consecutive failures at least a day apart; 404 and 410
are dead at once. Failures are counted at most once a day; a success clears the count. An audit's own
check (`audit --check-links`) records the failure count but reports what it saw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from auditor.linkcheck.records import FAILURES, TRANSIENT_KINDS, LinkRecord, Outcome
from auditor.timestamps import iso, parse_iso

FAILURES_TO_DEAD = 3


@dataclass
class History:
    """The failure history of a URL after a check, as the links table stores it."""

    outcome: Outcome
    detail: str
    consecutive_failures: int
    first_failed_at: str | None
    last_failure_at: str | None


def next_history(rec: LinkRecord, old: dict[str, Any] | None, now: dt.datetime, scheduled: bool) -> History:
    """The stored outcome and failure history after `rec`, given the URL's previous row `old`."""
    outcome, detail = rec.outcome, rec.detail
    failures = old["consecutive_failures"] if old and old["consecutive_failures"] else 0
    first_failed = old["first_failed_at"] if old else None
    last_failure = parse_iso(old.get("last_failure_at")) if old else None
    if rec.outcome not in FAILURES:
        return History(outcome, detail, 0, None, None)
    if last_failure is None or now - last_failure >= dt.timedelta(days=1) or failures == 0:
        failures += 1
        last_failure = now
    first_failed = first_failed or iso(now)
    permanent = rec.outcome == Outcome.DEAD and rec.http_status in (404, 410)
    transient = rec.outcome in (Outcome.DEAD, Outcome.TIMEOUT, Outcome.ERROR) and (
        rec.outcome != Outcome.DEAD or rec.error_kind in TRANSIENT_KINDS)
    if scheduled and not permanent and transient:
        if failures >= FAILURES_TO_DEAD:
            outcome = Outcome.DEAD
            detail = f"{detail}; failing for {failures} checks since {first_failed[:10]}"
        else:
            outcome = Outcome.ERROR if rec.outcome == Outcome.DEAD else rec.outcome
            detail = f"{detail} (failure {failures} of {FAILURES_TO_DEAD} before it counts as dead)"
    return History(outcome, detail, failures, first_failed, iso(last_failure))
