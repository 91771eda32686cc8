"""Filter values: normalise numpy / pyarrow / polars / pandas inputs to Python values, check them against column types.

Normalisation runs when an IR node is built (so nodes hold plain, hashable Python values);
type checks run when a node is bound to a schema (``bind.py``), because only then is the
column's Arrow type known.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import numpy as np
import pyarrow as pa

from ..connection import new_connection
from ..errors import BadFilterError
from ..schema import Column

PLAIN = (bool, int, float, str, bytes, Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)


def scalar(value: Any) -> Any:
    """One value as a plain Python object (numpy / pyarrow / pandas scalars unwrapped)."""
    if value is None or type(value) in PLAIN:
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[us]").item()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else value.astype("timedelta64[us]").item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return scalar(value[()])
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pa.Scalar):
        return value.as_py()
    if type(value).__module__.split(".")[0] == "pandas":
        return _pandas_scalar(value)
    if isinstance(value, PLAIN):  # subclasses (e.g. IntEnum, str subclasses)
        return value
    raise BadFilterError(f"cannot use a {type(value).__name__} ({value!r}) as a filter value")


def _pandas_scalar(value: Any) -> Any:
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime(warn=False)
    if hasattr(value, "to_pytimedelta"):
        return value.to_pytimedelta()
    raise BadFilterError(f"cannot use a pandas {type(value).__name__} ({value!r}) as a filter value")


def is_listlike(value: Any) -> bool:
    """True for lists, tuples, sets, ranges, 1-d numpy arrays, Arrow arrays and polars / pandas Series."""
    if type(value) is list or type(value) is tuple:
        return True
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 1
    return isinstance(value, (list, tuple, set, frozenset, range, pa.Array, pa.ChunkedArray)) or _is_series(value)


def many(value: Any) -> list[Any]:
    """A list-like value as a list of plain Python values; anything else is a ``BadFilterError``."""
    if type(value) is list:
        items: Iterable[Any] = value
    elif not is_listlike(value):
        raise BadFilterError(f"expected a list of values, got {type(value).__name__} {_short(value)}")
    elif isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            value = value.astype("datetime64[us]")
        elif value.dtype.kind == "m":
            value = value.astype("timedelta64[us]")
        if value.dtype.kind in "biufMm":
            return value.tolist()  # already plain Python values
        items = value.tolist()
    elif isinstance(value, (pa.Array, pa.ChunkedArray)):
        items = value.to_pylist()
    elif _is_series(value):
        items = value.to_list() if hasattr(value, "to_list") else value.tolist()
    else:
        items = value
    return [v if type(v) in PLAIN else scalar(v) for v in items]


def check_not_nan(value: Any, where: str) -> Any:
    """``value`` unless it is NaN: NaN equality differs between DuckDB's ``=`` and ``= ANY`` and Python."""
    if isinstance(value, float) and math.isnan(value):
        raise BadFilterError(f"{where}: NaN is not a valid filter value (NaN never satisfies a comparison)")
    return value


def check_regex(pattern: Any, where: str) -> str:
    """``pattern`` if RE2 (DuckDB's regex engine, the one that runs the query) accepts it."""
    if not isinstance(pattern, str):
        raise BadFilterError(f"{where}: a regex must be a string, got {type(pattern).__name__} {_short(pattern)}")
    problem = _re2_problem(pattern)
    if problem:
        raise BadFilterError(f"{where}: invalid regex {pattern!r}: {problem}")
    return pattern


_re2_lock = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _re2_problem(pattern: str) -> str:
    """DuckDB's complaint about ``pattern`` ("" if it compiles); one private connection, serialised."""
    with _re2_lock:
        con = _re2_connection(os.getpid())  # never reuse a parent's connection after fork
        try:
            con.execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
        except duckdb.Error as exc:
            return str(exc).splitlines()[0].removeprefix("Invalid Input Error: ")
    return ""


@functools.cache
def _re2_connection(pid: int) -> duckdb.DuckDBPyConnection:
    return new_connection()


def family(arrow_type: pa.DataType) -> str:
    """Comparison family of an Arrow type (int, float, decimal, string, binary, bool, timestamp, date, list, ...)."""
    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    checks = (
        ("int", pa.types.is_integer), ("float", pa.types.is_floating), ("decimal", pa.types.is_decimal),
        ("string", _is_string), ("binary", _is_binary), ("bool", pa.types.is_boolean),
        ("timestamp", pa.types.is_timestamp), ("date", pa.types.is_date), ("null", pa.types.is_null),
        ("list", _is_list),
    )
    return next((name for name, check in checks if check(t)), "other")


def coerce(value: Any, column: Column, where: str) -> Any:
    """``value`` converted for comparison with ``column``; a ``BadFilterError`` naming column and type otherwise."""
    kind = family(column.type)
    if kind == "null":
        return value
    if kind in ("int", "float", "decimal"):
        ok = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
        if ok and kind == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        if ok:
            return value
    elif kind == "string" and isinstance(value, str) or kind == "binary" and isinstance(value, bytes):
        return value
    elif kind == "bool" and isinstance(value, bool):
        return value
    elif kind == "timestamp":
        return _timestamp(value, column, where)
    elif kind == "date":
        return _date(value, column, where)
    elif kind == "other":
        return _other(value, column, where)
    raise mismatch(value, column, where)


_AS_IS = {"int": {int}, "float": {int, float}, "string": {str}, "bool": {bool}}


def coerce_many(values: Iterable[Any], column: Column, where: str) -> list[Any]:
    """Each value coerced for ``column``, dropping integers outside the column's range (they can never match)."""
    values = list(values)
    kind = family(column.type)
    as_is = set(map(type, values)) <= _AS_IS.get(kind, set())  # the common case: no per-value work
    out = values if as_is else [coerce(v, column, where) for v in values]
    if kind == "int" and out:
        lo, hi = int_bounds(column.type)
        ints = [v for v in out if type(v) is int]
        if ints and (min(ints) < lo or max(ints) > hi):
            out = [v for v in out if type(v) is not int or lo <= v <= hi]
    return out


def int_bounds(arrow_type: pa.DataType) -> tuple[int, int]:
    """Smallest and largest value of an Arrow integer type."""
    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    info = np.iinfo(t.to_pandas_dtype())
    return int(info.min), int(info.max)


def mismatch(value: Any, column: Column, where: str) -> BadFilterError:
    """The error for a value that cannot compare with ``column``."""
    return BadFilterError(
        f"{where}: column {column.name!r} has type {column.type}, "
        f"which cannot compare with {type(value).__name__} {_short(value)}"
    )


def _timestamp(value: Any, column: Column, where: str) -> dt.datetime:
    """A datetime in the column's convention: aware UTC for tz-aware columns, naive UTC otherwise."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise BadFilterError(f"{where}: {value!r} is not an ISO timestamp (column {column.name!r})") from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise mismatch(value, column, where)
    t = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    if t.tz is None:
        return value if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    aware = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value
    return aware.astimezone(_zone(t.tz))


def _date(value: Any, column: Column, where: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise BadFilterError(f"{where}: {value!r} is not an ISO date (column {column.name!r})") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise mismatch(value, column, where)


def _other(value: Any, column: Column, where: str) -> Any:
    """Types without a rule of their own (time, duration ...): accepted if Arrow converts the value exactly."""
    try:
        pa.scalar(value, type=column.type)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        raise mismatch(value, column, where) from None
    return value


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.datetime.strptime(name.replace(":", ""), "%z").tzinfo  # "+01:00" style offsets


def _is_series(value: Any) -> bool:
    return type(value).__name__ in ("Series", "Index") and type(value).__module__.split(".")[0] in ("polars", "pandas")


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)


def _is_list(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
