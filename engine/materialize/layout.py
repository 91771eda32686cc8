"""The local CAVE mirror layout: ``<root>/<datastack>/`` with JSON metadata, Parquet tables, roots and views.

See docs/materialize.md for the layout. This module only finds and reads files; it knows
nothing about time travel or SQL.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInputError, SchemaVersionError, UnknownNameError

DATASTACK_JSON, VERSIONS_JSON = "datastack.json", "versions.json"
TABLES, SEGMENTATION, VIEWS = "tables", "segmentation", "views"
ROOTS = "roots.parquet"


@dataclass(frozen=True)
class TableFiles:
    """One annotation table: its metadata JSON and the Parquet file(s) holding every row ever written."""

    name: str
    metadata: dict[str, Any]
    files: tuple[Path, ...]


@dataclass(frozen=True)
class ViewFiles:
    """One view: its SQL over the tables' plain names and its metadata JSON (may be empty)."""

    name: str
    sql: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Layout:
    """Everything found under ``<root>/<datastack>/``."""

    path: Path
    info: dict[str, Any]
    versions: list[dict[str, Any]]
    tables: dict[str, TableFiles]
    roots: tuple[Path, ...]
    views: dict[str, ViewFiles]

    @property
    def datastack(self) -> str:
        return str(self.info["datastack"])


def open_layout(root: str | os.PathLike[str], datastack: str) -> Layout:
    """Read ``<root>/<datastack>/``; clear errors for URLs, missing roots and unknown datastacks."""
    if isinstance(root, str) and root.split("://", 1)[0].lower() in ("http", "https"):
        raise BadInputError(
            f"{root!r} is a URL: remote mirrors are fetched with `engine mirror-cave` first, "
            "then opened from the local directory"
        )
    if not isinstance(root, (str, os.PathLike)):
        raise BadInputError(f"root_or_url must be a path to a mirror root, got {type(root).__name__}")
    if not isinstance(datastack, str) or not datastack:
        raise BadInputError(f"datastack must be a non-empty name, got {datastack!r}")
    base = Path(root).expanduser()
    if not base.is_dir():
        raise BadInputError(f"mirror root {base} does not exist or is not a directory")
    path = base / datastack
    if not (path / DATASTACK_JSON).is_file():
        found = sorted(p.name for p in base.iterdir() if (p / DATASTACK_JSON).is_file())
        raise UnknownNameError("datastack", datastack, found, f"mirror {base}")
    info = _read_json(path / DATASTACK_JSON, dict)
    info.setdefault("datastack", datastack)
    versions = _read_json(path / VERSIONS_JSON, list)
    return Layout(
        path=path,
        info=info,
        versions=versions,
        tables=_tables(path / TABLES, info),
        roots=parquet_files(path / SEGMENTATION / ROOTS),
        views=_views(path / VIEWS),
    )


def parquet_files(path: Path) -> tuple[Path, ...]:
    """A Parquet file, or every ``*.parquet`` under a directory (sorted, so the row order is stable)."""
    if path.is_file():
        return (path,)
    if path.is_dir():
        files = tuple(sorted(p for p in path.rglob("*.parquet") if p.is_file()))
        if files:
            return files
    raise SchemaVersionError(f"{path} is missing (expected a Parquet file or a directory of Parquet files)")


def _tables(directory: Path, info: Mapping[str, Any]) -> dict[str, TableFiles]:
    if not directory.is_dir():
        raise SchemaVersionError(f"{directory} is missing (the mirror has no tables directory)")
    tables = {}
    for meta_path in sorted(directory.glob("*.json")):
        name = meta_path.stem
        metadata = _table_metadata(name, _read_json(meta_path, dict), info)
        tables[name] = TableFiles(name, metadata, parquet_files(directory / f"{name}.parquet"))
    return tables


def _table_metadata(name: str, raw: dict[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """The table JSON with the keys every consumer reads always present (``reference_table`` may be None)."""
    metadata = dict(raw)
    metadata["table_name"] = name
    for key in ("schema", "description", "reference_table", "notice_text", "created"):
        metadata.setdefault(key, None)
    if not metadata["reference_table"]:
        metadata["reference_table"] = None
    resolution = metadata.get("voxel_resolution") or info.get("voxel_resolution")
    if not isinstance(resolution, list) or len(resolution) != 3:
        raise SchemaVersionError(f"table {name!r}: voxel_resolution must be [x, y, z], got {resolution!r}")
    metadata["voxel_resolution"] = [float(v) for v in resolution]
    return metadata


def _views(directory: Path) -> dict[str, ViewFiles]:
    if not directory.is_dir():
        return {}
    views = {}
    for sql_path in sorted(directory.glob("*.sql")):
        meta_path = sql_path.with_suffix(".json")
        metadata = _read_json(meta_path, dict) if meta_path.is_file() else {}
        views[sql_path.stem] = ViewFiles(sql_path.stem, sql_path.read_text(encoding="utf-8"), metadata)
    return views


def _read_json(path: Path, kind: type) -> Any:
    if not path.is_file():
        raise SchemaVersionError(f"{path} is missing")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaVersionError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(value, kind):
        raise SchemaVersionError(f"{path} must hold a JSON {'object' if kind is dict else 'array'}")
    return value
