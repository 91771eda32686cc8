"""Bundle layout with two dataset sources, atomic replacement, and failures that leave the old bundle alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import engine
from engine.errors import BadInputError, IntegrityError
from engine.export import export, export_paper, open_bundle, record_read
from engine.filters import Equal, InSet


def test_two_dataset_sources_get_one_directory_each(synphys_tiny: Path, synphys_tiny_mirror: Path, catalog,
                                                    tmp_path: Path):
    with engine.connect(synphys_tiny) as release, engine.connect(synphys_tiny_mirror) as mirror:
        with export("paper", "both", catalog=catalog):
            record_read(release, "cell", InSet("id", [1, 2]))
            record_read(mirror, "experiment", Equal("id", 3))
    dest = export_paper("paper", tmp_path / "bundle", catalog=catalog)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert [(s["kind"], s["dir"]) for s in manifest["sources"]] == [("mirror", "."), ("sqlite", "datasets/synphys_r2.1_tiny")]
    assert engine.connect(dest).table("experiment", ["id"]).arrow()["id"].to_pylist() == [3]
    second = engine.connect(dest / "datasets" / "synphys_r2.1_tiny")
    assert second.table("cell", ["id"]).arrow()["id"].to_pylist() == [1, 2]
    assert second.table("experiment").arrow().num_rows >= 1  # the cells' parents, in their own source
    assert open_bundle(dest).dataset("synphys_r2.1_tiny").tables == second.tables
    (dest / "datasets" / "synphys_r2.1_tiny" / "tables" / "cell.parquet").unlink()
    with pytest.raises(IntegrityError, match="cell.parquet"):
        engine.connect(dest)  # the top manifest lists every file of the bundle


def test_a_failed_export_leaves_the_previous_bundle(synphys_tiny: Path, catalog, tmp_path: Path):
    release = Path(shutil.copy(synphys_tiny, tmp_path / synphys_tiny.name))
    with engine.connect(release) as ds, export("paper", "fig", catalog=catalog):
        record_read(ds, "pair", InSet("id", [5, 6]))
    dest = export_paper("paper", tmp_path / "bundle", catalog=catalog)
    before = (dest / "manifest.json").read_bytes()
    release.unlink()
    with pytest.raises(BadInputError, match="no longer exists"):
        export_paper("paper", dest, catalog=catalog)
    assert (dest / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle", "catalog"]  # no half-written directory
    open_bundle(dest)
