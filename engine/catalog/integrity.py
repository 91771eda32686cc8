"""Size and sha256 checks for downloaded files, with a stamp so a verified cache file is not re-hashed on every open.

The stamp ``<file>.sha256`` records the digest with the file's size and mtime; any change to either
makes the next check hash the file again (a medium release is ~11 GB, a full one ~270 GB).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from engine.files import atomic_write_text, sha256_file

_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")


def is_sha256(value: object) -> bool:
    """Whether ``value`` is a hex sha256 digest (64 hex digits, any case)."""
    return isinstance(value, str) and _SHA256_RE.fullmatch(value) is not None


def mismatch(
    path: Path,
    *,
    size: int | None = None,
    sha256: str | None = None,
    digest: Callable[[Path], str] = sha256_file,
) -> str | None:
    """How ``path`` differs from the expected size / sha256 (``None`` when it matches or nothing is expected)."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        return f"expected {size} bytes, got {actual_size}"
    if sha256 is not None:
        actual = digest(path)
        if actual != sha256:
            return f"expected sha256 {sha256}, got {actual}"
    return None


def stamped_sha256(path: Path) -> str:
    """The sha256 of ``path``, from its stamp when size and mtime still match, else hashed and stamped."""
    stat = path.stat()
    try:
        stamp = json.loads(stamp_path(path).read_text())
        if stamp["size"] == stat.st_size and stamp["mtime_ns"] == stat.st_mtime_ns:
            return str(stamp["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no stamp or an unreadable one: hash the file
    digest = sha256_file(path)
    with contextlib.suppress(OSError):  # a read-only shared cache still works, just without the shortcut
        write_stamp(path, digest)
    return digest


def write_stamp(path: Path, digest: str) -> None:
    """Record that ``path`` (as it is now) has sha256 ``digest``."""
    stat = path.stat()
    record = {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    atomic_write_text(stamp_path(path), json.dumps(record))


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")
