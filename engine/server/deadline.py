"""Request timeouts: a whole request gets ``request_timeout``; a streamed answer gets it again per chunk.

A timeout before the headers are out is a 408 JSON error (not the gateway 504: caveclient
retries 502/503/504 three times, tripling a slow query). Once a stream has started, aiohttp can
only drop the connection, and the client sees a truncated Arrow stream.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .errors import Handler, RequestTimeoutError
from .state import CONFIG, DEADLINE, STREAMING


def timeout_middleware(seconds: float) -> web.middleware:
    """A middleware bounding each request by ``seconds`` (extended by ``extend_deadline``)."""

    @web.middleware
    async def timeout(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            async with asyncio.timeout(seconds) as deadline:
                request[DEADLINE] = deadline
                return await handler(request)
        except TimeoutError:
            if request.get(STREAMING):
                raise
            raise RequestTimeoutError(
                f"the request took longer than this server's {seconds:g} s limit; narrow it (filters, limit)"
            ) from None

    return timeout


def extend_deadline(request: web.Request) -> None:
    """Restart the request's timeout (called after each streamed chunk)."""
    deadline = request.get(DEADLINE)
    if deadline is not None:
        deadline.reschedule(asyncio.get_running_loop().time() + request.app[CONFIG].request_timeout)
