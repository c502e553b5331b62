"""Text bound for a terminal or a log: control characters escaped, colour only where it belongs.

Documents and web pages are untrusted. An ESC, OSC or CSI sequence in a citation, a page title or a
file name must not reach a terminal as such (it could retitle the window, hide lines, or write a
hyperlink), and colour codes must not end up in files, pipes or CI logs.
"""

from __future__ import annotations

import os
import re
from typing import IO

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
# that reorder what a reader sees (as in "Trojan Source").
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: object) -> str:
    """Text with every control character except newline and tab shown as an escape such as \\x1b."""
    return _CONTROL.sub(_escape, str(text))


def clean_line(text: object) -> str:
    """Like clean, and newlines escaped too: for one field of one output line (a path, a message)."""
    return _CONTROL_OR_NEWLINE.sub(_escape, str(text))


COLOUR_MODES = ("auto", "always", "never")
_mode = "auto"  # set once per command from --color (see set_colour_mode)


def set_colour_mode(mode: str | None) -> None:
    """`--color auto|always|never` for this process: always forces colour (as ruff and click do), never
    turns it off, auto leaves it to the terminal and NO_COLOR."""
    global _mode
    if mode is not None and mode not in COLOUR_MODES:
        raise ValueError(f"colour mode {mode!r}")
    _mode = mode or "auto"


def use_colour(stream: IO[str] | None, mode: str | None = None) -> bool:
    """Colour when `--color always`; never with `--color never`; otherwise only on a terminal and never
    when NO_COLOR is set to a non-empty value (https://no-color.org)."""
    mode = mode or _mode
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False
