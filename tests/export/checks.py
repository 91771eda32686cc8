"""Checks shared by the export tests: referential completeness of a dataset and frame equality."""

from __future__ import annotations

from engine import Dataset
from engine.sql import quote_ident


def dangling(ds: Dataset) -> dict[str, int]:
    """``{"table.column": number of non-null foreign key values with no parent row}`` for every declared key."""
    out = {}
    for table in ds.tables:
        for fk in ds.schema(table).foreign_keys:
            if fk.ref_table not in ds.tables:
                continue
            col, ref = quote_ident(fk.column), quote_ident(fk.ref_column)
            sql = (f"SELECT count(*) AS n FROM {quote_ident(table)} AS c WHERE c.{col} IS NOT NULL AND NOT EXISTS "
                   f"(SELECT 1 FROM {quote_ident(fk.ref_table)} AS p WHERE p.{ref} = c.{col})")
            out[f"{table}.{fk.column}"] = ds.sql(sql).arrow()["n"][0].as_py()
    return out
