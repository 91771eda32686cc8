"""matrix_pair_query and connectivity against the plain per-class-pair reference."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from synphys_cases import MOUSE17, OVERLAPPING, REF17, engine_classes

from engine.errors import BadInputError, UnknownNameError
from engine.synphys import CellClass, classify_pairs


def per_class_pair(frame: pl.DataFrame) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for pre, post, pair in zip(frame["pre_class"], frame["post_class"], frame["pair.id"]):
        out.setdefault((pre, post), []).append(pair)
    return out


@pytest.mark.parametrize("classes, args", [
    (REF17, {"species": "mouse"}),
    (OVERLAPPING, {}),
    (OVERLAPPING, {"synapse": True, "age": (30, None)}),
])
def test_same_pairs_per_class_pair_as_the_concatenation(any_db, ref, classes, args):
    expected = ref.matrix(classes, classes, **args)
    frame = any_db.matrix_pair_query(engine_classes(classes), engine_classes(classes), pair_query_args=args).pl()
    got = per_class_pair(frame)
    assert got == {k: v for k, v in expected.items() if v}
    assert sum(map(len, expected.values())) > 0
    # concatenation order: pre class, then post class (dict order), then pair id
    order = {k: i for i, k in enumerate(expected)}
    keys = [order[k] for k in zip(frame["pre_class"], frame["post_class"])]
    assert keys == sorted(keys)


def test_a_pair_appears_under_every_matching_combination(db):
    classes = engine_classes(OVERLAPPING)
    frame = db.matrix_pair_query(classes, classes).pl()
    counts = frame.group_by("pair.id").len()
    assert counts["len"].max() > 1


def test_columns_preload_and_labels(db):
    pre = {"pv": CellClass(cre_type="pvalb")}
    post = {CellClass(cre_type="pvalb", name="pv cells"): CellClass(cre_type="pvalb")}
    result = db.matrix_pair_query(pre, post, columns=["synapse.psp_amplitude"],
                                  pair_query_args={"synapse": True, "preload": ["cell"]})
    names = result.column_names()
    assert names[-3:] == ["synapse.psp_amplitude", "pre_class", "post_class"] and "pre_cell.cre_type" in names
    frame = result.pl()
    assert set(frame["pre_class"]) == {"pv"} and set(frame["post_class"]) == {"pv cells"}
    assert frame["synapse.psp_amplitude"].drop_nulls().len() > 0


def test_matrix_is_one_statement(db):
    result = db.matrix_pair_query(MOUSE17, MOUSE17)
    assert result.sql.startswith("WITH membership AS") and ";" not in result.sql and "groups AS" in result.sql


@pytest.mark.parametrize("pre, post, args, message", [
    ({}, MOUSE17, None, "non-empty dict"),
    ({"a": "sst"}, MOUSE17, None, "must be a CellClass"),
    ({1: CellClass(cre_type="sst")}, MOUSE17, None, "strings or CellClasses"),
    (MOUSE17, MOUSE17, {"pre_class": CellClass()}, "matrix supplies the classes"),
])
def test_bad_matrix_arguments(db, pre, post, args, message):
    with pytest.raises(BadInputError, match=message):
        db.matrix_pair_query(pre, post, pair_query_args=args)


# -- connectivity --------------------------------------------------------------------------------

def assert_matches_reference(table, ref, groups, alpha, sigma, dist):
    rows = pl.from_arrow(table)
    assert rows.height == len(groups)
    for row, ((pre, post), pair_ids) in zip(rows.iter_rows(named=True), groups.items()):
        assert (row["pre_class"], row["post_class"]) == (pre, post)
        want = ref.connectivity(pair_ids, alpha, sigma, dist)
        for count in ("n_pairs", "n_probed", "n_connected", "n_gaps_probed", "n_gaps"):
            assert row[count] == want[count], (pre, post, count)
        for name in ("cp", "gap_cp", *(("adjusted_cp", "adjusted_gap_cp") if sigma else ())):
            got = (row[name], row[f"{name}_lower"], row[f"{name}_upper"])
            assert all(math.isnan(g) and math.isnan(w) or g == pytest.approx(w, rel=1e-9, abs=1e-15)
                       for g, w in zip(got, want[name])), (pre, post, name, got, want[name])


@pytest.mark.parametrize("sigma, dist, alpha", [(None, "distance", 0.05), (100e-6, "lateral_distance", 0.05),
                                                (75e-6, "distance", 0.1)])
def test_connectivity_matrix_matches_the_reference(any_db, ref, sigma, dist, alpha):
    args = {"species": "mouse"}
    groups = ref.matrix(REF17, REF17, **args)
    table = any_db.connectivity_matrix(MOUSE17, MOUSE17, args, sigma=sigma, dist_measure=dist, alpha=alpha)
    assert_matches_reference(table, ref, groups, alpha, sigma, dist)
    rows = pl.from_arrow(table)
    assert rows["n_connected"].sum() > 0 and rows["n_gaps"].sum() > 0 and (rows["n_probed"] == 0).any()


def test_measure_connectivity_on_classified_pairs_equals_the_one_call_matrix(db):
    pairs = db.pair_query(species="mouse")
    groups = classify_pairs(pairs, db.classify_cells(MOUSE17.values(), pairs=pairs))
    measured = pl.from_arrow(db.measure_connectivity(groups, sigma=100e-6, dist_measure="lateral_distance"))
    matrix = pl.from_arrow(db.connectivity_matrix(MOUSE17, pair_query_args={"species": "mouse"}, sigma=100e-6,
                                                  dist_measure="lateral_distance"))
    assert measured.columns == matrix.columns
    for name in measured.columns:
        if measured[name].dtype == pl.Float64:
            np.testing.assert_allclose(measured[name].to_numpy(), matrix[name].to_numpy(), rtol=1e-12)
        else:
            assert measured[name].to_list() == matrix[name].to_list(), name


def test_measure_connectivity_accepts_a_matrix_frame_and_id_arrays(db, ref):
    frame = db.matrix_pair_query(MOUSE17, MOUSE17, pair_query_args={"species": "mouse"})
    measured = pl.from_arrow(db.measure_connectivity(frame))
    groups = {k: v for k, v in ref.matrix(REF17, REF17, species="mouse").items() if v}
    assert_matches_reference(measured.to_arrow(), ref, groups, 0.05, None, "distance")
    as_arrays = db.measure_connectivity({k: np.array(v) for k, v in groups.items()})
    assert pl.from_arrow(as_arrays).equals(measured)


def test_connectivity_argument_errors(db):
    with pytest.raises(UnknownNameError, match="dist_measure"):
        db.connectivity_matrix(MOUSE17, dist_measure="soma_distance")
    with pytest.raises(BadInputError, match="sigma"):
        db.connectivity_matrix(MOUSE17, sigma=-1.0)
    with pytest.raises(BadInputError, match="pre_class, post_class and pair.id"):
        db.measure_connectivity(db.pair_query())


def test_file_and_mirror_give_identical_matrices(db, mirror_db):
    args = {"species": "mouse"}
    for fn in (lambda d: d.connectivity_matrix(MOUSE17, pair_query_args=args, sigma=1e-4, dist_measure="distance"),
               lambda d: d.matrix_pair_query(MOUSE17, MOUSE17, pair_query_args=args).arrow()):
        assert pl.from_arrow(fn(db)).equals(pl.from_arrow(fn(mirror_db)))
