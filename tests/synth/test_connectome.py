"""The synthetic connectome datastack: layout, schemas, time travel consistency, realism, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from scipy.stats import chi2_contingency

from engine.errors import BadInputError
from engine.synth import connectome

UTC_US = pa.timestamp("us", tz="UTC")
CRUD = [("id", pa.int64()), ("created", UTC_US), ("deleted", UTC_US), ("superceded_id", pa.int64()),
        ("valid", pa.bool_())]


def _point(name: str, bound: bool = True) -> list[tuple[str, pa.DataType]]:
    cols = [(f"{name}_position_{a}", pa.int32()) for a in "xyz"]
    return cols + ([(f"{name}_supervoxel_id", pa.int64())] if bound else [])


EXPECTED_COLUMNS = {
    "nucleus_detection_v0": [*CRUD, *_point("pt"), ("volume", pa.float32())],
    "synapses": [*CRUD, *_point("pre_pt"), *_point("ctr_pt", bound=False), *_point("post_pt"),
                 ("size", pa.float32())],
    "cell_types": [*CRUD, *_point("pt"), ("cell_type", pa.string()), ("classification_system", pa.string()),
                   ("target_id", pa.int64())],
}


# ---- reference helper: the materialized state of a table at a time, in plain pandas -------------

def owners_at(roots: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Rows of roots.parquet in force at ``t``: valid_from <= t < valid_to (null = open)."""
    return roots[(roots.valid_from <= t) & (roots.valid_to.isna() | (roots.valid_to > t))]


def materialize(table: pd.DataFrame, roots: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Rows live at ``t`` (created <= t, not deleted by t) with ``<point>_root_id`` looked up at ``t``."""
    live = table[(table.created <= t) & (table.deleted.isna() | (table.deleted > t))].copy()
    owner = owners_at(roots, t).set_index("supervoxel_id")["root_id"]
    assert owner.index.is_unique
    for col in [c for c in live.columns if c.endswith("_supervoxel_id")]:
        live[col.removesuffix("supervoxel_id") + "root_id"] = live[col].map(owner)
        assert live[col.removesuffix("supervoxel_id") + "root_id"].notna().all()
    return live


# ---- fixtures ------------------------------------------------------------------------------------

class Stack:
    """A generated datastack loaded into pandas."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.info = json.loads((path / "datastack.json").read_text())
        self.versions = json.loads((path / "versions.json").read_text())
        self.roots = pd.read_parquet(path / "segmentation" / "roots.parquet")
        self.tables = {name: ds.dataset(path / "tables" / f"{name}.parquet").to_table().to_pandas()
                       for name in EXPECTED_COLUMNS}
        self.meta = {name: json.loads((path / "tables" / f"{name}.json").read_text()) for name in EXPECTED_COLUMNS}

    def timestamps(self) -> list[pd.Timestamp]:
        return [pd.Timestamp(v["time_stamp"]) for v in self.versions]

    def at(self, table: str, version: int) -> pd.DataFrame:
        return materialize(self.tables[table], self.roots, self.timestamps()[version - 1])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(connectome.write(tmp_path_factory.mktemp("tiny"), size="tiny"))


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return Stack(connectome.write(tmp_path_factory.mktemp("medium"), "medium", n_neurons=400,
                                  n_synapses=60_000, seed=7))


# ---- layout and metadata -------------------------------------------------------------------------

def test_layout_and_datastack_info(tiny: Stack) -> None:
    assert tiny.path.name == "synthetic"
    assert tiny.info == {
        "datastack": "synthetic", "aligned_volume": {"name": "synthetic_volume", "id": 1},
        "voxel_resolution": [4.0, 4.0, 40.0], "synapse_table": "synapses", "soma_table": "nucleus_detection_v0",
        "description": tiny.info["description"],
    }
    assert (tiny.path / "tables" / "synapses.parquet").is_dir()
    assert sorted(p.name for p in (tiny.path / "views").iterdir()) == ["synapses_with_types.json",
                                                                      "synapses_with_types.sql"]
    assert not [p for p in tiny.path.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left


@pytest.mark.parametrize("table", sorted(EXPECTED_COLUMNS))
def test_parquet_schemas(tiny: Stack, table: str) -> None:
    schema = ds.dataset(tiny.path / "tables" / f"{table}.parquet").schema
    assert [(f.name, f.type) for f in schema] == EXPECTED_COLUMNS[table]
    roots = pq.read_schema(tiny.path / "segmentation" / "roots.parquet")
    assert [(f.name, f.type) for f in roots] == [("supervoxel_id", pa.int64()), ("root_id", pa.int64()),
                                                 ("valid_from", UTC_US), ("valid_to", UTC_US)]


def test_versions_include_an_expired_one(tiny: Stack) -> None:
    assert len(tiny.versions) >= 4
    assert all(set(v) == {"version", "time_stamp", "expires_on", "valid", "status", "is_merged"}
               for v in tiny.versions)
    stamps = tiny.timestamps()
    assert all(t.tzinfo is not None and t.utcoffset().total_seconds() == 0 for t in stamps)
    assert stamps == sorted(stamps) and [v["version"] for v in tiny.versions] == list(range(1, len(stamps) + 1))
    expired = [v for v in tiny.versions if v["status"] == "EXPIRED"]
    assert len(expired) == 1 and not expired[0]["valid"]
    assert pd.Timestamp(expired[0]["expires_on"]) < stamps[-1]
    assert all(v["is_merged"] for v in tiny.versions)
    assert all(v["valid"] and v["status"] == "AVAILABLE" for v in tiny.versions if v not in expired)


def test_table_metadata(tiny: Stack) -> None:
    for name, meta in tiny.meta.items():
        assert meta["table_name"] == name
        assert {"schema", "description", "reference_table", "voxel_resolution", "created", "notice_text",
                "valid", "last_modified", "aligned_volume"} <= set(meta)
        assert meta["voxel_resolution"] == [4.0, 4.0, 40.0]
        assert pd.Timestamp(meta["created"]) <= tiny.tables[name].created.min()
        table = tiny.tables[name]
        assert pd.Timestamp(meta["last_modified"]) == max(table.created.max(), table.deleted.max())
    assert tiny.meta["synapses"]["schema"] == "synapse"
    assert tiny.meta["nucleus_detection_v0"]["schema"] == "nucleus_detection"
    assert tiny.meta["cell_types"]["reference_table"] == "nucleus_detection_v0"
    assert tiny.meta["synapses"]["reference_table"] is None


# ---- segmentation history ------------------------------------------------------------------------

def test_each_supervoxel_has_one_root_at_every_version(tiny: Stack) -> None:
    all_svs = set(tiny.roots.supervoxel_id)
    for t in tiny.timestamps():
        owners = owners_at(tiny.roots, t)
        assert owners.supervoxel_id.is_unique and set(owners.supervoxel_id) == all_svs
    for name, table in tiny.tables.items():
        for col in [c for c in table.columns if c.endswith("_supervoxel_id")]:
            assert set(table[col]) <= all_svs, (name, col)


def test_supervoxel_ownership_is_contiguous_in_time(tiny: Stack) -> None:
    roots = tiny.roots.sort_values(["supervoxel_id", "valid_from"])
    same = roots.supervoxel_id.values[1:] == roots.supervoxel_id.values[:-1]
    assert (roots.valid_to.values[:-1][same] == roots.valid_from.values[1:][same]).all()
    first = roots.drop_duplicates("supervoxel_id", keep="first")
    last = roots.drop_duplicates("supervoxel_id", keep="last")
    assert (first.valid_from == connectome.T0).all() and last.valid_to.isna().all()


def test_root_ids_are_never_reused(tiny: Stack) -> None:
    real = tiny.roots[tiny.roots.root_id != 0]
    per_root = real.groupby("root_id").agg(
        starts=("valid_from", "nunique"), ends=("valid_to", lambda s: s.astype("string").nunique(dropna=False)))
    assert (per_root.starts == 1).all() and (per_root.ends == 1).all()
    assert real.root_id.min() > 2**53  # ids JSON floats cannot hold
    zero = tiny.roots[tiny.roots.root_id == 0]
    assert len(zero) and zero.valid_to.isna().all() and (zero.valid_from == connectome.T0).all()
    assert not set(zero.supervoxel_id) & set(real.supervoxel_id)


def test_merges_and_splits_happen(tiny: Stack) -> None:
    roots = tiny.roots[tiny.roots.root_id != 0]
    retired = roots[roots.valid_to.notna()]
    assert len(retired) and roots.valid_to.isna().any()
    step = retired.merge(roots, left_on=["supervoxel_id", "valid_to"], right_on=["supervoxel_id", "valid_from"],
                         suffixes=("_old", "_new"))
    assert len(step) == len(retired)  # every retired supervoxel passes to exactly one new root
    assert (step.groupby("root_id_old").root_id_new.nunique() > 1).any()  # a split
    assert (step.groupby("root_id_new").root_id_old.nunique() > 1).any()  # a merge
    edits = step.valid_to_old.drop_duplicates()
    assert (edits < tiny.timestamps()[0]).any() and (edits > tiny.timestamps()[-1]).any()


# ---- annotations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("table", sorted(EXPECTED_COLUMNS))
def test_annotation_history(tiny: Stack, table: str) -> None:
    df = tiny.tables[table]
    assert df.id.is_unique and (df.id > 0).all()
    assert (df.valid == df.deleted.isna()).all()
    assert df.deleted.notna().any()
    assert (df.deleted.dropna() > df.created[df.deleted.notna()]).all()
    assert (df.created > connectome.T0).all()
    assert max(df.created.max(), df.deleted.max()) <= connectome.T0 + pd.Timedelta(days=180)
    old = df[df.superceded_id.notna()]
    new = df.set_index("id").loc[old.superceded_id.astype("int64")]
    assert (new.created.values == old.deleted.values).all() and new.deleted.isna().all()
    first, last = tiny.timestamps()[0], tiny.timestamps()[-1]
    assert (df.created < first).any() and df.created.between(first, last).any()  # spread over the history
    assert df.deleted.between(first, last).any()


def test_synapses_have_updates_and_plain_deletes(tiny: Stack) -> None:
    df = tiny.tables["synapses"]
    assert df.superceded_id.notna().any()
    assert (df.deleted.notna() & df.superceded_id.isna()).any()


def test_materialized_synapses_have_autapses_and_root_zero(tiny: Stack) -> None:
    syn = tiny.at("synapses", 1)
    real = (syn.pre_pt_root_id != 0) & (syn.post_pt_root_id != 0)
    assert (real & (syn.pre_pt_root_id == syn.post_pt_root_id)).sum() > 0
    assert (syn.pre_pt_root_id == 0).any() and (syn.post_pt_root_id == 0).any()
    assert len(tiny.at("synapses", 1)) < len(tiny.at("synapses", 5))


def test_reference_targets_exist_and_are_live(tiny: Stack) -> None:
    cells, nuclei = tiny.tables["cell_types"], tiny.tables["nucleus_detection_v0"]
    assert set(cells.target_id) <= set(nuclei.id)
    for version in range(1, len(tiny.versions) + 1):
        live_cells, live_nuclei = tiny.at("cell_types", version), tiny.at("nucleus_detection_v0", version)
        assert set(live_cells.target_id) <= set(live_nuclei.id)
    final = tiny.at("cell_types", 5).merge(tiny.at("nucleus_detection_v0", 5), left_on="target_id", right_on="id")
    assert (final.pt_root_id_x == final.pt_root_id_y).all()  # label and nucleus sit on the same segment


def test_string_columns_have_several_values(tiny: Stack) -> None:
    cells = tiny.tables["cell_types"]
    assert cells.cell_type.nunique() == len(connectome.CELL_TYPES)
    assert set(cells.classification_system) == {"excitatory_neuron", "inhibitory_neuron"}


def test_positions_lie_in_the_box(tiny: Stack) -> None:
    for table in tiny.tables.values():
        for axis, size in zip("xyz", connectome.BOX):
            for col in [c for c in table.columns if c.endswith(f"_position_{axis}")]:
                assert table[col].between(0, size - 1).all()


def test_synapses_sorted_by_pre_supervoxel_then_id(tiny: Stack) -> None:
    raw = ds.dataset(tiny.path / "tables" / "synapses.parquet").to_table().to_pandas()
    keys = list(zip(raw.pre_pt_supervoxel_id, raw.id))
    assert keys == sorted(keys)


# ---- realism -------------------------------------------------------------------------------------

def _typed_synapses(stack: Stack) -> pd.DataFrame:
    syn, cells = stack.at("synapses", 5), stack.at("cell_types", 5)
    label = cells.groupby("pt_root_id").cell_type.agg(lambda s: s.iloc[0] if s.nunique() == 1 else None).dropna()
    syn = syn.assign(pre_type=syn.pre_pt_root_id.map(label), post_type=syn.post_pt_root_id.map(label))
    return syn.dropna(subset=["pre_type", "post_type"])


def test_connectivity_depends_on_cell_type(medium: Stack) -> None:
    syn = _typed_synapses(medium)
    matrix = pd.crosstab(syn.pre_type, syn.post_type)
    assert chi2_contingency(matrix.values).pvalue < 1e-12
    onto_mc = matrix["MC"] / matrix.sum(axis=1)
    assert onto_mc["BPC"] > 2 * (matrix["MC"].sum() / matrix.values.sum())


def test_synapses_lie_near_their_neurons(medium: Stack) -> None:
    syn = medium.at("synapses", 5)
    nuclei = medium.at("nucleus_detection_v0", 5).drop_duplicates("pt_root_id", keep=False)
    soma = nuclei.set_index("pt_root_id")[["pt_position_x", "pt_position_y", "pt_position_z"]]
    post = syn[syn.post_pt_root_id.isin(soma.index)]
    res = np.array(connectome.RESOLUTION)
    syn_nm = post[["post_pt_position_x", "post_pt_position_y", "post_pt_position_z"]].to_numpy() * res
    own = np.linalg.norm(syn_nm - soma.loc[post.post_pt_root_id].to_numpy() * res, axis=1)
    other = np.linalg.norm(syn_nm - soma.sample(len(post), replace=True, random_state=0).to_numpy() * res, axis=1)
    assert np.median(own) < 0.5 * np.median(other)


def test_view_runs_over_materialized_tables(tiny: Stack) -> None:
    sql = (tiny.path / "views" / "synapses_with_types.sql").read_text()
    synapses, cell_types = tiny.at("synapses", 5), tiny.at("cell_types", 5)
    con = duckdb.connect()
    con.register("synapses", synapses)
    con.register("cell_types", cell_types)
    view = con.sql(sql).df()
    assert view.id.is_unique and set(view.id) == set(synapses.id)
    assert {"pre_pt_root_id", "post_pt_root_id", "pre_cell_type", "post_cell_type", "size",
            "ctr_pt_position_x"} <= set(view.columns)
    typed = _typed_synapses(tiny).set_index("id")
    joined = view.set_index("id").loc[typed.index]
    assert (joined.pre_cell_type == typed.pre_type).all() and (joined.post_cell_type == typed.post_type).all()
    assert (view.pre_cell_type[view.pre_pt_root_id == 0] == "unlabeled").all()
    assert (view.pre_pt_root_id == 0).any()


# ---- determinism, atomicity, arguments -----------------------------------------------------------

def _digest(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_same_arguments_give_identical_files(tmp_path: Path, tiny: Stack) -> None:
    again = connectome.write(tmp_path, size="tiny")
    assert _digest(again) == _digest(tiny.path)
    other = connectome.write(tmp_path, "other", size="tiny", seed=1)
    differing = {k for k, v in _digest(other).items() if _digest(again).get(k) != v}
    assert "segmentation/roots.parquet" in differing and "tables/synapses.parquet/part-00000.parquet" in differing


def test_rewrite_replaces_existing_datastack(tmp_path: Path) -> None:
    first = connectome.write(tmp_path, "s", size="tiny", n_synapses=100)
    (first / "stale.txt").write_text("old")
    second = connectome.write(tmp_path, "s", size="tiny", n_synapses=200)
    assert second == first and not (second / "stale.txt").exists()
    assert ds.dataset(second / "tables" / "synapses.parquet").count_rows() >= 200
    assert [p.name for p in tmp_path.iterdir()] == ["s"]


def test_custom_counts_override_the_preset(tmp_path: Path) -> None:
    path = connectome.write(tmp_path, size="large", n_neurons=30, n_synapses=1_000)
    nuclei = pq.read_table(path / "tables" / "nucleus_detection_v0.parquet").to_pandas()
    assert (nuclei.valid & nuclei.pt_supervoxel_id.isin(connectome._sv(np.arange(30), 0))).sum() == 30
    n_rows = ds.dataset(path / "tables" / "synapses.parquet").count_rows()
    assert 1_000 <= n_rows < 1_100  # updates add a replacement row each


def test_unknown_size_lists_valid_sizes(tmp_path: Path) -> None:
    valid = r"unknown size 'smal'; did you mean 'small'\? \(valid sizes: tiny, small, large\)"
    with pytest.raises(BadInputError, match=valid):
        connectome.write(tmp_path, size="smal")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("kwargs, message", [
    ({"n_neurons": 3}, "n_neurons must be an integer >= 25"),
    ({"n_synapses": 0}, "n_synapses must be an integer >= 1"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"datastack": "../x"}, "must be a plain name"),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        connectome.write(tmp_path, **{"size": "tiny", **kwargs})


def test_size_presets() -> None:
    assert list(connectome.SIZES) == ["tiny", "small", "large"]
    assert connectome.SIZES["large"]["n_synapses"] >= 20_000_000
    assert connectome.SIZES["tiny"]["n_neurons"] >= connectome.MIN_NEURONS
