"""The client's arguments -> a ``Query``: relations, column selection, suffixes (cave.md §5.3) and parsed filters.

Selection follows the reference: model names (``pre_pt_position``, not ``_x``); selecting
``P_root_id`` also selects ``P_supervoxel_id``; in a join a dict selects per table and a list
takes each name from the first table that has it. A name selected from several tables gets
each table's suffix (default ``x``, ``y``, ... without underscore, as the reference server does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import cycle
from typing import Any

from ..errors import BadInputError, UnknownColumnError, UnknownTableError
from ..filters import parse_filter_dicts
from ..schema import TableSchema
from .mirror import Mirror
from .query import Join, Part, Query
from .tables import ROOT, SUPERVOXEL, AnnotationTable, ModelColumns

FILTER_ARGS = (
    "filter_in_dict", "filter_out_dict", "filter_equal_dict", "filter_greater_dict", "filter_less_dict",
    "filter_greater_equal_dict", "filter_less_equal_dict", "filter_spatial_dict", "filter_regex_dict",
)
ATTR_NAMES = {
    "filter_in_dict": "inclusive", "filter_out_dict": "exclusive", "filter_equal_dict": "equal",
    "filter_greater_dict": "greater", "filter_less_dict": "less", "filter_greater_equal_dict": "greater_equal",
    "filter_less_equal_dict": "less_equal", "filter_spatial_dict": "spatial", "filter_regex_dict": "regex",
}
REFERENCE_SUFFIXES = ("", "_ref")


def default_suffixes(n: int) -> list[str]:
    """The first ``n`` of ``x, y, z, xx, yy, zz, ...``: the reference server's join suffixes (no underscore)."""
    return [axis * (1 + i // 3) for i, axis in zip(range(n), cycle("xyz"))]


def selection(model: ModelColumns, columns: Sequence[str] | None) -> tuple[str, ...]:
    """Validated model columns in the order given (all when None); a root id brings its supervoxel id."""
    if columns is None:
        return tuple(model.names)
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise BadInputError(f"select_columns takes a list of column names, got {columns!r}")
    out: list[str] = []
    for name in columns:
        model.split(name)
        supervoxel = name[: -len(ROOT)] + SUPERVOXEL if name.endswith(ROOT) else None
        if supervoxel in model.groups and supervoxel not in columns and supervoxel not in out:
            out.append(supervoxel)
        if name not in out:
            out.append(name)
    return tuple(out)


def table_part(table: AnnotationTable, columns: Sequence[str] | None, suffix: str = "") -> Part:
    """A FROM-clause relation for ``table`` selecting ``columns`` (all when None)."""
    return Part(table.name, table.schema, selection(table.model, columns), suffix, table.resolution, table)


def parse(query: Query, filters: Mapping[str, Any]) -> Query:
    """``query`` with its filter dicts parsed and bound (unknown columns and bad values fail here)."""
    dicts = {key: value for key, value in filters.items() if value}
    query.node = parse_filter_dicts(dicts, query.scope()) if dicts else None
    return query


def simple(mirror: Mirror, table: str, select_columns: Sequence[str] | None, merge_reference: bool) -> Query:
    """One table, or the table joined to its reference table (``target_id = id``, suffixes ``""`` / ``"_ref"``)."""
    described = mirror.table(table)
    reference = described.reference_table if merge_reference else None
    if reference is None:
        return Query([table_part(described, select_columns)])
    return join(mirror, [[table, "target_id"], [reference, "id"]], select_columns, list(REFERENCE_SUFFIXES))


def join(
    mirror: Mirror,
    tables: Sequence[Sequence[str]],
    select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None,
    suffixes: Sequence[str] | Mapping[str, str] | None,
) -> Query:
    """Two tables joined ``tables[0][1] = tables[1][1]`` (an inner join, like the reference's)."""
    if isinstance(tables, str) or len(tables) != 2 or any(isinstance(t, str) or len(t) != 2 for t in tables):
        raise BadInputError(f"tables must be [[table1, column1], [table2, column2]], got {tables!r}")
    (left, left_column), (right, right_column) = tables
    return chain(mirror, left, [(left, left_column, right, right_column)], select_columns, suffixes)


def chain(
    mirror: Mirror,
    first: str,
    joins: Sequence[Sequence[str]],
    select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None,
    suffixes: Sequence[str] | Mapping[str, str] | None,
) -> Query:
    """``first`` joined in turn to each ``[table1, column1, table2, column2]`` (live_live_query's ``joins``)."""
    names = [first]
    for item in joins:
        if isinstance(item, str) or len(item) != 4:
            raise BadInputError(f"each join is [table1, column1, table2, column2], got {item!r}")
        for name in (item[0], item[2]):
            if name not in names:
                names.append(name)
    if len(set(names)) != len(names) or len(names) != len(joins) + 1:
        raise BadInputError(f"joins must link {len(joins) + 1} distinct tables once each, got {joins!r}")
    described = [mirror.table(n) for n in names]
    picked = _pick_columns(described, select_columns)
    chosen = _suffixes(names, suffixes)
    parts = [table_part(t, cols, s) for t, cols, s in zip(described, picked, chosen)]
    return Query(parts, [_join(mirror, item) for item in joins])


def _join(mirror: Mirror, item: Sequence[str]) -> Join:
    left, left_column, right, right_column = item
    for table, column in ((left, left_column), (right, right_column)):
        schema = mirror.table(table).schema
        if not schema.has(column):
            raise UnknownColumnError(column, schema.names, table)
    return Join(left, left_column, right, right_column)


def _pick_columns(
    tables: Sequence[AnnotationTable], select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None
) -> list[Sequence[str] | None]:
    """Per table, the columns to select (None: all)."""
    if select_columns is None:
        return [None] * len(tables)
    names = [t.name for t in tables]
    if isinstance(select_columns, Mapping):
        for name in select_columns:
            if name not in names:
                raise UnknownTableError(name, names, "select_columns (tables of this query)")
        return [list(select_columns.get(n, [])) for n in names]
    if isinstance(select_columns, str):
        raise BadInputError(f"select_columns takes a list of column names, got {select_columns!r}")
    per_table: list[list[str]] = [[] for _ in tables]
    for column in select_columns:
        owner = next((i for i, t in enumerate(tables) if column in t.model.groups), None)
        if owner is None:
            raise UnknownColumnError(column, {c for t in tables for c in t.model.names}, " or ".join(names))
        per_table[owner].append(column)
    return per_table


def _suffixes(names: Sequence[str], suffixes: Sequence[str] | Mapping[str, str] | None) -> list[str]:
    defaults = default_suffixes(len(names))
    if suffixes is None:
        chosen = defaults[: len(names)]
    elif isinstance(suffixes, Mapping):
        for name in suffixes:
            if name not in names:
                raise UnknownTableError(name, names, "suffixes (tables of this query)")
        chosen = [str(suffixes.get(n, defaults[i])) for i, n in enumerate(names)]
    elif isinstance(suffixes, str) or len(suffixes) != len(names):
        raise BadInputError(f"suffixes takes one suffix per table ({len(names)}), got {suffixes!r}")
    else:
        chosen = [str(s) for s in suffixes]
    if len(set(chosen)) != len(chosen):
        raise BadInputError(f"suffixes must differ between tables, got {chosen!r}")
    return chosen


def view(mirror: Mirror, name: str, select_columns: Sequence[str] | None) -> Query:
    """A view as one relation (its own columns; positions are its ``_x/_y/_z`` triples)."""
    mirror.view(name)
    schema: TableSchema = mirror.view_schema(name)
    resolution = mirror.layout.views[name].metadata.get("voxel_resolution") or mirror.layout.info.get("voxel_resolution")
    part = Part(name, schema, selection(ModelColumns(schema), select_columns), "",
                tuple(float(v) for v in resolution) if resolution else None)
    return Query([part], view=name)


def filter_args(values: Mapping[str, Any]) -> dict[str, Any]:
    """The filter-dict arguments among a call's arguments (the client's parameter names)."""
    return {key: values.get(key) for key in FILTER_ARGS}

