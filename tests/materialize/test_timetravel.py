"""Time travel: versions = their timestamps, any timestamp, edits (merges / splits), map_filters, live queries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from engine.errors import BadInputError
from engine.materialize import MaterializationClient

from .reference import Reference

T = pd.Timestamp("2024-04-17T12:00:00Z")  # between versions 3 and 4


def _ids(df: pd.DataFrame) -> list[int]:
    return df["id"].astype(int).tolist()


def _edited_root(ref: Reference, t: pd.Timestamp, since: pd.Timestamp) -> int:
    """A root current at ``t`` born from an edit after ``since`` that has synapses."""
    owner = ref.owner(t)
    born = ref.roots.groupby("root_id").valid_from.min()
    syn = ref.state("synapses", t)
    for root in sorted(set(owner.values())):
        if root and since < born[root] <= t and (syn.pre_pt_root_id == root).sum() > 3:
            return int(root)
    raise AssertionError("no edited root with synapses")


def test_versions_equal_their_timestamps(client: MaterializationClient) -> None:
    for version in client.get_versions(expired=True):
        by_version = client.query_table("synapses", materialization_version=version, split_positions=True)
        by_time = client.query_table("synapses", timestamp=client.get_timestamp(version), split_positions=True)
        pd.testing.assert_frame_equal(by_version, by_time, check_like=False)
        assert by_version.attrs["materialization_version"] == version and by_time.attrs["live_query"]


def test_any_timestamp_matches_reference(client: MaterializationClient, ref: Reference) -> None:
    for t in (T, pd.Timestamp("2024-01-01T12:00:00Z"), pd.Timestamp("2024-06-30T00:00:00Z")):
        for table in ("synapses", "cell_types", "nucleus_detection_v0"):
            got = client.query_table(table, timestamp=t, split_positions=True, merge_reference=False)
            expected = ref.state(table, t)
            assert _ids(got) == expected.id.tolist(), (table, t)
            for column in [c for c in expected.columns if c.endswith("root_id")]:
                assert got[column].astype(object).tolist() == expected[column].tolist(), (table, t, column)


def test_expired_version_is_reachable(client: MaterializationClient, ref: Reference) -> None:
    assert 1 not in client.get_versions()
    expected = ref.state("synapses", ref.ts(1)).id.tolist()
    assert _ids(client.query_table("synapses", timestamp=client.get_timestamp(1))) == expected
    assert _ids(client.query_table("synapses", materialization_version=1)) == expected


def test_edit_instant_is_half_open(client: MaterializationClient, ref: Reference) -> None:
    """At the instant of an edit the new root owns the supervoxels; a microsecond before, the old one."""
    raw = ref.raw["synapses"]
    edits = ref.roots[(ref.roots.valid_from > ref.ts(2)) & ref.roots.supervoxel_id.isin(raw.pre_pt_supervoxel_id)]
    edit = edits.sort_values("valid_from").iloc[0]
    at, before = edit.valid_from, edit.valid_from - pd.Timedelta(microseconds=1)
    sv = int(edit.supervoxel_id)
    assert ref.root(sv, at) == edit.root_id != ref.root(sv, before)
    for t in (at, before):
        got = client.query_table("synapses", timestamp=t, filter_equal_dict={"pre_pt_supervoxel_id": sv},
                                 split_positions=True)
        assert len(got) > 0 and set(got.pre_pt_root_id.astype(int)) == {ref.root(sv, t)}


def test_live_query_after_merges_and_splits(client: MaterializationClient, ref: Reference) -> None:
    v3 = ref.ts(3)
    root = _edited_root(ref, T, v3)
    syn = ref.state("synapses", T)
    expected = syn[syn.pre_pt_root_id == root]
    got = client.live_query("synapses", T, filter_in_dict={"pre_pt_root_id": [root]}, split_positions=True)
    assert _ids(got) == expected.id.tolist() and (got.pre_pt_root_id == root).all()
    then = ref.owner(v3)
    assert len({then[s] for s in expected.pre_pt_supervoxel_id}) >= 1
    assert root not in ref.roots_at(v3)  # the id did not exist at the version before T
    assert got.attrs["live_query"] is True and got.attrs["materialization_version"] is None
    # query_table(timestamp=...) answers the same question
    assert _ids(client.query_table("synapses", timestamp=T, filter_equal_dict={"pre_pt_root_id": root})) == _ids(got)


def test_root_ids_must_be_current_at_the_timestamp(client: MaterializationClient, ref: Reference) -> None:
    old = sorted(ref.roots_at(ref.ts(2)) - ref.roots_at(T) - {0})[0]
    with pytest.raises(BadInputError, match="are expired"):
        client.live_query("synapses", T, filter_in_dict={"pre_pt_root_id": [old]})
    new = sorted(ref.roots_at(pd.Timestamp("2024-06-30T00:00:00Z")) - ref.roots_at(T))[0]
    with pytest.raises(BadInputError, match="are too recent"):
        client.synapse_query(pre_ids=new, timestamp=T)
    with pytest.raises(BadInputError, match="not in the segmentation"):
        client.query_table("synapses", timestamp=T, filter_equal_dict={"post_pt_root_id": 12345})
    # a version query just finds nothing for a stale id, as the reference does
    assert len(client.query_table("synapses", materialization_version=5, filter_equal_dict={"pre_pt_root_id": old})) == 0


def test_map_filters(client: MaterializationClient, ref: Reference) -> None:
    v3 = ref.ts(3)
    root = _edited_root(ref, T, v3)
    now, then = ref.owner(T), ref.owner(v3)
    past = sorted({then[sv] for sv, r in now.items() if r == root})
    filters, future = client.map_filters(
        [{"pre_pt_root_id": [root], "size": 3}, None, {"post_pt_root_id": root}], T, v3)
    assert sorted(filters[0]["pre_pt_root_id"].tolist()) == past and filters[0]["size"] == 3
    assert filters[1] is None and sorted(filters[2]["post_pt_root_id"]) == past and future == {}
    assert client.map_filters([{"size": [1]}], T, v3) == ([{"size": [1]}], {})
    with pytest.raises(BadInputError, match="incompatible"):
        client.map_filters([{"pre_pt_root_id": [root]}], v3, ref.ts(2))


def test_live_query_without_post_filter(client: MaterializationClient, ref: Reference) -> None:
    """post_filter=False selects rows by their root at the last version before T, mapped from ids at T."""
    v3 = ref.ts(3)
    root = _edited_root(ref, T, v3)
    now, then = ref.owner(T), ref.owner(v3)
    past = {then[sv] for sv, r in now.items() if r == root}
    syn = ref.state("synapses", T)
    expected = syn[syn.pre_pt_supervoxel_id.map(then).isin(past)]
    got = client.live_query("synapses", T, filter_in_dict={"pre_pt_root_id": [root]}, post_filter=False,
                            split_positions=True)
    assert _ids(got) == expected.id.tolist()
    assert got.pre_pt_root_id.astype(int).tolist() == expected.pre_pt_root_id.tolist()
    with pytest.raises(BadInputError, match="older than every valid version"):
        client.live_query("synapses", ref.ts(1), filter_in_dict={"pre_pt_root_id": [0]}, post_filter=False)


def test_live_live_query(client: MaterializationClient, ref: Reference) -> None:
    cells, nuclei = ref.state("cell_types", T), ref.state("nucleus_detection_v0", T)
    got = client.live_live_query(
        "cell_types", T, joins=[["cell_types", "target_id", "nucleus_detection_v0", "id"]],
        suffixes={"cell_types": "", "nucleus_detection_v0": "_ref"},
        filter_in_dict={"cell_types": {"cell_type": ["BC", "MC"]}}, split_positions=True,
        select_columns={"cell_types": ["id", "cell_type", "pt_root_id"], "nucleus_detection_v0": ["id", "volume"]},
    )
    expected = cells[cells.cell_type.isin(["BC", "MC"])].merge(nuclei, left_on="target_id", right_on="id",
                                                               suffixes=("", "_ref"))
    assert list(got.columns) == ["id", "cell_type", "pt_supervoxel_id", "pt_root_id", "id_ref", "volume"]
    assert _ids(got) == expected.id.tolist() and got.id_ref.tolist() == expected.id_ref.tolist()
    plain = client.live_live_query("synapses", T, limit=5)
    assert _ids(plain) == ref.state("synapses", T).id[:5].tolist()


def test_live_live_query_invalid_roots(client: MaterializationClient, ref: Reference) -> None:
    good = sorted(ref.roots_at(T) - {0})[:2]
    old = sorted(ref.roots_at(ref.ts(2)) - ref.roots_at(T) - {0})[:1]
    with pytest.raises(BadInputError, match="expired"):
        client.live_live_query("synapses", T, filter_in_dict={"synapses": {"pre_pt_root_id": good + old}})
    got = client.live_live_query("synapses", T, filter_in_dict={"synapses": {"pre_pt_root_id": good + old}},
                                 allow_invalid_root_ids=True)
    syn = ref.state("synapses", T)
    assert _ids(got) == syn[syn.pre_pt_root_id.isin(good)].id.tolist()
    with pytest.raises(BadInputError, match="no root id"):
        client.live_live_query("synapses", T, filter_in_dict={"synapses": {"pre_pt_root_id": old}},
                               allow_invalid_root_ids=True)
    # every annotation of the generated mirror has its supervoxel: nothing is pending
    assert len(client.live_live_query("synapses", T, allow_missing_lookups=True)) == len(syn)


def test_resident_tables_give_the_same_answers(client: MaterializationClient, resident: MaterializationClient,
                                               ref: Reference) -> None:
    roots = sorted(ref.roots_at(T) - {0})
    for kwargs in (
        {"filter_in_dict": {"pre_pt_root_id": roots[:5]}},
        {"filter_in_dict": {"post_pt_root_id": roots[5:9]}, "filter_greater_dict": {"size": 200.0}},
        {"filter_equal_dict": {"pre_pt_root_id": roots[3], "post_pt_root_id": roots[4]}},
        {"filter_spatial_dict": {"ctr_pt_position": [[0, 0, 0], [100_000, 100_000, 20_000]]}},
        {},
    ):
        a = client.query_table("synapses", timestamp=T, split_positions=True, **kwargs)
        b = resident.query_table("synapses", timestamp=T, split_positions=True, **kwargs)
        pd.testing.assert_frame_equal(a, b)
    np.testing.assert_array_equal(
        client.synapse_query_batch(pre_ids=roots[:20], timestamp=T).id, resident.synapse_query_batch(
            pre_ids=roots[:20], timestamp=T).id)
    old = sorted(ref.roots_at(ref.ts(2)) - ref.roots_at(T) - {0})[0]
    for c in (client, resident):  # root checks answer the same from Parquet and from memory
        with pytest.raises(BadInputError, match="are expired"):
            c.synapse_query(pre_ids=old, timestamp=T)
    assert client._mirror.roots.intervals(roots[:50]) == resident._mirror.roots.intervals(roots[:50])
    owned_scan, owned_memory = client._mirror.roots.owned(roots[:50], T), resident._mirror.roots.owned(roots[:50], T)
    assert all(np.array_equal(owned_scan[r], owned_memory[r]) for r in roots[:50])


def test_threads_share_a_client(resident: MaterializationClient, ref: Reference) -> None:
    """One client serves concurrent queries at different moments (cursor per thread, shared root caches)."""
    moments = [pd.Timestamp("2024-02-01T00:00:00Z") + pd.Timedelta(days=9 * k) for k in range(12)]
    roots = {t: sorted(ref.roots_at(t) - {0})[:6] for t in moments}

    def ask(t: pd.Timestamp) -> list[int]:
        return _ids(resident.synapse_query(pre_ids=roots[t], timestamp=t, remove_autapses=False))

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(ask, moments))
    for t, got in zip(moments, answers):
        syn = ref.state("synapses", t)
        assert got == syn[syn.pre_pt_root_id.isin(roots[t])].id.tolist()
