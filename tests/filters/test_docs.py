"""docs/filters.md documents every filter key, IR node and pass the code has."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.filters import FILTER_KEYS, NODES, PASSES

DOC = (Path(__file__).parents[2] / "docs" / "filters.md").read_text()


@pytest.mark.parametrize("name", [*FILTER_KEYS, *(n.__name__ for n in NODES), *(p.__name__ for p in PASSES)])
def test_documented(name: str) -> None:
    assert f"`{name}`" in DOC, f"docs/filters.md does not mention `{name}`"
