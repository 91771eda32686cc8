"""Durability under SIGKILL and readers in other processes while a writer records (real processes)."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import pytest
from explog_workers import PARAMS, WAIT, hold_snapshot, poll_trials, record_until_killed, trial_params, write_trials

from engine.explog import ExperimentLog

SPAWN = mp.get_context("spawn")


@pytest.mark.parametrize("mode", ["trial", "row"])
def test_sigkill_mid_recording_loses_no_committed_trial(log_path: Path, mode: str) -> None:
    receive, send = SPAWN.Pipe(duplex=False)
    writer = SPAWN.Process(target=record_until_killed, args=(log_path, mode, send))
    writer.start()
    send.close()
    acked = []
    while len(acked) < 100:
        assert receive.poll(WAIT), "the writer stopped acknowledging trials"
        acked.append(receive.recv())
    writer.kill()  # SIGKILL: no cleanup, no close, possibly mid-transaction
    writer.join(WAIT)
    while receive.poll(0):  # acknowledgements already in the pipe were committed too
        try:
            acked.append(receive.recv())
        except EOFError:
            break
    receive.close()
    assert writer.exitcode == -9

    con = sqlite3.connect(log_path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        con.close()
    with ExperimentLog(log_path) as log:  # the next writer opens the file as usual
        trials = {row["number"]: row for row in _trials_by_number(log)}
        for i in acked:
            row = trials[i]
            assert {name: row[name] for name in PARAMS} == trial_params(i) and row["outcome"] == float(i)
        complete = [n for n, row in trials.items() if all(row[c] is not None for c in (*PARAMS, "outcome"))]
        if mode == "trial":  # a trial is one transaction: it is there whole or not at all
            assert sorted(complete) == sorted(trials)
        assert len(trials) - len(complete) <= 1  # commit-per-row may leave only the trial in flight partial


def _trials_by_number(log: ExperimentLog) -> list[dict]:
    rows = log.trials().arrow().to_pylist()
    numbers = {r.unique_id: r.extra_data["number"] for r in log.get_raw_for(1)}
    return [{**row, "number": numbers[row["iteration_id"]]} for row in rows]


def test_readers_in_other_processes_see_whole_trials_while_a_writer_runs(log_path: Path) -> None:
    n = 120
    with ExperimentLog(log_path) as log:
        log.record_setup("concurrency", "readers")
    hows = ("duckdb", "sqlite")
    events = [SPAWN.Event() for _ in hows]
    pipes = [SPAWN.Pipe(duplex=False) for _ in hows]
    readers = [SPAWN.Process(target=poll_trials, args=(log_path, how, n, event, send))
               for how, event, (_, send) in zip(hows, events, pipes)]
    writer = SPAWN.Process(target=write_trials, args=(log_path, n, events))
    for process in (*readers, writer):
        process.start()
    polls = {}
    for how, (receive, send) in zip(hows, pipes):
        send.close()
        assert receive.poll(WAIT * 2), f"{how} reader did not finish"
        polls[how] = receive.recv()
        receive.close()
    for process in (*readers, writer):
        process.join(WAIT)
        assert process.exitcode == 0
    for how, seen in polls.items():
        counts = [count for count, _ in seen]
        assert counts == sorted(counts), how  # never goes back in time
        assert all(incomplete == 0 for _, incomplete in seen), how  # never half a trial
        assert n // 2 in counts and counts[-1] == n, how  # it read while the writer was paused mid-run


def test_a_long_read_transaction_does_not_block_the_writer(log_path: Path) -> None:
    with ExperimentLog(log_path, timeout=5.0) as log:  # a blocked write would fail after 5 s
        master = log.record_setup("concurrency", "snapshot")
        log.record_trial(master, trial_params(0), 0.0)
        holding, written = SPAWN.Event(), SPAWN.Event()
        receive, send = SPAWN.Pipe(duplex=False)
        reader = SPAWN.Process(target=hold_snapshot, args=(log_path, holding, written, send))
        reader.start()
        send.close()
        assert holding.wait(WAIT)
        for i in range(1, 101):
            log.record_trial(master, trial_params(i), float(i))
        written.set()
        assert receive.poll(WAIT)
        seen = receive.recv()
        receive.close()
        reader.join(WAIT)
    assert reader.exitcode == 0
    assert seen == {"before": 1, "during": 1, "after": 101, "duckdb": 101}
