"""Fixtures for the catalog tests: the loopback HTTP server and catalog files."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from catalog_http_server import Server, running_server


@pytest.fixture(scope="session")
def http_server() -> Iterator[Server]:
    """The misbehaving-modes server of ``catalog_http_server``, shared by the session."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated schema-22 release (size "tiny"); copy it before changing it."""
    from engine.synth import synphys

    return synphys.write(tmp_path_factory.mktemp("tiny") / "synphys_r2.1_tiny.sqlite", size="tiny")


@pytest.fixture
def release_copy(tiny_release: Path, tmp_path: Path) -> Callable[..., Path]:
    """``release_copy(*sql, name=...)``: a copy of the tiny release with ``sql`` statements applied."""

    def copy(*statements: str, name: str = "r.sqlite") -> Path:
        path = tmp_path / name
        shutil.copyfile(tiny_release, path)
        with contextlib.closing(sqlite3.connect(path)) as con:
            for sql in statements:
                con.execute(sql)
            con.commit()
        return path

    return copy


@pytest.fixture
def write_catalog(tmp_path: Path) -> Callable[..., Path]:
    """``write_catalog(databases, name=..., **top_level_keys)`` -> path of a fresh catalog file."""

    def write(databases: list[dict], name: str = "catalog.json", **top: object) -> Path:
        path = tmp_path / name
        obj = {"default_url_path": "https://example.invalid/releases", **top, "databases": databases}
        path.write_text(json.dumps(obj))
        return path

    return write
