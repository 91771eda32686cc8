"""The ``manifest.json`` of a Parquet mirror (format documented in docs/mirror-format.md).

It is written last, so a directory without a manifest is never a mirror. Arrow schemas are
stored both readably and as base64 IPC bytes, so types round-trip exactly.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import IntegrityError
from ..files import atomic_write_text, sha256_file
from ..schema import ForeignKey, TableSchema

FORMAT = "engine-mirror"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class TableEntry:
    """One mirrored table: its Parquet files (relative paths), rows, schema and sort order."""

    name: str
    files: tuple[str, ...]
    rows: int
    schema: TableSchema
    sort_by: tuple[str, ...]
    sha256: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "files": list(self.files),
            "rows": self.rows,
            "sort_by": list(self.sort_by),
            "sha256": self.sha256,
            **self.schema.to_json(),
            "arrow_schema": base64.b64encode(self.schema.arrow_schema().serialize().to_pybytes()).decode(),
        }

    @classmethod
    def from_json(cls, name: str, data: dict[str, Any]) -> TableEntry:
        arrow = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["arrow_schema"])))
        encodings = {c["name"]: c["encoding"] for c in data["columns"] if c.get("encoding")}
        schema = TableSchema.from_arrow(
            name,
            arrow,
            primary_key=data.get("primary_key", ()),
            foreign_keys=[ForeignKey(**k) for k in data.get("foreign_keys", ())],
            encodings=encodings,
        )
        return cls(name, tuple(data["files"]), int(data["rows"]), schema,
                   tuple(data.get("sort_by", ())), dict(data.get("sha256", {})))


@dataclass(frozen=True)
class Manifest:
    """Everything ``manifest.json`` says about a mirror."""

    engine_version: str
    source: dict[str, Any]
    options: dict[str, Any]
    tables: dict[str, TableEntry]
    extra: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine_version": self.engine_version,
            "source": self.source,
            "options": self.options,
            "tables": {name: entry.to_json() for name, entry in self.tables.items()},
            **self.extra,
        }

    def write(self, directory: Path) -> Path:
        return atomic_write_text(directory / MANIFEST, json.dumps(self.to_json(), indent=1, sort_keys=False))


def read_manifest(directory: Path) -> Manifest:
    """Parse ``<directory>/manifest.json``; a clear error if it is missing or not ours."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise IntegrityError(f"{directory} is not a mirror: {MANIFEST} is missing") from None
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, "engine-export"):
        raise IntegrityError(f"{path} is not an engine manifest (format {data.get('format')!r})")
    if data.get("format_version") != FORMAT_VERSION:
        raise IntegrityError(
            f"{path} has format_version {data.get('format_version')!r}; this engine reads {FORMAT_VERSION}"
        )
    known = {"format", "format_version", "engine_version", "source", "options", "tables"}
    try:
        tables = {name: TableEntry.from_json(name, entry) for name, entry in data["tables"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityError(f"{path} has a malformed table entry: {exc!r}") from None
    return Manifest(
        data.get("engine_version", "?"),
        data.get("source", {}),
        data.get("options", {}),
        tables,
        {k: v for k, v in data.items() if k not in known},
    )


def verify_files(directory: Path, manifest: Manifest) -> None:
    """Check every file the manifest lists (tables, and an export bundle's ``files``) exists and matches its sha256."""
    listed = {rel: entry.sha256.get(rel) for entry in manifest.tables.values() for rel in entry.files}
    listed.update(manifest.extra.get("files", {}))
    for rel, expected in listed.items():
        path = directory / rel
        if not path.is_file():
            raise IntegrityError(f"{path} is listed in {MANIFEST} but missing")
        if expected is not None and sha256_file(path) != expected:
            raise IntegrityError(f"{path} does not match the sha256 in {MANIFEST} (file changed or damaged)")
