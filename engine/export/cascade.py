"""Complete a paper's slice: OR-merge the logged restrictions per table, then pull in every parent row.

Algorithm (a fixpoint over key sets, all set operations in DuckDB against registered Arrow key
tables, never SQL text lists):

1. Each logged table starts with the OR of its restrictions (``merge``); those rows are new.
2. For every table with new rows (one scan reads all its key columns) and each of its foreign
   keys ``child.c -> parent.p``: the distinct non-null ``c`` of the new rows that ``parent`` has
   not been asked for yet become new keys of ``parent.p``; the parent rows with ``p`` in them
   are new rows of ``parent``.
3. Repeat until no table has new rows. Key sets only grow and are finite, so this ends; a
   parent reached from several children (or from itself, e.g. ``pair.reciprocal_id``) gets the
   union, whatever the order (the reference's sequential cascade lost rows, spyglass #1452).

A table's rows are then ``logged OR p1 IN keys1 OR p2 IN keys2 ...``. Only parents are pulled:
children (detail tables such as ``synapse`` or ``morphology``) are exported only where an
analysis logged them, unlike the reference, which drags every part table of a master along.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..connection import execute
from ..filters import Scope
from ..filters import compile as compile_filter
from ..filters.ir import TRUE, Node, Or
from ..filters.passes import optimize
from ..filters.relations import Relations
from ..schema import TableSchema
from ..sql import ParamNames
from .sources import SliceSource

Delta = Node | tuple[str, pa.Array]
"""New rows of a table: a logged restriction, or ``(column, keys)`` pulled in by children."""


@dataclass
class TableSlice:
    """The rows of one table in the export: its merged logged restriction plus the parent keys children need."""

    table: str
    logged: Node | None = None
    pulled: dict[str, pa.Array] = field(default_factory=dict)
    via: dict[str, list[str]] = field(default_factory=dict)

    def add(self, column: str, keys: pa.Array, child: str) -> None:
        known = self.pulled.get(column)
        self.pulled[column] = keys if known is None else pa.concat_arrays([known, keys.cast(known.type)])
        if child not in self.via.setdefault(column, []):
            self.via[column].append(child)

    def where(self, schema: TableSchema, names: ParamNames, relations: Relations) -> str:
        """SQL selecting exactly the slice's rows (``FALSE`` for an empty slice)."""
        parts: list[Delta] = ([self.logged] if self.logged is not None else []) + list(self.pulled.items())
        return delta_sql(schema, parts, names, relations)


def merge(restrictions: Sequence[Node]) -> Node:
    """The OR of ``restrictions`` (in-lists on one column merged into one); ``TRUE`` if any is."""
    if any(r == TRUE for r in restrictions):
        return TRUE
    return optimize(Or(tuple(restrictions)))


def delta_sql(schema: TableSchema, deltas: Sequence[Delta], names: ParamNames, relations: Relations) -> str:
    """``(d1) OR (d2) ...``: compiled IR, or ``col IN (SELECT key FROM <Arrow key table>)`` for key sets."""
    parts = []
    for delta in deltas:
        if isinstance(delta, Node):
            parts.append(compile_filter(delta, Scope.of(schema), names=names, relations=relations).sql)
        else:
            column, keys = delta
            parts.append(f'{schema.ident(column)} IN (SELECT "key" FROM {relations.add(pa.table({"key": keys}))})')
    return " OR ".join(f"({p})" for p in parts) or "FALSE"


def run(source: SliceSource, sql: str, params: Mapping[str, Any], relations: Relations,
        fetch: Callable[[duckdb.DuckDBPyConnection], Any] = duckdb.DuckDBPyConnection.to_arrow_table) -> Any:
    """``fetch`` (default: an Arrow table) of the statement, run with its key tables registered.

    The result is fetched before the key tables are unregistered: a pending result still reads them.
    """
    cur = source.cursor()
    for name, table in relations.tables.items():
        cur.register(name, table)
    try:
        return fetch(execute(cur, sql, params))
    finally:
        for name in relations.tables:
            cur.unregister(name)


def cascade(source: SliceSource, logged: Mapping[str, Sequence[Node]]) -> dict[str, TableSlice]:
    """Every table's slice: the logged rows and, transitively, every row they reference."""
    slices = {table: TableSlice(table, merge(nodes)) for table, nodes in logged.items() if nodes}
    pending: dict[str, list[Delta]] = {table: [s.logged] for table, s in slices.items()}  # type: ignore[misc]
    while pending:
        table = next(iter(pending))
        deltas = pending.pop(table)
        schema = source.schema(table)
        keys = [k for k in schema.foreign_keys if k.ref_table in source.tables]  # others point outside the source
        values = _key_values(source, schema, [k.column for k in keys], deltas)
        for fk in keys:
            parent = slices.setdefault(fk.ref_table, TableSlice(fk.ref_table))
            new = _unknown(values[fk.column], parent.pulled.get(fk.ref_column))
            if len(new):
                source.schema(fk.ref_table).column(fk.ref_column)
                parent.add(fk.ref_column, new, f"{table}.{fk.column}")
                pending.setdefault(fk.ref_table, []).append((fk.ref_column, new))
    return slices


def _key_values(source: SliceSource, schema: TableSchema, columns: list[str], deltas: Sequence[Delta]) -> pa.Table:
    """The distinct combinations of the foreign-key ``columns`` over the rows in ``deltas``: one scan per table."""
    if not columns:
        return pa.table({})
    names, relations = ParamNames(), Relations()
    select = ", ".join(schema.ident(c) for c in dict.fromkeys(columns))
    sql = f"SELECT DISTINCT {select} FROM {source.relations[schema.name]} WHERE {delta_sql(schema, deltas, names, relations)}"
    return run(source, sql, names.params, relations)


def _unknown(values: pa.ChunkedArray, known: pa.Array | None) -> pa.Array:
    """The distinct non-null ``values`` not in ``known``."""
    values = pc.unique(values.combine_chunks()).drop_null()
    if known is None or not len(values):
        return values
    values = values.cast(known.type)
    return values.filter(pc.invert(pc.is_in(values, value_set=known)))
