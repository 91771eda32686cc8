"""Verified, resumable, concurrency-safe downloads: nothing unverified ever appears under the final name.

Every source (HTTP(S) via aiohttp, any fsspec URL or local path, ``synth:`` generation) writes a
partial file beside ``dest``; the partial is checked against the expected size and sha256 and only
then renamed into place with ``os.replace``. A lock file ``<dest>.lock`` serialises processes
downloading the same file: the second one waits, then finds the verified file.

Partial files: ``<dest>.part_<size>`` when the size is known (a changed catalog size starts afresh,
as in the reference), else ``<dest>.part``; parallel ranges use ``<dest>.part_<size>.ranges``,
which never outlives a failed attempt. All of them are removed once ``dest`` is in place.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import glob
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from filelock import AsyncFileLock
from tqdm import tqdm

from engine.catalog import integrity
from engine.catalog.progress import byte_bar
from engine.errors import BadInputError, IntegrityError

T = TypeVar("T")


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool | None = None,
    retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 30.0,
    parallel_ranges: int = 1,
) -> Path:
    """Fetch ``url`` to ``dest`` unless it is already there; verify ``size``/``sha256``; return ``dest``.

    Works inside a running event loop too (e.g. Jupyter): the download then runs in a worker thread.

    >>> download("https://example.org/r.sqlite", "/tmp/r.sqlite", size=1024)  # doctest: +SKIP
    PosixPath('/tmp/r.sqlite')
    """
    return _run(download_async(
        url, dest, sha256=sha256, size=size, progress=progress, retries=retries,
        backoff=backoff, timeout=timeout, parallel_ranges=parallel_ranges,
    ))


async def download_async(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool | None = None,
    retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 30.0,
    parallel_ranges: int = 1,
) -> Path:
    """The coroutine behind ``download`` (same arguments and guarantees).

    ``retries`` bounds consecutive HTTP attempts that bring no new bytes; waits grow as
    ``backoff * 2**n`` (capped at 60 s). ``timeout`` applies to connecting and to each read.
    ``parallel_ranges > 1`` splits an HTTP download of known ``size`` into that many ranges.
    """
    dest = Path(dest)
    sha256 = _checked_args(sha256, size, retries, backoff, timeout, parallel_ranges)
    if await asyncio.to_thread(_cached, dest, size, sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    async with AsyncFileLock(lock_path(dest)):
        if await asyncio.to_thread(_cached, dest, size, sha256):
            return dest  # another process finished it while we waited
        part = partial_path(dest, size)
        try:
            with byte_bar(dest.name, size, progress) as bar:
                got = await _fetch(url, part, size, bar, retries, backoff, timeout, parallel_ranges)
            await asyncio.to_thread(_publish, got, dest, url, size, sha256)
        except IntegrityError:
            _remove_partials(dest)
            raise
    return dest


async def _fetch(
    url: str, part: Path, size: int | None, bar: tqdm, retries: int, backoff: float, timeout: float, parallel_ranges: int
) -> Path:
    """Fetch ``url`` by scheme into ``part`` (or a file it names); the fetchers load lazily (aiohttp, synth)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        from engine.catalog.http_fetch import fetch_http

        return await fetch_http(
            url, part, size=size, bar=bar, retries=retries, backoff=backoff,
            timeout=timeout, parallel_ranges=parallel_ranges,
        )
    if scheme == "synth":
        from engine.catalog.synth_fetch import fetch_synth

        return await asyncio.to_thread(fetch_synth, url, part)
    from engine.catalog.fsspec_fetch import fetch_fsspec

    return await asyncio.to_thread(fetch_fsspec, url, part, size=size, bar=bar)


def partial_path(dest: Path, size: int | None) -> Path:
    """Where an unfinished download of ``dest`` lives (see the module docstring)."""
    return dest.with_name(f"{dest.name}.part_{size}" if size is not None else f"{dest.name}.part")


def lock_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".lock")


def _cached(dest: Path, size: int | None, sha256: str | None) -> bool:
    """Whether ``dest`` exists; an existing file that fails verification is an error, never silently replaced."""
    if not dest.exists():
        return False
    problem = integrity.mismatch(dest, size=size, sha256=sha256, digest=integrity.stamped_sha256)
    if problem:
        raise IntegrityError(
            f"cached file {dest} does not match the catalog: {problem}; delete it to download it again"
        )
    return True


def _publish(got: Path, dest: Path, url: str, size: int | None, sha256: str | None) -> None:
    """Verify the fetched file, then move it to ``dest`` durably (fsync file, rename, fsync directory)."""
    problem = integrity.mismatch(got, size=size, sha256=sha256)
    if problem:
        raise IntegrityError(
            f"download of {dest.name} from {url} failed verification: {problem}; the partial file was deleted"
        )
    with open(got, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(got, dest)
    fd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if sha256 is not None:
        integrity.write_stamp(dest, sha256)
    _remove_partials(dest)


def _remove_partials(dest: Path) -> None:
    for stale in dest.parent.glob(glob.escape(dest.name) + ".part*"):
        stale.unlink(missing_ok=True)


def _checked_args(
    sha256: str | None, size: int | None, retries: int, backoff: float, timeout: float, parallel_ranges: int
) -> str | None:
    """Validate the options; returns ``sha256`` lower-cased."""
    if sha256 is not None and not integrity.is_sha256(sha256):
        raise BadInputError(f"sha256 must be 64 hex digits, not {sha256!r}")
    if size is not None and (type(size) is not int or size < 0):
        raise BadInputError(f"size must be a non-negative int, not {size!r}")
    if type(retries) is not int or retries < 0:
        raise BadInputError(f"retries must be a non-negative int, not {retries!r}")
    if type(parallel_ranges) is not int or parallel_ranges < 1:
        raise BadInputError(f"parallel_ranges must be an int >= 1, not {parallel_ranges!r}")
    if not backoff >= 0 or not timeout > 0:
        raise BadInputError(f"backoff must be >= 0 and timeout > 0 (got {backoff!r}, {timeout!r})")
    return sha256.lower() if sha256 is not None else None


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, in a worker thread when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
