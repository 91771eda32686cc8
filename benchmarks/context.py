"""Benchmark context: size preset, repeat count and the cache of generated datasets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    """What every scenario gets: the size preset, repeats and where to cache generated data."""

    size: str
    data_dir: Path
    repeats: int

    def path(self, *parts: str) -> Path:
        """A path under the data cache (its parent is created)."""
        path = self.data_dir.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
