"""Predicate pushdown: the conjuncts of a filter that read only stored columns, compiled against the raw rows.

They run inside a table's as-of relation, before the root-id joins, so a supervoxel in-list
(what root-id filters become) prunes the Parquet scan instead of filtering the joined result.
The full filter still runs outside, so pushing is never needed for correctness.
"""

from __future__ import annotations

from ..filters import And, BBox, Col, Node, Scope, compile, leaves, map_columns
from ..filters.passes import flatten
from ..filters.relations import Relations
from ..sql import ParamNames
from .tables import AXES, AnnotationTable

RAW = "a"


def _stored(leaf: Node, alias: str, table: AnnotationTable) -> bool:
    """The leaf reads ``alias`` columns that the raw rows hold with the same meaning (not the derived ``valid``)."""
    col: Col = leaf.col  # type: ignore[attr-defined]
    if col.table != alias:
        return False
    names = [col.name + axis for axis in AXES] if isinstance(leaf, BBox) else [col.name]
    return all(table.raw.has(n) and n != "valid" for n in names)


def split(node: Node | None, alias: str, table: AnnotationTable) -> tuple[list[Node], list[Node]]:
    """``(conjuncts reading only stored columns of alias, the other conjuncts)`` of ``node``."""
    if node is None:
        return [], []
    node = flatten(node)
    items = node.items if isinstance(node, And) else (node,)
    pushed, rest = [], []
    for item in items:
        found = list(leaves(item))
        (pushed if found and all(_stored(leaf, alias, table) for leaf in found) else rest).append(item)
    return pushed, rest


def raw_where(node: Node | None, alias: str, table: AnnotationTable, names: ParamNames, relations: Relations) -> str:
    """SQL over alias ``a`` for the top-level conjuncts of ``node`` that only read stored columns of ``alias``."""
    pushed, _ = split(node, alias, table)
    if not pushed:
        return ""
    raw = map_columns(And(tuple(pushed)), lambda col: Col(col.name, RAW))
    compiled = compile(raw, Scope({RAW: table.raw}, qualify=True), names=names, relations=relations)
    return "" if compiled.sql == "TRUE" else compiled.sql
