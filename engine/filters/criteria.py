"""The aisynphys forms -> IR: cell-class criteria, comparison tuples and ``(min, max)`` ranges.

Criteria: a scalar means equality (None: IS NULL), a tuple / list means any-of, and an
expression ``("fractional_layer_depth", "<", 0.5)`` compares. Each name resolves through the
scope's aliases in order, so the first table that has the column wins, as in
``CellClass.filter_query`` (give the role's tables: ``scope.subset(["pre_cell", "pre_morphology", ...])``).

>>> parse_criteria({"cre_type": ("sst", "pvalb"), "cortical_layer": "2/3"}, scope)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import BadFilterError
from ..schema import TableSchema
from .bind import bind
from .ir import TRUE, And, Col, Node, Not, Range, as_col
from .parse import any_of, equal
from .scope import Scope
from .values import is_listlike, many, scalar


def _not_equal(col: Col, value: Any) -> Node:
    return Not(equal(col, value))


COMPARISONS: dict[str, Callable[[Col, Any], Node]] = {
    "==": equal,
    "=": equal,
    "!=": _not_equal,
    "<": lambda col, v: Range(col, hi=v, hi_inclusive=False),
    "<=": lambda col, v: Range(col, hi=v),
    ">": lambda col, v: Range(col, lo=v, lo_inclusive=False),
    ">=": lambda col, v: Range(col, lo=v),
}


def compare(col: Col | str, op: str, value: Any) -> Node:
    """``col <op> value`` for op in ``COMPARISONS`` (``==`` / ``!=`` with None mean IS NULL / IS NOT NULL)."""
    if op not in COMPARISONS:
        raise BadFilterError(f"unknown comparison {op!r} (valid: {', '.join(COMPARISONS)})")
    col = as_col(col)
    if op in ("<", "<=", ">", ">=") and scalar(value) is None:
        raise BadFilterError(f"{col} {op} None compares with NULL and is never true")
    return COMPARISONS[op](col, value)


def between(col: Col | str, bounds: Sequence[Any] | None) -> Node | None:
    """``min <= col <= max`` from a ``(min, max)`` pair (the pair-query ``age`` / ``distance`` form); None is open."""
    if bounds is None:
        return None
    items = many(bounds) if is_listlike(bounds) else None
    if items is None or len(items) != 2:
        raise BadFilterError(f"a range on {col} is a (min, max) pair, got {bounds!r}")
    lo, hi = items
    return None if lo is None and hi is None else Range(as_col(col), lo, hi)


def parse_criteria(
    criteria: Mapping[str, Any],
    scope: Scope | TableSchema,
    exprs: Iterable[tuple[str, str, Any] | Node] = (),
) -> Node:
    """IR for cell-class style ``criteria`` and comparison ``exprs``, bound to ``scope`` (first table wins)."""
    scope = Scope.of(scope)
    nodes: list[Node] = []
    for name, value in criteria.items():
        if isinstance(value, Mapping):
            raise BadFilterError(
                f"criterion {name!r}: dict values (OR across other attributes) are not supported; build an Or"
            )
        nodes.append(any_of(name, value) if is_listlike(value) else equal(name, value))
    for expr in exprs:
        if isinstance(expr, Node):
            nodes.append(expr)
        elif isinstance(expr, tuple) and len(expr) == 3:
            nodes.append(compare(*expr))
        else:
            raise BadFilterError(f"a criterion expression is (column, op, value) or a filter node, got {expr!r}")
    return bind(And(tuple(nodes)), scope) if nodes else TRUE

