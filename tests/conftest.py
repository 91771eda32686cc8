"""Session fixtures shared across test folders: generated data built once per run."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synphys_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated schema-22 release of the ``tiny`` size (seed 0)."""
    from engine.synth import synphys

    return synphys.write(tmp_path_factory.mktemp("synphys") / "synphys_r2.1_tiny.sqlite", size="tiny")


@pytest.fixture(scope="session")
def synphys_tiny_mirror(synphys_tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Parquet mirror of ``synphys_tiny``."""
    import engine

    return engine.connect(synphys_tiny).mirror(tmp_path_factory.mktemp("mirror") / "tiny", progress=False)
