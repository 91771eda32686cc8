"""Golden SQL: the shape of the generated SQL for readable cases (meaning is tested elsewhere).

Each case writes ``golden/<name>.sql``: the SQL (a line break before each clause, for reading)
and its parameters. Rewrite them all with ``ENGINE_UPDATE_GOLDEN=1 pytest tests/filters`` and
review the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.filters import (
    KEY_TABLE_MIN_VALUES,
    BBox,
    Col,
    Equal,
    InSet,
    IsNull,
    NotInSet,
    Range,
    Regex,
    Scope,
    between,
    compile,
    parse_criteria,
)
from engine.filters.to_sql import IN_LIST_MAX_VALUES
from engine.sql import Compiled

GOLDEN = Path(__file__).parent / "golden"
SPATIAL = {"pre_pt_position": [[0, 0, 0], [100, 200, 30]]}


def _join_scope(ds: engine.Dataset) -> Scope:
    s = ds.schema("synapses")
    return Scope({"syn": s, "pre_cell": s, "post_cell": s})


CASES: dict[str, Callable[[engine.Dataset], Any]] = {
    "equal_string": lambda ds: ds.query("synapses", ["id"], filter_equal_dict={"cell_type": "sst"}),
    "equal_none_is_null": lambda ds: ds.query("synapses", ["id"], filter_equal_dict={"cell_type": None}),
    "in_list": lambda ds: ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [10, 20, 30]}),
    "in_list_with_none": lambda ds: ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [10, None]}),
    "notin_list": lambda ds: ds.query("synapses", ["id"], filter_notin_dict={"pre_pt_root_id": [0]}),
    "notin_only_none": lambda ds: ds.query("synapses", ["id"], filter_out_dict={"pre_pt_root_id": [None]}),
    "notin_keep_null": lambda ds: ds.query("synapses", ["id"], filters=NotInSet("pre_pt_root_id", [0], keep_null=True)),
    "greater_float_guards_nan": lambda ds: ds.query("synapses", ["id"], filter_greater_dict={"size": 2.5}),
    "less_float": lambda ds: ds.query("synapses", ["id"], filter_less_dict={"size": 2.5}),
    "range_merged_to_between": lambda ds: ds.query(
        "synapses", ["id"], filter_greater_equal_dict={"size": 1}, filter_less_equal_dict={"size": 5}
    ),
    "range_exclusive_both": lambda ds: ds.query(
        "synapses", ["id"], filter_greater_dict={"pre_pt_root_id": 1}, filter_less_dict={"pre_pt_root_id": 5}
    ),
    "timestamp_iso_string": lambda ds: ds.query("synapses", ["id"], filter_greater_equal_dict={"created": "2024-01-03"}),
    "int_column_float_bound": lambda ds: ds.query("synapses", ["id"], filter_greater_dict={"pre_pt_root_id": 10.5}),
    "int_column_unholdable_values": lambda ds: ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [0.5]}),
    "regex": lambda ds: ds.query("synapses", ["id"], filter_regex_dict={"cell_type": "^(sst|pv)"}),
    "spatial_split_columns": lambda ds: ds.query("synapses", ["id"], filter_spatial_dict=SPATIAL),
    "spatial_list_column": lambda ds: ds.query(
        "synapses", ["id"], filter_spatial_dict={"ctr_pt_position": [[0, 0, 0], [9, 9, 9]]}
    ),
    "spatial_resolution": lambda ds: ds.query(
        "synapses", ["id"], filter_spatial_dict=SPATIAL, resolution=[8, 8, 40], table_resolution=[4, 4, 40]
    ),
    "nested_table_dict": lambda ds: ds.query(
        "synapses", ["id"], filter_in_dict={"synapses": {"post_pt_root_id": [20]}}, filter_equal_dict={"valid": True}
    ),
    "ir_and_or_not": lambda ds: ds.query(
        "synapses", ["id"], filters=(Equal("valid", True) | IsNull("valid")) & ~Regex("cell_type", "x") & BBox(
            "pre_pt_position", (0, 0), (5, 5))
    ),
    "ir_or_of_equalities_merged": lambda ds: ds.query(
        "synapses", ["id"], filters=Equal("cell_type", "a") | Equal("cell_type", "b") | InSet("cell_type", ["c"])
    ),
    "no_filter": lambda ds: ds.query("synapses"),
    "columns_order_limit_offset": lambda ds: ds.query(
        "synapses", ["id", "size"], order_by=["-size", ("id", "asc")], limit=10, offset=20
    ),
    "medium_in_list_one_list_parameter": lambda ds: ds.query(
        "synapses", ["id"], filter_in_dict={"pre_pt_root_id": range(IN_LIST_MAX_VALUES + 1)}
    ),
    "large_in_list_key_table": lambda ds: ds.query(
        "synapses", ["id"], filter_in_dict={"pre_pt_root_id": range(KEY_TABLE_MIN_VALUES)}
    ),
    "batch_keyed_join": lambda ds: ds.query_batch(
        "synapses", [{"filter_in_dict": {"pre_pt_root_id": [k, k + 1]}} for k in range(3)], columns=["id"]
    ),
    "batch_two_keyed_columns": lambda ds: ds.query_batch(
        "synapses",
        [{"filter_in_dict": {"pre_pt_root_id": [k]}, "filter_equal_dict": {"post_pt_root_id": k}} for k in range(2)],
        columns=["id"],
    ),
    "batch_union_with_per_set_limit": lambda ds: ds.query_batch(
        "synapses",
        [{"filter_in_dict": {"pre_pt_root_id": [1]}}, Range("size", lo=3)],
        columns=["id"],
        order_by="-size",
        limit=5,
    ),
    "compile_join_scope": lambda ds: compile(
        Equal(Col("cell_type", "pre_cell"), "sst") & InSet(Col("cell_type", "post_cell"), ["pv", "vip"])
        & Range("size", hi=3),
        _join_scope(ds),
    ),
    "compile_cell_class_criteria": lambda ds: compile(
        parse_criteria(
            {"cell_type": ("sst", "pvalb"), "valid": True}, _join_scope(ds).subset(["post_cell"]),
            exprs=[("size", "<", 0.5)],
        ),
        _join_scope(ds),
    ),
    "compile_between_open_end": lambda ds: compile(between("size", (None, 0.5)), ds.schema("synapses")),
    "compile_empty_is_true": lambda ds: compile(None, ds.schema("synapses")),
}


def _render(found: Any) -> str:
    compiled = found if isinstance(found, Compiled) else found.compiled
    sql = re.sub(r" (WHERE|ORDER BY|LIMIT|OFFSET|JOIN|QUALIFY|UNION ALL) ", r"\n\1 ", compiled.sql)
    return f"{sql}\n-- params: {compiled.params!r}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_sql(ds: engine.Dataset, name: str) -> None:
    text = _render(CASES[name](ds))
    path = GOLDEN / f"{name}.sql"
    if os.environ.get("ENGINE_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}; run with ENGINE_UPDATE_GOLDEN=1 and review it"
    assert path.read_text() == text


def test_no_stale_golden_files() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.sql")) == sorted(CASES)
