"""Copy any fsspec URL or local path (file://, memory://, s3:// ...) into a partial file, resuming it when possible."""

from __future__ import annotations

from pathlib import Path

import fsspec
from tqdm import tqdm

from engine.catalog.progress import restart
from engine.errors import DownloadError, IntegrityError

CHUNK = 1 << 20


def fetch_fsspec(url: str, part: Path, *, size: int | None, bar: tqdm) -> Path:
    """Stream ``url`` into ``part``; an existing shorter partial is continued from its length.

    Transient-error retries are left to the fsspec backend (s3fs, gcsfs ... retry on their own).
    """
    try:
        fs, path = fsspec.core.url_to_fs(url)
        total = fs.size(path)
        if size is not None and total is not None and total != size:
            raise IntegrityError(f"{url} is {total} bytes but the catalog expects {size}")
        have = part.stat().st_size if part.exists() else 0
        if total is None or have > total:
            have = 0  # unknown or shorter source: the partial cannot be trusted
        restart(bar, have, total)
        with fs.open(path, "rb") as src, open(part, "ab" if have else "wb") as dst:
            src.seek(have)
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                bar.update(len(chunk))
    except IntegrityError:
        raise
    except (OSError, ValueError, ImportError) as exc:  # missing file, unknown protocol, backend not installed
        raise DownloadError(f"download of {url} failed: {type(exc).__name__}: {exc}") from exc
    return part
