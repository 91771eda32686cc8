"""Read-only bearer-token check: ``Authorization: Bearer <t>`` or caveclient's ``middle_auth_token`` cookie.

Only installed when the server has tokens. Every route is read-only, so one token set grants
read access to every datastack. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from .errors import Handler, error_response


def presented_token(request: web.Request) -> str | None:
    """The token a request carries, header first (caveclient sends both; the versions probe only the header)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get("middle_auth_token") or None


def auth_middleware(tokens: frozenset[str]) -> web.middleware:
    """A middleware that answers 401 unless the request presents one of ``tokens``."""
    encoded = [t.encode() for t in tokens]

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = presented_token(request)
        if token is None:
            return _unauthorized("this server requires a token: send 'Authorization: Bearer <token>'")
        given = token.encode()
        # compare against every token so the time taken does not reveal which one nearly matched
        if not any([hmac.compare_digest(given, t) for t in encoded]):
            return _unauthorized("the token is not valid for this server")
        return await handler(request)

    return check


def _unauthorized(message: str) -> web.Response:
    # 401, never 403: caveclient opens a web browser on some 403 bodies (terms-of-service flow)
    return error_response(401, message, headers={"WWW-Authenticate": 'Bearer realm="engine"'})
