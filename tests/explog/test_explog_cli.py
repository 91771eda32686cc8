"""``engine explog summarize|update|export FILE`` through the argparse hooks the main CLI wires in."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from reference_layouts import build

from engine.errors import SchemaVersionError
from engine.explog import ExperimentLog, PickleRefusedError
from engine.explog.cli import add_parser, run


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="engine")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["explog", *argv]))


def test_summarize_prints_one_row_per_experiment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path / "current.db", "current")
    assert _cli("summarize", str(path), "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["experiment_id"], r["n_data"], r["lab"]) for r in rows] == [("exp-1", 3, "north"), ("exp-2", 2, "north")]
    assert _cli("summarize", str(path)) == 0
    assert "exp-2" in capsys.readouterr().out


def test_update_upgrades_in_place_and_reports_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path / "original.db", "original")
    with pytest.raises(SchemaVersionError, match="engine explog update FILE"):
        _cli("summarize", str(path))
    with pytest.raises(PickleRefusedError, match="allow_pickle"):
        _cli("update", str(path))
    assert _cli("update", str(path), "--allow-pickle") == 0
    out = capsys.readouterr()
    assert "rebuild trials from logged tell messages" in out.out and "upgraded" in out.err
    assert _cli("update", str(path)) == 0
    assert capsys.readouterr().out == ""
    with ExperimentLog(path, read_only=True) as log:
        assert log.trials().count() == 5


def test_export_writes_parquet_next_to_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = build(tmp_path / "current.db", "current")
    assert _cli("export", str(path)) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out == tmp_path / "current.trials.parquet" and pq.read_table(out).num_rows == 5
    target = tmp_path / "long.parquet"
    assert _cli("export", str(path), "--out", str(target), "--layout", "long", "--experiment", "2") == 0
    assert set(pq.read_table(target).column("master_id").to_pylist()) == {2}
