"""Server parts on their own: Arrow framing, wire parsing, JSON payloads, lineage over roots.parquet."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests

from engine.errors import BadInputError
from engine.server.arrow import compression_for, encode_table, ipc_stream, resolution_header, wire_schema
from engine.server.config import ServerConfig
from engine.server.lineage import Lineage
from engine.server.payloads import info_json, table_json, wire_time
from engine.server.wire import join, live, simple

from .compare import roots_at
from .conftest import DATASTACK

AT = datetime(2024, 4, 15, 12, tzinfo=timezone.utc)


def test_stream_is_one_chunk_per_batch_and_decodes_with_reference_dtypes() -> None:
    schema = pa.schema([("id", pa.int64()), ("p_x", pa.int32()), ("p_y", pa.int32()), ("p_z", pa.int32()),
                        ("ok", pa.bool_()), ("size", pa.float32()), ("name", pa.string())])
    batches = [pa.record_batch([pa.array([k, None]), *([pa.array([1, 2], pa.int32())] * 3), pa.array([True, None]),
                                pa.array([1.5, None], pa.float32()), pa.array(["a", None])], schema=schema)
               for k in range(5)]
    chunks = list(ipc_stream(iter(batches), schema, "zstd"))
    assert len(chunks) == 6  # five batches, then the end-of-stream marker
    with pa.ipc.open_stream(b"".join(chunks)) as reader:
        frame = reader.read_pandas()
    assert [str(t) for t in frame.dtypes] == ["Int64", "int32", "int32", "int32", "boolean", "Float32", "object"]
    assert len(frame) == 10
    empty = encode_table(schema.empty_table(), None)
    with pa.ipc.open_stream(empty) as reader:
        assert reader.read_all().schema.names == schema.names
    assert wire_schema(schema).pandas_metadata["columns"][0]["numpy_type"] == "Int64"


def test_compression_and_headers() -> None:
    assert compression_for("gzip, deflate") is None
    assert compression_for("zstd") == "zstd" and compression_for("zstd, lz4") == "lz4"
    assert compression_for("zstd", ipc_compress=False) is None
    assert resolution_header([4, 4, 40]) == "4.0, 4.0, 40.0"
    assert [float(r) for r in resolution_header([4, 4.5, 40]).split(", ")] == [4.0, 4.5, 40.0]


def test_payloads() -> None:
    assert wire_time("2024-03-01T08:10:00+00:00") == "2024-03-01T08:10:00.000000"
    assert wire_time(datetime(2024, 3, 1, 9, 10, tzinfo=timezone.utc)) == "2024-03-01T09:10:00.000000"
    meta = table_json({"table_name": "t", "voxel_resolution": [4.0, 4.0, 40.0], "created": "2024-01-01T00:00:00+00:00"})
    assert meta["voxel_resolution_z"] == 40.0 and "voxel_resolution" not in meta
    assert meta["reference_table"] is None and meta["created"] == "2024-01-01T00:00:00.000000"
    info = info_json({"aligned_volume": {"name": "v", "id": 1}}, "ds", "http://127.0.0.1:9")
    assert info["segmentation_source"] == "graphene://http://127.0.0.1:9/segmentation/table/ds"


def test_wire_bodies(mirror_root: Path) -> None:
    config = ServerConfig(mirror_root, row_limit=100)
    body = {"filter_in_dict": {"synapses": {"pre_pt_root_id": [1, 2]}}, "filter_notin_dict": {"synapses": {}},
            "filter_equal_dict": {"synapses": {}}, "limit": 10}  # synapse_query's empty inner dicts
    parsed = simple(body, "synapses", config, where="q")
    assert parsed.kwargs == {"filter_in_dict": {"pre_pt_root_id": [1, 2]}, "limit": 10} and not parsed.capped
    assert simple({}, "synapses", config, where="q").kwargs == {"limit": 100}
    merged = join({"tables": [["cells", "target_id"], ["nuclei", "id"]], "suffix_map": {"cells": "", "nuclei": "_ref"},
                   "select_column_map": {"cells": ["id"], "nuclei": ["pt_root_id"]},
                   "filter_notin_dict": {"cells": {"id": [3]}}}, config)
    assert merged.kwargs["filter_out_dict"] == {"cells": {"id": [3]}}
    assert merged.kwargs["suffixes"] == {"cells": "", "nuclei": "_ref"} and merged.tables == ["cells", "nuclei"]
    timed = live({"table": "a", "timestamp": "2024-02-05T00:00:00+00:00", "join_tables": [["a", "x", "b", "y"]],
                  "select_columns": {"a": ["id"]}, "suffixes": {"a": "", "b": "_b"}}, config)
    assert timed.tables == ["a", "b"] and timed.kwargs["joins"] == [["a", "x", "b", "y"]]
    with pytest.raises(BadInputError, match="select_column_map"):
        simple({"select_column_map": {}}, "synapses", config, where="q")


def test_lineage_matches_an_independent_reading(mirror_root: Path, server) -> None:
    stack = mirror_root / DATASTACK
    lineage = Lineage(stack / "segmentation" / "roots.parquet")
    try:
        table = pq.read_table(stack / "segmentation" / "roots.parquet").to_pandas()
        svs = np.unique(table.supervoxel_id.to_numpy())[::7]
        expected = roots_at(stack, svs, AT)
        assert np.array_equal(lineage.roots(svs.astype(np.uint64), AT), expected)
        unknown = lineage.roots(np.array([5], dtype=np.uint64), AT)
        assert unknown.tolist() == [0]
        roots = np.unique(table.root_id.to_numpy())
        latest = lineage.is_latest(roots, AT)
        assert set(roots[latest]) == {r for r in roots if _current(table, r, AT)}
        created, retired = lineage.lifetimes(roots)
        first = table.groupby("root_id").valid_from.min()
        assert np.allclose(created, [first[r].timestamp() for r in roots])
        assert np.isnan(retired).sum() == len(table[table.valid_to.isna()].root_id.unique())
        now_roots = roots[lineage.is_latest(roots, datetime(2024, 6, 29, tzinfo=timezone.utc))]
        past = lineage.past_ids(now_roots, AT)
        for root, before in past.items():
            mine = table[table.root_id == root].supervoxel_id.to_numpy()
            assert before == sorted(set(roots_at(stack, mine, AT).tolist()))
    finally:
        lineage.close()


def _current(table, root: int, at: datetime) -> bool:
    rows = table[table.root_id == root]
    return bool(((rows.valid_from <= at) & (rows.valid_to.isna() | (rows.valid_to > at))).any())


def test_chunkedgraph_routes_round_trip(server, mirror_root: Path) -> None:
    base = f"{server.url}/segmentation/api/v1/table/{DATASTACK}"
    table = pq.read_table(mirror_root / DATASTACK / "segmentation" / "roots.parquet").to_pandas()
    svs = np.unique(table.supervoxel_id.to_numpy())[:40].astype("<u8")
    answer = requests.post(f"{base}/roots_binary", params={"timestamp": AT.timestamp()}, data=svs.tobytes(), timeout=30)
    assert np.array_equal(np.frombuffer(answer.content, "<u8").astype(np.int64), roots_at(mirror_root / DATASTACK, svs, AT))
    roots = [int(r) for r in np.unique(table.root_id)[:5]]
    latest = requests.post(f"{base}/root_timestamps", params={"latest": "True", "timestamp": AT.timestamp()},
                           json={"node_ids": roots}, timeout=30).json()["timestamp"]
    assert all(t <= AT.timestamp() for t in latest)


def test_importing_engine_and_the_server_package_loads_no_aiohttp() -> None:
    code = "import sys, engine, engine.server; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
