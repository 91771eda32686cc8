"""View routes (v3 only in caveclient): list, metadata, schema, schemas and query.

The local client already returns the reference's view payloads (``voxel_resolution_x/y/z``,
``live_compatible``), so these handlers only resolve the version and encode.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import wire
from .params import json_body
from .respond import answer
from .routes_materialize import VERSION, datastack, version_of
from .state import CONFIG
from .work import offload

VIEWS = VERSION + "/views"


def routes() -> list[web.RouteDef]:
    """The view route table."""
    return [
        web.get(VIEWS, views),
        web.get(VIEWS + "/schemas", view_schemas),
        web.get(VIEWS + "/{view}/metadata", view_metadata),
        web.get(VIEWS + "/{view}/schema", view_schema),
        web.post(VIEWS + "/{view}/query", view_query),
    ]


async def views(request: web.Request) -> web.Response:
    stack = datastack(request)
    return web.json_response(await offload(request, lambda: stack.client.get_views(
        version_of(request, stack, serving=False))))


async def view_schemas(request: web.Request) -> web.Response:
    stack = datastack(request)
    return web.json_response(await offload(request, lambda: stack.client.get_view_schemas(
        version_of(request, stack, serving=False))))


async def view_metadata(request: web.Request) -> web.Response:
    stack, view = datastack(request), request.match_info["view"]
    return web.json_response(await offload(request, lambda: stack.client.get_view_metadata(
        view, version_of(request, stack, serving=False))))


async def view_schema(request: web.Request) -> web.Response:
    stack, view = datastack(request), request.match_info["view"]
    return web.json_response(await offload(request, lambda: stack.client.get_view_schema(
        view, version_of(request, stack, serving=False))))


async def view_query(request: web.Request) -> web.StreamResponse:
    """A view at a version (``query_view``); its resolution is the view's own."""
    stack, view, config = datastack(request), request.match_info["view"], request.app[CONFIG]

    def prepare() -> tuple[int, dict[str, Any]]:
        return version_of(request, stack, serving=True), stack.client.get_view_metadata(view)

    version, meta = await offload(request, prepare)
    query = wire.simple(await json_body(request), view, config, where=f"query on view {view!r}")
    wire.query_flags(request, query, config)
    own = [meta[f"voxel_resolution_{a}"] for a in "xyz"]
    resolution = query.kwargs.get("desired_resolution") or (own if None not in own else None)
    notice = [f"View Owner Notice on {view}: {meta['notice_text']}"] if meta.get("notice_text") else []

    def call(**kwargs: Any) -> Any:
        return stack.client.query_view(view, materialization_version=version, **kwargs)

    return await answer(request, query, call, resolution, notice)
