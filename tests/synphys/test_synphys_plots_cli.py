"""Matrix heatmaps and the ``engine synphys`` commands."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import polars as pl
import pytest

from engine.errors import EngineError, UnknownNameError
from engine.synphys import class_set
from engine.synphys import cli as synphys_cli
from engine.synphys.plots import PlotDependencyError, plot_connectivity_matrix, plot_metric_matrix, save

EI = class_set("ei")
PNG = b"\x89PNG\r\n\x1a\n"


def test_connectivity_heatmap_has_k_over_n_labels_and_ci_shading(db, tmp_path):
    table = db.connectivity_matrix(EI, sigma=100e-6)
    ax = plot_connectivity_matrix(table, distance_adjusted=True)
    rows = pl.from_arrow(table)
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{k}/{n}" for k, n in zip(rows["n_connected"], rows["n_probed"]) if n > 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ex", "in"]
    rgba = ax.images[-1].get_array()
    cp = np.minimum(rows["adjusted_cp"].to_numpy(), 1)
    width = np.maximum(np.minimum(rows["adjusted_cp_upper"].to_numpy(), 1) - cp,
                       cp - np.maximum(rows["adjusted_cp_lower"].to_numpy(), 0))
    np.testing.assert_allclose(rgba[..., 3].ravel(), np.clip(1 - 1.5 * width, 0, 1))
    assert save(ax, tmp_path / "m.png").read_bytes()[:8] == PNG


def test_gap_junction_and_metric_heatmaps(db):
    ax = plot_connectivity_matrix(db.connectivity_matrix(EI), electrical=True)
    assert all("/" in t.get_text() for t in ax.texts)
    table = db.metric_matrix(EI, EI, "psp_amplitude", pair_query_args={"synapse": True})
    ax = plot_metric_matrix(table, "psp_amplitude")
    values = pl.from_arrow(table)["value"].to_numpy() * 1e3
    assert [t.get_text() for t in ax.texts] == ["%0.2f" % v for v in values if np.isfinite(v)]
    with pytest.raises(EngineError, match="sigma"):
        plot_connectivity_matrix(db.connectivity_matrix(EI), distance_adjusted=True)


def test_missing_matplotlib_names_the_extra(db, monkeypatch):
    table = db.connectivity_matrix(EI)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotDependencyError, match=r"engine\[plot\]"):
        plot_connectivity_matrix(table)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="engine")
    synphys_cli.register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.handler(args)


def test_matrix_command_prints_the_table_and_draws_it(release, mirror_db, tmp_path, capsys):
    out = tmp_path / "matrix.png"
    assert run("synphys", "matrix", str(release), "--classes", "mouse17", "--species", "mouse", "--sigma", "100e-6",
               "--dist-measure", "lateral_distance", "--format", "csv", "--out", str(out)) == 0
    captured = capsys.readouterr()
    table = pl.read_csv(captured.out.encode())
    assert table.height == 17 * 17 and "adjusted_cp_upper" in table.columns and out.read_bytes()[:8] == PNG
    assert run("synphys", "matrix", mirror_db.dataset.location, "--classes", "mouse17", "--species", "mouse",
               "--sigma", "100e-6", "--dist-measure", "lateral_distance", "--format", "csv") == 0
    assert pl.read_csv(capsys.readouterr().out.encode()).equals(table)


def test_metric_and_class_sets_commands(release, tmp_path, capsys):
    assert run("synphys", "metric", str(release), "--metric", "latency", "--classes", "ei", "--synapse",
               "--format", "json", "--out", str(tmp_path / "latency.svg")) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    assert run("synphys", "class-sets") == 0
    assert "mouse17" in capsys.readouterr().out
    with pytest.raises(UnknownNameError, match="did you mean 'mouse17'"):
        run("synphys", "matrix", str(release), "--classes", "mouse16")
