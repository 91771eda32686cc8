"""download() from fsspec URLs and local paths, synth: URL parsing, and the cache layout."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import fsspec
import pytest

from engine.catalog.cache import CACHE_ENV, cache_dir, db_path
from engine.catalog.download import download, partial_path
from engine.catalog.synth_fetch import synth_params
from engine.errors import BadInputError, DownloadError, IntegrityError, UnknownNameError

BODY = bytes(range(256)) * 4099
BODY_SHA256 = hashlib.sha256(BODY).hexdigest()


def memory_file(data: bytes) -> str:
    url = f"memory://sources/{uuid.uuid4().hex}.bin"
    with fsspec.open(url, "wb") as fh:
        fh.write(data)
    return url


def test_memory_url(tmp_path: Path) -> None:
    dest = download(memory_file(BODY), tmp_path / "r.sqlite", sha256=BODY_SHA256, size=len(BODY), progress=False)
    assert dest.read_bytes() == BODY


def test_local_path_and_file_url(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(BODY)
    assert download(str(src), tmp_path / "a.sqlite", sha256=BODY_SHA256).read_bytes() == BODY
    assert download(src.as_uri(), tmp_path / "b.sqlite", size=len(BODY)).read_bytes() == BODY


def test_fsspec_resumes_a_partial(tmp_path: Path) -> None:
    dest = tmp_path / "r.sqlite"
    partial_path(dest, len(BODY)).write_bytes(BODY[:5000])
    download(memory_file(BODY), dest, sha256=BODY_SHA256, size=len(BODY))
    assert dest.read_bytes() == BODY


def test_fsspec_wrong_content_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "r.sqlite"
    with pytest.raises(IntegrityError, match=f"r.sqlite from memory://.*expected sha256 {BODY_SHA256}, got "):
        download(memory_file(BODY[::-1]), dest, sha256=BODY_SHA256)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.sqlite.lock"]


def test_fsspec_size_differing_from_catalog(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match=f"is {len(BODY)} bytes but the catalog expects 7"):
        download(memory_file(BODY), tmp_path / "r.sqlite", size=7)


def test_stamp_skips_rehashing_until_the_file_changes(tmp_path: Path) -> None:
    url, dest = memory_file(BODY), tmp_path / "r.sqlite"
    download(url, dest, sha256=BODY_SHA256)
    stamp = json.loads((tmp_path / "r.sqlite.sha256").read_text())
    assert stamp == {"sha256": BODY_SHA256, "size": len(BODY), "mtime_ns": dest.stat().st_mtime_ns}
    assert download(url, dest, sha256=BODY_SHA256) == dest
    dest.write_bytes(BODY[::-1])  # same size, new mtime: the stamp no longer vouches for it
    with pytest.raises(IntegrityError, match="cached file .* does not match the catalog: expected sha256"):
        download(url, dest, sha256=BODY_SHA256)


def test_missing_source_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"download of .*nope\.bin failed: FileNotFoundError"):
        download(str(tmp_path / "nope.bin"), tmp_path / "r.sqlite")
    assert not (tmp_path / "r.sqlite").exists()


def test_synth_url_parameters() -> None:
    assert synth_params("synth:synphys?size=tiny&seed=3&release=2.0-pre5&schema_version=21") == (
        "synphys", {"size": "tiny", "seed": 3, "release": "2.0-pre5", "schema_version": "21"},
    )
    with pytest.raises(UnknownNameError, match="has no parameter 'sed'; did you mean 'seed'"):
        synth_params("synth:synphys?sed=1")
    with pytest.raises(BadInputError, match="seed='x' is not a valid int"):
        synth_params("synth:synphys?seed=x")
    with pytest.raises(BadInputError, match="is not a synth URL"):
        synth_params("synth:connectome?seed=1")


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert cache_dir().name == "engine"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert cache_dir() == tmp_path / "env"
    assert db_path("synphys_r2.1_small.sqlite") == tmp_path / "env" / "database" / "synphys_r2.1_small.sqlite"
    assert db_path("x.sqlite", tmp_path / "arg") == tmp_path / "arg" / "database" / "x.sqlite"
    with pytest.raises(BadInputError, match="bare file name"):
        db_path("../escape.sqlite")
