"""Wire filter dicts -> IR, validated against a scope; ``FILTER_KEYS`` is the table every consumer reads.

Each key takes ``{column: value}`` or nested ``{table: {column: value}}`` (the CAVE wire form,
tables by alias or synonym). The parser, docs/filters.md and the "valid keys" in error
messages all come from ``FILTER_KEYS``.

>>> parse_filter_dicts({"filter_in_dict": {"synapses": {"pre_pt_root_id": [1, 2]}}}, schema)  # doctest: +SKIP
InSet(Col('pre_pt_root_id', 'synapses'), (1, 2))  # 2 values
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadFilterError, closest
from ..schema import TableSchema
from .bind import bind
from .ir import TRUE, And, BBox, Col, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex, as_col
from .scope import Scope
from .values import is_listlike, many, scalar

Resolution = Sequence[float] | Mapping[str, Sequence[float]] | None


@dataclass(frozen=True, slots=True)
class Units:
    """Box units -> table units: ``resolution`` is nm per box unit, ``table_resolution`` nm per table voxel."""

    resolution: Sequence[float] | None = None
    table_resolution: Resolution = None

    def factors(self, scope: Scope, col: Col) -> tuple[float, ...] | None:
        """Per-axis multipliers for a box on ``col`` (None: the box is already in table units)."""
        if self.resolution is None and self.table_resolution is None:
            return None
        if self.resolution is None or self.table_resolution is None:
            raise BadFilterError("spatial filters: give both resolution (of the box) and table_resolution, or neither")
        table = self.table_resolution
        if isinstance(table, Mapping):
            alias = scope.point(col, 3)[0]
            found = next((table[n] for n in (alias, scope.tables[alias].name) if n in table), None)
            if found is None:
                raise BadFilterError(f"spatial filter on {col}: table_resolution has no entry for {alias!r}")
            table = found
        box, vox = _resolution(self.resolution, "resolution"), _resolution(table, "table_resolution")
        return tuple(b / v for b, v in zip(box, vox))


def _resolution(value: Any, name: str) -> tuple[float, ...]:
    items = many(value) if is_listlike(value) else [value]
    if len(items) != 3 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in items):
        raise BadFilterError(f"{name} must be three positive numbers (nm per unit on x, y, z), got {value!r}")
    return tuple(float(v) for v in items)


def any_of(col: Col | str, value: Any) -> Node:
    """``col`` is one of the values; a None in the list also matches NULL (any-of of equalities)."""
    col = as_col(col)
    items = many(value)
    if not items:
        raise BadFilterError(f"in-list filter on {col}: the list of values is empty")
    values = [v for v in items if v is not None]
    parts: list[Node] = [InSet(col, values)] if values else []
    return Or((*parts, IsNull(col))) if len(values) < len(items) else parts[0]


def none_of(col: Col | str, value: Any) -> Node:
    """``col`` is none of the values; NULL rows are dropped (SQL ``NOT IN``), so a None in the list changes nothing."""
    col = as_col(col)
    items = many(value)
    if not items:
        raise BadFilterError(f"not-in filter on {col}: the list of values is empty")
    values = [v for v in items if v is not None]
    return NotInSet(col, values) if values else Not(IsNull(col))


def equal(col: Col | str, value: Any) -> Node:
    """``col = value``; None means ``IS NULL``."""
    col = as_col(col)
    if is_listlike(value):
        raise BadFilterError(f"equality filter on {col} takes one value, got a list (use an in-list filter)")
    value = scalar(value)
    return IsNull(col) if value is None else Equal(col, value)


Builder = Callable[[Col, Any, Units, Scope], Node]


def _simple(build: Callable[[Col, Any], Node]) -> Builder:
    return lambda col, value, units, scope: build(col, value)


def _bound(**range_args: bool) -> Builder:
    lower = "lo_inclusive" in range_args

    def build(col: Col, value: Any) -> Node:
        if is_listlike(value) or scalar(value) is None:
            raise BadFilterError(f"a comparison filter on {col} takes one non-null value, got {value!r}")
        return Range(col, lo=value, **range_args) if lower else Range(col, hi=value, **range_args)

    return _simple(build)


def _box(col: Col, value: Any, units: Units, scope: Scope) -> Node:
    corners = value.tolist() if isinstance(value, np.ndarray) else value  # a (2, 3) array
    if not isinstance(corners, (list, tuple)) or len(corners) != 2 or not all(
        is_listlike(c) and len(many(c)) == 3 for c in corners
    ):
        raise BadFilterError(
            f"filter_spatial_dict on {col}: expected [[xmin, ymin, zmin], [xmax, ymax, zmax]], got {value!r}"
        )
    lo, hi = (tuple(many(c)) for c in corners)
    factors = units.factors(scope, col)
    if factors is not None:
        lo, hi = (tuple(v * f for v, f in zip(corner, factors)) for corner in (lo, hi))
    return BBox(col, lo, hi)


@dataclass(frozen=True, slots=True)
class FilterKey:
    """One wire key: how its values build IR, the value shape it takes and its meaning (for docs and errors)."""

    key: str
    build: Builder
    takes: str
    meaning: str


FILTER_KEYS: dict[str, FilterKey] = {
    k.key: k
    for k in (
        FilterKey("filter_in_dict", _simple(any_of), "list", "column is one of the values (None in the list: or NULL)"),
        FilterKey("filter_out_dict", _simple(none_of), "list", "column is none of the values; NULL rows are dropped"),
        FilterKey("filter_notin_dict", _simple(none_of), "list", "wire name of filter_out_dict (caveclient sends it)"),
        FilterKey("filter_equal_dict", _simple(equal), "value", "column equals the value; None means IS NULL"),
        FilterKey("filter_greater_dict", _bound(lo_inclusive=False), "value", "column > value"),
        FilterKey("filter_less_dict", _bound(hi_inclusive=False), "value", "column < value"),
        FilterKey("filter_greater_equal_dict", _bound(lo_inclusive=True), "value", "column >= value"),
        FilterKey("filter_less_equal_dict", _bound(hi_inclusive=True), "value", "column <= value"),
        FilterKey("filter_regex_dict", _simple(Regex), "pattern", "column contains a match of the RE2 pattern"),
        FilterKey(
            "filter_spatial_dict", _box, "[[xmin,ymin,zmin],[xmax,ymax,zmax]]",
            "point inside the box, inclusive; <point>_x/_y/_z columns or a list column",
        ),
    )
}


def check_key(key: object) -> FilterKey:
    """The ``FilterKey`` for ``key``; a ``BadFilterError`` naming the valid keys otherwise."""
    if isinstance(key, str) and key in FILTER_KEYS:
        return FILTER_KEYS[key]
    hint = closest(key, FILTER_KEYS)
    suggestion = f"; did you mean {hint!r}?" if hint else ""
    raise BadFilterError(f"unknown filter {key!r}{suggestion} (valid: {', '.join(sorted(FILTER_KEYS))})")


def parse_filter_dicts(
    filters: Mapping[str, Any] | None,
    scope: Scope | TableSchema,
    *,
    resolution: Sequence[float] | None = None,
    table_resolution: Resolution = None,
) -> Node:
    """IR for ``{"filter_in_dict": {...}, ...}``, bound to ``scope`` (so unknown columns and bad types fail here)."""
    scope = Scope.of(scope)
    units = Units(resolution, table_resolution)
    nodes: list[Node] = []
    for key, by_column in (filters or {}).items():
        spec = check_key(key)
        if by_column is None:
            continue
        if not isinstance(by_column, Mapping):
            raise BadFilterError(f"{key} takes a dict of {{column: {spec.takes}}}, got {type(by_column).__name__}")
        for name, value in by_column.items():
            if isinstance(value, Mapping):  # nested {table: {column: value}}
                alias = scope.alias(name)
                nodes.extend(spec.build(Col(c, alias), v, units, scope) for c, v in value.items())
            else:
                nodes.append(spec.build(Col(name), value, units, scope))
    return bind(And(tuple(nodes)), scope) if nodes else TRUE
