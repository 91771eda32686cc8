"""What a connectome query read: the ids of the annotation rows it returned, and the roots it resolved.

A query at a moment reads rows whose root ids are derived in the query, so its restriction is
not IR on one table. Logged instead, one restriction per table per call:

- each table of the query: ``id IN (ids of the rows the answer holds)`` (paging counts from row 0,
  so ``offset`` pages re-run identically; samples keep their rows);
- ``segmentation.roots``: ``supervoxel_id IN S``, S = every supervoxel the filter's root ids ever
  owned plus the supervoxels the filter resolved to (``live_query(post_filter=False)`` maps ids
  to an older version). The cascade adds the full history of the returned rows' supervoxels, so
  every root id, validity check and past-id mapping comes out the same on the bundle.

A view runs arbitrary SQL over every table, so a view query logs every table's rows live at
its moment instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc

from ..filters.ir import And, Equal, InSet, IsNull, Node, Not, Or, Range
from ..sql import Compiled
from .cave_source import ROOTS
from .log import Analysis, active, record
from .sources import SourceRef, source_of

if TYPE_CHECKING:
    from ..materialize.mirror import Mirror
    from ..materialize.query import Query
    from ..materialize.versions import Moment


def record_query(mirror: Mirror, query: Query, moment: Moment, node: Node | None = None) -> None:
    """Log the rows ``query`` at ``moment`` reads (``node``: the filter it runs, if not its own); no-op when idle."""
    analysis = active()
    source = source_of(mirror.dataset)
    if analysis is None or source is None:
        return
    if query.view is not None:
        for name in mirror.tables:
            record(analysis, source, name, live_at(moment.ts), mirror.dataset)
        return
    _record_rows(analysis, source, mirror, query, moment, node)


def record_batch(mirror: Mirror, query: Query, sets: Sequence[Mapping[str, Any]], moment: Moment) -> None:
    """Log the rows a batch of filter sets on ``query`` at ``moment`` reads, all sets at once; no-op when idle."""
    analysis = active()
    source = source_of(mirror.dataset)
    if analysis is None or source is None:
        return
    from ..materialize import plan
    from ..materialize.batch import parse_sets, run_batch
    from ..materialize.execute import root_columns, root_values
    from ..materialize.query import Query, output_names

    parts = [dataclasses.replace(p, columns=("id",)) for p in query.parts]
    keys = dataclasses.replace(query, parts=parts, desired_resolution=None)
    table = run_batch(mirror, keys, sets, moment).arrow()
    for part, [(_, column)] in zip(parts, output_names(parts)):
        ids = pc.unique(table[column].combine_chunks())
        if len(ids):
            record(analysis, source, part.table.name, InSet("id", ids), mirror.dataset)
    columns = root_columns(query)
    roots = {r for s in sets for r in root_values(plan.parse(Query(query.parts, query.joins), s).node, columns)}
    supervoxels = _owned_ever(mirror, sorted(roots - {0}))
    pushed = parse_sets(mirror, query, sets, moment)
    supervoxels += _filter_supervoxels(Or(tuple(pushed)), {sv for p in query.parts for sv in p.table.supervoxel_columns()})
    if supervoxels:
        record(analysis, source, ROOTS, InSet("supervoxel_id", supervoxels), mirror.dataset)


def live_at(ts: datetime) -> Node:
    """The raw rows live at ``ts`` (the as-of rule of ``materialize/timetravel.py`` as IR)."""
    return And((
        Range("created", hi=ts),
        Or((IsNull("deleted"), Range("deleted", lo=ts, lo_inclusive=False))),
        Or((Equal("valid", True), Not(IsNull("deleted")))),
    ))


def _record_rows(analysis: Analysis, source: SourceRef, mirror: Mirror, query: Query, moment: Moment,
                 node: Node | None) -> None:
    from ..materialize.execute import root_columns, root_values
    from ..materialize.query import output_names, push_roots, run

    effective = node if node is not None else push_roots(mirror, query, moment)
    parts = [dataclasses.replace(p, columns=("id",)) for p in query.parts]
    end = None if query.limit is None else (query.offset or 0) + query.limit
    keys = dataclasses.replace(query, parts=parts, offset=None, limit=end, desired_resolution=None)
    table = run(mirror, keys, moment, node=effective).arrow()
    for part, [(_, column)] in zip(parts, output_names(parts)):
        ids = table[column].combine_chunks()
        if len(ids):
            record(analysis, source, part.table.name, InSet("id", ids), mirror.dataset)
    supervoxels = _owned_ever(mirror, [r for r in root_values(query.node, root_columns(query)) if r != 0])
    supervoxels += _filter_supervoxels(effective, {sv for p in query.parts for sv in p.table.supervoxel_columns()})
    if supervoxels:
        record(analysis, source, ROOTS, InSet("supervoxel_id", supervoxels), mirror.dataset)


def _owned_ever(mirror: Mirror, roots: list[int]) -> list[int]:
    """Every supervoxel any of ``roots`` owned at any time."""
    from ..materialize.source import ROOTS_VIEW

    if not roots:
        return []
    sql = f'SELECT DISTINCT "supervoxel_id" FROM "{ROOTS_VIEW}" WHERE "root_id" = ANY($roots)'
    column = mirror.dataset.result(Compiled(sql, {"roots": roots})).arrow()["supervoxel_id"]
    return column.to_pylist()


def _filter_supervoxels(node: Node | None, columns: set[str]) -> list[int]:
    """Supervoxel ids in the positive in / equal filters on supervoxel columns (what root filters became)."""
    if isinstance(node, (And, Or)):
        return [v for item in node.items for v in _filter_supervoxels(item, columns)]
    if isinstance(node, InSet) and node.col.name in columns:
        return list(node.values)
    if isinstance(node, Equal) and node.col.name in columns:
        return [node.value]
    return []

