"""Predicate pushdown: the conjuncts of a filter that read only stored columns, compiled against the raw rows.

They run inside a table's as-of relation, before the root-id joins, so a supervoxel in-list
(what root-id filters become) prunes the Parquet scan instead of filtering the joined result.
The full filter still runs outside, so pushing is never needed for correctness.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..filters import BBox, Col, Node, Scope, compile
from ..filters.ir import And, Not, Or
from ..filters.passes import flatten
from ..filters.relations import Relations
from ..sql import ParamNames
from .tables import AXES, AnnotationTable

RAW = "a"


def _leaves(node: Node) -> Iterator[Node]:
    if isinstance(node, (And, Or)):
        for item in node.items:
            yield from _leaves(item)
    elif isinstance(node, Not):
        yield from _leaves(node.item)
    else:
        yield node


def _stored(leaf: Node, alias: str, table: AnnotationTable) -> bool:
    """The leaf reads ``alias`` columns that the raw rows hold with the same meaning (not the derived ``valid``)."""
    col: Col = leaf.col  # type: ignore[attr-defined]
    if col.table != alias:
        return False
    names = [col.name + axis for axis in AXES] if isinstance(leaf, BBox) else [col.name]
    return all(table.raw.has(n) and n != "valid" for n in names)


def _rebase(node: Node) -> Node:
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_rebase(i) for i in node.items))
    if isinstance(node, Not):
        return Not(_rebase(node.item))
    return dataclasses.replace(node, col=Col(node.col.name, RAW))  # type: ignore[attr-defined]


def split(node: Node | None, alias: str, table: AnnotationTable) -> tuple[list[Node], list[Node]]:
    """``(conjuncts reading only stored columns of alias, the other conjuncts)`` of ``node``."""
    if node is None:
        return [], []
    node = flatten(node)
    items = node.items if isinstance(node, And) else (node,)
    pushed, rest = [], []
    for item in items:
        leaves = list(_leaves(item))
        (pushed if leaves and all(_stored(leaf, alias, table) for leaf in leaves) else rest).append(item)
    return pushed, rest


def raw_where(node: Node | None, alias: str, table: AnnotationTable, names: ParamNames, relations: Relations) -> str:
    """SQL over alias ``a`` for the top-level conjuncts of ``node`` that only read stored columns of ``alias``."""
    pushed, _ = split(node, alias, table)
    if not pushed:
        return ""
    compiled = compile(And(tuple(_rebase(i) for i in pushed)), Scope({RAW: table.raw}, qualify=True),
                       names=names, relations=relations)
    return "" if compiled.sql == "TRUE" else compiled.sql
