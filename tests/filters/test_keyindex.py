"""The sorted-key access path: ``query_batch`` on a mirror sorted by the keyed column answers as the SQL path does."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.filters import InSet, IsNull, Range
from engine.mirror.keyindex import KeyIndex
from engine.mirror.manifest import Manifest, TableEntry
from engine.schema import TableSchema

ROWS = 3_000
GROUP_ROWS = 250  # 12 row groups


def _table() -> pa.Table:
    rng = np.random.default_rng(5)
    pre = np.sort(rng.integers(0, 300, ROWS)) * 7 + 2**60
    size = rng.gamma(2.0, 150.0, ROWS)
    return pa.table(
        {
            "id": pa.array(np.arange(ROWS)),
            "pre": pa.array(pre),
            "post": pa.array(rng.integers(0, 50, ROWS)),
            "size": pa.array(size, mask=rng.random(ROWS) < 0.1),
            "kind": pa.array(rng.choice(["a", "b", "c"], ROWS)),
        }
    )


def _mirror(directory: Path, table: pa.Table, sort_by: tuple[str, ...]) -> Path:
    """A one-table mirror written by pyarrow with small row groups; the manifest declares ``sort_by``."""
    (directory / "tables").mkdir(parents=True)
    pq.write_table(table, directory / "tables" / "syn.parquet", row_group_size=GROUP_ROWS)
    schema = TableSchema.from_arrow("syn", table.schema, primary_key=("id",))
    entry = TableEntry("syn", ("tables/syn.parquet",), table.num_rows, schema, sort_by, {})
    Manifest("test", {}, {}, {"syn": entry}, {}).write(directory)
    return directory


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> tuple[engine.Dataset, engine.Dataset]:
    """The same table twice: sorted by ``pre`` in its manifest (indexed) and without ``sort_by`` (SQL path)."""
    root, table = tmp_path_factory.mktemp("keyindex"), _table()
    with engine.connect(_mirror(root / "sorted", table, ("pre", "id"))) as indexed, \
            engine.connect(_mirror(root / "plain", table, ())) as plain:
        yield indexed, plain


@pytest.fixture(scope="module")
def roots() -> list[int]:
    return np.unique(_table()["pre"].to_numpy()).tolist()


def _separate(ds: engine.Dataset, sets: list[Any], **kwargs: Any) -> list[list[dict]]:
    queries = [s if isinstance(s, dict) else {"filters": s} for s in sets]
    return [ds.query("syn", **query, **kwargs).arrow().to_pylist() for query in queries]


def _check(
    mirrors: tuple[engine.Dataset, engine.Dataset], sets: list[Any], *, via_index: bool = True, **kwargs: Any
) -> None:
    """Indexed batch == SQL-path batch == K separate queries; row order compared when ``order_by`` fixes it."""
    indexed, plain = mirrors
    batch = indexed.query_batch("syn", sets, **kwargs)
    assert ("__engine_keys_" in batch.sql) == via_index  # rows from the index, registered as a relation
    plain_batch = plain.query_batch("syn", sets, **kwargs)
    assert batch.arrow().schema == plain_batch.arrow().schema
    got = [t.to_pylist() for t in batch.split()]
    sql_path = [t.to_pylist() for t in plain_batch.split()]
    separate = _separate(indexed, sets, **kwargs)
    if "order_by" not in kwargs:  # DuckDB's parallel scans give no order; the index gives file order
        got, sql_path, separate = (_unordered(rows) for rows in (got, sql_path, separate))
    assert got == sql_path == separate


def _unordered(groups: list[list[dict]]) -> list[list[str]]:
    return [sorted(map(str, rows)) for rows in groups]


def test_index_is_used_only_for_the_first_sort_column(mirrors: tuple[engine.Dataset, engine.Dataset]) -> None:
    indexed, plain = mirrors
    assert isinstance(indexed.key_index("syn", "pre"), KeyIndex)
    assert indexed.key_index("syn", "id") is None
    assert plain.key_index("syn", "pre") is None
    sets = [{"filter_equal_dict": {"pre": 2**60}}, {"filter_equal_dict": {"pre": 2**60 + 7}}]
    assert "__engine_keys_" in indexed.query_batch("syn", sets).sql
    assert "__engine_keys_" not in plain.query_batch("syn", sets).sql


def test_one_key_per_set(mirrors: tuple[engine.Dataset, engine.Dataset], roots: list[int]) -> None:
    rng = np.random.default_rng(1)
    keys = rng.choice(roots, 40).tolist() + [1, 2**60 + 1, roots[-1] + 7]  # duplicates and absent keys
    _check(mirrors, [{"filter_in_dict": {"pre": [k]}} for k in keys], columns=["id", "pre", "size"])


def test_several_keys_per_set_and_empty_result(mirrors: tuple[engine.Dataset, engine.Dataset], roots: list[int]) -> None:
    sets = [
        {"filter_in_dict": {"pre": [roots[5], roots[1], roots[5], roots[200]]}},
        {"filter_in_dict": {"pre": [3, 4]}},
        {"filter_in_dict": {"pre": roots[100:160]}},
    ]
    _check(mirrors, sets)
    _check(mirrors, [{"filter_in_dict": {"pre": [3]}}, {"filter_equal_dict": {"pre": 4}}], columns=["id"])


def test_rest_of_the_filter_runs_over_the_rows(mirrors: tuple[engine.Dataset, engine.Dataset], roots: list[int]) -> None:
    sets: list[dict] = [
        {"filter_in_dict": {"pre": [roots[i], roots[i + 1]]}, "filter_greater_dict": {"size": 200.0},
         "filter_less_dict": {"post": 25}}
        for i in range(0, 60, 3)
    ]
    _check(mirrors, sets, columns=["id", "size"])
    two_keyed = [{"filter_in_dict": {"pre": [roots[i]]}, "filter_equal_dict": {"kind": "a"}} for i in range(20)]
    _check(mirrors, two_keyed, columns=["id"], via_index=False)
    nulls = [{"filter_equal_dict": {"pre": r, "size": None}} for r in roots[:30]]
    _check(mirrors, nulls)
    mixed = [InSet("pre", [r, roots[-1]]) & (Range("post", lo=10, hi=30) | IsNull("size")) for r in roots[::10]]
    _check(mirrors, mixed, columns=["post", "id"])


def test_order_limit_offset_per_set(mirrors: tuple[engine.Dataset, engine.Dataset], roots: list[int]) -> None:
    sets = [{"filter_in_dict": {"pre": roots[i : i + 3]}} for i in range(0, 90, 9)]
    _check(mirrors, sets, columns=["id", "size"], order_by="-id", limit=4)
    _check(mirrors, sets, columns=["kind"], offset=5)
    _check(mirrors, sets, columns=["kind"], order_by=["-size", "id"], limit=2)
    _check(mirrors, sets, order_by=[("size", "desc"), "id"], limit=3, offset=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_batches(mirrors: tuple[engine.Dataset, engine.Dataset], roots: list[int], data: st.DataObject) -> None:
    keys = st.one_of(st.sampled_from(roots), st.integers(2**60 - 10, roots[-1] + 10))
    sets = data.draw(st.lists(st.lists(keys, min_size=1, max_size=4), min_size=1, max_size=12))
    columns = data.draw(st.sampled_from([None, ["id"], ["size", "pre"]]))
    _check(mirrors, [{"filter_in_dict": {"pre": s}} for s in sets], columns=columns)


def test_unusable_columns_give_no_index(tmp_path: Path) -> None:
    """Nulls, a non-integer key or rows out of order: no index, and query_batch takes the SQL path."""
    table = pa.table({"k": pa.array([1, 2, None, 3]), "f": [0.5, 1.5, 2.5, 3.5], "u": [3, 1, 2, 4]})
    for column in ("k", "f", "u"):
        with engine.connect(_mirror(tmp_path / column, table, (column,))) as ds:
            assert ds.key_index("syn", column) is None


def test_lazy_build_is_shared_by_threads(tmp_path: Path) -> None:
    with engine.connect(_mirror(tmp_path / "m", _table(), ("pre",))) as ds:
        barrier, found = threading.Barrier(4), []

        def build() -> None:
            barrier.wait()
            found.append(ds.key_index("syn", "pre"))

        threads = [threading.Thread(target=build) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(found) == 4 and found[0] is not None and all(f is found[0] for f in found)


def test_resident_table_answers_like_the_parquet_path(tmp_path: Path, roots: list[int]) -> None:
    """A resident table (decoded once, lookups by take) gives the same batches as reading row groups."""
    path = _mirror(tmp_path / "m", _table(), ("pre", "id"))
    rng = np.random.default_rng(11)
    sets = [{"filter_in_dict": {"pre": [int(k)]}, "filter_greater_dict": {"size": 100.0}}
            for k in rng.choice(roots, 40, replace=False)]
    with engine.connect(path) as parquet, engine.connect(path, resident=["syn"]) as resident:
        kwargs = {"columns": ["id", "pre", "size"], "order_by": "id"}
        expected = [t.to_pylist() for t in parquet.query_batch("syn", sets, **kwargs).split()]
        assert [t.to_pylist() for t in resident.query_batch("syn", sets, **kwargs).split()] == expected
        assert sum(map(len, expected)) > 0
    with pytest.raises(engine.UnknownTableError, match="did you mean 'syn'"):
        engine.connect(path, resident=["syns"])
    with pytest.raises(engine.BadInputError, match="Parquet mirror directories only"):
        engine.connect({"t": _table()}, resident=["t"])


def test_keyed_only_batches_skip_the_statement(tmp_path: Path, roots: list[int]) -> None:
    """Sets that only name keys are answered from the index alone; the Result still reads back as SQL."""
    table = _table().append_column("at", pa.array(np.arange(ROWS) * 1_000_000, type=pa.timestamp("us")))
    path = _mirror(tmp_path / "m", table, ("pre", "id"))
    sets = [{"filter_in_dict": {"pre": [r, roots[-1]]}} for r in roots[:50:5]] + [{"filter_equal_dict": {"pre": 3}}]
    with engine.connect(path) as parquet, engine.connect(path, resident=["syn"]) as resident, \
            engine.connect(_mirror(tmp_path / "plain", table, ())) as plain:
        for ds in (parquet, resident):
            direct = ds.query_batch("syn", sets, columns=["size", "pre", "kind", "id"])
            assert direct.sql == 'SELECT * FROM "__engine_keys_0"'
            expected = plain.query_batch("syn", sets, columns=["size", "pre", "kind", "id"])
            assert direct.arrow().schema == expected.arrow().schema
            assert _unordered([t.to_pylist() for t in direct.split()]) == \
                _unordered([t.to_pylist() for t in expected.split()])
            assert {t.schema for t in direct.split()} == {expected.split()[0].schema}
            assert direct.count() == expected.count() == sum(t.num_rows for t in direct.split())
            assert direct.pl().height == direct.decode().arrow().num_rows == direct.arrow().num_rows
            assert sum(b.num_rows for b in direct.batches(7)) == direct.arrow().num_rows
            # a timestamp column, a repeated column or a second filter take the statement path
            for kwargs in ({"columns": None}, {"columns": ["id", "id"]}):
                assert ds.query_batch("syn", sets, **kwargs).sql != direct.sql
            both = [{**s, "filter_greater_dict": {"size": 1.0}} for s in sets]
            assert ds.query_batch("syn", both, columns=["id"]).sql != direct.sql
