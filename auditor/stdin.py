"""`-` as a path: a document read from standard input, as ruff and other linters do.

`--stdin-filename NAME` gives it a name: its suffix decides the format and its folder where the
configuration is looked for; without it the document is called `-` and read as Markdown (which reads
plain text as well). It is bounded like a file (the same size limit, read at most one byte past it)
and stored under its name like any document.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import BinaryIO

from auditor.config import Settings
from auditor.documents import FORMATS, MAX_BYTES, READERS, document_from_bytes, read_with, supported_suffixes
from auditor.errors import AuditorError, DocumentError, UnsupportedFormatError
from auditor.model import Document
from auditor.store import DocumentResult

STDIN = "-"
DEFAULT_FORMAT = "md"


def read_stdin(name: str | None = None, stream: BinaryIO | None = None, limit: int = MAX_BYTES) -> tuple[str, bytes]:
    """The name the document goes by and its bytes: at most limit + 1 of them, whatever is sent (one
    more than the limit says that it was too large)."""
    source = stream if stream is not None else sys.stdin.buffer
    label = name or STDIN
    chunks: list[bytes] = []
    remaining = limit + 1
    try:
        while remaining > 0:
            chunk = source.read(min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise AuditorError(f"{label} (standard input): cannot be read ({exc.strerror or exc})") from None
    return label, b"".join(chunks)


def stdin_format(name: str) -> str:
    if name == STDIN:
        return DEFAULT_FORMAT
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(f"{name}: unsupported format '{Path(name).suffix}' (--stdin-filename; the "
                                     f"auditor reads {', '.join(supported_suffixes())})")
    return fmt


def load_stdin(name: str, data: bytes) -> Document:
    """Read standard input's bytes as a document of the format its name gives."""
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{name} (standard input): too large (more than {MAX_BYTES} bytes)")
    fmt = stdin_format(name)
    if fmt in READERS:
        return read_with(fmt, name, data)
    return document_from_bytes(name, data, fmt)


def audit_stdin(name: str, data: bytes, settings: Settings, today: dt.date, strict: bool = False) -> DocumentResult:
    """Audit standard input's document as a file of that name; one that cannot be read is an error result.
    The files it names as its parts are not read: standard input has no folder."""
    from auditor.audit import audit_document

    try:
        doc = load_stdin(name, data)
    except DocumentError as exc:
        return DocumentResult(name, error=str(exc))
    return audit_document(doc, name, settings, today, strict)
