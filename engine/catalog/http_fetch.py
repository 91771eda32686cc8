"""HTTP(S) fetch into a partial file with aiohttp: Range resume, status checks, bounded retries, parallel ranges.

Fixes the reference downloader: it never checked 206 vs 200 (a server ignoring Range got the whole
body appended to the partial) and retried forever. Here a 200 restarts the partial cleanly, a
Content-Range that does not continue the partial restarts it, and retries are bounded.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from tqdm import tqdm

from engine.catalog.progress import restart
from engine.errors import DownloadError, IntegrityError

CHUNK = 1 << 20
MAX_DELAY = 60.0
# Ask for the bytes as stored: a compressed transfer would make Range offsets meaningless.
IDENTITY = {"Accept-Encoding": "identity"}
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


class _Transient(Exception):
    """A failure worth retrying (5xx, 408/429, a response that does not continue the partial)."""


class _RangeIgnored(Exception):
    """The server answered a ranged request with the whole body (parallel mode falls back)."""


_RETRYABLE = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, _Transient)


async def fetch_http(
    url: str,
    part: Path,
    *,
    size: int | None,
    bar: tqdm,
    retries: int,
    backoff: float,
    timeout: float,
    parallel_ranges: int,
) -> Path:
    """Download ``url`` into ``part`` (resuming it) or, with a known size, into ``parallel_ranges`` ranges.

    Returns the file holding the bytes; the caller verifies and renames it.
    """
    client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout, auto_decompress=False) as session:
        if parallel_ranges > 1 and size:
            # Ranged partials are preallocated, so their length says nothing about progress:
            # they get their own name and never outlive a failed attempt.
            ranged = part.with_name(part.name + ".ranges")
            try:
                await _fetch_ranges(session, url, ranged, size, parallel_ranges, bar, retries, backoff)
                return ranged
            except BaseException as exc:
                ranged.unlink(missing_ok=True)
                if not isinstance(exc, _RangeIgnored):
                    raise
        await _fetch_resumable(session, url, part, size, bar, retries, backoff)
        return part


async def _fetch_resumable(
    session: aiohttp.ClientSession, url: str, part: Path, size: int | None, bar: tqdm, retries: int, backoff: float
) -> None:
    """One stream into ``part``, resumed with ``Range: bytes=N-`` after each failure."""

    async def attempt() -> None:
        have = _length(part)
        if size is not None and have > size:
            have = _truncate(part)
        if size is not None and have == size:
            return  # complete from an earlier run; the caller verifies it
        headers = {**IDENTITY, "Range": f"bytes={have}-"} if have else IDENTITY
        async with session.get(url, headers=headers) as resp:
            if resp.status == 416:
                total = _content_range(resp, url)[2] if "Content-Range" in resp.headers else None
                if have and total == have:
                    return  # the partial already holds the whole file
                _truncate(part)
                raise _Transient(f"HTTP 416 for bytes={have}- (remote size {total}); restarting from byte 0")
            _check_status(resp, url)
            if resp.status == 206:
                start, _, total = _content_range(resp, url)
                if start != have:
                    _truncate(part)
                    raise _Transient(f"asked for bytes {have}- but got bytes {start}-; restarting from byte 0")
                mode = "ab"
            else:  # 200: the whole body (Range not sent, or ignored); never append it to a partial
                have, total, mode = 0, resp.content_length, "wb"
            _check_total(total, size, url)
            restart(bar, have, total if total is not None else size)
            with open(part, mode) as fh:
                async for chunk in resp.content.iter_chunked(CHUNK):
                    fh.write(chunk)
                    bar.update(len(chunk))
        if total is not None and _length(part) < total:
            raise _Transient(f"connection closed at byte {_length(part)} of {total}")

    await _retrying(url, attempt, lambda: _length(part), retries, backoff)


async def _fetch_ranges(
    session: aiohttp.ClientSession,
    url: str,
    path: Path,
    size: int,
    n: int,
    bar: tqdm,
    retries: int,
    backoff: float,
) -> None:
    """``n`` concurrent ranged GETs written at their offsets into one preallocated file."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    restart(bar, 0, size)
    bounds = sorted({(i * size // n, (i + 1) * size // n - 1) for i in range(n)})
    try:
        async with asyncio.TaskGroup() as group:
            for start, end in bounds:
                if start <= end:
                    group.create_task(_fetch_range(session, url, path, start, end, size, bar, retries, backoff))
    except BaseExceptionGroup as failed:
        # TaskGroup has cancelled the other ranges; report one cause, preferring the fallback signal.
        ignored = failed.subgroup(_RangeIgnored)
        raise (ignored or failed).exceptions[0] from None


async def _fetch_range(
    session: aiohttp.ClientSession,
    url: str,
    path: Path,
    start: int,
    end: int,
    size: int,
    bar: tqdm,
    retries: int,
    backoff: float,
) -> None:
    pos = start

    async def attempt() -> None:
        nonlocal pos
        async with session.get(url, headers={**IDENTITY, "Range": f"bytes={pos}-{end}"}) as resp:
            if resp.status == 200:
                raise _RangeIgnored
            _check_status(resp, url)
            got_start, got_end, total = _content_range(resp, url)
            _check_total(total, size, url)
            if got_start != pos or got_end is None or got_end > end:
                raise _Transient(f"asked for bytes {pos}-{end} but got bytes {got_start}-{got_end}")
            with open(path, "r+b") as fh:
                fh.seek(pos)
                async for chunk in resp.content.iter_chunked(CHUNK):
                    chunk = chunk[: end + 1 - pos]
                    fh.write(chunk)
                    pos += len(chunk)
                    bar.update(len(chunk))
        if pos <= end:
            raise _Transient(f"range ended at byte {pos} before {end}")

    await _retrying(url, attempt, lambda: pos, retries, backoff)


async def _retrying(
    url: str, attempt: Callable[[], Awaitable[None]], position: Callable[[], int], retries: int, backoff: float
) -> None:
    """Run ``attempt`` until it succeeds, retrying transient failures with exponential backoff.

    Only consecutive attempts that brought no new bytes count against ``retries``: a long download
    over a flaky link still finishes, while a dead server fails after ``retries + 1`` tries.
    """
    attempts = failures = 0
    furthest = position()
    while True:
        attempts += 1
        try:
            return await attempt()
        except _RETRYABLE as exc:
            reached = position()
            furthest, failures = (reached, 0) if reached > furthest else (furthest, failures + 1)
            if failures > retries:
                raise DownloadError(
                    f"download of {url} failed after {attempts} attempts "
                    f"({retries} retries without progress); last error: {_describe(exc)}"
                ) from exc
            await asyncio.sleep(min(backoff * 2 ** max(failures - 1, 0), MAX_DELAY))


def _check_status(resp: aiohttp.ClientResponse, url: str) -> None:
    if resp.status in (200, 206):
        return
    message = f"HTTP {resp.status} {resp.reason or ''}".rstrip()
    if resp.status >= 500 or resp.status in (408, 429):
        raise _Transient(message)
    raise DownloadError(f"download of {url} failed: {message} (not retried)")


def _content_range(resp: aiohttp.ClientResponse, url: str) -> tuple[int | None, int | None, int | None]:
    """``(start, end, total)`` from ``Content-Range``; ``None`` for ``*`` parts."""
    header = resp.headers.get("Content-Range", "")
    match = _CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        raise DownloadError(f"download of {url}: HTTP {resp.status} with an invalid Content-Range {header!r}")
    start, end, total = (None if g in (None, "*") else int(g) for g in match.groups())
    return start, end, total


def _check_total(total: int | None, size: int | None, url: str) -> None:
    """Fail early when the server's file is not the size the catalog promises."""
    if size is not None and total is not None and total != size:
        raise IntegrityError(f"{url} is {total} bytes on the server but the catalog expects {size}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _Transient):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _length(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _truncate(path: Path) -> int:
    path.write_bytes(b"")
    return 0
