"""Synphys fixtures: one generated release (sqlite and its Parquet mirror) and the plain reference reading it."""

from __future__ import annotations

from pathlib import Path

import pytest
from synphys_reference import Release

from engine.synphys import SynphysDatabase

N_EXPERIMENTS = 240
"""Large enough that every mouse17 class has members and most class pairs have probed pairs; ~6k pairs."""


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.synth import synphys

    return synphys.write(tmp_path_factory.mktemp("synphys") / "synphys_r2.1_small.sqlite", size="small",
                         n_experiments=N_EXPERIMENTS)


@pytest.fixture(scope="session")
def mirror_dir(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synphys_mirror") / "release.parquet"


@pytest.fixture(scope="session")
def db(release: Path) -> SynphysDatabase:
    return SynphysDatabase.load_sqlite(release)


@pytest.fixture(scope="session")
def mirror_db(release: Path, mirror_dir: Path) -> SynphysDatabase:
    return SynphysDatabase.load_sqlite(release, mirror=mirror_dir)


@pytest.fixture(scope="session", params=["sqlite", "mirror"])
def any_db(request: pytest.FixtureRequest, db: SynphysDatabase, mirror_db: SynphysDatabase) -> SynphysDatabase:
    """Each test using this runs on the attached file and on its mirror."""
    return db if request.param == "sqlite" else mirror_db


@pytest.fixture(scope="session")
def ref(release: Path) -> Release:
    return Release.load(release)
