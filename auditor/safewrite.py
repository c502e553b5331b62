"""Write output files by replacing them, never by writing through what is already there.

Each file is written to a temporary file in the same folder and renamed over the target. A rename
replaces the directory entry: when the target is a symbolic link (say `reports/index.html` planted
to point at `~/.bashrc`), the link is replaced and what it pointed to is untouched; and a reader (or
an interrupted run) never sees a half-written file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | Path, data: bytes) -> None:
    """Replace path with a file holding data (temporary file in the same folder, then rename)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)  # a full disk fails here or at close, and the old file stays as it was
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output file gets the usual mode
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text(path: str | Path, text: str) -> None:
    """Replace path with a UTF-8 text file."""
    write_bytes(path, text.encode("utf-8"))
