"""``Dataset.query``: every input form, NULL rules, ordering and paging, spatial units, large lists."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

import engine
from engine.filters import KEY_TABLE_MIN_VALUES, IsNull, NotInSet, Range
from engine.filters.to_sql import IN_LIST_MAX_VALUES


def ids(result: engine.Result) -> list[int]:
    return sorted(result.arrow()["id"].to_pylist())


def test_flat_and_nested_dicts_are_the_same_filter(ds: engine.Dataset) -> None:
    flat = ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [10, 30]})
    nested = ds.query("synapses", ["id"], filter_in_dict={"synapses": {"pre_pt_root_id": [10, 30]}})
    assert ids(flat) == ids(nested) == [1, 2, 4]


def test_out_and_notin_are_the_same_key(ds: engine.Dataset) -> None:
    out = ds.query("synapses", ["id"], filter_out_dict={"pre_pt_root_id": [10]})
    notin = ds.query("synapses", ["id"], filter_notin_dict={"pre_pt_root_id": [10]})
    assert ids(out) == ids(notin) == [3, 4, 6]


def test_null_rules(ds: engine.Dataset) -> None:
    assert ids(ds.query("synapses", ["id"], filter_equal_dict={"pre_pt_root_id": None})) == [5]
    assert ids(ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [20, None]})) == [3, 5]
    assert ids(ds.query("synapses", ["id"], filter_out_dict={"pre_pt_root_id": [10, None]})) == [3, 4, 6]
    assert ids(ds.query("synapses", ["id"], filters=NotInSet("pre_pt_root_id", [10], keep_null=True))) == [3, 4, 5, 6]
    assert ids(ds.query("synapses", ["id"], filters=~IsNull("valid"))) == [1, 2, 3, 4, 6]


def test_nan_is_not_null_and_never_satisfies_a_comparison(ds: engine.Dataset) -> None:
    assert ids(ds.query("synapses", ["id"], filter_greater_dict={"size": 1})) == [1, 4, 5]
    assert ids(ds.query("synapses", ["id"], filter_less_dict={"size": 100})) == [1, 4, 5, 6]
    assert ids(ds.query("synapses", ["id"], filters=~Range("size", lo=1, lo_inclusive=False))) == [2, 6]
    assert ids(ds.query("synapses", ["id"], filter_equal_dict={"size": None})) == [3]


def test_all_dicts_and_ir_are_anded(ds: engine.Dataset) -> None:
    result = ds.query(
        "synapses",
        ["id"],
        filter_in_dict={"post_pt_root_id": [10, 20, 30]},
        filter_equal_dict={"valid": True},
        filter_greater_equal_dict={"created": "2024-01-02"},
        filter_regex_dict={"cell_type": "^(s|p)"},
        filters=[Range("size", hi=10)],
    )
    assert ids(result) == [4]


def test_values_from_numpy_pyarrow_polars(ds: engine.Dataset) -> None:
    for values in (np.array([10, 30]), pa.array([10, 30]), pl.Series([10, 30]), [np.int64(10), np.int64(30)]):
        assert ids(ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": values})) == [1, 2, 4]
    assert ids(ds.query("synapses", ["id"], filter_equal_dict={"pre_pt_root_id": np.int64(20)})) == [3]


def test_spatial_on_split_columns_and_list_columns(ds: engine.Dataset) -> None:
    split = ds.query("synapses", ["id"], filter_spatial_dict={"pre_pt_position": [[0, 0, 0], [10, 10, 2]]})
    assert ids(split) == [1, 2, 3]
    listed = ds.query("synapses", ["id"], filter_spatial_dict={"ctr_pt_position": [[5, 5, 1], [25, 25, 5]]})
    assert ids(listed) == [2, 4, 6]  # row 5's point has no z: never inside
    assert '"pre_pt_position_x" BETWEEN' in split.sql and '"ctr_pt_position"[3] BETWEEN' in listed.sql


def test_spatial_box_with_min_equal_max_is_inclusive(ds: engine.Dataset) -> None:
    assert ids(ds.query("synapses", ["id"], filter_spatial_dict={"pre_pt_position": [[5, 5, 1], [5, 5, 1]]})) == [2]


def test_spatial_resolution_converts_the_box_to_table_units(ds: engine.Dataset) -> None:
    """A box in nm (resolution 1) on a table at 5 nm/voxel: [0, 50] nm is [0, 10] voxels."""
    box = [[0, 0, 0], [50, 50, 80]]
    result = ds.query(
        "synapses", ["id"], filter_spatial_dict={"pre_pt_position": box}, resolution=[1, 1, 1], table_resolution=[5, 5, 40]
    )
    assert ids(result) == [1, 2, 3]
    assert list(result.params.values()) == [0.0, 10.0, 0.0, 10.0, 0.0, 2.0]


def test_columns_order_limit_offset(ds: engine.Dataset) -> None:
    result = ds.query("synapses", ["id", "size"], order_by=["-post_pt_root_id", ("id", "asc")], limit=2, offset=1)
    assert result.arrow().to_pydict() == {"id": [1, 5], "size": [1.5, 3.25]}
    assert ds.query("synapses", ["id"], order_by="id", limit=0).count() == 0


def test_offset_without_order_by_uses_the_primary_key(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        con.executemany("INSERT INTO t VALUES (?, ?)", [(i, 100 - i) for i in (5, 3, 9, 1, 7)])
    with engine.connect(path) as ds:
        result = ds.query("t", ["id"], offset=1, limit=2)
        assert 'ORDER BY "id" ASC' in result.sql
        assert result.arrow()["id"].to_pylist() == [3, 5]


def test_large_in_lists_join_a_registered_key_table(ds: engine.Dataset) -> None:
    values = np.arange(-KEY_TABLE_MIN_VALUES, 15)
    result = ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": values})
    assert "__engine_keys_0" in result.sql and result.params == {}
    assert ids(result) == [1, 2, 6]
    outside = ds.query("synapses", ["id"], filter_out_dict={"pre_pt_root_id": values})
    assert ids(outside) == [3, 4]
    assert outside.count() == 2 and outside.column_names() == ["id"]


def test_list_shapes_by_length(ds: engine.Dataset) -> None:
    """Short lists: one parameter per value (pushed into Parquet scans); longer: ONE list parameter."""
    short = ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [10, 20]})
    assert short.sql == 'SELECT "id" FROM "synapses" WHERE "pre_pt_root_id" IN ($p0, $p1)'
    sizes = (IN_LIST_MAX_VALUES + 1, KEY_TABLE_MIN_VALUES - 1)
    longer = [ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": list(range(n))}) for n in sizes]
    assert {r.sql for r in longer} == {'SELECT "id" FROM "synapses" WHERE "pre_pt_root_id" = ANY($p0)'}
    assert ids(short) == [1, 2, 3] and ids(longer[0]) == [1, 2, 3, 4, 6]


def test_a_one_value_list_is_an_equality(ds: engine.Dataset) -> None:
    """One canonical form for a one-value list: ``col = $p``."""
    result = ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [20]})
    assert result.sql == 'SELECT "id" FROM "synapses" WHERE "pre_pt_root_id" = $p0'


def test_equality_on_a_list_parameter_plans_as_a_hash_semi_join(ds: engine.Dataset) -> None:
    values = list(range(IN_LIST_MAX_VALUES + 1))
    plan = ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": values}).explain()
    assert "HASH_JOIN" in plan and "SEMI" in plan
