"""DuckDB database files, attached READ_ONLY; keys come from ``duckdb_constraints()``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..connection import new_connection
from ..schema import ForeignKey
from ..sql import quote_ident, quote_literal
from .base import Source, describe_views, view_sql

DUCKDB_MAGIC = b"DUCK"
ALIAS = "src"


def is_duckdb_file(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(12)[8:12] == DUCKDB_MAGIC


def open_duckdb(path: Path) -> Source:
    """Describe a DuckDB file and how to attach it."""
    con = new_connection(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary "
            "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal "
            "ORDER BY 1"
        ).fetchall()]
        constraints = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() "
            "WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        ).fetchall()
    finally:
        con.close()
    keys = {name: ((), ()) for name in names}
    for table, kind, cols, ref_table, ref_cols in constraints:
        if table not in keys:
            continue
        pk, fks = keys[table]
        if kind == "PRIMARY KEY":
            keys[table] = (tuple(cols), fks)
        else:
            new = tuple(ForeignKey(c, ref_table, r) for c, r in zip(cols, ref_cols, strict=True))
            keys[table] = (pk, fks + new)

    def setup(c: duckdb.DuckDBPyConnection) -> None:
        c.execute(f"ATTACH {quote_literal(str(path))} AS {ALIAS} (READ_ONLY)")
        for name in names:
            c.execute(view_sql(name, "*", f"{ALIAS}.main.{quote_ident(name)}"))

    tables, prepared = describe_views(setup, names, keys.__getitem__, lambda _: {})
    return Source("duckdb", str(path), tables, setup, info={"file": path.name}, prepared=prepared)
