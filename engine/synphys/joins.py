"""The pair query's FROM clause: the reference's joins and aliases, emitted only when something reads them.

``pair`` is inner-joined to both cells and the experiment (as in the reference, this drops pairs
with a dangling key); every other table is a LEFT JOIN, so leaving out one nobody reads changes no
row set once fan-out is removed (``pair_query`` keeps one row per pair). ``gap_junction`` is an
extension: the reference leaves it for the caller to outer-join.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..dataset import Dataset
from ..filters import Scope
from ..sql import quote_ident


@dataclass(frozen=True, slots=True)
class Join:
    """``<kind> <table> AS <alias> ON <alias>.<key> = <parent>.<parent_key>``."""

    alias: str
    table: str
    key: str
    parent: str
    parent_key: str
    inner: bool = False

    def sql(self, first_only: bool = False) -> str:
        """The join; ``first_only`` joins only the lowest-id row per key (the table repeats keys)."""
        kind = "JOIN" if self.inner else "LEFT JOIN"
        a, p, t, k = quote_ident(self.alias), quote_ident(self.parent), quote_ident(self.table), quote_ident(self.key)
        source = f'(SELECT * FROM {t} WHERE "id" IN (SELECT min("id") FROM {t} GROUP BY {k}))' if first_only else t
        return f"{kind} {source} AS {a} ON {a}.{k} = {p}.{quote_ident(self.parent_key)}"


def _cell_details(side: str) -> tuple[Join, ...]:
    return tuple(
        Join(f"{side}_{t}", t, "cell_id", f"{side}_cell", "id")
        for t in ("morphology", "patch_seq", "intrinsic", "cortical_cell_location")
    )


ROOT = "pair"
JOINS: tuple[Join, ...] = (
    Join("pre_cell", "cell", "id", ROOT, "pre_cell_id", inner=True),
    Join("post_cell", "cell", "id", ROOT, "post_cell_id", inner=True),
    *(j for pair in zip(_cell_details("pre"), _cell_details("post")) for j in pair),
    Join("experiment", "experiment", "id", ROOT, "experiment_id", inner=True),
    Join("slice", "slice", "id", "experiment", "slice_id"),
    Join("synapse", "synapse", "pair_id", ROOT, "id"),
    Join("synapse_prediction", "synapse_prediction", "pair_id", ROOT, "id"),
    Join("dynamics", "dynamics", "pair_id", ROOT, "id"),
    Join("resting_state_fit", "resting_state_fit", "synapse_id", "synapse", "id"),
    Join("synapse_model", "synapse_model", "pair_id", ROOT, "id"),
    Join("conductance", "conductance", "synapse_id", "synapse", "id"),
    Join("gap_junction", "gap_junction", "pair_id", ROOT, "id"),
)
"""Every alias the pair query knows, in the reference's join order (so parents come first)."""

BY_ALIAS: dict[str, Join] = {j.alias: j for j in JOINS}
ALIASES: tuple[str, ...] = (ROOT, *BY_ALIAS)
ALWAYS: tuple[str, ...] = tuple(j.alias for j in JOINS if j.inner)
SYNONYMS: dict[str, str] = {
    "pre_location": "pre_cortical_cell_location",
    "post_location": "post_cortical_cell_location",
}
"""The reference's query attributes ``q.pre_location`` / ``q.post_location`` name these aliases."""


def table_of(alias: str) -> str:
    return ROOT if alias == ROOT else BY_ALIAS[alias].table


def pair_scope(dataset: Dataset) -> Scope:
    """Every alias (in join order, so unqualified names resolve pair first, then pre_cell ...) -> its schema."""
    tables = {alias: dataset.schema(table_of(alias)) for alias in ALIASES if table_of(alias) in dataset.tables}
    return Scope(tables, synonyms=SYNONYMS, qualify=True)


def needed(aliases: Iterable[str]) -> list[str]:
    """The joins to emit for ``aliases``: the inner joins, the aliases and their parents, in join order."""
    wanted = set(ALWAYS)
    for alias in aliases:
        while alias != ROOT:
            wanted.add(alias)
            alias = BY_ALIAS[alias].parent
    return [j.alias for j in JOINS if j.alias in wanted]


def from_clause(aliases: Iterable[str], first_only: Iterable[str] = (), root: str = ROOT) -> str:
    """``FROM <root> AS pair JOIN ...`` for exactly the given (already ``needed``) aliases.

    Aliases in ``first_only`` join one row per key (the lowest id) instead of every repeat; ``root``
    is the ``pair`` table or a CTE of pair rows (the matrix's pairs in the class grid).
    """
    single = set(first_only)
    joins = " ".join(BY_ALIAS[a].sql(a in single) for a in aliases)
    return f"FROM {quote_ident(root)} AS {quote_ident(ROOT)} {joins}"


def fan_out_keys() -> dict[str, tuple[str, str]]:
    """Alias -> (table, key) for the joins that can repeat a pair when the key is not unique in the file."""
    return {j.alias: (j.table, j.key) for j in JOINS if j.key != "id"}
