"""External files that table rows point to (e.g. a synphys experiment's NWB file), listed with their checksums.

``FILE_COLUMNS`` says which columns of which table name a file: the values are joined as a
relative path (``experiment.storage_path`` / ``experiment.ephys_file``, the aisynphys layout).
Files are listed in the catalog while an analysis reads the rows, and again at export time for
every exported row; a bundle lists each file with its size and sha256 when it can be read
under ``files_root`` (or at its absolute path), and as unreadable otherwise.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import sha256_file
from ..filters import Scope
from ..filters import compile as compile_filter
from ..filters.ir import Node
from ..filters.relations import Relations, relation_result
from ..schema import TableSchema
from ..sql import Compiled, ParamNames, quote_ident

if TYPE_CHECKING:
    from ..dataset import Dataset

FILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "experiment": ("storage_path", "ephys_file"),
}
"""Table -> the columns whose values, joined with ``/``, are a file path (the last one must be non-null)."""


def file_columns(schema: TableSchema) -> tuple[str, ...] | None:
    """The path columns of ``schema`` if it is a file-bearing table that has them all."""
    columns = FILE_COLUMNS.get(schema.name)
    if columns and all(schema.has(c) for c in columns):
        return columns
    return None


def paths_sql(schema: TableSchema, relation: str, where: str) -> str | None:
    """``SELECT DISTINCT <path columns> FROM relation WHERE where`` (None if the table names no files)."""
    columns = file_columns(schema)
    if columns is None:
        return None
    select = ", ".join(schema.ident(c) for c in columns)
    return f"SELECT DISTINCT {select} FROM {relation} WHERE ({where}) AND {schema.ident(columns[-1])} IS NOT NULL"


def join_paths(rows: Iterable[tuple[Any, ...]]) -> list[str]:
    """Each row's path parts joined with ``/`` (empty parts skipped), sorted and distinct."""
    return sorted({posixpath.join(*(str(p) for p in row if p not in (None, ""))) for row in rows})


def referenced_files(dataset: Dataset, table: str, restriction: Node) -> list[str]:
    """The files named by the rows of ``table`` matching ``restriction`` (none for tables without file columns)."""
    if table not in dataset.tables:
        return []
    schema = dataset.schema(table)
    if file_columns(schema) is None:
        return []
    names, relations = ParamNames(), Relations()
    where = compile_filter(restriction, Scope.of(schema), names=names, relations=relations)
    sql = paths_sql(schema, quote_ident(schema.name), where.sql)
    table_rows = relation_result(dataset, Compiled(sql, names.params), relations).arrow()  # type: ignore[arg-type]
    return join_paths(zip(*(c.to_pylist() for c in table_rows.columns)))


def describe(paths: Iterable[str], files_root: str | os.PathLike[str] | None) -> list[dict[str, Any]]:
    """``{path, bytes, sha256, readable}`` per path: relative paths are looked up under ``files_root``."""
    out = []
    for path in sorted(set(paths)):
        local = Path(path) if Path(path).is_absolute() else (Path(files_root) / path if files_root else None)
        readable = local is not None and local.is_file() and os.access(local, os.R_OK)
        out.append({
            "path": path,
            "bytes": local.stat().st_size if readable else None,
            "sha256": sha256_file(local) if readable else None,
            "readable": readable,
        })
    return out
