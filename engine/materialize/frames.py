"""Query output: positions split or folded, pandas dtypes like the reference client's, attrs, return formats.

The SQL always returns split ``_x/_y/_z`` columns; folding happens here, per format:
pandas gets one object column of ``np.ndarray([x, y, z])`` per point (caveclient's
``concatenate_position_columns``), Arrow and polars get a fixed-size list of 3.
pandas dtypes: integer / bool / float columns are nullable (``Int64``, ``boolean``, ``Float32``...)
like the reference's ``numpy_nullable`` reads; positions are plain numpy (``int32``, or
``float64`` when rescaled); strings are ``object``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import BadInputError
from ..result import Result
from .tables import fold_triples

Format = Literal["pandas", "polars", "arrow", "batches"]
FORMATS = ("pandas", "polars", "arrow", "batches")
ATTRS_KEY = b"engine.materialize.attrs"

_NULLABLE = {
    pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(), pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(), pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype(), pa.float32(): pd.Float32Dtype(),
    pa.float64(): pd.Float64Dtype(),
}


def check_format(return_format: str) -> str:
    """``return_format`` if it is one of ``FORMATS``; ``BadInputError`` listing them otherwise."""
    if return_format not in FORMATS:
        raise BadInputError(f"return_format must be one of {', '.join(FORMATS)}, got {return_format!r}")
    return return_format


def positions(names: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The point groups among output column names (consecutive ``c_x, c_y, c_z``)."""
    return [(model, split) for model, split in fold_triples(names) if len(split) == 3]


def to_pandas(table: pa.Table, split_positions: bool) -> pd.DataFrame:
    """A pandas frame with the reference's dtypes; positions folded unless ``split_positions``."""
    groups = dict(fold_triples(table.column_names))
    point_columns = {c for split in groups.values() if len(split) == 3 for c in split}
    rest = table.select([c for c in table.column_names if c not in point_columns])
    frame = rest.to_pandas(types_mapper=_NULLABLE.get) if rest.num_columns else pd.DataFrame(index=range(table.num_rows))
    columns: dict[str, Any] = {}
    for model, split in groups.items():
        if len(split) != 3:
            columns[model] = frame[model]
        elif split_positions:
            columns.update((c, _numpy(table.column(c))) for c in split)
        else:
            stacked = np.stack([_numpy(table.column(c)) for c in split], axis=1)
            columns[model] = pd.Series(list(stacked), dtype=object)
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    if column.null_count:
        return column.to_numpy(zero_copy_only=False).astype(np.float64)
    return column.to_numpy()


def fold_arrow(table: pa.Table | pa.RecordBatch) -> pa.Table:
    """Arrow with each point as a ``fixed_size_list<3>`` column."""
    table = table if isinstance(table, pa.Table) else pa.Table.from_batches([table])
    arrays, names = [], []
    for model, split in fold_triples(table.column_names):
        if len(split) == 3:
            arrays.append(_fixed_list([table.column(c) for c in split]))
        else:
            arrays.append(table.column(model))
        names.append(model)
    return pa.table(arrays, names=names)


def _fixed_list(columns: list[pa.ChunkedArray]) -> pa.Array:
    value_type = columns[0].type
    if any(c.null_count for c in columns):
        rows = zip(*(c.to_pylist() for c in columns))
        return pa.array([list(r) for r in rows], type=pa.list_(value_type, 3))
    flat = np.stack([c.to_numpy() for c in columns], axis=1).ravel()
    return pa.FixedSizeListArray.from_arrays(pa.array(flat, type=value_type), 3)


def output(result: Result, return_format: str, split_positions: bool, attrs: Mapping[str, Any] | None) -> Any:
    """The query result in ``return_format`` (``batches`` streams without holding the whole result)."""
    if return_format == "batches":
        return _stream(result, split_positions)
    return frame(result.arrow(), return_format, split_positions, attrs)


def frame(table: pa.Table, return_format: str, split_positions: bool, attrs: Mapping[str, Any] | None) -> Any:
    """An in-memory Arrow result converted to ``return_format``, with ``attrs`` where the format has them."""
    if return_format == "pandas":
        df = to_pandas(table, split_positions)
        if attrs is not None:
            df.attrs.update(jsonable(attrs))
        return df
    arrow = table if split_positions else fold_arrow(table)
    if return_format == "polars":
        import polars as pl

        return pl.from_arrow(arrow)
    if attrs is not None:
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), ATTRS_KEY: json.dumps(jsonable(attrs))})
    return arrow


def _stream(result: Result, split_positions: bool) -> Iterator[pa.RecordBatch]:
    for batch in result.batches():
        yield batch if split_positions else fold_arrow(batch).to_batches()[0]


def jsonable(value: Any) -> Any:
    """``value`` after a JSON round trip (numpy, sets and datetimes converted), as the reference's attrs are."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (pd.Series, pd.Index)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
