"""The DuckDB side of a mirror: one view per table over its Parquet (every row ever written) plus the roots.

Views are named ``<table>__all`` and ``__roots``; per-query as-of relations are built on top
of them (``timetravel.py``) with the timestamp bound as a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from ..dataset import Dataset
from ..errors import SchemaVersionError
from ..sources.base import Source, describe_views, view_sql
from ..sql import quote_literal
from .layout import Layout
from .tables import AnnotationTable, annotation_table

RAW_SUFFIX = "__all"
ROOTS_VIEW = "__roots"
ROOT_COLUMNS = ("supervoxel_id", "root_id", "valid_from", "valid_to")


def raw_view(table: str) -> str:
    """Name of the view over every row of ``table``."""
    return table + RAW_SUFFIX


def _read_parquet(files: Sequence[Path]) -> str:
    return "read_parquet([" + ", ".join(quote_literal(str(f)) for f in files) + "])"


def _utc(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")


def open_source(layout: Layout) -> tuple[Dataset, dict[str, AnnotationTable]]:
    """A ``Dataset`` over the mirror's Parquet and the table descriptions read from it."""

    def setup(con: duckdb.DuckDBPyConnection) -> None:
        _utc(con)
        for name, files in layout.tables.items():
            con.execute(view_sql(raw_view(name), "*", _read_parquet(files.files)))
        con.execute(view_sql(ROOTS_VIEW, "*", _read_parquet(layout.roots)))

    views = [*(raw_view(n) for n in layout.tables), ROOTS_VIEW]
    schemas, prepared = describe_views(setup, views, lambda name: ((), ()), lambda name: {})
    by_name = {s.name: s for s in schemas}
    missing = [c for c in ROOT_COLUMNS if not by_name[ROOTS_VIEW].has(c)]
    if missing:
        raise SchemaVersionError(f"{layout.path}/segmentation/roots.parquet lacks {', '.join(missing)}")
    tables = {
        name: annotation_table(name, by_name[raw_view(name)], files.metadata)
        for name, files in layout.tables.items()
    }
    source = Source("cave", str(layout.path), schemas, setup, per_cursor=_utc, info={"datastack": layout.datastack},
                    prepared=prepared)
    return Dataset(source), tables
