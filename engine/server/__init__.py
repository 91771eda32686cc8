"""A CAVE-compatible HTTP service over a local connectome mirror, so caveclient scripts run unchanged.

``import engine.server`` stays light: aiohttp and the routes load when an app is made.
See docs/server.md for the routes, the wire differences from the reference, auth and limits.

>>> app = make_app("/data/mirror")  # doctest: +SKIP
>>> serve("/data/mirror", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from .config import REFERENCE_ROW_LIMIT, ServerConfig, load_tokens

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["REFERENCE_ROW_LIMIT", "ServerConfig", "load_tokens", "make_app", "serve"]

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def make_app(
    root: str | os.PathLike[str],
    *,
    tokens: frozenset[str] | set[str] | None = None,
    row_limit: int | None = None,
    **options: Any,
) -> web.Application:
    """The aiohttp application serving every datastack under ``root`` (options: ``ServerConfig`` fields)."""
    from .app import make_app as build

    return build(ServerConfig(root, tokens=frozenset(tokens) if tokens else None, row_limit=row_limit, **options))


def serve(
    root: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    tokens: frozenset[str] | set[str] | None = None,
    row_limit: int | None = None,
    shutdown_timeout: float = 10.0,
    **options: Any,
) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests get ``shutdown_timeout`` seconds to finish."""
    from aiohttp import web

    app = make_app(root, tokens=tokens, row_limit=row_limit, **options)
    if host not in LOOPBACK and not tokens:
        print(f"engine serve: warning: {host} is reachable from other machines and no token is required",
              file=sys.stderr)
    web.run_app(app, host=host, port=port, shutdown_timeout=shutdown_timeout,
                print=lambda msg: print(msg, file=sys.stderr), access_log=None)
