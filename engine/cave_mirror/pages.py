"""Id-range pages that never hit the service's row cap, sized with ``get_counts`` and fetched concurrently.

CAVE offset paging re-runs the query per page and has no ORDER BY, so it is neither fast nor
reproducible. Here a table is cut into ``[lo, hi)`` id ranges of at most ``page_rows`` rows:

- a search on counts finds the id range in use (``count(id >= x)`` at ``FANOUT`` points per round;
  usually three rounds);
- when ids are dense (autoincrement, the CAVE norm) the range is cut into ``page_rows``-wide
  slices: ids are unique, so no slice can hold more rows, and no further counts are needed;
- when they are sparse, ranges are bisected on counts until each fits.

A page flagged "Limited query" (the service's cap is below ``page_rows``) or shorter than its
count is split and refetched; the caller checks each version's total against the service.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pyarrow as pa

from engine.errors import IntegrityError

from .remote import CaveService

ID_BITS = 63  # annotation ids are BIGINT
TOP = (1 << ID_BITS) - 1  # exclusive upper bound that still binds as a BIGINT


DENSE = 4  # slice by width when that takes at most this many times the pages counting would
FANOUT = 8  # points counted at once while searching for the largest id


@dataclass(frozen=True, order=True)
class Range:
    """Ids in ``[lo, hi)``; ``rows`` is the service's count there (None: bounded by the width alone)."""

    lo: int
    hi: int
    rows: int | None

    @property
    def name(self) -> str:
        return f"{self.lo:020d}-{self.hi:020d}"


def range_body(table: str, lo: int, hi: int) -> dict:
    """The query body selecting ids in ``[lo, hi)``."""
    return {"filter_greater_equal_dict": {table: {"id": lo}}, "filter_less_dict": {table: {"id": hi}}}


class Pager:
    """Plans and fetches the pages of one table at one version."""

    def __init__(self, service: CaveService, table: str, version: int, page_rows: int, limit: asyncio.Semaphore):
        self.service, self.table, self.version = service, table, version
        self.page_rows = page_rows
        self._limit = limit

    async def count(self, lo: int, hi: int) -> int:
        async with self._limit:
            return await self.service.count(self.table, self.version, range_body(self.table, lo, hi))

    async def plan(self, total: int) -> list[Range]:
        """Ranges covering every id, each holding at most ``page_rows`` rows.

        An empty table gets one empty range, so its (empty) page still records the column schema.
        """
        if total == 0:
            return [Range(0, 0, 0)]
        top = await self._id_bound(total)
        if top <= DENSE * self.page_rows * -(-total // self.page_rows):
            return [Range(lo, min(lo + self.page_rows, top), None) for lo in range(0, top, self.page_rows)]
        ranges = await self._split(0, top, total, self.page_rows)
        counted = sum(r.rows or 0 for r in ranges)
        if counted != total:  # only when ids are negative, or the table changed while we counted
            raise IntegrityError(
                f"{self.table} v{self.version}: id ranges hold {counted} rows but the service counts {total}"
            )
        return ranges

    async def fetch(self, rng: Range) -> pa.Table:
        """The rows of ``rng``; split and refetched when the service truncates them."""
        async with self._limit:
            page = await self.service.query(self.table, self.version, range_body(self.table, rng.lo, rng.hi))
        short = rng.rows is not None and page.table.num_rows < rng.rows
        if page.truncated or short:
            if rng.hi - rng.lo < 2:
                raise IntegrityError(f"{self.table} v{self.version}: the service truncates a single-id page")
            mid = (rng.lo + rng.hi) // 2
            parts = [Range(rng.lo, mid, None), Range(mid, rng.hi, None)]
            tables = await asyncio.gather(*(self.fetch(p) for p in parts))
            return pa.concat_tables(tables, promote_options="permissive")
        if rng.rows is not None and page.table.num_rows != rng.rows:
            raise IntegrityError(
                f"{self.table} v{self.version} ids [{rng.lo}, {rng.hi}): "
                f"got {page.table.num_rows} rows, counted {rng.rows}"
            )
        return page.table

    async def _id_bound(self, total: int) -> int:
        """An exclusive bound within ``page_rows`` of the largest id, in a few rounds of concurrent counts.

        Ids rarely exceed a small multiple of the row count, so the first round tries ``total * 2**j``;
        each later round counts ``FANOUT`` evenly spaced points of the remaining interval at once.
        """
        lo, hi = 0, TOP  # some id >= lo may exist; none >= hi
        points = sorted({min(max(total, 1) << j, TOP) for j in range(FANOUT)})
        while True:
            found = await asyncio.gather(*(self.count(p, TOP) for p in points))
            below = [p for p, n in zip(points, found) if n]
            above = [p for p, n in zip(points, found) if not n]
            lo, hi = max(below, default=lo), min(above, default=hi)
            if hi - lo <= self.page_rows:
                return hi
            step = -(-(hi - lo) // (FANOUT + 1))
            points = [lo + step * k for k in range(1, FANOUT + 1) if lo + step * k < hi]

    async def _split(self, lo: int, hi: int, rows: int, page_rows: int) -> list[Range]:
        """Bisect ``[lo, hi)`` (holding ``rows``) on counts until every part holds at most ``page_rows``."""
        if rows == 0:
            return []
        if rows <= page_rows:
            return [Range(lo, hi, rows)]
        mid = (lo + hi) // 2
        left = await self.count(lo, mid)
        halves = await asyncio.gather(
            self._split(lo, mid, left, page_rows), self._split(mid, hi, rows - left, page_rows)
        )
        return [*halves[0], *halves[1]]
