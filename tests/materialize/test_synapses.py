"""synapse_query flags, query_batch, connectivity and the table / view managers, against the reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from engine.errors import BadFilterError, BadInputError, UnknownColumnError
from engine.materialize import MaterializationClient

from .reference import Reference

V = 5


@pytest.fixture(scope="module")
def syn(ref: Reference) -> pd.DataFrame:
    return ref.state("synapses", ref.ts(V))


def _busy_roots(syn: pd.DataFrame, k: int) -> list[int]:
    counts = syn[syn.pre_pt_root_id != 0].pre_pt_root_id.value_counts()
    return sorted(int(r) for r in counts.index[:k])


def test_synapse_query_pre_post_and_box(client: MaterializationClient, syn: pd.DataFrame) -> None:
    pre, post = _busy_roots(syn, 3), _busy_roots(syn, 6)[3:]
    no_autapse = syn.pre_pt_root_id != syn.post_pt_root_id
    got = client.synapse_query(pre_ids=pre[0])
    assert got.id.tolist() == syn[(syn.pre_pt_root_id == pre[0]) & no_autapse].id.tolist()
    both = client.synapse_query(pre_ids=pre, post_ids=post)
    assert both.id.tolist() == syn[syn.pre_pt_root_id.isin(pre) & syn.post_pt_root_id.isin(post) & no_autapse].id.tolist()
    box = [[0, 0, 0], [125_000, 100_000, 25_000]]
    boxed = client.synapse_query(pre_ids=pre, bounding_box=box, bounding_box_column="pre_pt_position",
                                 split_positions=True)
    inside = syn.pre_pt_position_x.between(0, 125_000) & syn.pre_pt_position_y.between(0, 100_000)
    assert boxed.id.tolist() == syn[syn.pre_pt_root_id.isin(pre) & inside & no_autapse].id.tolist()
    assert got.attrs["remove_autapses"] is True


def test_synapse_query_autapses_and_zeros(client: MaterializationClient, syn: pd.DataFrame) -> None:
    autapses = syn[(syn.pre_pt_root_id == syn.post_pt_root_id) & (syn.pre_pt_root_id != 0)]
    assert len(autapses) > 0
    root = int(autapses.pre_pt_root_id.iloc[0])
    mine = syn[syn.pre_pt_root_id == root]
    kept = client.synapse_query(pre_ids=[root], remove_autapses=False)
    assert kept.id.tolist() == mine.id.tolist()
    dropped = client.synapse_query(pre_ids=[root])
    assert dropped.id.tolist() == mine[mine.post_pt_root_id != root].id.tolist()
    zeros = syn[syn.post_pt_root_id == 0]
    assert len(zeros) > 0
    pre = int(zeros.pre_pt_root_id.iloc[0])
    with_zeros = client.synapse_query(pre_ids=pre, remove_autapses=False)
    without = client.synapse_query(pre_ids=pre, remove_autapses=False, include_zeros=False)
    assert 0 in set(with_zeros.post_pt_root_id) and 0 not in set(without.post_pt_root_id)
    assert len(without) == ((syn.pre_pt_root_id == pre) & (syn.post_pt_root_id != 0)).sum()


def test_synapse_query_limit_counts_after_autapse_removal(client: MaterializationClient, syn: pd.DataFrame) -> None:
    root = int(syn[(syn.pre_pt_root_id == syn.post_pt_root_id) & (syn.pre_pt_root_id != 0)].pre_pt_root_id.iloc[0])
    expected = syn[(syn.pre_pt_root_id == root) & (syn.post_pt_root_id != root)].id.tolist()
    assert client.synapse_query(pre_ids=root, limit=3, offset=1).id.tolist() == expected[1:4]
    with pytest.raises(BadInputError, match="limit"):
        client.synapse_query(pre_ids=root, limit=-1)


def test_synapse_table_comes_from_the_datastack(mirror_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(mirror_root / "synthetic", copy / "synthetic")
    info = json.loads((copy / "synthetic" / "datastack.json").read_text())
    info["synapse_table"] = None
    (copy / "synthetic" / "datastack.json").write_text(json.dumps(info))
    with MaterializationClient(copy, "synthetic") as c:
        with pytest.raises(BadInputError, match="no synapse table"):
            c.synapse_query(pre_ids=1)
        assert len(c.synapse_query(synapse_table="synapses", limit=2, remove_autapses=False)) == 2


def test_query_batch(client: MaterializationClient, syn: pd.DataFrame) -> None:
    roots = _busy_roots(syn, 12)
    batch = client.synapse_query_batch(pre_ids=roots, remove_autapses=False, materialization_version=V)
    for k, root in enumerate(roots):
        assert batch[batch.query_index == k].id.tolist() == syn[syn.pre_pt_root_id == root].id.tolist()
    mixed = client.query_batch("synapses", [
        {"filter_equal_dict": {"pre_pt_root_id": roots[0]}},
        {"filter_greater_dict": {"size": 700.0}},
        {"filter_in_dict": {"post_pt_root_id": roots[1:3]}, "filter_less_dict": {"size": 300.0}},
    ], materialization_version=V, select_columns=["id", "size"])
    assert list(mixed.columns) == ["query_index", "id", "size"]
    assert mixed[mixed.query_index == 1].id.tolist() == syn[syn["size"] > 700].id.tolist()
    third = syn[syn.post_pt_root_id.isin(roots[1:3]) & (syn["size"] < 300)]
    assert mixed[mixed.query_index == 2].id.tolist() == third.id.tolist()
    posts = client.synapse_query_batch(post_ids=roots[:3], materialization_version=V, return_format="arrow")
    assert set(posts.column("query_index").to_pylist()) <= {0, 1, 2}
    with pytest.raises(BadInputError, match="filter argument"):
        client.query_batch("synapses", [{"filter_inn_dict": {}}])
    with pytest.raises(BadInputError, match="not both"):
        client.synapse_query_batch(pre_ids=roots, post_ids=roots)


def test_connectivity_matches_pandas(client: MaterializationClient, ref: Reference, syn: pd.DataFrame) -> None:
    cells = ref.state("cell_types", ref.ts(V))
    label = cells[cells.pt_root_id != 0].groupby("pt_root_id").cell_type.min()
    frame = syn.assign(pre=syn.pre_pt_root_id.map(label), post=syn.post_pt_root_id.map(label))
    frame = frame[(frame.pre_pt_root_id != frame.post_pt_root_id)].dropna(subset=["pre", "post"])
    expected = frame.groupby(["pre", "post"]).agg(n=("id", "size"), s=("size", "sum")).reset_index()
    got = client.connectivity(materialization_version=V)
    assert list(got.columns) == ["pre_cell_type", "post_cell_type", "n_synapses", "sum_size"]
    assert got.pre_cell_type.tolist() == expected.pre.tolist() and got.post_cell_type.tolist() == expected.post.tolist()
    assert got.n_synapses.tolist() == expected.n.tolist()
    assert got.sum_size.to_numpy() == pytest.approx(expected.s.to_numpy(), rel=1e-6)
    inhibitory = client.connectivity(materialization_version=V,
                                     pre_filter={"filter_equal_dict": {"classification_system": "inhibitory_neuron"}},
                                     synapse_filter={"filter_greater_dict": {"size": 300.0}})
    assert set(inhibitory.pre_cell_type) <= {"BC", "MC", "BPC", "NGC"}
    assert inhibitory.n_synapses.sum() < got.n_synapses.sum()
    with_unlabeled = client.connectivity(materialization_version=V, unlabeled="?")
    assert "?" in set(with_unlabeled.pre_cell_type) and with_unlabeled.n_synapses.sum() > got.n_synapses.sum()
    by_root = client.connectivity(by=("pre_pt_root_id", "cell_type"), materialization_version=V)
    assert list(by_root.columns)[:2] == ["pre_pt_root_id", "post_cell_type"]
    with pytest.raises(BadInputError, match="label_table"):
        client.connectivity(by=("pt_supervoxel_id", "pt_supervoxel_id"))


def test_table_manager(client: MaterializationClient, syn: pd.DataFrame) -> None:
    tables = client.tables
    assert tables.table_names == ["cell_types", "nucleus_detection_v0", "synapses"]
    assert {"pre_pt_root_id", "size", "post_pt_position_bbox"} <= set(tables.synapses.fields)
    assert "size" in tables.synapses.numeric_fields
    roots = _busy_roots(syn, 2)
    got = tables.synapses(pre_pt_root_id=roots, size={">": 300}).query(materialization_version=V)
    assert got.id.tolist() == syn[syn.pre_pt_root_id.isin(roots) & (syn["size"] > 300)].id.tolist()
    one = tables["synapses"](post_pt_root_id=roots[0]).query(materialization_version=V, split_positions=True)
    assert one.id.tolist() == syn[syn.post_pt_root_id == roots[0]].id.tolist()
    cells = tables.cell_types(cell_type="BC").query(materialization_version=V)
    assert len(cells) and (cells.cell_type == "BC").all() and "volume" in cells.columns
    assert {"pt_root_id", "pt_root_id_ref", "volume", "cell_type"} <= set(tables.cell_types.fields)
    live = tables.cell_types(cell_type="BC").live_query(client.get_timestamp(V))
    assert live.id.tolist() == cells.id.tolist()
    assert len(tables.synapses.get_all(materialization_version=V)) == len(syn)
    with pytest.raises(UnknownColumnError, match="did you mean 'size'"):
        tables.synapses(sizes=3)
    with pytest.raises(BadFilterError, match="bounds"):
        tables.cell_types(cell_type={">": "A"})


def test_view_manager(client: MaterializationClient) -> None:
    views = client.views
    assert "synapses_with_types" in views and views.find("TYPES") == ["synapses_with_types"]
    got = views.synapses_with_types(pre_cell_type="BC", ctr_pt_position_bbox=[[0, 0, 0], [10**6, 10**6, 10**6]]).query()
    assert len(got) and (got.pre_cell_type == "BC").all()
