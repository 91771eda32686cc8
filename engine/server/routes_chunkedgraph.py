"""The PyChunkedGraph endpoints ``live_query`` calls (cave.md §7.3), answered from ``roots.parquet``.

The info record advertises ``graphene://<server>/segmentation/table/<datastack>``, so the
chunked-graph table id in these URLs *is* the datastack name. Times arrive as epoch seconds.
"""

from __future__ import annotations

import numpy as np
from aiohttp import web

from engine.errors import BadInputError

from .datastacks import Datastack
from .params import epoch_time, flag, id_array, json_body, object_field
from .state import CONFIG, DATASTACKS
from .work import offload

PCG = "/segmentation/api/v1/table/{table_id}"


def routes() -> list[web.RouteDef]:
    """The chunked-graph route table."""
    return [
        web.get("/segmentation/api/versions", api_versions),
        web.post(PCG + "/is_latest_roots", is_latest_roots),
        web.post(PCG + "/root_timestamps", root_timestamps),
        web.get(PCG + "/past_id_mapping", past_id_mapping),
        web.post(PCG + "/roots_binary", roots_binary),
    ]


async def api_versions(request: web.Request) -> web.Response:
    return web.json_response([1])


async def is_latest_roots(request: web.Request) -> web.Response:
    """``{"node_ids": [...]}`` -> ``{"is_latest": [bool, ...]}`` at ``?timestamp``."""
    stack, ids = await _ids(request, "node_ids")
    latest = await offload(request, stack.lineage.is_latest, ids, epoch_time(request, "timestamp"))
    return web.json_response({"is_latest": latest.tolist()})


async def root_timestamps(request: web.Request) -> web.Response:
    """``{"node_ids": [...]}`` -> ``{"timestamp": [epoch, ...]}``: creation, or retirement with ``latest=True``.

    A root still current at ``?timestamp`` reports that timestamp as its "latest" moment, like PyChunkedGraph.
    """
    stack, ids = await _ids(request, "node_ids")
    latest, at = flag(request, "latest", False), epoch_time(request, "timestamp")
    created, retired = await offload(request, stack.lineage.lifetimes, ids)
    if latest:
        times = np.where(np.isnan(retired) | (retired > at.timestamp()), at.timestamp(), retired)
    else:
        times = created
    return web.json_response({"timestamp": times.tolist()})


async def past_id_mapping(request: web.Request) -> web.Response:
    """``{"root_ids": [...]}`` (a JSON body on a GET) -> the roots at ``?timestamp_past`` sharing supervoxels."""
    stack, ids = await _ids(request, "root_ids")
    past = epoch_time(request, "timestamp_past", default_now=False)
    if past is None:
        raise BadInputError("past_id_mapping needs the query argument timestamp_past (epoch seconds)")
    found = await offload(request, stack.lineage.past_ids, ids, past)
    # the reference sends no future map; caveclient treats {} as "nothing to replace"
    return web.json_response({"past_id_map": {str(k): v for k, v in found.items()}, "future_id_map": {}})


async def roots_binary(request: web.Request) -> web.Response:
    """Raw little-endian uint64 supervoxel ids -> raw uint64 root ids at ``?timestamp``, same order."""
    stack = _datastack(request)
    raw = await request.read()
    if len(raw) % 8:
        raise BadInputError(f"roots_binary expects little-endian uint64 ids; {len(raw)} bytes is not a multiple of 8")
    limit = request.app[CONFIG].max_filter_values
    if len(raw) // 8 > limit:
        raise BadInputError(f"roots_binary got {len(raw) // 8} ids; this server accepts at most {limit}")
    ids = np.frombuffer(raw, dtype="<u8")
    roots = await offload(request, stack.lineage.roots, ids, epoch_time(request, "timestamp"))
    return web.Response(body=roots.astype("<u8").tobytes(), content_type="application/octet-stream")


def _datastack(request: web.Request) -> Datastack:
    return request.app[DATASTACKS].get(request.match_info["table_id"])


async def _ids(request: web.Request, key: str) -> tuple[Datastack, np.ndarray]:
    stack = _datastack(request)
    body = await json_body(request)
    where = request.path.rsplit("/", 1)[-1]
    return stack, id_array(object_field(body, key, where), key, limit=request.app[CONFIG].max_filter_values)
