"""Binding to a schema: qualified columns, value conversion per Arrow type, and the type errors."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import pytest

import engine
from engine import BadFilterError, TableSchema, UnknownColumnError
from engine.filters import BBox, Col, Equal, InSet, IsNull, NotInSet, Or, Range, Regex, Scope, bind, compile

TYPES = TableSchema.from_arrow(
    "t",
    pa.schema(
        [
            ("i", pa.int64()),
            ("i8", pa.int8()),
            ("f", pa.float32()),
            ("s", pa.large_string()),
            ("d", pa.dictionary(pa.int32(), pa.string())),
            ("b", pa.bool_()),
            ("ts", pa.timestamp("us")),
            ("tz", pa.timestamp("us", "UTC")),
            ("day", pa.date32()),
            ("raw", pa.binary()),
            ("p", pa.list_(pa.float64(), 3)),
            ("n", pa.null()),
        ]
    ),
)
SCOPE = Scope.of(TYPES)


def test_columns_are_qualified_with_their_alias() -> None:
    assert bind(Equal("i", 1), SCOPE) == Equal(Col("i", "t"), 1)


def test_integral_floats_become_ints_for_integer_columns() -> None:
    assert bind(Equal("i", 2.0), SCOPE).value == 2
    assert type(bind(Equal("i", 2.0), SCOPE).value) is int


@pytest.mark.parametrize(
    "given, expected",
    [
        (Range("i", lo=1.5, lo_inclusive=False), Range(Col("i", "t"), lo=2)),
        (Range("i", lo=1.5), Range(Col("i", "t"), lo=2)),
        (Range("i", hi=1.5, hi_inclusive=False), Range(Col("i", "t"), hi=1)),
        (Range("i", lo=-1.5, hi=1.5), Range(Col("i", "t"), lo=-1, hi=1)),
        (Range("i", lo=1.2, hi=1.8), Range(Col("i", "t"), lo=1.2, hi=1.8)),  # no integer inside: kept
        (Range("i", lo=-math.inf), Range(Col("i", "t"), lo=-math.inf)),
    ],
)
def test_float_bounds_on_integer_columns_become_exact_integer_bounds(given: Range, expected: Range) -> None:
    """A float bound makes DuckDB compare as DOUBLE, which is lossy for root ids above 2**53."""
    assert bind(given, SCOPE) == expected


def test_values_an_integer_column_cannot_hold_are_dropped_from_sets() -> None:
    assert bind(InSet("i8", [1, 1.5, 300, math.inf]), SCOPE) == InSet(Col("i8", "t"), [1])
    assert bind(NotInSet("i8", [1, 1000]), SCOPE) == NotInSet(Col("i8", "t"), [1])


def test_a_set_with_no_holdable_value_keeps_null_semantics() -> None:
    never = bind(InSet("i8", [1.5, 1000]), SCOPE)
    assert never == Range(Col("i8", "t"), lo=127, lo_inclusive=False)
    assert bind(NotInSet("i8", [1.5]), SCOPE) == Range(Col("i8", "t"), hi=127)
    assert bind(NotInSet("i8", [1.5], keep_null=True), SCOPE) == Or(
        (IsNull(Col("i8", "t")), Range(Col("i8", "t"), hi=127))
    )


def test_timestamps_accept_datetimes_dates_and_iso_strings() -> None:
    assert bind(Equal("ts", "2024-01-02T03:04:05"), SCOPE).value == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert bind(Equal("ts", dt.date(2024, 1, 2)), SCOPE).value == dt.datetime(2024, 1, 2)
    aware = dt.datetime(2024, 1, 2, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert bind(Equal("ts", aware), SCOPE).value == dt.datetime(2024, 1, 2, 3)  # naive column: naive UTC
    assert bind(Equal("tz", "2024-01-02T03:00:00"), SCOPE).value == dt.datetime(2024, 1, 2, 3, tzinfo=dt.timezone.utc)


def test_dates_accept_dates_and_iso_strings() -> None:
    assert bind(Equal("day", "2024-01-02"), SCOPE).value == dt.date(2024, 1, 2)


@pytest.mark.parametrize(
    "node, message",
    [
        (Equal("i", "7"), "column 'i' has type int64, which cannot compare with str '7'"),
        (Equal("i", True), "column 'i' has type int64, which cannot compare with bool"),
        (Equal("s", 7), "column 's' has type large_string, which cannot compare with int 7"),
        (InSet("s", ["a", 1]), "column 's' has type large_string"),
        (Equal("b", 1), "column 'b' has type bool"),
        (Equal("ts", "yesterday"), "'yesterday' is not an ISO timestamp"),
        (Equal("day", dt.datetime(2024, 1, 1)), "column 'day' has type date32"),
        (Equal("raw", "text"), "column 'raw' has type binary"),
        (Range("s", lo=1), "column 's' has type large_string"),
        (Regex("i", "1"), "regex needs a string column"),
        (Equal("p", 1), "column 'p' has type fixed_size_list"),
        (BBox("s", (0,), (1,)), "not a numeric list"),
    ],
)
def test_type_mismatches_name_the_column_and_its_type(node, message: str) -> None:
    with pytest.raises(BadFilterError, match=message):
        bind(node, SCOPE)


def test_other_string_kinds_and_null_columns_compare() -> None:
    assert bind(Equal("d", "x"), SCOPE).value == "x"
    assert bind(Equal("n", 5), SCOPE).value == 5
    assert bind(Equal("f", 1), SCOPE).value == 1


def test_unknown_column_suggests_the_closest() -> None:
    with pytest.raises(UnknownColumnError, match="table 't' has no column 'tss'; did you mean 'ts'"):
        bind(Equal("tss", 1), SCOPE)


def test_bound_timestamps_match_in_duckdb() -> None:
    table = pa.table({"ts": pa.array([dt.datetime(2024, 1, 1, 10)], pa.timestamp("us", "UTC"))})
    with engine.connect({"t": table}) as ds:
        hit = ds.query("t", filter_equal_dict={"ts": "2024-01-01T12:00:00+02:00"}).count()
        assert hit == 1
        assert compile(Equal("ts", "2024-01-01T10:00:00"), ds.schema("t")).params["p0"].tzinfo is not None
