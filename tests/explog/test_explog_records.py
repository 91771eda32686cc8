"""Round trips of every record type, transactions, SQL binding, and clear errors for bad input."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from engine.errors import BadInputError, UnknownNameError
from engine.explog import ExperimentLog, MasterRecord, OutcomeRecord, ParamRecord, RawRecord
from engine.explog.codec import OPAQUE_PREFIX


def test_setup_and_message_round_trip(log: ExperimentLog) -> None:
    request = {"type": "setup", "message": {"config_str": "[common]"}, "extra_info": {"room": 3}}
    master = log.record_setup("a study", "contrast", extra_metadata={"lab": "north"}, request=request,
                              participant_id=17, experiment_id="exp-1")
    assert master == log.get_master_record(master.unique_id)
    assert (master.experiment_id, master.participant_id, master.metadata()) == ("exp-1", "17", {"lab": "north"})
    ask = log.record_message(master, "ask", {"type": "ask", "message": ""})
    replay = log.get_replay_for(master.unique_id)
    assert [r.message_type for r in replay] == ["setup", "ask"]
    assert replay[0].message_contents == request and replay[0].extra_info == {"room": 3}
    assert replay[1] == ask
    assert log.get_master_records() == [master]


def test_default_ids_are_fresh_uuids_and_resuming_adds_a_setup_message(log: ExperimentLog) -> None:
    first, second = log.record_setup("d", "n"), log.record_setup("d", "n")
    assert len({first.experiment_id, second.experiment_id, first.participant_id, second.participant_id}) == 4
    again = log.record_setup(id=first.unique_id, request={"type": "setup", "message": {}})
    assert again == first
    assert [r.message_type for r in log.get_replay_for(first.unique_id)] == ["setup", "setup"]


def test_trial_rows_round_trip(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    raw = log.record_raw(master, True, timestamp=when, rt=0.25, tags=["a", "b"], trace=np.arange(4.0))
    param = log.record_param(raw, "contrast", np.float64(0.5))
    label = log.record_param(raw.unique_id, "color", "red")
    outcome = log.record_outcome(raw, "outcome", 1)
    [stored] = log.get_raw_for(master.unique_id)
    assert (stored.unique_id, stored.timestamp, stored.model_data) == (raw.unique_id, when, True)
    assert stored.extra_data["rt"] == 0.25 and stored.extra_data["tags"] == ["a", "b"]
    np.testing.assert_array_equal(stored.extra_data["trace"], np.arange(4.0))
    assert stored.extra_data["trace"].dtype == np.float64
    assert log.get_param_for(master.unique_id, raw.unique_id) == [param, label]
    assert param == ParamRecord(param.unique_id, "contrast", "0.5", raw.unique_id)
    assert log.get_outcome_for(master.unique_id, raw.unique_id) == [OutcomeRecord(outcome.unique_id, "outcome", 1.0, raw.unique_id)]
    assert log.get_all_params_for(master.unique_id) == [param, label]
    assert log.get_all_outcomes_for(master.unique_id) == [outcome]


def test_record_trial_names_stimuli_and_outcomes_like_the_server(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    raw = log.record_trial(master, {"x": [0.1, 0.2], "y": 3}, {"choice": 1.0, "rt": 0.4}, model_data=False, trial_kind="catch")
    assert isinstance(raw, RawRecord) and raw.model_data is False
    params = {p.param_name: p.param_value for p in log.get_param_for(master.unique_id, raw.unique_id)}
    assert params == {"x_stimuli0": "0.1", "x_stimuli1": "0.2", "y": "3"}
    outcomes = {o.outcome_name: o.outcome_value for o in log.get_outcome_for(master.unique_id, raw.unique_id)}
    assert outcomes == {"choice": 1.0, "rt": 0.4}
    assert log.get_raw_for(master.unique_id)[0].extra_data == {"trial_kind": "catch"}
    single = log.record_trial(master, {"x": 0.5}, 0.0)
    assert [o.outcome_name for o in log.get_outcome_for(master.unique_id, single.unique_id)] == ["outcome"]


def test_strats_and_configs_round_trip_without_pickle(log: ExperimentLog, log_path: Path) -> None:
    master = log.record_setup("d", "n")
    assert log.get_strat_for(master.unique_id) is None and log.get_config_for(master.unique_id) is None
    log.record_strat(master, b"\x80\x04first")  # looks like a pickle, must come back as bytes
    log.record_strat(master, io.BytesIO(b"second"))
    log.record_config(master, {"common": {"parnames": ["x"]}})
    log.record_config(master, "[common]\nparnames = [y]")
    assert log.get_strats_for(master.unique_id) == [b"\x80\x04first", b"second"]
    assert log.get_strat_for(master.unique_id) == b"second"
    assert log.get_strat_for(master.unique_id, 0) == b"\x80\x04first"
    assert log.get_config_for(master.unique_id) == {"common": {"parnames": ["x"]}}
    with pytest.raises(BadInputError, match="index into the 2 stored"):
        log.get_strat_for(master.unique_id, 5)
    # Storage format: JSON text and prefixed opaque bytes, never a pickle.
    con = sqlite3.connect(log_path)
    try:
        kinds = con.execute("SELECT typeof(config) FROM config_data").fetchall()
        strat = con.execute("SELECT strat FROM strat_data ORDER BY unique_id").fetchone()[0]
    finally:
        con.close()
    assert kinds == [("text",), ("text",)] and strat.startswith(OPAQUE_PREFIX)


def test_session_scope_commits_together_and_rolls_back_on_error(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    with log.session_scope() as scope:
        assert scope is log
        for i in range(3):
            log.record_trial(master, {"x": i}, 1.0)
    with pytest.raises(RuntimeError, match="abort"):
        with log.session_scope():
            log.record_trial(master, {"x": 9}, 1.0)
            raise RuntimeError("abort")
    assert len(log.get_raw_for(master.unique_id)) == 3


def test_nested_session_scope_is_a_savepoint(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    with log.session_scope():
        log.record_trial(master, {"x": 1}, 1.0)
        with pytest.raises(UnknownNameError):
            with log.session_scope():
                log.record_trial(master, {"x": 2}, 1.0)
                log.record_param(10_000, "y", 1)  # no such trial: this scope is undone
        log.record_trial(master, {"x": 3}, 1.0)
    values = [p.param_value for p in log.get_all_params_for(master.unique_id)]
    assert values == ["1", "3"]


def test_execute_sql_query_binds_values(log: ExperimentLog) -> None:
    master = log.record_setup("d", "it's; DROP TABLE master; --")
    rows = log.execute_sql_query("SELECT unique_id FROM master WHERE experiment_name = :name",
                                 {"name": "it's; DROP TABLE master; --"})
    assert rows == [(master.unique_id,)]
    assert log.execute_sql_query("SELECT count(*) FROM master WHERE unique_id = ?", [master.unique_id]) == [(1,)]
    with pytest.raises(BadInputError, match="query failed"):
        log.execute_sql_query("SELECT * FROM nowhere", {})
    with pytest.raises(BadInputError, match="mapping"):
        log.execute_sql_query("SELECT ?", "x")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda log, m: log.record_raw(m, "yes"), "model_data must be a bool"),
        (lambda log, m: log.record_raw("1", True), "expected an experiment"),
        (lambda log, m: log.record_raw(m, True, blob=b"x"), "JSON-serialisable"),
        (lambda log, m: log.record_param(m, "x", 1), "expected a trial"),
        (lambda log, m: log.record_outcome(log.record_raw(m, True), "y", "high"), "must be a real number"),
        (lambda log, m: log.record_param(log.record_raw(m, True), "", 1), "non-empty strings"),
        (lambda log, m: log.record_param(log.record_raw(m, True), "x", [1, 2]), "must be a str, int, float"),
        (lambda log, m: log.record_message(m, "tell", "not a dict"), "must be a mapping"),
        (lambda log, m: log.record_strat(m, object()), "must be bytes"),
        (lambda log, m: log.record_config(m, {1, 2}), "JSON-serialisable"),
        (lambda log, m: log.record_trial(m, [("x", 1)], 1.0), "params must be a mapping"),
        (lambda log, m: log.record_raw(m, True, timestamp="yesterday"), "datetime"),
        (lambda log, m: log.record_setup(name=3.5), "must be a string"),
        (lambda log, m: log.get_raw_for(1.0), "expected an experiment"),
    ],
)
def test_wrong_types_are_refused_clearly(log: ExperimentLog, call, match: str) -> None:
    master = log.record_setup("d", "n")
    with pytest.raises(BadInputError, match=match):
        call(log, master)


def test_unknown_ids_name_the_valid_ones(log: ExperimentLog) -> None:
    master = log.record_setup("d", "n")
    raw = log.record_raw(master, True)
    for call in (
        lambda: log.get_master_record(99),
        lambda: log.get_replay_for(99),
        lambda: log.get_raw_for(99),
        lambda: log.get_strats_for(99),
        lambda: log.record_raw(99, True),
        lambda: log.record_message(99, "ask", {}),
        lambda: log.trials([master.unique_id, 99]),
    ):
        with pytest.raises(UnknownNameError, match=r"experiment 99.*valid: 1\)"):
            call()
    with pytest.raises(UnknownNameError, match="experiment 1 has no iteration 42"):
        log.get_param_for(master.unique_id, 42)
    with pytest.raises(UnknownNameError, match="iteration 42"):
        log.record_outcome(42, "outcome", 1.0)
    assert log.get_param_for(master.unique_id, raw) == []


def test_read_only_log_refuses_writes_but_reads(log: ExperimentLog, log_path: Path) -> None:
    master = log.record_setup("d", "n")
    log.record_trial(master, {"x": 1}, 0.0)
    with ExperimentLog(log_path, read_only=True) as reader:
        assert [r.unique_id for r in reader.get_master_records()] == [master.unique_id]
        assert reader.trials().count() == 1
        with pytest.raises(BadInputError, match="read_only"):
            reader.record_setup("d", "n")
        with pytest.raises(BadInputError, match="read-only"):
            reader.execute_sql_query("DELETE FROM master")


def test_closed_log_and_delete_db(log_path: Path) -> None:
    log = ExperimentLog(log_path)
    master = log.record_setup("d", "n")
    log.trials().arrow()
    log.delete_db()
    assert not log_path.exists() and not Path(f"{log_path}-wal").exists()
    with pytest.raises(BadInputError, match="closed"):
        log.get_master_record(master.unique_id)


def test_records_are_plain_frozen_values() -> None:
    record = MasterRecord(1, "n", "d", "e", "p", None)
    with pytest.raises(AttributeError):
        record.unique_id = 2  # type: ignore[misc]
    assert record.master_id == 1 and record.metadata() == {}
