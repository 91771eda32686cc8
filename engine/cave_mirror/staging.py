"""Resume state of an interrupted mirror: plans and pages, each written atomically, so "exists" means "complete".

``<dest>/.<datastack>.cave-mirror/`` holds ``<table>/v<version>/plan.json`` (the counted id
ranges) and one Parquet file per fetched range. A rerun reuses the plan and skips every page
already on disk; the directory is removed once the mirror is assembled.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from engine.errors import BadInputError
from engine.files import atomic_path, atomic_write_text

from .pages import Range

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def safe_name(name: str, kind: str) -> str:
    """``name`` if it is usable as a file name (no separators, no ``..``); names come from a remote service."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name) or ".." in name:
        raise BadInputError(f"{kind} name {name!r} cannot be mirrored: use letters, digits, '_', '.', '-'")
    return name


class Staging:
    """The staging directory of one datastack's mirror under ``dest``."""

    def __init__(self, dest: Path, datastack: str) -> None:
        self.path = dest / f".{safe_name(datastack, 'datastack')}.cave-mirror"

    def _dir(self, table: str, version: int) -> Path:
        return self.path / safe_name(table, "table") / f"v{int(version)}"

    def load_plan(self, table: str, version: int) -> list[Range] | None:
        """The ranges planned by an earlier run, or None."""
        path = self._dir(table, version) / "plan.json"
        if not path.is_file():
            return None
        return [Range(*r) for r in json.loads(path.read_text(encoding="utf-8"))["ranges"]]

    def save_plan(self, table: str, version: int, ranges: list[Range]) -> None:
        payload = {"ranges": [[r.lo, r.hi, r.rows] for r in ranges]}
        atomic_write_text(self._dir(table, version) / "plan.json", json.dumps(payload))

    def page_path(self, table: str, version: int, rng: Range) -> Path:
        return self._dir(table, version) / f"{rng.name}.parquet"

    def has_page(self, table: str, version: int, rng: Range) -> bool:
        return self.page_path(table, version, rng).is_file()

    def rows(self, table: str, version: int, ranges: list[Range]) -> int:
        """Rows already staged for these ranges (from the Parquet footers)."""
        paths = (self.page_path(table, version, r) for r in ranges)
        return sum(pq.read_metadata(p).num_rows for p in paths if p.is_file())

    def write_page(self, table: str, version: int, rng: Range, rows: pa.Table) -> None:
        with atomic_path(self.page_path(table, version, rng)) as tmp:
            pq.write_table(rows, tmp, compression="zstd")

    def pages(self, table: str, version: int, ranges: list[Range]) -> list[Path]:
        """The page files of a fully fetched (table, version), in id order."""
        return [self.page_path(table, version, r) for r in sorted(ranges)]

    def forget(self, table: str, version: int) -> None:
        """Drop one (table, version)'s plan and pages."""
        shutil.rmtree(self._dir(table, version), ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
