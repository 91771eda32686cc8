"""The INSERT statements of the experiment log; callers decide where transactions begin and end."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from ..sql import quote_ident
from .layout import columns


@lru_cache(maxsize=64)
def insert_sql(table: str, names: tuple[str, ...]) -> str:
    """``INSERT`` text for ``names`` of ``table`` (checked against the layout, then quoted)."""
    unknown = set(names) - set(columns(table))
    if unknown:
        raise ValueError(f"{table} has no columns {sorted(unknown)}")
    cols = ", ".join(quote_ident(n) for n in names)
    marks = ", ".join("?" for _ in names)
    return f"INSERT INTO {quote_ident(table)} ({cols}) VALUES ({marks})"


def insert(con: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """Insert one row and return its ``unique_id``."""
    cursor = con.execute(insert_sql(table, tuple(values)), tuple(values.values()))
    return int(cursor.lastrowid)


def insert_many(con: sqlite3.Connection, table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert many rows in one call (ids are not returned)."""
    con.executemany(insert_sql(table, tuple(names)), rows)


def insert_trial(
    con: sqlite3.Connection,
    master_id: int,
    timestamp: str,
    model_data: bool,
    extra_json: str,
    params: Sequence[tuple[str, str]],
    outcomes: Sequence[tuple[str, float]],
) -> int:
    """One trial: its ``raw_data`` row, then its parameter and outcome rows; returns the iteration id."""
    iteration = insert(con, "raw_data", {
        "timestamp": timestamp, "model_data": model_data, "extra_data": extra_json, "master_table_id": master_id,
    })
    insert_many(con, "param_data", ("param_name", "param_value", "iteration_id"),
                [(name, value, iteration) for name, value in params])
    insert_many(con, "outcome_data", ("outcome_name", "outcome_value", "iteration_id"),
                [(name, value, iteration) for name, value in outcomes])
    return iteration
