"""Answer a parsed query: stream Arrow batches, or send a bounded answer (counts, capped, JSON) in one piece.

The domain call runs on a pool thread. Errors raised before the first batch exists (bad
filters, unknown columns, DuckDB rejecting a regex) still become JSON errors, because the HTTP
headers go out only with the first chunk. With a server row limit the answer is bounded by it,
so it is collected first and gets the reference's ``Warning`` when it is exactly at the limit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator, Sequence
from typing import Any

import pyarrow as pa
from aiohttp import web
from multidict import CIMultiDict

from engine.materialize.frames import to_pandas

from .arrow import CONTENT_TYPE, encode_table, ipc_stream, resolution_header
from .deadline import extend_deadline
from .state import STREAMING
from .wire import WireQuery
from .work import offload, stream

Call = Callable[..., Any]  # the local client's query method, partially applied


def headers(resolution: Sequence[float] | None, warnings: Sequence[str]) -> CIMultiDict[str]:
    """``dataframe_resolution`` plus one ``Warning`` line per warning (requests joins them with ", ")."""
    out: CIMultiDict[str] = CIMultiDict({"Content-Type": CONTENT_TYPE})
    if resolution is not None:
        out["dataframe_resolution"] = resolution_header(resolution)
    for warning in warnings:
        out.add("Warning", " ".join(warning.split()).encode("latin-1", "replace").decode("latin-1"))
    return out


async def answer(
    request: web.Request, query: WireQuery, call: Call, resolution: Sequence[float] | None, warnings: list[str],
    *, counts: bool = True,
) -> web.StreamResponse:
    """The response to ``query``, produced by ``call(**kwargs)`` in the format the request asked for.

    ``counts`` says whether ``call`` takes ``get_counts``; if not, a count streams the rows and adds them up.
    """
    kwargs = {**query.kwargs, "metadata": False, "log_warning": False, "split_positions": True}
    if query.count:
        table = await offload(request, _count, call, kwargs, counts)
        return _whole(table, query, resolution, warnings)
    if not query.arrow:  # the reference's JSON mode: pandas records
        table = await offload(request, lambda: call(**kwargs, return_format="arrow"))
        body = to_pandas(table, split_positions=True).to_json(orient="records")
        return web.Response(text=body, content_type="application/json", headers=_plain(warnings))
    if query.capped:
        table = await offload(request, lambda: call(**kwargs, return_format="arrow"))
        if table.num_rows == kwargs["limit"]:
            warnings = [*warnings, f'201 - "Limited query to {kwargs["limit"]} rows']
        return _whole(table, query, resolution, warnings)
    return await _streamed(request, lambda: _encoded(call, kwargs, query.compression), resolution, warnings)


def _count(call: Call, kwargs: dict[str, Any], counts: bool) -> pa.Table:
    """A one-row ``count`` table; like the reference, a count ignores ``limit`` and ``offset``."""
    if counts:
        return call(**kwargs, get_counts=True, return_format="arrow")
    unpaged = {k: v for k, v in kwargs.items() if k not in ("limit", "offset")}
    total = sum(batch.num_rows for batch in call(**unpaged, return_format="batches"))
    return pa.table({"count": pa.array([total], pa.int64())})


def _whole(table: pa.Table, query: WireQuery, resolution: Sequence[float] | None, warnings: list[str]) -> web.Response:
    return web.Response(body=encode_table(table, query.compression), headers=headers(resolution, warnings))


def _plain(warnings: Sequence[str]) -> CIMultiDict[str]:
    out = headers(None, warnings)
    del out["Content-Type"]
    return out


def _encoded(call: Call, kwargs: dict[str, Any], compression: str | None) -> Generator[bytes, None, None]:
    """IPC bytes of the streamed answer (runs on one pool thread from start to end)."""
    batches = iter(call(**kwargs, return_format="batches"))
    first = next(batches, None)
    if first is None:  # an empty answer: the schema comes from the (empty, cheap) Arrow form
        yield from ipc_stream((), call(**kwargs, return_format="arrow").schema, compression)
        return
    yield from ipc_stream(itertools.chain([first], batches), first.schema, compression)


async def _streamed(
    request: web.Request, produce: Callable[[], Generator[bytes, None, None]],
    resolution: Sequence[float] | None, warnings: list[str],
) -> web.StreamResponse:
    chunks = stream(request, produce)
    try:
        first = await anext(chunks)  # the query has run and produced its first batch (or failed)
        response = web.StreamResponse(headers=headers(resolution, warnings))
        await response.prepare(request)
        request[STREAMING] = True
        await response.write(first)
        async for chunk in chunks:
            extend_deadline(request)
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        await chunks.aclose()
