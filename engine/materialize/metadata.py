"""Metadata payloads shaped like the reference's (cave.md §9) and the ``df.attrs`` it attaches (§4.4)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from ..schema import TableSchema
from .mirror import Mirror
from .plan import ATTR_NAMES
from .query import Query, output_names
from .tables import fold_triples

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


def table_metadata(mirror: Mirror, table: str) -> dict[str, Any]:
    """A copy of the table's metadata JSON (``voxel_resolution`` as ``[x, y, z]``, ``reference_table`` always present)."""
    return copy.deepcopy(mirror.table(table).metadata)


def view_metadata(mirror: Mirror, view: str) -> dict[str, Any]:
    """The reference's view row: description, datastack, ``voxel_resolution_x/y/z``, notice, live_compatible, table_name."""
    raw = mirror.view(view).metadata
    x, y, z = raw.get("voxel_resolution") or mirror.layout.info.get("voxel_resolution") or [None] * 3
    return {
        "id": sorted(mirror.layout.views).index(view) + 1, "table_name": view,
        "description": raw.get("description"), "datastack_name": mirror.datastack,
        "voxel_resolution_x": x, "voxel_resolution_y": y, "voxel_resolution_z": z,
        "notice_text": raw.get("notice_text"), "live_compatible": bool(raw.get("live_compatible", False)),
    }


def view_schema(schema: TableSchema) -> dict[str, dict[str, str]]:
    """``{column: {"type": ...}}`` with ``_x/_y/_z`` triples as one ``SpatialPoint`` (the reference's JSON schema)."""
    out: dict[str, dict[str, str]] = {}
    for model, split in fold_triples(list(schema.names)):
        out[model] = {"type": "SpatialPoint"} if len(split) == 3 else _json_type(schema.column(model).type)
    return out


def _json_type(arrow_type: pa.DataType) -> dict[str, str]:
    if pa.types.is_boolean(arrow_type):
        return {"type": "boolean"}
    if pa.types.is_integer(arrow_type):
        return {"type": "integer"}
    if pa.types.is_floating(arrow_type):
        return {"type": "float"}
    if pa.types.is_decimal(arrow_type):
        return {"type": "number"}
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return {"type": "string", "format": "date-time"}
    return {"type": "string"}


def _prefixed(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {k if k.startswith("table") else f"table_{k}": v for k, v in metadata.items()}


def timestamp_text(value: Any) -> str | None:
    """The reference's attrs form of a timestamp argument (``%Y-%m-%dT%H:%M:%S.%f``, strings as given)."""
    if isinstance(value, datetime):
        return value.strftime(TIMESTAMP_FORMAT)
    return None if value is None else str(value)


def query_attrs(
    mirror: Mirror,
    query: Query,
    filters: Mapping[str, Any],
    *,
    select_columns: Any,
    offset: int | None,
    limit: int | None,
    live_query: bool,
    timestamp: Any,
    materialization_version: int | None,
    desired_resolution: Sequence[float] | None,
) -> dict[str, Any]:
    """The reference's attrs for a query (table, view or join), plus ``random_sample`` / ``random_seed``."""
    attrs: dict[str, Any] = {"datastack_name": mirror.datastack}
    resolutions = [list(p.resolution) if p.resolution else None for p in query.parts]
    if len(query.parts) == 1:
        part = query.parts[0]
        meta = view_metadata(mirror, part.alias) if query.view else table_metadata(mirror, part.alias)
        attrs["join_query"] = False
        attrs.update(_prefixed(meta))
        attrs["dataframe_resolution"] = list(desired_resolution) if desired_resolution else resolutions[0]
    else:
        attrs["join_query"] = True
        attrs["tables"] = {
            p.alias: {**_prefixed(table_metadata(mirror, p.alias)), "join_column": _join_column(query, p.alias),
                      "suffix": p.suffix}
            for p in query.parts
        }
        same = all(r == resolutions[0] for r in resolutions)
        attrs["dataframe_resolution"] = (
            list(desired_resolution) if desired_resolution else resolutions[0] if same else "mixed_resolutions"
        )
    attrs["filters"] = {ATTR_NAMES[key]: value for key, value in filters.items()}
    attrs.update(
        select_columns=select_columns, offset=offset, limit=limit, live_query=live_query,
        timestamp=timestamp_text(timestamp), materialization_version=materialization_version,
        column_names={p.alias: dict(cols) for p, cols in zip(query.parts, output_names(query.parts))},
    )
    if query.random_sample is not None:
        attrs.update(random_sample=query.random_sample, random_seed=query.random_seed)
    return attrs


def _join_column(query: Query, alias: str) -> str | None:
    for join in query.joins:
        if join.left == alias:
            return join.left_column
        if join.right == alias:
            return join.right_column
    return None
