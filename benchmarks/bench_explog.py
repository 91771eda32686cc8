"""Experiment log: recording throughput by transaction pattern, and the trials() pivot.

Recording: the same trials written with one commit per row (the reference's pattern: raw row,
then each parameter and outcome, each committed), with one ``session_scope`` per trial (each
trial durable and atomic) and with one ``session_scope`` per batch of trials.

Pivot: ``trials()`` (one DuckDB query over the sqlite file) against the reference's way of building
its data frame: a loop over trials with one query per trial for its parameters and one for its
outcomes (its ORM relationships), then a DataFrame. The loop runs on our file, which has indexes on
the child tables; on a file the reference created (no indexes) every per-trial query scans the
whole table, which is measured at small sizes only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from engine.explog import ExperimentLog
from engine.explog.layout import INDEXES
from engine.sql import quote_ident

from .context import Context
from .harness import Measurement, measure

SCENARIO = "explog"
PARAMS = ("contrast", "frequency", "phase")
RECORD_TRIALS = {"tiny": 100, "small": 500, "medium": 1_000, "full": 2_000}
PIVOT_TRIALS = {"tiny": 5_000, "small": 50_000, "medium": 200_000, "full": 1_000_000}
NO_INDEX_LIMIT = 20_000  # above this the index-less loop is quadratic beyond patience
BATCH = 100
EXPERIMENTS = 10


def run(ctx: Context) -> list[Measurement]:
    return _recording(ctx) + _pivot(ctx)


# -- recording --------------------------------------------------------------------------------------


def _recording(ctx: Context) -> list[Measurement]:
    n = RECORD_TRIALS.get(ctx.size, RECORD_TRIALS["full"])
    folder = ctx.path("explog", "record")  # on the benchmark disk: commits are fsynced there
    per_row = measure(SCENARIO, f"record {n} trials, commit per row", "commit-per-row (reference pattern)",
                      _recorder(folder, n, _per_row), repeats=ctx.repeats, rows=lambda _: n)
    out = []
    for case, fn in (
        (f"record {n} trials, session_scope per trial", _per_trial),
        (f"record {n} trials, session_scope per {BATCH} trials", _per_batch),
    ):
        engine = measure(SCENARIO, case, "engine", _recorder(folder, n, fn), repeats=ctx.repeats, rows=lambda _: n)
        out += [_rate(engine, n), _rate(replace(per_row, case=case), n)]
    return out


def _rate(m: Measurement, n: int) -> Measurement:
    return replace(m, extra={**m.extra, "trials_per_s": round(n / m.seconds, 1)})


def _recorder(folder: Path, n: int, write: Callable[[ExperimentLog, object, int], None]) -> Callable[[], int]:
    def go() -> int:
        log = ExperimentLog(folder / "log.db")
        try:
            master = log.record_setup("benchmark", "recording")
            write(log, master, n)
        finally:
            log.delete_db()
        return n

    return go


def _values(i: int) -> dict[str, float]:
    return {name: i + k / 10 for k, name in enumerate(PARAMS)}


def _per_row(log: ExperimentLog, master: object, n: int) -> None:
    for i in range(n):
        raw = log.record_raw(master, True)
        for name, value in _values(i).items():
            log.record_param(raw, name, value)
        log.record_outcome(raw, "outcome", float(i % 2))


def _per_trial(log: ExperimentLog, master: object, n: int) -> None:
    for i in range(n):
        log.record_trial(master, _values(i), float(i % 2))


def _per_batch(log: ExperimentLog, master: object, n: int) -> None:
    for start in range(0, n, BATCH):
        with log.session_scope():
            for i in range(start, min(n, start + BATCH)):
                log.record_trial(master, _values(i), float(i % 2))


# -- pivot ------------------------------------------------------------------------------------------


def _pivot(ctx: Context) -> list[Measurement]:
    n = PIVOT_TRIALS.get(ctx.size, PIVOT_TRIALS["full"])
    path = _trials_file(ctx, n)
    case = f"trials() pivot, {n:,} trials x (3 params + 1 outcome)"
    out = []
    with ExperimentLog(path, read_only=True) as log:
        log.dataset().sql("SELECT 1").arrow()  # the one-time DuckDB attach is not part of the pivot
        out.append(measure(SCENARIO, case, "engine", lambda: log.trials().arrow(), repeats=ctx.repeats,
                           rows=lambda t: t.num_rows))
    slow_repeats = 1 if n > 100_000 else ctx.repeats
    out.append(measure(SCENARIO, case, "row-at-a-time ORM-style loop", lambda: _orm_loop(path),
                       repeats=slow_repeats, rows=len))
    if n <= NO_INDEX_LIMIT:
        bare = _without_indexes(path)
        out.append(measure(SCENARIO, case, "ORM-style loop, reference file (no indexes)", lambda: _orm_loop(bare),
                           repeats=1, rows=len))
    return out


def _orm_loop(path: Path) -> pd.DataFrame:
    """The reference's data frame: per experiment its trials, per trial one query each for
    parameters and outcomes (what lazy-loading ``children_param``/``children_outcome`` issues)."""
    con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        rows = []
        for uid, experiment_id, participant_id in con.execute(
                "SELECT unique_id, experiment_id, participant_id FROM master").fetchall():
            raws = con.execute("SELECT unique_id, timestamp, model_data FROM raw_data WHERE master_table_id = ?",
                               (uid,)).fetchall()
            for number, (iteration, timestamp, model_data) in enumerate(raws, start=1):
                row = {"master_id": uid, "experiment_id": experiment_id, "participant_id": participant_id,
                       "iteration_id": iteration, "trial": number, "timestamp": timestamp, "model_data": model_data}
                for _, name, value, _ in con.execute(
                        "SELECT unique_id, param_name, param_value, iteration_id FROM param_data WHERE iteration_id = ?",
                        (iteration,)):
                    row[name] = value
                for _, name, value, _ in con.execute(
                        "SELECT unique_id, outcome_name, outcome_value, iteration_id FROM outcome_data "
                        "WHERE iteration_id = ?", (iteration,)):
                    row[name] = value
                rows.append(row)
        return pd.DataFrame(rows)
    finally:
        con.close()


def _trials_file(ctx: Context, n: int) -> Path:
    """A log with ``n`` trials over ``EXPERIMENTS`` experiments, generated once and cached."""
    path = ctx.path("explog", f"trials_{n}.db")
    if path.exists():
        with ExperimentLog(path, read_only=True) as log:
            if log.execute_sql_query("SELECT count(*) FROM raw_data")[0][0] == n:
                return path
        ExperimentLog(path).delete_db()
    per = n // EXPERIMENTS
    with ExperimentLog(path) as log:
        for e in range(EXPERIMENTS):
            master = log.record_setup("benchmark", f"experiment {e}")
            first = e * per + 1
            with log.session_scope():
                # Trials and their rows generated inside sqlite; every value is a bound parameter.
                log.execute_sql_query(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :count) "
                    "INSERT INTO raw_data (unique_id, timestamp, model_data, extra_data, master_table_id) "
                    "SELECT :first + i, strftime('%Y-%m-%d %H:%M:%f', '2024-01-01', '+' || i || ' seconds'), "
                    "i % 10 != 0, '{}', :master FROM n",
                    {"count": per, "first": first, "master": master.unique_id})
                for k, name in enumerate(PARAMS):
                    log.execute_sql_query(
                        "INSERT INTO param_data (param_name, param_value, iteration_id) "
                        "SELECT :name, CAST(((unique_id * :step) % 1000) / 1000.0 AS TEXT), unique_id FROM raw_data "
                        "WHERE master_table_id = :master",
                        {"name": name, "step": 7 + k, "master": master.unique_id})
                log.execute_sql_query(
                    "INSERT INTO outcome_data (outcome_name, outcome_value, iteration_id) "
                    "SELECT 'outcome', unique_id % 2, unique_id FROM raw_data WHERE master_table_id = :master",
                    {"master": master.unique_id})
    return path


def _without_indexes(path: Path) -> Path:
    """A copy without our indexes: the layout a reference-created file has."""
    bare = path.with_name(path.stem + "_noindex.db")
    if not bare.exists():
        source = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(bare)
        try:
            source.backup(target)  # a consistent copy, WAL included
            for index in INDEXES:
                target.execute(f"DROP INDEX IF EXISTS {quote_ident(index)}")
            target.commit()
        finally:
            source.close()
            target.close()
    return bare
