"""``query_batch`` returns what K separate ``query`` calls return, in one statement."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import BadFilterError, BadInputError
from engine.filters import KEY_TABLE_MIN_VALUES, Equal, InSet, Range
from engine.filters.batch import BatchResult

from .strategies import SCHEMA, SETTINGS, filters, tables

TABLE = pa.table(
    {
        "id": list(range(40)),
        "pre": [i % 7 if i % 11 else None for i in range(40)],
        "post": [(i * 3) % 5 for i in range(40)],
        "size": [float(i % 9) for i in range(40)],
        "kind": [["a", "b", "c'"][i % 3] for i in range(40)],
    }
)


@pytest.fixture(scope="module")
def batch_ds() -> engine.Dataset:
    with engine.connect({"syn": TABLE}) as dataset:
        yield dataset


def _separate(ds: engine.Dataset, sets: list[Any], **kwargs: Any) -> list[list[dict]]:
    out = []
    for filter_set in sets:
        query = dict(filter_set) if isinstance(filter_set, dict) else {"filters": filter_set}
        out.append(ds.query("syn", **query, **kwargs).arrow().to_pylist())
    return out


def _rows(tables: list[pa.Table]) -> list[list[dict]]:
    return [t.to_pylist() for t in tables]


def _unordered(groups: list[list[dict]]) -> list[list[tuple]]:
    return [sorted(tuple(sorted(r.items(), key=str)) for r in rows) for rows in groups]


ids = st.lists(st.integers(0, 8), min_size=1, max_size=4)
same_shape = st.lists(st.builds(lambda a: {"filter_in_dict": {"pre": a}}, ids), min_size=1, max_size=6)
two_columns = st.lists(
    st.builds(lambda a, b: {"filter_in_dict": {"pre": a}, "filter_equal_dict": {"post": b}}, ids, st.integers(0, 5)),
    min_size=1,
    max_size=6,
)
ir_columns = {"i": "pre", "f": "size", "s": "kind"}
mixed = st.lists(
    st.one_of(
        st.builds(lambda a: {"filter_in_dict": {"pre": a}, "filter_greater_dict": {"size": 3}}, ids),
        st.builds(lambda a: {"filter_in_dict": {"pre": a}}, ids),
        st.builds(lambda a: InSet("post", a) | Equal("kind", "a"), ids),
        st.builds(lambda a: [InSet("pre", a), Range("size", hi=4)], ids),
        st.just({}),
    ),
    min_size=1,
    max_size=6,
)


@SETTINGS
@given(sets=st.one_of(same_shape, two_columns, mixed))
def test_batch_equals_separate_queries(batch_ds: engine.Dataset, sets: list[Any]) -> None:
    result = batch_ds.query_batch("syn", sets)
    assert isinstance(result, BatchResult)
    assert _unordered(_rows(result.split())) == _unordered(_separate(batch_ds, sets))
    assert result.arrow().column_names[0] == "query_index"


@SETTINGS
@given(
    sets=st.one_of(same_shape, mixed),
    order=st.sampled_from(["id", "-id", ["size", "-id"]]),
    limit=st.one_of(st.none(), st.integers(0, 4)),
    offset=st.one_of(st.none(), st.integers(0, 3)),
)
def test_order_limit_offset_apply_per_set(batch_ds: engine.Dataset, sets: list[Any], order, limit, offset) -> None:
    result = batch_ds.query_batch("syn", sets, columns=["id", "pre"], order_by=order, limit=limit, offset=offset)
    expected = _separate(batch_ds, sets, columns=["id", "pre"], order_by=order, limit=limit, offset=offset)
    assert _rows(result.split()) == expected
    assert result.column_names() == ["query_index", "id", "pre"]


def test_same_shape_sets_become_one_keyed_join(batch_ds: engine.Dataset) -> None:
    sets = [{"filter_in_dict": {"pre": [k, k + 1]}} for k in range(5)]
    result = batch_ds.query_batch("syn", sets, columns=["id"])
    assert "UNION ALL" not in result.sql and result.sql.count("JOIN") == 1
    assert result.params["p0"] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]  # (query_index, key) lists, whatever K is
    assert 'WHERE "t"."pre" IN ($p2, ' in result.sql  # few distinct keys: also pushed into the scan


def test_mixed_shapes_fall_back_to_union_all(batch_ds: engine.Dataset) -> None:
    sets = [{"filter_in_dict": {"pre": [1]}}, {"filter_regex_dict": {"kind": "^a"}}, Range("size", lo=7)]
    result = batch_ds.query_batch("syn", sets, columns=["id"])
    assert result.sql.count("UNION ALL") == 2
    assert [t.num_rows for t in result.split()] == [len(r) for r in _separate(batch_ds, sets, columns=["id"])]


def test_large_batches_join_a_registered_key_table(batch_ds: engine.Dataset) -> None:
    per_set = KEY_TABLE_MIN_VALUES // 4 + 1
    sets = [{"filter_in_dict": {"pre": list(range(k * per_set, (k + 1) * per_set))}} for k in range(4)]
    result = batch_ds.query_batch("syn", sets, columns=["id"])
    assert "__engine_keys_0" in result.sql and result.params == {}
    assert _unordered(_rows(result.split())) == _unordered(_separate(batch_ds, sets, columns=["id"]))


def test_empty_batch_and_split_keeps_empty_sets(batch_ds: engine.Dataset) -> None:
    result = batch_ds.query_batch("syn", [{"filter_in_dict": {"pre": [100]}}, {"filter_equal_dict": {"pre": 1}}])
    assert [t.num_rows for t in result.split()] == [0, 5]


def test_batch_errors(batch_ds: engine.Dataset) -> None:
    with pytest.raises(BadFilterError, match="list of values is empty"):
        batch_ds.query_batch("syn", [{"filter_in_dict": {"pre": [1]}}, {"filter_in_dict": {"pre": []}}])
    with pytest.raises(BadFilterError, match="column 'pre' has type int64"):
        batch_ds.query_batch("syn", [{"filter_in_dict": {"pre": [1]}}, {"filter_in_dict": {"pre": ["x"]}}])
    with pytest.raises(BadFilterError, match="unknown filter 'filter_inn_dict'"):
        batch_ds.query_batch("syn", [{"filter_inn_dict": {"pre": [1]}}])
    with pytest.raises(BadInputError, match="list of filter sets"):
        batch_ds.query_batch("syn", {"filter_in_dict": {"pre": [1]}})
    clash = pa.table({"query_index": [1]})
    with engine.connect({"c": clash}) as ds, pytest.raises(BadInputError, match="query_index"):
        ds.query_batch("c", [{}])


@pytest.fixture(scope="module")
def random_ds() -> engine.Dataset:
    with engine.connect({"syn": SCHEMA.empty_table()}) as dataset:
        yield dataset


@SETTINGS
@given(table=tables(), nodes=st.lists(filters, min_size=1, max_size=4))
def test_batch_of_random_ir_equals_separate_queries(random_ds: engine.Dataset, table: pa.Table, nodes: list[Any]) -> None:
    random_ds.cursor().register("syn", table)
    result = random_ds.query_batch("syn", nodes, columns=["rid"])
    assert _unordered(_rows(result.split())) == _unordered(_separate(random_ds, nodes, columns=["rid"]))
