"""A CAVE datastack as an export source: raw annotation tables plus the roots table, keyed from the metadata.

Tables are the raw rows (every row ever written, with ``created`` / ``deleted``), so a bundle
time-travels exactly like its source. Foreign keys are not declared anywhere in the layout;
they follow from it: ``target_id`` references the ``reference_table``'s ``id``, and every bound
point's ``P_supervoxel_id`` references ``supervoxel_id`` in ``segmentation/roots.parquet`` (all
intervals of that supervoxel, so its root can be derived at any moment).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ..files import sha256_file
from ..schema import ForeignKey, TableSchema
from ..sql import quote_ident
from .sources import SliceSource, SourceRef

ROOTS = "segmentation.roots"
"""The roots table's logical name in catalogs and manifests (a dot keeps it apart from annotation tables)."""


def open_cave(ref: SourceRef) -> SliceSource:
    """Open the datastack at ``ref.location`` (``<root>/<datastack>``) with its tables and implied keys."""
    from ..materialize.mirror import Mirror
    from ..materialize.source import ROOTS_VIEW, raw_view

    path = Path(ref.location)
    mirror = Mirror(path.parent, path.name)
    tables: dict[str, TableSchema] = {}
    relations: dict[str, str] = {}
    for name, table in mirror.tables.items():
        keys = [ForeignKey(sv, ROOTS, "supervoxel_id") for sv in table.supervoxel_columns()]
        if table.reference_table and table.raw.has("target_id"):
            keys.append(ForeignKey("target_id", table.reference_table, "id"))
        tables[name] = TableSchema(name, table.raw.columns, ("id",), tuple(keys))
        relations[name] = quote_ident(raw_view(name))
    roots = mirror.dataset.schema(ROOTS_VIEW)
    tables[ROOTS] = TableSchema(ROOTS, roots.columns)
    relations[ROOTS] = quote_ident(ROOTS_VIEW)
    return SliceSource(ref, tables, relations, mirror.dataset.cursor, mirror.close, mirror.dataset,
                       {"mirror": mirror})


def cave_identity(source: SliceSource) -> dict[str, Any]:
    """Datastack name, its description and a sha256 over every file of the datastack (path + content)."""
    layout = source.extra["mirror"].layout
    digest = hashlib.sha256()
    for path in sorted(p for p in layout.path.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(layout.path).as_posix()}\0{sha256_file(path)}\n".encode())
    return {"kind": "cave", "datastack": layout.datastack, "description": layout.info.get("description"),
            "sha256": digest.hexdigest(), "hash_of": "sorted 'relative path NUL sha256 LF' of every file"}
