"""Where downloaded releases live: ``<cache>/database/<file>``, as in the reference's cache layout."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from engine.errors import BadInputError

CACHE_ENV = "ENGINE_CACHE_DIR"


def cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache root: the argument, else ``$ENGINE_CACHE_DIR``, else the platform's user cache dir."""
    return _resolve(cache_dir)


def db_path(db_file: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """``<cache>/database/<db_file>``; ``db_file`` must be a bare file name (catalog names are)."""
    if not db_file or Path(db_file).name != db_file or db_file in (".", ".."):
        raise BadInputError(f"release file name {db_file!r} must be a bare file name")
    return _resolve(cache_dir) / "database" / db_file


def _resolve(chosen: str | os.PathLike[str] | None) -> Path:
    if chosen is None:
        chosen = os.environ.get(CACHE_ENV) or None
    if chosen is None:
        return Path(platformdirs.user_cache_dir("engine"))
    return Path(chosen).expanduser()
