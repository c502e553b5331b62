"""The one function through which registry lookups reach the network.

It uses the link checker's hardened client (bounded body, decompression-safe, total deadline). The
registry base URLs come from the user's configuration, so they are trusted: the private-address
guard, which protects against URLs taken from documents, is off for them (a mirror on a private or
loopback address works). A document's text reaches a registry only as query values and a DOI in the
path, never as a URL to fetch.
"""

from __future__ import annotations

from urllib.parse import urlencode

from auditor.linkcheck.client import USER_AGENT, Policy, fetch

MAX_BYTES = 4 * 1024 * 1024


def get_json(url: str, params: dict[str, str], headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a GET with the registry's headers (User-Agent, Accept); status 0 when nothing
    answered, with the reason in headers["x-error"]."""
    full = url + ("?" + urlencode(params) if params else "")
    extra = {k: v for k, v in headers.items() if k.lower() != "user-agent"}  # Accept and the like, as asked
    policy = Policy(timeout=timeout, deadline=timeout * 2, max_bytes=MAX_BYTES, max_redirects=3, allow_private=True,
                    user_agent=headers.get("User-Agent") or USER_AGENT, stop_at_front=False, headers=extra)
    f = fetch(full, policy)
    if f.error_kind is not None or f.status is None:
        return 0, {"x-error": f.error or f.error_kind or "no answer"}, b""
    if f.truncated:
        return 0, {"x-error": f"the answer is larger than {MAX_BYTES} bytes"}, b""
    return f.status, f.headers, f.body
