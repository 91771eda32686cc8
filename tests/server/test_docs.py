"""docs/server.md and docs/cave-mirror.md list every route, option and flag the code has."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from engine.server import ServerConfig, make_app
from engine.server.app import route_table
from engine.server.cli import register

DOCS = Path(__file__).resolve().parents[2] / "docs"


def flags(command: str) -> list[str]:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    register(sub)
    return [o for action in sub.choices[command]._actions for o in action.option_strings if o.startswith("--")
            and o not in ("--help", "--debug")]


def test_every_route_is_documented(mirror_root: Path) -> None:
    text = (DOCS / "server.md").read_text()
    for method, path in route_table(make_app(mirror_root)):
        assert f"| {method} | `{path}` |" in text, (method, path)


def test_every_option_and_flag_is_documented() -> None:
    server = (DOCS / "server.md").read_text()
    for field in dataclasses.fields(ServerConfig):
        assert f"`{field.name}`" in server, field.name
    for flag in flags("serve"):
        assert flag in server, flag
    mirror = (DOCS / "cave-mirror.md").read_text()
    for flag in flags("mirror-cave"):
        assert flag in mirror, flag
