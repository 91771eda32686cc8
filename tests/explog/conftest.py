"""Fixtures for the experiment-log tests: a fresh log file per test, always closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.explog import ExperimentLog


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "experiment.db"


@pytest.fixture
def log(log_path: Path) -> Iterator[ExperimentLog]:
    with ExperimentLog(log_path) as opened:
        yield opened
