"""Where logged rows come from: a ``SourceRef`` names a dataset or a CAVE datastack; ``open_source`` reopens it.

A read is logged against the source's identity (kind + absolute location), so two analyses that
open the same release file share its restrictions. At export time the source is reopened as a
``SliceSource``: its tables (logical names, schemas with foreign keys), the DuckDB relation each
name reads, and cursors. Datasets take their keys from the release / mirror manifest; CAVE
datastacks get theirs from the table metadata (``cave_source.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ..errors import BadInputError
from ..schema import TableSchema
from ..sql import quote_ident

if TYPE_CHECKING:
    from ..dataset import Dataset

DATASET_KINDS = ("sqlite", "duckdb", "mirror")
CAVE = "cave"


@dataclass(frozen=True, order=True)
class SourceRef:
    """A source's identity in the catalog: its kind and absolute location (file, mirror dir or datastack dir)."""

    kind: str
    location: str

    @property
    def name(self) -> str:
        """A readable name: the release file's stem, the mirror directory or the datastack."""
        path = Path(self.location)
        return path.stem if self.kind in ("sqlite", "duckdb") else path.name

    def key(self) -> str:
        """Canonical JSON text (what the catalog stores)."""
        return json.dumps({"kind": self.kind, "location": self.location}, sort_keys=True)

    @classmethod
    def from_key(cls, text: str) -> SourceRef:
        data = json.loads(text)
        return cls(data["kind"], data["location"])


def source_of(dataset: Dataset) -> SourceRef | None:
    """The identity of ``dataset``; None for in-memory frames (they have no file to export from)."""
    if dataset.kind == "memory":
        return None
    return SourceRef(dataset.kind, str(Path(dataset.location).resolve()))


@dataclass
class SliceSource:
    """A reopened source: logical table name -> schema (with foreign keys) and the relation to read it from."""

    ref: SourceRef
    tables: dict[str, TableSchema]
    relations: dict[str, str]
    cursor: Callable[[], duckdb.DuckDBPyConnection]
    close: Callable[[], None]
    dataset: Dataset
    extra: dict[str, Any] = field(default_factory=dict)

    def schema(self, table: str) -> TableSchema:
        if table not in self.tables:
            from ..errors import UnknownTableError

            raise UnknownTableError(table, self.tables, f"source {self.ref.name}")
        return self.tables[table]


def open_source(ref: SourceRef) -> SliceSource:
    """Reopen a logged source; a clear error if it moved or is of an unknown kind."""
    path = Path(ref.location)
    if not path.exists():
        raise BadInputError(f"source {ref.location} ({ref.kind}) no longer exists; the export reads rows from it")
    if ref.kind == CAVE:
        from .cave_source import open_cave

        return open_cave(ref)
    if ref.kind not in DATASET_KINDS:
        raise BadInputError(f"cannot export from a {ref.kind!r} source (known: {', '.join((*DATASET_KINDS, CAVE))})")
    from ..dataset import connect

    dataset = connect(path)
    tables = {name: dataset.schema(name) for name in dataset.tables}
    return SliceSource(ref, tables, {name: quote_ident(name) for name in tables}, dataset.cursor, dataset.close,
                       dataset)


def identity(source: SliceSource) -> dict[str, Any]:
    """What the manifest says about the source: release file name, sha256 and schema version (or datastack)."""
    if source.ref.kind == CAVE:
        from .cave_source import cave_identity

        return cave_identity(source)
    if source.ref.kind == "mirror":
        manifest = source.dataset.info.get("manifest")
        origin = dict(manifest.source) if manifest is not None else {}
        return {**origin, "kind": "mirror", "mirror": source.ref.name}
    from ..mirror.write import source_identity

    return source_identity(source.dataset)
