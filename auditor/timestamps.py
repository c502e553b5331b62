"""Moments as the database stores them: ISO 8601 in UTC to the second, written with a Z."""

from __future__ import annotations

import datetime as dt


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now_iso() -> str:
    return iso(dt.datetime.now(dt.UTC))


def parse_iso(text: str | None) -> dt.datetime | None:
    """A stored moment, or None when there is none or it cannot be read."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
