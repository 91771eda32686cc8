"""A realistic synphys paper: two analyses logged, exported, reopened, re-run with identical results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import engine
from engine.errors import IntegrityError
from engine.export import export_paper, open_bundle, open_catalog
from engine.files import sha256_file
from engine.synphys import SynphysDatabase, class_set

from .checks import dangling


def figure1(db: SynphysDatabase) -> dict[str, Any]:
    """Excitatory -> inhibitory pairs with synapse details, an E/I matrix and its connectivity."""
    ei = class_set("ei")
    return {
        "pairs": db.pair_query(pre_class=ei["ex"], post_class=ei["in"], project_name=db.mouse_projects,
                               preload=["synapse", "experiment"]).df(),
        "matrix": db.matrix_pair_query(ei, ei, columns=["pre_cell.cre_type", "synapse.psp_amplitude"],
                                       pair_query_args={"synapse": True}).df(),
        "connectivity": db.connectivity_matrix(ei, sigma=100e-6, dist_measure="lateral_distance").to_pandas(),
    }


def figure2(db: SynphysDatabase) -> dict[str, Any]:
    """Layer 2/3 classes by morphology and location, plus a plain table query."""
    mouse = class_set("mouse17")
    l23 = {k: mouse[k] for k in ("l23pyr", "l23pv", "l23sst")}
    return {
        "pairs": db.pair_query(pre_class=mouse["l23pyr"], post_class=mouse["l23sst"], distance=(None, 200e-6)).df(),
        "connectivity": db.connectivity_matrix(l23, pair_query_args={"experiment_type": "standard multipatch"}
                                               ).to_pandas(),
        "cells": db.dataset.query("cell", filter_in_dict={"cre_type": ["sst", "vip"]}, order_by="id").df(),
        "table_query": db.Pair.join("cell", on="pre_cell_id", alias="pre_cell").filter(
            ("pre_cell.cre_type", "=", "sst")).join("synapse", how="left").select(
            "pair.id", "pre_cell.cre_type", "synapse.psp_amplitude").order_by("pair.id").limit(40).result().df(),
    }


@pytest.fixture(scope="module")
def exported(synphys_tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both analyses run and logged on the release, then the paper exported (Parquet + sqlite)."""
    work = tmp_path_factory.mktemp("synphys_export")
    catalog = open_catalog(work / "exports.sqlite")
    db = SynphysDatabase.load_sqlite(synphys_tiny)
    results = {}
    for name, analysis in (("fig1", figure1), ("fig2", figure2)):
        with db.dataset.export("paper", name, catalog=catalog):
            results[name] = analysis(db)
    dest = export_paper("paper", work / "bundle", catalog=catalog, formats=("parquet", "sqlite"))
    return {"db": db, "results": results, "dest": dest, "catalog": catalog, "release": synphys_tiny}


@pytest.mark.parametrize("name", ["fig1", "fig2"])
def test_rerunning_each_analysis_on_the_bundle_gives_the_same_results(exported, name):
    analysis = {"fig1": figure1, "fig2": figure2}[name]
    again = analysis(open_bundle(exported["dest"]).synphys())
    for key, frame in exported["results"][name].items():
        assert len(frame), f"{name}.{key} is empty: the test would prove nothing"
        assert frame.equals(again[key]), f"{name}.{key} differs on the bundle"


def test_the_sqlite_copy_re_runs_too(exported):
    db = SynphysDatabase.load_sqlite(exported["dest"] / "export.sqlite")
    assert figure1(db)["pairs"].equals(exported["results"]["fig1"]["pairs"])


def test_the_bundle_is_a_referentially_complete_slice(exported):
    bundle = engine.connect(exported["dest"])
    assert set(dangling(bundle).values()) == {0}
    source = exported["db"].dataset
    count = {t: bundle.table(t).arrow().num_rows for t in ("pair", "cell", "experiment", "synapse", "recording")}
    assert 0 < count["pair"] < source.table("pair").arrow().num_rows
    assert count["synapse"] > 0 and count["recording"] > 0  # logged: read by the connectivity facts
    assert bundle.table("pulse_response").arrow().num_rows == 0  # never read: present, empty


def test_restrictions_of_both_analyses_are_or_merged(exported):
    manifest = json.loads((exported["dest"] / "manifest.json").read_text())
    [source] = manifest["sources"]
    pair = source["tables"]["pair"]
    assert {r["analysis_id"] for r in pair["restrictions"]} == {"fig1", "fig2"}
    bundle_ids = set(engine.connect(exported["dest"]).table("pair", ["id"]).arrow()["id"].to_pylist())
    for name in ("fig1", "fig2"):
        assert set(exported["results"][name]["pairs"]["pair.id"]) <= bundle_ids
    assert pair["pulled_by"] == {"id": ["pair.reciprocal_id"]}


def test_the_manifest_describes_source_tables_and_files(exported):
    dest, catalog = exported["dest"], exported["catalog"]
    manifest = json.loads((dest / "manifest.json").read_text())
    export = manifest["export"]
    assert manifest["format"] == "engine-export" and export["paper_id"] == "paper"
    assert export["export_id"] == catalog.paper_export_id("paper") == max(a["export_id"] for a in export["analyses"])
    assert [a["analysis_id"] for a in export["analyses"]] == ["fig1", "fig2"]
    identity = manifest["source"]
    assert identity["sha256"] == sha256_file(exported["release"]) and identity["schema_version"] == "22"
    for name, entry in manifest["sources"][0]["tables"].items():
        assert pq.read_metadata(dest / entry["file"]).num_rows == entry["rows"]
        assert manifest["files"][entry["file"]] == entry["sha256"] == sha256_file(dest / entry["file"])
    assert set(manifest["files"]) >= {"README.md", "export.sqlite", "tables/pair.parquet"}
    external = manifest["external_files"]
    assert external and all(f["path"].endswith(".nwb") and not f["readable"] for f in external)
    assert {f["path"] for f in external} >= set(catalog.list_file_paths("paper"))
    assert "paper" in (dest / "README.md").read_text()
    assert [e["export_id"] for e in catalog.exports()] == [export["export_id"]]


@pytest.mark.parametrize("damage", ["change", "delete"])
@pytest.mark.parametrize("victim", ["tables/pair.parquet", "tables/slice.parquet", "README.md"])
def test_a_damaged_or_missing_file_is_named(exported, tmp_path: Path, damage: str, victim: str):
    copy = shutil.copytree(exported["dest"], tmp_path / "copy")
    if damage == "delete":
        (copy / victim).unlink()
    else:
        data = bytearray((copy / victim).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (copy / victim).write_bytes(bytes(data))
    for opener in (engine.connect, open_bundle, SynphysDatabase.open):
        with pytest.raises(IntegrityError, match=victim.replace(".", r"\.")):
            opener(copy)


def test_external_files_get_sizes_and_checksums_when_readable(exported, tmp_path: Path):
    files = exported["catalog"].list_file_paths("paper")
    for rel in files[:2]:
        (tmp_path / "nwb" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "nwb" / rel).write_bytes(b"nwb " + rel.encode())
    dest = export_paper("paper", tmp_path / "bundle", catalog=exported["catalog"], files_root=tmp_path / "nwb")
    listed = {f["path"]: f for f in json.loads((dest / "manifest.json").read_text())["external_files"]}
    for rel in files[:2]:
        assert listed[rel]["readable"] and listed[rel]["sha256"] == sha256_file(tmp_path / "nwb" / rel)
        assert listed[rel]["bytes"] == len(b"nwb " + rel.encode())
    assert not listed[files[2]]["readable"]


def test_preview_shows_the_logged_rows_before_the_cascade(exported):
    catalog = exported["catalog"]
    preview = catalog.preview_tables("paper", "fig1")
    assert {"pair", "cell", "experiment", "synapse", "metadata", "recording"} <= set(preview)
    logged = set(preview["pair"].arrow()["id"].to_pylist())
    fig1 = exported["results"]["fig1"]
    assert set(fig1["pairs"]["pair.id"]) | set(fig1["matrix"]["pair.id"]) <= logged
    bundle = engine.connect(exported["dest"])
    assert logged <= set(bundle.table("pair", ["id"]).arrow()["id"].to_pylist())
    assert "electrode" not in preview and bundle.table("electrode").arrow().num_rows > 0  # parents come from the cascade
