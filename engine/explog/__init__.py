"""Experiment log database: AEPsych-compatible trial-by-trial recording in a WAL sqlite file.

One process writes (``ExperimentLog(path)``) while others read (``ExperimentLog(path,
read_only=True)`` or DuckDB through ``trials()``). See docs/explog.md.
"""

from __future__ import annotations

from .codec import PayloadError, PickleRefusedError
from .layout import LAYOUT_VERSION
from .log import ExperimentLog
from .records import MasterRecord, OutcomeRecord, ParamRecord, RawRecord, ReplayRecord
from .sqlite import LockedError

__all__ = [
    "LAYOUT_VERSION",
    "ExperimentLog",
    "LockedError",
    "MasterRecord",
    "OutcomeRecord",
    "ParamRecord",
    "PayloadError",
    "PickleRefusedError",
    "RawRecord",
    "ReplayRecord",
]
