"""``preview_tables``: what a paper's analyses logged, per table, as lazy results (before the cascade)."""

from __future__ import annotations

from collections.abc import Iterable

from ..filters.relations import Relations, relation_result
from ..result import Result
from ..sql import Compiled, ParamNames
from .cascade import TableSlice, merge
from .catalog import Logged
from .sources import SliceSource, SourceRef, open_source


def preview(logged: Iterable[Logged]) -> dict[str, Result]:
    """``{table: rows matching the OR of its logged restrictions}``; ``<source>/<table>`` keys for several sources."""
    grouped: dict[SourceRef, dict[str, list[Logged]]] = {}
    for item in logged:
        grouped.setdefault(item.source, {}).setdefault(item.table, []).append(item)
    out: dict[str, Result] = {}
    for ref, tables in grouped.items():
        source = open_source(ref)
        prefix = f"{ref.name}/" if len(grouped) > 1 else ""
        for table, items in tables.items():
            piece = TableSlice(table, merge([i.restriction for i in items]))
            out[prefix + table] = rows(source, table, piece)
    return out


def rows(source: SliceSource, table: str, piece: TableSlice) -> Result:
    """A lazy result of the rows of ``piece`` (the source stays open while the result is in use)."""
    names, relations = ParamNames(), Relations()
    where = piece.where(source.schema(table), names, relations)
    compiled = Compiled(f"SELECT * FROM {source.relations[table]} WHERE {where}", names.params)
    return relation_result(source.dataset, compiled, relations)
