"""Sorted-key access path for Parquet mirrors: find the rows of K key values without scanning the table.

A mirror table written with ``sort_by`` (its manifest's ``TableEntry.sort_by``) is sorted by its
first sort column. ``KeyIndex`` holds that column in memory as numpy plus the first row of every
Parquet row group; a lookup is two ``np.searchsorted`` calls, then only the row groups holding
matching rows are read (only the needed columns) and the rows are taken out of them.
``KeyIndexes`` builds one index per table on first use, shared by threads.

A *resident* table (``engine.connect(mirror, resident=[...])``) is decoded into memory once, so a
lookup is a binary search plus an Arrow ``take``: no row group is read again. That is the access
path for many small batched lookups (one neuron's synapses, K at a time) on a large table.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .manifest import Manifest


class KeyIndex:
    """The sorted key column of one mirror table and the global first row of each Parquet row group."""

    def __init__(self, files: Sequence[Path], keys: np.ndarray, resident: pa.Table | None = None) -> None:
        self.keys = keys
        self._resident = resident
        self._metadata = [(path, pq.read_metadata(path)) for path in files]
        sizes = [md.row_group(g).num_rows for _, md in self._metadata for g in range(md.num_row_groups)]
        self.starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self._file = np.repeat(np.arange(len(files)), [md.num_row_groups for _, md in self._metadata])
        self._group_in_file = np.concatenate(
            [np.arange(md.num_row_groups) for _, md in self._metadata] or [np.empty(0, dtype=np.int64)]
        )
        self.schema = self._metadata[0][1].schema.to_arrow_schema()

    @classmethod
    def build(cls, files: Sequence[Path], column: str, *, resident: bool = False) -> KeyIndex | None:
        """The index of ``column`` over ``files`` (in order); None unless it is a non-null ascending integer column.

        With ``resident`` the whole table is decoded into memory once and lookups never read Parquet again.
        """
        table = pa.concat_tables([pq.read_table(f, columns=None if resident else [column]) for f in files])
        keys = table[column]
        if not pa.types.is_integer(keys.type) or keys.null_count:
            return None
        values = keys.to_numpy()
        if np.any(values[1:] < values[:-1]):
            return None
        return cls(files, values, table.combine_chunks() if resident else None)

    def lookup(
        self, owners: np.ndarray, keys: Sequence[Any], columns: Sequence[str] | None
    ) -> tuple[pa.Table, np.ndarray]:
        """Rows whose key is one of ``keys``, with the owner of the matching key for each row.

        Each distinct ``(owner, key)`` pair counts once; rows come in ``(owner, file)`` order.
        """
        values = np.asarray(keys, dtype=self.keys.dtype)
        order = np.lexsort((values, owners))
        owners, values = owners[order], values[order]
        first = np.ones(len(values), dtype=bool)
        first[1:] = (owners[1:] != owners[:-1]) | (values[1:] != values[:-1])
        owners, values = owners[first], values[first]
        lo, hi = np.searchsorted(self.keys, values, "left"), np.searchsorted(self.keys, values, "right")
        counts = hi - lo
        rows = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        return self._read(rows, columns), np.repeat(owners, counts)

    def _read(self, rows: np.ndarray, columns: Sequence[str] | None) -> pa.Table:
        """``rows`` (global row numbers) of the table, reading only the row groups that hold them."""
        if self._resident is not None:
            table = self._resident if columns is None else self._resident.select(list(columns))
            return table.take(pa.array(rows, type=pa.int64()))
        groups = np.searchsorted(self.starts, rows, "right") - 1
        picked = np.unique(groups)
        parts = []
        for f in np.unique(self._file[picked]):
            path, metadata = self._metadata[f]
            in_file = self._group_in_file[picked[self._file[picked] == f]].tolist()
            parts.append(pq.ParquetFile(path, metadata=metadata).read_row_groups(in_file, columns=columns))
        empty = self.schema.empty_table()
        table = pa.concat_tables(parts) if parts else empty.select(columns) if columns is not None else empty
        sizes = self.starts[picked + 1] - self.starts[picked]
        local_start = np.cumsum(sizes) - sizes
        local = rows - self.starts[groups] + local_start[np.searchsorted(picked, groups)]
        return table.take(pa.array(local, type=pa.int64()))


class KeyIndexes:
    """The key indexes of one mirror, built lazily (once per table, under a lock) and cached."""

    def __init__(self, directory: Path, manifest: Manifest, resident: Sequence[str] = ()) -> None:
        self._directory = directory
        self._manifest = manifest
        self._resident = frozenset(resident)
        self._built: dict[str, KeyIndex | None] = {}
        self._lock = threading.Lock()

    def get(self, table: str, column: str) -> KeyIndex | None:
        """The index of ``table`` if it is sorted by ``column`` first (as its manifest says), else None."""
        entry = self._manifest.tables.get(table)
        if entry is None or not entry.files or not entry.sort_by or entry.sort_by[0] != column:
            return None
        with self._lock:
            if table not in self._built:
                files = [self._directory / f for f in entry.files]
                self._built[table] = KeyIndex.build(files, column, resident=table in self._resident)
            return self._built[table]
