"""The ``engine`` command line: data to stdout, one-line errors to stderr, exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.cli import main


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE cell (id INTEGER NOT NULL PRIMARY KEY, cre_type VARCHAR);"
        "INSERT INTO cell VALUES (1, 'sst'), (2, 'pvalb'), (3, 'sst');"
    )
    con.commit()
    con.close()
    return path


def test_tables_lists_row_counts(db: Path, capsys) -> None:
    assert main(["tables", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.split() == ["cell", "3"]
    assert main(["tables", str(db), "--schema", "cell"]) == 0
    assert "cre_type" in capsys.readouterr().out


def test_sql_formats_and_params(db: Path, tmp_path: Path, capsys) -> None:
    query = "SELECT id FROM cell WHERE cre_type = $t ORDER BY id"
    assert main(["sql", str(db), query, "--param", "t=sst", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["id", "1", "3"]
    assert main(["sql", str(db), query, "--param", "t=sst", "--format", "json"]) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [{"id": 1}, {"id": 3}]
    out = tmp_path / "r.parquet"
    assert main(["sql", str(db), query, "--param", "t=pvalb", "--format", "parquet", "--out", str(out)]) == 0
    assert pq.read_table(out).column("id").to_pylist() == [2]
    assert main(["sql", str(db), query, "--param", "t=sst", "--explain"]) == 0
    assert "FILTER" in capsys.readouterr().out


def test_errors_are_one_line(db: Path, capsys) -> None:
    assert main(["sql", str(db), "SELECT nope FROM cell"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("engine: error: query failed") and err.count("\n") == 1
    assert main(["tables", str(db), "--schema", "cells"]) == 2
    assert "did you mean 'cell'" in capsys.readouterr().err
    assert main(["sql", str(db), "SELECT 1", "--param", "1x=2"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_debug_shows_traceback(db: Path, capsys) -> None:
    assert main(["--debug", "tables", str(db), "--schema", "cells"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_mirror_command(db: Path, tmp_path: Path, capsys) -> None:
    dest = tmp_path / "m"
    assert main(["mirror", str(db), str(dest), "--sort", "cell=cre_type", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(dest)
    assert json.loads((dest / "manifest.json").read_text())["tables"]["cell"]["sort_by"] == ["cre_type"]


def test_python_dash_m_engine() -> None:
    proc = subprocess.run([sys.executable, "-m", "engine", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "mirror" in proc.stdout


def _commands(parser, prefix="engine"):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _commands(sub, f"{prefix} {name}")


def test_every_command_and_option_is_documented() -> None:
    from engine.cli import build_parser

    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    for title, parser in _commands(build_parser()):
        assert f"## `{title}`" in docs, f"{title} is not in docs/cli.md"
        for action in parser._actions:
            for option in action.option_strings:
                assert option in docs, f"{title} {option} is not in docs/cli.md"
