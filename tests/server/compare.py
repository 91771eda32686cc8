"""Comparing a caveclient DataFrame with the local client's, and an independent root-at-time oracle."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq


def assert_same_frame(remote: pd.DataFrame, local: pd.DataFrame, *, dtypes: bool = True) -> None:
    """Same columns (caveclient appends folded positions last, so order aside), rows, values and dtypes.

    Folded positions are compared by value: caveclient rebuilds them from Python ints (int64
    arrays) where the local client keeps the stored int32.
    """
    assert sorted(remote.columns) == sorted(local.columns)
    remote = remote[list(local.columns)].reset_index(drop=True)
    local = local.reset_index(drop=True)
    assert len(remote) == len(local)
    if not len(local):
        return  # caveclient folds the positions of an empty frame into float64 columns: nothing to compare
    for column in local.columns:
        left, right = remote[column], local[column]
        if right.dtype == object and len(right) and isinstance(right.iloc[0], np.ndarray):
            assert np.array_equal(np.stack(left.to_numpy()), np.stack(right.to_numpy())), column
            continue
        if dtypes:
            assert left.dtype == right.dtype, (column, left.dtype, right.dtype)
        pd.testing.assert_series_equal(left, right, check_dtype=dtypes, check_names=False, obj=column)


def roots_at(mirror: Path, supervoxels: np.ndarray, at: datetime) -> np.ndarray:
    """The root owning each supervoxel at ``at``, read straight from roots.parquet with pandas."""
    roots = pq.read_table(mirror / "segmentation" / "roots.parquet").to_pandas()
    current = roots[(roots.valid_from <= at) & (roots.valid_to.isna() | (roots.valid_to > at))]
    owner = dict(zip(current.supervoxel_id, current.root_id))
    return np.array([0 if sv == 0 else owner[sv] for sv in supervoxels], dtype=np.int64)
