"""``--format sqlite``: the slice of a dataset source as one sqlite file, for readers without the engine.

Tables are declared like a release declares them (``BOOLEAN``, ``DATETIME``, ``BLOB``, primary
and foreign keys), then filled by DuckDB's sqlite writer from the bundle's Parquet files, so
``engine.connect`` reads the file back with the same column types as the Parquet.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from ..connection import execute, load_sqlite_scanner, new_connection
from ..schema import TableSchema
from ..sql import quote_ident, quote_literal

SQLITE_TYPES: tuple[tuple[str, str], ...] = (
    ("is_boolean", "BOOLEAN"), ("is_integer", "INTEGER"), ("is_floating", "FLOAT"), ("is_decimal", "NUMERIC"),
    ("is_string", "VARCHAR"), ("is_large_string", "VARCHAR"), ("is_binary", "BLOB"), ("is_large_binary", "BLOB"),
    ("is_timestamp", "DATETIME"), ("is_date", "DATE"),
)
"""Arrow type predicate -> declared sqlite type (the sqlite scanner maps these back to the same Arrow types)."""


def sqlite_type(arrow_type: pa.DataType) -> str:
    return next((decl for check, decl in SQLITE_TYPES if getattr(pa.types, check)(arrow_type)), "")


def create_sql(schema: TableSchema, tables: Mapping[str, TableSchema]) -> str:
    """``CREATE TABLE`` with declared types, the primary key and the foreign keys into exported tables."""
    parts = [f"{quote_ident(c.name)} {sqlite_type(c.type)}{'' if c.nullable else ' NOT NULL'}".rstrip()
             for c in schema.columns]
    if schema.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(quote_ident(c) for c in schema.primary_key)})")
    parts += [f"FOREIGN KEY ({quote_ident(k.column)}) REFERENCES {quote_ident(k.ref_table)} ({quote_ident(k.ref_column)})"
              for k in schema.foreign_keys if k.ref_table in tables]
    return f"CREATE TABLE {quote_ident(schema.name)} ({', '.join(parts)})"


def write_sqlite(path: Path, tables: Mapping[str, TableSchema], parquet: Mapping[str, Path]) -> Path:
    """Create ``path`` with every table of ``tables`` filled from its Parquet file in ``parquet``."""
    with contextlib.closing(sqlite3.connect(path)) as con:
        for schema in tables.values():
            con.execute(create_sql(schema, tables))
        con.commit()
    duck = new_connection()
    try:
        load_sqlite_scanner(duck)
        execute(duck, f"ATTACH {quote_literal(str(path))} AS out (TYPE sqlite)")
        for name, file in parquet.items():
            execute(duck, f"INSERT INTO out.{quote_ident(name)} SELECT * FROM read_parquet({quote_literal(str(file))})")
        execute(duck, "DETACH out")
    finally:
        duck.close()
    return path
