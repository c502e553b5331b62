"""Regular expressions written by the user (`exclude`, `remap`, `--remap`), run in linear time.

A pattern from a configuration file is input like any other: with Python's backtracking `re`,
`(a+)+!x` against a long URL runs for minutes. These patterns are compiled with RE2 (google-re2),
whose matching time is linear in the text, so no pattern can hang the run. RE2 has no lookaround and
no backreferences; a pattern using them is a configuration error that says so.

Replacements use Python's syntax (`\\1`, `\\g<1>`, `\\g<name>`, `\\\\`) and are checked when the
configuration is loaded: a reference to a group the pattern does not have is an error naming the key.
The replacement is expanded here rather than by re2's own `sub`, whose template expansion mangles
non-ASCII replacement text (it passes it through `unicode_escape`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

from auditor.errors import ConfigError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is reported as a ConfigError, not logged by the C++ library
_OPTIONS.max_mem = 8 << 20  # RE2's own memory cap for the compiled program (8 MB; its default)

# A group reference or an escape in a replacement, in Python's template syntax.
_TEMPLATE = re.compile(r"\\(?:g<([^>]*)>|([0-9]{1,2})|(.)|$)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "b": "\b", "\\": "\\"}


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> Any:  # an RE2 program (google-re2 has no type hints)
    return re2.compile(pattern, options=_OPTIONS)


def compile_pattern(pattern: str, where: str) -> object:
    """The RE2 program of a user pattern, or a ConfigError naming where it came from."""
    try:
        return _compile(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ConfigError(f"{where}: '{pattern}' is not a valid regular expression ({reason}; patterns are "
                          f"run by RE2 in linear time, so lookarounds and backreferences are not "
                          f"supported)") from None


def parse_replacement(replacement: str, regex: object, where: str) -> tuple[str | int, ...]:
    """The replacement as literal pieces and group numbers; a bad group reference is a ConfigError."""
    groups: int = regex.groups  # type: ignore[attr-defined]
    names: dict[str, int] = dict(regex.groupindex)  # type: ignore[attr-defined]
    pieces: list[str | int] = []
    literal: list[str] = []
    pos = 0
    for m in _TEMPLATE.finditer(replacement):
        literal.append(replacement[pos:m.start()])
        pos = m.end()
        name, number, char = m.group(1), m.group(2), m.group(3)
        if name is not None or number is not None:
            ref = name if name is not None else number
            if ref.isdigit():
                index = int(ref)
            elif ref in names:
                index = names[ref]
            else:
                raise ConfigError(f"{where}: the replacement '{replacement}' refers to the group '{ref}', "
                                  f"which the pattern does not have")
            if index > groups or (number is not None and index == 0):
                raise ConfigError(f"{where}: the replacement '{replacement}' refers to group {ref}, but the "
                                  f"pattern has {groups} group(s)")
            pieces.append("".join(literal))
            pieces.append(index)
            literal = []
        elif char is None:
            raise ConfigError(f"{where}: the replacement '{replacement}' ends with a lone backslash")
        elif char in _ESCAPES:
            literal.append(_ESCAPES[char])
        elif char.isascii() and char.isalpha():
            raise ConfigError(f"{where}: the replacement '{replacement}' has the unknown escape \\{char}")
        else:
            literal.append("\\" + char)  # as Python's re does with \. and the like
    literal.append(replacement[pos:])
    pieces.append("".join(literal))
    return tuple(p for p in pieces if p != "")


def check_remap(pattern: str, replacement: str, where: str) -> None:
    """Both halves of a remap rule are valid, or a ConfigError names the key."""
    parse_replacement(replacement, compile_pattern(pattern, where), where)


def search(pattern: str, text: str) -> bool:
    """Whether the (already validated) pattern occurs in text."""
    return _compile(pattern).search(text) is not None


@functools.lru_cache(maxsize=256)
def _template(pattern: str, replacement: str) -> tuple[str | int, ...]:
    return parse_replacement(replacement, _compile(pattern), "remap")


def substitute(pattern: str, replacement: str, text: str) -> str:
    """re.sub(pattern, replacement, text) in linear time."""
    pieces = _template(pattern, replacement)

    def expand(match) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in pieces)

    return _compile(pattern).sub(expand, text)
