"""The one error middleware and the one error shape: ``{"message": ...}`` with the reference's status codes.

``EngineError`` subclasses map to a 4xx through ``STATUS`` (first match wins, so subclasses come
before their parents). aiohttp's own HTTP errors (unknown route, wrong method, body too large)
keep their status and get the same JSON shape. Anything else is a 500 with a generic message;
the traceback goes to the log, never into the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from engine.errors import (
    BadInputError,
    EngineError,
    QueryError,
    UnknownColumnError,
    UnknownNameError,
)

from .state import CONFIG, STREAMING

log = logging.getLogger("engine.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ExpiredVersionError(EngineError, LookupError):
    """A materialization version that exists but is no longer served (the reference answers 410 Gone)."""

    def __init__(self, version: int, datastack: str, status: str, valid: list[int]) -> None:
        self.version, self.valid = version, valid
        super().__init__(
            f"version {version} of datastack {datastack!r} has expired (status {status}); its rows are not served. "
            f"Valid versions: {', '.join(map(str, valid)) or 'none'} (or query by timestamp with live_query)"
        )


class RequestTimeoutError(EngineError, TimeoutError):
    """A request ran longer than the server's ``request_timeout``."""


STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (ExpiredVersionError, 410),
    (UnknownColumnError, 400),  # a column named in the body: the request is wrong, the resource exists
    (UnknownNameError, 404),  # datastack, version, table, view (mostly from the path)
    (BadInputError, 400),  # includes BadFilterError
    (QueryError, 400),  # DuckDB refused what the request asked for (e.g. a regex that does not compile)
    # 408 rather than the gateway 504: caveclient retries 502/503/504 three times, tripling a slow query.
    (RequestTimeoutError, 408),
)
INTERNAL = "internal server error; the details are in the server log"


def status_of(exc: BaseException) -> int | None:
    """The HTTP status for a deliberate error, or None for a bug."""
    return next((status for kind, status in STATUS if isinstance(exc, kind)), None)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """The single error shape every route returns."""
    return web.Response(
        status=status, text=json.dumps({"message": message}), content_type="application/json", headers=headers
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into ``{"message": ...}``; log 500s with their traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        if isinstance(exc, web.HTTPNotFound):
            message = f"no route for {request.method} {request.path}"
        elif isinstance(exc, web.HTTPMethodNotAllowed):
            allowed = ", ".join(sorted(exc.allowed_methods))
            message = f"{request.method} is not allowed on {request.path} (allowed: {allowed})"
        elif isinstance(exc, web.HTTPRequestEntityTooLarge):
            message = f"request body too large (limit {request.app[CONFIG].max_body_bytes} bytes)"
        return error_response(exc.status, message)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if request.get(STREAMING):
            raise  # the headers are out; aiohttp drops the connection (the client sees a truncated stream)
        status = status_of(exc)
        if status is None:
            log.exception("unhandled error on %s %s", request.method, request.path_qs)
            return error_response(500, INTERNAL)
        return error_response(status, str(exc))
