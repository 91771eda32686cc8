"""``pair_query``: the reference's pair selection as one SQL statement, one row per pair.

Arguments become filter-compiler IR over the pair aliases (``joins.py``); cell classes become
semi-joins (``membership.py``). Output columns are named like the reference's dataframes
(``pair.id``, ``pre_cell.cre_type``, ``synapse.psp_amplitude``). Where the reference silently
ignores an argument (an unknown ``experiment_type``, ``synapse_probed='True'``) this raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError, UnknownNameError
from ..filters import (
    TRUE,
    And,
    Col,
    Equal,
    InSet,
    IsNull,
    Node,
    Not,
    Or,
    Range,
    Relations,
    as_node,
    between,
    columns_of,
    parse_filter_dicts,
)
from ..filters import compile as compile_filter
from ..sql import ParamNames, quote_ident
from . import joins
from .cell_class import CellClass
from .columns import parse_col
from .membership import in_class
from .vocabulary import EXPERIMENT_TYPES, PROBED_TEST_SPIKE_LIMIT, SYNAPSE_TYPES

if TYPE_CHECKING:
    from .database import SynphysDatabase

PRELOAD_GROUPS: dict[str, tuple[str, ...]] = {
    "experiment": ("experiment", "slice"),
    "cell": tuple(j.alias for j in joins.JOINS if j.alias.startswith(("pre_", "post_"))),
    "synapse": ("synapse", "resting_state_fit", "dynamics", "synapse_model"),
    "synapse_prediction": ("synapse_prediction",),
}
"""Preload option -> the aliases whose columns it adds (``pair.*`` always comes back)."""

DEFERRED: dict[str, tuple[str, ...]] = {
    "dynamics": ("stp_all_stimuli",),
    "synapse_model": ("parameter_space", "marginal_distributions", "confidence_intervals", "ml_stp_all_stimuli"),
}
"""Large columns the reference's ORM defers, so its dataframes leave them out; ask for them in ``columns``."""


@dataclass(frozen=True)
class PairSelection:
    """A validated pair query: IR over the pair aliases plus the pre / post cell classes."""

    where: Node
    pre_class: CellClass | None = None
    post_class: CellClass | None = None


def probed(cell_class: Col) -> Node:
    """Probed for the synapse type the pre cell's ``cell_class`` (or ``cell_class_nonsynaptic``) predicts.

    ``ex`` needs > 10 excitatory test spikes, ``in`` > 10 inhibitory ones, anything else both.
    """
    ex = Range(Col("n_ex_test_spikes", joins.ROOT), lo=PROBED_TEST_SPIKE_LIMIT, lo_inclusive=False)
    inh = Range(Col("n_in_test_spikes", joins.ROOT), lo=PROBED_TEST_SPIKE_LIMIT, lo_inclusive=False)
    return Or((And((Equal(cell_class, "ex"), ex)), And((Equal(cell_class, "in"), inh)), And((ex, inh))))


def definitely_not(node: Node) -> Node:
    """Two-valued negation of an And/Or of Equal/Range leaves: true exactly where ``node`` is not (NULLs included)."""
    if isinstance(node, And):
        return Or(tuple(definitely_not(i) for i in node.items))
    if isinstance(node, Or):
        return And(tuple(definitely_not(i) for i in node.items))
    if isinstance(node, (Equal, Range)):
        return Or((IsNull(node.col), Not(node)))
    raise TypeError(f"definitely_not does not handle {type(node).__name__}")


def select_pairs(
    db: SynphysDatabase,
    pre_class: CellClass | None = None,
    post_class: CellClass | None = None,
    synapse: bool | None = None,
    synapse_type: str | None = None,
    synapse_probed: bool | None = None,
    electrical: bool | None = None,
    experiment_type: str | None = None,
    project_name: str | Sequence[str] | None = None,
    acsf: str | Sequence[str] | None = None,
    age: tuple[float | None, float | None] | None = None,
    species: str | Sequence[str] | None = None,
    distance: tuple[float | None, float | None] | None = None,
    internal: str | Sequence[str] | None = None,
    filter_exprs: Node | Iterable[Node] | Mapping[str, Any] | None = None,
) -> PairSelection:
    """Check every ``pair_query`` filter argument and turn it into IR (in the reference's order)."""
    pair, expt, slc = (partial(Col, table=t) for t in (joins.ROOT, "experiment", "slice"))
    nodes: list[Node] = []
    if experiment_type is not None:
        if experiment_type not in EXPERIMENT_TYPES:
            raise UnknownNameError("experiment_type", experiment_type, EXPERIMENT_TYPES)
        if project_name is not None:
            raise BadInputError("give experiment_type or project_name, not both (experiment_type selects the projects)")
        project_name = list(EXPERIMENT_TYPES[experiment_type])
    for name, cls in (("pre_class", pre_class), ("post_class", post_class)):
        if cls is not None and not isinstance(cls, CellClass):
            raise BadInputError(f"{name} must be a CellClass or None, not {type(cls).__name__}")
    if _flag(synapse, "synapse") is not None:
        nodes.append(Equal(pair("has_synapse"), synapse))
    if synapse_type is not None:
        if synapse_type not in SYNAPSE_TYPES:
            raise UnknownNameError("synapse_type", synapse_type, SYNAPSE_TYPES)
        nodes.append(Equal(Col("synapse_type", "synapse"), synapse_type))
    if _flag(synapse_probed, "synapse_probed") is not None:
        test = probed(Col("cell_class", "pre_cell"))
        nodes.append(test if synapse_probed else definitely_not(test))
    if _flag(electrical, "electrical") is not None:
        nodes.append(Equal(pair("has_electrical"), electrical))
    if project_name is not None:
        names = _strings(project_name, "project_name")
        known = db.list_project_names()
        for name in names:
            if name not in known:
                raise UnknownNameError("project_name", name, known, f"release {db.version_name}")
        nodes.append(InSet(expt("project_name"), names))
    if acsf is not None:
        nodes.append(InSet(expt("acsf"), _strings(acsf, "acsf")))
    if age is not None:
        nodes.append(between(slc("age"), age) or TRUE)
    if species is not None:
        nodes.append(InSet(slc("species"), _strings(species, "species")))
    if distance is not None:
        nodes.append(between(pair("distance"), distance) or TRUE)
    if internal is not None:
        nodes.append(InSet(expt("internal"), _strings(internal, "internal")))
    if isinstance(filter_exprs, Mapping):
        filter_exprs = parse_filter_dicts(filter_exprs, db.pair_scope)
    nodes.append(as_node(filter_exprs))
    return PairSelection(And(tuple(nodes)), pre_class, post_class)


def output_columns(
    db: SynphysDatabase, preload: Iterable[str] = (), columns: Iterable[str | Col] = ()
) -> list[tuple[str, str]]:
    """``(alias, column)`` for ``pair.*``, each preload group's tables (minus deferred columns), then ``columns``."""
    if isinstance(preload, str):
        preload = (preload,)
    aliases = [joins.ROOT]
    for group in preload:
        if group not in PRELOAD_GROUPS:
            raise UnknownNameError("preload option", group, PRELOAD_GROUPS)
        aliases += [a for a in PRELOAD_GROUPS[group] if a not in aliases]
    scope = db.pair_scope
    out = [(a, c) for a in aliases for c in scope.tables[a].names if c not in DEFERRED.get(a, ())]
    if isinstance(columns, (str, Col)):
        columns = (columns,)
    for spec in columns:
        col = parse_col(spec)
        alias, column = scope.resolve(col)
        if (alias, column.name) not in out:
            out.append((alias, column.name))
    return out


def pair_statement(
    db: SynphysDatabase,
    selection: PairSelection,
    columns: Sequence[tuple[str, str]],
    names: ParamNames,
    *,
    order: bool = True,
    expressions: Sequence[tuple[str, str]] = (),
    relations: Relations | None = None,
    root: str = joins.ROOT,
    per: Sequence[str] = (),
) -> str:
    """``SELECT <columns AS "alias.col"> FROM <needed joins> WHERE ...`` with one row per pair.

    ``expressions`` are extra ``(sql, name)`` outputs; they may read only the always-joined aliases
    (pair, pre_cell, post_cell, experiment). With ``relations``, long value lists become key tables
    (run the statement through ``relation_result``). ``root`` replaces the ``pair`` table by a CTE of
    pair rows with extra columns ``per`` (a class-grid cell, a group): one row per pair and ``per``.
    """
    scope = db.pair_scope
    parts = [compile_filter(selection.where, scope, names=names, relations=relations).sql]
    for cls, side in ((selection.pre_class, "pre"), (selection.post_class, "post")):
        if cls is not None:
            parts.append(in_class(f'"pair"."{side}_cell_id"', cls, db.dataset, names))
    where = " AND ".join(f"({c})" for c in parts)
    filtered = {scope.resolve(c)[0] for c in columns_of(selection.where)}
    aliases = joins.needed(filtered | {a for a, _ in columns})
    # A repeating table nobody filters on joins its first row per key up front (cheap); one that a
    # filter reads joins every row, and the filtered rows are cut to one per pair afterwards.
    repeating = [a for a in aliases if a in db.repeating_aliases]
    filtered_repeating = [a for a in repeating if a in joins.needed(filtered)]
    first_only = [a for a in repeating if a not in filtered_repeating]
    select = ", ".join([*(f"{quote_ident(a)}.{quote_ident(c)} AS {quote_ident(f'{a}.{c}')}" for a, c in columns),
                        *(f"{sql} AS {quote_ident(name)}" for sql, name in expressions)])
    sql = f"SELECT {select} {joins.from_clause(aliases, first_only, root)} WHERE {where}"
    if filtered_repeating:
        partition = ", ".join(f'"pair".{quote_ident(c)}' for c in ("id", *per))
        ids = ", ".join(f'{quote_ident(a)}."id"' for a in filtered_repeating)
        sql += f" QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {ids}) = 1"
    return sql + (' ORDER BY "pair"."id"' if order else "")


def _flag(value: Any, name: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise BadInputError(f"{name} must be True, False or None, not {type(value).__name__} {value!r}")
    return value


def _strings(value: Any, name: str) -> list[str]:
    values = [value] if isinstance(value, str) else value
    listed = isinstance(values, (list, tuple, set, frozenset)) and values
    if not listed or not all(isinstance(v, str) for v in values):
        raise BadInputError(f"{name} must be a string or a non-empty list of strings, not {value!r}")
    return sorted(values) if isinstance(values, (set, frozenset)) else list(values)
