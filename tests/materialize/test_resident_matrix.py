"""connectivity from a resident synapse table (numpy) against the Parquet path (DuckDB) and the pandas reference."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.errors import QueryError
from engine.materialize import MaterializationClient

from .reference import Reference

INHIBITORY = {"filter_equal_dict": {"classification_system": "inhibitory_neuron"}}
SOME_TYPES = {"filter_in_dict": {"cell_type": ["BC", "MC", "23P", "4P"]}}
UNKNOWN_SV = 123  # no row of roots.parquet has it


def _inhibitory(cells: pd.DataFrame) -> pd.Series:
    return cells.classification_system == "inhibitory_neuron"


def _some_types(cells: pd.DataFrame) -> pd.Series:
    return cells.cell_type.isin(SOME_TYPES["filter_in_dict"]["cell_type"])


@pytest.fixture(scope="module")
def synapses_resident(mirror_root: Path) -> MaterializationClient:
    with MaterializationClient(mirror_root, "synthetic", in_memory=("synapses",)) as c:
        yield c


@pytest.fixture(scope="module")
def odd_root(mirror_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy whose synapses include supervoxel 0 and unknown supervoxels, plus ``cell_labels``: the
    cell types without a point of their own (segments located through the nucleus table)."""
    root = tmp_path_factory.mktemp("odd")
    shutil.copytree(mirror_root / "synthetic", root / "synthetic")
    tables = root / "synthetic" / "tables"
    (part,) = (tables / "synapses.parquet").glob("*.parquet")
    syn = pq.read_table(part)
    row = np.arange(syn.num_rows)
    pre, post = syn.column("pre_pt_supervoxel_id").to_numpy(), syn.column("post_pt_supervoxel_id").to_numpy()
    pre = np.where(row % 3 == 0, 0, np.where(row % 7 == 0, UNKNOWN_SV, pre))
    post = np.where(row % 5 == 0, UNKNOWN_SV, np.where(row % 11 == 0, 0, post))
    for name, values in (("pre_pt_supervoxel_id", pre), ("post_pt_supervoxel_id", post)):
        syn = syn.set_column(syn.schema.get_field_index(name), syn.schema.field(name), pa.array(values, pa.int64()))
    pq.write_table(syn, part)
    cells = pq.read_table(tables / "cell_types.parquet")
    pq.write_table(cells.drop_columns([c for c in cells.column_names if c.startswith("pt_")]),
                   tables / "cell_labels.parquet")
    meta = json.loads((tables / "cell_types.json").read_text())
    (tables / "cell_labels.json").write_text(json.dumps({**meta, "table_name": "cell_labels", "id": 9}))
    assert UNKNOWN_SV not in set(pq.read_table(root / "synthetic" / "segmentation" / "roots.parquet")
                                 .column("supervoxel_id").to_pylist())
    return root


def _moments(ref: Reference) -> list[pd.Timestamp]:
    """Every version (the expired one too), a time between versions, edit instants and row boundaries."""
    edits = ref.roots.valid_from[ref.roots.valid_from > ref.roots.valid_from.min()].sort_values()
    raw = ref.raw["synapses"]
    deleted = raw.deleted.dropna().sort_values()
    return [*(ref.ts(v) for v in sorted(ref.versions)), pd.Timestamp("2024-04-15", tz="UTC"),
            edits.iloc[len(edits) // 2], edits.iloc[len(edits) // 2] - pd.Timedelta(microseconds=1),
            deleted.iloc[len(deleted) // 2], raw.created.sort_values().iloc[len(raw) * 9 // 10]]


def _labels(ref: Reference, table: str, t: pd.Timestamp, column: str,
            keep: Callable[[pd.DataFrame], pd.Series] | None) -> pd.Series:
    """root -> smallest label at ``t`` (the table's own point, else its reference table's)."""
    cells = ref.state(table, t)
    if "pt_root_id" not in cells:
        nuclei = ref.state("nucleus_detection_v0", t)[["id", "pt_root_id"]]
        cells = cells.merge(nuclei, left_on="target_id", right_on="id", suffixes=("", "_nucleus"))
    if keep is not None:
        cells = cells[keep(cells)]
    cells = cells[cells.pt_root_id.notna() & (cells.pt_root_id != 0)]
    return cells.groupby("pt_root_id")[column].min()


def _expected(ref: Reference, t: pd.Timestamp, *, table: str = "cell_types", by: tuple[str, str] = ("cell_type",) * 2,
              pre: Callable | None = None, post: Callable | None = None, remove_autapses: bool = True) -> pd.DataFrame:
    syn, owner = ref.state("synapses", t), ref.owner(t)
    # root ids again as Python ints: Reference.state's column turns float (inexact above 2**53) when one is unknown
    pre_root, post_root = (pd.Series([0 if s == 0 else owner.get(s) for s in syn[f"{side}_pt_supervoxel_id"]],
                                     dtype=object) for side in ("pre", "post"))
    frame = syn.assign(pre_pt_root_id=pre_root, post_pt_root_id=post_root,
                       pre=pre_root.map(_labels(ref, table, t, by[0], pre)),
                       post=post_root.map(_labels(ref, table, t, by[1], post)),
                       size=syn["size"].astype("float64")).dropna(subset=["pre", "post"])
    if remove_autapses:
        frame = frame[frame.pre_pt_root_id != frame.post_pt_root_id]
    return frame.groupby(["pre", "post"]).agg(n=("id", "size"), s=("size", "sum")).reset_index()


def _same(got: pa.Table, plain: pa.Table, expected: pd.DataFrame) -> None:
    """Resident == Parquet path (types, labels, counts; sums up to summation order) == the reference."""
    assert got.schema == plain.schema
    for column in got.column_names[:3]:
        assert got.column(column).to_pylist() == plain.column(column).to_pylist()
    np.testing.assert_allclose(got.column("sum_size").to_numpy(), plain.column("sum_size").to_numpy(), rtol=1e-12)
    pre, post, n, s = (got.column(i).to_pylist() for i in range(4))
    assert pre == expected.pre.tolist() and post == expected.post.tolist() and n == expected.n.tolist()
    assert s == pytest.approx(expected.s.tolist(), rel=1e-12)


@pytest.mark.parametrize("remove_autapses", [True, False])
def test_matrix_matches_parquet_path_and_reference(
    client: MaterializationClient, synapses_resident: MaterializationClient, resident: MaterializationClient,
    ref: Reference, remove_autapses: bool,
) -> None:
    """Both resident clients (synapses only; every table) at versions, between them and at edit / row instants."""
    cases = [({}, {}), ({"pre_filter": INHIBITORY}, {"pre": _inhibitory}),
             ({"post_filter": SOME_TYPES, "pre_filter": INHIBITORY}, {"post": _some_types, "pre": _inhibitory})]
    for t in _moments(ref):
        for args, keep in cases:
            query = dict(timestamp=t.to_pydatetime(), remove_autapses=remove_autapses, return_format="arrow", **args)
            plain = client.connectivity(**query)
            expected = _expected(ref, t, remove_autapses=remove_autapses, **keep)
            assert len(expected)
            _same(synapses_resident.connectivity(**query), plain, expected)
            _same(resident.connectivity(**query), plain, expected)


def test_matrix_labels_of_other_types_and_tables(client: MaterializationClient,
                                                 synapses_resident: MaterializationClient, ref: Reference) -> None:
    """Different label columns per side; float labels from the nucleus table."""
    for v in (1, 3, 5):
        t = ref.ts(v)
        for by in (("classification_system", "cell_type"), ("volume", "volume")):
            plain = client.connectivity(by=by, timestamp=t, return_format="arrow")
            got = synapses_resident.connectivity(by=by, timestamp=t, return_format="arrow")
            table = "cell_types" if by[1] == "cell_type" else "nucleus_detection_v0"
            _same(got, plain, _expected(ref, t, by=by, table=table))


def test_matrix_with_unknown_supervoxels_and_reference_labels(odd_root: Path) -> None:
    """Labels located by the table's own point or its reference table's; 0 / unknown supervoxels never labelled.

    Most synapses lose a side here, so the nucleus volumes (more cells than rows) use the sparse grouping.
    """
    ref = Reference(odd_root / "synthetic")
    cases = [("cell_types", "cell_type", INHIBITORY, _inhibitory), ("cell_labels", "cell_type", None, None),
             ("cell_labels", "cell_type", INHIBITORY, _inhibitory), ("nucleus_detection_v0", "volume", None, None)]
    with (MaterializationClient(odd_root, "synthetic") as plain,
          MaterializationClient(odd_root, "synthetic", in_memory=("synapses",)) as resident):
        for t in _moments(ref)[1:]:
            for table, column, pre_filter, keep in cases:
                for remove_autapses in (True, False):
                    query = dict(label_table=table, by=(column, column), timestamp=t.to_pydatetime(),
                                 pre_filter=pre_filter, remove_autapses=remove_autapses, return_format="arrow")
                    expected = _expected(ref, t, table=table, by=(column, column), pre=keep,
                                         remove_autapses=remove_autapses)
                    assert len(expected)
                    _same(resident.connectivity(**query), plain.connectivity(**query), expected)


def test_other_shapes_keep_the_duckdb_path(client: MaterializationClient,
                                           synapses_resident: MaterializationClient) -> None:
    for args in ({"unlabeled": "?"}, {"synapse_filter": {"filter_greater_dict": {"size": 300.0}}},
                 {"by": ("pre_pt_root_id", "cell_type")}):
        got = synapses_resident.connectivity(materialization_version=4, return_format="arrow", **args)
        assert got.equals(client.connectivity(materialization_version=4, return_format="arrow", **args))


def test_resident_matrix_reads_no_synapse_parquet(odd_root: Path, tmp_path: Path) -> None:
    """With the synapses preloaded, the matrix needs no synapse file: it really comes from memory."""
    shutil.copytree(odd_root / "synthetic", tmp_path / "synthetic")
    ref = Reference(tmp_path / "synthetic")
    with MaterializationClient(tmp_path, "synthetic", in_memory=("synapses",)) as resident:
        resident.preload()
        shutil.rmtree(tmp_path / "synthetic" / "tables" / "synapses.parquet")
        got = resident.connectivity(materialization_version=4, label_table="cell_labels", pre_filter=INHIBITORY)
        expected = _expected(ref, ref.ts(4), table="cell_labels", pre=_inhibitory)
        assert len(got) and got.n_synapses.tolist() == expected.n.tolist()
        with pytest.raises(QueryError, match="synapses.parquet"):  # the DuckDB path reads the files
            resident.connectivity(materialization_version=4, label_table="cell_labels", unlabeled="?")
