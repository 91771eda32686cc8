"""``engine export``, ``export-list`` and ``export-verify`` over a logged catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from engine.cli import main
from engine.export import export
from engine.export.catalog import ENV
from engine.filters import Equal, InSet


def cli(*argv: str) -> int:
    return main(list(argv))


@pytest.fixture()
def logged(synphys_tiny: Path, catalog):
    with engine.connect(synphys_tiny) as ds:
        with export("paper", "fig1", catalog=catalog):
            engine.export.record_read(ds, "pair", InSet("id", [1, 2, 3]))
        with export("paper", "fig2", catalog=catalog):
            engine.export.record_read(ds, "experiment", Equal("id", 5))
    return catalog


def test_export_list_and_verify(logged, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    dest = tmp_path / "bundle"
    assert cli("export", "paper", str(dest), "--catalog", str(logged.path), "--format", "sqlite") == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(dest) and "export 2" in err
    assert (dest / "export.sqlite").is_file() and engine.connect(dest).table("pair").arrow().num_rows >= 3

    assert cli("export-list", "--catalog", str(logged.path)) == 0
    text = capsys.readouterr().out
    assert "paper  export 2" in text and "fig1" in text and "/pair" in text and str(dest) in text
    assert cli("export-list", "paper", "--catalog", str(logged.path), "--json") == 0
    [paper] = json.loads(capsys.readouterr().out)
    assert [a["analysis_id"] for a in paper["analyses"]] == ["fig1", "fig2"] and paper["files"] == 1

    assert cli("export-verify", str(dest)) == 0
    assert "files verified" in capsys.readouterr().out
    (dest / "tables" / "experiment.parquet").write_bytes(b"not parquet")
    assert cli("export-verify", str(dest)) == 2
    assert "experiment.parquet does not match" in capsys.readouterr().err


def test_errors_are_one_line_naming_the_problem(logged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]):
    monkeypatch.delenv(ENV, raising=False)
    assert cli("export", "paper", str(tmp_path / "b")) == 2
    assert "no export catalog: pass catalog=PATH (CLI: --catalog)" in capsys.readouterr().err
    monkeypatch.setenv(ENV, str(logged.path))
    assert cli("export", "papr", str(tmp_path / "b")) == 2
    assert "has no paper 'papr'; did you mean 'paper'?" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
