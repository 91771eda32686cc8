"""Parquet mirrors (and export bundles): one view per table over its listed Parquet files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..mirror.manifest import Manifest, read_manifest, verify_files
from ..sql import quote_literal
from .base import Source, view_sql


def open_mirror(directory: Path, *, verify: bool = False) -> Source:
    """Describe a mirror directory from its manifest (``verify`` checks every file's sha256)."""
    manifest = read_manifest(directory)
    if verify:
        verify_files(directory, manifest)

    def setup(con: duckdb.DuckDBPyConnection) -> None:
        for name, entry in manifest.tables.items():
            files = ", ".join(quote_literal(str(directory / f)) for f in entry.files)
            con.execute(view_sql(name, "*", f"read_parquet([{files}])"))

    tables = tuple(entry.schema for entry in manifest.tables.values())
    return Source("mirror", str(directory), tables, setup, info=_info(manifest))


def _info(manifest: Manifest) -> dict:
    return {"manifest": manifest, **manifest.source}
