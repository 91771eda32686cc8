"""check_release on generated releases: one clear SchemaVersionError for every way a file can be unusable."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.catalog.schema_check import REQUIRED, check_release
from engine.sources.release_conventions import JSON_COLUMNS, TABLES_22
from engine.errors import SchemaVersionError

Copy = Callable[..., Path]


def message(path: Path) -> str:
    with pytest.raises(SchemaVersionError) as err:
        check_release(path)
    return str(err.value)


def set_meta(text: str) -> str:
    return f"UPDATE metadata SET meta = '{text}'"


def test_good_release(tiny_release: Path) -> None:
    assert check_release(tiny_release) == "22"


def test_tables_and_json_columns_match_a_generated_release(tiny_release: Path) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{tiny_release}?mode=ro", uri=True)) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == set(TABLES_22)
        for table, columns in JSON_COLUMNS.items():
            declared = {r[1]: r[2] for r in con.execute("SELECT * FROM pragma_table_info(?)", (table,))}
            for column in columns:
                assert declared[column] == "VARCHAR", (table, column)
                for (text,) in con.execute(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 5"):
                    json.loads(text)


def test_wrong_version_also_lists_what_is_missing(release_copy: Copy) -> None:
    path = release_copy(set_meta('{"db_version": "15"}'), "DROP TABLE patch_seq")
    assert message(path) == (
        f"cannot use {path} (schema version '15'; the engine supports 22): "
        "schema version '15' is not supported; missing tables: patch_seq"
    )


def test_empty_metadata_is_reported(release_copy: Copy) -> None:
    path = release_copy("DELETE FROM metadata")
    assert message(path) == (
        f"cannot use {path} (schema version unknown; the engine supports 22): "
        "the metadata table is empty (expected one row with meta.db_version)"
    )


def test_two_metadata_rows(release_copy: Copy) -> None:
    path = release_copy("INSERT INTO metadata (meta) SELECT meta FROM metadata")
    assert message(path).endswith("the metadata table has more than one row (expected exactly one)")


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (set_meta("{oops"), "metadata.meta is not JSON (Expecting property name"),
        ("UPDATE metadata SET meta = NULL", "metadata.meta is not JSON (the JSON object must be str"),
        (set_meta('{"db_version": 22}'), "metadata.meta has no string 'db_version'"),
        (set_meta('["22"]'), "metadata.meta has no string 'db_version'"),
    ],
)
def test_unparseable_meta(release_copy: Copy, statement: str, problem: str) -> None:
    assert problem in message(release_copy(statement))


def test_missing_table_and_column(release_copy: Copy) -> None:
    path = release_copy(
        "DROP TABLE gap_junction",
        "DROP INDEX ix_cell_cell_class_nonsynaptic",
        "ALTER TABLE cell DROP COLUMN cell_class_nonsynaptic",
    )
    assert message(path) == (
        f"cannot use {path} (schema version '22'; the engine supports 22): "
        "missing tables: gap_junction; missing columns: cell.cell_class_nonsynaptic"
    )


def test_no_metadata_table(release_copy: Copy) -> None:
    path = release_copy("DROP TABLE metadata")
    assert message(path) == (
        f"cannot use {path} (schema version unknown; the engine supports 22): missing tables: metadata"
    )


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("this is not a database, just some text that is long enough " * 20)
    assert message(path) == (
        f"cannot use {path} (schema version unknown; the engine supports 22): "
        "not a sqlite database (file is not a database)"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaVersionError, match="no such file"):
        check_release(tmp_path / "absent.sqlite")


def test_odd_file_names_are_opened_read_only(release_copy: Copy) -> None:
    path = release_copy(name="r?mode=rwc#1%20.sqlite")
    before = path.stat().st_mtime_ns
    assert check_release(path) == "22"
    assert path.stat().st_mtime_ns == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_json_columns_cover_every_table_meta() -> None:
    assert len(TABLES_22) == 32 and set(REQUIRED) <= set(TABLES_22)
    assert set(JSON_COLUMNS) == set(TABLES_22)
    assert all(cols[0] == "meta" for cols in JSON_COLUMNS.values())
    assert JSON_COLUMNS["synapse_model"][1:] == (
        "parameter_space", "marginal_distributions", "confidence_intervals", "ml_strength_ci",
        "ml_quanta_per_spike_ci", "ml_sites_pr_ratio_ci", "ml_stp_all_stimuli",
    )
    assert JSON_COLUMNS["sync_rec"] == ("meta", "ext_id")
    assert JSON_COLUMNS["pair"] == ("meta",)
