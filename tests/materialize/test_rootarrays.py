"""``RootArrays.lookup`` (the in-memory root of each supervoxel at a moment) against a plain-Python reading of roots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.materialize.rootarrays import EPOCH, RootArrays, micros

T0 = datetime(2024, 1, 1, tzinfo=EPOCH.tzinfo)

rows = st.lists(
    st.tuples(st.integers(1, 4), st.integers(100, 105), st.integers(0, 6), st.one_of(st.none(), st.integers(1, 8))),
    min_size=1, max_size=30,
)


def _expected(table: list[tuple[int, int, int, int | None]], sv: int | None, day: int) -> int | None:
    """0 for supervoxel 0, None for null or no owner; otherwise the first owner in (supervoxel, row) order."""
    if sv is None:
        return None
    if sv == 0:
        return 0
    owners = [root for s, root, start, days in table if s == sv and start <= day and (days is None or day < start + days)]
    return owners[0] if owners else None


@settings(max_examples=100, deadline=None)
@given(table=rows, asked=st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=20), day=st.integers(0, 10))
def test_lookup_matches_a_plain_reading(table: list[tuple[int, int, int, int | None]], asked: list[int | None],
                                        day: int) -> None:
    def at(days: int) -> datetime:
        return T0 + timedelta(days=days)

    roots = RootArrays(pa.table({
        "supervoxel_id": pa.array([s for s, _, _, _ in table], pa.int64()),
        "root_id": pa.array([r for _, r, _, _ in table], pa.int64()),
        "valid_from": pa.array([at(start) for _, _, start, _ in table], pa.timestamp("us", tz="UTC")),
        "valid_to": pa.array([None if d is None else at(start + d) for _, _, start, d in table],
                             pa.timestamp("us", tz="UTC")),
    }))
    got = roots.lookup(pa.array(asked, pa.int64()), micros(at(day))).to_pylist()
    assert got == [_expected(table, sv, day) for sv in asked]
