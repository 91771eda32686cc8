"""Write one source's slice: one zstd Parquet file per table with exactly the slice's rows.

Rows are copied by DuckDB's ``COPY (SELECT * FROM t WHERE <slice>) TO ...`` with the slice's
key sets registered as Arrow tables; the source's row order is kept. Every table of the source
is written, untouched ones with zero rows, so the bundle has the source's full schema (readers
such as ``SynphysDatabase`` check that the tables they know exist).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import BadInputError
from ..files import sha256_file
from ..filters.relations import Relations
from ..sql import ParamNames, quote_literal
from .cascade import TableSlice, run
from .external import join_paths, paths_sql
from .sources import SliceSource

ROW_GROUP_SIZE = 122_880


@dataclass
class Written:
    """One table as written: relative file, rows, sha256, and the external files its rows name."""

    table: str
    file: str
    rows: int
    sha256: str
    files: list[str] = field(default_factory=list)


def write_table(source: SliceSource, table: str, piece: TableSlice | None, root: Path, rel: str) -> Written:
    """Copy the slice of ``table`` to ``root / rel``; an absent slice writes an empty file with the schema."""
    schema = source.schema(table)
    if "/" in table or os.sep in table or table.startswith("."):
        raise BadInputError(f"table name {table!r} cannot be used as a file name")
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    names, relations = ParamNames(), Relations()
    where = piece.where(schema, names, relations) if piece is not None else "FALSE"
    select = f"SELECT * FROM {source.relations[table]} WHERE {where}"
    sql = (f"COPY ({select}) TO {quote_literal(str(path))} "
           f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    (rows,) = run(source, sql, names.params, relations, fetch=duckdb.DuckDBPyConnection.fetchone)
    files: list[str] = []
    listing = paths_sql(schema, source.relations[table], where) if rows else None
    if listing is not None:
        files = join_paths(run(source, listing, names.params, relations, fetch=duckdb.DuckDBPyConnection.fetchall))
    return Written(table, rel, int(rows), sha256_file(path), files)


def table_info(piece: TableSlice | None, logged: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's account of how a table's rows were chosen: logged restrictions and parent keys pulled in."""
    return {
        "restrictions": logged,
        "pulled_by": dict(piece.via) if piece is not None else {},
        "pulled_keys": {c: len(k) for c, k in piece.pulled.items()} if piece is not None else {},
    }
