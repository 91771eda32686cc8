"""Parquet mirrors (and export bundles): one view per table over its listed Parquet files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from ..errors import UnknownTableError
from ..mirror.keyindex import KeyIndexes
from ..mirror.manifest import Manifest, read_manifest, verify_files
from ..sql import quote_literal
from .base import Source, view_sql


def open_mirror(directory: Path, *, verify: bool = False, resident: Sequence[str] = ()) -> Source:
    """Describe a mirror directory from its manifest (``verify`` checks every file's sha256).

    ``resident`` tables are held in memory for sorted-key lookups (see ``engine.mirror.keyindex``).
    """
    manifest = read_manifest(directory)
    for name in resident:
        if name not in manifest.tables:
            raise UnknownTableError(name, manifest.tables, f"mirror {directory}")
    if verify or "export" in manifest.extra:  # an export bundle is always checked first
        verify_files(directory, manifest)

    def setup(con: duckdb.DuckDBPyConnection) -> None:
        for name, entry in manifest.tables.items():
            files = ", ".join(quote_literal(str(directory / f)) for f in entry.files)
            con.execute(view_sql(name, "*", f"read_parquet([{files}])"))

    tables = tuple(entry.schema for entry in manifest.tables.values())
    indexes = KeyIndexes(directory, manifest, resident)
    return Source("mirror", str(directory), tables, setup, info=_info(manifest), key_index=indexes.get)


def _info(manifest: Manifest) -> dict:
    return {"manifest": manifest, **manifest.source}
