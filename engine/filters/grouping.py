"""How ``query_batch`` groups K filter sets: same keyed columns and same remaining filter -> one keyed join.

A set's keyed part is its top-level in / equal clauses; its rest is everything else. Sets
with equal keyed columns and equal rest form a ``Group`` whose values become ``(query_index,
key)`` rows per column. ``columnar`` handles the common all-dicts case without building IR per
set; it gives up (returns None) whenever the general path could answer differently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from .bind import prepare
from .ir import TRUE, And, Col, Equal, InSet, Node, as_node
from .parse import Resolution, parse_filter_dicts
from .scope import Scope
from .values import family, int_bounds, is_listlike, many, scalar

FAST_KEYS = {"filter_in_dict", "filter_equal_dict"}


@dataclass
class Group:
    """Sets sharing keyed columns and the rest of their filter; per keyed column, (query_index, value) rows."""

    cols: tuple[Col, ...]
    rest: Node
    members: list[int] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    index: list[list[np.ndarray]] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)

    def add(self, member: int, node: Node | None, keyed: Sequence[Sequence[Any]]) -> None:
        if not self.index:
            self.index = [[] for _ in self.cols]
            self.values = [[] for _ in self.cols]
        self.members.append(member)
        if node is not None:
            self.nodes.append(node)
        for j, values in enumerate(keyed):
            self.index[j].append(np.full(len(values), member, dtype=np.int64))
            self.values[j].extend(values)


def _keyed_parts(node: Node) -> tuple[tuple[Col, ...], tuple[tuple[Any, ...], ...], Node]:
    """Split a bound set into its top-level in / equal clauses (sorted by column) and the rest."""
    items = node.items if isinstance(node, And) else (node,)
    keyed = sorted(
        ((i.col, i.values if isinstance(i, InSet) else (i.value,)) for i in items if isinstance(i, (InSet, Equal))),
        key=lambda cv: (cv[0].table or "", cv[0].name),
    )
    rest = [i for i in items if not isinstance(i, (InSet, Equal))]
    return tuple(c for c, _ in keyed), tuple(v for _, v in keyed), rest[0] if len(rest) == 1 else And(tuple(rest))


def _set_node(filter_set: Any, scope: Scope, resolution: Any, table_resolution: Resolution) -> Node:
    if isinstance(filter_set, Mapping):
        parsed = parse_filter_dicts(filter_set, scope, resolution=resolution, table_resolution=table_resolution)
        return prepare(parsed, scope)
    return prepare(as_node(filter_set), scope)


def groups(sets: Sequence[Any], scope: Scope, resolution: Any, table_resolution: Resolution) -> list[Group]:
    """Sets grouped by (keyed columns, rest); a set without in / equal clauses is a group of its own."""
    groups: dict[Any, Group] = {}
    for k, filter_set in enumerate(sets):
        node = _set_node(filter_set, scope, resolution, table_resolution)
        cols, values, rest = _keyed_parts(node)
        key = (cols, rest) if cols else ("single", k)
        groups.setdefault(key, Group(cols, rest)).add(k, node, values)
    return list(groups.values())


def columnar(sets: Sequence[Any], scope: Scope) -> Group | None:
    """The common case without building IR per set: every set is ``{in/equal: {col: values}}`` over the same columns.

    Returns None (use ``_groups``) unless every value is plainly valid (ints for int columns,
    strings for string columns, ...), so both paths give identical answers and errors.
    """
    shape: list[tuple[str, Col]] | None = None
    columns: list[list[Any]] = []
    for filter_set in sets:
        entries = _entries(filter_set, scope)
        if entries is None or (shape is not None and [e[:2] for e in entries] != shape):
            return None
        if shape is None:
            shape, columns = [e[:2] for e in entries], [[] for _ in entries]
        for j, (kind, _, value) in enumerate(entries):
            values = many(value) if kind == "filter_in_dict" else [scalar(value)]
            if not values:
                return None
            columns[j].append(values)
    if not shape:
        return None
    resolved = [(Col(c.name, scope.resolve(c)[0]), scope.resolve(c)[1]) for _, c in shape]
    for (col, column), per_set in zip(resolved, columns):
        if not _plainly_valid(per_set, column.type):
            return None
    order = sorted(range(len(shape)), key=lambda j: (resolved[j][0].table or "", resolved[j][0].name))
    group = Group(tuple(resolved[j][0] for j in order), TRUE)
    for k in range(len(sets)):
        group.add(k, None, [columns[j][k] for j in order])
    return group


def _entries(filter_set: Any, scope: Scope) -> list[tuple[str, Col, Any]] | None:
    """``(key, column, value)`` for an in / equal-only dict set (None for anything else)."""
    if not isinstance(filter_set, Mapping) or not set(filter_set) <= FAST_KEYS:
        return None
    entries = []
    for key, by_column in filter_set.items():
        if by_column is not None and not isinstance(by_column, Mapping):
            return None
        for name, value in (by_column or {}).items():
            if isinstance(value, Mapping):
                entries.extend((key, Col(c, scope.alias(name)), v) for c, v in value.items())
            else:
                entries.append((key, Col(name), value))
    if any(is_listlike(value) != (key == "filter_in_dict") for key, _, value in entries):
        return None
    return entries


_PLAIN_TYPES = {"int": {int}, "float": {int, float}, "string": {str}}


def _plainly_valid(per_set: list[list[Any]], arrow_type: pa.DataType) -> bool:
    """True if every value has a type the column takes as is (no None, NaN, bool for ints or out-of-range ints)."""
    kind = family(arrow_type)
    allowed = _PLAIN_TYPES.get(kind)
    if allowed is None or not {type(v) for values in per_set for v in values} <= allowed:
        return False
    if kind == "float":
        return not any(v != v for values in per_set for v in values)
    if kind == "int":
        lo, hi = int_bounds(arrow_type)
        return all(lo <= v <= hi for values in per_set for v in values)
    return True
