"""The server fixtures of tests/server (the mirror is copied *from* our own service)."""

from __future__ import annotations

from server.conftest import (  # noqa: F401  (fixtures, registered by import)
    capped_server,
    cave_home,
    local,
    mirror_root,
    server,
    start_server,
)
