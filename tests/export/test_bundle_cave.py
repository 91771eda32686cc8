"""A connectome paper (plus a synphys table read): exported to the CAVE layout, re-run with identical results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import engine
from engine.export import export, export_paper, open_bundle, open_catalog
from engine.export.cave_source import ROOTS
from engine.materialize import MaterializationClient

from .checks import dangling


def analysis(client: MaterializationClient, neurons: list[int], ts: Any) -> dict[str, Any]:
    """Synapse queries for some neurons at several moments, a cell-type join, a page, a live query."""
    return {
        "types": client.query_table("cell_types", log_warning=False),
        "out": client.synapse_query(pre_ids=neurons[:3]),
        "in_v2": client.synapse_query(post_ids=neurons[3], materialization_version=2),
        "join": client.join_query([["synapses", "post_pt_root_id"], ["cell_types", "pt_root_id"]],
                                  filter_in_dict={"synapses": {"pre_pt_root_id": neurons[:4]}},
                                  select_columns={"synapses": ["id", "size", "pre_pt_root_id"],
                                                  "cell_types": ["cell_type", "pt_root_id"]}, log_warning=False),
        "page": client.query_table("synapses", filter_in_dict={"post_pt_root_id": neurons}, offset=10, limit=15),
        "live": client.live_query("synapses", ts, filter_equal_dict={"pre_pt_root_id": neurons[4]},
                                  post_filter=False),
        "sample": client.query_table("synapses", filter_greater_dict={"size": 500}, random_sample=20,
                                     random_seed=3, split_positions=True),
        "batch_out": client.synapse_query_batch(pre_ids=neurons[5:8], timestamp=ts),
        "batch_in_v3": client.synapse_query_batch(post_ids=neurons[:2], materialization_version=3),
        "batch_sets": client.query_batch("synapses", [{"filter_equal_dict": {"pre_pt_root_id": neurons[6]}},
                                                      {"filter_greater_dict": {"size": 900}}]),
    }


@pytest.fixture(scope="module")
def exported(cave_root: Path, synphys_tiny_mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("cave_export")
    catalog = open_catalog(work / "exports.sqlite")
    client = MaterializationClient(cave_root, "synthetic")
    ts = client.get_timestamp(4) + (client.get_timestamp(5) - client.get_timestamp(4)) / 2
    now = client.live_query("cell_types", ts, log_warning=False)
    neurons = sorted(set(now["pt_root_id"]) - {0})[:8]
    with export("paper", "connectome", catalog=catalog):
        results = analysis(client, neurons, ts)
    with engine.connect(synphys_tiny_mirror) as ds, ds.export("paper", "cells", catalog=catalog):
        cells = ds.query("cell", filter_equal_dict={"cre_type": "sst"}).arrow()
    dest = export_paper("paper", work / "bundle", catalog=catalog)
    return {"results": results, "neurons": neurons, "ts": ts, "dest": dest, "cells": cells, "client": client}


def test_rerunning_on_the_bundle_gives_the_same_frames(exported):
    bundle = open_bundle(exported["dest"])
    again = analysis(bundle.client("synthetic"), exported["neurons"], exported["ts"])
    for key, frame in exported["results"].items():
        assert len(frame), f"{key} is empty: the test would prove nothing"
        assert frame.equals(again[key]), f"{key} differs on the bundle"
        assert frame.attrs.get("random_seed") == again[key].attrs.get("random_seed")


def test_the_bundle_holds_both_sources(exported):
    manifest = json.loads((exported["dest"] / "manifest.json").read_text())
    assert [(s["kind"], s["dir"]) for s in manifest["sources"]] == [("mirror", "."), ("cave", "cave")]
    assert engine.connect(exported["dest"]).query("cell", filter_equal_dict={"cre_type": "sst"}).arrow().equals(
        exported["cells"])
    cave = manifest["sources"][1]
    assert cave["identity"]["datastack"] == "synthetic" and len(cave["identity"]["sha256"]) == 64
    assert (exported["dest"] / "cave" / "synthetic" / "views" / "synapses_with_types.sql").is_file()


def test_every_reference_and_supervoxel_resolves(exported):
    base = exported["dest"] / "cave" / "synthetic"
    read = {p.stem: pa.parquet.read_table(p) for p in (base / "tables").glob("*.parquet")}
    roots = pa.parquet.read_table(base / "segmentation" / "roots.parquet")
    nuclei = set(read["nucleus_detection_v0"]["id"].to_pylist())
    assert set(read["cell_types"]["target_id"].to_pylist()) <= nuclei
    known = set(roots["supervoxel_id"].to_pylist()) | {0}
    for table in read.values():
        for column in (c for c in table.column_names if c.endswith("_supervoxel_id")):
            assert set(table[column].drop_null().to_pylist()) <= known
    source = exported["client"]
    assert len(read["synapses"]) < source.get_annotation_count("synapses") and len(roots) > 0
    assert set(dangling(engine.connect(exported["dest"])).values()) <= {0}


def test_roots_are_complete_per_supervoxel(exported):
    """Every exported supervoxel carries its whole history, so roots derive at any moment."""
    base = exported["dest"] / "cave" / "synthetic"
    exported_roots = pa.parquet.read_table(base / "segmentation" / "roots.parquet")
    source = pa.parquet.read_table(Path(exported["client"]._mirror.layout.roots[0]))
    svs = pa.compute.is_in(source["supervoxel_id"], exported_roots["supervoxel_id"].unique())
    assert source.filter(svs).num_rows == exported_roots.num_rows
    manifest = json.loads((exported["dest"] / "manifest.json").read_text())
    assert manifest["sources"][1]["tables"][ROOTS]["pulled_keys"]["supervoxel_id"] > 0
