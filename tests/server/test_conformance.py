"""The REAL caveclient against our service, every answer compared with the local client on the same mirror."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from caveclient import CAVEclient

from engine.materialize import MaterializationClient

from .compare import assert_same_frame, roots_at

SYN, CELLS, NUC, VIEW = "synapses", "cell_types", "nucleus_detection_v0", "synapses_with_types"
BETWEEN = datetime(2024, 4, 15, 12, tzinfo=timezone.utc)  # after version 3 (03-31), before version 4 (04-30)


@pytest.fixture(scope="module")
def partners(local: MaterializationClient) -> tuple[list[int], list[int]]:
    """A few pre and post root ids that have synapses at the newest version."""
    syn = local.query_table(SYN, split_positions=True)
    pre = syn.pre_pt_root_id[syn.pre_pt_root_id != 0].value_counts().index[:3]
    post = syn.post_pt_root_id[syn.post_pt_root_id != 0].value_counts().index[:2]
    return [int(r) for r in pre], [int(r) for r in post]


def test_construction_reads_info_and_versions(cave: CAVEclient, server) -> None:
    assert cave.info.get_datastack_info()["local_server"] == server.url
    assert cave.materialize.server_version is not None and str(cave.materialize.server_version) >= "5.13.0"
    assert cave.materialize.api_version == 3
    assert cave.chunkedgraph.table_name == "synthetic"


def test_versions_and_timestamps(cave: CAVEclient, local: MaterializationClient) -> None:
    mat = cave.materialize
    assert mat.get_versions() == local.get_versions()
    assert mat.get_versions(expired=True) == local.get_versions(expired=True)
    assert mat.most_recent_version() == local.most_recent_version()
    for v in local.get_versions(expired=True):
        assert mat.get_timestamp(v) == local.get_timestamp(v)
        assert mat.get_version_metadata(v) == local.get_version_metadata(v)
    assert mat.get_versions_metadata(expired=True) == local.get_versions_metadata(expired=True)


def test_tables_metadata_and_counts(cave: CAVEclient, local: MaterializationClient) -> None:
    mat = cave.materialize
    for v in (2, 5):
        assert sorted(mat.get_tables(version=v)) == sorted(local.get_tables(version=v))
        for table in local.get_tables(version=v):
            assert mat.get_annotation_count(table, version=v) == local.get_annotation_count(table, version=v)
    remote = mat.get_table_metadata(CELLS)
    expected = local.get_table_metadata(CELLS)
    assert remote["voxel_resolution"] == expected["voxel_resolution"]
    assert remote["reference_table"] == NUC and mat.get_table_metadata(SYN)["reference_table"] is None
    assert remote["last_modified"] == expected["last_modified"].replace("+00:00", "")
    assert sorted(m["table_name"] for m in mat.get_tables_metadata()) == sorted(local.get_tables())


FILTERS = [
    {"filter_in_dict": {"id": [5, 7, 11, 4000]}},
    {"filter_out_dict": {"id": list(range(1, 4000))}},
    {"filter_equal_dict": {"id": 17}},
    {"filter_greater_dict": {"size": 700.0}, "filter_less_dict": {"id": 3000}},
    {"filter_greater_equal_dict": {"id": 4990}, "filter_less_equal_dict": {"size": 500}},
    {"filter_spatial_dict": {"post_pt_position": [[100_000, 80_000, 15_000], [160_000, 140_000, 22_000]]}},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f))
@pytest.mark.parametrize("split", [False, True], ids=["folded", "split"])
def test_query_table_filters(cave: CAVEclient, local: MaterializationClient, filters: dict, split: bool) -> None:
    remote = cave.materialize.query_table(SYN, split_positions=split, **filters)
    assert_same_frame(remote, local.query_table(SYN, split_positions=split, **filters))
    assert len(remote) > 0


def test_query_table_regex_select_offset_limit(cave: CAVEclient, local: MaterializationClient) -> None:
    args = dict(filter_regex_dict={"cell_type": "^(BC|MC)$"}, select_columns=["id", "cell_type", "pt_root_id"],
                merge_reference=False, offset=2, limit=5)
    remote = cave.materialize.query_table(CELLS, **args)
    assert_same_frame(remote, local.query_table(CELLS, **args))
    assert set(remote.columns) == {"id", "pt_supervoxel_id", "cell_type", "pt_root_id"}


def test_query_table_at_older_version_and_resolution(cave: CAVEclient, local: MaterializationClient) -> None:
    args = dict(materialization_version=2, desired_resolution=[1, 1, 1], split_positions=True, limit=50)
    remote = cave.materialize.query_table(SYN, **args)
    assert_same_frame(remote, local.query_table(SYN, **args))
    assert remote.attrs["dataframe_resolution"] == [1.0, 1.0, 1.0]
    assert remote.pre_pt_position_z.dtype == np.float64


def test_counts_and_random_sample(cave: CAVEclient, local: MaterializationClient) -> None:
    mat = cave.materialize
    assert_same_frame(mat.query_table(SYN, get_counts=True), local.query_table(SYN, get_counts=True))
    assert_same_frame(mat.query_table(CELLS, get_counts=True), local.query_table(CELLS, get_counts=True))
    sample = mat.query_table(SYN, random_sample=100, split_positions=True)
    everything = local.query_table(SYN, split_positions=True).set_index("id")
    assert len(sample) == 100 and sample.id.is_unique
    assert_same_frame(sample.set_index("id"), everything.loc[sample.id])


def test_merge_reference(cave: CAVEclient, local: MaterializationClient) -> None:
    remote = cave.materialize.query_table(CELLS, filter_equal_dict={"cell_type": "BC"})
    assert "id_ref" in remote.columns and "volume" in remote.columns
    assert_same_frame(remote, local.query_table(CELLS, filter_equal_dict={"cell_type": "BC"}))


def test_join_query(cave: CAVEclient, local: MaterializationClient) -> None:
    args = dict(
        tables=[[CELLS, "target_id"], [NUC, "id"]],
        filter_in_dict={CELLS: {"cell_type": ["23P", "BC"]}},
        filter_spatial_dict={NUC: {"pt_position": [[0, 0, 0], [200_000, 150_000, 25_000]]}},
        select_columns={CELLS: ["id", "cell_type", "pt_root_id"], NUC: ["id", "volume", "pt_position"]},
        suffixes={CELLS: "_c", NUC: "_n"}, offset=1, limit=20,
    )
    remote = cave.materialize.join_query(**args)
    assert_same_frame(remote, local.join_query(**args))
    assert {"id_c", "id_n"} <= set(remote.columns)


@pytest.mark.parametrize("flags", [
    {}, {"include_zeros": False}, {"remove_autapses": False}, {"split_positions": True},
    # caveclient drops autapses after the limit, the local client before it: compare pages without that step
    {"desired_resolution": [4, 4, 40], "limit": 30, "offset": 5, "remove_autapses": False},
    {"materialization_version": 3}, {"metadata": False, "synapse_table": "synapses"},
    {"bounding_box": [[100_000, 80_000, 15_000], [180_000, 150_000, 24_000]], "bounding_box_column": "pre_pt_position"},
], ids=lambda f: "+".join(f) or "defaults")
def test_synapse_query(cave: CAVEclient, local: MaterializationClient, partners, flags: dict) -> None:
    pre, post = partners
    remote = cave.materialize.synapse_query(pre_ids=pre, **flags)
    assert_same_frame(remote, local.synapse_query(pre_ids=pre, **flags))
    both = cave.materialize.synapse_query(pre_ids=pre[0], post_ids=post, **flags)
    assert_same_frame(both, local.synapse_query(pre_ids=pre[0], post_ids=post, **flags))


def test_views(cave: CAVEclient, local: MaterializationClient) -> None:
    mat = cave.materialize
    assert mat.get_views() == local.get_views()
    assert mat.get_view_metadata(VIEW) == local.get_view_metadata(VIEW)
    assert mat.get_view_schema(VIEW) == local.get_view_schema(VIEW)
    assert mat.get_view_schemas() == local.get_view_schemas()
    args = dict(filter_equal_dict={"pre_cell_type": "23P"}, filter_greater_dict={"size": 400}, limit=40)
    assert_same_frame(mat.query_view(VIEW, **args), local.query_view(VIEW, **args))
    assert_same_frame(mat.query_view(VIEW, get_counts=True), local.query_view(VIEW, get_counts=True))


def test_unique_string_values(cave: CAVEclient, local: MaterializationClient) -> None:
    assert cave.materialize.get_unique_string_values(CELLS) == local.get_unique_string_values(CELLS)


@pytest.fixture(scope="module")
def frozen_then_moved(local: MaterializationClient, mirror_root: Path) -> pd.DataFrame:
    """What caveclient's live_query computes: rows of the last version before BETWEEN, roots moved to BETWEEN."""
    frozen = local.query_table(SYN, materialization_version=3, split_positions=True)
    for point in ("pre_pt", "post_pt"):
        supervoxels = frozen[f"{point}_supervoxel_id"].to_numpy()
        frozen[f"{point}_root_id"] = roots_at(mirror_root / "synthetic", supervoxels, BETWEEN)
    return frozen


def test_live_query_between_versions(cave: CAVEclient, local: MaterializationClient, frozen_then_moved, partners) -> None:
    """The chunked-graph routes (is_latest_roots, root_timestamps, past_id_mapping, roots_binary) end to end."""
    root = int(local.synapse_query(pre_ids=partners[0][0], timestamp=BETWEEN).pre_pt_root_id.iloc[0])
    remote = cave.materialize.live_query(SYN, BETWEEN, filter_in_dict={"pre_pt_root_id": [root]}, split_positions=True)
    assert len(remote) > 0
    assert_same_frame(remote, frozen_then_moved[frozen_then_moved.pre_pt_root_id == root], dtypes=False)
    via_synapse_query = cave.materialize.synapse_query(pre_ids=root, timestamp=BETWEEN, split_positions=True)
    expected = frozen_then_moved[(frozen_then_moved.pre_pt_root_id == root)
                                 & (frozen_then_moved.pre_pt_root_id != frozen_then_moved.post_pt_root_id)]
    assert_same_frame(via_synapse_query, expected, dtypes=False)


def test_live_live_query(cave: CAVEclient, local: MaterializationClient) -> None:
    at = BETWEEN + timedelta(days=3)
    current = local.live_live_query(SYN, at, split_positions=True).post_pt_root_id
    args = dict(filter_in_dict={SYN: {"post_pt_root_id": current[current != 0].unique()[:2].tolist()}},
                split_positions=True)
    assert_same_frame(cave.materialize.live_live_query(SYN, at, **args), local.live_live_query(SYN, at, **args))
    joined = dict(joins=[[CELLS, "target_id", NUC, "id"]], suffixes={CELLS: "", NUC: "_ref"}, limit=25)
    assert_same_frame(cave.materialize.live_live_query(CELLS, at, **joined), local.live_live_query(CELLS, at, **joined))


def test_table_manager(cave: CAVEclient, local: MaterializationClient, partners) -> None:
    remote_tables = cave.materialize.tables
    assert sorted(remote_tables.table_names) == sorted(local.get_tables())
    remote = remote_tables.synapses(pre_pt_root_id=partners[0]).query(split_positions=True)
    expected = local.query_table(SYN, filter_in_dict={"pre_pt_root_id": partners[0]}, split_positions=True)
    assert_same_frame(remote, expected)
    cells = remote_tables.cell_types(cell_type="BC").query()
    assert len(cells) > 0 and set(cells.cell_type) == {"BC"}
    view = cave.materialize.views.synapses_with_types(pre_cell_type="BC").query(split_positions=True)
    assert_same_frame(view, local.query_view(VIEW, filter_equal_dict={"pre_cell_type": "BC"}, split_positions=True))


def test_json_mode(cave: CAVEclient, local: MaterializationClient) -> None:
    """``return_df=False``: the reference's pandas records."""
    records = cave.materialize.query_table(NUC, return_df=False, limit=4, split_positions=True)
    frame = local.query_table(NUC, limit=4, split_positions=True)
    assert pd.DataFrame.from_records(records)["id"].tolist() == frame["id"].tolist()
