"""The reference's (AEPsych's) sqlite layouts through its history, written with plain SQL.

The DDL is what SQLAlchemy emitted for each version of ``aepsych/database/tables.py``; rows are
written the way the reference wrote them (pickled message dicts, a pickled BytesIO for
strategies, ``str()`` parameter values, one trial per tell in the legacy layouts).
"""

from __future__ import annotations

import io
import pickle
import sqlite3
from pathlib import Path
from typing import Any

MASTER_ORIGINAL = """CREATE TABLE master (
    unique_id INTEGER NOT NULL, experiment_name VARCHAR(256), experiment_description VARCHAR(2048),
    experiment_id VARCHAR(10), PRIMARY KEY (unique_id), UNIQUE (experiment_id))"""
MASTER_2022 = """CREATE TABLE master (
    unique_id INTEGER NOT NULL, experiment_name VARCHAR(256), experiment_description VARCHAR(2048),
    experiment_id VARCHAR(10), participant_id VARCHAR(50), extra_metadata VARCHAR(4096),
    PRIMARY KEY (unique_id), UNIQUE (experiment_id), UNIQUE (participant_id))"""
MASTER_CURRENT = """CREATE TABLE master (
    unique_id INTEGER NOT NULL, experiment_name VARCHAR(256), experiment_description VARCHAR(2048),
    experiment_id VARCHAR(10), participant_id VARCHAR(50), extra_metadata VARCHAR(4096), PRIMARY KEY (unique_id))"""
REPLAY_ORIGINAL = """CREATE TABLE replay_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, message_type VARCHAR(64), message_contents BLOB,
    master_table_id INTEGER, PRIMARY KEY (unique_id), FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
REPLAY = """CREATE TABLE replay_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, message_type VARCHAR(64), message_contents BLOB,
    extra_info BLOB, master_table_id INTEGER, PRIMARY KEY (unique_id),
    FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
STRAT = """CREATE TABLE strat_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, strat BLOB, master_table_id INTEGER, PRIMARY KEY (unique_id),
    FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
CONFIG = """CREATE TABLE config_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, config BLOB, master_table_id INTEGER, PRIMARY KEY (unique_id),
    FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
RAW_2022 = """CREATE TABLE raw_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, model_data BOOLEAN, master_table_id INTEGER,
    PRIMARY KEY (unique_id), FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
RAW = """CREATE TABLE raw_data (
    unique_id INTEGER NOT NULL, timestamp DATETIME, model_data BOOLEAN, extra_data BLOB, master_table_id INTEGER,
    PRIMARY KEY (unique_id), FOREIGN KEY(master_table_id) REFERENCES master (unique_id))"""
PARAM = """CREATE TABLE param_data (
    unique_id INTEGER NOT NULL, param_name VARCHAR(50), param_value VARCHAR(50), iteration_id INTEGER,
    PRIMARY KEY (unique_id), FOREIGN KEY(iteration_id) REFERENCES raw_data (unique_id))"""
OUTCOME = """CREATE TABLE outcome_data (
    unique_id INTEGER NOT NULL, outcome_name VARCHAR(50), outcome_value FLOAT, iteration_id INTEGER,
    PRIMARY KEY (unique_id), FOREIGN KEY(iteration_id) REFERENCES raw_data (unique_id))"""

# Oldest first. "original": the pre-2021 fixture; "metadata": #87 (2022), before the trial tables;
# "trials": #165 (Nov 2022), before raw_data.extra_data; "unique": all columns but still the
# UNIQUE master constraints (before #465); "current": what create_all emits today.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "original": (MASTER_ORIGINAL, REPLAY_ORIGINAL, STRAT, CONFIG),
    "metadata": (MASTER_2022, REPLAY, STRAT, CONFIG),
    "trials": (MASTER_2022, REPLAY, STRAT, CONFIG, RAW_2022, PARAM, OUTCOME),
    "unique": (MASTER_2022, REPLAY, STRAT, CONFIG, RAW, PARAM, OUTCOME),
    "current": (MASTER_CURRENT, REPLAY, STRAT, CONFIG, RAW, PARAM, OUTCOME),
}

# Two experiments as the reference's server logged them: (name, tells); a tell is
# (config, outcome, extra_info). Experiment 2 has a two-stimulus parameter and two outcomes.
EXPERIMENTS: list[tuple[str, list[tuple[dict[str, Any], Any, dict[str, Any] | None]]]] = [
    ("contrast", [
        ({"x": [0.1], "y": [0.7]}, 1, {"rt": 0.5}),
        ({"x": [0.3], "y": [0.2]}, 0, None),
        ({"x": [0.9], "y": [0.4]}, 1, {"rt": 0.25}),
    ]),
    ("pairs", [
        ({"x": [0.1, 0.2]}, [[0.5], [1.0]], None),
        ({"x": [0.6, 0.4]}, [0.0, 1.0], {"note": "blink"}),
    ]),
]

# What the reference's legacy back-fill makes of EXPERIMENTS: per trial, params and outcomes.
EXPECTED_TRIALS = [
    [({"x": "0.1", "y": "0.7"}, {"outcome": 1.0}), ({"x": "0.3", "y": "0.2"}, {"outcome": 0.0}),
     ({"x": "0.9", "y": "0.4"}, {"outcome": 1.0})],
    [({"x_stimuli0": "0.1", "x_stimuli1": "0.2"}, {"outcome_0": 0.5, "outcome_1": 1.0}),
     ({"x_stimuli0": "0.6", "x_stimuli1": "0.4"}, {"outcome_0": 0.0, "outcome_1": 1.0})],
]


def blob(value: Any) -> bytes:
    """A value as SQLAlchemy's ``PickleType`` stores it."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def build(path: Path, layout: str, *, with_trials: bool = True) -> Path:
    """A file in ``layout`` holding ``EXPERIMENTS`` (trial rows only if the layout has them)."""
    con = sqlite3.connect(path)
    try:
        for ddl in LAYOUTS[layout]:
            con.execute(ddl)
        tables = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in ("master", "replay_data", "raw_data")}
        for number, (name, tells) in enumerate(EXPERIMENTS, start=1):
            master = _insert(con, "master", tables["master"], {
                "experiment_name": name, "experiment_description": f"{name} study",
                "experiment_id": f"exp-{number}", "participant_id": f"p{number}",
                "extra_metadata": '{"lab": "north", "session": %d}' % number,
            })
            _insert(con, "replay_data", tables["replay_data"], {
                "timestamp": f"2022-03-0{number} 10:00:00.000000", "message_type": "setup",
                "message_contents": blob({"type": "setup", "message": {"config_str": "[common]\nparnames = [x]"}}),
                "master_table_id": master})
            _insert(con, "config_data", ["timestamp", "config", "master_table_id"], {
                "timestamp": f"2022-03-0{number} 10:00:00.000001", "config": blob({"parnames": ["x"]}),
                "master_table_id": master})
            for i, (config, outcome, extra) in enumerate(tells):
                when = f"2022-03-0{number} 10:0{i + 1}:00.000000"
                message = {"type": "tell", "message": {"config": config, "outcome": outcome}}
                if extra is not None:
                    message["extra_info"] = extra
                _insert(con, "replay_data", tables["replay_data"], {
                    "timestamp": when, "message_type": "tell", "message_contents": blob(message),
                    "extra_info": None if extra is None else blob(extra), "master_table_id": master})
                if with_trials and tables["raw_data"]:
                    _server_trial(con, tables["raw_data"], master, when, config, outcome, extra)
            _insert(con, "strat_data", ["timestamp", "strat", "master_table_id"], {
                "timestamp": f"2022-03-0{number} 11:00:00.000000", "strat": blob(io.BytesIO(b"torch-zip-%d" % number)),
                "master_table_id": master})
        con.commit()
    finally:
        con.close()
    return path


def _server_trial(con: sqlite3.Connection, raw_columns: list[str], master: int, when: str,
                  config: dict[str, Any], outcome: Any, extra: dict[str, Any] | None) -> None:
    """The trial rows the reference's server wrote for one tell (its pre-batching ``_record_tell``)."""
    import json

    raw = _insert(con, "raw_data", raw_columns, {
        "timestamp": when, "model_data": 1, "master_table_id": master, "extra_data": blob(json.dumps(extra or {}))})
    for name, value in config.items():
        rows = [(name, value[0])] if len(value) == 1 else [(f"{name}_stimuli{j}", v) for j, v in enumerate(value)]
        for param, v in rows:
            con.execute("INSERT INTO param_data (param_name, param_value, iteration_id) VALUES (?, ?, ?)",
                        (param, str(v), raw))
    outcomes = [("outcome", outcome)] if not isinstance(outcome, list) else [
        (f"outcome_{j}", v[0] if isinstance(v, list) else v) for j, v in enumerate(outcome)]
    for name, value in outcomes:
        con.execute("INSERT INTO outcome_data (outcome_name, outcome_value, iteration_id) VALUES (?, ?, ?)",
                    (name, float(value), raw))


def _insert(con: sqlite3.Connection, table: str, present: list[str], values: dict[str, Any]) -> int:
    row = {k: v for k, v in values.items() if k in present}
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return con.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values())).lastrowid


def columns(path: Path) -> dict[str, list[tuple]]:
    """``PRAGMA table_info`` (name, type, notnull, pk) and foreign keys of every table."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {
            n: [(r[1], r[2], r[3], r[5]) for r in con.execute(f"PRAGMA table_info({n})")]
            + [("fk", r[2], r[3], r[4]) for r in con.execute(f"PRAGMA foreign_key_list({n})")]
            for n in names
        }
    finally:
        con.close()
