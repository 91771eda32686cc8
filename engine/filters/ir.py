"""The filter IR: small frozen nodes that every input form parses to and every backend compiles from.

Nodes hold plain Python values (normalised from numpy / pyarrow / polars on construction) and
check their own invariants; they know nothing about schemas. ``bind.py`` checks them against
a ``Scope`` (columns exist, values compare with the column types) before compilation.

Semantics are SQL's three-valued logic: a comparison with a NULL column is unknown, ``Not``
of unknown is unknown, and only rows where the whole filter is true are kept.

>>> f = InSet("pre_pt_root_id", [1, 2]) & ~Equal("valid", False)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import BadFilterError
from .values import check_not_nan, check_regex, many, scalar


class Node:
    """Base of every filter node; ``a & b``, ``a | b`` and ``~a`` build And / Or / Not."""

    __slots__ = ()

    def __and__(self, other: Node) -> And:
        return And((self, other))

    def __or__(self, other: Node) -> Or:
        return Or((self, other))

    def __invert__(self) -> Not:
        return Not(self)


@dataclass(frozen=True, slots=True)
class Col:
    """A column reference; ``table`` is an alias of the ``Scope`` (None: the first table that has the column)."""

    name: str
    table: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise BadFilterError(f"a column name must be a non-empty string, got {self.name!r}")
        if self.table is not None and (not isinstance(self.table, str) or not self.table):
            raise BadFilterError(f"a table alias must be a non-empty string or None, got {self.table!r}")

    def __str__(self) -> str:
        return self.name if self.table is None else f"{self.table}.{self.name}"


def as_col(value: Col | str) -> Col:
    """``Col(value)`` for a string, ``value`` for a ``Col``."""
    if isinstance(value, Col):
        return value
    if isinstance(value, str):
        return Col(value)
    raise BadFilterError(f"expected a column name or Col, got {type(value).__name__} {value!r}")


def _set(node: Any, name: str, value: Any) -> None:
    object.__setattr__(node, name, value)


def _value(value: Any, where: str) -> Any:
    value = scalar(value)
    if value is None:
        raise BadFilterError(f"{where}: None is not a value here (use IsNull for NULL)")
    return check_not_nan(value, where)


@dataclass(frozen=True, slots=True)
class Equal(Node):
    """``col = value``; never true for NULL rows."""

    col: Col
    value: Any

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        _set(self, "value", _value(self.value, f"Equal({self.col})"))


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    """``col IS NULL``."""

    col: Col

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))


def _values(values: Any, where: str) -> tuple[Any, ...]:
    """Distinct, non-null, non-NaN values in first-seen order; at least one (vectorised: lists can be long)."""
    items = tuple(dict.fromkeys(many(values)))
    if not items:
        raise BadFilterError(f"{where}: the list of values is empty (a filter on nothing matches nothing)")
    kinds = set(map(type, items))
    if type(None) in kinds or (float in kinds and any(type(v) is float and v != v for v in items)):
        for v in items:
            _value(v, where)  # raises with the precise message
    return items


def _short_values(values: tuple[Any, ...]) -> str:
    shown = ", ".join(repr(v) for v in values[:5])
    return f"({shown}{', ...' if len(values) > 5 else ''})  # {len(values)} values"


@dataclass(frozen=True, slots=True)
class InSet(Node):
    """``col`` is one of ``values``; never true for NULL rows (add ``| IsNull(col)`` for that)."""

    col: Col
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        _set(self, "values", _values(self.values, f"InSet({self.col})"))

    def __repr__(self) -> str:
        return f"InSet({self.col!r}, {_short_values(self.values)})"


@dataclass(frozen=True, slots=True)
class NotInSet(Node):
    """``col`` is none of ``values``; NULL rows are dropped unless ``keep_null`` (SQL ``NOT IN`` drops them)."""

    col: Col
    values: tuple[Any, ...]
    keep_null: bool = False

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        _set(self, "values", _values(self.values, f"NotInSet({self.col})"))
        if not isinstance(self.keep_null, bool):
            raise BadFilterError(f"NotInSet({self.col}): keep_null must be a bool, got {self.keep_null!r}")

    def __repr__(self) -> str:
        return f"NotInSet({self.col!r}, {_short_values(self.values)}, keep_null={self.keep_null})"


@dataclass(frozen=True, slots=True)
class Range(Node):
    """``lo <= col <= hi`` (each end optional, inclusive unless ``*_inclusive=False``); NULL rows never match."""

    col: Col
    lo: Any = None
    hi: Any = None
    lo_inclusive: bool = True
    hi_inclusive: bool = True

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        where = f"Range({self.col})"
        lo, hi = scalar(self.lo), scalar(self.hi)
        if lo is None and hi is None:
            raise BadFilterError(f"{where}: give at least one bound (min, max or both)")
        _set(self, "lo", None if lo is None else check_not_nan(lo, where))
        _set(self, "hi", None if hi is None else check_not_nan(hi, where))
        if not (isinstance(self.lo_inclusive, bool) and isinstance(self.hi_inclusive, bool)):
            raise BadFilterError(f"{where}: lo_inclusive / hi_inclusive must be bools")
        if lo is not None and hi is not None:
            try:
                inverted = lo > hi
            except TypeError:
                raise BadFilterError(f"{where}: bounds {lo!r} and {hi!r} cannot be compared") from None
            if inverted:
                raise BadFilterError(f"{where}: min {lo!r} is greater than max {hi!r}")


@dataclass(frozen=True, slots=True)
class Regex(Node):
    """``col`` contains a match of the RE2 ``pattern`` (unanchored, like PostgreSQL ``~``); string columns only."""

    col: Col
    pattern: str

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        _set(self, "pattern", check_regex(scalar(self.pattern), f"Regex({self.col})"))


def _corner(corner: Any, where: str) -> tuple[float | int, ...]:
    coords = tuple(many(corner)) if not isinstance(corner, tuple) else tuple(scalar(c) for c in corner)
    for c in coords:
        if isinstance(c, bool) or not isinstance(c, (int, float)) or (isinstance(c, float) and math.isnan(c)):
            raise BadFilterError(f"{where}: coordinates must be numbers, got {c!r}")
    return coords


@dataclass(frozen=True, slots=True)
class BBox(Node):
    """Point ``col`` inside the box ``lo``..``hi`` (inclusive, table units); split ``col_x/_y/_z`` or a list column."""

    col: Col
    lo: tuple[float | int, ...]
    hi: tuple[float | int, ...]

    def __post_init__(self) -> None:
        _set(self, "col", as_col(self.col))
        where = f"BBox({self.col})"
        lo, hi = _corner(self.lo, where), _corner(self.hi, where)
        if not 1 <= len(lo) <= 3 or len(lo) != len(hi):
            raise BadFilterError(
                f"{where}: a box is [[xmin, ymin, zmin], [xmax, ymax, zmax]] (1 to 3 axes, same length), "
                f"got {lo} and {hi}"
            )
        for axis, (a, b) in enumerate(zip(lo, hi)):
            if a > b:
                raise BadFilterError(f"{where}: min {a!r} is greater than max {b!r} on axis {'xyz'[axis]}")
        _set(self, "lo", lo)
        _set(self, "hi", hi)


def _nodes(items: Any, where: str) -> tuple[Node, ...]:
    items = tuple(items) if isinstance(items, Iterable) else (items,)
    for item in items:
        if not isinstance(item, Node):
            raise BadFilterError(f"{where} takes filter nodes, got {type(item).__name__} {item!r}")
    return items


@dataclass(frozen=True, slots=True)
class And(Node):
    """All of ``items``; ``And(())`` is always true."""

    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        _set(self, "items", _nodes(self.items, "And"))


@dataclass(frozen=True, slots=True)
class Or(Node):
    """Any of ``items``; ``Or(())`` is always false."""

    items: tuple[Node, ...]

    def __post_init__(self) -> None:
        _set(self, "items", _nodes(self.items, "Or"))


@dataclass(frozen=True, slots=True)
class Not(Node):
    """The negation of ``item`` (unknown stays unknown, so NULL rows stay out)."""

    item: Node

    def __post_init__(self) -> None:
        if not isinstance(self.item, Node):
            raise BadFilterError(f"Not takes a filter node, got {type(self.item).__name__} {self.item!r}")


NODES: tuple[type[Node], ...] = (Equal, IsNull, InSet, NotInSet, Range, Regex, BBox, And, Or, Not)
LEAVES: tuple[type[Node], ...] = (Equal, IsNull, InSet, NotInSet, Range, Regex, BBox)
TRUE = And(())


def as_node(expr: Node | Iterable[Node] | None) -> Node:
    """One node from a node, a list of nodes (AND) or None (no filter)."""
    if expr is None:
        return TRUE
    if isinstance(expr, Node):
        return expr
    if isinstance(expr, (str, bytes)) or not isinstance(expr, Iterable):
        raise BadFilterError(f"filters= takes a filter node or a list of them, got {type(expr).__name__} {expr!r}")
    return And(tuple(expr))


def map_children(node: Node, fn: Callable[[Node], Node]) -> Node:
    """``node`` with ``fn`` applied to each direct child (leaves are returned unchanged)."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(fn(item) for item in node.items))
    if isinstance(node, Not):
        return Not(fn(node.item))
    return node


def leaves(node: Node) -> Iterator[Node]:
    """The leaf nodes (comparisons) of ``node``, in order."""
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from leaves(item)
    elif isinstance(node, Not):
        yield from leaves(node.item)
    else:
        yield node


def columns_of(node: Node) -> list[Col]:
    """Every column ``node`` reads, in order (with repeats)."""
    return [leaf.col for leaf in leaves(node)]  # type: ignore[attr-defined]


def map_columns(node: Node, fn: Callable[[Col], Col]) -> Node:
    """``node`` with every column replaced by ``fn(column)`` (e.g. re-pointed to another table alias)."""
    if isinstance(node, (And, Or, Not)):
        return map_children(node, lambda child: map_columns(child, fn))
    return dataclasses.replace(node, col=fn(node.col))  # type: ignore[attr-defined]
