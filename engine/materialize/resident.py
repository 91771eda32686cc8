"""Resident tables: chosen tables decoded once into memory, with binary-search indexes on supervoxel columns.

An access path only, never a semantic change: when a query's filter has a top-level
``P_supervoxel_id IN (...)`` (which is what root-id filters become), the candidate rows are
found by ``searchsorted`` on the sorted column (the Parquet sort order, or an argsort built on
first use) instead of scanning every row, their as-of state (liveness, root ids) is computed
in numpy, and the full compiled filter still runs over them in DuckDB. Batches of key sets get
their rows per set, already in (set, id) order. Connectivity matrices of a resident synapse
table are computed in numpy (``resident_matrix.py``). Opt in per table: a 20M-row synapse table
takes about 2 GB.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pds

from ..filters import Equal, InSet, Node
from ..filters.ir import And
from ..filters.passes import flatten
from ..filters.relations import Relations
from ..mirror.keyindex import expand_ranges
from .layout import Layout
from .rootarrays import NEVER, RootArrays, as_micros, micros
from .tables import AnnotationTable

T = TypeVar("T")


def lifetimes(rows: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(created, deleted, valid)`` of raw ``rows`` as int64 microseconds (deleted null -> ``NEVER``) and bool."""
    valid = rows.column("valid").fill_null(False).to_numpy(zero_copy_only=False)
    return as_micros(rows.column("created")), as_micros(rows.column("deleted")), valid


def live(created: np.ndarray, deleted: np.ndarray, valid: np.ndarray, us: int) -> np.ndarray:
    """Which rows are live at ``us`` (the rule of ``timetravel.live_sql``)."""
    return (created <= us) & (deleted > us) & (valid | (deleted != NEVER))


class _Table:
    """One table in memory, with lazily built sorted indexes on its supervoxel columns."""

    def __init__(self, table: AnnotationTable, arrow: pa.Table) -> None:
        self.table = table
        self.arrow = arrow
        self.ids = arrow.column("id").to_numpy()
        self._indexes: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._derived: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def index(self, column: str) -> tuple[np.ndarray, np.ndarray | None]:
        """``(sorted keys, permutation or None when the column is already sorted)``."""
        with self._lock:
            if column not in self._indexes:
                keys = self.arrow.column(column).to_numpy(zero_copy_only=False)
                if np.all(keys[1:] >= keys[:-1]):
                    self._indexes[column] = (keys, None)
                else:
                    order = np.argsort(keys, kind="stable")
                    self._indexes[column] = (keys[order], order)
            return self._indexes[column]

    def derived(self, key: Any, build: Callable[[], T]) -> T:
        """``build()`` computed once for this table under ``key`` (thread-safe), like the indexes."""
        with self._lock:
            if key not in self._derived:
                self._derived[key] = build()
            return self._derived[key]

    def matches(self, column: str, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row positions, index into values)`` of every row whose ``column`` equals one of ``values``."""
        keys, order = self.index(column)
        values = np.asarray(values, dtype=keys.dtype)
        sort = np.argsort(values)  # sorted needles keep the binary searches over 20M keys in cache
        lo, hi = np.empty(len(values), dtype=np.int64), np.empty(len(values), dtype=np.int64)
        lo[sort], hi[sort] = np.searchsorted(keys, values[sort], "left"), np.searchsorted(keys, values[sort], "right")
        lengths = hi - lo
        which = np.repeat(np.arange(len(values)), lengths)
        positions = expand_ranges(lo, lengths)
        return (positions if order is None else order[positions]), which

    def rows(self, column: str, values: Sequence[int]) -> np.ndarray:
        """Sorted row positions whose ``column`` is one of ``values``."""
        return np.sort(self.matches(column, np.unique(np.asarray(values)))[0])


class Resident:
    """The resident tables of one datastack, loaded on first use."""

    def __init__(self, layout: Layout, tables: Mapping[str, AnnotationTable], names: Sequence[str]) -> None:
        self._layout = layout
        self._tables = tables
        self._names = set(names)
        self._loaded: dict[str, _Table] = {}
        self._roots: RootArrays | None = None
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return sorted(self._names)

    def load(self) -> None:
        """Load every resident table and the roots now (otherwise the first query that reads them pays)."""
        for name in self.names:
            self._table(self._tables[name])
        if self._names:
            self.roots()

    def source(
        self, table: AnnotationTable, alias: str, node: Node | None, ts: datetime, relations: Relations
    ) -> str | None:
        """A CTE body for ``alias`` from memory, or None to scan the Parquet instead.

        Only key lookups use memory: DuckDB scans a registered Arrow table more slowly than
        the Parquet itself (measured on duckdb 1.5.5), so a full scan stays on the files.
        """
        if table.name not in self._names:
            return None
        keys = _key_sets(node, alias, set(table.supervoxel_columns()))
        if not keys:
            return None
        data, us = self._table(table), micros(ts)
        rows = None
        for column, values in keys:
            found = data.rows(column, values)
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
        rows = rows[self._live(data, rows, us)]
        return f"SELECT * FROM {relations.add(self._materialize(data, rows, us))}"

    def exploded(self, table: AnnotationTable, column: str, per_set: Sequence[np.ndarray], ts: datetime) -> pa.Table | None:
        """For K key sets on ``column``: the live rows of each set at ``ts``, ``query_index`` first, ordered by (set, id).

        None when ``table`` is not resident or ``column`` is not indexed. A row matching several
        sets appears once per set, as a join with a ``(query_index, key)`` table would return it.
        """
        if table.name not in self._names or column not in table.supervoxel_columns():
            return None
        data, us = self._table(table), micros(ts)
        values = np.concatenate([np.empty(0, dtype=np.int64), *per_set])
        owner = np.repeat(np.arange(len(per_set), dtype=np.int64), [len(v) for v in per_set])
        rows, which = data.matches(column, values)
        sets = owner[which]
        live = self._live(data, rows, us)
        rows, sets = rows[live], sets[live]
        order = np.lexsort((data.ids[rows], sets))
        out = self._materialize(data, rows[order], us)
        return out.add_column(0, "query_index", pa.array(sets[order], type=pa.int64()))

    def derived(self, table: AnnotationTable, build: Callable[[_Table, RootArrays], T]) -> T:
        """``build(table in memory, roots)``, computed once per resident table and builder (e.g. matrix codes)."""
        data, roots = self._table(table), self.roots()
        return data.derived(build, lambda: build(data, roots))

    def _live(self, data: _Table, rows: np.ndarray, us: int) -> np.ndarray:
        """Which of ``rows`` are live at ``us``."""
        picked = data.arrow.select(["created", "deleted", "valid"]).take(pa.array(rows, type=pa.int64()))
        return live(*lifetimes(picked), us)

    def _materialize(self, data: _Table, rows: np.ndarray, us: int) -> pa.Table:
        """The materialized columns of (live) ``rows`` in that order, root ids derived at ``us``."""
        table = data.table
        root_of = {sv: root for root, sv in table.root_columns().items()}
        stored = [n for n in table.schema.names if n != "valid" and n not in root_of.values()]
        picked = data.arrow.select(stored).take(pa.array(rows, type=pa.int64()))
        roots = self.roots()
        columns = {}
        for name in table.schema.names:
            if name == "valid":
                columns[name] = pa.array(np.ones(picked.num_rows, dtype=bool))
            elif name not in root_of.values():
                columns[name] = picked.column(name)
                if name in root_of:
                    columns[root_of[name]] = roots.lookup(picked.column(name), us)
        return pa.table(columns, schema=table.schema.arrow_schema())

    def _table(self, table: AnnotationTable) -> _Table:
        with self._lock:
            if table.name not in self._loaded:
                files = [str(f) for f in self._layout.tables[table.name].files]
                arrow = pds.dataset(files, format="parquet").to_table().combine_chunks()
                self._loaded[table.name] = _Table(table, arrow)
            return self._loaded[table.name]

    def roots(self) -> RootArrays:
        """roots.parquet in memory (loaded with the first resident table that needs it)."""
        with self._lock:
            if self._roots is None:
                files = [str(f) for f in self._layout.roots]
                self._roots = RootArrays(pds.dataset(files, format="parquet").to_table())
            return self._roots


def _key_sets(node: Node | None, alias: str, columns: set[str]) -> list[tuple[str, tuple]]:
    """Top-level ``col IN / = values`` conjuncts of ``node`` on indexed ``columns`` of ``alias``."""
    if node is None:
        return []
    node = flatten(node)
    items = node.items if isinstance(node, And) else (node,)
    return [
        (item.col.name, item.values if isinstance(item, InSet) else (item.value,))
        for item in items
        if isinstance(item, (InSet, Equal)) and item.col.table == alias and item.col.name in columns
    ]

