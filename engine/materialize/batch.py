"""K filter sets on one table at one moment, in one statement with a ``query_index`` column.

Sets that differ only in one in / equal list (one neuron's root id each) become ONE join
against a ``(query_index, key)`` Arrow table; root ids are first turned into the supervoxels
they own at the moment, all sets at once, so the join is on a stored column. Other sets run
as one ``UNION ALL`` branch each. This mirrors ``engine.filters.batch``, which cannot read a
per-moment derived relation (see docs/materialize.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ..filters import Col, Equal, InSet, Node, compile
from ..filters.grouping import columnar
from ..filters.ir import TRUE, And
from ..filters.passes import flatten
from ..filters.relations import Relations, key_array, key_source, relation_result
from ..filters.statement import with_where
from ..filters.values import family
from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident
from . import plan
from .execute import root_columns, root_values
from .mirror import Mirror
from .query import Query, ctes, from_clause, order_columns, select_items
from .roots import FALSE, push_root_filters
from .timetravel import with_clause
from .versions import Moment

INDEX = "query_index"


@dataclass(frozen=True)
class Keys:
    """Every set is ``col IN (per_set[k]) AND rest``."""

    col: Col
    per_set: list[np.ndarray]
    rest: Node


def _columnar(mirror: Mirror, query: Query, sets: Sequence[Mapping[str, Any]], moment: Moment) -> Keys | None:
    """The common case without IR per set: every set lists ints of the same integer column (e.g. one root each)."""
    scope = query.scope()
    group = columnar(sets, scope)
    if group is None or len(group.cols) != 1:
        return None
    alias, column = scope.resolve(group.cols[0])
    if family(column.type) != "int":
        return None
    flat = np.asarray(group.values[0], dtype=np.int64)
    values = np.split(flat, np.cumsum(group.counts[0])[:-1])
    supervoxel = query.parts[0].table.root_columns().get(column.name) if query.parts[0].table else None
    if supervoxel is None:
        return Keys(Col(column.name, alias), [np.unique(v) for v in values], TRUE)
    every = np.unique(flat)
    if moment.version is None:
        mirror.roots.check_current(every.tolist(), moment.ts)
    owned = mirror.roots.owned(every.tolist(), moment.ts)
    empty = np.empty(0, dtype=np.int64)
    per_set = [owned[int(v[0])] if len(v) == 1 else np.unique(np.concatenate([empty, *(owned[int(r)] for r in v)]))
               for v in values]
    return Keys(Col(supervoxel, alias), per_set, TRUE)


def parse_sets(mirror: Mirror, query: Query, sets: Sequence[Mapping[str, Any]], moment: Moment) -> list[Node]:
    """Each set parsed against the query's scope, root ids checked (at a timestamp) and pushed to supervoxels."""
    nodes = []
    for filter_set in sets:
        parsed = plan.parse(Query(query.parts, query.joins), filter_set).node
        nodes.append(parsed if parsed is not None else TRUE)
    columns = root_columns(query)
    values = [v for node in nodes for v in root_values(node, columns)]
    if moment.version is None and values:
        mirror.roots.check_current(values, moment.ts)
    owned = mirror.roots.owned(values, moment.ts)
    tables = {p.alias: p.table for p in query.parts if p.table is not None}

    def lookup(alias: str, roots: Sequence[Any]) -> np.ndarray:
        return np.unique(np.concatenate([np.empty(0, dtype=np.int64), *(owned[int(r)] for r in roots)]))

    return [flatten(push_root_filters(node, tables, lookup)) for node in nodes]


def _keyed(nodes: Sequence[Node]) -> Keys | None:
    """``Keys`` when every bound set is ``column IN (...) AND <the same rest>``."""
    col, rest, per_set = None, None, []
    for node in nodes:
        items = node.items if isinstance(node, And) else (node,)
        keys = [i for i in items if isinstance(i, (InSet, Equal)) or i == FALSE]
        others = tuple(i for i in items if not (isinstance(i, (InSet, Equal)) or i == FALSE))
        if len(keys) != 1 or (rest is not None and others != rest):
            return None
        key = keys[0]
        if key != FALSE:
            if col is not None and key.col != col:
                return None
            col = key.col
        rest = others
        per_set.append(np.asarray([] if key == FALSE else key.values if isinstance(key, InSet) else [key.value]))
    if col is None:
        return None
    return Keys(col, per_set, And(rest or ()))


def _exploded(mirror: Mirror, query: Query, keys: Keys | None, moment: Moment) -> pa.Table | None:
    """The resident per-set rows of a keyed batch on one table (None: not resident, or not keyed)."""
    table = query.parts[0].table
    if keys is None or table is None or len(query.parts) != 1:
        return None
    return mirror.resident.exploded(table, keys.col.name, keys.per_set, moment.ts)


def run_batch(mirror: Mirror, query: Query, sets: Sequence[Mapping[str, Any]], moment: Moment) -> Result:
    """A lazy result: the rows of every set, ``query_index`` first, ordered by set then id."""
    keys = _columnar(mirror, query, sets, moment)
    nodes = None
    if keys is None:
        nodes = parse_sets(mirror, query, sets, moment)
        keys = _keyed(nodes)
    names, relations = ParamNames(), Relations()
    ts = names.bind(moment.ts)
    scope = query.scope()
    access = None
    if keys is not None:
        union = np.unique(np.concatenate([np.empty(0, dtype=np.int64), *keys.per_set]))
        access = And((InSet(keys.col, union.tolist()), keys.rest)) if len(union) else None
    exploded = _exploded(mirror, query, keys, moment)
    named = ctes(mirror, query, moment, ts, None if exploded is not None else access, relations, names)
    hidden = order_columns(query)
    outputs = ", ".join(select_items(query, names) + [f"{e} AS {quote_ident(n)}" for e, n in hidden])
    extra = [Compiled(e(scope)) for e in query.extra]
    index = quote_ident(INDEX)
    order = ", ".join(quote_ident(n) for _, n in hidden)
    drop = f" EXCLUDE ({order})" if hidden else ""
    if exploded is not None:  # rows arrive in (query_index, id) order and a filter keeps it: no sort
        alias = query.parts[0].alias
        named[alias] = f"SELECT * FROM {relations.add(exploded)}"
        head = with_clause(named)
        body = with_where(f"{head} SELECT {quote_ident(alias)}.{index}, {outputs} FROM {from_clause(query)}",
                          [compile(keys.rest, scope, names=names, relations=relations), *extra]).sql  # type: ignore[union-attr]
        return relation_result(mirror.dataset, Compiled(f'SELECT *{drop} FROM ({body}) AS "q"', names.params), relations)
    head = with_clause(named)
    if keys is not None:
        table = {
            INDEX: pa.array(np.repeat(np.arange(len(keys.per_set), dtype=np.int64), [len(v) for v in keys.per_set])),
            "key": key_array(np.concatenate([np.empty(0, dtype=np.int64), *keys.per_set]),  # type: ignore[arg-type]
                             scope.resolve(keys.col)[1].type),
        }
        source = key_source(table, names, relations, force=True)
        on = f'{scope.sql(keys.col)} = "k"."key"'
        body = with_where(
            f'{head} SELECT "k".{index}, {outputs} FROM {from_clause(query)} JOIN {source} AS "k" ON {on}',
            [compile(keys.rest, scope, names=names, relations=relations), *extra],
        ).sql
    else:
        branches = [
            with_where(f"SELECT CAST({names.bind(k)} AS BIGINT) AS {index}, {outputs} FROM {from_clause(query)}",
                       [compile(node, scope, names=names, relations=relations), *extra]).sql
            for k, node in enumerate(nodes or [])
        ]
        body = f"{head} " + " UNION ALL ".join(f"({b})" for b in branches)
    sql = f'SELECT *{drop} FROM ({body}) AS "q" ORDER BY {index}' + (f", {order}" if order else "")
    return relation_result(mirror.dataset, Compiled(sql, names.params), relations)
