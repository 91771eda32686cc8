"""Write a dataset to a Parquet mirror: one zstd Parquet file per table plus ``manifest.json``.

Each table is copied by DuckDB's own ``COPY ... TO`` (parallel, streaming), optionally sorted so
row-group statistics prune lookups. Everything is written in a temporary directory that is
renamed into place when complete; re-running on an unchanged source is a no-op.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from .. import __version__
from ..connection import execute
from ..errors import BadInputError, IntegrityError
from ..files import atomic_dir, sha256_file
from ..sql import quote_ident, quote_literal
from .manifest import MANIFEST, Manifest, TableEntry, read_manifest

if TYPE_CHECKING:
    from ..dataset import Dataset

DEFAULT_ROW_GROUP_SIZE = 122_880


def source_identity(dataset: Dataset, *, checksum: bool = True) -> dict[str, Any]:
    """What a mirror is made from: file name, size, mtime, sha256 and schema version (if a release)."""
    info: dict[str, Any] = {"kind": dataset.kind}
    path = Path(dataset.location)
    if dataset.kind in ("sqlite", "duckdb") and path.is_file():
        stat = path.stat()
        info.update(file=path.name, bytes=stat.st_size, mtime_ns=stat.st_mtime_ns)
        if checksum:
            info["sha256"] = sha256_file(path)
    if "metadata" in dataset.tables and dataset.kind != "memory":
        info["schema_version"] = _schema_version(dataset)
    return info


def write_mirror(
    dataset: Dataset,
    dest: Path,
    *,
    sort_by: Mapping[str, Sequence[str]] | None = None,
    row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
    tables: Sequence[str] | None = None,
    progress: bool | None = None,
) -> Path:
    """Mirror ``dataset`` into ``dest`` atomically; returns ``dest``."""
    if dataset.kind == "memory":
        raise BadInputError("in-memory datasets have no source file to mirror; write them with Result.arrow()")
    names = list(tables) if tables is not None else dataset.tables
    for name in names:
        dataset.schema(name)
    if not isinstance(row_group_size, int) or row_group_size < 1:
        raise BadInputError(f"row_group_size must be a positive integer, got {row_group_size!r}")
    sorts = _validated_sorts(dataset, sort_by or {}, names)
    options = {"row_group_size": row_group_size, "compression": "zstd", "tables": sorted(names),
               "sort_by": {t: list(c) for t, c in sorted(sorts.items())}}
    source = source_identity(dataset, checksum=False)
    if _up_to_date(dest, source, options):
        return dest

    show = sys.stderr.isatty() if progress is None else progress
    # Checksums run on a worker thread (hashlib releases the GIL) while DuckDB copies the next table.
    with atomic_dir(dest) as tmp, ThreadPoolExecutor(max_workers=1) as hasher:
        path = Path(dataset.location)
        source_sha = hasher.submit(sha256_file, path) if "file" in source else None
        (tmp / "tables").mkdir()
        copied = {}
        for name in tqdm(names, desc="mirror", unit="table", disable=not show, file=sys.stderr):
            rel, rows = _copy_table(dataset, name, tmp, sorts.get(name, ()), row_group_size)
            copied[name] = (rel, rows, hasher.submit(sha256_file, tmp / rel))
        entries = {
            name: TableEntry(name, (rel,), rows, dataset.schema(name), tuple(sorts.get(name, ())),
                             {rel: digest.result()})
            for name, (rel, rows, digest) in copied.items()
        }
        if source_sha is not None:
            source["sha256"] = source_sha.result()
        Manifest(__version__, source, options, entries, {}).write(tmp)
    return dest


def _copy_table(dataset: Dataset, name: str, tmp: Path, sort: Sequence[str], row_group_size: int) -> tuple[str, int]:
    """COPY one table to ``tables/<name>.parquet``; returns the relative path and the row count."""
    schema = dataset.schema(name)
    rel = f"tables/{name}.parquet"
    if os.sep in name or name.startswith("."):
        raise BadInputError(f"table name {name!r} cannot be used as a file name")
    order = f" ORDER BY {', '.join(schema.ident(c) for c in sort)}" if sort else ""
    query = f"SELECT * FROM {quote_ident(name)}{order}"
    (rows,) = execute(
        dataset.cursor(),
        f"COPY ({query}) TO {quote_literal(str(tmp / rel))} "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {int(row_group_size)})",
    ).fetchone()
    return rel, int(rows)


def _validated_sorts(dataset: Dataset, sort_by: Mapping[str, Sequence[str]], names: list[str]) -> dict[str, tuple[str, ...]]:
    out = {}
    for table, columns in sort_by.items():
        if table not in names:
            dataset.schema(table)  # unknown table -> UnknownTableError
            raise BadInputError(f"sort_by names table {table!r}, which is not being mirrored")
        if isinstance(columns, str):
            columns = (columns,)
        schema = dataset.schema(table)
        out[table] = tuple(schema.column(c).name for c in columns)
    return out


def _up_to_date(dest: Path, source: dict[str, Any], options: dict[str, Any]) -> bool:
    """An existing mirror of the same source file (name, size, mtime) with the same options."""
    if not (dest / MANIFEST).is_file() or "file" not in source:
        return False
    try:
        manifest = read_manifest(dest)
    except IntegrityError:
        return False
    identity = ("file", "bytes", "mtime_ns")
    same_source = all(manifest.source.get(k) == source[k] for k in identity)
    return same_source and manifest.options == options and all(
        (dest / f).is_file() for e in manifest.tables.values() for f in e.files
    )


def _schema_version(dataset: Dataset) -> str | None:
    import json

    try:
        rows = dataset.sql("SELECT meta FROM metadata").arrow()["meta"].to_pylist()
        return str(json.loads(rows[0]).get("db_version")) if len(rows) == 1 and rows[0] else None
    except (ValueError, AttributeError):
        return None
