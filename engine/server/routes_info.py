"""What caveclient asks before any query: the info record, the API and server versions (cave.md §1.1).

``/info/version`` is deliberately absent (a 404 is what caveclient expects from a server without
it); ``/materialize/version`` must parse as a version >= 5.13.0 or query_table refuses to run.
"""

from __future__ import annotations

from aiohttp import web

from .payloads import API_VERSIONS, SERVER_VERSION, info_json
from .state import CONFIG, DATASTACKS
from .work import offload


def routes() -> list[web.RouteDef]:
    """The info-service and version route table."""
    return [
        web.get("/info/api/v2/datastacks", datastacks),
        web.get("/info/api/v2/datastack/full/{datastack}", datastack_info),
        web.get("/materialize/api/versions", api_versions),
        web.get("/materialize/version", server_version),
    ]


def base_url(request: web.Request) -> str:
    """Where clients reach this server: the configured public URL, else the URL this request used."""
    configured = request.app[CONFIG].public_url
    return configured.rstrip("/") if configured else str(request.url.origin())


async def datastacks(request: web.Request) -> web.Response:
    """Every datastack under the mirror root."""
    return web.json_response(await offload(request, request.app[DATASTACKS].names))


async def datastack_info(request: web.Request) -> web.Response:
    stack = request.app[DATASTACKS].get(request.match_info["datastack"])
    info = await offload(request, lambda: stack.info)
    return web.json_response(info_json(info, stack.name, base_url(request)))


async def api_versions(request: web.Request) -> web.Response:
    return web.json_response(API_VERSIONS)


async def server_version(request: web.Request) -> web.Response:
    return web.json_response(SERVER_VERSION)
