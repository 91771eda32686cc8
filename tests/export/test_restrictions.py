"""Restrictions survive the catalog: IR -> JSON (+ key files) -> IR keeps every value and the semantics."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from filters.reference import evaluate, matching
from filters.strategies import SETTINGS, filters, tables
from hypothesis import given, settings

from engine.errors import IntegrityError
from engine.export.restrictions import KEY_FILE_MIN_VALUES, KeyStore, dumps, from_json, key_files, loads, to_json
from engine.filters import TRUE, And, BBox, Col, Equal, InSet, IsNull, Not, NotInSet, Or, Range, Regex

UTC = dt.timezone.utc


@settings(SETTINGS, max_examples=60)
@given(filters, tables())
def test_round_trip_keeps_semantics_and_canonical_text(node, table):
    back = loads(dumps(node))
    rows = table.to_pylist()
    assert matching(rows, lambda r: evaluate(back, r)) == matching(rows, lambda r: evaluate(node, r))
    assert dumps(back) == dumps(node)


@pytest.mark.parametrize("value", [
    7, -(2**63), 2**64, 1.5, float("inf"), float("-inf"), "pyr'1; --", "日本", True, False,
    Decimal("1.10"), dt.datetime(2024, 4, 15, 1, 2, 3, 456789), dt.datetime(2024, 4, 15, tzinfo=UTC),
    dt.date(2020, 2, 29), dt.time(12, 30, 1), dt.timedelta(days=2, microseconds=7), b"\x00\xff",
])
def test_every_value_kind_comes_back_exactly(value):
    back = loads(dumps(Equal("c", value)))
    assert back == Equal("c", value) and type(back.value) is type(value)


def test_every_node_kind_and_qualifiers_dropped():
    node = And((
        Equal(Col("a", "t"), 1), IsNull("b"), InSet("c", ["x", "y"]), NotInSet("d", [1], keep_null=True),
        Range("e", lo=1, hi=5, lo_inclusive=False), Regex("f", "^a.*"), BBox("p", (0, 0, 0), (1, 2, 3)),
        Or((Not(Equal("g", 2.5)), TRUE)),
    ))
    back = loads(dumps(node))
    assert back.items[0] == Equal("a", 1)
    assert back.items[1:] == node.items[1:]


def test_big_in_lists_become_one_content_addressed_key_file(tmp_path: Path):
    store = KeyStore(tmp_path / "keys")
    ids = list(range(10 * KEY_FILE_MIN_VALUES, 0, -1))
    node = And((InSet("id", ids), NotInSet("name", [f"n{i}" for i in range(KEY_FILE_MIN_VALUES)])))
    data = to_json(node, store)
    assert len(json.dumps(data)) < 600  # the values live in Parquet, not in the JSON text
    names = key_files(data)
    assert len(names) == 2 and all((tmp_path / "keys" / n).is_file() for n in names)
    back = from_json(data, store)
    assert set(back.items[0].values) == set(ids) and set(back.items[1].values) == set(node.items[1].values)
    same = to_json(InSet("id", sorted(ids)), store)["node"]["keys"]
    assert same == data["node"]["items"][0]["keys"]  # the same set (in any order) is the same file
    assert len(list((tmp_path / "keys").iterdir())) == 2


def test_missing_key_file_and_bad_format_are_clear_errors(tmp_path: Path):
    store = KeyStore(tmp_path / "keys")
    data = to_json(InSet("id", range(KEY_FILE_MIN_VALUES)), store)
    (tmp_path / "keys" / key_files(data)[0]).unlink()
    with pytest.raises(IntegrityError, match="key file .* is missing"):
        from_json(data, store)
    with pytest.raises(IntegrityError, match="not a restriction of format"):
        from_json({"format": 99, "node": {}}, store)
    with pytest.raises(IntegrityError, match="not a key file name"):
        store.path("../../etc/passwd")
