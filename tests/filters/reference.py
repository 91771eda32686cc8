"""A plain-Python evaluator of filter IR and filter dicts: the oracle the differential tests compare against.

Written from the documented semantics (docs/filters.md), not from the compiler: three-valued
logic (None = unknown), NULL never matches a comparison, NaN is not NULL but never satisfies
a comparison (IEEE, like Python), ``None`` in an in-list matches NULL, not-in drops NULL rows
unless ``keep_null``, regexes are unanchored searches, boxes are inclusive on every axis.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from engine.filters import And, BBox, Equal, InSet, IsNull, Not, NotInSet, Or, Range, Regex

Row = Mapping[str, Any]


def _norm(value: Any, data: Any) -> Any:
    """ISO strings compared with timestamp data become datetimes."""
    if isinstance(data, dt.datetime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _eq(data: Any, value: Any) -> bool | None:
    return None if data is None else data == _norm(value, data)


def _cmp(data: Any, value: Any, op: str) -> bool | None:
    if data is None:
        return None
    a, b = data, _norm(value, data)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def _coords(row: Row, name: str, axes: int) -> list[Any]:
    if f"{name}_x" in row:
        return [row[f"{name}_{a}"] for a in "xyz"[:axes]]
    items = row[name]
    return [None if items is None or i >= len(items) else items[i] for i in range(axes)]


def _box(coords: list[Any], lo: Any, hi: Any) -> bool | None:
    return _and([_and([_cmp(c, a, ">="), _cmp(c, b, "<=")]) for c, a, b in zip(coords, lo, hi)])


def evaluate(node: Any, row: Row) -> bool | None:
    """True / False / None (unknown) for one row."""
    if isinstance(node, Equal):
        return _eq(row[node.col.name], node.value)
    if isinstance(node, IsNull):
        return row[node.col.name] is None
    if isinstance(node, InSet):
        return _or([_eq(row[node.col.name], v) for v in node.values])
    if isinstance(node, NotInSet):
        data = row[node.col.name]
        if data is None:
            return True if node.keep_null else None
        return not any(_eq(data, v) for v in node.values)
    if isinstance(node, Range):
        data = row[node.col.name]
        parts = []
        if node.lo is not None:
            parts.append(_cmp(data, node.lo, ">=" if node.lo_inclusive else ">"))
        if node.hi is not None:
            parts.append(_cmp(data, node.hi, "<=" if node.hi_inclusive else "<"))
        return _and(parts)
    if isinstance(node, Regex):
        data = row[node.col.name]
        return None if data is None else re.search(node.pattern, data) is not None
    if isinstance(node, BBox):
        return _box(_coords(row, node.col.name, len(node.lo)), node.lo, node.hi)
    if isinstance(node, And):
        return _and([evaluate(i, row) for i in node.items])
    if isinstance(node, Or):
        return _or([evaluate(i, row) for i in node.items])
    if isinstance(node, Not):
        return _not(evaluate(node.item, row))
    raise TypeError(f"reference evaluator does not know {type(node).__name__}")


def _dict_clause(key: str, name: str, value: Any, row: Row) -> bool | None:
    if key == "filter_in_dict":
        data = row[name]
        return _or([(data is None) if v is None else _eq(data, v) for v in value])
    if key in ("filter_out_dict", "filter_notin_dict"):
        data = row[name]
        return None if data is None else not any(_eq(data, v) for v in value if v is not None)
    if key == "filter_equal_dict":
        return row[name] is None if value is None else _eq(row[name], value)
    ops = {"filter_greater_dict": ">", "filter_less_dict": "<", "filter_greater_equal_dict": ">=",
           "filter_less_equal_dict": "<="}
    if key in ops:
        return _cmp(row[name], value, ops[key])
    if key == "filter_regex_dict":
        return None if row[name] is None else re.search(value, row[name]) is not None
    if key == "filter_spatial_dict":
        lo, hi = value
        return _box(_coords(row, name, 3), lo, hi)
    raise KeyError(key)


def evaluate_dicts(dicts: Mapping[str, Mapping[str, Any]], row: Row) -> bool | None:
    """The AND of every ``{key: {column: value}}`` clause (flat dicts only) for one row."""
    return _and([_dict_clause(k, name, v, row) for k, clauses in dicts.items() for name, v in clauses.items()])


def matching(rows: list[Row], predicate: Any) -> list[int]:
    """``rid`` of the rows where ``predicate(row)`` is True, sorted."""
    return sorted(row["rid"] for row in rows if predicate(row) is True)
