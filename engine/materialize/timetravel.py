"""As-of relations: the state of a table at one moment, as SQL over its all-rows relation.

An annotation is live at ``T`` when ``created <= T`` and it was not deleted by then
(``deleted IS NULL OR deleted > T``); a row with ``valid = false`` and no ``deleted`` time was
never live. A root owns a supervoxel on the half-open interval ``[valid_from, valid_to)``
(``valid_to`` NULL = still current), so at an edit instant the new root is the owner.
Supervoxel 0 always maps to root 0. ``T`` is always a bound parameter (the ``ts`` text, e.g. ``$p0``).
"""

from __future__ import annotations

from ..sql import quote_ident
from .source import ROOTS_VIEW
from .tables import AnnotationTable

ROOTS_AT = "__roots_at"


class Materialized(str):
    """A CTE body DuckDB must compute once, before the query around it (a plan fence)."""


def with_clause(named: dict[str, str]) -> str:
    """``WITH "a" AS (...), "b" AS MATERIALIZED (...)`` for named bodies, in order."""
    return "WITH " + ", ".join(
        f"{quote_ident(a)} AS {'MATERIALIZED ' if isinstance(b, Materialized) else ''}({b})" for a, b in named.items()
    )


def roots_at_sql(ts: str) -> str:
    """Body of a relation ``(supervoxel_id, root_id)``: the owner of each supervoxel at ``ts``."""
    return (
        f'SELECT "supervoxel_id", "root_id" FROM {quote_ident(ROOTS_VIEW)} '
        f'WHERE "valid_from" <= {ts} AND ("valid_to" IS NULL OR "valid_to" > {ts})'
    )


def live_sql(alias: str, ts: str) -> str:
    """Condition: the row of ``alias`` is live at ``ts``."""
    a = quote_ident(alias)
    return (
        f'{a}."created" <= {ts} AND ({a}."deleted" IS NULL OR {a}."deleted" > {ts}) '
        f'AND ({a}."valid" OR {a}."deleted" IS NOT NULL)'
    )


def root_sql(supervoxel: str, owner: str) -> str:
    """The root of ``supervoxel`` given the joined owner column (0 for supervoxel 0, NULL if unknown)."""
    return f"CASE WHEN {supervoxel} = 0 THEN 0 ELSE {owner} END"


def asof_sql(table: AnnotationTable, ts: str, source: str, roots: str = ROOTS_AT, where: str = "") -> str:
    """``SELECT`` of ``table``'s materialized columns at ``ts`` from ``source`` (raw rows) and ``roots`` (owners at ``ts``).

    ``where`` is an extra condition on the raw rows (alias ``a``), evaluated before the root joins.
    """
    select, joins = [], []
    root_of = {sv: root for root, sv in table.root_columns().items()}
    for name in table.schema.names:
        if name == "valid":
            select.append('true AS "valid"')
            continue
        if name in root_of.values():
            continue  # emitted right after its supervoxel column
        select.append(f'"a".{quote_ident(name)}')
        if name in root_of:
            alias = f"r{len(joins)}"
            supervoxel = f'"a".{quote_ident(name)}'
            joins.append(f'LEFT JOIN {quote_ident(roots)} AS "{alias}" ON "{alias}"."supervoxel_id" = {supervoxel}')
            owner = f'"{alias}"."root_id"'
            select.append(f"{root_sql(supervoxel, owner)} AS {quote_ident(root_of[name])}")
    condition = live_sql("a", ts) + (f" AND ({where})" if where else "")
    return f"SELECT {', '.join(select)} FROM {source} AS \"a\" {' '.join(joins)} WHERE {condition}"
