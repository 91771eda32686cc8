"""Column references: parse ``"alias.column"``, list the ones filter IR reads, re-point them to other aliases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..errors import BadInputError
from ..filters.ir import And, Col, Node, Not, Or, map_children


def parse_col(spec: str | Col) -> Col:
    """``"pre_cell.cre_type"`` -> ``Col("cre_type", "pre_cell")``; a bare name stays unqualified."""
    if isinstance(spec, Col):
        return spec
    if not isinstance(spec, str) or not spec:
        raise BadInputError(f"a column is 'alias.column' or 'column', not {spec!r}")
    table, _, name = spec.rpartition(".")
    return Col(name, table or None)


def columns_of(node: Node) -> list[Col]:
    """Every column ``node`` reads, in order (with repeats)."""
    if isinstance(node, (And, Or)):
        return [c for item in node.items for c in columns_of(item)]
    if isinstance(node, Not):
        return columns_of(node.item)
    return [node.col]  # type: ignore[attr-defined]


def map_columns(node: Node, fn: Callable[[Col], Col]) -> Node:
    """``node`` with every column replaced by ``fn(column)``."""
    if isinstance(node, (And, Or, Not)):
        return map_children(node, lambda child: map_columns(child, fn))
    return dataclasses.replace(node, col=fn(node.col))  # type: ignore[attr-defined]
