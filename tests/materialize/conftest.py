"""Session fixtures: one generated tiny datastack, its pandas reference and clients over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.materialize import MaterializationClient
from engine.synth import connectome

from .reference import Reference


@pytest.fixture(scope="session")
def mirror_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mirror root holding the generated ``synthetic`` datastack (tiny preset, seed 0)."""
    root = tmp_path_factory.mktemp("cave")
    connectome.write(root, "synthetic", size="tiny", seed=0)
    return root


@pytest.fixture(scope="session")
def ref(mirror_root: Path) -> Reference:
    return Reference(mirror_root / "synthetic")


@pytest.fixture(scope="session")
def client(mirror_root: Path) -> MaterializationClient:
    with MaterializationClient(mirror_root, "synthetic") as c:
        yield c


@pytest.fixture(scope="session")
def resident(mirror_root: Path) -> MaterializationClient:
    """The same mirror with every table in memory (the indexed access path)."""
    with MaterializationClient(mirror_root, "synthetic", in_memory=True) as c:
        yield c
