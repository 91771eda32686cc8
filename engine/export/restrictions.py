"""Restrictions as data: filter IR <-> JSON, with big value lists kept as Parquet key files.

A logged restriction is the bound filter IR of one table (never SQL text). ``to_json`` writes
each node as a small dict; values that JSON cannot hold exactly (datetimes, Decimals, bytes,
infinities) are tagged ``{"$": kind, "v": text}``. An in-list of ``KEY_FILE_MIN_VALUES`` or
more values is written once as a content-addressed Parquet file (``<sha256>.parquet``, one
column ``key``) by a ``KeyStore`` and referenced by name, so a 50,000-pair selection is a
400 kB Parquet file, not a 1 MB JSON string (the reference's 2048-character column).

>>> store = KeyStore(tmp / "keys")                                       # doctest: +SKIP
>>> data = to_json(InSet("id", range(5000)) & Equal("valid", True), store)  # doctest: +SKIP
>>> from_json(data, store) == And((InSet("id", range(5000)), Equal("valid", True)))  # doctest: +SKIP
True
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import math
import os
from collections.abc import Sequence
from decimal import Decimal
from functools import singledispatch
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import IntegrityError
from ..files import atomic_write_bytes
from ..filters.ir import And, BBox, Col, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex
from ..filters.relations import KEY_TABLE_MIN_VALUES

FORMAT_VERSION = 1
KEY_FILE_MIN_VALUES = KEY_TABLE_MIN_VALUES
"""In-lists at least this long are stored as key files (the same crossover as key relations)."""


class KeyStore:
    """A directory of content-addressed Parquet key files (``<sha256>.parquet``, column ``key``)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def put(self, values: Sequence[Any]) -> str | None:
        """Store ``values`` and return the file name; None if Arrow cannot type them (kept inline then)."""
        try:
            table = pa.table({"key": pa.array(list(values))})
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            return None
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        data = buffer.getvalue()
        name = hashlib.sha256(data).hexdigest() + ".parquet"
        if not (self.directory / name).is_file():  # content-addressed: an existing file holds these bytes
            atomic_write_bytes(self.directory / name, data)
        return name

    def path(self, name: str) -> Path:
        """Where key file ``name`` lives (names are checked: only ``<hex>.parquet``)."""
        stem = name.removesuffix(".parquet")
        if len(stem) != 64 or any(c not in "0123456789abcdef" for c in stem) or not name.endswith(".parquet"):
            raise IntegrityError(f"{name!r} is not a key file name (<sha256>.parquet)")
        return self.directory / name

    def get(self, name: str) -> list[Any]:
        """The values of key file ``name``; a clear error if it is missing."""
        path = self.path(name)
        if not path.is_file():
            raise IntegrityError(f"key file {path} is missing (a restriction refers to it)")
        return pq.read_table(path).column("key").to_pylist()


def dumps(node: Node, store: KeyStore | None = None) -> str:
    """Canonical JSON text of ``node`` (sorted keys, no spaces): equal restrictions give equal text."""
    return json.dumps(to_json(node, store), sort_keys=True, separators=(",", ":"), allow_nan=False)


def loads(text: str, store: KeyStore | None = None) -> Node:
    return from_json(json.loads(text), store)


def to_json(node: Node, store: KeyStore | None = None) -> dict[str, Any]:
    """``{"format": 1, "node": ...}`` for ``node``; big in-lists go to ``store`` when one is given."""
    return {"format": FORMAT_VERSION, "node": _node(node, store)}


def from_json(data: dict[str, Any], store: KeyStore | None = None) -> Node:
    """The IR ``to_json`` described; column qualifiers are not kept (a restriction is on one table)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise IntegrityError(f"not a restriction of format {FORMAT_VERSION}: {str(data)[:80]}")
    return _parse(data["node"], store)


def key_files(data: dict[str, Any]) -> list[str]:
    """Names of the key files a serialised restriction refers to."""
    found: list[str] = []
    stack = [data.get("node", data)]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "keys" in item:
                found.append(item["keys"])
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item)
    return found


@singledispatch
def _node(node: Node, store: KeyStore | None) -> dict[str, Any]:
    raise TypeError(f"cannot serialise {type(node).__name__}: not a filter node")


@_node.register
def _(node: Equal, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "eq", "col": node.col.name, "value": _value(node.value)}


@_node.register
def _(node: IsNull, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "null", "col": node.col.name}


def _members(node: InSet | NotInSet, store: KeyStore | None) -> dict[str, Any]:
    """The values inline, or a key file for a long list; sorted when they compare, so one set has one form."""
    try:
        values = sorted(node.values)
    except TypeError:
        values = list(node.values)
    if store is not None and len(values) >= KEY_FILE_MIN_VALUES:
        name = store.put(values)
        if name is not None:
            return {"col": node.col.name, "keys": name, "n": len(values)}
    return {"col": node.col.name, "values": [_value(v) for v in values]}


@_node.register
def _(node: InSet, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "in", **_members(node, store)}


@_node.register
def _(node: NotInSet, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "notin", "keep_null": node.keep_null, **_members(node, store)}


@_node.register
def _(node: Range, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "range", "col": node.col.name, "lo": _value(node.lo), "hi": _value(node.hi),
            "lo_inclusive": node.lo_inclusive, "hi_inclusive": node.hi_inclusive}


@_node.register
def _(node: Regex, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "regex", "col": node.col.name, "pattern": node.pattern}


@_node.register
def _(node: BBox, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "bbox", "col": node.col.name, "lo": [_value(v) for v in node.lo], "hi": [_value(v) for v in node.hi]}


@_node.register(And)
@_node.register(Or)
def _(node: And | Or, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "and" if isinstance(node, And) else "or", "items": [_node(i, store) for i in node.items]}


@_node.register
def _(node: Not, store: KeyStore | None) -> dict[str, Any]:
    return {"op": "not", "item": _node(node.item, store)}


def _parse(data: dict[str, Any], store: KeyStore | None) -> Node:
    op = data.get("op")
    if op in ("and", "or"):
        return (And if op == "and" else Or)(tuple(_parse(i, store) for i in data["items"]))
    if op == "not":
        return Not(_parse(data["item"], store))
    col = Col(data["col"])
    if op == "eq":
        return Equal(col, _unvalue(data["value"]))
    if op == "null":
        return IsNull(col)
    if op in ("in", "notin"):
        if "keys" in data:
            if store is None:
                raise IntegrityError(f"restriction on {col} refers to key file {data['keys']} but no key store was given")
            values = store.get(data["keys"])
        else:
            values = [_unvalue(v) for v in data["values"]]
        return InSet(col, values) if op == "in" else NotInSet(col, values, data["keep_null"])
    if op == "range":
        return Range(col, _unvalue(data["lo"]), _unvalue(data["hi"]), data["lo_inclusive"], data["hi_inclusive"])
    if op == "regex":
        return Regex(col, data["pattern"])
    if op == "bbox":
        return BBox(col, tuple(_unvalue(v) for v in data["lo"]), tuple(_unvalue(v) for v in data["hi"]))
    raise IntegrityError(f"unknown restriction node {op!r}")


def _value(value: Any) -> Any:
    """A JSON value for one filter value (tagged when plain JSON would change it)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if isinstance(value, Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, (dt.datetime, dt.date, dt.time)):  # datetime first: it is also a date
        kind = "datetime" if isinstance(value, dt.datetime) else type(value).__name__
        return {"$": kind, "v": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, bytes):
        return {"$": "bytes", "v": base64.b64encode(value).decode()}
    raise TypeError(f"cannot serialise filter value {value!r} ({type(value).__name__})")


_DECODERS = {
    "float": float,
    "decimal": Decimal,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "bytes": base64.b64decode,
}


def _unvalue(data: Any) -> Any:
    if isinstance(data, dict):
        try:
            return _DECODERS[data["$"]](data["v"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"malformed restriction value {data!r}: {exc}") from None
    return data
