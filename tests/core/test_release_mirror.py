"""A generated release and its Parquet mirror answer every query identically."""

from __future__ import annotations

from pathlib import Path

import pytest

import engine
from engine.sql import quote_ident


def test_every_table_is_identical_in_the_mirror(synphys_tiny: Path, synphys_tiny_mirror: Path) -> None:
    release = engine.connect(synphys_tiny)
    mirror = engine.connect(synphys_tiny_mirror, verify=True)
    assert mirror.tables == release.tables and len(release.tables) == 32
    for table in release.tables:
        query = f"SELECT * FROM {quote_ident(table)} ORDER BY id"
        expected = release.sql(query).arrow()
        got = mirror.sql(query).arrow()
        assert got.schema == expected.schema, table
        assert got.equals(expected), table
        assert mirror.schema(table).foreign_keys == release.schema(table).foreign_keys, table


@pytest.mark.parametrize("query, params", [
    ("SELECT pre.cre_type, count(*) AS n FROM pair JOIN cell pre ON pre.id = pair.pre_cell_id "
     "WHERE pair.has_synapse GROUP BY 1 ORDER BY 1 NULLS FIRST", {}),
    ("SELECT id, distance FROM pair WHERE distance BETWEEN $lo AND $hi ORDER BY id", {"lo": 20e-6, "hi": 80e-6}),
    ("SELECT cell_id, count(*) FROM intrinsic GROUP BY 1 HAVING count(*) > 1 ORDER BY 1", {}),
    ("SELECT s.species, avg(s.age) FROM slice s GROUP BY 1 ORDER BY 1", {}),
])
def test_representative_queries_agree(synphys_tiny: Path, synphys_tiny_mirror: Path, query: str, params: dict) -> None:
    expected = engine.connect(synphys_tiny).sql(query, params).arrow()
    assert expected.num_rows > 0
    assert engine.connect(synphys_tiny_mirror).sql(query, params).arrow().equals(expected)


def test_release_conventions_decode(synphys_tiny: Path) -> None:
    ds = engine.connect(synphys_tiny)
    assert ds.schema("synapse_model").column("sparse_pca_vector").encoding == "npy"
    assert ds.schema("cell").column("position").encoding == "json"
    vectors = ds.sql("SELECT sparse_pca_vector FROM synapse_model ORDER BY id").decode().arrow()
    values = vectors.column("sparse_pca_vector").to_pylist()
    assert any(v is None for v in values) and any(isinstance(v, list) and v for v in values)
    meta = ds.sql("SELECT meta FROM metadata").decode().arrow().column("meta").to_pylist()
    assert meta[0]["db_version"] == "22"
