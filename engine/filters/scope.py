"""``Scope``: the tables a filter may name (alias -> schema), and how a column reference resolves.

A single-table query uses ``Scope.of(schema)`` and unqualified identifiers. Domain layers that
build joins declare every alias they put in the FROM clause, in resolution order: an
unqualified column resolves to the *first* alias that has it (the aisynphys rule, "first
table wins"). ``synonyms`` lets filter dicts use real table names for aliased tables.

>>> scope = Scope({"pair": pair, "pre_cell": cell, "post_cell": cell})  # doctest: +SKIP
>>> scope.sql(Col("cre_type", "pre_cell"))                              # doctest: +SKIP
'"pre_cell"."cre_type"'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from ..errors import BadFilterError, UnknownColumnError, UnknownTableError
from ..schema import Column, TableSchema
from ..sql import quote_ident
from .ir import Col, Range
from .values import family

AXES = ("x", "y", "z")


@dataclass(frozen=True, slots=True)
class Point:
    """Where a point's coordinates live: ``split`` columns ``<p>_x/_y/_z`` or one ``list`` / ``array`` column."""

    kind: Literal["split", "list", "array"]
    columns: tuple[str, ...]


class Scope:
    """Aliases -> table schemas, in resolution order, plus how to spell a column in SQL and in polars."""

    def __init__(
        self,
        tables: Mapping[str, TableSchema],
        *,
        synonyms: Mapping[str, str] | None = None,
        qualify: bool | None = None,
    ) -> None:
        if not tables:
            raise BadFilterError("a Scope needs at least one table")
        self.tables = dict(tables)
        self.synonyms = dict(synonyms or {})
        for name, alias in self.synonyms.items():
            if alias not in self.tables:
                raise UnknownTableError(alias, self.tables, f"scope (synonym {name!r})")
        self.qualify = len(self.tables) > 1 if qualify is None else qualify

    @classmethod
    def of(cls, value: Scope | TableSchema) -> Scope:
        """``value`` if it is a Scope; a one-table, unqualified scope for a ``TableSchema``."""
        if isinstance(value, Scope):
            return value
        if isinstance(value, TableSchema):
            return cls({value.name: value})
        raise BadFilterError(f"expected a Scope or TableSchema, got {type(value).__name__}")

    def __repr__(self) -> str:
        tables = ", ".join(f"{a}={s.name}" for a, s in self.tables.items())
        return f"Scope({tables}{', qualified' if self.qualify else ''})"

    def subset(self, aliases: Iterable[str]) -> Scope:
        """The same spelling restricted to ``aliases`` (in that order), e.g. one cell's tables for a cell class."""
        picked = {self.alias(a): None for a in aliases}
        return Scope({a: self.tables[a] for a in picked}, qualify=self.qualify)

    def alias(self, name: str) -> str:
        """The alias for a table name or alias used in a filter dict."""
        if name in self.tables:
            return name
        if name in self.synonyms:
            return self.synonyms[name]
        raise UnknownTableError(name, [*self.tables, *self.synonyms], "filter scope")

    def column_map(self) -> dict[str, str]:
        """Column name -> alias it resolves to when unqualified (first table wins)."""
        out: dict[str, str] = {}
        for alias, schema in self.tables.items():
            for name in schema.names:
                out.setdefault(name, alias)
        return out

    def resolve(self, col: Col) -> tuple[str, Column]:
        """The alias and schema column ``col`` refers to; ``UnknownColumnError`` with did-you-mean otherwise."""
        if col.table is not None:
            alias = self.alias(col.table)
            return alias, self.tables[alias].column(col.name)
        for alias, schema in self.tables.items():
            if schema.has(col.name):
                return alias, schema.column(col.name)
        if len(self.tables) == 1:
            schema = next(iter(self.tables.values()))
            raise UnknownColumnError(col.name, schema.names, schema.name)
        raise UnknownColumnError(col.name, self.column_map(), "any of " + ", ".join(self.tables))

    def point(self, col: Col, axes: int) -> tuple[str, Point]:
        """The alias and layout of point ``col`` with ``axes`` coordinates (split columns win over a list column)."""
        aliases = [self.alias(col.table)] if col.table is not None else list(self.tables)
        split = [f"{col.name}_{a}" for a in AXES[:axes]]
        for alias in aliases:
            schema = self.tables[alias]
            if all(schema.has(c) for c in split):
                for c in split:
                    _numeric(schema.column(c), col)
                return alias, Point("split", tuple(split))
            if schema.has(col.name):
                column = schema.column(col.name)
                t = column.type
                if family(t) != "list" or family(t.value_type) not in ("int", "float", "decimal"):
                    raise BadFilterError(
                        f"spatial filter on {col.name!r}: it has type {t}, not a numeric list, "
                        f"and {', '.join(split)} do not exist"
                    )
                return alias, Point("array" if pa.types.is_fixed_size_list(t) else "list", (col.name,))
        candidates = sorted(
            {n[:-2] for a in aliases for n in self.tables[a].names if n.endswith("_x")}
            | {n for a in aliases for n in self.tables[a].names if family(self.tables[a].column(n).type) == "list"}
        )
        where = self.tables[aliases[0]].name if len(aliases) == 1 else "any of " + ", ".join(aliases)
        raise UnknownColumnError(col.name, candidates, where)

    def sql(self, col: Col, name: str | None = None) -> str:
        """SQL text for ``col`` (or its sibling ``name`` in the same table), qualified when the scope is."""
        alias = col.table if col.table is not None else self.resolve(col)[0]
        ident = quote_ident(name or col.name)
        return f"{quote_ident(alias)}.{ident}" if self.qualify else ident

    def frame_name(self, col: Col, name: str | None = None) -> str:
        """The polars column name for ``col``: ``name`` alone, or ``alias.name`` in a qualified scope."""
        alias = col.table if col.table is not None else self.resolve(col)[0]
        return f"{alias}.{name or col.name}" if self.qualify else (name or col.name)


def nan_above(node: Range, scope: Scope) -> bool:
    """True if a lower-bound-only range on a float column needs an explicit NaN guard.

    DuckDB and polars sort NaN above +inf, so ``f > 5`` is true for NaN in their own
    evaluation, but DuckDB's filter pushdown into Arrow scans and Parquet statistics treat
    NaN as never matching. The engine defines NaN as never satisfying a comparison (IEEE);
    only a range without an upper bound can let NaN through, so only it gets the guard.
    """
    return node.lo is not None and node.hi is None and family(scope.resolve(node.col)[1].type) == "float"


def _numeric(column: Column, col: Col) -> None:
    if family(column.type) not in ("int", "float", "decimal"):
        raise BadFilterError(
            f"spatial filter on {col.name!r}: coordinate column {column.name!r} has type {column.type}"
        )
