"""trials()/trials_long()/summaries/Parquet export against a straightforward row-at-a-time implementation."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from engine.errors import BadInputError, UnknownNameError
from engine.explog import ExperimentLog
from engine.explog.analytics import FIXED


def _fill(log: ExperimentLog, seed: int) -> None:
    """Random experiments: numeric/text/stimulus parameters, gaps, repeats and colliding names."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1)
    for e in range(rng.randint(2, 4)):
        master = log.record_setup(f"exp {e}", f"name {e}", participant_id=f"p{e}")
        with log.session_scope():
            for t in range(rng.randint(0, 25)):
                raw = log.record_raw(master, rng.random() < 0.8, timestamp=start + dt.timedelta(seconds=60 * e + t))
                if rng.random() < 0.9:
                    log.record_param(raw, "contrast", round(rng.uniform(0, 1), 3))
                if rng.random() < 0.5:
                    log.record_param(raw, "color", rng.choice(["red", "green", "7"]))
                if e % 2:
                    log.record_param(raw, "trial", t)  # collides with a fixed column
                    log.record_param(raw, "Contrast", -1.5)  # differs only by case
                if rng.random() < 0.2:
                    log.record_param(raw, "contrast", 2.0)  # recorded twice: the last wins
                log.record_outcome(raw, "outcome", float(rng.random() < 0.5))
                if rng.random() < 0.3:
                    log.record_outcome(raw, "color", rng.random())  # same name as a parameter


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _expected_wide(log: ExperimentLog, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The pivot written the obvious way: per experiment, per trial, per parameter and outcome."""
    masters = [m for m in log.get_master_records() if ids is None or m.unique_id in ids]
    trials, params, outcomes = [], {}, {}
    for m in masters:
        for number, raw in enumerate(log.get_raw_for(m.unique_id), start=1):
            p = {r.param_name: r.param_value for r in log.get_param_for(m.unique_id, raw)}
            o = {r.outcome_name: r.outcome_value for r in log.get_outcome_for(m.unique_id, raw)}
            for name, value in p.items():
                params[name] = params.get(name, True) and _numeric(value)
            for name in o:
                outcomes.setdefault(name, True)
            trials.append((m, number, raw, p, o))
    rows = []
    for m, number, raw, p, o in trials:
        row = {"master_id": m.unique_id, "experiment_id": m.experiment_id, "participant_id": m.participant_id,
               "iteration_id": raw.unique_id, "trial": number, "timestamp": raw.timestamp, "model_data": raw.model_data}
        for name, numeric in params.items():
            label = f"param:{name}" if name in FIXED or name in outcomes else name
            value = p.get(name)
            row[label] = float(value) if numeric and value is not None else value
        for name in outcomes:
            row[f"outcome:{name}" if name in FIXED or name in params else name] = o.get(name)
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(4))
def test_trials_pivot_matches_a_row_at_a_time_implementation(log: ExperimentLog, seed: int) -> None:
    _fill(log, seed)
    got = log.trials().arrow().to_pylist()
    assert got == _expected_wide(log)
    some = [m.unique_id for m in log.get_master_records()][1:]
    assert log.trials(some).arrow().to_pylist() == _expected_wide(log, some)


def test_trials_column_names_and_types(log: ExperimentLog) -> None:
    _fill(log, 1)
    frame = log.trials().pl()
    assert frame.columns[: len(FIXED)] == list(FIXED)
    assert {"param:trial", "Contrast", "contrast", "param:color", "outcome:color", "outcome"} <= set(frame.columns)
    assert frame.schema["contrast"] == pl.Float64 and frame.schema["param:color"] == pl.String
    assert frame.schema["timestamp"] == pl.Datetime("us") and frame.schema["model_data"] == pl.Boolean
    pandas = log.trials().df()
    assert list(pandas.columns) == frame.columns and len(pandas) == frame.height


def test_trials_long_matches_the_records(log: ExperimentLog) -> None:
    _fill(log, 2)
    long = log.trials_long().arrow().to_pylist()
    expected = []
    for m in log.get_master_records():
        for number, raw in enumerate(log.get_raw_for(m.unique_id), start=1):
            base = {"master_id": m.unique_id, "iteration_id": raw.unique_id, "trial": number}
            expected += [{**base, "kind": "param", "name": r.param_name, "text": r.param_value,
                          "value": float(r.param_value) if _numeric(r.param_value) else None}
                         for r in log.get_param_for(m.unique_id, raw)]
            expected += [{**base, "kind": "outcome", "name": r.outcome_name, "value": r.outcome_value}
                         for r in log.get_outcome_for(m.unique_id, raw)]
    keep = ("master_id", "iteration_id", "trial", "kind", "name", "value", "text")
    got = [{k: row[k] for k in keep if k in row and (k != "text" or row["kind"] == "param")} for row in long]
    assert got == expected


def test_empty_log_and_experiment_without_trials(log: ExperimentLog) -> None:
    assert log.trials().arrow().column_names == list(FIXED)
    assert log.trials().count() == 0 and log.trials_long().count() == 0
    master = log.record_setup("d", "n")
    assert log.trials(master.unique_id).count() == 0
    [summary] = log.summarize_experiments().arrow().to_pylist()
    assert summary["n_data"] == 0 and summary["parameter_names"] == [] and summary["stimuli_per_trial"] == 1


def test_summary_reads_names_and_metadata_from_the_data(log: ExperimentLog) -> None:
    master = log.record_setup("d", "contrast", extra_metadata={"lab": "north", "n_data": 3, "a/b": "x"})
    log.record_setup("d2", "other", extra_metadata="not json")
    log.record_trial(master, {"x": [0.1, 0.2], "y": 1}, {"choice": 1.0})
    log.record_trial(master, {"x": [0.3, 0.4], "y": 2}, {"choice": 0.0})
    first, second = log.summarize_experiments().arrow().to_pylist()
    assert first["parameter_names"] == ["x", "y"] and first["outcome_names"] == ["choice"]
    assert (first["stimuli_per_trial"], first["n_data"], first["lab"], first["metadata:n_data"], first["a/b"]) == (
        2, 2, "north", "3", "x")
    assert first["creation_time"] <= first["time_last_modified"]
    assert second["lab"] is None and second["n_data"] == 0


def test_export_parquet_wide_and_long(log: ExperimentLog, tmp_path: Path) -> None:
    _fill(log, 3)
    wide = log.export_parquet(tmp_path / "out" / "trials.parquet")
    assert pq.read_table(wide).to_pylist() == log.trials().arrow().to_pylist()
    assert pq.read_schema(wide).metadata[b"engine.explog.layout"] == b"wide"
    long = log.export_parquet(tmp_path / "long.parquet", layout="long", experiment_ids=[1])
    assert pq.read_table(long).num_rows == log.trials_long(1).count()
    empty = ExperimentLog(tmp_path / "empty.db")
    try:
        assert pq.read_table(empty.export_parquet(tmp_path / "empty.parquet")).column_names == list(FIXED)
    finally:
        empty.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp files left
    with pytest.raises(BadInputError, match="layout must be one of wide, long"):
        log.export_parquet(tmp_path / "x.parquet", layout="tall")


@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        ("1", BadInputError, "master ids"),
        ([1, "2"], BadInputError, "got '2'"),
        ([True], BadInputError, "got True"),
        (77, UnknownNameError, "no experiment 77"),
    ],
)
def test_experiment_id_selection_is_validated(log: ExperimentLog, ids: Any, error: type, match: str) -> None:
    log.record_setup("d", "n")
    with pytest.raises(error, match=match):
        log.trials(ids)


def test_duckdb_sees_committed_trials_only(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    log.record_trial(master, {"x": 1}, 1.0)
    with log.session_scope():
        log.record_trial(master, {"x": 2}, 1.0)
        assert log.trials().count() == 1  # DuckDB reads the file: the open transaction is invisible
    assert log.trials().count() == 2


def test_an_open_duckdb_read_does_not_block_the_writer(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    with log.session_scope():
        for i in range(3000):
            log.record_trial(master, {"x": i}, 1.0)
    stream = log.trials_long().batches(batch_rows=1024)
    first = next(stream)  # DuckDB now holds a sqlite read transaction on the file
    for i in range(50):
        log.record_trial(master, {"x": i}, 0.0)  # each commits while the reader is open
    rest = sum(b.num_rows for b in stream)
    assert first.num_rows + rest == 6000  # the reader kept its snapshot
    assert log.trials().count() == 3050
