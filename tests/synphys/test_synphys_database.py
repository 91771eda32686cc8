"""Opening releases (file, mirror, catalog), identity, and general table access (the seed's example)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from engine.errors import BadInputError, SchemaVersionError, UnknownColumnError, UnknownNameError, UnknownTableError
from engine.filters import Col, Range
from engine.synphys import SynphysDatabase


def test_identity(db, mirror_db):
    assert db.schema_version == mirror_db.schema_version == "22"
    assert db.version_name == mirror_db.version_name == "synphys_r2.1_small.sqlite"
    assert db.list_project_names() == sorted([*db.mouse_projects, *db.human_projects])
    assert db.mouse_projects == ["mouse V1 coarse matrix", "mouse V1 pre-production"]
    assert db.human_projects == ["human coarse matrix"]
    assert "pair" in db.tables and repr(db) == "<SynphysDatabase synphys_r2.1_small.sqlite (sqlite)>"


def test_mirror_is_written_once_then_reused(release, tmp_path):
    source = tmp_path / "synphys_r2.1_small.sqlite"
    shutil.copyfile(release, source)
    with SynphysDatabase.load_sqlite(source, mirror=True) as first:
        assert first.dataset.kind == "mirror"
    manifest = source.with_suffix(".parquet") / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    with SynphysDatabase.load_sqlite(source, mirror=True) as again, SynphysDatabase.open(manifest.parent) as opened:
        assert manifest.stat().st_mtime_ns == stamp
        assert again.pair_query(synapse=True).arrow().equals(opened.pair_query(synapse=True).arrow())


def test_wrong_schema_version_is_reported(release, tmp_path):
    old = tmp_path / "old.sqlite"
    shutil.copyfile(release, old)
    with sqlite3.connect(old) as con:
        con.execute("UPDATE metadata SET meta = ?", (json.dumps({"db_version": "21"}),))
    with pytest.raises(SchemaVersionError, match="'21'"):
        SynphysDatabase.load_sqlite(old)


def test_catalog_versions_and_loading(tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"databases": [
        {"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": "synth:synphys?size=tiny&seed=1"},
        {"file": "synphys_r1.0_small.sqlite", "schema_version": "15", "url": "synth:synphys?size=tiny"},
    ]}))
    assert [r.db_file for r in SynphysDatabase.list_versions(catalog=catalog)] == [
        "synphys_r1.0_small.sqlite", "synphys_r2.1_small.sqlite"]
    assert [r.db_file for r in SynphysDatabase.list_versions(only_supported=True, catalog=catalog)] == [
        "synphys_r2.1_small.sqlite"]
    current = SynphysDatabase.list_current_versions(catalog=catalog)
    assert current["small"].db_file == "synphys_r2.1_small.sqlite" and current["full"] is None
    with SynphysDatabase.load_current("small", catalog=catalog, cache_dir=tmp_path / "cache", mirror=True) as db:
        assert db.version_name == "synphys_r2.1_small.sqlite" and db.dataset.kind == "mirror"
        assert db.pair_query().count() > 0
    with pytest.raises(BadInputError, match="size must be one of"):
        SynphysDatabase.load_current("huge", catalog=catalog)
    with pytest.raises(UnknownNameError, match="no current 'full' release"):
        SynphysDatabase.load_version("full", catalog=catalog, cache_dir=tmp_path / "cache")


def test_tables_by_name_and_attribute(db):
    assert db.table("experiment").base == db.Experiment.base == "experiment"
    assert db.CorticalCellLocation.base == "cortical_cell_location" and db.slice.base == "slice"
    with pytest.raises(UnknownTableError, match="did you mean 'synapse'"):
        db.Synapses


def test_seed_example_mouse_experiments_and_their_cells_cre_types(any_db, release):
    rows = (any_db.Experiment.join("slice").filter(species="mouse")
            .join("cell").select("experiment.ext_id", "cell.ext_id", "cell.cre_type")
            .order_by("experiment.ext_id", "cell.ext_id").pl())
    with sqlite3.connect(release) as con:
        expected = con.execute(
            "SELECT experiment.ext_id, cell.ext_id, cell.cre_type FROM experiment "
            "JOIN slice ON slice.id = experiment.slice_id JOIN cell ON cell.experiment_id = experiment.id "
            "WHERE slice.species = 'mouse' ORDER BY 1, 2").fetchall()
    assert rows.columns == ["experiment.ext_id", "cell.ext_id", "cell.cre_type"]
    assert rows.rows() == expected != []


def test_table_queries_filter_join_and_limit(db):
    pairs = db.Pair.join("cell", on="pre_cell_id", alias="pre_cell").filter(
        ("pre_cell.cre_type", "==", "sst"), Range(Col("distance", "pair"), hi=1e-4), has_synapse=True)
    frame = pairs.select("pair.id", "pre_cell.cre_type", "pair.distance").limit(5).pl()
    assert frame.height == 5 and set(frame["pre_cell.cre_type"]) == {"sst"} and frame["pair.distance"].max() <= 1e-4
    assert db.Experiment.filter(project_name=["human coarse matrix"]).count() > 0
    assert db.Slice.limit(3).df().columns[0] == "slice.id"
    with pytest.raises(BadInputError, match="pass on="):
        db.Pair.join("cell")
    with pytest.raises(BadInputError, match="found none"):
        db.Slice.join("synapse")
    with pytest.raises(UnknownColumnError, match="did you mean 'species'"):
        db.Slice.filter(specis="mouse")


def test_sql_passes_through(db):
    assert db.sql("SELECT count(*) AS n FROM pair WHERE has_synapse = $s", {"s": True}).arrow()["n"][0].as_py() > 0


def test_open_rejects_a_dataset_that_is_not_a_release(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE metadata (id INTEGER PRIMARY KEY, meta VARCHAR)")
    with pytest.raises(SchemaVersionError):
        SynphysDatabase.open(Path(path))
