"""Configuration: `[tool.auditor]` in pyproject.toml or an auditor.toml, found by walking up from the documents.

    [tool.auditor]
    select = ["ALL"]                 # rule names or families (citations, entries, urls, text, links)
    ignore = ["bibliography-order"]
    fail-on = "error"                # error, warning, info or never
    baseline = ".auditor-baseline.json"  # findings recorded by `auditor baseline` do not fail the gate

    [tool.auditor.severity]
    uncited-entry = "info"

    [tool.auditor.per-path-ignores]
    "drafts/*.md" = ["uncited-entry"]

    [tool.auditor.links]
    exclude = ["^https?://localhost"]
    per-host = 2

    [tool.auditor.sources]           # with --check-sources and `auditor sources`
    mailto = "editor@example.org"    # sent to Crossref and OpenAlex for their polite pools

    [tool.auditor.manuscripts]       # files audited together as one manuscript, in this order
    thesis = ["thesis/bab*.md", "thesis/daftar_pustaka.md"]

Unknown keys, rule names and values are errors that say what is wrong.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.bounds import INT_RANGES, MAX_SECONDS
from auditor.catalogue import OUTPUT_FORMATS
from auditor.errors import ConfigError
from auditor.model import Severity
from auditor.userregex import check_remap, compile_pattern

TOP_KEYS = {"select", "ignore", "severity", "per-path-ignores", "fail-on", "links", "format", "manuscripts", "sources",
            "jobs", "scheduler", "baseline"}
LINK_KEYS: dict[str, type | tuple[type, ...]] = {
    "exclude": list, "per-host": int, "concurrency": int, "timeout": (int, float), "deadline": (int, float),
    "max-bytes": int, "max-redirects": int, "retries": int, "cache-age": str, "older-than": str,
    "allow-private": bool, "remap": list, "archive-url": str, "user-agent": str, "head": bool,
}
SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {
    "mailto": str, "crossref-url": str, "openalex-url": str, "datacite-url": str, "doi-url": str,
    "rate": (int, float), "timeout": (int, float), "cache-age": str, "concurrency": int, "retries": int,
}
FAIL_ON = ("error", "warning", "info", "never")
FORMATS = OUTPUT_FORMATS  # registered in auditor.output


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
class LinkOptions:
    """The link options of the command line (`audit --check-links`, `links`): flags, and numbers that
    override the configuration's (None: keep it)."""

    archive: bool = False
    allow_private: bool = False
    remap: list[tuple[str, str]] = field(default_factory=list)
    timeout: float | None = None
    deadline: float | None = None
    per_host: int | None = None
    concurrency: int | None = None

    def apply(self, links: LinkSettings) -> None:
        """Override the configured numbers with the ones given on the command line."""
        for name in ("timeout", "deadline", "per_host", "concurrency"):
            value = getattr(self, name)
            if value is not None:
                setattr(links, name, value)


@dataclass
class SourceSettings:
    """[tool.auditor.sources]: the scholarly registries, and how politely to ask them."""

    mailto: str | None = None
    crossref_url: str = "https://api.crossref.org"
    openalex_url: str = "https://api.openalex.org"
    datacite_url: str = "https://api.datacite.org"
    doi_url: str = "https://doi.org"
    rate: float = 5.0  # requests per second per registry: within Crossref's and OpenAlex's published limits
    timeout: float = 20.0
    cache_age: str = "30d"
    concurrency: int = 4
    retries: int = 2


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    severities: dict[str, Severity] = field(default_factory=dict)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: str = "error"
    format: str = "text"
    links: LinkSettings = field(default_factory=LinkSettings)
    sources: SourceSettings = field(default_factory=SourceSettings)
    # name → patterns of the files audited together as one manuscript, relative to the config file, in order
    manuscripts: dict[str, list[str]] = field(default_factory=dict)
    jobs: int | None = None  # worker processes (default: the cores)
    scheduler: str | None = None  # a Dask scheduler's address: the audit's units run on that cluster
    source: str | None = None  # the file the settings came from
    baseline: str | None = None  # the baseline file (relative to the config file's folder), if any
    root: Path | None = None  # per-path patterns are relative to the config file's folder

    def enabled_rules(self, path: str | None = None) -> set[str]:
        """The rules that run on a document at this path."""
        from auditor.catalogue import RULES

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
    from auditor.catalogue import RULES

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
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError, RecursionError):
                continue
            if "auditor" in data.get("tool", {}):
                return project
    return None


# Keys that change where the tool connects. A configuration file that is not the user's own (found
# by walking up from the documents to a folder below or beside the working directory, i.e. shipped
# with the documents) cannot set them: a pull request must not be able to make a CI job fetch
# 127.0.0.1 or send every URL to a server of its choosing.
TRUSTED_ONLY = ("allow-private", "remap", "archive-url")
# The registry URLs are trusted (the private-address guard does not apply to them): only the user sets them.
SOURCE_TRUSTED_ONLY = ("crossref-url", "openalex-url", "datacite-url", "doi-url")


def is_trusted_location(path: Path, cwd: Path | None = None) -> bool:
    """Whether a configuration file found by walking up lies in the working directory or above it."""
    folder = path.resolve().parent
    here = (cwd or Path.cwd()).resolve()
    return here == folder or folder in here.parents


def distrust(settings: Settings) -> list[str]:
    """Reset the TRUSTED_ONLY keys of settings from an untrusted file; return one warning per key it had set."""
    default = LinkSettings()
    warnings = []
    for key in TRUSTED_ONLY:
        attr = key.replace("-", "_")
        if getattr(settings.links, attr) != getattr(default, attr):
            setattr(settings.links, attr, getattr(default, attr))
            warnings.append(f"Warning: {settings.source}: links.{key} ignored: a configuration found among the "
                            f"documents cannot set it (use --config or the command line)")
    if settings.scheduler is not None:
        # A cluster's results are unpickled here: only the user may choose whom to trust with that.
        settings.scheduler = None
        warnings.append(f"Warning: {settings.source}: scheduler ignored: a configuration found among the "
                        f"documents cannot set it (use --config or --scheduler)")
    sources = SourceSettings()
    for key in SOURCE_TRUSTED_ONLY:
        attr = key.replace("-", "_")
        if getattr(settings.sources, attr) != getattr(sources, attr):
            setattr(settings.sources, attr, getattr(sources, attr))
            warnings.append(f"Warning: {settings.source}: sources.{key} ignored: a configuration found among the "
                            f"documents cannot set it (use --config)")
    return warnings


def discover_settings(start: Path, cwd: Path | None = None) -> tuple[Settings, list[str]]:
    """Settings from the configuration found by walking up from start, and what to say about it on stderr.

    A file at or above the working directory is the user's; one below it or elsewhere came with the
    documents: it is used (and said so), but the TRUSTED_ONLY keys are ignored with a warning.
    """
    found = find_config(start)
    settings = load_settings(found)
    if found is None or is_trusted_location(found, cwd):
        return settings, []
    note = f"Note: using the configuration {found}, found among the documents (not at or above the working directory)"
    notes = [note]
    return settings, notes + distrust(settings)


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
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from None
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
    if "jobs" in table:
        jobs = table["jobs"]
        if isinstance(jobs, bool) or not isinstance(jobs, int) or not 1 <= jobs <= 1024:
            raise ConfigError(f"{where}: jobs must be a whole number from 1 to 1024, not {jobs!r}")
        s.jobs = jobs
    if "scheduler" in table:
        scheduler = table["scheduler"]
        if not isinstance(scheduler, str) or not re.match(r"^(tcp|tls|inproc|ucx)://\S+$", scheduler):
            raise ConfigError(f"{where}: scheduler must be a Dask scheduler address such as "
                              f"\"tcp://host:8786\", not {scheduler!r}")
        s.scheduler = scheduler
    if "links" in table:
        s.links = parse_links(table["links"], f"{where}: links")
    if "sources" in table:
        s.sources = parse_sources(table["sources"], f"{where}: sources")
    if "manuscripts" in table:
        s.manuscripts = parse_manuscripts(table["manuscripts"], f"{where}: manuscripts")
    if "baseline" in table:
        if not isinstance(table["baseline"], str) or not table["baseline"].strip():
            raise ConfigError(f"{where}: baseline must be the path of a baseline file, got {table['baseline']!r}")
        s.baseline = table["baseline"]
    return s


def parse_manuscripts(table: Any, where: str) -> dict[str, list[str]]:
    """`name = ["pattern", …]`: the files of each manuscript, in reading order."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of name = [file patterns]")
    out = {}
    for name, patterns in table.items():
        if not name.strip():
            raise ConfigError(f"{where}: a manuscript needs a name")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p.strip()
                                                                     for p in patterns):
            raise ConfigError(f"{where}.{name}: expected a non-empty list of file patterns, got {patterns!r}")
        out[name] = list(patterns)
    return out


def parse_severities(table: Any, where: str) -> dict[str, Severity]:
    from auditor.catalogue import RULES

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of rule = \"error\" | \"warning\" | \"info\"")
    out = {}
    for name, value in table.items():
        if name not in RULES:
            expand_rules([name], where)  # raises with a suggestion
        out[name] = Severity(_choice(value, ("error", "warning", "info"), f"{where}.{name}"))
    return out


def _typed_items(table: Any, where: str, keys: dict[str, Any]) -> list[tuple[str, Any]]:
    """The (key, value) pairs of a configuration table, each key known and each value of its type
    (true/false is not a number)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - set(keys)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known keys are {', '.join(sorted(keys))}")
    for key, raw in table.items():
        kind = keys[key]
        if not isinstance(raw, kind) or (isinstance(raw, bool) and kind is not bool):
            raise ConfigError(f"{where}.{key}: expected {getattr(kind, '__name__', 'a number')}, got {raw!r}")
    return list(table.items())


def parse_links(table: Any, where: str) -> LinkSettings:
    links = LinkSettings()
    for key, raw in _typed_items(table, where, LINK_KEYS):
        value: Any = raw
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
        if key in INT_RANGES:
            low, high = INT_RANGES[key]
            if not low <= value <= high:
                raise ConfigError(f"{where}.{key}: must be between {low} and {high}, got {value}")
        if key in ("timeout", "deadline"):
            value = check_seconds(value, f"{where}.{key}")
        if key in ("cache-age", "older-than"):
            parse_duration(value, f"{where}.{key}")
        if key == "user-agent":
            check_header_value(value, f"{where}.{key}")
        if key == "archive-url" and not re.match(r"https?://[^\s/?#]+", value, re.IGNORECASE):
            raise ConfigError(f"{where}.{key}: expected an http(s) URL, got {value!r}")
        setattr(links, key.replace("-", "_"), value)
    return links


MAILTO = re.compile(r"[^@\s<>\"',;:()]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")


def parse_sources(table: Any, where: str) -> SourceSettings:
    """[tool.auditor.sources], validated like [tool.auditor.links]."""
    out = SourceSettings()
    for key, raw in _typed_items(table, where, SOURCE_KEYS):
        value: Any = raw
        if key == "mailto" and not MAILTO.fullmatch(value):
            raise ConfigError(f"{where}.mailto: expected an e-mail address, got {value!r}")
        if key.endswith("-url"):
            if not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", value, re.IGNORECASE):
                raise ConfigError(f"{where}.{key}: expected an http(s) base URL without a query, got {value!r}")
            value = value.rstrip("/")
        if key == "rate" and not (math.isfinite(value) and 0 < value <= 50):
            raise ConfigError(f"{where}.rate: expected requests per second above 0 and at most 50, got {value!r}")
        if key == "timeout":
            value = check_seconds(value, f"{where}.timeout")
        if key == "cache-age":
            parse_duration(value, f"{where}.cache-age")
        if key in SOURCE_INT_RANGES:
            low, high = SOURCE_INT_RANGES[key]
            if not low <= value <= high:
                raise ConfigError(f"{where}.{key}: must be between {low} and {high}, got {value}")
        setattr(out, key.replace("-", "_"), float(value) if key == "rate" else value)
    return out


SOURCE_INT_RANGES = {"concurrency": (1, 16), "retries": (0, 5)}


MAX_DURATION = dt.timedelta(days=36_525)  # a hundred years
DURATION = re.compile(r"\s*(\d{1,12}(?:\.\d{1,9})?)\s*([dhms]?)\s*")
UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def check_seconds(value: float, where: str) -> float:
    """A timeout in seconds: finite, above zero and at most a day."""
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise ConfigError(f"{where}: expected a number of seconds above 0 and at most {MAX_SECONDS:g}, "
                          f"got {value!r}")
    return float(value)


def parse_duration(text: str, where: str = "duration") -> dt.timedelta:
    """"7d", "12h", "30m", "90s" or a number of days, at most a hundred years; else a ConfigError."""
    m = DURATION.fullmatch(str(text))
    if not m:
        raise ConfigError(f"{where}: '{text}' is not a duration; use e.g. 7d, 12h, 30m")
    value, unit = float(m.group(1)), m.group(2) or "d"
    try:
        duration = dt.timedelta(**{UNITS[unit]: value})
    except OverflowError:
        duration = MAX_DURATION + MAX_DURATION
    if duration > MAX_DURATION:
        raise ConfigError(f"{where}: '{text}' is longer than a hundred years")
    return duration


def check_header_value(value: str, where: str) -> None:
    """A value sent as an HTTP header: printable, no line breaks or other control characters."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) or not value.strip():
        raise ConfigError(f"{where}: must be one line of printable text without control characters")
    if len(value) > 512:
        raise ConfigError(f"{where}: longer than 512 characters")


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
