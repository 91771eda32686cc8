"""Request primitives parsed once at the boundary: JSON bodies, query-string flags, id arrays, epoch times.

Every failure is a ``BadInputError`` naming the parameter, so the error middleware answers 400.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import numpy as np
from aiohttp import web

from engine.errors import BadInputError

_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


async def json_body(request: web.Request, *, default: Any = None) -> Any:
    """The request's JSON body (``default`` when empty); malformed JSON is a 400 naming the position."""
    raw = await request.read()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(f"request body is not valid JSON: {exc}") from None


def flag(request: web.Request, name: str, default: bool) -> bool:
    """A boolean query argument as flask-restx reads it ("True"/"true"/"1" ...)."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadInputError(f"query argument {name}={raw!r} is not a boolean (use True or False)")


def positive_int(value: Any, name: str, *, maximum: int | None = None, allow_zero: bool = False) -> int:
    """An int (from JSON or a query string) that is > 0 (or >= 0) and at most ``maximum``."""
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise BadInputError(f"{name} must be an integer, got {value!r}") from None
    if type(value) is not int or value < (0 if allow_zero else 1):
        raise BadInputError(f"{name} must be an integer >= {0 if allow_zero else 1}, got {value!r}")
    if maximum is not None and value > maximum:
        raise BadInputError(f"{name}={value} is larger than this server allows ({maximum})")
    return value


def query_int(request: web.Request, name: str, *, maximum: int | None = None) -> int | None:
    """An optional positive int query argument."""
    raw = request.query.get(name)
    return None if raw in (None, "") else positive_int(raw, name, maximum=maximum)


def epoch_time(request: web.Request, name: str, *, default_now: bool = True) -> datetime | None:
    """A query argument in epoch seconds (how caveclient's chunked-graph client sends times) as UTC."""
    raw = request.query.get(name)
    if raw in (None, ""):
        return datetime.now(timezone.utc) if default_now else None
    try:
        seconds = float(raw)
    except ValueError:
        raise BadInputError(f"query argument {name}={raw!r} is not a number of seconds since the epoch") from None
    if not math.isfinite(seconds) or not -1e11 < seconds < 1e11:
        raise BadInputError(f"query argument {name}={raw!r} is not a plausible epoch time")
    return datetime.fromtimestamp(seconds, timezone.utc)


def id_array(value: Any, name: str, *, limit: int) -> np.ndarray:
    """A JSON list of non-negative integer ids (root/supervoxel ids may exceed 2**63) as uint64."""
    if not isinstance(value, list):
        raise BadInputError(f"{name} must be a list of integer ids, got {type(value).__name__}")
    if len(value) > limit:
        raise BadInputError(f"{name} has {len(value)} ids; this server accepts at most {limit}")
    if not all(type(v) is int and 0 <= v < 1 << 64 for v in value):
        bad = next(v for v in value if not (type(v) is int and 0 <= v < 1 << 64))
        raise BadInputError(f"{name} must hold non-negative integer ids < 2**64, got {bad!r}")
    return np.array(value, dtype=np.uint64)


def object_field(body: Any, key: str, where: str) -> Any:
    """``body[key]`` where ``body`` must be a JSON object holding ``key``."""
    if not isinstance(body, dict):
        raise BadInputError(f"{where}: the body must be a JSON object, got {type(body).__name__}")
    if key not in body:
        raise BadInputError(f"{where}: the body has no {key!r} (keys: {', '.join(map(str, body)) or 'none'})")
    return body[key]
