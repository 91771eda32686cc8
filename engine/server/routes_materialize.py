"""Materialization routes (cave.md §2): versions, tables, metadata, counts, simple/join/live-live queries.

Every common route answers under both ``/api/v2`` and ``/api/v3`` (the v3 client itself uses
v2 paths for ``tables`` and ``count``). Handlers parse the request (``wire.py``), call the
datastack's local ``MaterializationClient`` on the query pool and encode the answer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import wire
from .datastacks import Datastack
from .errors import ExpiredVersionError
from .params import flag, json_body, positive_int
from .payloads import table_json, version_json
from .respond import answer
from .state import CONFIG, DATASTACKS
from .work import offload

API = "/materialize/api/{api:v[23]}/datastack/{datastack}"
V3 = "/materialize/api/v3/datastack/{datastack}"
VERSION = API + "/version/{version:-?[0-9]+}"


def routes() -> list[web.RouteDef]:
    """The materialization route table."""
    return [
        web.get(API + "/versions", versions),
        web.get(API + "/metadata", versions_metadata),
        web.get(VERSION, version_metadata),
        web.get(VERSION + "/tables", tables),
        web.get(VERSION + "/tables/metadata", tables_metadata),
        web.get(VERSION + "/table/{table}/metadata", table_metadata),
        web.get(VERSION + "/table/{table}/count", annotation_count),
        web.post(VERSION + "/table/{table}/query", simple_query),
        web.post(VERSION + "/query", join_query),
        web.post(V3 + "/query", live_live_query),
        web.get(V3 + "/table/{table}/unique_string_values", unique_string_values),
    ]


def datastack(request: web.Request) -> Datastack:
    return request.app[DATASTACKS].get(request.match_info["datastack"])


def version_of(request: web.Request, stack: Datastack, *, serving: bool) -> int:
    """The path's version: 404 when unknown; 410 (the reference's answer) when expired and rows are asked for."""
    number = positive_int(request.match_info["version"], "version", allow_zero=True)
    meta = stack.client.get_version_metadata(number)
    if serving and not meta["valid"]:
        raise ExpiredVersionError(number, stack.name, meta["status"], stack.client.get_versions())
    return number


async def versions(request: web.Request) -> web.Response:
    stack, expired = datastack(request), flag(request, "expired", False)
    return web.json_response(await offload(request, lambda: stack.client.get_versions(expired=expired)))


async def versions_metadata(request: web.Request) -> web.Response:
    stack, expired = datastack(request), flag(request, "expired", False)
    found = await offload(request, lambda: stack.client.get_versions_metadata(expired=expired))
    return web.json_response([version_json(m) for m in found])


async def version_metadata(request: web.Request) -> web.Response:
    stack = datastack(request)

    def run() -> dict[str, Any]:
        return stack.client.get_version_metadata(version_of(request, stack, serving=False))

    return web.json_response(version_json(await offload(request, run)))


async def tables(request: web.Request) -> web.Response:
    stack = datastack(request)
    return web.json_response(await offload(request, lambda: stack.client.get_tables(
        version=version_of(request, stack, serving=False))))


async def tables_metadata(request: web.Request) -> web.Response:
    stack = datastack(request)
    found = await offload(request, lambda: stack.client.get_tables_metadata(
        version=version_of(request, stack, serving=False)))
    return web.json_response([table_json(m) for m in found])


async def table_metadata(request: web.Request) -> web.Response:
    stack, table = datastack(request), request.match_info["table"]
    found = await offload(request, lambda: stack.client.get_table_metadata(
        table, version=version_of(request, stack, serving=False)))
    return web.json_response(table_json(found))


async def annotation_count(request: web.Request) -> web.Response:
    stack, table = datastack(request), request.match_info["table"]
    return web.json_response(await offload(request, lambda: stack.client.get_annotation_count(
        table, version=version_of(request, stack, serving=True))))


async def unique_string_values(request: web.Request) -> web.Response:
    stack, table = datastack(request), request.match_info["table"]
    return web.json_response(await offload(request, lambda: stack.client.get_unique_string_values(table)))


async def simple_query(request: web.Request) -> web.StreamResponse:
    """One table at a version (``query_table`` without the client-side merge, ``synapse_query``)."""
    stack, table, config = datastack(request), request.match_info["table"], request.app[CONFIG]

    def prepare() -> tuple[int, list[dict[str, Any]]]:
        return version_of(request, stack, serving=True), [stack.client.get_table_metadata(table)]

    version, metas = await offload(request, prepare)  # the path first: unknown names are 404s before body errors
    query = wire.simple(await json_body(request), table, config, where=f"query on {table!r}")
    wire.query_flags(request, query, config)

    def call(**kwargs: Any) -> Any:
        return stack.client.query_table(table, materialization_version=version, merge_reference=False, **kwargs)

    return await answer(request, query, call, _resolution(query, metas), _notices(metas))


async def join_query(request: web.Request) -> web.StreamResponse:
    """Two tables joined at a version (``join_query``; ``query_table`` on a reference table)."""
    stack, config = datastack(request), request.app[CONFIG]
    version = await offload(request, lambda: version_of(request, stack, serving=True))
    query = wire.join(await json_body(request), config)
    wire.query_flags(request, query, config)
    metas = await offload(request, lambda: [stack.client.get_table_metadata(t) for t in query.tables])
    _default_resolution(query, metas)

    def call(**kwargs: Any) -> Any:
        return stack.client.join_query(materialization_version=version, **kwargs)

    return await answer(request, query, call, _resolution(query, metas), _notices(metas), counts=False)


async def live_live_query(request: web.Request) -> web.StreamResponse:
    """A table (optionally joined) at any timestamp, computed on the server (``live_live_query``)."""
    stack, config = datastack(request), request.app[CONFIG]
    query = wire.live(await json_body(request), config)
    wire.query_flags(request, query, config)
    query.kwargs["allow_missing_lookups"] = flag(request, "allow_missing_lookups", False)
    query.kwargs["allow_invalid_root_ids"] = flag(request, "allow_invalid_root_ids", False)
    metas = await offload(request, lambda: [stack.client.get_table_metadata(t) for t in query.tables])
    _default_resolution(query, metas)
    return await answer(request, query, stack.client.live_live_query, _resolution(query, metas), _notices(metas),
                        counts=False)


def _default_resolution(query: wire.WireQuery, metas: list[dict[str, Any]]) -> None:
    """Joins default to the *last* table's resolution, each table rescaled to it (the reference's rule)."""
    if "desired_resolution" not in query.kwargs:
        query.kwargs["desired_resolution"] = list(metas[-1]["voxel_resolution"])


def _resolution(query: wire.WireQuery, metas: list[dict[str, Any]]) -> list[float]:
    """The ``dataframe_resolution`` header: the desired resolution, else the (first) table's."""
    return [float(v) for v in query.kwargs.get("desired_resolution") or metas[0]["voxel_resolution"]]


def _notices(metas: list[dict[str, Any]]) -> list[str]:
    """The reference's owner notices, one ``Warning`` per table that has one."""
    return [f"Table Owner Notice on {m['table_name']}: {m['notice_text']}" for m in metas if m.get("notice_text")]

