"""metric_matrix against per-group numpy on the reference's pair groups."""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import polars as pl
import pytest
from synphys_cases import MOUSE17, REF17

from engine.errors import UnknownNameError
from engine.synphys import METRICS
from engine.synphys.metrics import metric


def values(release, table: str, column: str) -> dict[int, float]:
    with sqlite3.connect(release) as con:
        return {pair: v for pair, v in con.execute(f"SELECT pair_id, {column} FROM {table} ORDER BY id DESC")
                if v is not None}


@pytest.mark.parametrize("name, args", [("psp_amplitude", {"synapse": True}),
                                        ("stp_induction_50hz", {"synapse": True, "species": "mouse"}),
                                        ("junctional_conductance", {"electrical": True})])
def test_metric_matrix_matches_numpy_per_group(any_db, ref, release, name, args):
    spec = METRICS[name]
    per_pair = values(release, spec.alias, spec.column)
    table = pl.from_arrow(any_db.metric_matrix(MOUSE17, MOUSE17, name, pair_query_args=args))
    groups = ref.matrix(REF17, REF17, **args)
    assert table.height == len(groups) and table["n"].sum() > 0
    for row, pair_ids in zip(table.iter_rows(named=True), groups.values()):
        v = np.array([per_pair[p] for p in pair_ids if p in per_pair])
        assert row["n"] == len(v)
        if len(v) >= 2:
            assert row["value"] == pytest.approx(v.mean(), rel=1e-9)
            assert row["std"] == pytest.approx(np.std(v), rel=1e-9, abs=1e-18)
        else:
            assert math.isnan(row["value"])


def test_callable_estimator_matches_sql_estimator(db):
    args = {"synapse": True}
    by_sql = pl.from_arrow(db.metric_matrix(MOUSE17, MOUSE17, "latency", "median", args))
    by_numpy = pl.from_arrow(db.metric_matrix(MOUSE17, MOUSE17, "latency", np.median, args))
    assert by_sql["n"].to_list() == by_numpy["n"].to_list()
    np.testing.assert_allclose(by_sql["value"].to_numpy(), by_numpy["value"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(by_sql["std"].to_numpy(), by_numpy["std"].to_numpy(), rtol=1e-9)


def test_registry_and_ad_hoc_metrics(db):
    assert set(METRICS) >= {"psp_amplitude", "psc_decay_tau", "latency", "stp_recovery_single_250ms",
                            "paired_event_correlation_4_8_r", "variability_stp_induced_state_50hz",
                            "coupling_coeff_pulse", "pulse_amp_first_50hz"}
    assert metric("synapse_model.ml_strength").ref == "synapse_model.ml_strength"
    table = db.metric_matrix({"pv": MOUSE17["l23pv"]}, None, "synapse_model.ml_strength",
                             pair_query_args={"synapse": True})
    assert table.num_rows == 1
    with pytest.raises(UnknownNameError, match="did you mean 'psp_amplitude'"):
        metric("psp_amplitud")
    with pytest.raises(UnknownNameError, match="estimator"):
        db.metric_matrix(MOUSE17, MOUSE17, "latency", "average")


def test_file_and_mirror_give_identical_tables(db, mirror_db):
    args = {"synapse": True}
    for name in ("psp_amplitude", "stp_induction_50hz"):
        a = pl.from_arrow(db.metric_matrix(MOUSE17, MOUSE17, name, pair_query_args=args))
        b = pl.from_arrow(mirror_db.metric_matrix(MOUSE17, MOUSE17, name, pair_query_args=args))
        assert a.equals(b)
