"""Parquet mirrors: exact round trip, manifest, no-op re-runs, sorting, atomicity, verification."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import engine
from engine import BadInputError, IntegrityError, UnknownColumnError


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "src.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE metadata (id INTEGER NOT NULL PRIMARY KEY, meta VARCHAR);
        CREATE TABLE parent (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR, born DATETIME, ok BOOLEAN, blob BLOB);
        CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER, w FLOAT,
            FOREIGN KEY(parent_id) REFERENCES parent (id));
        """
    )
    con.execute("INSERT INTO metadata VALUES (1, '{\"db_version\": \"22\"}')")
    con.executemany("INSERT INTO parent VALUES (?, ?, ?, ?, ?)", [
        (i, f"n'{i}\"", f"2024-01-0{1 + i % 9} 10:00:00.5", i % 2, bytes([i])) for i in range(1, 50)])
    con.executemany("INSERT INTO child VALUES (?, ?, ?)", [
        (i, 50 - i % 49 - 1 or None, None if i % 7 == 0 else i / 3) for i in range(1, 500)])
    con.commit()
    con.close()
    return path


def test_mirror_round_trips_every_table(source: Path, tmp_path: Path) -> None:
    ds = engine.connect(source)
    dest = ds.mirror(tmp_path / "m", progress=False)
    mirror = engine.connect(dest)
    assert mirror.kind == "mirror" and mirror.tables == ds.tables
    for table in ds.tables:
        query = f'SELECT * FROM "{table}" ORDER BY id'
        assert mirror.sql(query).arrow().equals(ds.sql(query).arrow()), table
        assert mirror.schema(table).foreign_keys == ds.schema(table).foreign_keys
        assert mirror.schema(table).primary_key == ds.schema(table).primary_key
        assert [c.encoding for c in mirror.schema(table).columns] == [c.encoding for c in ds.schema(table).columns]


def test_manifest_describes_source_and_tables(source: Path, tmp_path: Path) -> None:
    dest = engine.connect(source).mirror(tmp_path / "m", progress=False)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["format"] == "engine-mirror" and manifest["engine_version"] == engine.__version__
    assert manifest["source"]["file"] == "src.sqlite" and manifest["source"]["schema_version"] == "22"
    assert len(manifest["source"]["sha256"]) == 64
    child = manifest["tables"]["child"]
    assert child["rows"] == 499 and child["files"] == ["tables/child.parquet"]
    assert child["foreign_keys"] == [{"column": "parent_id", "ref_table": "parent", "ref_column": "id"}]
    assert set(child["sha256"]) == {"tables/child.parquet"}


def test_rerun_on_unchanged_source_is_a_noop(source: Path, tmp_path: Path) -> None:
    ds = engine.connect(source)
    dest = ds.mirror(tmp_path / "m", progress=False)
    before = (dest / "manifest.json").stat().st_mtime_ns
    ds.mirror(tmp_path / "m", progress=False)
    assert (dest / "manifest.json").stat().st_mtime_ns == before
    ds.mirror(tmp_path / "m", sort_by={"child": ["w"]}, progress=False)  # new options: rewritten
    assert (dest / "manifest.json").stat().st_mtime_ns != before


def test_sort_by_orders_rows(source: Path, tmp_path: Path) -> None:
    ds = engine.connect(source)
    dest = ds.mirror(tmp_path / "m", sort_by={"child": ["parent_id", "id"]}, row_group_size=64, progress=False)
    got = engine.connect(dest).sql("SELECT parent_id FROM child").arrow()["parent_id"].to_pylist()
    assert got == sorted(got, key=lambda v: (v is None, v))
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["options"]["row_group_size"] == 64
    assert manifest["tables"]["child"]["sort_by"] == ["parent_id", "id"]
    with pytest.raises(UnknownColumnError, match="table 'child' has no column 'nope'"):
        ds.mirror(tmp_path / "m2", sort_by={"child": ["nope"]})
    assert not (tmp_path / "m2").exists()


def test_interrupted_mirror_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER); INSERT INTO a VALUES (1, 1);"
        "CREATE TABLE z (id INTEGER PRIMARY KEY, x INTEGER); INSERT INTO z VALUES (1, 'not an int');"
    )
    con.commit()
    con.close()
    with pytest.raises(engine.EngineError):
        engine.connect(path).mirror(tmp_path / "m", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.sqlite"]


def test_verify_detects_tampering(source: Path, tmp_path: Path) -> None:
    dest = engine.connect(source).mirror(tmp_path / "m", progress=False)
    engine.connect(dest, verify=True)
    target = dest / "tables" / "child.parquet"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(IntegrityError, match="child.parquet does not match the sha256"):
        engine.connect(dest, verify=True)
    target.unlink()
    with pytest.raises(IntegrityError, match="missing"):
        engine.connect(dest, verify=True)


def test_memory_dataset_cannot_be_mirrored(tmp_path: Path) -> None:
    import pyarrow as pa

    with pytest.raises(BadInputError, match="in-memory"):
        engine.connect({"t": pa.table({"x": [1]})}).mirror(tmp_path / "m")


def test_directory_without_manifest_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IntegrityError, match="manifest.json is missing"):
        engine.connect(tmp_path / "d")
