"""Versions, timestamps, table / view metadata and the errors for bad arguments."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from engine.errors import (
    BadInputError,
    SchemaVersionError,
    UnknownColumnError,
    UnknownNameError,
    UnknownTableError,
    UnknownVersionError,
)
from engine.materialize import MaterializationClient

from .reference import Reference


def test_versions_follow_versions_json(client: MaterializationClient, ref: Reference) -> None:
    valid = sorted(v for v, meta in ref.versions.items() if meta["valid"])
    assert client.get_versions() == valid
    assert client.get_versions(expired=True) == sorted(ref.versions)
    assert client.most_recent_version() == max(valid) == client.version
    for number, meta in ref.versions.items():
        assert client.get_timestamp(number) == ref.ts(number).to_pydatetime()
        assert client.get_timestamp(number).tzinfo is not None
        got = client.get_version_metadata(number)
        assert {k: got[k] for k in ("version", "valid", "status", "is_merged")} == {
            k: meta[k] for k in ("version", "valid", "status", "is_merged")}
        assert got["expires_on"] == pd.Timestamp(meta["expires_on"]).to_pydatetime()
    assert [m["version"] for m in client.get_versions_metadata()] == valid
    assert [m["version"] for m in client.get_versions_metadata(expired=True)] == sorted(ref.versions)


def test_version_setter_and_unknown_versions(mirror_root: Path) -> None:
    with MaterializationClient(mirror_root, "synthetic", version=3) as c:
        assert c.version == 3
        c.version = 1  # expired versions can be chosen: their state is computable
        assert c.version == 1
        with pytest.raises(UnknownVersionError, match="has no version 9"):
            c.version = 9
        with pytest.raises(UnknownVersionError):
            c.query_table("synapses", materialization_version=42)
        with pytest.raises(BadInputError, match="a version is an integer"):
            c.get_timestamp("three")


def test_version_and_timestamp_are_exclusive(client: MaterializationClient) -> None:
    with pytest.raises(BadInputError, match="not both"):
        client.query_table("synapses", materialization_version=3, timestamp=client.get_timestamp(3))
    with pytest.raises(BadInputError, match="not both"):
        client.synapse_query(pre_ids=1, materialization_version=3, timestamp="2024-03-01T00:00:00")


def test_timestamp_forms_agree(client: MaterializationClient) -> None:
    aware = datetime(2024, 4, 15, tzinfo=timezone.utc)
    counts = {
        client.query_table("synapses", timestamp=t, get_counts=True)["count"][0]
        for t in (aware, aware.replace(tzinfo=None), pd.Timestamp("2024-04-15"), "2024-04-15T00:00:00Z",
                  "2024-04-15T02:00:00+02:00")
    }
    assert len(counts) == 1
    with pytest.raises(BadInputError, match="ISO 8601"):
        client.query_table("synapses", timestamp="yesterday")


def test_opening_errors(mirror_root: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="engine mirror-cave"):
        MaterializationClient("https://minnie.microns-daf.com", "minnie65_public")
    with pytest.raises(UnknownNameError, match="did you mean 'synthetic'"):
        MaterializationClient(mirror_root, "synthetik")
    with pytest.raises(BadInputError, match="does not exist"):
        MaterializationClient(tmp_path / "nowhere", "synthetic")
    broken = tmp_path / "broken"
    shutil.copytree(mirror_root / "synthetic", broken / "synthetic")
    (broken / "synthetic" / "versions.json").write_text("{not json")
    with pytest.raises(SchemaVersionError, match="not valid JSON"):
        MaterializationClient(broken, "synthetic")


def test_unknown_names_suggest(client: MaterializationClient) -> None:
    with pytest.raises(UnknownTableError, match="did you mean 'synapses'"):
        client.query_table("synapse")
    with pytest.raises(UnknownColumnError, match="did you mean 'pre_pt_root_id'"):
        client.query_table("synapses", filter_in_dict={"pre_root_id": [1]})
    with pytest.raises(UnknownColumnError, match="did you mean 'size'"):
        client.query_table("synapses", select_columns=["sise"])
    with pytest.raises(UnknownNameError, match="view"):
        client.query_view("synapses_with_type")
    with pytest.raises(UnknownNameError, match="datastack"):
        client.get_tables(datastack_name="other")


def test_table_metadata(client: MaterializationClient, ref: Reference) -> None:
    assert client.get_tables() == sorted(ref.meta)
    meta = client.get_table_metadata("cell_types")
    assert meta["reference_table"] == "nucleus_detection_v0"
    assert meta["voxel_resolution"] == [4.0, 4.0, 40.0]
    assert client.get_table_metadata("synapses")["reference_table"] is None
    assert sorted(m["table_name"] for m in client.get_tables_metadata()) == sorted(ref.meta)
    for number in (2, 5):
        expected = len(ref.state("synapses", ref.ts(number)))
        assert client.get_annotation_count("synapses", version=number) == expected


def test_view_metadata_and_schema(client: MaterializationClient) -> None:
    views = client.get_views()
    assert list(views) == ["synapses_with_types"]
    meta = client.get_view_metadata("synapses_with_types")
    assert meta["table_name"] == "synapses_with_types"
    assert (meta["voxel_resolution_x"], meta["voxel_resolution_z"]) == (4.0, 40.0)
    schema = client.get_view_schema("synapses_with_types")
    assert schema["ctr_pt_position"] == {"type": "SpatialPoint"}
    assert schema["pre_cell_type"] == {"type": "string"}
    assert schema["size"] == {"type": "float"}
    assert client.get_view_schemas() == {"synapses_with_types": schema}


def test_unique_string_values(client: MaterializationClient, ref: Reference) -> None:
    now = pd.Timestamp.now(tz="UTC")
    live = ref.state("cell_types", now)
    values = client.get_unique_string_values("cell_types")
    assert values == {c: sorted(live[c].unique()) for c in ("cell_type", "classification_system")}
    assert client.get_unique_string_values("synapses") == {}
