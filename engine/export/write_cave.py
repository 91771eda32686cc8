"""Write a CAVE datastack's slice in the local mirror layout, so ``MaterializationClient`` re-runs queries on it.

``<dir>/<datastack>/``: ``datastack.json``, ``versions.json``, ``tables/<t>.json`` and ``views/``
copied as they are; ``tables/<t>.parquet`` and ``segmentation/roots.parquet`` hold the slice's
raw rows (``created`` / ``deleted`` kept, so every version and timestamp answers as in the source).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .cascade import TableSlice
from .cave_source import ROOTS
from .sources import SliceSource
from .write_tables import Written, write_table


def write_cave(source: SliceSource, slices: dict[str, TableSlice], root: Path, rel: str) -> list[Written]:
    """Write the datastack under ``root / rel / <datastack>``; returns each table as written."""
    layout = source.extra["mirror"].layout
    base = f"{rel}/{layout.datastack}"
    (root / base / "tables").mkdir(parents=True)
    for name in ("datastack.json", "versions.json"):
        shutil.copyfile(layout.path / name, root / base / name)
    if (layout.path / "views").is_dir():
        shutil.copytree(layout.path / "views", root / base / "views")
    written = []
    for table in source.tables:
        if table == ROOTS:
            file = f"{base}/segmentation/roots.parquet"
        else:
            file = f"{base}/tables/{table}.parquet"
            shutil.copyfile(layout.path / "tables" / f"{table}.json", root / base / "tables" / f"{table}.json")
        written.append(write_table(source, table, slices.get(table), root, file))
    return written
