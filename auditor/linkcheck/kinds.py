"""The values link checking speaks in: outcomes of a check and kinds of network failure.

They are `StrEnum`s: each member is the very string stored in the database and shown to users, so
`Outcome.OK == "ok"` and a stored row needs no conversion.
"""

from __future__ import annotations

from enum import StrEnum


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
