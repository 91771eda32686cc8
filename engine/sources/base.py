"""``Source``: the tables a dataset exposes and how to set up a DuckDB connection for them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from ..connection import Setup
from ..schema import ForeignKey, TableSchema
from ..sql import quote_ident


@dataclass(frozen=True)
class Source:
    """What ``connect`` found: a kind, a location, table schemas and connection setup.

    ``setup`` runs once per process on the root connection (ATTACH + one view per table);
    ``per_cursor`` runs on every cursor. ``info`` describes the origin (file, sha256, schema version).
    ``prepared`` is a root connection on which ``setup`` already ran in this process (it is adopted
    instead of being built again). ``key_index(table, column)`` is a sorted-key index when the
    source has one (Parquet mirrors sorted by ``column``), else None.
    """

    kind: str
    location: str
    tables: tuple[TableSchema, ...]
    setup: Setup
    per_cursor: Setup | None = None
    info: dict[str, Any] = field(default_factory=dict)
    prepared: duckdb.DuckDBPyConnection | None = field(default=None, repr=False, compare=False)
    key_index: Callable[[str, str], Any] | None = field(default=None, repr=False, compare=False)


def view_sql(table: str, select: str, relation: str) -> str:
    """``CREATE VIEW`` text for one table (names come from the source file, quoted)."""
    return f"CREATE OR REPLACE VIEW main.{quote_ident(table)} AS SELECT {select} FROM {relation}"


def describe_views(
    setup: Setup,
    names: Iterable[str],
    keys: Callable[[str], tuple[tuple[str, ...], tuple[ForeignKey, ...]]],
    encodings: Callable[[str], dict[str, str]],
) -> tuple[tuple[TableSchema, ...], duckdb.DuckDBPyConnection]:
    """Run ``setup`` on a new root connection and read each view's Arrow schema.

    Returns the schemas and the prepared connection, which the dataset then adopts.
    """
    from ..connection import new_connection

    con = new_connection()
    try:
        setup(con)
        tables = tuple(
            TableSchema.from_arrow(
                name,
                _arrow_schema(con, name),
                primary_key=keys(name)[0],
                foreign_keys=keys(name)[1],
                encodings=encodings(name),
            )
            for name in names
        )
    except BaseException:
        con.close()
        raise
    return tables, con


def _arrow_schema(con: duckdb.DuckDBPyConnection, name: str) -> pa.Schema:
    return con.execute(f"SELECT * FROM main.{quote_ident(name)} LIMIT 0").to_arrow_table().schema
