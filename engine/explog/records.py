"""Rows of the experiment log as small frozen records (the reference returns ORM objects instead).

Each record names its table and columns; ``from_row`` decodes stored values (JSON, timestamps,
reference pickles behind the ``allow_pickle`` gate).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from .codec import decode, parse_timestamp


@dataclass(frozen=True, slots=True)
class MasterRecord:
    """One experiment (a ``master`` row); ``unique_id`` is the master id every other call takes."""

    TABLE: ClassVar[str] = "master"
    unique_id: int
    experiment_name: str | None
    experiment_description: str | None
    experiment_id: str | None
    participant_id: str | None
    extra_metadata: str | None

    @property
    def master_id(self) -> int:
        return self.unique_id

    def metadata(self) -> dict[str, Any]:
        """``extra_metadata`` parsed (the reference stores a JSON object as text); {} if absent or not JSON."""
        try:
            value = json.loads(self.extra_metadata) if self.extra_metadata else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    @classmethod
    def from_row(cls, row: tuple[Any, ...], allow_pickle: bool) -> MasterRecord:
        uid, name, description, experiment_id, participant_id, extra = row
        return cls(uid, name, description, experiment_id, _text(participant_id), extra)


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    """One logged message (``replay_data``), in the order the server handled them."""

    TABLE: ClassVar[str] = "replay_data"
    unique_id: int
    timestamp: dt.datetime | None
    message_type: str | None
    message_contents: Any
    extra_info: Any
    master_table_id: int | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...], allow_pickle: bool) -> ReplayRecord:
        uid, when, kind, contents, extra, master = row
        where = f"replay_data row {uid}"
        return cls(
            uid, parse_timestamp(when), kind,
            decode(contents, f"{where} message_contents", allow_pickle=allow_pickle),
            decode(extra, f"{where} extra_info", allow_pickle=allow_pickle),
            master,
        )


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One trial (``raw_data``); ``unique_id`` is the iteration id of its parameters and outcomes."""

    TABLE: ClassVar[str] = "raw_data"
    unique_id: int
    timestamp: dt.datetime | None
    model_data: bool | None
    extra_data: Any
    master_table_id: int | None

    @property
    def iteration_id(self) -> int:
        return self.unique_id

    @classmethod
    def from_row(cls, row: tuple[Any, ...], allow_pickle: bool) -> RawRecord:
        uid, when, model_data, extra, master = row
        value = decode(extra, f"raw_data row {uid} extra_data", allow_pickle=allow_pickle)
        if isinstance(value, str):  # the reference pickles the *text* of json.dumps(extra)
            value = decode(value, f"raw_data row {uid} extra_data", allow_pickle=False)
        return cls(uid, parse_timestamp(when), None if model_data is None else bool(model_data), value, master)


@dataclass(frozen=True, slots=True)
class ParamRecord:
    """One parameter value of one trial (``param_data``); values are text, as the reference stores them."""

    TABLE: ClassVar[str] = "param_data"
    unique_id: int
    param_name: str | None
    param_value: str | None
    iteration_id: int | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...], allow_pickle: bool) -> ParamRecord:
        uid, name, value, iteration = row
        return cls(uid, name, _text(value), iteration)


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """One outcome of one trial (``outcome_data``)."""

    TABLE: ClassVar[str] = "outcome_data"
    unique_id: int
    outcome_name: str | None
    outcome_value: float | None
    iteration_id: int | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...], allow_pickle: bool) -> OutcomeRecord:
        uid, name, value, iteration = row
        return cls(uid, name, None if value is None else float(value), iteration)


Record = MasterRecord | ReplayRecord | RawRecord | ParamRecord | OutcomeRecord


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
