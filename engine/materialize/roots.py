"""Root ids over time from ``segmentation/roots.parquet``: supervoxels of a root, root validity, past ids.

Also the rewrite that makes root-id filters cheap: ``P_root_id IN (R)`` at ``T`` is exactly
``P_supervoxel_id IN (supervoxels owned by R at T)``, a filter on a stored column that Parquet
statistics (and the resident index) can use, instead of deriving the root of every row first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from ..dataset import Dataset
from ..errors import BadInputError
from ..filters import Col, Equal, InSet, Node, Or, compile
from ..filters.ir import And
from ..sql import Compiled, ParamNames, quote_ident
from .rootarrays import RootArrays, micros
from .source import ROOTS_VIEW
from .tables import AnnotationTable
from .timetravel import roots_at_sql

FALSE = Or(())


class RootLookup:
    """Questions about roots answered from the roots interval table (the chunkedgraph's job in CAVE).

    With ``arrays`` (a provider of the in-memory roots, for resident mirrors) the frequent
    questions are binary searches; otherwise each is one DuckDB query over the Parquet.
    """

    def __init__(self, dataset: Dataset, arrays: Callable[[], RootArrays] | None = None) -> None:
        self._dataset = dataset
        self._schema = dataset.schema(ROOTS_VIEW)
        self._arrays = arrays

    def owned(self, roots: Iterable[int], ts: datetime) -> dict[int, np.ndarray]:
        """``root -> sorted supervoxels it owns at ts`` in one lookup (root 0 also owns supervoxel 0)."""
        wanted = _ids(roots)
        out = {r: np.empty(0, dtype=np.int64) for r in wanted}
        if not wanted:
            return out
        if self._arrays is not None:
            return self._arrays().owned(wanted, micros(ts))
        names = ParamNames()
        at = names.bind(ts)
        where = compile(InSet("root_id", wanted), self._schema, names=names)
        sql = f'SELECT DISTINCT "root_id", "supervoxel_id" FROM ({roots_at_sql(at)}) WHERE {where.sql} ORDER BY 1, 2'
        table = self._dataset.result(Compiled(sql, names.params)).arrow()
        root, sv = table.column(0).to_numpy(), table.column(1).to_numpy()
        bounds = np.flatnonzero(np.diff(root)) + 1
        for chunk_root, chunk_sv in zip(np.split(root, bounds), np.split(sv, bounds)):
            if len(chunk_root):
                out[int(chunk_root[0])] = chunk_sv.astype(np.int64)
        if 0 in out:
            out[0] = np.union1d(out[0], [0])
        return out

    def supervoxels(self, roots: Iterable[int], ts: datetime) -> np.ndarray:
        """Sorted supervoxel ids owned at ``ts`` by any of ``roots``."""
        owned = self.owned(roots, ts)
        return np.unique(np.concatenate([np.empty(0, dtype=np.int64), *owned.values()]))

    def intervals(self, roots: Iterable[int]) -> dict[int, tuple[datetime, datetime | None]]:
        """``root -> (valid_from, valid_to)`` for the roots the table knows (``valid_to`` None: still current)."""
        wanted = [r for r in _ids(roots) if r != 0]
        if not wanted:
            return {}
        if self._arrays is not None:
            return self._arrays().intervals(wanted)
        names = ParamNames()
        where = compile(InSet("root_id", wanted), self._schema, names=names)
        sql = (
            f'SELECT "root_id", min("valid_from") AS "first", '
            f'CASE WHEN count(*) > count("valid_to") THEN NULL ELSE max("valid_to") END AS "last" '
            f"FROM {quote_ident(ROOTS_VIEW)} WHERE {where.sql} GROUP BY 1"
        )
        rows = self._dataset.result(Compiled(sql, names.params)).arrow().to_pylist()
        return {r["root_id"]: (r["first"], r["last"]) for r in rows}

    def check_current(self, roots: Iterable[int], ts: datetime) -> None:
        """``BadInputError`` unless every root is current at ``ts`` (the reference's map_filters check)."""
        wanted = [r for r in _ids(roots) if r != 0]
        known = self.intervals(wanted)
        unknown = [r for r in wanted if r not in known]
        expired = [r for r, (_, last) in known.items() if last is not None and last <= ts]
        recent = [r for r, (first, _) in known.items() if first > ts]
        if unknown or expired or recent:
            parts = [f"{_show(ids)} {what}" for ids, what in (
                (expired, "are expired"), (recent, "are too recent"), (unknown, "are not in the segmentation"),
            ) if ids]
            raise BadInputError(
                f"timestamp {ts.isoformat()} is incompatible with root ids: {'; '.join(parts)} "
                "(root ids must be current at the timestamp; map them with map_filters or query by version)"
            )

    def past_ids(self, roots: Iterable[int], ts: datetime, ts_past: datetime) -> dict[int, list[int]]:
        """For each root current at ``ts``, the roots at ``ts_past`` that owned any of its supervoxels."""
        wanted = _ids(roots)
        out: dict[int, list[int]] = {r: [] for r in wanted}
        if 0 in out:
            out[0] = [0]
        rest = [r for r in wanted if r != 0]
        if not rest:
            return out
        names = ParamNames()
        now, past = names.bind(ts), names.bind(ts_past)
        where = compile(InSet("root_id", rest), self._schema, names=names)
        sql = (
            f'WITH "now" AS (SELECT * FROM ({roots_at_sql(now)}) WHERE {where.sql}), '
            f'"past" AS ({roots_at_sql(past)}) '
            f'SELECT DISTINCT "now"."root_id" AS "root", "past"."root_id" AS "past" '
            f'FROM "now" JOIN "past" USING ("supervoxel_id") ORDER BY 1, 2'
        )
        for row in self._dataset.result(Compiled(sql, names.params)).arrow().to_pylist():
            out[row["root"]].append(row["past"])
        return out


def _ids(values: Iterable[Any]) -> list[int]:
    """Distinct integer ids in first-seen order."""
    if isinstance(values, (int, np.integer)):
        values = [values]
    out: dict[int, None] = {}
    for v in np.asarray(list(values)).ravel().tolist():
        if isinstance(v, bool) or not isinstance(v, int):
            raise BadInputError(f"root ids are integers, got {v!r}")
        out[v] = None
    return list(out)


def _show(ids: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return f"[{shown}{', ...' if len(ids) > 10 else ''}]"


Lookup = Callable[[str, Sequence[Any]], np.ndarray]


def push_root_filters(node: Node, tables: Mapping[str, AnnotationTable], lookup: Lookup) -> Node:
    """Rewrite positive ``P_root_id`` in / equal filters of bound IR into ``P_supervoxel_id`` filters.

    ``lookup(alias, roots)`` returns the supervoxels the roots own at the moment the alias is read.
    Only positive occurrences are rewritten: under ``Not`` a row whose root is unknown (NULL)
    must stay out, which the supervoxel form would not guarantee.
    """
    if isinstance(node, (And, Or)):
        return type(node)(tuple(push_root_filters(item, tables, lookup) for item in node.items))
    if not isinstance(node, (InSet, Equal)) or node.col.table not in tables:
        return node
    supervoxel = tables[node.col.table].root_columns().get(node.col.name)
    if supervoxel is None:
        return node
    svs = lookup(node.col.table, node.values if isinstance(node, InSet) else (node.value,))
    return InSet(Col(supervoxel, node.col.table), svs) if len(svs) else FALSE
