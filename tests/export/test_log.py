"""Logging: per-thread state in a ContextVar, one AND-combined restriction per call, resume, per-export dedup."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import pytest

import engine
from engine.errors import BadInputError
from engine.export import active, export, export_paper, open_catalog, record_read, start_export, stop_export
from engine.export.catalog import ENV, FILE_NAME
from engine.filters import And, Equal, InSet, Range


@pytest.fixture(scope="module")
def ds(synphys_tiny: Path):
    with engine.connect(synphys_tiny) as dataset:
        yield dataset


def logged(catalog, paper, analysis=None):
    return [(i.analysis_id, i.table, i.restriction) for i in catalog.restrictions(paper, analysis)]


def test_nothing_is_logged_without_an_active_analysis(ds, catalog):
    ds.query("pair", filter_equal_dict={"has_synapse": True}).arrow()
    record_read(ds, "cell", Equal("id", 1))
    assert active() is None and catalog.papers() == []


def test_a_query_logs_its_whole_filter_as_one_restriction(ds, catalog):
    with ds.export("paper", "fig1", catalog=catalog) as analysis:
        ds.query("pair", ["id"], filter_equal_dict={"has_synapse": True}, filter_greater_dict={"distance": 50e-6},
                 filters=[InSet("experiment_id", [1, 2, 3])], limit=5).arrow()
    assert active() is None and analysis.paper_id == "paper"
    [(name, table, node)] = logged(catalog, "paper")
    assert (name, table) == ("fig1", "pair")
    assert isinstance(node, And) and len(node.items) == 3  # one AND, not three ORed rows (no superset)
    assert Equal("has_synapse", True) in node.items
    assert Range("distance", lo=50e-6, lo_inclusive=False) in node.items


@pytest.mark.parametrize("kind", ["one keyed column", "two keyed columns", "mixed shapes"])
def test_a_batch_logs_the_union_of_its_sets_once(ds, catalog, kind):
    pairs = ds.query("pair", ["experiment_id", "pre_cell_id", "post_cell_id"], order_by="id", limit=40).arrow().to_pylist()
    sets: list = {
        "one keyed column": [{"filter_in_dict": {"experiment_id": [p["experiment_id"]]}} for p in pairs[:8]],
        "two keyed columns": [{"filter_equal_dict": {"pre_cell_id": p["pre_cell_id"], "post_cell_id": p["post_cell_id"]}}
                              for p in pairs[::3]],  # pre x post combinations of other sets must stay out
        "mixed shapes": [{"filter_in_dict": {"experiment_id": [pairs[0]["experiment_id"]]}},
                         {"filter_equal_dict": {"has_synapse": True}, "filter_less_dict": {"distance": 40e-6}},
                         Range("distance", hi=20e-6) | InSet("pre_cell_id", [pairs[3]["pre_cell_id"]])],
    }[kind]
    with ds.export("paper", kind, catalog=catalog):
        batch = ds.query_batch("pair", sets, columns=["id"], limit=3)
    [(_, table, node)] = logged(catalog, "paper", kind)  # one restriction for the whole batch
    read = ds.query("pair", ["id"], filters=node).arrow()["id"].to_pylist()
    every = ds.query_batch("pair", sets, columns=["id"]).arrow()["id"].to_pylist()
    assert table == "pair" and sorted(set(every)) == sorted(read)  # exactly the rows the sets select
    assert set(batch.arrow()["id"].to_pylist()) <= set(read)


def test_table_reads_and_external_files_are_logged(ds, catalog):
    with export("paper", "nwb", catalog=catalog):
        ds.table("slice").arrow()
        ds.query("experiment", filter_in_dict={"id": [1, 2]}).arrow()
    assert [t for _, t, _ in logged(catalog, "paper")] == ["slice", "experiment"]
    files = catalog.list_file_paths("paper")
    assert len(files) == 2 and all(f.endswith(".nwb") and "/slice_" in f for f in files)


def test_state_is_per_thread_and_never_in_the_environment(ds, catalog):
    environ = dict(os.environ)
    barrier = threading.Barrier(2)
    errors = []

    def analysis(name: str, table: str) -> None:
        try:
            start_export("paper", name, catalog=catalog)
            for i in range(20):
                barrier.wait()  # the two threads interleave their reads
                ds.query(table, filter_equal_dict={"id": i + 1}).arrow()
            stop_export()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=analysis, args=a) for a in (("cells", "cell"), ("pairs", "pair"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert dict(os.environ) == environ and active() is None
    assert {t for _, t, _ in logged(catalog, "paper", "cells")} == {"cell"}
    assert {t for _, t, _ in logged(catalog, "paper", "pairs")} == {"pair"}
    assert len(logged(catalog, "paper", "cells")) == 20


def test_asyncio_tasks_log_to_their_own_analysis(ds, catalog):
    async def task(name: str, table: str) -> None:
        with export("paper", name, catalog=catalog):
            await asyncio.sleep(0)
            record_read(ds, table, Equal("id", 1))
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(task("a", "cell"), task("b", "pair"))

    asyncio.run(main())
    assert [t for _, t, _ in logged(catalog, "paper", "a")] == ["cell"]
    assert [t for _, t, _ in logged(catalog, "paper", "b")] == ["pair"]


def test_starting_an_analysis_again_resumes_it(ds, catalog, tmp_path: Path):
    first = start_export("paper", "fig1", catalog=catalog)
    record_read(ds, "cell", Equal("id", 1))
    start_export("paper", "fig2", catalog=catalog)  # replaces the active analysis, like the reference
    record_read(ds, "pair", Equal("id", 1))
    stop_export()
    export_paper("paper", tmp_path / "bundle", catalog=catalog)
    assert [e["export_id"] for e in catalog.exports()] == [catalog.paper_export_id("paper")]
    again = start_export("paper", "fig1", catalog=catalog)
    record_read(ds, "cell", Equal("id", 2))
    stop_export()
    assert (again.export_id, again.resumed, first.resumed) == (first.export_id, True, False)
    assert [n for _, _, n in logged(catalog, "paper", "fig1")] == [Equal("id", 1), Equal("id", 2)]
    assert catalog.paper_export_id("paper", return_all=True) == [first.export_id, first.export_id + 1]
    assert catalog.exports() == []  # the bundle built before the resume is stale: its record is dropped


def test_duplicates_are_dropped_per_analysis_not_across_analyses(ds, catalog):
    for name in ("a", "b"):
        with export("paper", name, catalog=catalog):
            for _ in range(3):
                record_read(ds, "cell", Equal("id", 7))
    assert [a for a, _, _ in logged(catalog, "paper")] == ["a", "b"]


def test_nested_blocks_restore_the_outer_analysis(catalog):
    with export("paper", "outer", catalog=catalog) as outer:
        with export("paper", "inner", catalog=catalog):
            assert active().analysis_id == "inner"
        assert active() == outer
    assert active() is None


def test_in_memory_frames_are_not_logged(catalog, ds):
    memory = engine.connect({"t": ds.table("slice").arrow()})
    with export("paper", "mem", catalog=catalog):
        memory.query("t", filter_equal_dict={"id": 1}).arrow()
    assert logged(catalog, "paper") == []


def test_catalog_location(synphys_tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    release = shutil.copy(synphys_tiny, tmp_path / synphys_tiny.name)
    with engine.connect(release) as ds:
        with ds.export("paper", "beside"):
            ds.query("cell", filter_equal_dict={"id": 1}).arrow()
        assert [s.analysis_id for s in open_catalog(tmp_path / FILE_NAME).selections("paper")] == ["beside"]
        monkeypatch.setenv(ENV, str(tmp_path / "env.sqlite"))
        with ds.export("paper", "env"):
            pass
        assert [s.analysis_id for s in open_catalog(tmp_path / "env.sqlite").selections("paper")] == ["env"]
    monkeypatch.delenv(ENV)
    with pytest.raises(BadInputError, match="no export catalog"):
        start_export("paper", "nowhere")
    with pytest.raises(BadInputError, match="analysis_id must be a non-empty string"):
        start_export("paper", " ", catalog=tmp_path / "x.sqlite")
