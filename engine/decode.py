"""Decoding of the release storage conventions: ``.npy`` BLOBs and JSON text columns.

In published releases an empty BLOB and a NULL both mean "no array", and JSON ``'null'`` text
and NULL both mean "no value"; both decode to null.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from .errors import BadInputError


def npy_to_numpy(blob: bytes | None) -> np.ndarray | None:
    """One ``.npy`` BLOB as a numpy array (None for NULL or an empty blob); never unpickles."""
    if not blob:
        return None
    return np.load(io.BytesIO(blob), allow_pickle=False)


def decode_npy(column: pa.Array | pa.ChunkedArray, name: str = "") -> pa.Array:
    """A BLOB column of ``.npy`` files as an Arrow list column (nested lists for N-d arrays)."""
    arrays = [npy_to_numpy(b) for b in column.to_pylist()]
    try:
        return pa.array([None if a is None else a.tolist() for a in arrays])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BadInputError(f"column {name!r}: .npy arrays of mixed types cannot form one Arrow column ({exc})") from None


def decode_json(column: pa.Array | pa.ChunkedArray, name: str = "") -> pa.Array:
    """A JSON text column as Arrow values (objects become structs); ``'null'`` becomes null."""
    values = []
    for text in column.to_pylist():
        try:
            values.append(None if text is None else json.loads(text))
        except (TypeError, json.JSONDecodeError) as exc:
            raise BadInputError(f"column {name!r} holds text that is not JSON: {text!r:.80} ({exc})") from None
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise BadInputError(
            f"column {name!r}: its JSON values have no common Arrow type ({exc}); keep it as text"
        ) from None


def decode_table(table: pa.Table, npy: Iterable[str] = (), json_columns: Iterable[str] = ()) -> pa.Table:
    """Replace the named columns of ``table`` by their decoded form."""
    for name in npy:
        table = table.set_column(table.schema.get_field_index(name), name, decode_npy(table[name], name))
    for name in json_columns:
        table = table.set_column(table.schema.get_field_index(name), name, decode_json(table[name], name))
    return table
