"""The cascade: OR-merged restrictions, every parent pulled in (transitively, self-keys included), no children."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import engine
from engine.export.cascade import cascade, merge
from engine.export.preview import rows
from engine.export.sources import SourceRef, open_source
from engine.filters import TRUE, Equal, InSet, Or, Range

from .checks import dangling

DDL = """
CREATE TABLE lab (id INTEGER PRIMARY KEY, name VARCHAR);
CREATE TABLE experiment (id INTEGER PRIMARY KEY, lab_id INTEGER REFERENCES lab (id), kind VARCHAR);
CREATE TABLE cell (id INTEGER PRIMARY KEY, experiment_id INTEGER REFERENCES experiment (id), cre VARCHAR);
CREATE TABLE pair (id INTEGER PRIMARY KEY, pre_cell_id INTEGER REFERENCES cell (id),
                   post_cell_id INTEGER REFERENCES cell (id), reciprocal_id INTEGER REFERENCES pair (id));
CREATE TABLE synapse (id INTEGER PRIMARY KEY, pair_id INTEGER REFERENCES pair (id), amp FLOAT);
CREATE TABLE note (id INTEGER PRIMARY KEY, experiment_id INTEGER REFERENCES experiment (id));
"""
DATA = {
    "lab": [(1, "a"), (2, "b"), (3, "unused")],
    "experiment": [(10, 1, "x"), (11, 2, "y"), (12, 2, "y")],
    "cell": [(100, 10, "sst"), (101, 10, "pv"), (102, 11, "sst"), (103, 11, "vip"), (104, 12, "pv")],
    "pair": [(1000, 100, 101, 1001), (1001, 101, 100, 1000), (1002, 102, 103, None), (1003, 104, 104, None)],
    "synapse": [(1, 1000, 0.5), (2, 1001, 0.7), (3, 1002, 0.1)],
    "note": [(1, 10), (2, 11)],
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("cascade") / "toy.sqlite"
    con = sqlite3.connect(path)
    con.executescript(DDL)
    for table, values in DATA.items():
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    con.commit()
    con.close()
    src = open_source(SourceRef("sqlite", str(path)))
    yield src
    src.close()


def ids(source, slices) -> dict[str, list[int]]:
    """Exported ids per table (tables with rows only)."""
    out = {}
    for table, piece in slices.items():
        got = sorted(rows(source, table, piece).arrow()["id"].to_pylist())
        if got:
            out[table] = got
    return out


def test_parents_are_pulled_transitively_and_children_are_not(source):
    slices = cascade(source, {"pair": [InSet("id", [1000])]})
    assert ids(source, slices) == {
        "pair": [1000, 1001],           # the reciprocal pair (a key into the same table) comes along
        "cell": [100, 101],
        "experiment": [10],
        "lab": [1],
    }  # no synapse, no note: children of exported rows are not exported unless logged
    assert slices["pair"].via == {"id": ["pair.reciprocal_id"]}
    assert sorted(slices["cell"].via["id"]) == ["pair.post_cell_id", "pair.pre_cell_id"]


def test_a_parent_reached_from_two_children_gets_the_union(source):
    slices = cascade(source, {"pair": [InSet("id", [1002])], "cell": [Equal("cre", "pv")], "synapse": [TRUE]})
    assert ids(source, slices) == {
        "synapse": [1, 2, 3],
        "pair": [1000, 1001, 1002],
        "cell": [100, 101, 102, 103, 104],
        "experiment": [10, 11, 12],
        "lab": [1, 2],
    }


def test_restrictions_on_one_table_are_or_merged(source):
    assert merge([InSet("id", [1, 2]), Equal("id", 3)]) == InSet("id", (1, 2, 3))
    assert merge([Range("amp", lo=0.6), TRUE]) == TRUE
    both = cascade(source, {"synapse": [Range("amp", hi=0.2), Range("amp", lo=0.6)]})
    assert ids(source, both)["synapse"] == [2, 3]
    assert both["synapse"].logged == Or((Range("amp", hi=0.2), Range("amp", lo=0.6)))


def test_the_result_does_not_depend_on_the_order_of_tables(source):
    logged = {"cell": [Equal("cre", "vip")], "pair": [InSet("id", [1000, 1003])], "note": [Equal("id", 2)]}
    forward = ids(source, cascade(source, logged))
    backward = ids(source, cascade(source, dict(reversed(list(logged.items())))))
    assert forward == backward
    assert forward["experiment"] == [10, 11, 12] and forward["note"] == [2]


def test_the_completeness_check_finds_a_missing_parent(tmp_path: Path):
    path = tmp_path / "broken.sqlite"
    con = sqlite3.connect(path)
    con.executescript(DDL)
    con.executemany("INSERT INTO cell VALUES (?, ?, ?)", [(1, None, "pv"), (2, 99, "sst")])
    con.commit()
    con.close()
    assert dangling(engine.connect(path))["cell.experiment_id"] == 1
