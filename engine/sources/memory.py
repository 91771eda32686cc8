"""In-memory tables (Arrow, polars, pandas), registered zero-copy on every cursor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import BadInputError
from ..schema import TableSchema
from .base import Source


def to_arrow(name: str, value: Any) -> pa.Table:
    """Arrow table from an Arrow table/batch, polars or pandas DataFrame."""
    if isinstance(value, pa.Table):
        return value
    if isinstance(value, pa.RecordBatch):
        return pa.Table.from_batches([value])
    module = type(value).__module__.split(".")[0]
    if module == "polars":
        return value.to_arrow()
    if module == "pandas":
        return pa.Table.from_pandas(value, preserve_index=False)
    raise BadInputError(
        f"table {name!r}: cannot use a {type(value).__name__}; pass a pyarrow Table, polars or pandas DataFrame"
    )


def open_memory(tables: Mapping[str, Any]) -> Source:
    """Describe a dict of in-memory tables."""
    arrow = {}
    for name, value in tables.items():
        if not isinstance(name, str) or not name:
            raise BadInputError(f"table names must be non-empty strings, got {name!r}")
        arrow[name] = to_arrow(name, value)

    def per_cursor(cur: duckdb.DuckDBPyConnection) -> None:
        for name, table in arrow.items():
            cur.register(name, table)

    schemas = tuple(TableSchema.from_arrow(n, t.schema) for n, t in arrow.items())
    return Source("memory", "<memory>", schemas, lambda con: None, per_cursor)
