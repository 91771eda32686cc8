"""The schema-service routes ``client.materialize.tables`` reads (``/schema/api/v2/types_all``).

The mirror stores no EMAnnotationSchemas definitions, so each table's schema is described from
its columns, the way the TableManager reads a definition: a point ``P`` is a ``BoundSpatialPoint``
when ``P_supervoxel_id`` exists (filterable by ``P_root_id``), else a ``SpatialPoint``; every other
column is a typed property. Tables sharing a schema name share the first table's description.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from aiohttp import web

from engine.errors import UnknownNameError

from .datastacks import Datastack
from .state import DATASTACKS
from .work import offload

SCHEMA = "/schema/api/v2"
POINT_REFS = {True: "#/definitions/BoundSpatialPoint", False: "#/definitions/SpatialPoint"}
SKIP = {"id", "valid"}


def routes() -> list[web.RouteDef]:
    """The schema-service route table."""
    return [
        web.get("/schema/versions", api_versions),
        web.get(SCHEMA + "/type", schema_names),
        web.get(SCHEMA + "/types_all", all_schemas),
        web.get(SCHEMA + "/type/{schema}", one_schema),
    ]


async def api_versions(request: web.Request) -> web.Response:
    return web.json_response([2])


async def schema_names(request: web.Request) -> web.Response:
    return web.json_response(sorted(await offload(request, _schemas, request)))


async def all_schemas(request: web.Request) -> web.Response:
    return web.json_response(await offload(request, _schemas, request))


async def one_schema(request: web.Request) -> web.Response:
    found = await offload(request, _schemas, request)
    name = request.match_info["schema"]
    if name not in found:
        raise UnknownNameError("schema", name, found, "this server")
    return web.json_response(found[name])


def _schemas(request: web.Request) -> dict[str, Any]:
    """``{schema name: JSON schema}`` over every table of every datastack (first table per name wins)."""
    registry = request.app[DATASTACKS]
    out: dict[str, Any] = {}
    for name in registry.names():
        stack = registry.get(name)
        for table in stack.client.get_tables():
            schema = stack.client.get_table_metadata(table).get("schema") or table
            if schema not in out:
                out[schema] = json_schema(schema, _columns(stack, table))
    return out


def _columns(stack: Datastack, table: str) -> pa.Schema:
    """The table's own columns with positions split (a one-row probe; only its schema is used)."""
    return stack.client.query_table(table, limit=1, merge_reference=False, split_positions=True, metadata=False,
                                     log_warning=False, return_format="arrow").schema


def json_schema(name: str, columns: pa.Schema) -> dict[str, Any]:
    """A marshmallow-jsonschema style definition of the table's annotation fields."""
    names = set(columns.names)
    properties: dict[str, Any] = {}
    covered: set[str] = set()
    for column in columns.names:
        if column.endswith("_position_x") and {column[:-1] + "y", column[:-1] + "z"} <= names:
            point = column[: -len("_position_x")]
            bound = f"{point}_supervoxel_id" in names
            properties[point] = {"$ref": POINT_REFS[bound], "type": "object"}
            covered |= {f"{point}_position_{a}" for a in "xyz"} | {f"{point}_supervoxel_id", f"{point}_root_id"}
    for field in columns:
        if field.name not in covered and field.name not in SKIP:
            properties[field.name] = _json_type(field.type)
    point_def = {"type": "object", "properties": {"position": {"type": "array"}}}
    return {
        "$ref": f"#/definitions/{name}",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {
            name: {"type": "object", "properties": properties, "required": sorted(properties)},
            "BoundSpatialPoint": point_def, "SpatialPoint": point_def,
        },
    }


def _json_type(arrow_type: pa.DataType) -> dict[str, str]:
    if pa.types.is_boolean(arrow_type):
        return {"type": "boolean"}
    if pa.types.is_integer(arrow_type):
        return {"type": "integer"}
    if pa.types.is_floating(arrow_type):
        return {"type": "number", "format": "float"}
    return {"type": "string"}
