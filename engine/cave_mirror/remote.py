"""An asyncio client for the CAVE materialization API (v3 routes), with bounded retries.

Only what mirroring needs: the info record, version metadata, table lists, metadata and counts,
counted and paged ``query`` POSTs decoded from Arrow. Transient failures (connection errors,
timeouts, 5xx, 408, 429) are retried with exponential backoff; any other 4xx is reported at
once with the server's ``message``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
import pyarrow as pa

from engine.errors import BadInputError, DownloadError

T = TypeVar("T")
MAX_DELAY = 30.0
QUERY_ARGS = {"return_pyarrow": "True", "arrow_format": "True", "split_positions": "True", "direct_sql_pandas": "True"}


class _Transient(Exception):
    """A response worth retrying."""


_RETRYABLE = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, _Transient)


@dataclass(frozen=True)
class Page:
    """One query answer: its rows and the ``Warning`` headers that came with it."""

    table: pa.Table
    warnings: tuple[str, ...]

    @property
    def truncated(self) -> bool:
        """Whether the service says it cut the answer at its row cap."""
        return any("Limited query to" in w for w in self.warnings)


class CaveService:
    """One datastack on a CAVE-compatible server, spoken to through ``session``."""

    def __init__(
        self, url: str, datastack: str, session: aiohttp.ClientSession, *, retries: int = 4, backoff: float = 0.5
    ) -> None:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise BadInputError(f"the service address must be an http(s) URL like https://host, got {url!r}")
        self.base = url.rstrip("/")
        self.datastack = datastack
        self._session = session
        self._retries = retries
        self._backoff = backoff
        ds = quote(datastack, safe="")
        self._v2 = f"{self.base}/materialize/api/v2/datastack/{ds}"
        self._v3 = f"{self.base}/materialize/api/v3/datastack/{ds}"

    async def info(self) -> dict[str, Any]:
        return await self._json("GET", f"{self.base}/info/api/v2/datastack/full/{quote(self.datastack, safe='')}")

    async def versions_metadata(self, expired: bool = True) -> list[dict[str, Any]]:
        return await self._json("GET", f"{self._v3}/metadata", params={"expired": str(expired)})

    async def tables(self, version: int) -> list[str]:
        return await self._json("GET", f"{self._v2}/version/{version}/tables")

    async def table_metadata(self, table: str, version: int) -> dict[str, Any]:
        return await self._json("GET", f"{self._v3}/version/{version}/table/{quote(table, safe='')}/metadata")

    async def annotation_count(self, table: str, version: int) -> int:
        return int(await self._json("GET", f"{self._v2}/version/{version}/table/{quote(table, safe='')}/count"))

    async def count(self, table: str, version: int, body: Mapping[str, Any]) -> int:
        """Rows matching ``body``'s filters (the ``?count=True`` form of the simple query)."""
        page = await self.query(table, version, body, count=True)
        return int(page.table.column("count")[0].as_py())

    async def query(self, table: str, version: int, body: Mapping[str, Any], *, count: bool = False) -> Page:
        """The simple query on ``table`` at ``version`` with positions split, decoded from Arrow."""
        url = f"{self._v3}/version/{version}/table/{quote(table, safe='')}/query"
        params = {**QUERY_ARGS, **({"count": "True"} if count else {})}

        async def attempt() -> Page:
            async with self._session.post(
                url, params=params, data=json.dumps(body),
                headers={"Content-Type": "application/json", "Accept-Encoding": "zstd"},
            ) as resp:
                await _check(resp, url)
                raw = await resp.read()
                if resp.headers.get("Content-Type") != "data.arrow":
                    raise DownloadError(f"{url} answered {resp.headers.get('Content-Type')!r}, not data.arrow")
                with pa.ipc.open_stream(raw) as reader:
                    table = reader.read_all()
                return Page(table, tuple(resp.headers.getall("Warning", ())))

        return await self._retrying(url, attempt)

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        async def attempt() -> Any:
            async with self._session.request(method, url, **kwargs) as resp:
                await _check(resp, url)
                return await resp.json(content_type=None)

        return await self._retrying(url, attempt)

    async def _retrying(self, url: str, attempt: Callable[[], Awaitable[T]]) -> T:
        for failures in range(self._retries + 1):
            try:
                return await attempt()
            except _RETRYABLE as exc:
                if failures == self._retries:
                    raise DownloadError(
                        f"{url} failed {failures + 1} times; last error: {type(exc).__name__}: {exc}"
                    ) from exc
                await asyncio.sleep(min(self._backoff * 2**failures, MAX_DELAY))
        raise AssertionError("unreachable")


async def _check(resp: aiohttp.ClientResponse, url: str) -> None:
    """Raise for a non-200 answer: transient ones for a retry, the rest with the server's message."""
    if resp.status == 200:
        return
    text = await resp.text(errors="replace")
    try:
        message = json.loads(text).get("message", text)
    except (ValueError, AttributeError):
        message = text
    detail = f"HTTP {resp.status} from {url}: {str(message)[:500]}"
    if resp.status >= 500 or resp.status in (408, 429):
        raise _Transient(detail)
    raise DownloadError(detail)
