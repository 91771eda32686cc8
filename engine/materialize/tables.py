"""Annotation tables as queries see them: raw Parquet columns -> the materialized (frozen-version) columns.

Raw rows carry ``id, created, deleted, superceded_id, valid`` then, per point ``P``,
``P_position_x/_y/_z`` (and ``P_supervoxel_id`` for points bound to the segmentation), then the
schema's own columns. The materialized form is what a frozen CAVE version holds: ``id, valid``,
the raw columns in order without the CRUD ones, and a derived ``P_root_id`` right after each
``P_supervoxel_id``. "Model" names fold each ``_x/_y/_z`` triple into ``P_position``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from ..errors import SchemaVersionError, UnknownColumnError
from ..schema import Column, TableSchema

CRUD = ("id", "created", "deleted", "superceded_id", "valid")
REQUIRED = ("id", "created", "deleted", "valid")
AXES = ("_x", "_y", "_z")
POSITION, SUPERVOXEL, ROOT = "_position", "_supervoxel_id", "_root_id"


def fold_triples(names: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """``(model name, split names)`` in order: consecutive ``c_x, c_y, c_z`` fold to ``c`` (caveclient's rule)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    i = 0
    while i < len(names):
        triple = tuple(names[i:i + 3])
        base = triple[0][:-2] if triple and triple[0].endswith("_x") else None
        if base and len(triple) == 3 and triple == tuple(base + a for a in AXES):
            out.append((base, triple))
            i += 3
        else:
            out.append((names[i], (names[i],)))
            i += 1
    return out


@dataclass(frozen=True)
class ModelColumns:
    """A relation's columns by model name (positions folded), for ``select_columns`` and output naming."""

    schema: TableSchema
    groups: dict[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", dict(fold_triples(self.schema.names)))

    @property
    def names(self) -> list[str]:
        return list(self.groups)

    def points(self) -> set[str]:
        """Model names that are split positions."""
        return {name for name, split in self.groups.items() if len(split) == 3}

    def split(self, name: str) -> tuple[str, ...]:
        """The split column(s) of model column ``name``; ``UnknownColumnError`` with did-you-mean otherwise."""
        if not isinstance(name, str) or name not in self.groups:
            raise UnknownColumnError(name, self.groups, self.schema.name)
        return self.groups[name]


@dataclass(frozen=True)
class AnnotationTable:
    """One table: its raw schema, its points and its materialized schema."""

    name: str
    raw: TableSchema
    metadata: dict[str, Any]
    points: tuple[str, ...]
    bound: tuple[str, ...]
    schema: TableSchema

    @property
    def model(self) -> ModelColumns:
        return ModelColumns(self.schema)

    @property
    def resolution(self) -> tuple[float, float, float]:
        x, y, z = self.metadata["voxel_resolution"]
        return float(x), float(y), float(z)

    @property
    def reference_table(self) -> str | None:
        return self.metadata.get("reference_table") or None

    def root_columns(self) -> dict[str, str]:
        """``P_root_id`` -> ``P_supervoxel_id`` for every bound point."""
        return {p + ROOT: p + SUPERVOXEL for p in self.bound}

    def supervoxel_columns(self) -> list[str]:
        return [p + SUPERVOXEL for p in self.bound]


def annotation_table(name: str, raw: TableSchema, metadata: dict[str, Any]) -> AnnotationTable:
    """Describe a table from its raw Parquet schema; a missing CRUD column is a layout error."""
    missing = [c for c in REQUIRED if not raw.has(c)]
    if missing:
        raise SchemaVersionError(f"table {name!r}: the Parquet lacks the column(s) {', '.join(missing)}")
    names = raw.names
    points = tuple(n[: -len(POSITION) - 2] for n in names if n.endswith(POSITION + "_x")
                   and all(raw.has(n[:-2] + a) for a in AXES))
    bound = tuple(p for p in points if raw.has(p + SUPERVOXEL))
    columns: list[Column] = [raw.column("id"), Column("valid", pa.bool_(), False)]
    for column in raw.columns:
        if column.name in CRUD:
            continue
        columns.append(column)
        if column.name.endswith(SUPERVOXEL) and column.name[: -len(SUPERVOXEL)] in bound:
            columns.append(Column(column.name[: -len(SUPERVOXEL)] + ROOT, pa.int64(), True))
    return AnnotationTable(name, raw, metadata, points, bound, TableSchema(name, tuple(columns), ("id",)))
