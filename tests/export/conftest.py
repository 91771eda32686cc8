"""Export fixtures: the shared tiny synphys release, a tiny connectome datastack and a fresh catalog per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.export import ExportCatalog, open_catalog, stop_export


@pytest.fixture(scope="session")
def cave_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror root holding the generated ``synthetic`` datastack (tiny preset, seed 0)."""
    from engine.synth import connectome

    root = tmp_path_factory.mktemp("cave")
    connectome.write(root, "synthetic", size="tiny", seed=0)
    return root


@pytest.fixture()
def catalog(tmp_path: Path) -> ExportCatalog:
    """An empty catalog in this test's directory."""
    return open_catalog(tmp_path / "catalog" / "exports.sqlite")


@pytest.fixture(autouse=True)
def no_active_analysis() -> None:
    """Every test starts and ends with nothing logging in the main thread."""
    stop_export()
    yield
    stop_export()
