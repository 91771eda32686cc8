"""The service's JSON records rewritten in the mirror layout's conventions (the inverse of the server's payloads).

Layout timestamps are ISO 8601 with microseconds and ``+00:00``; the service sends naive UTC.
Table metadata stores ``voxel_resolution`` as a list; the service sends ``voxel_resolution_x/y/z``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from engine.errors import BadInputError

_TIME_KEYS = ("time_stamp", "expires_on", "created", "last_modified", "last_updated")
VERSION_KEYS = ("version", "time_stamp", "expires_on", "valid", "status", "is_merged")


def utc(value: str | datetime) -> datetime:
    """A service timestamp (naive = UTC) as an aware UTC datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise BadInputError(f"the service sent {value!r}, which is not an ISO 8601 timestamp") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def layout_time(value: str | datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat(timespec="microseconds")


def _times(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: layout_time(v) if k in _TIME_KEYS and v is not None else v for k, v in record.items()}


def version_record(meta: Mapping[str, Any]) -> dict[str, Any]:
    """One versions.json entry (the layout keeps no database id or datastack name)."""
    return _times({k: meta.get(k) for k in VERSION_KEYS})


def table_record(meta: Mapping[str, Any]) -> dict[str, Any]:
    """``tables/<t>.json``: voxel resolution folded into a list, times in layout form."""
    out = _times({k: v for k, v in meta.items() if not k.startswith("voxel_resolution_")})
    out["voxel_resolution"] = [meta.get(f"voxel_resolution_{a}") for a in "xyz"]
    out.setdefault("reference_table", None)
    return out


def datastack_record(info: Mapping[str, Any], datastack: str, url: str, resolution: list[float]) -> dict[str, Any]:
    """``datastack.json`` from the info record (``source`` says where the mirror came from)."""
    volume = info.get("aligned_volume") or {}
    return {
        "datastack": datastack,
        "aligned_volume": {"name": volume.get("name", f"{datastack}_volume"), "id": volume.get("id", 1)},
        "voxel_resolution": resolution,
        "synapse_table": info.get("synapse_table"),
        "soma_table": info.get("soma_table"),
        "description": info.get("description") or f"Mirror of {datastack} from {url}.",
        "source": url,
    }
