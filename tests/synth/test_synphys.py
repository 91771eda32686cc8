"""The synthetic synphys release: schema-22 layout, storage conventions, realistic structure, determinism, atomicity."""

from __future__ import annotations

import hashlib
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.errors import BadInputError
from engine.files import sha256_file
from engine.synth import synphys

REPO = Path(synphys.__file__).resolve().parents[2]
STORAGE = {"INTEGER": {"integer"}, "BOOLEAN": {"integer"}, "FLOAT": {"real"}, "VARCHAR": {"text"},
           "DATETIME": {"text"}, "BLOB": {"blob"}}
EMPTY_ALLOWED = {  # array columns where a missing array is the empty blob b''
    ("synapse_model", "sparse_pca_vector"), ("resting_state_fit", "ic_avg_data"), ("resting_state_fit", "ic_pulse_ids"),
    ("resting_state_fit", "vc_avg_data"), ("resting_state_fit", "vc_pulse_ids"),
    ("synapse_prediction", "ic_average_response"), ("synapse_prediction", "vc_average_response"),
}
# The standard 17-class mouse matrix: (cre types, cortical layers, dendrite type).
MOUSE_CLASSES = {
    "l23pyr": (None, ("2/3",), "spiny"), "l4pyr": (("nr5a1", "rorb"), ("4",), None),
    "l5et": (("sim1", "fam84b"), ("5",), None), "l5it": (("tlx3",), ("5",), None),
    "l6pyr": (("ntsr1",), ("6a", "6b"), None),
    **{f"l{name}{cre}": ((cre,), layers, None)
       for name, layers in (("23", ("2/3",)), ("4", ("4",)), ("5", ("5",)), ("6", ("6a", "6b")))
       for cre in ("pvalb", "sst", "vip")},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synphys.write(tmp_path_factory.mktemp("tiny"), size="tiny")


@pytest.fixture(scope="module")
def db(tiny: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(f"file:{tiny}?mode=ro", uri=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = synphys.write(tmp_path_factory.mktemp("small"), size="small")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    yield con
    con.close()


def rows(con: sqlite3.Connection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def value(con: sqlite3.Connection, sql: str, *params: object) -> object:
    return con.execute(sql, params).fetchone()[0]


def columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for _, name, kind, *_ in rows(con, f"PRAGMA table_info({table})")]


def table_digests(path: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        digests = {}
        for table in synphys.TABLES:
            h = hashlib.sha256(value(con, "SELECT sql FROM sqlite_master WHERE name = ?", table).encode())
            for row in con.execute(f"SELECT * FROM {table} ORDER BY id"):
                h.update(repr(row).encode())
            digests[table] = h.hexdigest()
        return digests
    finally:
        con.close()


def test_file_name_inside_a_directory(tiny: Path) -> None:
    assert tiny.name == synphys.release_file_name("2.1", "tiny") == "synphys_r2.1_tiny.sqlite"
    assert [p.name for p in tiny.parent.iterdir()] == [tiny.name]


def test_same_arguments_give_identical_content(tmp_path: Path) -> None:
    a = synphys.write(tmp_path / "a.sqlite", size="tiny", seed=3)
    b = synphys.write(tmp_path / "b.sqlite", size="tiny", seed=3)
    other = synphys.write(tmp_path / "c.sqlite", size="tiny", seed=4)
    digests = table_digests(a)
    assert digests == table_digests(b)
    assert sha256_file(a) == sha256_file(b)
    changed = {t for t, d in table_digests(other).items() if d != digests[t]}
    assert {"cell", "pair", "synapse"} <= changed


def test_n_experiments_overrides_the_size(tmp_path: Path) -> None:
    path = synphys.write(tmp_path / "five.sqlite", size="full", n_experiments=5)
    con = sqlite3.connect(path)
    try:
        assert value(con, "SELECT count(*) FROM experiment") == 5
        assert value(con, "SELECT count(*) FROM pair") > 0
    finally:
        con.close()


def test_all_tables_with_columns_in_declaration_order(db: sqlite3.Connection) -> None:
    assert len(synphys.TABLES) == 32
    assert {t for (t,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")} == set(synphys.TABLES)
    for table in synphys.TABLES:
        cols = columns(db, table)
        assert cols[0] == ("id", "INTEGER") and cols[-1] == ("meta", "VARCHAR"), table
        assert {kind for _, kind in cols} <= set(STORAGE), table
        assert rows(db, f"SELECT name FROM pragma_table_info('{table}') WHERE pk = 1") == [("id",)]
    assert [name for name, _ in columns(db, "pair")] == [
        "id", "experiment_id", "pre_cell_id", "post_cell_id", "has_synapse", "has_polysynapse", "has_electrical",
        "crosstalk_artifact", "n_ex_test_spikes", "n_in_test_spikes", "distance", "lateral_distance",
        "vertical_distance", "reciprocal_id", "meta"]
    assert [name for name, _ in columns(db, "metadata")] == ["id", "meta"]
    assert len(columns(db, "intrinsic")) == 36 and len(columns(db, "synapse_prediction")) == 70


def test_foreign_keys_are_declared_indexed_and_resolve(db: sqlite3.Connection) -> None:
    declared = set()
    for table in synphys.TABLES:
        indexes = {name: unique for _, name, unique, *_ in rows(db, f"PRAGMA index_list({table})")}
        for _, _, ref, column, to, *_ in rows(db, f"PRAGMA foreign_key_list({table})"):
            declared.add((table, column, ref))
            assert ref in synphys.TABLES and to == "id"
            assert f"ix_{table}_{column}" in indexes
            dangling = value(db, f"SELECT count(*) FROM {table} t LEFT JOIN {ref} r ON r.id = t.{column} "
                                 f"WHERE t.{column} IS NOT NULL AND r.id IS NULL")
            assert dangling == 0, (table, column)
    assert {("pair", "pre_cell_id", "cell"), ("pair", "post_cell_id", "cell"), ("pair", "reciprocal_id", "pair"),
            ("cell", "electrode_id", "electrode"), ("experiment", "slice_id", "slice"), ("synapse", "pair_id", "pair"),
            ("cortical_cell_location", "cortical_site_id", "cortical_site"), ("conductance", "synapse_id", "synapse"),
            ("recording", "sync_rec_id", "sync_rec"), ("pulse_response", "baseline_id", "baseline")} <= declared
    fk_like = {(t, c) for t in synphys.TABLES for c, _ in columns(db, t)
               if c.endswith("_id") and c not in ("ext_id", "job_id", "device_id", "tube_id")}
    assert fk_like == {(t, c) for t, c, _ in declared}


def test_unique_and_plain_indexes(db: sqlite3.Connection) -> None:
    def unique(table: str, column: str) -> int:
        return {name: u for _, name, u, *_ in rows(db, f"PRAGMA index_list({table})")}[f"ix_{table}_{column}"]

    for table, column in (("slice", "ext_id"), ("experiment", "ext_id"), ("experiment", "acq_timestamp"),
                          ("morphology", "cell_id"), ("patch_seq", "cell_id"), ("dynamics", "pair_id"),
                          ("synapse_model", "pair_id"), ("pulse_response_fit", "pulse_response_id")):
        assert unique(table, column) == 1
    for table, column in (("intrinsic", "cell_id"), ("synapse", "pair_id"), ("pair", "has_synapse"),
                          ("cell", "cre_type"), ("intrinsic", "rheobase"), ("gap_junction", "junctional_conductance")):
        assert unique(table, column) == 0


def test_values_are_stored_with_their_declared_type(db: sqlite3.Connection) -> None:
    for table in synphys.TABLES:
        for column, kind in columns(db, table):
            found = {t for (t,) in rows(db, f"SELECT DISTINCT typeof({column}) FROM {table}")} - {"null"}
            assert found <= STORAGE[kind], (table, column, found)
            if kind == "BOOLEAN":
                assert {v for (v,) in rows(db, f"SELECT DISTINCT {column} FROM {table}")} <= {0, 1, None}
            if kind == "DATETIME":
                for (v,) in rows(db, f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):
                    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", v), (table, column, v)


def test_pulse_level_tables_are_empty_and_the_rest_populated(db: sqlite3.Connection) -> None:
    empty = {"pipeline", "patch_clamp_recording", "multi_patch_probe", "test_pulse", "stim_pulse", "stim_spike",
             "baseline", "pulse_response", "pulse_response_fit", "pulse_response_strength"}
    for table in synphys.TABLES:
        count = value(db, f"SELECT count(*) FROM {table}")
        assert (count == 0) == (table in empty), (table, count)


def test_metadata_row(tmp_path: Path) -> None:
    path = synphys.write(tmp_path / "m.sqlite", size="tiny", n_experiments=2, schema_version="21",
                         creation_date="2020-01-02")
    con = sqlite3.connect(path)
    try:
        assert rows(con, "SELECT id, meta FROM metadata") == [(1, json.dumps({
            "db_version": "21", "creation_date": "2020-01-02",
            "origin": "Allen Institute for Brain Science / Synaptic Physiology"}))]
    finally:
        con.close()


def test_every_ordered_pair_with_its_reciprocal(db: sqlite3.Connection) -> None:
    per_experiment = rows(db, "SELECT e.id, (SELECT count(*) FROM cell c WHERE c.experiment_id = e.id), "
                              "(SELECT count(*) FROM pair p WHERE p.experiment_id = e.id) FROM experiment e")
    assert all(2 <= n <= 8 and pairs == n * (n - 1) for _, n, pairs in per_experiment)
    assert value(db, "SELECT count(*) FROM pair WHERE pre_cell_id = post_cell_id") == 0
    assert value(db, "SELECT count(DISTINCT pre_cell_id || '-' || post_cell_id) FROM pair") == value(
        db, "SELECT count(*) FROM pair")
    assert value(db, """SELECT count(*) FROM pair p JOIN pair r ON r.id = p.reciprocal_id
                        WHERE r.pre_cell_id = p.post_cell_id AND r.post_cell_id = p.pre_cell_id
                        AND r.reciprocal_id = p.id""") == value(db, "SELECT count(*) FROM pair")
    assert value(db, """SELECT count(*) FROM pair p JOIN cell a ON a.id = p.pre_cell_id
                        JOIN cell b ON b.id = p.post_cell_id
                        WHERE a.experiment_id != p.experiment_id OR b.experiment_id != p.experiment_id""") == 0
    assert value(db, "SELECT count(*) FROM cell c JOIN electrode e ON e.id = c.electrode_id "
                     "WHERE e.experiment_id != c.experiment_id OR e.ext_id != c.ext_id") == 0


def test_value_domains(db: sqlite3.Connection) -> None:
    assert {s for (s,) in rows(db, "SELECT DISTINCT species FROM slice")} == {"mouse", "human"}
    assert rows(db, """SELECT DISTINCT s.species, e.project_name FROM experiment e JOIN slice s ON s.id = e.slice_id
                       ORDER BY 1, 2""") == [("human", "human coarse matrix"), ("mouse", "mouse V1 coarse matrix"),
                                            ("mouse", "mouse V1 pre-production")]
    lo, hi, n_null = rows(db, "SELECT min(distance), max(distance), sum(lateral_distance IS NULL) FROM pair")[0]
    assert 10e-6 < lo < hi < 400e-6 and n_null > 0
    null_fraction = value(db, "SELECT avg(has_synapse IS NULL) FROM pair")
    assert 0 < null_fraction < 0.3
    assert value(db, "SELECT count(*) FROM pair WHERE n_ex_test_spikes NOT BETWEEN 60 AND 1600 "
                     "AND n_ex_test_spikes != 0") == 0
    assert value(db, "SELECT count(*) FROM pair WHERE n_ex_test_spikes = 0") > 0
    cre = [c for (c,) in rows(db, "SELECT DISTINCT cre_type FROM cell WHERE cre_type IS NOT NULL")]
    known = set(synphys.INHIBITORY_CRE_TYPES + synphys.EXCITATORY_CRE_TYPES + ("unknown",))
    assert "unknown" in cre and any("," in c for c in cre)
    assert all(set(c.split(",")) <= known for c in cre)
    assert value(db, """SELECT avg(c.cre_type = 'unknown') FROM cell c JOIN experiment e ON e.id = c.experiment_id
                        JOIN slice s ON s.id = e.slice_id WHERE s.species = 'human'""") > 0.8
    for species, layers in (("mouse", {"2/3", "4", "5", "6a", "6b"}), ("human", set(synphys.HUMAN_LAYERS))):
        found = {l for (l,) in rows(db, """SELECT DISTINCT l.cortical_layer FROM cortical_cell_location l
            JOIN cell c ON c.id = l.cell_id JOIN experiment e ON e.id = c.experiment_id
            JOIN slice s ON s.id = e.slice_id WHERE s.species = ?""", species)}
        assert found and found <= layers
    for column in ("cell_class", "cell_class_nonsynaptic"):
        assert {v for (v,) in rows(db, f"SELECT DISTINCT {column} FROM cell")} <= {"ex", "in", "mixed", None}
        assert value(db, f"SELECT avg({column} IN ('ex', 'in')) FROM cell") > 0.7
    assert {v for (v,) in rows(db, "SELECT DISTINCT dendrite_type FROM morphology")} <= {
        "spiny", "aspiny", "sparsely spiny", "NEI"}
    assert value(db, "SELECT count(*) FROM slice WHERE species = 'mouse' AND age NOT BETWEEN 40 AND 90") == 0
    assert value(db, "SELECT count(*) FROM slice WHERE species = 'human' "
                     "AND age NOT BETWEEN 20 * 365 AND 81 * 365") == 0
    assert value(db, """SELECT count(*) FROM experiment e JOIN slice s ON s.id = e.slice_id WHERE s.species = 'mouse'
                        AND CAST(julianday(date(e.date)) - julianday(s.date_of_birth) AS INTEGER) != s.age""") == 0
    assert value(db, "SELECT count(*) FROM experiment WHERE ext_id != printf('%.3f', acq_timestamp)") == 0


def test_connections_follow_the_pre_cell(db: sqlite3.Connection) -> None:
    synapse_pairs = {p for (p,) in rows(db, "SELECT pair_id FROM synapse")}
    assert synapse_pairs == {p for (p,) in rows(db, "SELECT id FROM pair WHERE has_synapse = 1")}
    assert value(db, "SELECT count(*) FROM synapse") == len(synapse_pairs) > 0
    assert value(db, """SELECT count(*) FROM synapse s JOIN pair p ON p.id = s.pair_id
                        JOIN cell c ON c.id = p.pre_cell_id
                        WHERE c.cell_class IN ('ex', 'in') AND c.cell_class != s.synapse_type""") == 0
    assert value(db, "SELECT count(*) FROM synapse WHERE (synapse_type = 'ex') != (psp_amplitude > 0)") == 0
    assert value(db, "SELECT count(*) FROM synapse WHERE latency NOT BETWEEN 0.5e-3 AND 2e-3") == 0
    for table in ("dynamics", "synapse_model"):
        assert {p for (p,) in rows(db, f"SELECT pair_id FROM {table}")} == synapse_pairs
    for table in ("resting_state_fit", "conductance"):
        assert value(db, f"SELECT count(DISTINCT synapse_id) FROM {table}") == len(synapse_pairs)
    assert {p for (p,) in rows(db, "SELECT pair_id FROM synapse_prediction")} == {
        p for (p,) in rows(db, "SELECT id FROM pair WHERE n_ex_test_spikes > 10 OR n_in_test_spikes > 10")}
    assert value(db, "SELECT count(*) FROM poly_synapse") == value(
        db, "SELECT count(*) FROM pair WHERE has_polysynapse")


def test_gap_junctions_are_probed_with_target_v_on_both_electrodes(db: sqlite3.Connection) -> None:
    electrical = {p for (p,) in rows(db, "SELECT id FROM pair WHERE has_electrical = 1")}
    assert electrical and {p for (p,) in rows(db, "SELECT pair_id FROM gap_junction")} == electrical
    target_v = ("EXISTS (SELECT 1 FROM recording r WHERE r.electrode_id = {}.electrode_id "
                "AND r.stim_name LIKE '%TargetV%')")
    probed = {p for (p,) in rows(db, f"""SELECT p.id FROM pair p JOIN cell a ON a.id = p.pre_cell_id
        JOIN cell b ON b.id = p.post_cell_id WHERE {target_v.format("a")} AND {target_v.format("b")}""")}
    assert electrical <= probed < {p for (p,) in rows(db, "SELECT id FROM pair")}
    assert value(db, "SELECT count(*) FROM pair p JOIN pair r ON r.id = p.reciprocal_id "
                     "WHERE p.has_electrical IS NOT r.has_electrical AND p.has_synapse IS NOT NULL "
                     "AND r.has_synapse IS NOT NULL") == 0
    assert value(db, "SELECT count(*) FROM recording WHERE stim_name = 'PulseTrain_50Hz_DA_0'") == value(
        db, "SELECT count(*) FROM cell")


def test_optional_per_cell_rows(db: sqlite3.Connection) -> None:
    n_cells = value(db, "SELECT count(*) FROM cell")
    for table in ("morphology", "patch_seq", "intrinsic", "cortical_cell_location"):
        assert 0 < value(db, f"SELECT count(DISTINCT cell_id) FROM {table}") < n_cells, table
    assert value(db, "SELECT count(*) - count(DISTINCT cell_id) FROM intrinsic") > 0
    assert value(db, """SELECT count(*) FROM patch_seq p JOIN cell c ON c.id = p.cell_id
                        JOIN experiment e ON e.id = c.experiment_id WHERE e.internal != 'PatchSeq'""") == 0
    agree = value(db, """SELECT avg(p.mapped_subclass = c.cre_type) FROM patch_seq p JOIN cell c ON c.id = p.cell_id
                         WHERE c.cre_type IN ('pvalb', 'sst', 'vip') AND p.mapped_subclass IS NOT NULL""")
    assert agree is None or agree > 0.8


def test_npy_blobs_decode_and_missing_arrays_are_empty(db: sqlite3.Connection) -> None:
    for table in synphys.TABLES:
        for column, kind in columns(db, table):
            if kind != "BLOB":
                continue
            empty = value(db, f"SELECT count(*) FROM {table} WHERE {column} = x''")
            assert (empty > 0) == ((table, column) in EMPTY_ALLOWED), (table, column)
            for (blob,) in rows(db, f"SELECT {column} FROM {table} WHERE length({column}) > 0"):
                array = np.load(io.BytesIO(blob), allow_pickle=False)
                assert array.ndim == 1 and np.isfinite(array).all()
    assert value(db, "SELECT count(*) FROM avg_response_fit WHERE avg_data IS NULL") > 0
    assert value(db, "SELECT count(*) FROM synapse_model WHERE length(sparse_pca_vector) > 0") > 0


def test_json_columns(db: sqlite3.Connection) -> None:
    for (text,) in rows(db, "SELECT position FROM cell WHERE position IS NOT NULL"):
        position = json.loads(text)
        assert len(position) == 3 and all(isinstance(v, float) for v in position)
    for (text,) in rows(db, "SELECT meta FROM cell"):
        assert set(json.loads(text)) == {"lims_specimen_id", "transgenic_cell_class", "morpho_cell_class",
                                         "synaptic_cell_class", "transcriptomic_cell_class"}
    for (text,) in rows(db, "SELECT meta FROM experiment"):
        assert set(json.loads(text)) == {"lims_cell_cluster_id", "lims_ephys_result_id"}
    for layer, text in rows(db, "SELECT cortical_layer, meta FROM cortical_cell_location"):
        assert json.loads(text) == {"lims_layer": "Layer" + layer}
    assert value(db, "SELECT count(*) FROM pair WHERE meta != 'null'") == 0
    assert value(db, "SELECT count(*) FROM cortical_cell_location WHERE position = 'null'") > 0
    for (text,) in rows(db, "SELECT layer_boundaries FROM cortical_site"):
        bounds = json.loads(text)
        assert list(bounds) in (list(synphys.MOUSE_LAYERS), list(synphys.HUMAN_LAYERS))


def test_the_standard_mouse_classes_have_members(db: sqlite3.Connection) -> None:
    assert len(MOUSE_CLASSES) == 17
    for name, (cre, layers, dendrite) in MOUSE_CLASSES.items():
        sql = """SELECT count(*) FROM cell c JOIN cortical_cell_location l ON l.cell_id = c.id
                 LEFT JOIN morphology m ON m.cell_id = c.id
                 WHERE l.cortical_layer IN (SELECT value FROM json_each(?))"""
        params: list[object] = [json.dumps(layers)]
        if cre:
            sql += " AND c.cre_type IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(cre))
        if dendrite:
            sql += " AND m.dendrite_type = ?"
            params.append(dendrite)
        assert value(db, sql, *params) > 0, name


def test_unknown_size_and_bad_arguments_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="tiny, small, medium, full"):
        synphys.write(tmp_path / "x.sqlite", size="huge")
    with pytest.raises(BadInputError, match="n_experiments"):
        synphys.write(tmp_path / "x.sqlite", size="tiny", n_experiments=0)
    with pytest.raises(BadInputError, match="creation_date"):
        synphys.write(tmp_path / "x.sqlite", size="tiny", creation_date="May 7")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    final = tmp_path / "interrupted.sqlite"
    code = "import sys; from engine.synth import synphys; synphys.write(sys.argv[1], size='medium')"
    proc = subprocess.Popen([sys.executable, "-c", code, str(final)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        # Interrupt mid-generation: once sqlite has spilled pages into the temp file.
        while not any(p.stat().st_size > 0 for p in tmp_path.glob(".interrupted.sqlite.*.tmp")):
            assert proc.poll() is None and time.monotonic() < deadline, "generation never got under way"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_small_has_release_scale_and_structured_connectivity(small: sqlite3.Connection) -> None:
    assert 80_000 < value(small, "SELECT count(*) FROM pair") < 100_000
    probed = """FROM pair p JOIN cell a ON a.id = p.pre_cell_id JOIN cell b ON b.id = p.post_cell_id
        WHERE p.has_synapse IS NOT NULL AND ((a.cell_class_nonsynaptic = 'ex' AND p.n_ex_test_spikes > 10)
           OR (a.cell_class_nonsynaptic = 'in' AND p.n_in_test_spikes > 10))"""
    cp = dict(((pre, post), k / n) for pre, post, k, n in rows(
        small, f"SELECT a.cell_class_nonsynaptic, b.cell_class_nonsynaptic, sum(p.has_synapse), count(*) {probed} "
               "AND b.cell_class_nonsynaptic IN ('ex', 'in') GROUP BY 1, 2"))
    assert 0.02 < cp["ex", "ex"] < 0.1
    assert cp["in", "ex"] > 2 * cp["ex", "ex"] and cp["ex", "in"] > 1.5 * cp["ex", "ex"]
    by_cre = dict(((pre, post), k / n) for pre, post, k, n in rows(
        small, f"SELECT a.cre_type, b.cre_type, sum(p.has_synapse), count(*) {probed} "
               "AND a.cre_type IN ('pvalb', 'sst') AND b.cre_type IN ('pvalb', 'sst') GROUP BY 1, 2"))
    assert by_cre["pvalb", "pvalb"] > 3 * by_cre["sst", "sst"]
    near, far = (value(small, f"SELECT avg(p.has_synapse) {probed} AND p.lateral_distance {cond}")
                 for cond in ("< 75e-6", "> 150e-6"))
    assert near > 2 * far
