"""Cell-class membership in SQL: a class filter as a semi-join, or many classes as boolean columns per cell.

A cell belongs to a class when *some* combination of its morphology, intrinsic, location and
patch-seq rows satisfies every criterion. That is the reference's semantics: its ``filter_query``
outer-joins fresh aliases of the four tables and the ORM de-duplicates the pairs, so a cell with
two intrinsic rows is in the class if either row matches.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from ..filters import Scope
from ..filters import compile as compile_filter
from ..sql import ParamNames, quote_ident
from .cell_class import CellClass
from .criteria import DETAIL_TABLES, RESOLUTION_ORDER

if TYPE_CHECKING:
    from ..dataset import Dataset


def cell_scope(dataset: Dataset) -> Scope:
    """The per-cell tables under their own names, in the reference's resolution order."""
    return Scope({t: dataset.schema(t) for t in RESOLUTION_ORDER}, qualify=True)


def cell_from(tables: Iterable[str]) -> str:
    """``FROM cell LEFT JOIN <detail> ON <detail>.cell_id = cell.id ...`` for the detail tables in ``tables``."""
    used = set(tables)
    joins = "".join(
        f" LEFT JOIN {quote_ident(t)} AS {quote_ident(t)} ON {quote_ident(t)}.\"cell_id\" = \"cell\".\"id\""
        for t in DETAIL_TABLES if t in used
    )
    return f'FROM "cell" AS "cell"{joins}'


def in_class(cell_id_sql: str, cls: CellClass, dataset: Dataset, names: ParamNames) -> str:
    """``<cell_id_sql> IN (the ids of the cells in cls)``, with the class filter from the compiler."""
    where = compile_filter(cls.filter(), cell_scope(dataset), names=names).sql
    return f'{cell_id_sql} IN (SELECT "cell"."id" {cell_from(cls.tables)} WHERE {where})'


def membership_sql(
    classes: Sequence[CellClass], dataset: Dataset, names: ParamNames, repeating: Collection[str] = DETAIL_TABLES
) -> str:
    """``SELECT cell_id, m0, m1, ...``: one never-null boolean column per class, one row per cell.

    Cells are grouped (any matching row) only when a joined table in ``repeating`` repeats cells.
    """
    scope = cell_scope(dataset)
    tables = set().union(*(c.tables for c in classes)) if classes else set()
    grouped = any(t in repeating for t in tables)
    wrap = "bool_or" if grouped else ""
    flags = "".join(
        f", {wrap}(coalesce({compile_filter(c.filter(), scope, names=names).sql}, false)) AS {quote_ident(f'm{i}')}"
        for i, c in enumerate(classes)
    )
    group = ' GROUP BY "cell"."id"' if grouped else ""
    return f'SELECT "cell"."id" AS "cell_id"{flags} {cell_from(tables)}{group}'
