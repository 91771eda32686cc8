"""Catalog parsing, ordering, current versions, name lookup and catalog location."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import fsspec
import pytest

from engine.catalog.releases import (
    CATALOG_ENV,
    DEFAULT_CATALOG,
    CatalogError,
    NoCurrentReleaseError,
    Release,
    catalog_location,
    find,
    list_current_versions,
    list_versions,
    load_catalog,
)
from engine.errors import UnknownVersionError

REFERENCE_LIKE = [
    {"file": "synphys_r2.1_small.sqlite", "schema_version": "22"},
    {"file": "synphys_r2.1_medium.sqlite", "schema_version": "22"},
    {"file": "synphys_r2.0_small.sqlite", "schema_version": "22"},
    {"file": "synphys_r2.0-pre5_small.sqlite", "schema_version": "21"},
    {"file": "synphys_r2.0-pre4_small.sqlite", "schema_version": "20"},
    {"file": "synphys_r2.0-pre1_full.sqlite", "schema_version": "16"},
    {"file": "synphys_r1.0_small.sqlite", "schema_version": "15",
     "aliases": ["synphys_r1.0_2019-08-29_small.sqlite"]},
]


def names(releases: list[Release]) -> list[str]:
    return [r.db_file for r in releases]


def test_reference_format_as_is(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog(REFERENCE_LIKE, raw_data={})
    assert names(list_versions(catalog=cat)) == [
        "synphys_r1.0_small.sqlite",
        "synphys_r1.0_2019-08-29_small.sqlite",
        "synphys_r2.0-pre1_full.sqlite",
        "synphys_r2.0-pre4_small.sqlite",
        "synphys_r2.0-pre5_small.sqlite",
        "synphys_r2.0_small.sqlite",
        "synphys_r2.1_small.sqlite",
        "synphys_r2.1_medium.sqlite",
    ]
    assert find("synphys_r2.0-pre5_small.sqlite", cat) == Release(
        "synphys_r2.0-pre5_small.sqlite",
        "https://example.invalid/releases/synphys_r2.0-pre5_small.sqlite",
        "21", "2.0-pre5", "small", canonical_file="synphys_r2.0-pre5_small.sqlite",
    )


def test_alias_is_its_own_entry_downloaded_from_the_canonical_url(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog(REFERENCE_LIKE)
    alias = find("synphys_r1.0_2019-08-29_small.sqlite", cat)
    canonical = find("synphys_r1.0_small.sqlite", cat)
    assert alias.url == canonical.url == "https://example.invalid/releases/synphys_r1.0_small.sqlite"
    assert (alias.canonical_file, alias.release_version, alias.db_size) == ("synphys_r1.0_small.sqlite", "1.0", "small")


def test_pre_releases_sort_before_the_release_and_by_number(write_catalog: Callable[..., Path]) -> None:
    entries = [{"file": f"synphys_r{v}_small.sqlite", "schema_version": "22"}
               for v in ("10.0", "2.0", "2.0-pre10", "2.0-pre9", "1.10", "1.9", "2.1-pre1")]
    versions = [r.release_version for r in list_versions(catalog=write_catalog(entries))]
    assert versions == ["1.9", "1.10", "2.0-pre9", "2.0-pre10", "2.0", "2.1-pre1", "10.0"]


def test_only_supported_and_current_versions(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog(REFERENCE_LIKE)
    assert {r.schema_version for r in list_versions(only_supported=True, catalog=cat)} == {"22"}
    current = list_current_versions(cat)
    assert {k: v and v.db_file for k, v in current.items()} == {
        "small": "synphys_r2.1_small.sqlite", "medium": "synphys_r2.1_medium.sqlite", "full": None,
    }
    assert find("small", cat) == current["small"]


def test_current_release_is_the_canonical_file_not_its_alias(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog([{"file": "synphys_r2.1_small.sqlite", "schema_version": "22",
                          "aliases": ["synphys_r2.1_2024-05-07_small.sqlite"]}])
    assert find("small", cat).db_file == "synphys_r2.1_small.sqlite"
    assert names(list_versions(catalog=cat))[-1] == "synphys_r2.1_2024-05-07_small.sqlite"


def test_size_without_a_current_release_explains_what_exists(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog(REFERENCE_LIKE)
    with pytest.raises(NoCurrentReleaseError) as err:
        find("full", cat)
    assert isinstance(err.value, UnknownVersionError)
    assert str(err.value) == (
        f"no current 'full' release in catalog {cat}: no 'full' file has a supported schema version (22). "
        "'full' files in the catalog: synphys_r2.0-pre1_full.sqlite (schema 16). "
        "Sizes with a current release: small (synphys_r2.1_small.sqlite), medium (synphys_r2.1_medium.sqlite)."
    )


def test_unknown_name_suggests_the_closest(write_catalog: Callable[..., Path]) -> None:
    cat = write_catalog(REFERENCE_LIKE)
    expected = r"has no version 'synphys_r2.1_smal.sqlite'; did you mean 'synphys_r2.1_small.sqlite'\? \(valid: "
    with pytest.raises(UnknownVersionError, match=expected) as err:
        find("synphys_r2.1_smal.sqlite", cat)
    assert "synphys_r1.0_2019-08-29_small.sqlite" in err.value.choices


def test_embedded_default_catalog() -> None:
    releases = list_versions(catalog=DEFAULT_CATALOG)
    assert names(releases) == [
        "synphys_r1.0_small.sqlite",
        "synphys_r1.0_2019-08-29_small.sqlite",
        "synphys_r2.0-pre5_small.sqlite",
        "synphys_r2.0_small.sqlite",
        "synphys_r2.0_medium.sqlite",
        "synphys_r2.1_small.sqlite",
        "synphys_r2.1_medium.sqlite",
        "synphys_r2.1_full.sqlite",
    ]
    assert all(r.url.startswith("synth:synphys?") and f"release={r.release_version}&" in r.url for r in releases)
    assert {s: r and r.db_file for s, r in list_current_versions(DEFAULT_CATALOG).items()} == {
        "small": "synphys_r2.1_small.sqlite",
        "medium": "synphys_r2.1_medium.sqlite",
        "full": "synphys_r2.1_full.sqlite",
    }


def test_extension_url_bytes_sha256(write_catalog: Callable[..., Path]) -> None:
    sha = "AB" * 32
    cat = write_catalog([
        {"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "bytes": 123, "sha256": sha,
         "url": "{default_url_path}/v2.1/{file}", "aliases": ["synphys_r2.1_2024-05-07_small.sqlite"]},
        {"file": "synphys_r2.1_medium.sqlite", "schema_version": "22", "url": "s3://bucket/m.sqlite"},
        {"file": "synphys_r2.1_full.sqlite", "schema_version": "22", "url": "/data/full.sqlite"},
    ], default_url_path="https://mirror.invalid/")
    small, alias = find("synphys_r2.1_small.sqlite", cat), find("synphys_r2.1_2024-05-07_small.sqlite", cat)
    assert small.url == alias.url == "https://mirror.invalid//v2.1/synphys_r2.1_small.sqlite"
    assert (small.bytes, small.sha256) == (alias.bytes, alias.sha256) == (123, sha.lower())
    assert find("medium", cat).url == "s3://bucket/m.sqlite"
    assert find("full", cat).url == "/data/full.sqlite"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON: Expecting property name"),
        ("[]", "must be a JSON object, not list"),
        ('{"default_url_path": "x"}', r"has no 'databases' list \(keys: default_url_path\)"),
        ('{"databases": {}}', "'databases' must be a list, not dict"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite"}]}',
         r"databases\[0\] \(synphys_r2.1_small.sqlite\): 'schema_version' must be a non-empty string, not None"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": 22}]}',
         "'schema_version' must be a non-empty string, not 22"),
        ('{"databases": [{"file": "synphys_v2_small.sqlite", "schema_version": "22"}]}',
         r"databases\[0\] \(synphys_v2_small.sqlite\): file name 'synphys_v2_small.sqlite' does not match"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "aliases": ["x.sqlite"]}]}',
         "file name 'x.sqlite' does not match"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22"}]}',
         "has no 'url' and the catalog has no 'default_url_path'"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "sha265": "x"}]}',
         "unknown key 'sha265'; did you mean 'sha256'"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": "s3://b/x", '
         '"sha256": "xyz"}]}',
         "'sha256' must be 64 hex digits"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": "s3://b/x", '
         '"bytes": true}]}',
         "'bytes' must be a non-negative integer, not True"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", "url": "rel/path.sqlite"}]}',
         "'url' 'rel/path.sqlite' must be absolute"),
        ('{"databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22", '
         '"url": "s3://{bucket}/{file}"}]}',
         "bad 'url' format string"),
        ('{"default_url_path": "u", "databases": [{"file": "synphys_r2.1_small.sqlite", "schema_version": "22"},'
         ' {"file": "synphys_r2.1_medium.sqlite", "schema_version": "22", "aliases": ["synphys_r2.1_small.sqlite"]}]}',
         "lists 'synphys_r2.1_small.sqlite' more than once"),
    ],
)
def test_invalid_catalogs_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CatalogError, match=message) as err:
        list_versions(catalog=path)
    assert str(path) in str(err.value)


def test_unreadable_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot read catalog .*missing\.json: FileNotFoundError"):
        list_versions(catalog=tmp_path / "missing.json")
    with pytest.raises(CatalogError, match="cannot read catalog nosuchproto://x"):
        list_versions(catalog="nosuchproto://x")


def test_location_precedence(monkeypatch: pytest.MonkeyPatch, write_catalog: Callable[..., Path]) -> None:
    from_env = write_catalog(REFERENCE_LIKE[:1], name="env.json")
    from_arg = write_catalog(REFERENCE_LIKE[1:2], name="arg.json")
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    assert catalog_location() == str(DEFAULT_CATALOG)
    monkeypatch.setenv(CATALOG_ENV, str(from_env))
    assert names(list_versions()) == ["synphys_r2.1_small.sqlite"]
    assert names(list_versions(catalog=from_arg)) == ["synphys_r2.1_medium.sqlite"]


def test_catalog_is_read_once_per_location(write_catalog: Callable[..., Path]) -> None:
    path = write_catalog(REFERENCE_LIKE[:1])
    first = load_catalog(path)
    path.write_text("{broken")
    assert load_catalog(path) is first
    assert load_catalog(str(path)) is first


def test_fsspec_memory_catalog() -> None:
    url = f"memory://catalogs/{uuid.uuid4().hex}.json"
    with fsspec.open(url, "w") as fh:
        fh.write(json.dumps({"default_url_path": "memory://releases", "databases": REFERENCE_LIKE}))
    assert find("synphys_r2.0_small.sqlite", url).url == "memory://releases/synphys_r2.0_small.sqlite"
    assert load_catalog(url).location == url
