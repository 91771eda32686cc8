"""pair_query against the plain reference: every argument, the joins and aliases, naming, preload, the traps."""

from __future__ import annotations

import sqlite3

import pytest

from engine.errors import BadFilterError, BadInputError, UnknownColumnError, UnknownNameError
from engine.filters import Col, Equal, Range
from engine.synphys import CellClass
from engine.synphys.pair_query import DEFERRED

PAIR_COLUMNS = [
    "pair.id", "pair.experiment_id", "pair.pre_cell_id", "pair.post_cell_id", "pair.has_synapse",
    "pair.has_polysynapse", "pair.has_electrical", "pair.crosstalk_artifact", "pair.n_ex_test_spikes",
    "pair.n_in_test_spikes", "pair.distance", "pair.lateral_distance", "pair.vertical_distance",
    "pair.reciprocal_id", "pair.meta",
]


def ids(result) -> list[int]:
    return result.arrow()["pair.id"].to_pylist()


def ref_ids(ref, **args) -> list[int]:
    return [p["id"] for p in ref.select(**args)]


SST = ({"cre_type": "sst"}, ())
SPINY_L23 = ({"dendrite_type": "spiny", "cortical_layer": "2/3"}, ())
DEEP_L5 = ({"cortical_layer": "5"}, (("fractional_layer_depth", ">=", 0.5),))
LOW_RHEOBASE = ({"cell_class": ("ex", None)}, (("rheobase", "<", 150e-12),))

CASES = {
    "everything": {},
    "synapse": {"synapse": True},
    "no synapse": {"synapse": False},
    "ex synapses": {"synapse_type": "ex"},
    "in synapses": {"synapse_type": "in"},
    "probed": {"synapse_probed": True},
    "not probed": {"synapse_probed": False},
    "electrical": {"electrical": True},
    "standard multipatch": {"experiment_type": "standard multipatch"},
    "one project": {"project_name": "mouse V1 coarse matrix"},
    "projects": {"project_name": ["mouse V1 coarse matrix", "mouse V1 pre-production"]},
    "acsf": {"acsf": ["Standard", "2mM Ca & Mg"]},
    "internal": {"internal": "Standard K-Gluc"},
    "age": {"age": (40, 60)},
    "max age": {"age": (None, 50)},
    "species": {"species": "human"},
    "distance": {"distance": (50e-6, 120e-6)},
    "pre sst": {"pre_class": SST},
    "sst to spiny l2/3": {"pre_class": SST, "post_class": SPINY_L23, "synapse_probed": True},
    "deep l5 comparison": {"post_class": DEEP_L5, "species": "mouse"},
    "intrinsic fan-out": {"pre_class": LOW_RHEOBASE},
    "many": {"species": "mouse", "synapse": True, "synapse_type": "ex", "age": (30, None), "distance": (0, 2e-4)},
}


def _engine_args(args: dict) -> dict:
    return {k: CellClass(*v[1], **v[0]) if k.endswith("_class") else v for k, v in args.items()}


@pytest.mark.parametrize("case", CASES)
def test_same_pairs_as_the_reference(any_db, ref, case):
    args = CASES[case]
    got = ids(any_db.pair_query(**_engine_args(args)))
    assert got == ref_ids(ref, **args)


def test_cases_are_not_vacuous(ref):
    for case, args in CASES.items():
        if case != "not probed":
            assert ref_ids(ref, **args), case


def test_probed_and_not_probed_partition_all_pairs(db):
    everything = set(ids(db.pair_query()))
    probed, unprobed = set(ids(db.pair_query(synapse_probed=True))), set(ids(db.pair_query(synapse_probed=False)))
    assert probed | unprobed == everything and not probed & unprobed


def test_age_and_distance_bounds_are_inclusive(db, ref):
    age = sorted(p["age"] for p in ref.pairs if p["age"] is not None)[len(ref.pairs) // 2]
    distance = sorted(p["distance"] for p in ref.pairs if p["distance"] is not None)[100]
    assert ids(db.pair_query(age=(age, age))) == ref_ids(ref, age=(age, age)) != []
    assert distance in db.pair_query(distance=(distance, distance)).arrow()["pair.distance"].to_pylist()


def test_filter_exprs_take_compiler_ir_over_the_aliases(any_db, release):
    got = ids(any_db.pair_query(filter_exprs=[Range(Col("psp_amplitude", "synapse"), hi=-0.0005),
                                              Equal(Col("cre_type", "pre_cell"), "pvalb")]))
    with sqlite3.connect(release) as con:
        expected = [r[0] for r in con.execute(
            "SELECT DISTINCT pair.id FROM pair JOIN cell ON cell.id = pair.pre_cell_id "
            "JOIN synapse ON synapse.pair_id = pair.id WHERE synapse.psp_amplitude <= -0.0005 "
            "AND cell.cre_type = 'pvalb' ORDER BY pair.id")]
    assert got == expected != []


def test_gap_junction_alias_is_available(db, release):
    got = ids(db.pair_query(filter_exprs=Range(Col("junctional_conductance", "gap_junction"), lo=0.0)))
    with sqlite3.connect(release) as con:
        expected = [r[0] for r in con.execute(
            "SELECT DISTINCT pair_id FROM gap_junction WHERE junctional_conductance >= 0 ORDER BY 1")]
    assert got == expected != []


def test_columns_are_named_like_the_reference_dataframes(db):
    assert db.pair_query().column_names() == PAIR_COLUMNS
    cols = db.pair_query(preload=["cell", "synapse", "experiment", "synapse_prediction"]).column_names()
    for name in ("pre_cell.cre_type", "post_morphology.dendrite_type", "pre_cortical_cell_location.cortical_layer",
                 "post_intrinsic.rheobase", "pre_patch_seq.t_type", "synapse.psp_amplitude",
                 "resting_state_fit.ic_amp", "dynamics.stp_induction_50hz", "synapse_model.ml_strength",
                 "experiment.project_name", "slice.species", "synapse_prediction.ic_amp_mean"):
        assert name in cols
    assert not any(f"{alias}.{c}" in cols for alias, deferred in DEFERRED.items() for c in deferred)
    assert "conductance.effective_conductance" not in cols


def test_columns_add_single_columns_and_accept_reference_aliases(db):
    cols = db.pair_query(columns=["dynamics.stp_all_stimuli", "pre_location.cortical_layer", "latency"]).column_names()
    assert cols[-3:] == ["dynamics.stp_all_stimuli", "pre_cortical_cell_location.cortical_layer", "synapse.latency"]


def test_one_row_per_pair_despite_repeated_detail_rows(any_db, release):
    with sqlite3.connect(release) as con:
        twice = con.execute("SELECT cell_id, min(id) FROM intrinsic GROUP BY cell_id HAVING count(*) > 1").fetchall()
    assert twice, "the generated release should repeat some intrinsic rows"
    assert "pre_intrinsic" in any_db.repeating_aliases
    frame = any_db.pair_query(preload=["cell", "synapse"]).pl()
    assert frame["pair.id"].is_unique().all() and frame.height == any_db.pair_query().count()
    first = dict(twice)
    picked = frame.filter(frame["pre_cell.id"].is_in(list(first)))
    assert picked.height and all(first[c] == i for c, i in zip(picked["pre_cell.id"], picked["pre_intrinsic.id"]))


def test_results_are_lazy_and_readable_three_ways(db):
    result = db.pair_query(synapse=True, species="mouse")
    assert "not run" in repr(result) and "$p0" in result.sql and result.params["p0"] is True
    assert result.df().shape[0] == result.pl().height == result.arrow().num_rows > 0


def test_attached_file_and_mirror_return_identical_tables(db, mirror_db):
    args = dict(preload=["cell", "synapse", "experiment"], species="mouse", synapse=True)
    assert db.pair_query(**args).arrow().equals(mirror_db.pair_query(**args).arrow())


def test_only_the_needed_joins_are_emitted(db):
    sql = db.pair_query(species="mouse").sql
    assert 'JOIN "slice"' in sql and 'JOIN "synapse"' not in sql
    sql = db.pair_query(synapse_type="ex").sql
    assert 'JOIN "synapse"' in sql and 'JOIN "dynamics"' not in sql and 'JOIN "slice"' not in sql


TRAPS = [
    ({"experiment_type": "standard_multipatch"}, UnknownNameError, "did you mean 'standard multipatch'"),
    ({"experiment_type": "mouse"}, UnknownNameError, "experiment_type"),
    ({"experiment_type": "standard multipatch", "project_name": "human coarse matrix"}, BadInputError, "not both"),
    ({"synapse_probed": "True"}, BadInputError, "True, False or None"),
    ({"synapse": 1}, BadInputError, "synapse must be"),
    ({"electrical": "yes"}, BadInputError, "electrical must be"),
    ({"project_name": "mouse V1 coarse matrx"}, UnknownNameError, "did you mean 'mouse V1 coarse matrix'"),
    ({"synapse_type": "exc"}, UnknownNameError, "synapse_type"),
    ({"age": (1, 2, 3)}, BadFilterError, "min, max"),
    ({"age": (60, 40)}, BadFilterError, "greater than max"),
    ({"age": ("old", None)}, BadFilterError, "cannot compare"),
    ({"species": []}, BadInputError, "species"),
    ({"preload": ["cells"]}, UnknownNameError, "did you mean 'cell'"),
    ({"filter_exprs": Equal(Col("cre_typ", "pre_cell"), "sst")}, UnknownColumnError, "did you mean 'cre_type'"),
    ({"columns": ["synapse.psp_amp"]}, UnknownColumnError, "psp_amplitude"),
    ({"pre_class": "sst"}, BadInputError, "CellClass"),
]


@pytest.mark.parametrize("args, error, message", TRAPS)
def test_reference_traps_raise_clear_errors(db, args, error, message):
    with pytest.raises(error, match=message):
        db.pair_query(**args)


def test_filter_exprs_take_filter_dicts_over_the_aliases(db, ref):
    got = ids(db.pair_query(filter_exprs={"filter_in_dict": {"pre_cell": {"cre_type": ["sst"]}}}))
    assert got == ref_ids(ref, pre_class=SST) != []


def test_json_and_npy_columns_decode_by_name(db):
    result = db.pair_query(synapse=True, columns=["resting_state_fit.ic_avg_data", "pre_cell.position"])
    raw = result.arrow()
    assert raw.schema.field("pre_cell.position").type == "string"
    decoded = result.decode(json=["pre_cell.position"], npy=["resting_state_fit.ic_avg_data"]).arrow()
    positions = decoded["pre_cell.position"].drop_null().to_pylist()
    waves = decoded["resting_state_fit.ic_avg_data"].drop_null().to_pylist()
    assert positions and len(positions[0]) == 3 and waves and len(waves[0]) > 10
