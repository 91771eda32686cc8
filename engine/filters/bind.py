"""Bind IR to a ``Scope``: qualify every column, check and convert every value for its column type.

This is where "unknown column" and "string vs int column" errors come from, for dict input and
hand-built IR alike. Both backends compile bound IR only, so they never see an unchecked name.
"""

from __future__ import annotations

import math
from functools import singledispatch
from typing import Any

from ..errors import BadFilterError
from ..schema import Column
from .ir import And, BBox, Col, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex, as_node, map_children
from .passes import optimize
from .scope import Scope
from .values import coerce, coerce_many, family, int_bounds


def prepare(expr: Node | list[Node] | None, scope: Scope) -> Node:
    """Bound and normalised IR, ready for a backend."""
    return optimize(bind(as_node(expr), scope))


@singledispatch
def bind(node: Node, scope: Scope) -> Node:
    """``node`` checked against ``scope``, with qualified columns and converted values."""
    raise TypeError(f"cannot bind {type(node).__name__}: not a filter node")


def _resolve(col: Col, scope: Scope) -> tuple[Col, Column]:
    alias, column = scope.resolve(col)
    return Col(col.name, alias), column


@bind.register
def _(node: Equal, scope: Scope) -> Node:
    col, column = _resolve(node.col, scope)
    return Equal(col, coerce(node.value, column, f"filter on {col}"))


@bind.register
def _(node: IsNull, scope: Scope) -> Node:
    return IsNull(_resolve(node.col, scope)[0])


def _matchable(values: tuple[Any, ...], column: Column, where: str) -> list[Any]:
    """Values converted for ``column``; those an integer column can never hold (1.5, inf, 2**70) are dropped."""
    out = coerce_many(values, column, where)
    if family(column.type) == "int" and float in set(map(type, out)):
        out = [v for v in out if not isinstance(v, float)]  # integral floats were converted to int
    return out


@bind.register
def _(node: InSet, scope: Scope) -> Node:
    col, column = _resolve(node.col, scope)
    values = _matchable(node.values, column, f"filter on {col}")
    if values:
        return InSet(col, values)
    return Range(col, lo=int_bounds(column.type)[1], lo_inclusive=False)  # never true, unknown for NULL


@bind.register
def _(node: NotInSet, scope: Scope) -> Node:
    col, column = _resolve(node.col, scope)
    values = _matchable(node.values, column, f"filter on {col}")
    if values:
        return NotInSet(col, values, node.keep_null)
    everything = Range(col, hi=int_bounds(column.type)[1])  # true, unknown for NULL
    return Or((IsNull(col), everything)) if node.keep_null else everything


@bind.register
def _(node: Range, scope: Scope) -> Node:
    col, column = _resolve(node.col, scope)
    where = f"filter on {col}"
    lo = None if node.lo is None else coerce(node.lo, column, where)
    hi = None if node.hi is None else coerce(node.hi, column, where)
    bound = Range(col, lo, hi, node.lo_inclusive, node.hi_inclusive)
    if family(column.type) != "int":
        return bound
    try:  # an integer column compares exactly with integer bounds (a float bound is lossy above 2**53)
        return _int_range(col, lo, hi, node)
    except BadFilterError:  # e.g. 1.2 < col < 1.8: no integer inside; keep the float bounds
        return bound


def _int_range(col: Col, lo: Any, hi: Any, node: Range) -> Range:
    lo, lo_inc = _int_bound(lo, True, node.lo_inclusive)
    hi, hi_inc = _int_bound(hi, False, node.hi_inclusive)
    return Range(col, lo, hi, lo_inc, hi_inc)


def _int_bound(value: Any, lower: bool, inclusive: bool) -> tuple[Any, bool]:
    """An equivalent inclusive integer bound for a finite float bound (``col > 1.5`` is ``col >= 2``)."""
    if not isinstance(value, float) or math.isinf(value):
        return value, inclusive
    if lower:
        return (math.ceil(value) if inclusive else math.floor(value) + 1), True
    return (math.floor(value) if inclusive else math.ceil(value) - 1), True


@bind.register
def _(node: Regex, scope: Scope) -> Node:
    col, column = _resolve(node.col, scope)
    if family(column.type) != "string":
        raise BadFilterError(
            f"regex filter on {col}: column {column.name!r} has type {column.type}; regex needs a string column"
        )
    return Regex(col, node.pattern)


@bind.register
def _(node: BBox, scope: Scope) -> Node:
    alias, point = scope.point(node.col, len(node.lo))
    schema = scope.tables[alias]
    types = [schema.column(c).type for c in point.columns]
    if point.kind != "split":
        types = [types[0].value_type] * len(node.lo)
    lo, hi = list(node.lo), list(node.hi)
    for axis, arrow_type in enumerate(types):
        if family(arrow_type) == "int":  # exact integer bounds, as for Range
            a, b = _int_bound(lo[axis], True, True)[0], _int_bound(hi[axis], False, True)[0]
            if a <= b:
                lo[axis], hi[axis] = a, b
    return BBox(Col(node.col.name, alias), tuple(lo), tuple(hi))


@bind.register(And)
@bind.register(Or)
@bind.register(Not)
def _(node: Node, scope: Scope) -> Node:
    return map_children(node, lambda child: bind(child, scope))
