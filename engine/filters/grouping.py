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
from .ir import TRUE, And, Col, Equal, InSet, Node, Or, as_node
from .parse import Resolution, parse_filter_dicts
from .scope import Scope
from .values import family, int_bounds, is_listlike, many, scalar

FAST_KEYS = {"filter_in_dict", "filter_equal_dict"}


@dataclass
class Group:
    """Sets sharing keyed columns and the rest of their filter; per keyed column, each member's values, flattened."""

    cols: tuple[Col, ...]
    rest: Node
    members: list[int] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)
    values: list[list[Any]] = field(default_factory=list)

    def add(self, member: int, node: Node | None, keyed: Sequence[Sequence[Any]]) -> None:
        if not self.counts:
            self.counts = [[] for _ in self.cols]
            self.values = [[] for _ in self.cols]
        self.members.append(member)
        if node is not None:
            self.nodes.append(node)
        for j, values in enumerate(keyed):
            self.counts[j].append(len(values))
            self.values[j].extend(values)

    def owners(self, j: int) -> np.ndarray:
        """The member (query index) of each value of keyed column ``j``."""
        return np.repeat(np.asarray(self.members, dtype=np.int64), self.counts[j])

    def member_nodes(self) -> list[Node]:
        """Each member's filter as IR (rebuilt from its keyed values when the set was never parsed)."""
        if self.nodes:
            return self.nodes
        bounds = [np.cumsum([0, *counts]).tolist() for counts in self.counts]
        return [
            And((*(InSet(col, tuple(values[b[k]:b[k + 1]])) for col, values, b in zip(self.cols, self.values, bounds)),
                 self.rest))
            for k in range(len(self.members))
        ]

    def restriction(self) -> Node:
        """The rows every member reads, as one filter: one IN list of all keys when there is one keyed column."""
        if len(self.cols) == 1:
            return And((InSet(self.cols[0], tuple(dict.fromkeys(self.values[0]))), self.rest))
        nodes = self.member_nodes()
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


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


Slot = tuple[str, "str | None", str]  # (filter key, table or None, column): one keyed value of a dict set


def columnar(sets: Sequence[Any], scope: Scope) -> Group | None:
    """The common case without building IR per set: every set is ``{in/equal: {col: values}}`` with the same slots.

    Returns None (use ``groups``) unless every value is plainly valid (ints for int columns,
    strings for string columns, ...), so both paths give identical answers and errors.
    """
    first = _slots(sets[0]) if sets else None
    if not first or not first[0]:
        return None
    shape = first[0]
    listed = [key == "filter_in_dict" for key, _, _ in shape]
    counts: list[list[int]] = [[] for _ in shape]
    columns: list[list[Any]] = [[] for _ in shape]
    for filter_set in sets:
        found = first if filter_set is sets[0] else _slots(filter_set)
        if found is None or found[0] != shape:
            return None
        for j, value in enumerate(found[1]):
            if is_listlike(value) != listed[j]:
                return None
            values = many(value) if listed[j] else [scalar(value)]
            if not values:
                return None
            counts[j].append(len(values))
            columns[j].extend(values)
    cols = []
    for (_, table, name), values in zip(shape, columns):
        alias, column = scope.resolve(Col(name, scope.alias(table) if table else None))
        if not _plainly_valid(values, column.type):
            return None
        cols.append(Col(name, alias))
    order = sorted(range(len(shape)), key=lambda j: (cols[j].table or "", cols[j].name))
    return Group(tuple(cols[j] for j in order), TRUE, list(range(len(sets))), [],
                 [counts[j] for j in order], [columns[j] for j in order])


def _slots(filter_set: Any) -> tuple[tuple[Slot, ...], list[Any]] | None:
    """``(slots, values)`` of an in / equal-only dict set (None for anything else)."""
    if type(filter_set) is not dict:
        return None
    shape, values = [], []
    for key, by_column in filter_set.items():
        if key not in FAST_KEYS or type(by_column) is not dict:
            return None
        for name, value in by_column.items():
            if type(value) is dict:
                for column, v in value.items():
                    shape.append((key, name, column))
                    values.append(v)
            else:
                shape.append((key, None, name))
                values.append(value)
    return tuple(shape), values


_PLAIN_TYPES = {"int": {int}, "float": {int, float}, "string": {str}}


def _plainly_valid(values: list[Any], arrow_type: pa.DataType) -> bool:
    """True if every value has a type the column takes as is (no None, NaN, bool for ints or out-of-range ints)."""
    kind = family(arrow_type)
    allowed = _PLAIN_TYPES.get(kind)
    if allowed is None or not set(map(type, values)) <= allowed:
        return False
    if kind == "float":
        return not any(v != v for v in values)
    if kind == "int":
        lo, hi = int_bounds(arrow_type)
        return lo <= min(values) and max(values) <= hi
    return True
