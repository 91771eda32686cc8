"""Sorted-key access path for Parquet mirrors: find the rows of K key values without scanning the table.

A mirror table written with ``sort_by`` (its manifest's ``TableEntry.sort_by``) is sorted by its
first sort column. ``KeyIndex`` holds its distinct values and the row each one starts at (small
enough to stay in cache) plus the first row of every Parquet row group; a lookup is one
``np.searchsorted``, giving each key a row range, then only the row groups holding those rows
are read (only the needed columns) and the rows are taken out of them. ``KeyIndexes`` builds
one index per table on first use, shared by threads.

A *resident* table (``engine.connect(mirror, resident=[...])``) is decoded into memory once, so a
key's rows are a zero-copy slice of it (or, all together, one Arrow ``take``): no row group is
read again. That is the access path for many small batched lookups (one neuron's synapses, K at
a time) on a large table.
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


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Every row number of the ranges ``[start, start + count)``, range by range."""
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))


class KeyIndex:
    """The distinct keys of one sorted mirror table, where each one's rows start, and each row group's first row."""

    def __init__(self, files: Sequence[Path], keys: np.ndarray, resident: pa.Table | None = None) -> None:
        bounds = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        self.distinct = keys[np.concatenate([[0], bounds])] if len(keys) else keys
        self.first_row = np.concatenate([[0], bounds, [len(keys)]]).astype(np.int64)
        self._resident = resident
        self._metadata = [(path, pq.read_metadata(path)) for path in files]
        sizes = [md.row_group(g).num_rows for _, md in self._metadata for g in range(md.num_row_groups)]
        self.group_starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
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
        owners, starts, counts = self.ranges(owners, keys)
        return self.rows(starts, counts, columns), np.repeat(owners, counts)

    def ranges(self, owners: np.ndarray, keys: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(owner, first row, row count)`` of each distinct ``(owner, key)`` pair, in ``(owner, key)`` order."""
        values = np.asarray(keys, dtype=self.distinct.dtype)
        order = np.lexsort((values, owners))
        owners, values = owners[order], values[order]
        first = np.ones(len(values), dtype=bool)
        first[1:] = (owners[1:] != owners[:-1]) | (values[1:] != values[:-1])
        owners, values = owners[first], values[first]
        at = np.minimum(np.searchsorted(self.distinct, values), max(len(self.distinct) - 1, 0))
        found = self.distinct[at] == values if len(self.distinct) else np.zeros(len(values), dtype=bool)
        starts = self.first_row[at]
        return owners, starts, np.where(found, self.first_row[at + 1] - starts, 0)

    def rows(self, starts: np.ndarray, counts: np.ndarray, columns: Sequence[str] | None) -> pa.Table:
        """The rows of the ``ranges``, in order, as one table."""
        return self._read(expand_ranges(starts, counts), columns)

    def slices(self, starts: np.ndarray, counts: np.ndarray, columns: Sequence[str]) -> list[pa.Table] | None:
        """Each range as a zero-copy slice of the resident table (None when the table is not resident)."""
        if self._resident is None:
            return None
        table = self._resident.select(list(columns))
        return [table.slice(a, n) for a, n in zip(starts.tolist(), counts.tolist())]

    def _read(self, rows: np.ndarray, columns: Sequence[str] | None) -> pa.Table:
        """``rows`` (global row numbers) of the table, reading only the row groups that hold them."""
        if self._resident is not None:
            table = self._resident if columns is None else self._resident.select(list(columns))
            return table.take(pa.array(rows, type=pa.int64()))
        groups = np.searchsorted(self.group_starts, rows, "right") - 1
        picked = np.unique(groups)
        parts = []
        for f in np.unique(self._file[picked]):
            path, metadata = self._metadata[f]
            in_file = self._group_in_file[picked[self._file[picked] == f]].tolist()
            parts.append(pq.ParquetFile(path, metadata=metadata).read_row_groups(in_file, columns=columns))
        empty = self.schema.empty_table()
        table = pa.concat_tables(parts) if parts else empty.select(columns) if columns is not None else empty
        sizes = self.group_starts[picked + 1] - self.group_starts[picked]
        local_start = np.cumsum(sizes) - sizes
        local = rows - self.group_starts[groups] + local_start[np.searchsorted(picked, groups)]
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
