"""query_table / join_query / query_view against the pandas reference: filters, selection, paging, formats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from engine.errors import BadFilterError, BadInputError, UnknownColumnError, UnknownTableError
from engine.materialize import MaterializationClient

from .reference import Reference

V = 4  # a version with edits before and after it


def _state(ref: Reference, table: str = "synapses", version: int = V) -> pd.DataFrame:
    return ref.state(table, ref.ts(version))


def _split(client: MaterializationClient, table: str = "synapses", **kwargs: object) -> pd.DataFrame:
    kwargs.setdefault("materialization_version", V)
    return client.query_table(table, split_positions=True, merge_reference=False, **kwargs)


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    expected = expected.reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for column in got.columns:
        assert got[column].astype(object).tolist() == expected[column].astype(object).tolist(), column


def test_version_state_matches_reference(client: MaterializationClient, ref: Reference) -> None:
    for version in (2, V, 5):
        _same(_split(client, materialization_version=version), _state(ref, version=version))


@pytest.mark.parametrize("case", [
    "in", "out", "equal", "greater", "less", "greater_equal", "less_equal", "spatial", "regex", "root_in",
    "root_equal", "root_out", "combined",
])
def test_every_filter_type(client: MaterializationClient, ref: Reference, case: str) -> None:
    s = _state(ref)
    cells = _state(ref, "cell_types")
    roots = sorted(set(s.pre_pt_root_id))[:3]
    box = [[50_000, 40_000, 5_000], [200_000, 150_000, 20_000]]
    in_box = s.post_pt_position_x.between(box[0][0], box[1][0]) & s.post_pt_position_y.between(
        box[0][1], box[1][1]) & s.post_pt_position_z.between(box[0][2], box[1][2])
    median = float(s["size"].median())
    cases = {
        "in": ({"filter_in_dict": {"id": s.id[::7].tolist()}}, s[s.id.isin(s.id[::7])]),
        "out": ({"filter_out_dict": {"id": s.id[::3].tolist()}}, s[~s.id.isin(s.id[::3])]),
        "equal": ({"filter_equal_dict": {"id": int(s.id[10])}}, s[s.id == s.id[10]]),
        "greater": ({"filter_greater_dict": {"size": median}}, s[s["size"] > median]),
        "less": ({"filter_less_dict": {"size": median}}, s[s["size"] < median]),
        "greater_equal": ({"filter_greater_equal_dict": {"size": median}}, s[s["size"] >= median]),
        "less_equal": ({"filter_less_equal_dict": {"size": median}}, s[s["size"] <= median]),
        "spatial": ({"filter_spatial_dict": {"post_pt_position": box}}, s[in_box]),
        "root_in": ({"filter_in_dict": {"pre_pt_root_id": roots}}, s[s.pre_pt_root_id.isin(roots)]),
        "root_equal": ({"filter_equal_dict": {"post_pt_root_id": roots[0]}}, s[s.post_pt_root_id == roots[0]]),
        "root_out": ({"filter_out_dict": {"pre_pt_root_id": roots}}, s[~s.pre_pt_root_id.isin(roots)]),
        "combined": ({"filter_in_dict": {"pre_pt_root_id": roots}, "filter_greater_dict": {"size": median},
                      "filter_spatial_dict": {"post_pt_position": box}},
                     s[s.pre_pt_root_id.isin(roots) & (s["size"] > median) & in_box]),
    }
    if case == "regex":
        got = _split(client, "cell_types", filter_regex_dict={"cell_type": "^[0-9]P"})
        expected = cells[cells.cell_type.str.contains("^[0-9]P", regex=True)]
    else:
        kwargs, expected = cases[case]
        got = _split(client, **kwargs)
    assert len(expected) > 0
    _same(got, expected)


def test_filter_out_dict_is_applied(client: MaterializationClient, ref: Reference) -> None:
    """The reference server drops filter_out_dict (cave.md §10.1); here it filters."""
    s = _state(ref)
    got = _split(client, filter_out_dict={"post_pt_root_id": [0]})
    assert len(got) == (s.post_pt_root_id != 0).sum() < len(s)


def test_bad_filters(client: MaterializationClient) -> None:
    with pytest.raises(BadFilterError, match="min 100 is greater than max 50 on axis x"):
        client.query_table("synapses", filter_spatial_dict={"pre_pt_position": [[100, 0, 0], [50, 10, 10]]})
    with pytest.raises(BadFilterError, match="regex needs a string column"):
        client.query_table("synapses", filter_regex_dict={"size": "1"})
    with pytest.raises(BadFilterError, match="empty"):
        client.query_table("synapses", filter_in_dict={"id": []})


def test_select_columns(client: MaterializationClient, ref: Reference) -> None:
    s = _state(ref)
    got = _split(client, select_columns=["size", "pre_pt_root_id", "post_pt_position"])
    assert list(got.columns) == ["size", "pre_pt_supervoxel_id", "pre_pt_root_id",
                                 "post_pt_position_x", "post_pt_position_y", "post_pt_position_z"]
    _same(got, s[list(got.columns)])


def test_positions_and_resolution(client: MaterializationClient, ref: Reference) -> None:
    s = _state(ref)
    df = client.query_table("synapses", materialization_version=V, limit=20)
    assert isinstance(df.pre_pt_position[0], np.ndarray)
    assert df.pre_pt_position[0].tolist() == s.loc[0, ["pre_pt_position_x", "pre_pt_position_y",
                                                       "pre_pt_position_z"]].tolist()
    assert df.pre_pt_position[0].dtype == np.int32
    nm = client.query_table("synapses", materialization_version=V, limit=20, desired_resolution=[1, 1, 1],
                            split_positions=True)
    assert (nm.pre_pt_position_z.to_numpy() == 40 * s.pre_pt_position_z[:20].to_numpy()).all()
    assert nm.attrs["dataframe_resolution"] == [1.0, 1.0, 1.0]
    # the box stays in voxels whatever the output resolution (as in the reference)
    box = [[0, 0, 0], [125_000, 200_000, 25_000]]
    a = _split(client, filter_spatial_dict={"pre_pt_position": box})
    b = _split(client, filter_spatial_dict={"pre_pt_position": box}, desired_resolution=[8, 8, 80])
    assert len(a) == len(b) and (b.pre_pt_position_x.to_numpy() == a.pre_pt_position_x.to_numpy() / 2).all()
    with pytest.raises(BadInputError, match="desired_resolution"):
        client.query_table("synapses", desired_resolution=[1, 1])


def test_dtypes_follow_the_reference_client(client: MaterializationClient) -> None:
    df = client.query_table("synapses", materialization_version=V, limit=5, split_positions=True)
    assert str(df["id"].dtype) == "Int64" and str(df["pre_pt_root_id"].dtype) == "Int64"
    assert str(df["valid"].dtype) == "boolean" and str(df["size"].dtype) == "Float32"
    assert df["pre_pt_position_x"].dtype == np.int32
    cells = client.query_table("cell_types", limit=5, merge_reference=False)
    assert cells["cell_type"].dtype == object


def test_paging_is_stable_and_complete(client: MaterializationClient, ref: Reference) -> None:
    s = _state(ref)
    pages = [_split(client, offset=k, limit=700) for k in range(0, len(s) + 700, 700)]
    assert pd.concat(pages).id.tolist() == s.id.tolist()
    again = _split(client, offset=1400, limit=700)
    assert again.id.tolist() == pages[2].id.tolist()
    assert len(_split(client)) == len(s)  # no row cap


def test_counts(client: MaterializationClient, ref: Reference) -> None:
    s = _state(ref)
    counts = client.query_table("synapses", materialization_version=V, get_counts=True,
                                filter_greater_dict={"size": 300.0})
    assert list(counts.columns) == ["count"] and counts["count"][0] == (s["size"] > 300).sum()


def test_random_sample_is_reproducible(client: MaterializationClient, ref: Reference) -> None:
    s = _state(ref)
    a = _split(client, random_sample=50, random_seed=7)
    b = _split(client, random_sample=50, random_seed=7)
    c = _split(client, random_sample=50, random_seed=8)
    assert len(a) == 50 and a.id.tolist() == b.id.tolist() != c.id.tolist()
    assert a.id.is_monotonic_increasing and set(a.id) <= set(s.id)
    assert a.attrs["random_seed"] == 7
    drawn = _split(client, random_sample=10)
    assert _split(client, random_sample=10, random_seed=drawn.attrs["random_seed"]).id.tolist() == drawn.id.tolist()
    filtered = _split(client, random_sample=20, random_seed=1, filter_greater_dict={"size": 400.0})
    assert len(filtered) == 20 and (filtered["size"] > 400).all()
    assert len(_split(client, random_sample=10**6)) == len(s)
    with pytest.raises(BadInputError, match="random_sample"):
        client.query_table("synapses", random_sample=0)


def test_merge_reference(client: MaterializationClient, ref: Reference) -> None:
    cells, nuclei = _state(ref, "cell_types"), _state(ref, "nucleus_detection_v0")
    got = client.query_table("cell_types", materialization_version=V, split_positions=True)
    def renamed(c: str) -> str:  # the suffix goes on the model name: pt_position -> pt_position_ref_x
        if c not in cells.columns:
            return c
        return c[:-2] + "_ref" + c[-2:] if c.endswith(("_position_x", "_position_y", "_position_z")) else c + "_ref"

    ref_columns = {c: renamed(c) for c in nuclei.columns}
    expected = cells.merge(nuclei.rename(columns=ref_columns), left_on="target_id", right_on="id_ref")
    _same(got, expected.sort_values(["id", "id_ref"]))
    assert got.attrs["join_query"] is True
    assert got.attrs["tables"]["nucleus_detection_v0"]["suffix"] == "_ref"
    plain = client.query_table("cell_types", materialization_version=V, merge_reference=False)
    assert "volume" not in plain.columns and len(plain) == len(cells)
    picked = client.query_table("cell_types", materialization_version=V, split_positions=True,
                                select_columns={"cell_types": ["id", "cell_type"], "nucleus_detection_v0": ["volume"]})
    assert list(picked.columns) == ["id", "cell_type", "volume"]


def test_join_query_suffixes(client: MaterializationClient, ref: Reference) -> None:
    tables = [["cell_types", "target_id"], ["nucleus_detection_v0", "id"]]
    default = client.join_query(tables, materialization_version=V, limit=3)
    assert {"idx", "idy", "pt_positionx", "pt_positiony", "cell_type", "volume"} <= set(default.columns)
    chosen = client.join_query(tables, materialization_version=V, limit=3, suffixes={"cell_types": "_c",
                                                                                     "nucleus_detection_v0": "_n"})
    assert {"id_c", "id_n", "pt_position_c", "pt_position_n"} <= set(chosen.columns)
    listed = client.join_query(tables, materialization_version=V, select_columns=["cell_type", "volume", "id"])
    assert list(listed.columns) == ["cell_type", "id", "volume"]
    nested = client.join_query(tables, materialization_version=V, split_positions=True,
                               filter_in_dict={"cell_types": {"cell_type": ["BC"]}},
                               filter_greater_dict={"nucleus_detection_v0": {"volume": 200.0}})
    assert len(nested) and (nested.cell_type == "BC").all() and (nested.volume > 200).all()
    with pytest.raises(BadInputError, match="suffixes must differ"):
        client.join_query(tables, suffixes={"cell_types": "", "nucleus_detection_v0": ""})
    with pytest.raises(BadInputError, match=r"\[\[table1, column1\]"):
        client.join_query([["cell_types", "target_id"]])
    with pytest.raises(UnknownColumnError):
        client.join_query([["cell_types", "target"], ["nucleus_detection_v0", "id"]])
    with pytest.raises(UnknownTableError):
        client.join_query(tables, select_columns={"cells": ["id"]})


def test_views(client: MaterializationClient, ref: Reference) -> None:
    s, cells = _state(ref), _state(ref, "cell_types")
    label = cells[cells.pt_root_id != 0].groupby("pt_root_id").cell_type.min()
    got = client.query_view("synapses_with_types", materialization_version=V, split_positions=True)
    assert got.id.tolist() == s.id.tolist()
    expected = s.pre_pt_root_id.map(label).fillna("unlabeled")
    assert got.pre_cell_type.tolist() == expected.tolist()
    bc = client.query_view("synapses_with_types", materialization_version=V, filter_equal_dict={"pre_cell_type": "BC"})
    assert len(bc) == (expected == "BC").sum()
    assert client.query_view("synapses_with_types", get_counts=True)["count"][0] == len(_state(ref, version=5))
    assert client.query_view("synapses_with_types", limit=2).attrs["table_name"] == "synapses_with_types"


def test_return_formats_and_attrs(client: MaterializationClient) -> None:
    kwargs = {"materialization_version": V, "limit": 10, "filter_greater_dict": {"size": 100.0}}
    df = client.query_table("synapses", **kwargs)
    arrow = client.query_table("synapses", return_format="arrow", **kwargs)
    polars = client.query_table("synapses", return_format="polars", **kwargs)
    assert isinstance(arrow, pa.Table) and isinstance(polars, pl.DataFrame)
    assert arrow.schema.field("pre_pt_position").type == pa.list_(pa.int32(), 3)
    assert polars["pre_pt_position"].to_list()[0] == df.pre_pt_position[0].tolist()
    assert arrow.column("id").to_pylist() == df.id.tolist()
    batches = list(client.query_table("synapses", return_format="batches", materialization_version=V))
    assert sum(b.num_rows for b in batches) == client.get_annotation_count("synapses", version=V)
    attrs = df.attrs
    assert attrs["filters"]["greater"] == {"size": 100.0}
    assert (attrs["materialization_version"], attrs["live_query"], attrs["limit"]) == (V, False, 10)
    assert attrs["table_name"] == "synapses" and attrs["table_voxel_resolution"] == [4.0, 4.0, 40.0]
    records = client.query_table("synapses", return_df=False, **kwargs)
    assert isinstance(records, list) and records[0]["id"] == df.id[0]
    assert client.query_table("synapses", metadata=False, **kwargs).attrs == {}
    with pytest.raises(BadInputError, match="return_format"):
        client.query_table("synapses", return_format="csv")


def test_owner_notice_is_logged(client: MaterializationClient, caplog: pytest.LogCaptureFixture) -> None:
    client.query_table("cell_types", limit=1, merge_reference=False)
    assert "Table Owner Notice on cell_types" in caplog.text
    caplog.clear()
    client.query_table("cell_types", limit=1, merge_reference=False, log_warning=False)
    assert caplog.text == ""
