"""``Dataset``: tables from one source, queried through DuckDB, returned as lazy ``Result``s."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from .connection import Connector
from .errors import BadInputError
from .export.log import Analysis, record_read
from .export.log import export as log_export
from .result import Result
from .schema import Catalog, TableSchema
from .sources.base import Source
from .sql import Compiled, quote_ident

if TYPE_CHECKING:
    from .mirror.keyindex import KeyIndex

PathLike = str | os.PathLike[str]


class Dataset:
    """A set of tables (a sqlite release, a Parquet mirror, a DuckDB file or in-memory frames).

    Safe to share between threads (each thread gets its own DuckDB cursor) and usable after
    ``fork`` (the child re-opens its own connection on first use).
    """

    def __init__(self, source: Source) -> None:
        self._source = source
        self._catalog = Catalog(source.tables, where=f"{source.kind} dataset {source.location}")
        self._connector = Connector(source.setup, source.per_cursor, source.prepared)
        self._encodings = _merged_encodings(source.tables)

    def __repr__(self) -> str:
        return f"<Dataset {self.kind} {self.location!s} ({len(self._catalog)} tables)>"

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def kind(self) -> str:
        """``sqlite``, ``duckdb``, ``mirror`` or ``memory``."""
        return self._source.kind

    @property
    def location(self) -> str:
        return self._source.location

    @property
    def info(self) -> dict[str, Any]:
        """What the source says about its origin (file name, sha256, schema version ...)."""
        return dict(self._source.info)

    @property
    def tables(self) -> list[str]:
        return list(self._catalog)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def schema(self, table: str) -> TableSchema:
        """Columns, Arrow types, nullability and keys of ``table``."""
        return self._catalog[table]

    def sql(self, query: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Result:
        """A lazy result for your own SQL; pass values in ``params`` (``$name`` or ``?``), never in the text."""
        if not isinstance(query, str) or not query.strip():
            raise BadInputError("sql() needs a non-empty SQL string")
        return self.result(Compiled(query, params if params is not None else {}))

    def table(self, name: str, columns: Sequence[str] | None = None) -> Result:
        """All rows of one table (optionally only some columns)."""
        schema = self.schema(name)
        select = ", ".join(schema.ident(c) for c in columns) if columns else "*"
        record_read(self, schema.name)
        return self.result(Compiled(f"SELECT {select} FROM {quote_ident(schema.name)}"))

    def query(self, table: str, columns: Sequence[str] | None = None, **kwargs: Any) -> Result:
        """Filtered rows of ``table``: the filter dicts and ``filters=`` IR go through the compiler.

        See ``engine.filters.select.select`` for the keyword arguments and docs/filters.md for semantics.
        """
        from .filters.select import select

        return select(self, table, columns, **kwargs)

    def query_batch(self, table: str, filter_sets: Sequence[Any], **kwargs: Any) -> Result:
        """K filter sets in one vectorized pass; the result has a ``query_index`` column and ``.split()``."""
        from .filters.batch import query_batch

        return query_batch(self, table, filter_sets, **kwargs)

    def key_index(self, table: str, column: str) -> KeyIndex | None:
        """A sorted-key index of ``table`` on ``column`` (Parquet mirrors sorted by it first), else None; cached."""
        return self._source.key_index(table, column) if self._source.key_index is not None else None

    def export(
        self, paper_id: str, analysis_id: str, *, catalog: PathLike | None = None
    ) -> AbstractContextManager[Analysis]:
        """Context manager: log the reads of the block for ``paper_id`` / ``analysis_id`` (docs/export.md).

        The catalog defaults to ``$ENGINE_EXPORT_CATALOG``, else ``.engine-exports.sqlite`` next to the dataset.
        """
        return log_export(paper_id, analysis_id, catalog=catalog, dataset=self)

    def result(self, compiled: Compiled, *, encodings: Mapping[str, str] | None = None) -> Result:
        """Wrap an already-compiled query of this dataset (used by the domain layers).

        ``encodings`` names output columns the dataset cannot recognise by name (e.g. aliased
        ``pre_cell.position``) as ``"npy"`` or ``"json"`` so ``Result.decode()`` finds them.
        """
        return Result(self._connector, compiled, encodings={**self._encodings, **(encodings or {})})

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's DuckDB cursor on the dataset (for code that drives DuckDB directly)."""
        return self._connector.cursor()

    def mirror(
        self,
        dest: PathLike,
        *,
        sort_by: Mapping[str, Sequence[str]] | None = None,
        row_group_size: int | None = None,
        tables: Sequence[str] | None = None,
        progress: bool | None = None,
    ) -> Path:
        """Write every table to zstd Parquet under ``dest`` with a ``manifest.json``; see docs/mirror-format.md."""
        from .mirror.write import DEFAULT_ROW_GROUP_SIZE, write_mirror

        return write_mirror(
            self,
            Path(dest),
            sort_by=sort_by,
            row_group_size=row_group_size or DEFAULT_ROW_GROUP_SIZE,
            tables=tables,
            progress=progress,
        )

    def close(self) -> None:
        self._connector.close()


def connect(
    source: PathLike | Mapping[str, Any], *, verify: bool = False, resident: Sequence[str] = ()
) -> Dataset:
    """Open a dataset: a sqlite file, a Parquet mirror directory, a DuckDB file, or ``{name: table}``.

    ``verify`` checks every Parquet file of a mirror against its manifest's sha256 first.
    ``resident`` names mirror tables to hold in memory for batched key lookups (``query_batch`` on
    the table's first sort column): more memory, no Parquet reads per batch.

    >>> ds = connect({"cells": pa.table({"id": [1, 2]})})  # doctest: +SKIP
    >>> ds.sql("SELECT count(*) AS n FROM cells").arrow()   # doctest: +SKIP
    """
    if resident and not (isinstance(source, (str, os.PathLike)) and Path(source).expanduser().is_dir()):
        raise BadInputError("resident= applies to Parquet mirror directories only")
    if isinstance(source, Mapping):
        from .sources.memory import open_memory

        return Dataset(open_memory(source))
    if not isinstance(source, (str, os.PathLike)):
        raise BadInputError(
            f"connect() takes a path or a dict of tables, not {type(source).__name__}"
        )
    path = Path(source).expanduser()
    if path.is_dir():
        from .sources.parquet_mirror import open_mirror

        return Dataset(open_mirror(path, verify=verify, resident=_names(resident)))
    if not path.is_file():
        raise BadInputError(f"{path} does not exist (expected a sqlite file, DuckDB file or mirror directory)")
    from .sources.duckdb_file import is_duckdb_file, open_duckdb
    from .sources.sqlite import is_sqlite_file, open_sqlite

    if is_sqlite_file(path):
        return Dataset(open_sqlite(path))
    if is_duckdb_file(path):
        return Dataset(open_duckdb(path))
    raise BadInputError(f"{path} is neither a sqlite nor a DuckDB database file")


def _names(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        return (names,)
    return tuple(names)


def _merged_encodings(tables: Sequence[TableSchema]) -> dict[str, str]:
    """Column name -> encoding for names whose encoding is the same in every table that has it."""
    seen: dict[str, set[str | None]] = {}
    for table in tables:
        for column in table.columns:
            seen.setdefault(column.name, set()).add(column.encoding)
    return {name: enc.pop() for name, enc in seen.items() if len(enc) == 1 and None not in enc}
