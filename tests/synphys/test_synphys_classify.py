"""classify_cells / classify_pairs / the dataframe helpers, against the plain reference."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest
from synphys_cases import OVERLAPPING, engine_classes

from engine.errors import BadInputError, UnknownColumnError
from engine.synphys import CellClass, classify_cell_dataframe, classify_pair_dataframe, classify_pairs


def test_classify_cells_matches_the_reference(any_db, ref):
    classes = engine_classes(OVERLAPPING)
    groups = any_db.classify_cells(classes.values())
    assert list(groups) == list(classes.values())
    for key, (criteria, exprs) in OVERLAPPING.items():
        assert groups[classes[key]] == ref.members(criteria, exprs), key


def test_classify_cells_of_pairs_or_given_cells(db, ref):
    classes = engine_classes(OVERLAPPING)
    pairs = db.pair_query(species="human")
    cells = {p[f"{side}_cell_id"] for p in ref.select(species="human") for side in ("pre", "post")}
    by_pairs = db.classify_cells(classes, pairs=pairs)
    for cls, members in by_pairs.items():
        assert members == ref.members(*OVERLAPPING[cls.name]) & cells
    some = sorted(cells)[:25]
    assert db.classify_cells(classes, cells=some)[classes["ex"]] == ref.members(*OVERLAPPING["ex"]) & set(some)


def test_two_different_classes_with_one_name_are_refused(db):
    with pytest.raises(BadInputError, match="both named 'x'"):
        db.classify_cells([CellClass(cre_type="sst", name="x"), CellClass(cre_type="vip", name="x")])
    with pytest.raises(BadInputError, match="mutually exclusive"):
        db.classify_cells([CellClass()], cells=[1], pairs=db.pair_query())


def test_classify_pairs_covers_every_ordered_combination(db, ref):
    classes = engine_classes(OVERLAPPING)
    pairs = db.pair_query(synapse_probed=True)
    groups = classify_pairs(pairs, db.classify_cells(classes.values(), pairs=pairs))
    expected = ref.matrix(OVERLAPPING, OVERLAPPING, synapse_probed=True)
    assert len(groups) == len(classes) ** 2
    for (pre, post), frame in groups.items():
        assert frame["pair.id"].to_list() == expected[pre.name, post.name]


def test_cell_dataframe_gets_the_first_matching_key(db):
    df = db.pair_query(preload=["cell"]).df()
    classes = {"pv": CellClass(cre_type="pvalb"), "l23pv": CellClass(cre_type="pvalb", cortical_layer="2/3"),
               "deep": CellClass(("fractional_depth", ">", 0.5))}
    df.index = df.index + 1000  # the reference's RangeIndex mask misaligns here; ours must not
    labels = classify_cell_dataframe(classes, df, "pre_")
    assert labels.index.equals(df.index)
    pv = df["pre_cell.cre_type"] == "pvalb"
    deep = df["pre_cortical_cell_location.fractional_depth"] > 0.5
    assert (labels[pv] == "pv").all() and "l23pv" not in set(labels)
    assert (labels[~pv & deep] == "deep").all() and labels[~pv & ~deep.fillna(False)].isna().all()


def test_pair_dataframe_adds_both_columns(db):
    classes = {"ex": CellClass(cell_class_nonsynaptic="ex"), "in": CellClass(cell_class_nonsynaptic="in")}
    result = db.pair_query(preload=["cell"], synapse_probed=True)
    df = result.df()
    assert classify_pair_dataframe(classes, df) is df
    expected = df["pre_cell.cell_class_nonsynaptic"].where(df["pre_cell.cell_class_nonsynaptic"].isin(["ex", "in"]))
    assert df["pre_class"].equals(expected.rename("pre_class"))
    frame = classify_pair_dataframe(classes, result.pl(), ("a", "b"))
    assert isinstance(frame, pl.DataFrame) and frame["a"].to_list() == df["pre_class"].tolist()
    assert frame["b"].to_list() == [None if isinstance(v, float) else v for v in df["post_class"]]


def test_dataframe_without_cell_columns(db):
    with pytest.raises(BadInputError, match="preload=\\['cell'\\]"):
        classify_cell_dataframe({"a": CellClass(cre_type="sst")}, db.pair_query().df(), "pre_")
    with pytest.raises(UnknownColumnError):
        classify_cell_dataframe({"a": CellClass(cre_type="sst")}, pd.DataFrame({"pre_cell.depth": [1.0]}), "pre_")
