"""Dataset and Result over every source kind: schemas, laziness, threads, fork, errors."""

from __future__ import annotations

import io
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import engine
from engine import BadInputError, QueryError, UnknownColumnError, UnknownTableError


def npy(values) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(values), allow_pickle=False)
    return buf.getvalue()


@pytest.fixture
def release_like(tmp_path: Path) -> Path:
    """A small sqlite file following the release conventions (metadata table, npy, JSON, bools)."""
    path = tmp_path / "rel.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE metadata (id INTEGER NOT NULL PRIMARY KEY, meta VARCHAR);
        CREATE TABLE cell (id INTEGER NOT NULL PRIMARY KEY, cre_type VARCHAR, position VARCHAR, meta VARCHAR);
        CREATE TABLE pair (id INTEGER NOT NULL PRIMARY KEY, pre_cell_id INTEGER, post_cell_id INTEGER,
            has_synapse BOOLEAN, distance FLOAT, trace BLOB, meta VARCHAR,
            FOREIGN KEY(pre_cell_id) REFERENCES cell (id), FOREIGN KEY(post_cell_id) REFERENCES cell (id));
        """
    )
    con.execute("INSERT INTO metadata VALUES (1, ?)", ('{"db_version": "22"}',))
    con.executemany("INSERT INTO cell VALUES (?, ?, ?, ?)", [
        (1, "sst", "[1e-6, 2e-6, 3e-6]", '{"lims_specimen_id": 7}'),
        (2, "pvalb", "null", None),
        (3, None, None, "null"),
    ])
    con.executemany("INSERT INTO pair VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (1, 1, 2, 1, 5e-5, npy([1.0, 2.0]), None),
        (2, 2, 1, 0, 5e-5, b"", None),
        (3, 1, 3, None, None, None, None),
    ])
    con.commit()
    con.close()
    return path


def test_sqlite_schema_keys_and_types(release_like: Path) -> None:
    ds = engine.connect(release_like)
    assert ds.kind == "sqlite"
    assert ds.tables == ["cell", "metadata", "pair"]
    pair = ds.schema("pair")
    assert pair.primary_key == ("id",)
    assert {(k.column, k.ref_table, k.ref_column) for k in pair.foreign_keys} == {
        ("pre_cell_id", "cell", "id"), ("post_cell_id", "cell", "id")}
    assert pair.column("has_synapse").type == pa.bool_()
    assert pair.column("distance").type == pa.float64()
    assert not pair.column("id").nullable and pair.column("distance").nullable
    assert pair.column("trace").encoding == "npy"
    assert ds.schema("cell").column("position").encoding == "json"
    assert ds.schema("cell").column("cre_type").encoding is None


def test_result_runs_once_and_converts(release_like: Path) -> None:
    ds = engine.connect(release_like)
    result = ds.sql("SELECT id, has_synapse FROM pair WHERE id >= $lo ORDER BY id", {"lo": 2})
    assert "not run" in repr(result)
    assert result.count() == 2
    table = result.arrow()
    assert result.arrow() is table  # materialised once, then shared
    assert table.column("has_synapse").to_pylist() == [False, None]
    assert isinstance(result.pl(), pl.DataFrame) and isinstance(result.df(), pd.DataFrame)
    assert result.sql.startswith("SELECT id") and result.params == {"lo": 2}


def test_batches_stream(tmp_path: Path) -> None:
    ds = engine.connect({"t": pa.table({"x": np.arange(100_000)})})
    batches = list(ds.sql("SELECT x FROM t ORDER BY x").batches(batch_rows=10_000))
    assert sum(b.num_rows for b in batches) == 100_000 and len(batches) >= 10
    assert max(b.num_rows for b in batches) <= 10_000


def test_decode_npy_and_json(release_like: Path) -> None:
    ds = engine.connect(release_like)
    raw = ds.table("pair").arrow()
    assert raw.column("trace").type == pa.binary()
    decoded = ds.table("pair").decode().arrow()
    assert decoded.column("trace").to_pylist() == [[1.0, 2.0], None, None]  # b'' means None
    cells = ds.sql("SELECT id, position, meta FROM cell ORDER BY id").decode().arrow()
    assert cells.column("position").to_pylist() == [[1e-6, 2e-6, 3e-6], None, None]  # 'null' -> None
    assert cells.column("meta").to_pylist()[0] == {"lims_specimen_id": 7}
    arrays = ds.table("pair").arrays("trace")
    np.testing.assert_array_equal(arrays[0], [1.0, 2.0])
    assert arrays[1] is None and arrays[2] is None
    kept = ds.sql("SELECT position FROM cell").decode(json=False).arrow()
    assert kept.column("position").type == pa.string()


def test_decode_rejects_unknown_column(release_like: Path) -> None:
    ds = engine.connect(release_like)
    with pytest.raises(BadInputError, match="not a result column"):
        ds.table("cell").decode(json=["nope"])


def test_memory_sources_all_frame_kinds() -> None:
    ds = engine.connect({
        "a": pa.table({"k": [1, 2]}),
        "b": pl.DataFrame({"k": [2, 3]}),
        "c": pd.DataFrame({"k": [3, 4]}),
    })
    got = ds.sql("SELECT k FROM a UNION ALL SELECT k FROM b UNION ALL SELECT k FROM c ORDER BY k").arrow()
    assert got.column("k").to_pylist() == [1, 2, 2, 3, 3, 4]
    with pytest.raises(BadInputError, match="pyarrow Table, polars or pandas"):
        engine.connect({"x": [1, 2, 3]})


def test_duckdb_file_source(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "x.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name VARCHAR)")
    con.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))")
    con.execute("INSERT INTO parent VALUES (1, 'a'), (2, 'b')")
    con.execute("INSERT INTO child VALUES (10, 1)")
    con.close()
    ds = engine.connect(path)
    assert ds.kind == "duckdb" and ds.tables == ["child", "parent"]
    assert ds.schema("parent").primary_key == ("id",)
    assert [(k.column, k.ref_table) for k in ds.schema("child").foreign_keys] == [("parent_id", "parent")]
    assert ds.sql("SELECT name FROM parent JOIN child ON parent.id = child.parent_id").arrow().num_rows == 1


def test_errors_name_the_problem(release_like: Path, tmp_path: Path) -> None:
    ds = engine.connect(release_like)
    with pytest.raises(UnknownTableError, match=r"no table 'pairs'; did you mean 'pair'\?"):
        ds.schema("pairs")
    with pytest.raises(UnknownColumnError, match=r"did you mean 'cre_type'"):
        ds.table("cell", ["cre_typ"])
    with pytest.raises(QueryError, match="query failed"):
        ds.sql("SELECT nope FROM cell").arrow()
    with pytest.raises(BadInputError, match="does not exist"):
        engine.connect(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(BadInputError, match="neither a sqlite nor a DuckDB"):
        engine.connect(junk)
    with pytest.raises(BadInputError, match="non-empty SQL"):
        ds.sql("  ")


def test_values_are_bound_not_spliced(release_like: Path) -> None:
    ds = engine.connect(release_like)
    evil = "x'; DROP TABLE cell; --"
    assert ds.sql("SELECT * FROM cell WHERE cre_type = $v", {"v": evil}).count() == 0
    assert ds.table("cell").count() == 3


def test_threads_get_their_own_cursor(release_like: Path) -> None:
    ds = engine.connect(release_like)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append(ds.sql("SELECT count(*) AS n FROM pair").arrow()["n"][0].as_py())
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [3] * 160


def _count_in_child(ds: engine.Dataset, queue) -> None:
    queue.put(ds.sql("SELECT count(*) AS n FROM pair").arrow()["n"][0].as_py())


def test_usable_after_fork(release_like: Path) -> None:
    ds = engine.connect(release_like)
    assert ds.table("pair").count() == 3  # the parent's connection is open before the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_count_in_child, args=(ds, queue))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 3
    assert ds.table("pair").count() == 3  # the parent is unaffected
