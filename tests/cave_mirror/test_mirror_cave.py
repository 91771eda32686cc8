"""Mirroring from our own service started with a reference-style row cap: the mirror must equal the source."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from aiohttp import web

from engine.cave_mirror import mirror_cave
from engine.errors import DownloadError, UnknownTableError, UnknownVersionError
from engine.materialize import MaterializationClient
from engine.server import make_app
from engine.server.background import BackgroundServer
from engine.server.cli import register
from server.conftest import CAP, DATASTACK

TABLES = ("cell_types", "nucleus_detection_v0", "synapses")


def assert_mirror_equals_source(
    dest: Path, local: MaterializationClient, versions: list[int], tables=TABLES, roots: bool = True
) -> None:
    """Every table equal at every mirrored version, and root-id filters (roots.parquet) answer the same."""
    with MaterializationClient(dest, DATASTACK) as copy:
        assert copy.get_versions() == versions
        for v in versions:
            for table in tables:
                args = dict(materialization_version=v, merge_reference=False, split_positions=True, log_warning=False)
                expected = local.query_table(table, **args)
                assert len(expected) > 0
                assert copy.query_table(table, **args).equals(expected), (v, table)
            if not roots:
                continue
            pre = local.query_table("synapses", materialization_version=v, limit=1).pre_pt_root_id.iloc[0]
            assert copy.synapse_query(pre_ids=int(pre), materialization_version=v).equals(
                local.synapse_query(pre_ids=int(pre), materialization_version=v))


def page_requests(counter: dict[str, int], fail_after: int | None = None, flaky: bool = False) -> web.middleware:
    """Counts row-page queries (not counts); optionally fails them after ``fail_after``, or each page's first try."""
    tried: set[tuple[str, bytes]] = set()

    @web.middleware
    async def watch(request: web.Request, handler):
        if request.path.endswith("/query") and request.query.get("count") != "True":
            counter["pages"] += 1
            if fail_after is not None and counter["pages"] > fail_after:
                return web.json_response({"message": "down for maintenance"}, status=503)
            key = (request.path, await request.read())
            if flaky and key not in tried:
                tried.add(key)
                return web.json_response({"message": "try again"}, status=502)
        return await handler(request)

    return watch


def test_mirror_equals_source_under_a_row_cap(capped_server, local: MaterializationClient, tmp_path: Path) -> None:
    path = mirror_cave(capped_server.url, DATASTACK, tmp_path, page_rows=CAP - 200, progress=False)
    assert path == tmp_path / DATASTACK
    assert_mirror_equals_source(tmp_path, local, [2, 3, 4, 5])
    info = json.loads((path / "datastack.json").read_text())
    assert info["synapse_table"] == "synapses" and info["source"] == capped_server.url
    meta = json.loads((path / "tables" / "cell_types.json").read_text())
    assert meta["voxel_resolution"] == [4.0, 4.0, 40.0] and meta["reference_table"] == "nucleus_detection_v0"
    assert json.loads((path / "versions.json").read_text())[0]["time_stamp"].endswith("+00:00")
    assert not (tmp_path / f".{DATASTACK}.cave-mirror").exists()


def test_pages_the_service_truncates_are_split(capped_server, local: MaterializationClient, tmp_path: Path) -> None:
    """Told a page size above the service's cap, the pager sees the "Limited query" warning and splits."""
    path = mirror_cave(capped_server.url, DATASTACK, tmp_path, versions=[4, 5], tables=["synapses"],
                       page_rows=3 * CAP, progress=False)
    assert path.is_dir()
    assert_mirror_equals_source(tmp_path, local, [4, 5], tables=["synapses"])


def test_resume_refetches_only_missing_pages(
    start_server: Callable, local: MaterializationClient, tmp_path: Path
) -> None:
    choice = dict(versions=[4, 5], tables=["cell_types", "synapses"], page_rows=500, progress=False)
    everything = {"pages": 0}
    counting = start_server(row_limit=CAP, middlewares=(page_requests(everything),))
    mirror_cave(counting.url, DATASTACK, tmp_path / "whole", **choice)

    first = {"pages": 0}
    failing = start_server(row_limit=CAP, middlewares=(page_requests(first, fail_after=6),))
    with pytest.raises(DownloadError, match="down for maintenance"):
        mirror_cave(failing.url, DATASTACK, tmp_path, retries=1, backoff=0.0, concurrency=1, **choice)
    staged = list((tmp_path / f".{DATASTACK}.cave-mirror").rglob("*.parquet"))
    assert len(staged) == 6 and not (tmp_path / DATASTACK).exists()

    second = {"pages": 0}
    healthy = start_server(row_limit=CAP, middlewares=(page_requests(second),))
    mirror_cave(healthy.url, DATASTACK, tmp_path, **choice)
    assert second["pages"] == everything["pages"] - len(staged)
    assert_mirror_equals_source(tmp_path, local, [4, 5], tables=["cell_types", "synapses"])


def test_failed_pages_are_retried(start_server: Callable, local: MaterializationClient, tmp_path: Path) -> None:
    seen = {"pages": 0}
    flaky = start_server(row_limit=CAP, middlewares=(page_requests(seen, flaky=True),))
    mirror_cave(flaky.url, DATASTACK, tmp_path, versions=[5], page_rows=500, retries=1, backoff=0.0,
                concurrency=4, progress=False)
    assert_mirror_equals_source(tmp_path, local, [5])
    assert seen["pages"] % 2 == 0  # every page failed once, then succeeded


def test_sparse_ids_are_bisected_on_counts(mirror_root: Path, tmp_path: Path) -> None:
    """Ids spread thinly over a wide range cannot be sliced by width; counts size the pages instead."""
    source = tmp_path / "source"
    shutil.copytree(mirror_root / DATASTACK, source / DATASTACK)
    path = source / DATASTACK / "tables" / "nucleus_detection_v0.parquet"
    nuclei = pq.read_table(path)
    pq.write_table(nuclei.set_column(0, "id", pc.add(pc.multiply(nuclei["id"], 1_000_003), 7)), path)
    counted = {"pages": 0}
    app = make_app(source, row_limit=30)
    app.middlewares.append(page_requests(counted))
    with BackgroundServer(app) as server, MaterializationClient(source, DATASTACK) as local:
        mirror_cave(server.url, DATASTACK, tmp_path / "copy", tables=["nucleus_detection_v0"], page_rows=20,
                    progress=False)
        assert_mirror_equals_source(tmp_path / "copy", local, [2, 3, 4, 5], tables=["nucleus_detection_v0"],
                                    roots=False)
    assert counted["pages"] <= 4 * 4  # a few counted pages per version, not one per slice of 20 ids


def test_bad_choices(capped_server, tmp_path: Path) -> None:
    with pytest.raises(UnknownVersionError, match="valid: 1, 2, 3, 4, 5"):
        mirror_cave(capped_server.url, DATASTACK, tmp_path, versions=[6], progress=False)
    with pytest.raises(UnknownTableError, match="synapses"):
        mirror_cave(capped_server.url, DATASTACK, tmp_path, tables=["synapse"], progress=False)
    with pytest.raises(DownloadError, match="404"):
        mirror_cave(capped_server.url, "nope", tmp_path, progress=False)


def test_cli(capped_server, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["mirror-cave", capped_server.url, DATASTACK, str(tmp_path), "--version", "5",
                              "--tables", "nucleus_detection_v0", "--page-rows", "20", "--no-progress"])
    assert args.handler(args) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / DATASTACK)
    assert (tmp_path / DATASTACK / "tables" / "nucleus_detection_v0.parquet").is_file()
