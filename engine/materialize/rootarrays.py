"""roots.parquet held as numpy arrays: owners at a moment by binary search, for resident (in-memory) mirrors.

The same answers as the SQL in ``roots.py`` / ``timetravel.py`` (half-open intervals, supervoxel
0 -> root 0), without scanning the Parquet per question.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .versions import UTC

NEVER = np.iinfo(np.int64).max
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHED_MOMENTS = 4


def micros(ts: datetime) -> int:
    """Microseconds since the epoch (exact, unlike ``timestamp() * 1e6``)."""
    return (ts - EPOCH) // timedelta(microseconds=1)


def as_micros(column: pa.ChunkedArray | pa.Array, missing: int = NEVER) -> np.ndarray:
    """A timestamp column as int64 microseconds, nulls as ``missing``."""
    return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).fill_null(missing).to_numpy()


def _remember(cache: dict[int, Any], us: int, value: Any, lock: threading.Lock) -> None:
    """Keep ``value`` for moment ``us``, forgetting the oldest moment beyond ``_CACHED_MOMENTS``."""
    with lock:
        cache[us] = value
        while len(cache) > _CACHED_MOMENTS:
            cache.pop(next(iter(cache)))


def _datetime(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(us))


class RootArrays:
    """Every row of roots.parquet; owners at a moment are cached for a few moments."""

    def __init__(self, table: pa.Table) -> None:
        self.sv = table.column("supervoxel_id").to_numpy()
        self.root = table.column("root_id").to_numpy()
        self.start = as_micros(table.column("valid_from"))
        self.end = as_micros(table.column("valid_to"))
        self._at: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._by_root: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._hash_at: dict[int, tuple[pd.Index, np.ndarray]] = {}
        self._lock = threading.Lock()
        order = np.argsort(self.root, kind="stable")
        keys, starts = np.unique(self.root[order], return_index=True)
        self._roots = keys  # every root id, sorted, with its interval (a root's rows share it)
        self._first = np.minimum.reduceat(self.start[order], starts) if len(keys) else keys
        self._last = np.maximum.reduceat(self.end[order], starts) if len(keys) else keys

    def at(self, us: int) -> tuple[np.ndarray, np.ndarray]:
        """``(supervoxels sorted, their roots)`` at ``us``."""
        with self._lock:
            found = self._at.get(us)
        if found is None:
            live = (self.start <= us) & (self.end > us)
            sv, root = self.sv[live], self.root[live]
            order = np.argsort(sv, kind="stable")
            found = (sv[order], root[order])
            _remember(self._at, us, found, self._lock)
        return found

    def lookup(self, supervoxels: pa.ChunkedArray | pa.Array, us: int) -> pa.Array:
        """Root of each supervoxel at ``us``: 0 for supervoxel 0, null when it is null or no root owns it."""
        owners, root_t = self._hashed(us)
        svs = supervoxels.fill_null(0).to_numpy()
        at = owners.get_indexer(svs)  # -1: no root owns it
        zero = svs == 0
        missing = ((at < 0) & ~zero) | supervoxels.is_null().to_numpy(zero_copy_only=False)
        roots = root_t[at] if len(root_t) else np.zeros(len(svs), dtype=np.int64)
        return pa.array(np.where(zero | missing, 0, roots), type=pa.int64(), mask=missing)

    def _hashed(self, us: int) -> tuple[pd.Index, np.ndarray]:
        """``at(us)`` as a hash index of supervoxels (first owner kept) and their roots.

        Probing a hash is about 4x faster than sorting 200k needles for a binary search.
        """
        with self._lock:
            found = self._hash_at.get(us)
        if found is None:
            sv_t, root_t = self.at(us)
            first = np.ones(len(sv_t), dtype=bool)
            first[1:] = sv_t[1:] != sv_t[:-1]
            found = (pd.Index(sv_t[first]), root_t[first])
            _remember(self._hash_at, us, found, self._lock)
        return found

    def owned(self, wanted: Sequence[int], us: int) -> dict[int, np.ndarray]:
        """``root -> sorted supervoxels it owns at us`` (root 0 also owns supervoxel 0)."""
        with self._lock:
            found = self._by_root.get(us)
        if found is None:
            sv_t, root_t = self.at(us)
            order = np.lexsort((sv_t, root_t))
            found = (root_t[order], sv_t[order])
            _remember(self._by_root, us, found, self._lock)
        roots, svs = found
        asked = np.asarray(wanted, dtype=np.int64)
        lo, hi = np.searchsorted(roots, asked, "left"), np.searchsorted(roots, asked, "right")
        out = {int(r): svs[a:b] for r, a, b in zip(asked.tolist(), lo.tolist(), hi.tolist())}
        if 0 in out:
            out[0] = np.union1d(out[0], [0])
        return out

    def intervals(self, wanted: Sequence[int]) -> dict[int, tuple[datetime, datetime | None]]:
        """``root -> (valid_from, valid_to or None)`` for the known roots among ``wanted``."""
        asked = np.asarray(wanted, dtype=np.int64)
        idx = np.minimum(np.searchsorted(self._roots, asked), max(len(self._roots) - 1, 0))
        known = (self._roots[idx] == asked) if len(self._roots) else np.zeros(len(asked), dtype=bool)
        return {
            int(r): (_datetime(self._first[i]), None if self._last[i] == NEVER else _datetime(self._last[i]))
            for r, i in zip(asked[known], idx[known])
        }
