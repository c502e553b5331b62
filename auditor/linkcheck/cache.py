"""Cache policy: when a stored result may stand in for a fresh check (each rule with its reason).

- a successful result (ok, redirected) younger than `cache-age` is reused: the page rarely changes
  within a day and re-fetching it is impolite;
- a failure is never served from the cache: it may have been transient;
- the cache key includes the URL actually fetched (after --remap): a new mapping means a new check;
- a result dated in the future (a wrong clock, an edited database) is never trusted.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from auditor.linkcheck.classify import iso_date
from auditor.linkcheck.records import LinkRecord, Outcome
from auditor.timestamps import parse_iso


def is_stale(checked_at: dt.datetime, now: dt.datetime, age: dt.timedelta) -> bool:
    """Whether a result checked at `checked_at` is too old to trust (or dated in the future)."""
    return checked_at > now or now - checked_at >= age


def cached_record(row: dict[str, Any] | None, url: str, target: str, now: dt.datetime,
                  age: dt.timedelta) -> LinkRecord | None:
    """The stored result of `url` (a row of the links table) when it may be reused, else None."""
    if not row or row["outcome"] not in (Outcome.OK, Outcome.REDIRECTED):
        return None
    checked_at = parse_iso(row["checked_at"])
    if checked_at is None or is_stale(checked_at, now, age) or (row.get("fetched_url") or url) != target:
        return None
    outcome = Outcome(row["outcome"])
    return LinkRecord(url, outcome, "cached", row["http_status"], row["final_url"], row["title"],
                      tuple(json.loads(row.get("titles") or "[]")), iso_date(row["published"] or ""),
                      from_cache=True, fetched_url=target, raw_outcome=outcome)
