"""Connectivity matrices of a resident synapse table in numpy: label lookups by supervoxel code, then bincount.

DuckDB joins every raw synapse row to the labelled supervoxels per matrix (seconds at 20M rows);
with the table in memory, its supervoxel columns are coded once as positions among the
supervoxels of roots.parquet, so a matrix at any moment is a few gathers and one ``bincount``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .resident import Resident, _Table, lifetimes, live
from .rootarrays import RootArrays, micros
from .tables import AnnotationTable
from .versions import Moment

PRE_SV, POST_SV = "pre_pt_supervoxel_id", "post_pt_supervoxel_id"


def supported(resident: Resident, table: AnnotationTable) -> bool:
    """``table`` is resident and has no ``size``, or a floating one (DuckDB sums it as a double, as numpy does)."""
    return table.name in resident.names and (
        not table.schema.has("size") or pa.types.is_floating(table.schema.column("size").type))


class _Codes:
    """A resident synapse table as the matrix reads it (built once per table, on the first matrix).

    ``pre`` / ``post`` index ``universe`` (every supervoxel in roots.parquet); supervoxel 0, null and
    unknown supervoxels get ``len(universe)``, a code no root owns. The universe is hashed: coding
    20M unsorted supervoxels by binary search takes about 7x longer.
    """

    def __init__(self, data: _Table, roots: RootArrays) -> None:
        self.universe = pd.Index(pd.unique(roots.sv))
        self.pre, self.post = (self._code(data.arrow.column(c).fill_null(0).to_numpy()) for c in (PRE_SV, POST_SV))
        self.created, self.deleted, self.valid = lifetimes(data.arrow)
        size = data.arrow.column("size") if data.table.schema.has("size") else None
        self.size = None if size is None else size.fill_null(0).to_numpy()
        self.sized = None if size is None or not size.null_count else size.is_valid().to_numpy(zero_copy_only=False)

    def _code(self, supervoxels: np.ndarray) -> np.ndarray:
        n = len(self.universe)
        at = self.universe.get_indexer(supervoxels)
        known = (at >= 0) & (supervoxels != 0)
        return np.where(known, at, n).astype(np.int32 if n < np.iinfo(np.int32).max else np.int64)

    def owners(self, roots: RootArrays, us: int) -> np.ndarray:
        """Root of each code's supervoxel at ``us``; -1 when none owns it (and for the last, unknown, code)."""
        sv_t, root_t = roots.at(us)
        out = np.full(len(self.universe) + 1, -1, dtype=np.int64)
        out[self.universe.get_indexer(sv_t)] = root_t
        return out


def _label_codes(owners: np.ndarray, labels: pa.Table) -> tuple[np.ndarray, pa.Array]:
    """``(label index per code, -1 when unlabelled; the distinct labels)`` from a ``(root_id, label)`` table."""
    encoded = labels.column("label").combine_chunks().dictionary_encode(null_encoding="encode")
    roots = labels.column("root_id").to_numpy()
    order = np.argsort(roots)
    roots, index = roots[order], encoded.indices.to_numpy(zero_copy_only=False)[order]
    if not len(roots):
        return np.full(len(owners), -1, dtype=np.int32), encoded.dictionary
    at = np.minimum(np.searchsorted(roots, owners), len(roots) - 1)
    return np.where(roots[at] == owners, index[at], -1).astype(np.int32), encoded.dictionary


def matrix(resident: Resident, table: AnnotationTable, moment: Moment, pre: pa.Table, post: pa.Table,
           remove_autapses: bool) -> pa.Table:
    """``pre, post, n_synapses[, sum_size]`` over the non-empty cells, unordered.

    ``pre`` / ``post`` are the ``(root_id, label)`` relations of ``connectivity``; the answer is
    ``_by_supervoxel``'s, except that ``sum_size`` is summed in another order (equal up to
    float rounding; exact for integer-valued sizes).
    """
    codes = resident.derived(table, _Codes)
    us = micros(moment.ts)
    owners = codes.owners(resident.roots(), us)
    pre_code, pre_labels = _label_codes(owners, pre)
    post_code, post_labels = (pre_code, pre_labels) if post is pre else _label_codes(owners, post)
    a, b = pre_code[codes.pre], post_code[codes.post]
    rows = np.flatnonzero(live(codes.created, codes.deleted, codes.valid, us) & (a >= 0) & (b >= 0))
    if remove_autapses:
        rows = rows[owners[codes.pre[rows]] != owners[codes.post[rows]]]
    n_post = max(len(post_labels), 1)
    key = a[rows].astype(np.int64) * n_post + b[rows]
    cells = len(pre_labels) * n_post  # one bin per cell while that is no more bins than rows, else per used cell
    cell, key = (np.arange(cells), key) if cells <= len(key) else np.unique(key, return_inverse=True)
    counts = np.bincount(key, minlength=len(cell))
    full = np.flatnonzero(counts)
    columns = {"pre": pre_labels.take(pa.array(cell[full] // n_post)),
               "post": post_labels.take(pa.array(cell[full] % n_post)),
               "n_synapses": pa.array(counts[full], type=pa.int64())}
    if codes.size is not None:
        sums = np.bincount(key, weights=codes.size[rows], minlength=len(cell))[full]
        unsized = None if codes.sized is None else np.bincount(key, codes.sized[rows], minlength=len(cell))[full] == 0
        columns["sum_size"] = pa.array(sums, type=pa.float64(), mask=unsized)  # SQL: the sum of no values is NULL
    return pa.table(columns)
