"""docs/synphys.md covers the public API, the presets, the metric registry and the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import engine.synphys as synphys
from engine.synphys import CLASS_SETS, METRICS
from engine.synphys import cli as synphys_cli
from engine.synphys.pair_query import PRELOAD_GROUPS

DOC = (Path(__file__).parents[2] / "docs" / "synphys.md").read_text()


def commands() -> list[str]:
    parser = argparse.ArgumentParser()
    synphys_cli.register(parser.add_subparsers())
    group = parser._subparsers._group_actions[0].choices["synphys"]
    return list(group._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("name", [*synphys.__all__, *CLASS_SETS, *METRICS, *PRELOAD_GROUPS, *commands()])
def test_documented(name):
    assert f"`{name}" in DOC or f" {name}" in DOC, name


def test_public_names_resolve():
    for name in synphys.__all__:
        assert getattr(synphys, name) is not None
    with pytest.raises(AttributeError):
        synphys.nothing_here
