"""Configuration: `[tool.auditor]` in pyproject.toml or an auditor.toml, found by walking up from the documents.

    [tool.auditor]
    select = ["ALL"]                 # rule names or families (citations, entries, urls, text, links)
    ignore = ["bibliography-order"]
    fail-on = "error"                # error, warning, info or never

    [tool.auditor.severity]
    uncited-entry = "info"

    [tool.auditor.per-path-ignores]
    "drafts/*.md" = ["uncited-entry"]

    [tool.auditor.links]
    exclude = ["^https?://localhost"]
    per-host = 2

Unknown keys, rule names and values are errors that say what is wrong.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError
from auditor.model import Severity
from auditor.userregex import check_remap, compile_pattern

TOP_KEYS = {"select", "ignore", "severity", "per-path-ignores", "fail-on", "links", "format"}
LINK_KEYS = {
    "exclude": list, "per-host": int, "concurrency": int, "timeout": (int, float), "deadline": (int, float),
    "max-bytes": int, "max-redirects": int, "retries": int, "cache-age": str, "older-than": str,
    "allow-private": bool, "remap": list, "archive-url": str, "user-agent": str, "head": bool,
}
FAIL_ON = ("error", "warning", "info", "never")
FORMATS = ("text", "json", "sarif", "github")


@dataclass
class LinkSettings:
    exclude: list[str] = field(default_factory=list)
    per_host: int = 2
    concurrency: int = 32
    timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 3 * 1024 * 1024
    max_redirects: int = 10
    retries: int = 2
    cache_age: str = "1d"
    older_than: str = "7d"
    allow_private: bool = False
    remap: list[tuple[str, str]] = field(default_factory=list)
    archive_url: str = "https://archive.org/wayback/available"
    user_agent: str | None = None
    head: bool = False


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severities: dict[str, Severity] = field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: str = "error"
    format: str = "text"
    links: LinkSettings = field(default_factory=LinkSettings)
    source: str | None = None  # the file the settings came from
    root: Path | None = None  # per-path patterns are relative to the config file's folder

    def enabled_rules(self, path: str | None = None) -> set[str]:
        """The rules that run on a document at this path."""
        from auditor.checks import RULES

        chosen = expand_rules(self.select, "select")
        chosen -= expand_rules(self.ignore, "ignore")
        if path is not None:
            for pattern, rules in self.per_path_ignores.items():
                if _path_matches(path, pattern, self.root):
                    chosen -= expand_rules(rules, f"per-path-ignores.{pattern}")
        return {r for r in chosen if r in RULES}

    def for_path(self, path: str) -> dict[str, Any]:
        return {"path": path, "fail_on": self.fail_on}


def _path_matches(path: str, pattern: str, root: Path | None) -> bool:
    p = Path(path)
    candidates = [p.as_posix(), p.name]
    if root is not None:
        try:
            candidates.append(p.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    return any(fnmatch.fnmatch(c, pattern) for c in candidates)


def expand_rules(names: list[str], where: str) -> set[str]:
    """Rule names, families and ALL into rule names; an unknown name is a ConfigError."""
    from auditor.checks import RULES

    families = {r.family for r in RULES.values()}
    out: set[str] = set()
    for name in names:
        if name.upper() == "ALL":
            out |= set(RULES)
        elif name in RULES:
            out.add(name)
        elif name in families:
            out |= {r.name for r in RULES.values() if r.family == name}
        elif name == "internal-error":
            continue
        else:
            close = _closest(name, list(RULES) + sorted(families))
            hint = f" (did you mean '{close}'?)" if close else ""
            raise ConfigError(f"{where}: unknown rule '{name}'{hint}; 'auditor rules' lists them")
    return out


def _closest(name: str, options: list[str]) -> str | None:
    from rapidfuzz import process

    best = process.extractOne(name, options, score_cutoff=70)
    return best[0] if best else None


def find_config(start: Path) -> Path | None:
    """The nearest auditor.toml, or pyproject.toml with a [tool.auditor] table, from start upwards."""
    folder = start if start.is_dir() else start.parent
    folder = folder.resolve()
    for candidate in [folder, *folder.parents]:
        own = candidate / "auditor.toml"
        if own.is_file():
            return own
        project = candidate / "pyproject.toml"
        if project.is_file():
            try:
                data = tomllib.loads(project.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                continue
            if "auditor" in data.get("tool", {}):
                return project
    return None


def load_settings(path: Path | None) -> Settings:
    """Read settings from a config file (None gives the defaults)."""
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    table = data.get("tool", {}).get("auditor") if path.name == "pyproject.toml" else data.get("tool", {}).get(
        "auditor", data)
    if table is None:
        return Settings(source=str(path), root=path.parent)
    settings = parse_settings(table, str(path))
    settings.source = str(path)
    settings.root = path.parent
    return settings


def parse_settings(table: dict[str, Any], where: str = "configuration") -> Settings:
    """Validate a [tool.auditor] table into Settings."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.auditor] must be a table")
    unknown = set(table) - TOP_KEYS - {"tool"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known keys are {', '.join(sorted(TOP_KEYS))}")
    s = Settings()
    if "select" in table:
        s.select = _str_list(table["select"], f"{where}: select")
        expand_rules(s.select, f"{where}: select")
    if "ignore" in table:
        s.ignore = _str_list(table["ignore"], f"{where}: ignore")
        expand_rules(s.ignore, f"{where}: ignore")
    if "severity" in table:
        s.severities = parse_severities(table["severity"], f"{where}: severity")
    if "per-path-ignores" in table:
        ppi = table["per-path-ignores"]
        if not isinstance(ppi, dict):
            raise ConfigError(f"{where}: per-path-ignores must be a table of pattern = [rules]")
        for pattern, rules in ppi.items():
            s.per_path_ignores[pattern] = _str_list(rules, f"{where}: per-path-ignores.{pattern}")
            expand_rules(s.per_path_ignores[pattern], f"{where}: per-path-ignores.{pattern}")
    if "fail-on" in table:
        s.fail_on = _choice(table["fail-on"], FAIL_ON, f"{where}: fail-on")
    if "format" in table:
        s.format = _choice(table["format"], FORMATS, f"{where}: format")
    if "links" in table:
        s.links = parse_links(table["links"], f"{where}: links")
    return s


def parse_severities(table: Any, where: str) -> dict[str, Severity]:
    from auditor.checks import RULES

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of rule = \"error\" | \"warning\" | \"info\"")
    out = {}
    for name, value in table.items():
        if name not in RULES:
            expand_rules([name], where)  # raises with a suggestion
        out[name] = Severity(_choice(value, ("error", "warning", "info"), f"{where}.{name}"))
    return out


def parse_links(table: Any, where: str) -> LinkSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - set(LINK_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known keys are {', '.join(sorted(LINK_KEYS))}")
    links = LinkSettings()
    for key, value in table.items():
        kind = LINK_KEYS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{where}.{key}: expected {getattr(kind, '__name__', 'a number')}, got {value!r}")
        if key == "remap":
            pairs = []
            for item in value:
                if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                    raise ConfigError(f"{where}.remap: each item must be [pattern, replacement]")
                pairs.append((item[0], item[1]))
            value = pairs
        if key in ("exclude",):
            value = _str_list(value, f"{where}.{key}")
        if key == "exclude":
            for pattern in value:
                check_pattern(pattern, f"{where}.{key}")
        if key == "remap":
            for pattern, replacement in value:
                check_remap(pattern, replacement, f"{where}.{key}")
        if key in ("per-host", "concurrency", "max-redirects", "max-bytes") and value < 1:
            raise ConfigError(f"{where}.{key}: must be at least 1")
        setattr(links, key.replace("-", "_"), value)
    return links


def check_pattern(pattern: str, where: str) -> None:
    """A regular expression from the user compiles (with RE2: linear time), or a ConfigError says why."""
    compile_pattern(pattern, where)


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return list(value)


def _choice(value: Any, options: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value.lower() not in options:
        raise ConfigError(f"{where}: expected one of {', '.join(options)}, got {value!r}")
    return value.lower()
