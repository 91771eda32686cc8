"""Query requests on the wire -> keyword arguments of the local client's query methods, validated once.

Bodies follow cave.md §3.3: filters nested ``{table: {column: value}}`` (the client's
``filter_out_dict`` arrives as ``filter_notin_dict``), inner dicts may be empty, unknown keys are
a 400 like the reference's marshmallow schemas. Filter *values* (shapes, column names, types)
are checked by the domain's filter parser; here only the envelope, the sizes and the limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from engine.errors import BadInputError

from .arrow import compression_for
from .config import ServerConfig
from .params import flag, positive_int, query_int

# wire key -> the local client's argument name
FILTER_KEYS = {
    "filter_in_dict": "filter_in_dict",
    "filter_notin_dict": "filter_out_dict",
    "filter_equal_dict": "filter_equal_dict",
    "filter_greater_dict": "filter_greater_dict",
    "filter_less_dict": "filter_less_dict",
    "filter_greater_equal_dict": "filter_greater_equal_dict",
    "filter_less_equal_dict": "filter_less_equal_dict",
    "filter_spatial_dict": "filter_spatial_dict",
    "filter_regex_dict": "filter_regex_dict",
}
COMMON_KEYS = ("offset", "limit", "desired_resolution")
SIMPLE_KEYS = frozenset({*FILTER_KEYS, *COMMON_KEYS, "select_columns"})
JOIN_KEYS = frozenset({*SIMPLE_KEYS, "tables", "select_column_map", "suffixes", "suffix_map"})
LIVE_KEYS = frozenset({*FILTER_KEYS, *COMMON_KEYS, "table", "timestamp", "join_tables", "select_columns", "suffixes"})


@dataclass
class WireQuery:
    """One parsed query request: the domain call's keyword arguments plus how to answer."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    count: bool = False
    arrow: bool = True
    compression: str | None = None
    capped: bool = False  # the server's row limit (not the caller's) bounds this answer


def query_flags(request: web.Request, query: WireQuery, config: ServerConfig) -> None:
    """The query-string flags of cave.md §3.1.

    ``split_positions`` is not read: positions always go out as ``_x/_y/_z`` columns, which caveclient
    folds itself when its caller asked for folded points (live_live_query never sends the flag).
    ``arrow_format`` and ``direct_sql_pandas`` change nothing here either.
    """
    query.arrow = flag(request, "return_pyarrow", True)
    query.count = flag(request, "count", False)
    sample = query_int(request, "random_sample", maximum=config.max_limit)
    if sample is not None:
        query.kwargs["random_sample"] = sample
    query.compression = compression_for(request.headers.get("Accept-Encoding", ""), flag(request, "ipc_compress", True))


def body_object(body: Any, allowed: frozenset[str], where: str) -> dict[str, Any]:
    """The body as a dict whose keys are all ``allowed`` (an empty body is ``{}``)."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadInputError(f"{where}: the body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadInputError(
            f"{where}: unknown body key(s) {', '.join(map(repr, unknown))} (valid: {', '.join(sorted(allowed))})"
        )
    return body


def filters(body: Mapping[str, Any], tables: Sequence[str], config: ServerConfig, *, nested: bool) -> dict[str, Any]:
    """The filter arguments: nested by table (joins, live_live) or unwrapped for a single relation."""
    out: dict[str, Any] = {}
    budget = config.max_filter_values
    for wire_key, arg in FILTER_KEYS.items():
        value = body.get(wire_key)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise BadInputError(f"{wire_key} must be {{table: {{column: value}}}}, got {_short(value)}")
        for table in value:
            if table not in tables:
                raise BadInputError(f"{wire_key} names table {table!r}, which this query does not read "
                                    f"(tables: {', '.join(tables)})")
        budget -= sum(_size(v) for inner in value.values() for v in inner.values())
        if budget < 0:
            raise BadInputError(
                f"the filters hold too many values; this server accepts at most {config.max_filter_values}"
            )
        kept = {t: inner for t, inner in value.items() if inner}
        if nested:
            out[arg] = kept or None
        else:
            out[arg] = kept.get(tables[0])
    return {k: v for k, v in out.items() if v}


def paging(body: Mapping[str, Any], query: WireQuery, config: ServerConfig) -> None:
    """``offset``, ``limit`` (capped by the server's row limit) and ``desired_resolution``."""
    if body.get("offset") is not None:
        query.kwargs["offset"] = positive_int(body["offset"], "offset", maximum=config.max_limit, allow_zero=True)
    limit = None if body.get("limit") is None else positive_int(body["limit"], "limit", maximum=config.max_limit)
    if config.row_limit is not None and not query.count and (limit is None or limit >= config.row_limit):
        limit, query.capped = config.row_limit, True
    if limit is not None:
        query.kwargs["limit"] = limit
    resolution = body.get("desired_resolution")
    if resolution is not None:
        if not isinstance(resolution, list) or len(resolution) != 3:
            raise BadInputError(f"desired_resolution must be [x, y, z] in nm, got {_short(resolution)}")
        query.kwargs["desired_resolution"] = resolution


def column_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise BadInputError(f"{name} must be a list of column names, got {_short(value)}")
    return value


def name_map(value: Any, name: str, kind: type) -> dict[str, Any]:
    """A ``{table: ...}`` dict whose values are ``kind`` (lists of columns, or suffix strings)."""
    if not isinstance(value, dict) or not all(isinstance(v, kind) for v in value.values()):
        raise BadInputError(f"{name} must map table names to {kind.__name__}s, got {_short(value)}")
    if kind is list:
        for table, columns in value.items():
            column_list(columns, f"{name}[{table!r}]")
    return value


def simple(body: Any, table: str, config: ServerConfig, *, where: str) -> WireQuery:
    """A table or view query: one relation, single-level filters."""
    body = body_object(body, SIMPLE_KEYS, where)
    query = WireQuery(tables=[table])
    query.kwargs.update(filters(body, [table], config, nested=False))
    if body.get("select_columns") is not None:
        query.kwargs["select_columns"] = column_list(body["select_columns"], "select_columns")
    paging(body, query, config)
    return query


def join(body: Any, config: ServerConfig) -> WireQuery:
    """The join endpoint: ``tables`` pairs, per-table selection and suffixes."""
    body = body_object(body, JOIN_KEYS, "join query")
    pairs = body.get("tables")
    if not isinstance(pairs, list) or len(pairs) != 2 or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs
    ):
        raise BadInputError(f"tables must be [[table1, column1], [table2, column2]], got {_short(pairs)}")
    query = WireQuery(tables=[p[0] for p in pairs], kwargs={"tables": pairs})
    query.kwargs.update(filters(body, query.tables, config, nested=True))
    if body.get("select_column_map") is not None:
        query.kwargs["select_columns"] = name_map(body["select_column_map"], "select_column_map", list)
    elif body.get("select_columns") is not None:
        query.kwargs["select_columns"] = column_list(body["select_columns"], "select_columns")
    if body.get("suffix_map") is not None:
        query.kwargs["suffixes"] = name_map(body["suffix_map"], "suffix_map", str)
    elif body.get("suffixes") is not None:
        query.kwargs["suffixes"] = column_list(body["suffixes"], "suffixes")
    paging(body, query, config)
    return query


def live(body: Any, config: ServerConfig) -> WireQuery:
    """live_live_query: ``table``, ``timestamp`` and optional ``join_tables`` chains."""
    body = body_object(body, LIVE_KEYS, "live query")
    table, timestamp = body.get("table"), body.get("timestamp")
    if not isinstance(table, str) or not isinstance(timestamp, str):
        raise BadInputError("live query: the body needs 'table' (a name) and 'timestamp' (ISO 8601)")
    joins = body.get("join_tables") or []
    if not isinstance(joins, list) or not all(
        isinstance(j, list) and len(j) == 4 and all(isinstance(s, str) for s in j) for j in joins
    ):
        raise BadInputError(f"join_tables must be [[table1, column1, table2, column2], ...], got {_short(joins)}")
    tables = list(dict.fromkeys([table, *(t for j in joins for t in (j[0], j[2]))]))
    query = WireQuery(tables=tables, kwargs={"table": table, "timestamp": timestamp})
    if joins:
        query.kwargs["joins"] = joins
    query.kwargs.update(filters(body, tables, config, nested=True))
    if body.get("select_columns") is not None:
        query.kwargs["select_columns"] = name_map(body["select_columns"], "select_columns", list)
    if body.get("suffixes") is not None:
        query.kwargs["suffixes"] = name_map(body["suffixes"], "suffixes", str)
    paging(body, query, config)
    return query


def _size(value: Any) -> int:
    return len(value) if isinstance(value, list) else 1


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
