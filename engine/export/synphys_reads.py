"""What a pair query read, logged as one key-set restriction per table (the reference's subquery -> keys rule).

A pair query's restriction spans joins (cell classes, experiment, slice ...), so it cannot be
logged as IR on one table. Instead the pairs it returned are materialised (their ids), and
every joined table it read is walked from them along the query's own joins (``joins.JOINS``):
``pre_cell`` rows are the cells with ``id`` in the pairs' ``pre_cell_id``, ``synapse`` rows the
synapses with ``pair_id`` in the pair ids, and so on. Each table then gets ONE restriction per
call: ``key IN (keys)`` (Parquet key files in the catalog when large). Also logged: ``metadata`` (the
schema-version check reads it) and, when ``project_name`` is validated against the release,
one experiment per requested project (so the same call validates on the bundle).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from ..filters import Scope
from ..filters import compile as compile_filter
from ..filters.ir import TRUE, And, Col, Equal, InSet, Node, Or, Regex
from ..filters.relations import Relations, relation_result
from ..sql import Compiled, ParamNames, quote_ident
from .cascade import merge
from .log import active, record
from .sources import source_of

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..synphys.cell_class import CellClass
    from ..synphys.database import SynphysDatabase
    from ..synphys.matrix import ClassGrid
    from ..synphys.pair_query import PairSelection
    from ..synphys.tables import TableQuery


@dataclass(frozen=True)
class Hop:
    """Rows of ``table`` whose ``key`` is in the ``parent_key`` values of the ``parent`` rows (and match ``where``)."""

    alias: str
    table: str
    key: str
    parent: str
    parent_key: str
    where: Node = TRUE


def hops() -> tuple[Hop, ...]:
    """The pair query's joins as hops, parents first."""
    from ..synphys import joins

    return tuple(Hop(j.alias, j.table, j.key, j.parent, j.parent_key) for j in joins.JOINS)


def gap_hops() -> tuple[Hop, ...]:
    """The recordings the connectivity matrix reads to decide if a pair was probed for gap junctions."""
    from ..synphys.vocabulary import GAP_JUNCTION_STIMULUS

    stim = Regex(Col("stim_name"), GAP_JUNCTION_STIMULUS)
    return tuple(Hop(f"{side}_gap_recording", "recording", "electrode_id", f"{side}_cell", "electrode_id", stim)
                 for side in ("pre", "post"))


def record_pairs(
    db: SynphysDatabase,
    selection: PairSelection,
    columns: Iterable[tuple[str, str]] = (),
    *,
    grid: ClassGrid | None = None,
    connectivity: bool = False,
) -> None:
    """Log every row a pair statement over ``selection`` reads; a no-op when not logging.

    ``columns`` are its ``(alias, column)`` outputs, ``grid`` the matrix classes (else the
    selection's pre / post class); ``connectivity`` adds what the connectivity facts read.
    """
    analysis = active()
    dataset = db.dataset
    source = source_of(dataset)
    if analysis is None or source is None:
        return
    pre = list(grid.pre) if grid is not None else [c for c in (selection.pre_class,) if c is not None]
    post = list(grid.post) if grid is not None else [c for c in (selection.post_class,) if c is not None]
    aliases = _aliases(db, selection, columns, pre, post, connectivity)
    chosen = [h for h in hops() if h.alias in aliases] + (list(gap_hops()) if connectivity else [])
    reads: dict[str, list[Node]] = {"metadata": [TRUE], **_walk(dataset, _pair_ids(db, selection, grid), chosen)}
    witnesses = _project_witnesses(dataset, selection.where)
    if witnesses is not None:
        reads.setdefault("experiment", []).append(witnesses)
    for table, nodes in reads.items():
        record(analysis, source, table, merge(nodes), dataset)


def _pair_ids(db: SynphysDatabase, selection: PairSelection, grid: ClassGrid | None) -> pa.Array:
    """The ids of the pairs the statement returns (without its output joins: they never change the pair set)."""
    from ..synphys.matrix import PAIR_ID, grouped_pairs_ctes
    from ..synphys.pair_query import pair_statement

    names = ParamNames()
    if grid is None:
        sql = pair_statement(db, selection, [("pair", "id")], names, order=False)
        column = "pair.id"
    else:
        sql = f"WITH {', '.join(grouped_pairs_ctes(db, grid, selection, [], names))} SELECT {quote_ident(PAIR_ID)} FROM groups"
        column = PAIR_ID
    ids = _run(db.dataset, Compiled(f"SELECT DISTINCT {quote_ident(column)} AS id FROM ({sql}) AS q", names.params))
    return ids["id"].combine_chunks()


def _aliases(db: SynphysDatabase, selection: PairSelection, columns: Iterable[tuple[str, str]],
             pre: list[CellClass], post: list[CellClass], connectivity: bool) -> set[str]:
    """Every pair-query alias the statement joined: filtered, output, class criteria (and their parents)."""
    from ..synphys import joins
    from ..filters import columns_of

    scope = db.pair_scope
    read = {scope.resolve(c)[0] for c in columns_of(selection.where)} | {a for a, _ in columns}
    read |= {f"{side}_{t}" for side, classes in (("pre", pre), ("post", post)) for c in classes
             for t in c.tables if t != "cell"}
    if connectivity:
        read.add("synapse")
    return set(joins.needed(read))


def _walk(dataset: Dataset, pair_ids: pa.Array, chosen: Sequence[Hop]) -> dict[str, list[Node]]:
    """Per table, the restriction(s) selecting the rows each hop reached from ``pair_ids``."""
    if not len(pair_ids):
        return {}
    wanted: dict[str, set[str]] = {"pair": {"id"}}
    for hop in chosen:
        wanted.setdefault(hop.parent, set()).add(hop.parent_key)
    frames = {"pair": _rows(dataset, Hop("pair", "pair", "id", "", ""), pair_ids, wanted["pair"])}
    keys: dict[tuple[str, str, Node], list[pa.Array]] = {("pair", "id", TRUE): [pair_ids]}
    for hop in chosen:
        values = pc.unique(frames[hop.parent][hop.parent_key].combine_chunks()).drop_null()
        if not len(values):
            continue
        keys.setdefault((hop.table, hop.key, hop.where), []).append(values)
        if hop.alias in wanted:
            frames[hop.alias] = _rows(dataset, hop, values, wanted[hop.alias])
    reads: dict[str, list[Node]] = {}
    for (table, key, where), arrays in keys.items():
        values = pc.unique(pa.concat_arrays([a.cast(arrays[0].type) for a in arrays]))
        node = InSet(key, values)
        reads.setdefault(table, []).append(node if where == TRUE else And((node, where)))
    return reads


def _rows(dataset: Dataset, hop: Hop, keys: pa.Array, columns: set[str]) -> pa.Table:
    """The ``columns`` of the rows ``hop`` reaches for ``keys``."""
    schema = dataset.schema(hop.table)
    names, relations = ParamNames(), Relations()
    where = compile_filter(And((InSet(hop.key, keys), hop.where)), Scope.of(schema), names=names, relations=relations)
    select = ", ".join(schema.ident(c) for c in sorted(columns))
    return _run(dataset, Compiled(f"SELECT {select} FROM {quote_ident(schema.name)} WHERE {where.sql}", names.params),
                relations)


def _project_witnesses(dataset: Dataset, where: Node) -> Node | None:
    """One experiment per project name the selection filters on (``pair_query`` checks the names exist)."""
    projects = _project_names(where)
    if not projects:
        return None
    ids = _run(dataset, Compiled('SELECT min("id") AS "id" FROM "experiment" WHERE "project_name" = ANY($p) '
                                 'GROUP BY "project_name"', {"p": sorted(projects)}))["id"]
    return InSet("id", ids) if len(ids) else None


def _project_names(node: Node) -> set[str]:
    if isinstance(node, (And, Or)):
        return set().union(*(_project_names(i) for i in node.items)) if node.items else set()
    if isinstance(node, (InSet, Equal)) and node.col.name == "project_name" and node.col.table == "experiment":
        return set(node.values) if isinstance(node, InSet) else {node.value}
    return set()


def _run(dataset: Dataset, compiled: Compiled, relations: Relations | None = None) -> pa.Table:
    return relation_result(dataset, compiled, relations).arrow()


def record_table_query(query: TableQuery) -> None:
    """Log a ``SynphysDatabase.table(...)`` query: for every table it joined, the keys of the rows it returns.

    One restriction per joined alias, ``key IN (keys in the answer)`` (left-join nulls left out), taken
    from the same statement with only the keys selected; a table without a one-column primary key is
    logged whole. No-op when no analysis is active.
    """
    analysis = active()
    source = source_of(query.dataset)
    if analysis is None or source is None:
        return
    keys = {alias: query.dataset.schema(table).primary_key for alias, table in query.aliases.items()}
    keyed = {alias: key[0] for alias, key in keys.items() if len(key) == 1}
    answer = query.dataset.result(
        dataclasses.replace(query, columns=tuple(f"{a}.{k}" for a, k in keyed.items())).compiled()
    ).arrow() if keyed else None
    for alias, table in query.aliases.items():
        if alias not in keyed:
            record(analysis, source, table, TRUE, query.dataset)
            continue
        values = pc.unique(answer.column(f"{alias}.{keyed[alias]}").drop_null())  # type: ignore[union-attr]
        if len(values):
            record(analysis, source, table, InSet(keyed[alias], values), query.dataset)
