"""DuckDB == polars == the plain-Python reference, on random tables and random filters (IR and wire dicts)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given

import engine
from engine import TableSchema
from engine.filters import filter_frame, optimize, parse_filter_dicts

from .reference import evaluate, evaluate_dicts, matching
from .strategies import SCHEMA, SETTINGS, filter_dicts, filters, leaves, tables

SCOPE_NAME = "t"


@pytest.fixture(scope="module")
def ds() -> engine.Dataset:
    """One dataset for every example: each example registers its table under the same name (same schema)."""
    with engine.connect({SCOPE_NAME: SCHEMA.empty_table()}) as dataset:
        yield dataset


def _load(ds: engine.Dataset, table: pa.Table, *, native: bool) -> None:
    """Expose ``table`` as ``t``: an Arrow scan, or a DuckDB table (its own NaN and pushdown paths)."""
    cur = ds.cursor()
    cur.unregister(SCOPE_NAME)
    cur.execute(f"DROP TABLE IF EXISTS temp.{SCOPE_NAME}")
    if native:
        cur.register("__source", table)
        cur.execute(f"CREATE TEMP TABLE {SCOPE_NAME} AS SELECT * FROM __source")
        cur.unregister("__source")
    else:
        cur.register(SCOPE_NAME, table)


def _duckdb(ds: engine.Dataset, table: pa.Table, **query: object) -> list[int]:
    """Matching ``rid``s, checked to be the same on an Arrow scan and on a native DuckDB table."""
    found = []
    for native in (False, True):
        _load(ds, table, native=native)
        found.append(sorted(ds.query(SCOPE_NAME, ["rid"], **query).arrow()["rid"].to_pylist()))
    assert found[0] == found[1], "Arrow scan and DuckDB table disagree"
    return found[0]


def _polars(table: pa.Table, node: object) -> list[int]:
    return sorted(filter_frame(pl.from_arrow(table), node, table=SCOPE_NAME)["rid"].to_list())


@SETTINGS
@given(table=tables(), node=filters)
def test_ir_duckdb_equals_polars_equals_reference(ds: engine.Dataset, table: pa.Table, node: object) -> None:
    rows = table.to_pylist()
    expected = matching(rows, lambda row: evaluate(node, row))
    assert _duckdb(ds, table, filters=node) == expected
    assert _polars(table, node) == expected


@SETTINGS
@given(table=tables(), node=leaves)
def test_single_predicates_duckdb_equals_polars_equals_reference(ds: engine.Dataset, table: pa.Table, node: object) -> None:
    """Leaves alone, so each predicate's edge cases (bounds, NULL, NaN, type mixes) get their own examples."""
    rows = table.to_pylist()
    expected = matching(rows, lambda row: evaluate(node, row))
    assert _duckdb(ds, table, filters=node) == expected
    assert _polars(table, node) == expected


@SETTINGS
@given(table=tables(), dicts=filter_dicts())
def test_filter_dicts_duckdb_equals_polars_equals_reference(ds: engine.Dataset, table: pa.Table, dicts: dict) -> None:
    rows = table.to_pylist()
    expected = matching(rows, lambda row: evaluate_dicts(dicts, row))
    assert _duckdb(ds, table, **dicts) == expected
    node = parse_filter_dicts(dicts, TableSchema.from_arrow(SCOPE_NAME, table.schema))
    assert _polars(table, node) == expected


@SETTINGS
@given(table=tables(), node=filters)
def test_passes_keep_three_valued_semantics(table: pa.Table, node: object) -> None:
    for row in table.to_pylist():
        assert evaluate(optimize(node), row) == evaluate(node, row)


def test_signed_zeros_are_equal_in_lists_on_arrow_scans() -> None:
    """-0.0 = 0.0 for IN / NOT IN / ANY / key-table lists, also where DuckDB 1.5.5 pushes lists into Arrow scans."""
    table = pa.table({"rid": [0, 1, 2, 3], "f": pa.array([-0.0, 0.0, 1.0, None], pa.float64())})
    far = [float(x) for x in range(10, 1_500)]
    with engine.connect({"t": table}) as ds:
        for zero in (0.0, -0.0):
            for values in ([zero, float("inf")], [zero, *far[:300]], [zero, *far]):  # IN, = ANY, key table
                assert sorted(ds.query("t", ["rid"], filter_in_dict={"f": values}).arrow()["rid"].to_pylist()) == [0, 1]
                assert ds.query("t", ["rid"], filter_out_dict={"f": values}).arrow()["rid"].to_pylist() == [2]
