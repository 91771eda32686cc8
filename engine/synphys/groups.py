"""Pair groups in the shapes users hold them, normalised to (pair id, group index) columns plus labels.

Accepted: ``{(pre, post): pairs}`` as ``classify_pairs`` returns (pairs as a frame with ``pair.id``, a
``Result`` or an id array) or a ``matrix_pair_query`` frame with ``pre_class``, ``post_class`` and
``pair.id``. Frames may be a ``Result``, Arrow, polars or pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import BadInputError
from ..result import Result
from .cell_class import CellClass

ID_COLUMNS = ("pair.id", "id")


@dataclass(frozen=True)
class Groups:
    """Membership rows (a pair may be in several groups) and each group's ``(pre, post)`` label."""

    pair_ids: pa.Array
    group_index: pa.Array
    labels: list[tuple[str, str]]


def as_polars(frame: Any) -> pl.DataFrame:
    """A ``Result``, Arrow table, polars or pandas frame as a polars DataFrame."""
    if isinstance(frame, Result):
        frame = frame.arrow()
    if isinstance(frame, pa.Table):
        return pl.from_arrow(frame)
    if isinstance(frame, pl.DataFrame):
        return frame
    if _is_pandas_frame(frame):
        return pl.from_pandas(frame)
    raise BadInputError(f"expected a Result, Arrow table, polars or pandas DataFrame, not {type(frame).__name__}")


def label(key: Any) -> str:
    """A class key as a label: strings as they are, a ``CellClass`` by its name."""
    if isinstance(key, CellClass):
        return key.name
    if isinstance(key, str):
        return key
    raise BadInputError(f"class keys must be strings or CellClasses, not {type(key).__name__} {key!r}")


def groups_from(pair_groups: Any) -> Groups:
    """``Groups`` from a ``{(pre, post): pairs}`` dict or a matrix frame."""
    if isinstance(pair_groups, Mapping):
        return _from_mapping(pair_groups)
    frame = as_polars(pair_groups)
    missing = [c for c in ("pre_class", "post_class", "pair.id") if c not in frame.columns]
    if missing:
        raise BadInputError(
            f"a matrix frame needs columns pre_class, post_class and pair.id; missing {', '.join(missing)}"
        )
    keys = frame.select("pre_class", "post_class").unique(maintain_order=True)
    labels = list(zip(keys["pre_class"].to_list(), keys["post_class"].to_list()))
    index = keys.with_row_index("grp")
    joined = frame.join(index, on=["pre_class", "post_class"], how="left", maintain_order="left")
    return Groups(joined["pair.id"].cast(pl.Int64).to_arrow(), joined["grp"].cast(pl.Int64).to_arrow(), labels)


def _from_mapping(pair_groups: Mapping[Any, Any]) -> Groups:
    ids, index, labels = [], [], []
    for i, (key, pairs) in enumerate(pair_groups.items()):
        if not (isinstance(key, tuple) and len(key) == 2):
            raise BadInputError(f"pair group keys are (pre_class, post_class) tuples, not {key!r}")
        labels.append((label(key[0]), label(key[1])))
        group_ids = pair_ids(pairs)
        ids.append(group_ids)
        index.append(np.full(len(group_ids), i, dtype=np.int64))
    flat = np.concatenate(ids) if ids else np.array([], dtype=np.int64)
    grp = np.concatenate(index) if index else np.array([], dtype=np.int64)
    return Groups(pa.array(flat, pa.int64()), pa.array(grp, pa.int64()), labels)


def pair_ids(pairs: Any) -> np.ndarray:
    """The pair ids of one group: a frame's ``pair.id`` (or ``id``) column, or an array of ids."""
    if isinstance(pairs, (Result, pa.Table, pl.DataFrame)) or _is_pandas_frame(pairs):
        frame = as_polars(pairs)
        column = next((c for c in ID_COLUMNS if c in frame.columns), None)
        if column is None:
            raise BadInputError(f"a pair frame needs a 'pair.id' column (columns: {', '.join(frame.columns[:10])} ...)")
        return frame[column].cast(pl.Int64).to_numpy()
    values = np.asarray(list(pairs) if not isinstance(pairs, np.ndarray) else pairs)
    if values.size and values.dtype.kind not in "iu":
        raise BadInputError(f"pair ids must be integers, got {values.dtype}")
    return values.astype(np.int64)


def _is_pandas_frame(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and type(value).__module__.split(".")[0] == "pandas"
