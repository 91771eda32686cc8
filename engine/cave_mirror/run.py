"""``mirror_cave``: copy chosen versions of a CAVE datastack into the local mirror layout, resumably.

Per table and version: count (``get_annotation_count``), plan id-range pages, fetch the missing
pages concurrently (at most ``concurrency`` requests in flight), and check the rows add up to
the count.
Then the snapshots become interval tables and ``roots.parquet`` (``assemble.py``) and the
datastack directory appears atomically; the staging directory is removed last.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from tqdm import tqdm

from engine.errors import BadInputError, IntegrityError, UnknownNameError, UnknownTableError, UnknownVersionError
from engine.files import atomic_dir

from .assemble import Snapshots, write_roots, write_table
from .pages import Pager, Range
from .records import datastack_record, table_record, utc, version_record
from .remote import CaveService
from .staging import Staging, safe_name


def mirror_cave(url: str, datastack: str, dest: str | os.PathLike[str], **options: Any) -> Path:
    """Mirror ``datastack`` from the service at ``url`` into ``<dest>/<datastack>``; returns that path.

    Options are those of ``mirror_cave_async``. From inside a running event loop, await that instead.

    >>> mirror_cave("http://127.0.0.1:8000", "synthetic", "/data/mirror", versions=[4, 5])  # doctest: +SKIP
    PosixPath('/data/mirror/synthetic')
    """
    return asyncio.run(mirror_cave_async(url, datastack, dest, **options))


async def mirror_cave_async(
    url: str,
    datastack: str,
    dest: str | os.PathLike[str],
    *,
    versions: Sequence[int] | None = None,
    tables: Sequence[str] | None = None,
    token: str | None = None,
    concurrency: int = 8,
    page_rows: int = 100_000,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: float = 600.0,
    progress: bool | None = None,
) -> Path:
    """The coroutine behind ``mirror_cave``.

    ``versions`` defaults to every valid version, ``tables`` to every table of the newest one.
    ``page_rows`` must stay below the service's row cap (the reference's is 200,000); a page
    the service truncates anyway is split and refetched. A failed request is retried ``retries`` times
    (waits ``backoff * 2**n`` s); ``timeout`` bounds connecting and each read.
    """
    dest = Path(dest).expanduser()
    staging = Staging(dest, datastack)
    for name, value in (("concurrency", concurrency), ("page_rows", page_rows)):
        if type(value) is not int or value < 1:
            raise BadInputError(f"{name} must be a positive int, got {value!r}")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    cookies = {"middle_auth_token": token} if token else {}
    client_timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
    connector = aiohttp.TCPConnector(limit=concurrency)
    session = aiohttp.ClientSession(headers=headers, cookies=cookies, timeout=client_timeout, connector=connector)
    async with session:
        service = CaveService(url, datastack, session, retries=retries, backoff=backoff)
        info = await service.info()
        chosen = _choose(await service.versions_metadata(expired=True), versions, datastack)
        present = [set(await service.tables(v["version"])) for v in chosen]
        names = _tables(tables, present, datastack)
        limit = asyncio.Semaphore(concurrency)
        plans = {}
        for table in names:
            plans[table] = await _mirror_table(service, staging, table, chosen, present, page_rows, limit, progress)
        metadata = {t: await service.table_metadata(t, _last_with(t, chosen, present)) for t in names}
    final = dest / safe_name(datastack, "datastack")
    await asyncio.to_thread(_assemble, staging, final, url, info, chosen, metadata, plans)
    staging.remove()
    return dest / datastack


async def _mirror_table(
    service: CaveService, staging: Staging, table: str, chosen: list[dict], present: list[set[str]],
    page_rows: int, limit: asyncio.Semaphore, progress: bool | None,
) -> list[list[Range]]:
    """Fetch every page of ``table`` in every chosen version; returns the plan per version ([] where absent).

    Versions are planned together and their pages fetched together, all under the one ``limit``.
    """
    numbers = [v["version"] for v, here in zip(chosen, present) if table in here]
    totals = await asyncio.gather(*(service.annotation_count(table, v) for v in numbers))
    pagers = {v: Pager(service, table, v, page_rows, limit) for v in numbers}
    found = await asyncio.gather(*(_plan(staging, pagers[v], total) for v, total in zip(numbers, totals)))
    plans = dict(zip(numbers, found))
    enabled = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=sum(totals), desc=table, unit="rows", unit_scale=True, file=sys.stderr, disable=not enabled) as bar:
        bar.update(sum(staging.rows(table, v, plans[v]) for v in numbers))
        missing = [(v, r) for v in numbers for r in plans[v] if not staging.has_page(table, v, r)]

        async def fetch(version: int, rng: Range) -> None:
            rows = await pagers[version].fetch(rng)
            await asyncio.to_thread(staging.write_page, table, version, rng, rows)
            bar.update(rows.num_rows)

        await _all(fetch(v, r) for v, r in missing)
    for v, total in zip(numbers, totals):
        got = await asyncio.to_thread(staging.rows, table, v, plans[v])
        if got != total:
            staging.forget(table, v)  # a rerun plans this version afresh
            raise IntegrityError(f"{table} v{v}: fetched {got} rows but the service counts {total}")
    return [plans.get(v["version"], []) for v in chosen]


async def _plan(staging: Staging, pager: Pager, total: int) -> list[Range]:
    """The id ranges of one (table, version): from an earlier run's plan, or counted now and saved."""
    plan = staging.load_plan(pager.table, pager.version)
    if plan is None:
        plan = await pager.plan(total)
        await asyncio.to_thread(staging.save_plan, pager.table, pager.version, plan)
    return plan


async def _all(coros: Any) -> None:
    """Run coroutines together; the first failure cancels the rest (pages already written stay for a rerun)."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


def _choose(records: list[dict], wanted: Sequence[int] | None, datastack: str) -> list[dict]:
    """The version records to mirror, oldest first."""
    by_number = {int(r["version"]): r for r in records}
    if wanted is None:
        chosen = [r for r in records if r.get("valid", True)]
        if not chosen:
            raise UnknownVersionError("any valid", [str(v) for v in by_number], f"datastack {datastack!r}")
    else:
        for v in wanted:
            if v not in by_number:
                raise UnknownVersionError(v, [str(n) for n in by_number], f"datastack {datastack!r}")
        chosen = [by_number[v] for v in sorted(set(wanted))]
    return sorted(chosen, key=lambda r: utc(r["time_stamp"]))


def _tables(wanted: Sequence[str] | None, present: list[set[str]], datastack: str) -> list[str]:
    everywhere = set().union(*present)
    if wanted is None:
        return sorted(present[-1])
    for name in wanted:
        if name not in everywhere:
            raise UnknownTableError(name, everywhere, f"datastack {datastack!r}")
    return [safe_name(t, "table") for t in dict.fromkeys(wanted)]


def _last_with(table: str, chosen: list[dict], present: list[set[str]]) -> int:
    return next(v["version"] for v, p in zip(reversed(chosen), reversed(present)) if table in p)


def _assemble(
    staging: Staging, final: Path, url: str, info: dict, chosen: list[dict], metadata: dict[str, dict],
    plans: dict[str, list[list[Range]]],
) -> None:
    """Write the layout into a temporary directory and rename it to ``final``."""
    times = [utc(v["time_stamp"]) for v in chosen]
    snapshots = [
        Snapshots(t, [staging.pages(t, v["version"], plan) for v, plan in zip(chosen, plans[t])]) for t in plans
    ]
    if not snapshots:
        raise UnknownNameError("table", "any", [], "the chosen versions")
    first_meta = table_record(next(iter(metadata.values())))
    with atomic_dir(final) as tmp:
        for sub in ("tables", "segmentation"):
            (tmp / sub).mkdir()
        _write_json(tmp / "datastack.json", datastack_record(info, final.name, url, first_meta["voxel_resolution"]))
        _write_json(tmp / "versions.json", [version_record(v) for v in chosen])
        for snap in snapshots:
            write_table(snap, times, tmp / "tables" / f"{snap.table}.parquet")
            _write_json(tmp / "tables" / f"{snap.table}.json", table_record(metadata[snap.table]))
        write_roots(snapshots, times, tmp / "segmentation" / "roots.parquet")


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
