"""Reference files of every layout in its history: opened, upgraded, queried; and files that are not logs."""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path

import pytest
from reference_layouts import EXPECTED_TRIALS, EXPERIMENTS, LAYOUTS, blob, build, columns

from engine.errors import BadInputError, SchemaVersionError
from engine.explog import ExperimentLog, PayloadError, PickleRefusedError
from engine.explog.upgrade import pending

OLDER = ("original", "metadata", "trials", "unique")


def _trial_rows(log: ExperimentLog) -> list[list[tuple[dict, dict]]]:
    """Params and outcomes per trial per experiment (trial ids by SQL: raw rows may hold pickles)."""
    out = []
    for m in log.get_master_records():
        ids = log.execute_sql_query("SELECT unique_id FROM raw_data WHERE master_table_id = ? ORDER BY 1", [m.unique_id])
        out.append([
            ({p.param_name: p.param_value for p in log.get_param_for(m.unique_id, raw)},
             {o.outcome_name: o.outcome_value for o in log.get_outcome_for(m.unique_id, raw)})
            for (raw,) in ids
        ])
    return out


@pytest.mark.parametrize("layout", OLDER)
def test_older_layout_is_upgraded_and_queryable(tmp_path: Path, layout: str) -> None:
    path = build(tmp_path / f"{layout}.db", layout)
    current = columns(build(tmp_path / "current.db", "current"))
    with ExperimentLog(path, update=False, allow_pickle=True) as log:
        assert log.is_update_required()
        with pytest.raises(SchemaVersionError, match="older layout.*perform_updates"):
            log.get_master_records()
        notes = log.perform_updates()
        assert notes and not log.is_update_required()
        assert _trial_rows(log) == EXPECTED_TRIALS
        trials = log.trials().pl()
        assert trials.height == 5 and trials["experiment_id"].to_list() == ["exp-1"] * 3 + ["exp-2"] * 2
        # The UNIQUE constraints of older files are gone: experiment ids may repeat (reference #465).
        log.record_setup("again", "contrast", experiment_id="exp-1", participant_id="p1")
    after = columns(path)
    for table, cols in current.items():
        assert sorted(c[0] for c in after[table] if c[0] != "fk") == sorted(c[0] for c in cols if c[0] != "fk")


def test_original_layout_gets_trials_rebuilt_from_tells_with_their_extra_info(tmp_path: Path) -> None:
    path = build(tmp_path / "original.db", "original")
    with ExperimentLog(path, allow_pickle=True) as log:
        extras = [r.extra_data for m in log.get_master_records() for r in log.get_raw_for(m.unique_id)]
        timestamps = [r.timestamp.isoformat(" ") for r in log.get_raw_for(1)]
        replay = log.get_replay_for(1)
    assert extras == [{"rt": 0.5}, {}, {"rt": 0.25}, {}, {"note": "blink"}]
    assert timestamps == [f"2022-03-01 10:0{i}:00" for i in (1, 2, 3)]  # each trial keeps its tell's time
    assert replay[1].message_contents["message"]["config"] == {"x": [0.1], "y": [0.7]}


def test_trials_layout_copies_extra_info_only_where_tells_and_trials_match(tmp_path: Path) -> None:
    path = build(tmp_path / "trials.db", "trials")
    con = sqlite3.connect(path)  # experiment 2 lost a trial: the reference skips it with a warning
    con.execute("DELETE FROM outcome_data WHERE iteration_id = 5")
    con.execute("DELETE FROM param_data WHERE iteration_id = 5")
    con.execute("DELETE FROM raw_data WHERE unique_id = 5")
    con.commit()
    con.close()
    with ExperimentLog(path, update=False, allow_pickle=True) as log:
        notes = log.perform_updates()
        extras = [r.extra_data for m in (1, 2) for r in log.get_raw_for(m)]
    assert "experiment 2: 2 tells but 1 trials; extra_info not copied" in notes
    assert extras == [{"rt": 0.5}, None, {"rt": 0.25}, None]


def test_upgrade_needing_pickle_is_refused_and_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = build(tmp_path / "metadata.db", "metadata")
    before = columns(path)
    with pytest.raises(PickleRefusedError, match="runs arbitrary code; pass allow_pickle=True"):
        ExperimentLog(path)
    assert columns(path) == before


def test_current_reference_file_opens_without_upgrade_and_gates_pickles(tmp_path: Path) -> None:
    path = build(tmp_path / "current.db", "current")
    with ExperimentLog(path, read_only=True) as log:
        assert not log.is_update_required()
        assert _trial_rows(log) == EXPECTED_TRIALS  # trial tables need no pickle
        assert log.trials().count() == 5
        with pytest.raises(PickleRefusedError, match="replay_data row 1 message_contents is a Python pickle"):
            log.get_replay_for(1)
        with pytest.raises(PickleRefusedError):
            log.get_strats_for(1)
        with pytest.raises(PickleRefusedError, match="raw_data row 1 extra_data"):
            log.get_raw_for(1)
    with ExperimentLog(path, read_only=True, allow_pickle=True) as log:
        assert log.get_strats_for(2) == [b"torch-zip-2"]  # the reference's pickled BytesIO
        assert log.get_config_for(1) == {"parnames": ["x"]}
        assert [r.extra_data for r in log.get_raw_for(1)] == [{"rt": 0.5}, {}, {"rt": 0.25}]
        tells = [r.message_contents for r in log.get_replay_for(2) if r.message_type == "tell"]
        assert tells[1]["message"]["outcome"] == EXPERIMENTS[1][1][1][1]


def test_refused_pickle_never_runs_its_code(tmp_path: Path) -> None:
    path = build(tmp_path / "current.db", "current")
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Mkdir(str(marker)))
    con = sqlite3.connect(path)
    con.execute("UPDATE config_data SET config = ? WHERE master_table_id = 1", (evil,))
    con.commit()
    con.close()
    with ExperimentLog(path, read_only=True) as log, pytest.raises(PickleRefusedError):
        log.get_config_for(1)
    assert not marker.exists()


def test_pickle_of_a_missing_class_is_a_clear_error(tmp_path: Path) -> None:
    path = build(tmp_path / "current.db", "current")
    con = sqlite3.connect(path)
    con.execute("UPDATE config_data SET config = ? WHERE master_table_id = 1", (b"caepsych.config\nConfig\n)\x81.",))
    con.commit()
    con.close()
    with ExperimentLog(path, read_only=True, allow_pickle=True) as log:
        with pytest.raises(PayloadError, match="config_data row 1 config: cannot unpickle.*aepsych"):
            log.get_config_for(1)


def test_files_we_create_have_the_reference_layout(tmp_path: Path) -> None:
    ours = tmp_path / "ours.db"
    ExperimentLog(ours).close()
    assert columns(ours) == columns(build(tmp_path / "current.db", "current"))
    con = sqlite3.connect(ours)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        con.close()


def test_writing_to_a_reference_file_keeps_its_rows_readable(tmp_path: Path) -> None:
    path = build(tmp_path / "current.db", "current")
    with ExperimentLog(path, allow_pickle=True) as log:
        log.record_message(1, "tell", {"type": "tell", "message": {"config": {"x": [0.2]}, "outcome": 1}})
        log.record_trial(1, {"x": 0.2, "y": 0.1}, 1.0)
        kinds = [type(r.message_contents) for r in log.get_replay_for(1)]
        assert kinds == [dict] * 5
        assert log.trials(1).count() == 4


def test_read_only_open_of_an_older_layout_says_how_to_upgrade(tmp_path: Path) -> None:
    path = build(tmp_path / "unique.db", "unique")
    with ExperimentLog(path, read_only=True) as log:
        with pytest.raises(SchemaVersionError, match="engine explog update FILE"):
            log.trials()


def test_every_older_layout_needs_exactly_its_documented_steps(tmp_path: Path) -> None:
    expected = {
        "original": ["master-columns", "replay-extra-info", "master-unique", "tables", "trials-from-tells"],
        "metadata": ["master-unique", "tables", "trials-from-tells"],
        "trials": ["master-unique", "raw-extra-data"],
        "unique": ["master-unique"],
        "current": [],
    }
    for layout in LAYOUTS:
        con = sqlite3.connect(build(tmp_path / f"{layout}.db", layout))
        try:
            assert [s.name for s in pending(con)] == expected[layout], layout
        finally:
            con.close()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda p: p.write_bytes(b"PAR1 not sqlite at all" * 10), SchemaVersionError, "not a sqlite database"),
        (lambda p: _sqlite(p, "CREATE TABLE cells (id INTEGER)"), SchemaVersionError,
         "not an experiment log: it has no master, replay_data table"),
        (lambda p: _sqlite(p, *LAYOUTS["current"], "PRAGMA user_version = 7"), SchemaVersionError,
         "layout 7, newer than this engine"),
        (lambda p: _sqlite(p, *LAYOUTS["current"], "ALTER TABLE raw_data ADD COLUMN quality FLOAT"),
         SchemaVersionError, "raw_data has columns quality that no known layout has"),
        (lambda p: _sqlite(p, "CREATE TABLE master (unique_id INTEGER, name TEXT)", LAYOUTS["current"][1]),
         SchemaVersionError, "has columns name"),
        (lambda p: p.mkdir(), BadInputError, "is a directory"),
    ],
)
def test_files_that_are_not_logs_are_refused(tmp_path: Path, make, error: type, match: str) -> None:
    path = tmp_path / "file.db"
    make(path)
    with pytest.raises(error, match=match):
        ExperimentLog(path)


def test_missing_or_empty_file_read_only(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist"):
        ExperimentLog(tmp_path / "missing.db", read_only=True)
    empty = tmp_path / "empty.db"
    _sqlite(empty)
    with pytest.raises(SchemaVersionError, match="empty sqlite file"):
        ExperimentLog(empty, read_only=True)


def test_blob_helper_matches_sqlalchemy_pickle_type() -> None:
    assert pickle.loads(blob({"a": 1})) == {"a": 1}


class _Mkdir:
    """A pickle that creates a directory when loaded (stands in for a malicious file)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def _sqlite(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()
