"""Shared fixtures: a small synapse-like table with every column kind the compiler handles."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

import engine
from engine import TableSchema

SYNAPSES = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "valid": [True, True, False, True, None, True],
        "pre_pt_root_id": pa.array([10, 10, 20, 30, None, 0], pa.int64()),
        "post_pt_root_id": pa.array([20, 30, 10, 10, 20, 0], pa.int64()),
        "size": [1.5, float("nan"), None, 7.0, 3.25, 0.0],
        "cell_type": ["pyr'1", "sst", None, "pv;--", "日本", "sst"],
        "created": pa.array([dt.datetime(2024, 1, d) for d in (1, 2, 3, 4, 5, 6)], pa.timestamp("us")),
        "pre_pt_position_x": pa.array([0, 5, 10, 15, 20, None], pa.int32()),
        "pre_pt_position_y": pa.array([0, 5, 10, 15, 20, 25], pa.int32()),
        "pre_pt_position_z": pa.array([0, 1, 2, 3, 4, 5], pa.int32()),
        "ctr_pt_position": pa.array([[0, 0, 0], [5, 5, 1], None, [15, 15, 3], [20, 20], [25, 25, 5]], pa.list_(pa.int64())),
    }
)


@pytest.fixture(scope="session")
def synapses() -> pa.Table:
    return SYNAPSES


@pytest.fixture(scope="session")
def schema() -> TableSchema:
    return TableSchema.from_arrow("synapses", SYNAPSES.schema, primary_key=["id"])


@pytest.fixture()
def ds() -> engine.Dataset:
    with engine.connect({"synapses": SYNAPSES}) as dataset:
        yield dataset
