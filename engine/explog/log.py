"""``ExperimentLog``: the reference's experiment database API over a WAL sqlite file.

Same tables and method names as AEPsych's ``Database``; differences are deliberate (see
docs/explog.md): JSON instead of pickle, explicit transactions, errors instead of ``None``
for unknown ids, one connection per process, and columnar analytics through DuckDB.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BadInputError
from .codec import decode, parse_timestamp, timestamp_text, to_json, to_opaque
from .expand import check_name, outcome_float, outcome_rows, param_rows, param_text
from .records import MasterRecord, OutcomeRecord, ParamRecord, RawRecord, ReplayRecord
from .store import LogStore, PathLike
from .writes import insert, insert_trial

if TYPE_CHECKING:
    from ..result import Result
    from .analytics import Layout


class ExperimentLog(LogStore):
    """An AEPsych-compatible experiment log: one writer process, any number of readers.

    ``read_only`` opens without ever writing (for analysts, while an experiment runs).
    ``update`` upgrades an older reference layout on open (writers only). ``allow_pickle``
    permits unpickling the reference's pickled columns, which runs code from the file.

    >>> with ExperimentLog("exp.db") as log:                         # doctest: +SKIP
    ...     master = log.record_setup("pilot", "contrast")
    ...     with log.session_scope():
    ...         log.record_trial(master, {"contrast": 0.3}, 1.0)
    ...     log.trials().pl()
    """

    # -- writes -------------------------------------------------------------------------------

    def record_setup(
        self,
        description: str | None = None,
        name: str | None = None,
        extra_metadata: str | Mapping[str, Any] | None = None,
        id: int | MasterRecord | None = None,  # noqa: A002 - the reference's name
        request: Mapping[str, Any] | None = None,
        participant_id: str | int | None = None,
        *,
        experiment_id: str | None = None,
    ) -> MasterRecord:
        """Start an experiment (a new ``master`` row) and log the setup message.

        With ``id`` (a master id) the setup message is added to that existing experiment instead.
        ``experiment_id`` and ``participant_id`` default to fresh UUIDs, as in the reference.
        """
        request = self._message(request, "request")
        with self.session_scope():
            if id is not None:
                master = self.get_master_record(self._master_id(id))
            else:
                metadata = extra_metadata
                if isinstance(metadata, Mapping):
                    metadata = to_json(dict(metadata), "extra_metadata")
                values = {
                    "experiment_name": _optional_text(name, "name"),
                    "experiment_description": _optional_text(description, "description"),
                    "experiment_id": _optional_text(experiment_id, "experiment_id") or str(uuid.uuid4()),
                    "participant_id": _optional_text(participant_id, "participant_id") or str(uuid.uuid4()),
                    "extra_metadata": _optional_text(metadata, "extra_metadata"),
                }
                master = MasterRecord(insert(self._con, "master", values), **values)
            self._insert_message(master.unique_id, "setup", request)
        return master

    def record_message(self, master_table: MasterRecord | int, type: str, request: Mapping[str, Any]) -> ReplayRecord:  # noqa: A002
        """Log one message of the experiment (``ask``, ``tell``, ...) for replay."""
        check_name(type, "message type")
        return self._insert_message(self._master_id(master_table), type, self._message(request, "request"))

    def record_raw(
        self, master_table: MasterRecord | int, model_data: bool, timestamp: dt.datetime | None = None,
        **extra_data: Any,
    ) -> RawRecord:
        """Record one trial (a ``raw_data`` row); ``extra_data`` is stored as JSON."""
        if not isinstance(model_data, (bool, np.bool_)):
            raise BadInputError(f"model_data must be a bool, not {type(model_data).__name__}")
        master = self._master_id(master_table)
        when = timestamp_text(timestamp)
        values = {"timestamp": when, "model_data": bool(model_data),
                  "extra_data": to_json(extra_data, "extra_data"), "master_table_id": master}
        uid = self._insert("raw_data", values, "experiment", master)
        return RawRecord(uid, parse_timestamp(when), bool(model_data), extra_data, master)

    def record_param(self, raw_table: RawRecord | int, param_name: str, param_value: Any) -> ParamRecord:
        """Record one parameter value of a trial (stored as text, like the reference)."""
        iteration = self._iteration_id(raw_table)
        text = param_text(param_value, check_name(param_name, "parameter"))
        values = {"param_name": param_name, "param_value": text, "iteration_id": iteration}
        return ParamRecord(self._insert("param_data", values, "iteration", iteration), param_name, text, iteration)

    def record_outcome(self, raw_table: RawRecord | int, outcome_name: str, outcome_value: Any) -> OutcomeRecord:
        """Record one outcome of a trial."""
        iteration = self._iteration_id(raw_table)
        value = outcome_float(outcome_value, check_name(outcome_name, "outcome"))
        values = {"outcome_name": outcome_name, "outcome_value": value, "iteration_id": iteration}
        return OutcomeRecord(self._insert("outcome_data", values, "iteration", iteration), outcome_name, value, iteration)

    def record_trial(
        self,
        master_table: MasterRecord | int,
        params: Mapping[str, Any],
        outcomes: Any,
        *,
        model_data: bool = True,
        timestamp: dt.datetime | None = None,
        **extra_data: Any,
    ) -> RawRecord:
        """One whole trial atomically: its raw row, parameters and outcomes (not in the reference).

        A list parameter value is one trial's stimuli (``name_stimuli0``, ...); a number outcome is
        named ``outcome``, a mapping names its own outcomes, as the reference's server does.
        """
        if not isinstance(model_data, (bool, np.bool_)):
            raise BadInputError(f"model_data must be a bool, not {type(model_data).__name__}")
        master = self._master_id(master_table)
        rows, outs = param_rows(params), outcome_rows(outcomes)
        when = timestamp_text(timestamp)
        extra = to_json(extra_data, "extra_data")
        with self.session_scope():
            with self._unknown_parent("experiment", master):
                uid = insert_trial(self._con, master, when, bool(model_data), extra, rows, outs)
        return RawRecord(uid, parse_timestamp(when), bool(model_data), extra_data, master)

    def record_strat(self, master_table: MasterRecord | int, strat: Any) -> int:
        """Store a strategy as opaque bytes (e.g. ``torch.save`` output); returns its row id."""
        master = self._master_id(master_table)
        values = {"timestamp": timestamp_text(None), "strat": to_opaque(strat, "strat"), "master_table_id": master}
        return self._insert("strat_data", values, "experiment", master)

    def record_config(self, master_table: MasterRecord | int, config: Any) -> int:
        """Store a config as JSON (a dict, or the config text); returns its row id."""
        master = self._master_id(master_table)
        values = {"timestamp": timestamp_text(None), "config": to_json(config, "config"), "master_table_id": master}
        return self._insert("config_data", values, "experiment", master)

    # -- reads --------------------------------------------------------------------------------

    def get_master_records(self) -> list[MasterRecord]:
        """Every experiment, in creation order."""
        return self._select(MasterRecord, "TRUE")

    def get_master_record(self, master_id: int) -> MasterRecord:
        """The experiment with this master id (``master.unique_id``)."""
        found = self._select(MasterRecord, "unique_id = ?", self._master_id(master_id))
        if not found:
            raise self._unknown("experiment", master_id)
        return found[0]

    def get_replay_for(self, master_id: int) -> list[ReplayRecord]:
        """The experiment's logged messages in the order they were handled (what replay feeds back)."""
        return self._select(ReplayRecord, "master_table_id = ?", self._known_master(master_id))

    def get_strats_for(self, master_id: int) -> list[Any]:
        """The experiment's stored strategies, oldest first (bytes; reference pickles need ``allow_pickle``)."""
        rows = self._rows("SELECT unique_id, strat FROM strat_data WHERE master_table_id = ? ORDER BY unique_id",
                          self._known_master(master_id))
        return [decode(blob, f"strat_data row {uid} strat", allow_pickle=self.allow_pickle) for uid, blob in rows]

    def get_strat_for(self, master_id: int, strat_id: int = -1) -> Any:
        """One stored strategy by position (default the last); None if the experiment has none."""
        strats = self.get_strats_for(master_id)
        if not strats:
            return None
        if not isinstance(strat_id, int) or isinstance(strat_id, bool) or not -len(strats) <= strat_id < len(strats):
            raise BadInputError(f"strat_id must be an index into the {len(strats)} stored strategies, got {strat_id!r}")
        return strats[strat_id]

    def get_config_for(self, master_id: int) -> Any:
        """The experiment's first stored config, or None."""
        rows = self._rows("SELECT unique_id, config FROM config_data WHERE master_table_id = ? ORDER BY unique_id LIMIT 1",
                          self._known_master(master_id))
        return decode(rows[0][1], f"config_data row {rows[0][0]} config", allow_pickle=self.allow_pickle) if rows else None

    def get_raw_for(self, master_id: int) -> list[RawRecord]:
        """The experiment's trials in recording order."""
        return self._select(RawRecord, "master_table_id = ?", self._known_master(master_id))

    def get_all_params_for(self, master_id: int) -> list[ParamRecord]:
        """Every parameter row of every trial of the experiment."""
        return self._children(ParamRecord, self._known_master(master_id))

    def get_param_for(self, master_id: int, iteration_id: int) -> list[ParamRecord]:
        """The parameter rows of one trial of the experiment."""
        return self._children(ParamRecord, self._known_master(master_id), self._known_iteration(master_id, iteration_id))

    def get_all_outcomes_for(self, master_id: int) -> list[OutcomeRecord]:
        """Every outcome row of every trial of the experiment."""
        return self._children(OutcomeRecord, self._known_master(master_id))

    def get_outcome_for(self, master_id: int, iteration_id: int) -> list[OutcomeRecord]:
        """The outcome rows of one trial of the experiment."""
        return self._children(OutcomeRecord, self._known_master(master_id), self._known_iteration(master_id, iteration_id))

    # -- columnar analytics (DuckDB over the same file) ----------------------------------------

    def trials(self, experiment_ids: int | Sequence[int] | None = None) -> Result:
        """One row per trial with every parameter and outcome as its own column (lazy; ``.pl()``/``.df()``)."""
        from .analytics import trials

        return trials(self, experiment_ids)

    def trials_long(self, experiment_ids: int | Sequence[int] | None = None) -> Result:
        """One row per (trial, parameter or outcome): the tidy form of ``trials()``."""
        from .analytics import trials_long

        return trials_long(self, experiment_ids)

    def summarize_experiments(self) -> Result:
        """One row per experiment: ids, names, metadata keys, times, parameter/outcome names, trial count."""
        from .analytics import summarize

        return summarize(self)

    def export_parquet(
        self, out: PathLike, *, layout: Layout = "wide", experiment_ids: int | Sequence[int] | None = None
    ) -> Path:
        """Write ``trials()`` (``layout="wide"``) or ``trials_long()`` (``"long"``) to Parquet atomically."""
        from .analytics import export_parquet

        return export_parquet(self, Path(out), layout=layout, experiment_ids=experiment_ids)

    def _insert_message(self, master: int, kind: str, request: dict[str, Any] | None) -> ReplayRecord:
        when = timestamp_text(None)
        extra = request.get("extra_info") if request is not None else None
        values = {"timestamp": when, "message_type": kind, "message_contents": to_json(request, "request"),
                  "extra_info": None if extra is None else to_json(extra, "extra_info"), "master_table_id": master}
        uid = self._insert("replay_data", values, "experiment", master)
        return ReplayRecord(uid, parse_timestamp(when), kind, request, extra, master)

    def _message(self, request: Any, what: str) -> dict[str, Any] | None:
        if request is None:
            return None
        if not isinstance(request, Mapping):
            raise BadInputError(f"{what} must be a mapping (the decoded message), not {type(request).__name__}")
        return dict(request)


def _optional_text(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    raise BadInputError(f"{what} must be a string, not {type(value).__name__}")

