"""What link checking returns: outcomes, kinds of network failure, and one record per URL.

They are `StrEnum`s: each member is the very string stored in the database and shown to users, so
`Outcome.OK == "ok"` and a stored row needs no conversion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from auditor.model import PartialDate


class Outcome(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    DEAD = "dead"
    SOFT_404 = "soft-404"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"


class ErrorKind(StrEnum):
    """Why a fetch got no HTTP answer (None on a Fetch means it got one)."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    REDIRECTS = "redirects"
    INVALID = "invalid"
    PRIVATE = "private"
    SCHEME = "scheme"
    CONNECTION = "connection"


# A check that failed (a later success resets the history of failures).
FAILURES = frozenset({Outcome.DEAD, Outcome.SOFT_404, Outcome.TIMEOUT, Outcome.ERROR})
# Failures that may be over by the next check (a scheduled check waits for three of them).
TRANSIENT_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.DNS, ErrorKind.REFUSED, ErrorKind.CONNECTION,
                             ErrorKind.TLS, ErrorKind.INVALID})
# When every URL fetched, on at least two hosts, failed so, the machine is offline.
OFFLINE_KINDS = frozenset({ErrorKind.DNS, ErrorKind.CONNECTION})


@dataclass
class LinkRecord:
    """What is known of one cited URL after a check (or from the cache): the engine's answer."""

    url: str
    outcome: Outcome
    detail: str
    http_status: int | None = None
    final_url: str | None = None
    title: str | None = None
    titles: tuple[str, ...] = ()
    published: PartialDate | None = None
    error: str | None = None
    elapsed_ms: int = 0
    fetched_url: str | None = None
    from_cache: bool = False
    archive_url: str | None = None
    raw_outcome: Outcome | None = None
    error_kind: ErrorKind | None = None
    content_type: str | None = None


@dataclass
class LinkRun:
    """The records of one batch of checks, by cited URL."""

    records: dict[str, LinkRecord] = field(default_factory=dict)
    checked: int = 0
    cached: int = 0
    offline: bool = False  # every fetch failed as if the machine had no network: nothing is recorded

    def summary(self) -> str:
        counts = {o: 0 for o in Outcome}
        for r in self.records.values():
            counts[r.outcome] = counts.get(r.outcome, 0) + 1
        parts = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        return f"Links: {parts or 'none'} ({self.checked} checked, {self.cached} from cache)"

    def to_store(self) -> list[LinkRecord]:
        """The records a run writes to the database: fresh checks, none when the network was down."""
        return [] if self.offline else [r for r in self.records.values() if not r.from_cache]
