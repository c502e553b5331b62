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


class Progress:
    """A one-line progress bar on a terminal naming the current item, or nothing when the stream is not a
    terminal (a pipe, a file, a CI log). Lines printed through `echo` go above the bar."""

    WIDTH = 24

    def __init__(self, total: int, label: str, stream: IO[str] | None = None, *, enabled: bool | None = None) -> None:
        import sys

        self.stream = stream if stream is not None else sys.stderr
        self.total, self.label, self.done = total, label, 0
        self.item = ""
        if enabled is None:
            try:
                enabled = bool(self.stream.isatty())
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = enabled and total > 1
        self._last = 0.0
        self._shown = False

    def update(self, done: int, item: str = "") -> None:
        import time

        self.done, self.item = done, item
        now = time.monotonic()
        if self.enabled and (now - self._last >= 0.1 or done >= self.total):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        name = clean_line(self.item)
        if len(name) > 50:
            name = "…" + name[-49:]
        self.stream.write(f"\r\x1b[K{self.label} [{bar}] {self.done}/{self.total} {name}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def echo(self, text: str, stream: IO[str]) -> None:
        """Print text (ending with a newline) above the bar, then draw the bar again."""
        self.clear()
        stream.write(text)
        stream.flush()
        if self.enabled and self.done < self.total:
            self._draw()

    def close(self) -> None:
        self.clear()
