"""``make_app``: the route table, the middlewares (errors -> auth -> timeout) and the shared state.

Handlers only parse the request, call the local materialization client and encode the answer;
blocking work runs on a bounded thread pool (``work.py``). There is no path normalisation
middleware on purpose: caveclient treats any redirect as an authentication failure.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import AsyncIterator

from aiohttp import web

from . import routes_chunkedgraph, routes_info, routes_materialize, routes_schema, routes_views
from .auth import auth_middleware
from .config import ServerConfig
from .datastacks import Datastacks
from .deadline import timeout_middleware
from .errors import error_middleware
from .state import CONFIG, DATASTACKS, EXECUTOR


def make_app(config: ServerConfig) -> web.Application:
    """The aiohttp application serving every datastack under ``config.root``."""
    middlewares = [error_middleware]
    if config.tokens:
        middlewares.append(auth_middleware(config.tokens))
    middlewares.append(timeout_middleware(config.request_timeout))
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes)
    app[CONFIG] = config
    app[DATASTACKS] = Datastacks(config.root)
    app.cleanup_ctx.append(_executor)
    for module in (routes_info, routes_materialize, routes_views, routes_chunkedgraph, routes_schema):
        app.add_routes(module.routes())
    return app


def route_table(app: web.Application) -> list[tuple[str, str]]:
    """``(method, path)`` of every route (docs/server.md lists them; a test keeps the two in step)."""
    return sorted(
        (r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource
    )


async def _executor(app: web.Application) -> AsyncIterator[None]:
    """The query thread pool; at shutdown queued work is cancelled, running work finishes, connections close."""
    pool = concurrent.futures.ThreadPoolExecutor(app[CONFIG].query_threads, thread_name_prefix="engine-query")
    app[EXECUTOR] = pool
    yield
    pool.shutdown(wait=True, cancel_futures=True)
    app[DATASTACKS].close()
