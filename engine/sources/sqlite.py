"""sqlite files, attached READ_ONLY through DuckDB's sqlite scanner (loaded offline).

The scanner reads BOOLEAN columns as integers, so each table is exposed through a view that casts
declared BOOLEAN columns back to BOOLEAN. Keys come from ``PRAGMA table_info/foreign_key_list``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

import duckdb

from ..connection import load_sqlite_scanner
from ..errors import BadInputError
from ..schema import Column, ForeignKey, TableSchema
from ..sql import quote_ident, quote_literal
from .base import Source, describe_views, view_sql
from .release_conventions import release_encodings

SQLITE_MAGIC = b"SQLite format 3\x00"
ALIAS = "src"


def is_sqlite_file(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == SQLITE_MAGIC


def open_sqlite(path: Path) -> Source:
    """Describe a sqlite file and how to attach it."""
    if not is_sqlite_file(path):
        raise BadInputError(f"{path} is not a sqlite database (bad file header)")
    declared = _declared_columns(path)
    is_release = "metadata" in declared
    keys = _keys(path, declared)

    def setup(con: duckdb.DuckDBPyConnection) -> None:
        load_sqlite_scanner(con)
        con.execute(f"ATTACH {quote_literal(str(path))} AS {ALIAS} (TYPE sqlite, READ_ONLY)")
        for table, columns in declared.items():
            select = ", ".join(_select_expr(name, kind) for name, kind in columns.items())
            con.execute(view_sql(table, select, f"{ALIAS}.{quote_ident(table)}"))

    def encodings(table: str) -> dict[str, str]:
        return release_encodings(table, declared[table]) if is_release else {}

    tables, prepared = describe_views(setup, declared, keys.__getitem__, encodings)
    tables = tuple(_with_notnull(t, path) for t in tables)
    return Source("sqlite", str(path), tables, setup, info={"file": path.name, "release": is_release},
                  prepared=prepared)


def _select_expr(name: str, declared: str) -> str:
    ident = quote_ident(name)
    if "BOOL" in declared.upper():
        return f"CAST({ident} AS BOOLEAN) AS {ident}"
    return ident


def _connect_ro(path: Path) -> sqlite3.Connection:
    # Quote the path: a '?' or '#' in a file name would otherwise end the URI's path part.
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _declared_columns(path: Path) -> dict[str, dict[str, str]]:
    con = _connect_ro(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        return {
            name: {r[1]: (r[2] or "") for r in con.execute("SELECT * FROM pragma_table_info(?)", (name,))}
            for name in names
        }
    except sqlite3.DatabaseError as exc:
        raise BadInputError(f"{path} cannot be read as sqlite: {exc}") from None
    finally:
        con.close()


def _keys(path: Path, declared: dict[str, dict[str, str]]) -> dict[str, tuple[tuple[str, ...], tuple[ForeignKey, ...]]]:
    con = _connect_ro(path)
    try:
        out = {}
        for table in declared:
            info = con.execute("SELECT name, pk FROM pragma_table_info(?)", (table,)).fetchall()
            pk = tuple(name for name, order in sorted(info, key=lambda r: r[1]) if order)
            fks = tuple(
                ForeignKey(r[3], r[2], r[4] or "id")
                for r in con.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,))
            )
            out[table] = (pk, fks)
        return out
    finally:
        con.close()


def _with_notnull(table: TableSchema, path: Path) -> TableSchema:
    con = _connect_ro(path)
    try:
        notnull = {r[0] for r in con.execute(
            "SELECT name FROM pragma_table_info(?) WHERE \"notnull\" OR pk > 0", (table.name,)
        )}
    finally:
        con.close()
    columns = tuple(
        Column(c.name, c.type, c.name not in notnull, c.encoding) for c in table.columns
    )
    return TableSchema(table.name, columns, table.primary_key, table.foreign_keys)
