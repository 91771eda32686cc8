"""Connectivity between groups of segments (e.g. cell type x cell type) in one grouped query at one moment.

Each synapse's pre and post segment (root id at the moment) is labelled from a label table
(one label per segment: the smallest when a merged segment carries several), then synapses
are counted and their sizes summed per (pre label, post label). The reference has no such
call: its users page through synapse_query and group in pandas.

When both sides group by labels and every synapse filter reads stored columns, labels are
mapped straight to supervoxels (``roots at T JOIN labels``) and the raw synapse rows are joined
on their supervoxel ids: no root id is derived for the synapses that carry no label. When,
moreover, the synapse table is resident and there is no synapse filter, only the two label
relations run in DuckDB and the matrix is computed in numpy (``resident_matrix.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from ..errors import BadInputError, UnknownColumnError
from ..filters import Col, Node, Scope, compile
from ..filters.relations import Relations, relation_result
from ..filters.statement import with_where
from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident
from . import plan, resident_matrix
from .mirror import Mirror
from .pushdown import raw_where, split
from .query import Query, ctes, push_roots
from .source import raw_view
from .tables import ROOT, AnnotationTable
from .timetravel import ROOTS_AT, live_sql, with_clause
from .versions import Moment

PRE, POST = "pre_pt_root_id", "post_pt_root_id"


def _label_table(mirror: Mirror, synapses: str, by: Sequence[str], chosen: str | None) -> AnnotationTable | None:
    """The table the non-synapse ``by`` columns come from (None when both group by synapse columns)."""
    wanted = [b for b in by if not mirror.table(synapses).schema.has(b)]
    if not wanted:
        return None
    if chosen is not None:
        table = mirror.table(chosen)
        for column in wanted:
            if not table.schema.has(column):
                raise UnknownColumnError(column, table.schema.names, table.name)
        return table
    found = [t for n, t in mirror.tables.items() if n != synapses and all(t.schema.has(c) for c in wanted)]
    if len(found) != 1:
        names = ", ".join(t.name for t in found) or "none"
        raise BadInputError(f"cannot tell which table holds {', '.join(wanted)} (candidates: {names}); pass label_table=")
    return found[0]


def _segment_root(mirror: Mirror, table: AnnotationTable) -> tuple[list[AnnotationTable], str, str | None]:
    """``(tables to read, alias.column locating each labelled segment, reference join)`` for a label table."""
    if table.bound:
        return [table], f"{quote_ident(table.name)}.{quote_ident(table.bound[0] + ROOT)}", None
    reference = mirror.table(table.reference_table) if table.reference_table else None
    if reference is None or not reference.bound or not table.schema.has("target_id"):
        raise BadInputError(f"table {table.name!r} has no bound point and no reference table to locate its segments")
    on = f'{quote_ident(table.name)}."target_id" = {quote_ident(reference.name)}."id"'
    return [table, reference], f"{quote_ident(reference.name)}.{quote_ident(reference.bound[0] + ROOT)}", on


def connectivity_query(
    mirror: Mirror,
    synapses: str,
    moment: Moment,
    by: Sequence[str],
    *,
    label_table: str | None,
    pre_filter: Mapping[str, Any] | None,
    post_filter: Mapping[str, Any] | None,
    synapse_filter: Mapping[str, Any] | None,
    remove_autapses: bool,
    unlabeled: str | None,
) -> Result:
    """A lazy result: ``pre_<by0>, post_<by1>, n_synapses[, sum_size]`` ordered by group."""
    if isinstance(by, str) or len(by) != 2:
        raise BadInputError(f"by takes two column names (pre, post), got {by!r}")
    syn = mirror.table(synapses)
    for column in (PRE, POST):
        syn.schema.column(column)
    labels = _label_table(mirror, synapses, by, label_table)
    names, relations = ParamNames(), Relations()
    ts = names.bind(moment.ts)
    syn_node = push_roots(mirror, plan.parse(Query([plan.table_part(syn, None)]), dict(synapse_filter or {})), moment)
    label_tables, segment, reference_on = _segment_root(mirror, labels) if labels else ([], "", None)
    fast = labels is not None and unlabeled is None and not any(syn.schema.has(b) for b in by)
    pushable = fast and not split(syn_node, syn.name, syn)[1]
    pushed = raw_where(syn_node, syn.name, syn, names, relations) if pushable else None
    parts = ([] if pushed is not None else [plan.table_part(syn, None)]) + [plan.table_part(t, None) for t in label_tables]
    named = ctes(mirror, Query(parts), moment, ts, syn_node, relations, names)
    sides = []
    for side, column, chosen in (("pre", by[0], pre_filter), ("post", by[1], post_filter)):
        if syn.schema.has(column):
            if chosen:
                raise BadInputError(f"{side}_filter needs a label column in by=, got the synapse column {column!r}")
            continue
        label_query = plan.parse(Query([plan.table_part(t, None) for t in label_tables]), dict(chosen or {}))
        scope = label_query.scope()
        where = [compile(label_query.node, scope, names=names, relations=relations)] if label_query.node else []
        source = quote_ident(label_tables[0].name) + (
            f" JOIN {quote_ident(label_tables[1].name)} ON {reference_on}" if reference_on else "")
        label = scope.sql(Col(column, labels.name))  # type: ignore[union-attr]
        head = f'SELECT {segment} AS "root_id", min({label}) AS "label" FROM {source}'
        named[f"__{side}"] = with_where(head, [*where, Compiled(f"{segment} <> 0")], "GROUP BY 1").sql
        sides.append(side)
    if pushed == "" and resident_matrix.supported(mirror.resident, syn):
        return _resident(mirror, syn, named, moment, by, names, relations, remove_autapses)
    if pushed is not None:
        return _by_supervoxel(mirror, syn, named, ts, pushed, by, names, relations, remove_autapses)
    return _by_root(mirror, syn, named, syn_node, sides, by, names, relations, remove_autapses, unlabeled)


def _finish(mirror: Mirror, named: dict[str, str], select: str, source: str, where: list[Compiled],
            names: ParamNames, relations: Relations) -> Result:
    head = with_clause(named)
    statement = with_where(f"{head} SELECT {select} FROM {source}", where, "GROUP BY 1, 2 ORDER BY 1, 2")
    return relation_result(mirror.dataset, Compiled(statement.sql, names.params), relations)


def _measures(syn: AnnotationTable, size: str) -> list[str]:
    return ['count(*) AS "n_synapses"'] + ([f'sum({size}."size") AS "sum_size"'] if syn.schema.has("size") else [])


def _by_supervoxel(mirror: Mirror, syn: AnnotationTable, named: dict[str, str], ts: str, pushed: str, by: Sequence[str],
                   names: ParamNames, relations: Relations, remove_autapses: bool) -> Result:
    """Labels mapped to supervoxels at T, joined to the live raw synapse rows (no per-synapse root ids)."""
    for side in ("pre", "post"):
        named[f"__{side}_sv"] = (f'SELECT "r"."supervoxel_id", "r"."root_id", "l"."label" FROM {quote_ident(ROOTS_AT)} '
                                 f'AS "r" JOIN "__{side}" AS "l" USING ("root_id")')
    condition = live_sql("a", ts) + (f" AND ({pushed})" if pushed else "")
    sv = {side: quote_ident(f"{side}_pt_supervoxel_id") for side in ("pre", "post")}
    source = (f'{quote_ident(raw_view(syn.name))} AS "a" '
              f'JOIN "__pre_sv" AS "p" ON "p"."supervoxel_id" = "a".{sv["pre"]} '
              f'JOIN "__post_sv" AS "q" ON "q"."supervoxel_id" = "a".{sv["post"]}')
    select = ", ".join([f'"p"."label" AS {quote_ident("pre_" + by[0])}', f'"q"."label" AS {quote_ident("post_" + by[1])}',
                        *_measures(syn, '"a"')])
    where = [Compiled(condition)] + ([Compiled('"p"."root_id" IS DISTINCT FROM "q"."root_id"')] if remove_autapses else [])
    return _finish(mirror, named, select, source, where, names, relations)


def _resident(mirror: Mirror, syn: AnnotationTable, named: dict[str, str], moment: Moment, by: Sequence[str],
              names: ParamNames, relations: Relations, remove_autapses: bool) -> Result:
    """``_by_supervoxel``'s answer from memory: the label relations from DuckDB, the matrix from numpy."""
    head = with_clause(named)

    def labels(side: str) -> pa.Table:
        return relation_result(mirror.dataset, Compiled(f'{head} SELECT * FROM "__{side}"', names.params),
                               relations).arrow()

    pre = labels("pre")
    post = pre if named["__post"] == named["__pre"] else labels("post")  # same text, same parameters
    cells = resident_matrix.matrix(mirror.resident, syn, moment, pre, post, remove_autapses)
    cells = cells.rename_columns(["pre_" + by[0], "post_" + by[1], *cells.column_names[2:]])
    out = Relations()
    return relation_result(mirror.dataset, Compiled(f"SELECT * FROM {out.add(cells)} ORDER BY 1, 2"), out)


def _by_root(mirror: Mirror, syn: AnnotationTable, named: dict[str, str], syn_node: Node | None, sides: list[str],
             by: Sequence[str], names: ParamNames, relations: Relations, remove_autapses: bool,
             unlabeled: str | None) -> Result:
    """The general form: the synapses' as-of relation (root ids derived) joined to per-root labels."""
    s = quote_ident(syn.name)
    keys, joins = [], []
    for side, column, root in (("pre", by[0], PRE), ("post", by[1], POST)):
        if side not in sides:
            keys.append((f"{s}.{quote_ident(column)}", f"{side}_{column}" if column not in (PRE, POST) else column))
            continue
        kind = "LEFT JOIN" if unlabeled is not None else "JOIN"
        joins.append(f'{kind} "__{side}" ON "__{side}"."root_id" = {s}.{quote_ident(root)}')
        value = f'"__{side}"."label"' if unlabeled is None else f'coalesce("__{side}"."label", {names.bind(unlabeled)})'
        keys.append((value, f"{side}_{column}"))
    select = ", ".join([f"{expr} AS {quote_ident(name)}" for expr, name in keys] + _measures(syn, s))
    scope = Scope({syn.name: syn.schema}, qualify=True)
    where = [compile(syn_node, scope, names=names, relations=relations)] if syn_node is not None else []
    if remove_autapses:
        where.append(Compiled(f"{s}.{quote_ident(PRE)} IS DISTINCT FROM {s}.{quote_ident(POST)}"))
    return _finish(mirror, named, select, f"{s} {' '.join(joins)}", where, names, relations)
