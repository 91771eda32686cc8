"""Hypothesis strategies: random tables (NULLs, NaN, quotes, unicode, points) and random filters over them."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from engine.filters import And, BBox, Equal, InSet, IsNull, Not, NotInSet, Or, Range, Regex

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCHEMA = pa.schema(
    [
        ("rid", pa.int64()),
        ("i", pa.int64()),
        ("f", pa.float64()),
        ("s", pa.string()),
        ("b", pa.bool_()),
        ("ts", pa.timestamp("us")),
        ("p_x", pa.int64()),
        ("p_y", pa.int64()),
        ("p_z", pa.int64()),
        ("q", pa.list_(pa.float64())),
    ]
)

ALPHABET = "ab'\";-%_\\é日😀 "
BIG = [2**62, -(2**62), 2**53 + 1]
SPECIAL_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 0.0, 0.5, 1.5]
DAY0 = dt.datetime(2020, 1, 1)

ints = st.one_of(st.integers(-4, 4), st.sampled_from(BIG))
tenths = st.integers(-40, 40).map(lambda n: n / 10)
floats = st.one_of(st.sampled_from(SPECIAL_FLOATS), tenths)
texts = st.text(alphabet=ALPHABET, max_size=4)
stamps = st.integers(0, 20).map(lambda h: DAY0 + dt.timedelta(hours=h))
coords = st.integers(-3, 3)

DATA: dict[str, st.SearchStrategy[Any]] = {
    "i": ints,
    "f": floats,
    "s": texts,
    "b": st.booleans(),
    "ts": stamps,
    "p_x": coords,
    "p_y": coords,
    "p_z": coords,
    "q": st.lists(tenths, min_size=2, max_size=3),
}

# Filter values: numeric columns also get the other numeric kind (1.5 vs an int column);
# timestamps also come as ISO strings. Never NaN (rejected as a filter value).
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "i": st.one_of(ints, st.sampled_from([1.5, 2.0, -0.5, math.inf, -math.inf])),
    "f": st.one_of(st.sampled_from([math.inf, -math.inf, -0.0, 0.5]), tenths, st.integers(-4, 4)),
    "s": texts,
    "b": st.booleans(),
    "ts": st.one_of(stamps, stamps.map(lambda d: d.isoformat())),
}
halves = st.integers(-8, 8).map(lambda n: n / 2)
ORDERED = {"i": st.one_of(ints, halves), "f": VALUES["f"], "s": texts, "ts": stamps}

REGEX_TOKENS = ["a", "b", "é", "日", "'", ";", ".", "^", "$", "a*", "b+", "[ab]", "[^a]", "(a|b)", "\\.", "%", "_"]
patterns = st.lists(st.sampled_from(REGEX_TOKENS), min_size=0, max_size=3).map("".join)


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 2, max_rows: int = 12) -> pa.Table:
    """A table in ``SCHEMA`` with up to ``max_rows`` rows; every column but ``rid`` may hold NULLs."""
    n = draw(st.integers(min_rows, max_rows))
    columns = {"rid": list(range(n))}
    for name, values in DATA.items():
        columns[name] = draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))
    return pa.table(columns, schema=SCHEMA)


@st.composite
def ranges(draw: st.DrawFn) -> Range:
    name = draw(st.sampled_from(sorted(ORDERED)))
    lo, hi = draw(st.one_of(st.none(), ORDERED[name])), draw(st.one_of(st.none(), ORDERED[name]))
    if lo is None and hi is None:
        lo = draw(ORDERED[name])
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return Range(name, lo, hi, draw(st.booleans()), draw(st.booleans()))


@st.composite
def boxes(draw: st.DrawFn) -> BBox:
    corners = [sorted(draw(st.lists(st.one_of(coords, tenths), min_size=2, max_size=2))) for _ in range(3)]
    return BBox(draw(st.sampled_from(["p", "q"])), tuple(c[0] for c in corners), tuple(c[1] for c in corners))


def _value_lists(name: str) -> st.SearchStrategy[list[Any]]:
    return st.lists(VALUES[name], min_size=1, max_size=4)


scalar_columns = st.sampled_from(sorted(VALUES))

leaves = st.one_of(
    scalar_columns.flatmap(lambda c: VALUES[c].map(lambda v: Equal(c, v))),
    st.sampled_from(sorted(DATA)).map(IsNull),
    scalar_columns.flatmap(lambda c: _value_lists(c).map(lambda vs: InSet(c, vs))),
    scalar_columns.flatmap(lambda c: st.tuples(_value_lists(c), st.booleans()).map(lambda a: NotInSet(c, *a))),
    ranges(),
    patterns.map(lambda p: Regex("s", p)),
    boxes(),
)

filters = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: And(tuple(xs))),
        st.lists(inner, max_size=3).map(lambda xs: Or(tuple(xs))),
        inner.map(Not),
    ),
    max_leaves=6,
)


def _box_value(draw: st.DrawFn) -> list[list[Any]]:
    corners = [sorted(draw(st.lists(coords, min_size=2, max_size=2))) for _ in range(3)]
    return [[c[0] for c in corners], [c[1] for c in corners]]


@st.composite
def filter_dicts(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Random wire filter dicts (flat form) over ``SCHEMA``, None in lists included."""
    out: dict[str, dict[str, Any]] = {}
    keys = draw(st.lists(st.sampled_from(
        ["filter_in_dict", "filter_out_dict", "filter_notin_dict", "filter_equal_dict", "filter_greater_dict",
         "filter_less_dict", "filter_greater_equal_dict", "filter_less_equal_dict", "filter_regex_dict",
         "filter_spatial_dict"]), min_size=1, max_size=3, unique=True))
    for key in keys:
        if key == "filter_regex_dict":
            out[key] = {"s": draw(patterns)}
        elif key == "filter_spatial_dict":
            out[key] = {draw(st.sampled_from(["p", "q"])): _box_value(draw)}
        elif key in ("filter_in_dict", "filter_out_dict", "filter_notin_dict"):
            name = draw(scalar_columns)
            out[key] = {name: draw(st.lists(st.one_of(st.none(), VALUES[name]), min_size=1, max_size=4))}
        elif key == "filter_equal_dict":
            name = draw(scalar_columns)
            out[key] = {name: draw(st.one_of(st.none(), VALUES[name]))}
        else:
            name = draw(st.sampled_from(sorted(ORDERED)))
            out[key] = {name: draw(ORDERED[name])}
    return out
