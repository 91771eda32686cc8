"""Chunked-graph lineage answers over ``segmentation/roots.parquet`` (the four calls ``live_query`` makes).

Each row of roots.parquet says "supervoxel S belonged to root R during [valid_from, valid_to)"
(``valid_to`` NULL = still current). Roots are immutable supervoxel sets, so a root's lifetime
is the same on all of its rows. Id arrays travel into DuckDB as registered Arrow tables (never
spliced into SQL); the Parquet path and timestamps are bound parameters.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from engine.connection import Connector, execute
from engine.errors import BadInputError

_names = itertools.count()

# A root is current at $ts when one of its intervals contains $ts (PyChunkedGraph's is_latest_roots
# reads only cells written before $ts, so a root created later is not "latest" either).
_CURRENT = "r.valid_from <= $ts AND (r.valid_to IS NULL OR r.valid_to > $ts)"


class Lineage:
    """Root-id history of one datastack, queried with DuckDB (one cursor per thread)."""

    def __init__(self, roots_parquet: Path, connector: Connector | None = None) -> None:
        self.path = str(roots_parquet)
        self._connector = connector or Connector(lambda con: None)

    def close(self) -> None:
        self._connector.close()

    def roots(self, supervoxel_ids: np.ndarray, at: datetime) -> np.ndarray:
        """The root of each supervoxel at ``at`` (0 when the supervoxel is unknown), in input order."""
        sql = f"""SELECT i.pos, r.root_id FROM {{ids}} AS i
                  JOIN read_parquet($path) AS r ON r.supervoxel_id = i.id AND {_CURRENT}"""
        out = np.zeros(len(supervoxel_ids), dtype=np.int64)
        pos, root = self._by_position(sql, supervoxel_ids, {"ts": at})
        out[pos] = root
        return out

    def is_latest(self, root_ids: np.ndarray, at: datetime) -> np.ndarray:
        """Whether each root is current at ``at``."""
        sql = f"""SELECT DISTINCT i.pos, true FROM {{ids}} AS i
                  JOIN read_parquet($path) AS r ON r.root_id = i.id AND {_CURRENT}"""
        out = np.zeros(len(root_ids), dtype=bool)
        pos, _ = self._by_position(sql, root_ids, {"ts": at})
        out[pos] = True
        return out

    def lifetimes(self, root_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each root's creation and retirement as epoch seconds (retirement NaN while current).

        Unknown roots are a ``BadInputError`` naming them (the chunked graph refuses them too).
        """
        sql = """SELECT i.pos, epoch_us(min(r.valid_from)), epoch_us(max(r.valid_to)), count(r.valid_to) < count(*)
                 FROM {ids} AS i JOIN read_parquet($path) AS r ON r.root_id = i.id GROUP BY i.pos"""
        rows = self._rows(sql, root_ids, {})
        created = np.full(len(root_ids), np.nan)
        retired = np.full(len(root_ids), np.nan)
        for pos, start, end, open_ in rows:
            created[pos] = start / 1e6
            retired[pos] = np.nan if open_ else end / 1e6
        missing = np.asarray(root_ids)[np.isnan(created)]
        if len(missing):
            shown = ", ".join(str(int(r)) for r in missing[:10])
            raise BadInputError(f"{len(missing)} root id(s) are not in the segmentation history: {shown}")
        return created, retired

    def past_ids(self, root_ids: np.ndarray, past: datetime) -> dict[int, list[int]]:
        """For each root, the roots current at ``past`` that held any of its supervoxels (sorted)."""
        sql = """SELECT DISTINCT i.pos, p.root_id FROM {ids} AS i
                 JOIN read_parquet($path) AS r ON r.root_id = i.id
                 JOIN read_parquet($path) AS p ON p.supervoxel_id = r.supervoxel_id
                      AND p.valid_from <= $ts AND (p.valid_to IS NULL OR p.valid_to > $ts)
                 ORDER BY 1, 2"""
        found: dict[int, list[int]] = {int(r): [] for r in root_ids}
        for pos, root in self._rows(sql, root_ids, {"ts": past}):
            found[int(root_ids[pos])].append(int(root))
        return found

    def _by_position(self, sql: str, ids: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray]:
        rows = self._rows(sql, ids, params)
        pos = np.array([r[0] for r in rows], dtype=np.int64)
        return pos, np.array([r[1] for r in rows])

    def _rows(self, sql: str, ids: np.ndarray, params: dict) -> list[tuple]:
        cursor = self._connector.cursor()
        with _registered(cursor, _as_int64(ids)) as name:
            return execute(cursor, sql.format(ids=name), {"path": self.path, **params}).fetchall()


def _as_int64(ids: np.ndarray) -> np.ndarray:
    """Ids arrive as uint64 on the wire; every stored id fits in int64 (ids >= 2**63 match nothing)."""
    ids = np.asarray(ids)
    if ids.dtype == np.uint64:
        return ids.astype(np.int64)  # wraps ids >= 2**63 to negatives, which match no stored id
    return ids.astype(np.int64, copy=False)


@contextlib.contextmanager
def _registered(cursor: duckdb.DuckDBPyConnection, ids: np.ndarray) -> Iterator[str]:
    """Expose ``ids`` (with their positions) to ``cursor`` as a uniquely named relation."""
    name = f"_ids_{next(_names)}"
    cursor.register(name, pa.table({"pos": np.arange(len(ids), dtype=np.int64), "id": ids}))
    try:
        yield name
    finally:
        cursor.unregister(name)
