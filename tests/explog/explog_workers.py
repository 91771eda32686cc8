"""Process entry points for the concurrency tests (spawned, so each opens its own connections)."""

from __future__ import annotations

import time

from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from engine.explog import ExperimentLog

PARAMS = ("contrast", "frequency", "phase")
WAIT = 60.0  # generous bound so a broken run fails instead of hanging


def trial_params(i: int) -> dict[str, float]:
    return {name: i + k / 10 for k, name in enumerate(PARAMS)}


def record_until_killed(path: Path, mode: str, acks: Connection) -> None:
    """Record trials forever; after each trial is committed, send its number to the parent."""
    with ExperimentLog(path) as log:
        master = log.record_setup("durability", "kill -9")
        i = 0
        while True:
            if mode == "trial":  # one transaction per trial
                log.record_trial(master, trial_params(i), float(i), number=i)
            else:  # the reference's pattern: every row commits on its own
                raw = log.record_raw(master, True, number=i)
                for name, value in trial_params(i).items():
                    log.record_param(raw, name, value)
                log.record_outcome(raw, "outcome", float(i))
            acks.send(i)
            i += 1


def write_trials(path: Path, n: int, readers_saw_half: list[Event]) -> None:
    """Write ``n`` trials; halfway, wait until every reader has seen the first half."""
    with ExperimentLog(path, timeout=5.0) as log:
        master = log.get_master_records()[0]
        for i in range(n):
            if i == n // 2:
                for event in readers_saw_half:
                    if not event.wait(WAIT):
                        raise TimeoutError("a reader never saw the first half")
            log.record_trial(master, trial_params(i), float(i))


def poll_trials(path: Path, how: str, n: int, saw_half: Event, results: Connection) -> None:
    """Read the log repeatedly until all ``n`` trials are visible; report (count, incomplete) per poll."""
    polls: list[tuple[int, int]] = []
    deadline = time.monotonic() + 2 * WAIT  # never outlive the test if the writer died
    with ExperimentLog(path, read_only=True) as log:
        while (not polls or polls[-1][0] < n) and time.monotonic() < deadline:
            polls.append(_poll_duckdb(log) if how == "duckdb" else _poll_sqlite(log))
            if polls[-1][0] >= n // 2:
                saw_half.set()
    results.send(polls)


def _poll_duckdb(log: ExperimentLog) -> tuple[int, int]:
    table = log.trials().arrow()
    if table.num_rows == 0:
        return 0, 0
    incomplete = sum(table[name].null_count for name in (*PARAMS, "outcome"))
    return table.num_rows, incomplete


def _poll_sqlite(log: ExperimentLog) -> tuple[int, int]:
    # One read transaction, so the counts below come from a single snapshot.
    log.execute_sql_query("BEGIN")
    try:
        raws = log.get_raw_for(1)
        params = log.get_all_params_for(1)
        outcomes = log.get_all_outcomes_for(1)
    finally:
        log.execute_sql_query("COMMIT")
    return len(raws), len(raws) * (len(PARAMS) + 1) - len(params) - len(outcomes)


def hold_snapshot(path: Path, holding: Event, written: Event, results: Connection) -> None:
    """Keep a read transaction open while the parent writes, and report what it saw."""
    seen: dict[str, Any] = {}
    with ExperimentLog(path, read_only=True) as log:
        log.execute_sql_query("BEGIN")
        seen["before"] = log.execute_sql_query("SELECT count(*) FROM raw_data")[0][0]
        holding.set()
        if not written.wait(WAIT):
            raise TimeoutError("the writer never finished")
        seen["during"] = log.execute_sql_query("SELECT count(*) FROM raw_data")[0][0]
        log.execute_sql_query("COMMIT")
        seen["after"] = log.execute_sql_query("SELECT count(*) FROM raw_data")[0][0]
        seen["duckdb"] = log.trials().count()
    results.send(seen)
