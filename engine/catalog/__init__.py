"""Release catalog, cache and verified downloads: find a release, fetch it once, open it checked.

>>> from engine import catalog
>>> catalog.list_current_versions()["small"].db_file  # doctest: +SKIP
'synphys_r2.1_small.sqlite'
>>> ds = catalog.load_current("small")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.catalog.cache import db_path
from engine.catalog.download import download, download_async
from engine.catalog.releases import (
    SIZES,
    SUPPORTED_SCHEMA_VERSIONS,
    CatalogError,
    Release,
    Size,
    find,
    list_current_versions,
    list_versions,
)
from engine.catalog.schema_check import check_release
from engine.errors import BadInputError

if TYPE_CHECKING:
    from engine.dataset import Dataset

__all__ = [
    "SIZES",
    "SUPPORTED_SCHEMA_VERSIONS",
    "CatalogError",
    "Release",
    "check_release",
    "download",
    "download_async",
    "find",
    "get_db_path",
    "list_current_versions",
    "list_versions",
    "load_current",
    "load_sqlite",
    "load_version",
]

PathLike = str | os.PathLike[str]


def get_db_path(
    name: str,
    catalog: PathLike | None = None,
    cache_dir: PathLike | None = None,
    progress: bool | None = None,
) -> Path:
    """Path of release ``name`` (file, alias or size) in the cache, fetched and verified on first use."""
    release = find(name, catalog)
    dest = db_path(release.db_file, cache_dir)
    return download(release.url, dest, sha256=release.sha256, size=release.bytes, progress=progress)


def load_version(
    name: str,
    *,
    catalog: PathLike | None = None,
    cache_dir: PathLike | None = None,
    progress: bool | None = None,
) -> Dataset:
    """Open release ``name`` (file, alias or size), downloading it first if needed."""
    return load_sqlite(get_db_path(name, catalog, cache_dir, progress))


def load_current(
    size: Size = "small",
    *,
    catalog: PathLike | None = None,
    cache_dir: PathLike | None = None,
    progress: bool | None = None,
) -> Dataset:
    """Open the newest supported release of ``size`` (small, medium or full)."""
    if size not in SIZES:
        raise BadInputError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    return load_version(size, catalog=catalog, cache_dir=cache_dir, progress=progress)


def load_sqlite(path: PathLike, readonly: bool = True) -> Dataset:
    """Open a local release file after ``check_release``; releases are only ever opened read-only."""
    if not readonly:
        raise BadInputError("releases are opened read-only (readonly=False is not supported)")
    check_release(path)
    from engine.dataset import connect

    return connect(path)
