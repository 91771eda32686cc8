"""The JSON documents caveclient reads, built from the mirror's metadata (cave.md §1, §9).

Traps handled here, once: timestamps go out naive with six fractional digits (caveclient parses
``%Y-%m-%dT%H:%M:%S.%f`` strictly, so ``+00:00`` breaks it); table metadata carries
``voxel_resolution_x/y/z`` (the client folds them back into a list); ``reference_table`` is
always present.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from engine.errors import BadInputError

WIRE_TIME = "%Y-%m-%dT%H:%M:%S.%f"
SERVER_VERSION = "5.26.4"  # the MaterializationEngine release whose protocol we speak (>= 5.13.0 gates query_table)
API_VERSIONS = [2, 3]
_TIME_KEYS = ("time_stamp", "expires_on", "created", "last_modified", "last_updated", "deleted")


def wire_time(value: datetime | str | None) -> str | None:
    """A UTC instant as the reference writes it: naive ISO 8601 with microseconds.

    >>> wire_time("2024-03-01T08:10:00+00:00")
    '2024-03-01T08:10:00.000000'
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise BadInputError(f"{value!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.strftime(WIRE_TIME)


def _times(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: wire_time(v) if k in _TIME_KEYS and isinstance(v, (str, datetime)) else v for k, v in record.items()}


def version_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """One version dump (``id, datastack, version, time_stamp, valid, expires_on, status, is_merged``)."""
    return _times(meta)


def table_json(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Table metadata with ``voxel_resolution_x/y/z`` and a ``reference_table`` key, times naive."""
    out = _times({k: v for k, v in meta.items() if k != "voxel_resolution"})
    x, y, z = meta.get("voxel_resolution") or (None, None, None)
    out.update(voxel_resolution_x=x, voxel_resolution_y=y, voxel_resolution_z=z)
    out["reference_table"] = meta.get("reference_table") or None
    return out


def info_json(info: Mapping[str, Any], datastack: str, base_url: str) -> dict[str, Any]:
    """The info-service record ``CAVEclient(datastack, server_address=...)`` reads at construction.

    ``local_server`` points back at this server (materialize and segmentation live here), and the
    chunked-graph table id in ``segmentation_source`` is the datastack name.
    """
    volume = info.get("aligned_volume") or {"name": f"{datastack}_volume", "id": 1}
    x, y, z = info.get("voxel_resolution") or (None, None, None)
    return {
        "datastack": datastack,
        "aligned_volume": {"description": "", "image_source": "", **volume},
        "local_server": base_url,
        "description": info.get("description", ""),
        "synapse_table": info.get("synapse_table"),
        "soma_table": info.get("soma_table"),
        "segmentation_source": f"graphene://{base_url}/segmentation/table/{datastack}",
        "analysis_database": None,
        "viewer_site": info.get("viewer_site"),
        "skeleton_source": info.get("skeleton_source"),
        "viewer_resolution_x": x, "viewer_resolution_y": y, "viewer_resolution_z": z,
    }
