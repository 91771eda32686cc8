"""Hostile column names and values never become SQL: they are parameters, or rejected names."""

from __future__ import annotations

import pyarrow as pa
import pytest

import engine
from engine import EngineError
from engine.filters import Equal, InSet, Regex, compile

HOSTILE = [
    "'; DROP TABLE synapses; --",
    '"; DROP TABLE synapses; --',
    "x' OR '1'='1",
    "/* comment */ 1",
    "-- comment",
    "a\\'b",
    "$p0",
    "日本'; SELECT 1",
]


def _intact(ds: engine.Dataset, synapses: pa.Table) -> None:
    assert ds.sql("SELECT count(*) AS n FROM synapses").arrow()["n"][0].as_py() == synapses.num_rows


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_bound_parameters(ds: engine.Dataset, synapses: pa.Table, value: str) -> None:
    for kwargs in (
        {"filter_equal_dict": {"cell_type": value}},
        {"filter_in_dict": {"cell_type": [value, "sst"]}},
        {"filter_out_dict": {"cell_type": [value]}},
        {"filter_greater_dict": {"cell_type": value}},
    ):
        result = ds.query("synapses", ["id"], **kwargs)
        assert not any(token in result.sql for token in ("'", "DROP", "comment", "SELECT 1"))
        result.arrow()
    _intact(ds, synapses)


def test_a_value_equal_to_its_own_text_matches_only_itself(synapses: pa.Table) -> None:
    table = pa.table({"id": [1, 2], "name": ["'; DROP TABLE t; --", "plain"]})
    with engine.connect({"t": table}) as ds:
        assert ds.query("t", ["id"], filter_equal_dict={"name": "'; DROP TABLE t; --"}).arrow()["id"].to_pylist() == [1]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_column_names_are_validation_errors(ds: engine.Dataset, synapses: pa.Table, name: str) -> None:
    for kwargs in (
        {"filter_equal_dict": {name: 1}},
        {"filter_in_dict": {"synapses": {name: [1]}}},
        {"filter_spatial_dict": {name: [[0, 0, 0], [1, 1, 1]]}},
        {"order_by": name},
        {"filters": InSet(name, [1])},
    ):
        with pytest.raises(EngineError):
            ds.query("synapses", **kwargs)
    with pytest.raises(EngineError):
        ds.query("synapses", [name])
    with pytest.raises(EngineError):
        ds.query("synapses", filter_in_dict={name: {"id": [1]}})  # hostile table name
    _intact(ds, synapses)


def test_hostile_regex_is_a_parameter(ds: engine.Dataset, synapses: pa.Table) -> None:
    result = ds.query("synapses", filters=Regex("cell_type", "'; DROP TABLE synapses; --"))
    assert "DROP" not in result.sql
    assert result.count() == 0
    _intact(ds, synapses)


def test_quoted_names_that_exist_are_quoted_not_spliced() -> None:
    """A column whose name contains a quote is legal when the table really has it; it is escaped."""
    table = pa.table({'we"ird; --': [1, 2], "id": [1, 2]})
    with engine.connect({"t": table}) as ds:
        compiled = compile(Equal('we"ird; --', 2), ds.schema("t"))
        assert compiled.sql == '"we""ird; --" = $p0'
        assert ds.query("t", ["id"], filter_equal_dict={'we"ird; --': 2}).arrow()["id"].to_pylist() == [2]
