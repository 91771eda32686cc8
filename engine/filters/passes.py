"""Normalisation passes: small pure ``Node -> Node`` rewrites, run in order by ``optimize``.

Every pass must keep three-valued semantics, not just two-valued: a rewrite that turns an
unknown (NULL) into false changes results under ``Not``. So an empty intersection of ranges is
left alone rather than replaced by "false".
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import BadFilterError
from .ir import And, Col, Equal, InSet, Node, Not, Or, Range, map_children


def _bottom_up(rule: Callable[[Node], Node]) -> Callable[[Node], Node]:
    def run(node: Node) -> Node:
        return rule(map_children(node, run))

    run.__name__ = rule.__name__
    run.__doc__ = rule.__doc__
    return run


def _build(cls: type[And] | type[Or], items: list[Node]) -> Node:
    return items[0] if len(items) == 1 else cls(tuple(items))


@_bottom_up
def flatten(node: Node) -> Node:
    """Splice nested And/And and Or/Or, unwrap one-item And/Or, drop double negation."""
    if isinstance(node, (And, Or)):
        items: list[Node] = []
        for item in node.items:
            items.extend(item.items if type(item) is type(node) else (item,))
        return _build(type(node), items)
    if isinstance(node, Not) and isinstance(node.item, Not):
        return node.item.item
    return node


def _intersect(a: Range, b: Range) -> Range | None:
    """One range equal to ``a AND b``, or None if the bounds do not compare or the result is empty."""
    try:
        lo, lo_inc = _tighter(a.lo, a.lo_inclusive, b.lo, b.lo_inclusive, lower=True)
        hi, hi_inc = _tighter(a.hi, a.hi_inclusive, b.hi, b.hi_inclusive, lower=False)
        if lo is not None and hi is not None and lo > hi:
            return None
        return Range(a.col, lo, hi, lo_inc, hi_inc)
    except (TypeError, BadFilterError):  # bounds of different types (unbound IR)
        return None


def _tighter(x: object, x_inc: bool, y: object, y_inc: bool, *, lower: bool) -> tuple[object, bool]:
    if x is None:
        return y, y_inc
    if y is None or x == y:
        return x, x_inc and (y_inc if y is not None else True)
    return (x, x_inc) if (x > y) == lower else (y, y_inc)


@_bottom_up
def merge_ranges(node: Node) -> Node:
    """Within an And, merge the ranges on one column into one (``a > 1 AND a < 5`` -> ``1 < a < 5``)."""
    if not isinstance(node, And):
        return node
    items: list[Node] = []
    first: dict[Col, int] = {}
    for item in node.items:
        if isinstance(item, Range) and item.col in first:
            merged = _intersect(items[first[item.col]], item)  # type: ignore[arg-type]
            if merged is not None:
                items[first[item.col]] = merged
                continue
        if isinstance(item, Range):
            first.setdefault(item.col, len(items))
        items.append(item)
    return _build(And, items)


@_bottom_up
def merge_in_sets(node: Node) -> Node:
    """Within an Or, merge the equalities and in-sets on one column into one InSet."""
    if not isinstance(node, Or):
        return node
    items: list[Node] = []
    first: dict[Col, int] = {}
    for item in node.items:
        if isinstance(item, (Equal, InSet)) and item.col in first:
            kept = items[first[item.col]]
            items[first[item.col]] = InSet(item.col, _values(kept) + _values(item))
            continue
        if isinstance(item, (Equal, InSet)):
            first[item.col] = len(items)
        items.append(item)
    return _build(Or, items)


def _values(node: Node) -> tuple[object, ...]:
    return (node.value,) if isinstance(node, Equal) else node.values  # type: ignore[attr-defined]


@_bottom_up
def single_value_sets(node: Node) -> Node:
    """``InSet`` of one value -> ``Equal`` (one canonical form; ``col = $p`` is what scans prune best)."""
    if isinstance(node, InSet) and len(node.values) == 1:
        return Equal(node.col, node.values[0])
    return node


PASSES: tuple[Callable[[Node], Node], ...] = (flatten, merge_ranges, merge_in_sets, single_value_sets)


def optimize(node: Node) -> Node:
    """Run every pass in ``PASSES`` in order."""
    for rule in PASSES:
        node = rule(node)
    return node
