"""Independent reference: the mirror's state at a moment computed in pandas with a Python root lookup.

Nothing here imports engine.materialize: it reads the Parquet and JSON files directly, so the
tests compare two implementations of the layout's semantics (docs/materialize.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

CRUD = ("created", "deleted", "superceded_id")


class Reference:
    """A datastack loaded into pandas."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.info = json.loads((path / "datastack.json").read_text())
        self.versions = {v["version"]: v for v in json.loads((path / "versions.json").read_text())}
        self.roots = pd.read_parquet(path / "segmentation" / "roots.parquet")
        self.meta = {p.stem: json.loads(p.read_text()) for p in (path / "tables").glob("*.json")}
        self.raw = {name: ds.dataset(path / "tables" / f"{name}.parquet").to_table().to_pandas() for name in self.meta}

    def ts(self, version: int) -> pd.Timestamp:
        return pd.Timestamp(self.versions[version]["time_stamp"])

    def owner(self, t: pd.Timestamp) -> dict[int, int]:
        """supervoxel -> root at ``t`` (half-open [valid_from, valid_to)), by a plain Python loop."""
        out: dict[int, int] = {}
        for sv, root, start, end in self.roots.itertuples(index=False):
            if start <= t and (pd.isna(end) or end > t):
                assert sv not in out, "two owners"
                out[sv] = root
        return out

    def root(self, sv: int, t: pd.Timestamp) -> int | None:
        return 0 if sv == 0 else self.owner(t).get(sv)

    def state(self, table: str, t: pd.Timestamp) -> pd.DataFrame:
        """Rows live at ``t`` in the materialized column order, root ids looked up at ``t``, sorted by id."""
        raw = self.raw[table]
        live = raw[(raw.created <= t) & (raw.deleted.isna() | (raw.deleted > t)) & (raw.valid | raw.deleted.notna())]
        owner = self.owner(t)
        out = {"id": live["id"].to_numpy(), "valid": True}
        for col in raw.columns:
            if col in ("id", "valid") + CRUD:
                continue
            out[col] = live[col].to_numpy()
            if col.endswith("_supervoxel_id"):
                out[col[: -len("supervoxel_id")] + "root_id"] = [0 if s == 0 else owner.get(s) for s in live[col]]
        return pd.DataFrame(out).sort_values("id").reset_index(drop=True)

    def roots_at(self, t: pd.Timestamp) -> set[int]:
        return set(self.owner(t).values())
