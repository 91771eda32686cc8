"""The public surface: get_db_path into a cache dir (local, HTTP and synth: sources), load_* datasets."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from catalog_http_server import DATA, DATA_SHA256, Server

from engine import catalog
from engine.errors import BadInputError, SchemaVersionError

SYNTH = "synth:synphys?size=tiny&seed=0&release={release}&schema_version={schema}"


@pytest.fixture
def release_catalog(tiny_release: Path, release_copy: Callable[..., Path], write_catalog: Callable[..., Path]) -> Path:
    """Releases that are local files: r2.1 small (schema 22, with bytes+sha256 and an alias), r1.0 small (15)."""
    old = release_copy("""UPDATE metadata SET meta = '{"db_version": "15"}'""", name="src-old.sqlite")
    return write_catalog([
        {"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": str(tiny_release),
         "bytes": tiny_release.stat().st_size, "sha256": hashlib.sha256(tiny_release.read_bytes()).hexdigest(),
         "aliases": ["synphys_r2.1_2024-05-07_small.sqlite"]},
        {"file": "synphys_r1.0_small.sqlite", "schema_version": "15", "url": old.as_uri()},
    ])


@pytest.fixture
def synth_catalog(write_catalog: Callable[..., Path]) -> Path:
    return write_catalog([
        {"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": SYNTH.format(release="2.1", schema="22")},
        {"file": "synphys_r2.0-pre5_small.sqlite", "schema_version": "21",
         "url": SYNTH.format(release="2.0-pre5", schema="21")},
    ], name="synth.json")


def test_get_db_path_downloads_once_into_the_cache(release_catalog: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = catalog.get_db_path("small", catalog=release_catalog, cache_dir=cache)
    assert path == cache / "database" / "synphys_r2.1_small.sqlite"
    written = path.stat().st_mtime_ns
    assert catalog.get_db_path("synphys_r2.1_small.sqlite", catalog=release_catalog, cache_dir=cache) == path
    assert path.stat().st_mtime_ns == written  # found in the cache, not fetched again
    assert catalog.check_release(path) == "22"


def test_alias_is_saved_under_its_own_name(release_catalog: Path, tiny_release: Path, tmp_path: Path) -> None:
    path = catalog.get_db_path("synphys_r2.1_2024-05-07_small.sqlite", catalog=release_catalog, cache_dir=tmp_path)
    assert path.name == "synphys_r2.1_2024-05-07_small.sqlite"
    assert path.read_bytes() == tiny_release.read_bytes()


def test_cache_dir_from_environment(release_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGINE_CACHE_DIR", str(tmp_path / "env-cache"))
    path = catalog.get_db_path("small", catalog=release_catalog)
    assert path == tmp_path / "env-cache" / "database" / "synphys_r2.1_small.sqlite"


def test_synth_release_is_generated_through_the_download_path(synth_catalog: Path, tmp_path: Path) -> None:
    path = catalog.get_db_path("small", catalog=synth_catalog, cache_dir=tmp_path)
    assert path == tmp_path / "database" / "synphys_r2.1_small.sqlite"
    assert catalog.check_release(path) == "22"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, f"{path.name}.lock"]


def test_load_current_and_load_version_open_checked_datasets(synth_catalog: Path, tmp_path: Path) -> None:
    with catalog.load_current("small", catalog=synth_catalog, cache_dir=tmp_path) as ds:
        assert set(catalog.schema_check.REQUIRED) <= set(ds.tables)
        assert ds.table("pair").count() > 0
    with catalog.load_version("synphys_r2.1_small.sqlite", catalog=synth_catalog, cache_dir=tmp_path) as ds:
        assert ds.table("metadata").count() == 1


def test_unsupported_release_is_refused_before_opening(
    synth_catalog: Path, release_catalog: Path, tmp_path: Path
) -> None:
    with pytest.raises(SchemaVersionError, match="schema version '21' is not supported"):
        catalog.load_version("synphys_r2.0-pre5_small.sqlite", catalog=synth_catalog, cache_dir=tmp_path)
    with pytest.raises(SchemaVersionError, match="schema version '15' is not supported"):
        catalog.load_version("synphys_r1.0_small.sqlite", catalog=release_catalog, cache_dir=tmp_path)


def test_bad_size_and_read_write_requests(tiny_release: Path) -> None:
    with pytest.raises(BadInputError, match="size must be one of small, medium, full, not 'huge'"):
        catalog.load_current("huge")
    with pytest.raises(BadInputError, match="releases are opened read-only"):
        catalog.load_sqlite(tiny_release, readonly=False)


def test_load_sqlite_checks_then_connects(tiny_release: Path, release_copy: Callable[..., Path]) -> None:
    with catalog.load_sqlite(tiny_release) as ds:
        assert ds.kind == "sqlite"
    with pytest.raises(SchemaVersionError, match="the metadata table is empty"):
        catalog.load_sqlite(release_copy("DELETE FROM metadata"))


def test_http_catalog_and_http_release_end_to_end(http_server: Server, tmp_path: Path) -> None:
    entry = {"file": "synphys_r2.1_medium.sqlite", "schema_version": "22", "url": "{default_url_path}/{file}",
             "bytes": len(DATA), "sha256": DATA_SHA256}
    default_url_path = http_server.url("drop")
    url = http_server.publish(json.dumps({"default_url_path": default_url_path, "databases": [entry]}).encode())
    path = catalog.get_db_path("medium", catalog=url, cache_dir=tmp_path, progress=False)
    assert path.read_bytes() == DATA
    assert len(http_server.ranges(f"{default_url_path}/synphys_r2.1_medium.sqlite")) == 2
