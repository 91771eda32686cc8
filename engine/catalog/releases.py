"""The release catalog: which sqlite releases exist, where to get them, and which one is current.

Reads the reference's ``download_urls.json`` format as is (``default_url_path``,
``databases: [{file, schema_version, aliases}]``, ``raw_data``) plus our per-entry extension
(``url``, ``bytes``, ``sha256``). Names, aliases and ordering follow the reference (2.0-pre5 < 2.0).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import fsspec

from engine.catalog.integrity import is_sha256
from engine.catalog.schema_check import SUPPORTED_SCHEMA_VERSIONS
from engine.errors import EngineError, UnknownVersionError, closest

CATALOG_ENV = "ENGINE_CATALOG"
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
SIZES: tuple[str, ...] = ("small", "medium", "full")
Size = Literal["small", "medium", "full"]
NAME_RE = re.compile(r"synphys_r(\d+\.\d+(-pre\d+)?)(_\d{4}-\d\d-\d\d)?_(small|medium|full)\.sqlite")
ENTRY_KEYS = ("file", "schema_version", "aliases", "url", "bytes", "sha256")

__all__ = [
    "CATALOG_ENV", "SIZES", "SUPPORTED_SCHEMA_VERSIONS", "Catalog", "CatalogError",
    "NoCurrentReleaseError", "Release", "catalog_location", "find", "list_current_versions",
    "list_versions", "load_catalog", "parse_catalog",
]


class CatalogError(EngineError, ValueError):
    """A catalog that cannot be read, is not JSON, or does not follow the catalog format."""


@dataclass(frozen=True, slots=True)
class Release:
    """One downloadable release file; an alias is its own ``Release`` fetched from ``canonical_file``'s URL."""

    db_file: str
    url: str
    schema_version: str
    release_version: str
    db_size: str
    bytes: int | None = None
    sha256: str | None = None
    canonical_file: str = field(kw_only=True)

    @property
    def supported(self) -> bool:
        """Whether the engine reads this file's schema version."""
        return self.schema_version in SUPPORTED_SCHEMA_VERSIONS


@dataclass(frozen=True, slots=True)
class Catalog:
    """A parsed catalog: its location and its releases, oldest first."""

    location: str
    releases: tuple[Release, ...]

    def current(self) -> dict[str, Release | None]:
        """``{size: newest supported release of that size, or None}`` for small, medium and full.

        Aliases are skipped: they are the canonical file's bytes under another name, and the reference
        (which lists them after it) would make the date-stamped copy "current" and download it twice.
        """
        current: dict[str, Release | None] = dict.fromkeys(SIZES)
        for release in self.releases:
            if release.supported and release.db_file == release.canonical_file:
                current[release.db_size] = release
        return current


class NoCurrentReleaseError(UnknownVersionError):
    """A size was asked for but no release of that size has a supported schema version (aisynphys #128)."""

    def __init__(self, size: str, catalog: Catalog) -> None:
        current = catalog.current()
        super().__init__(size, [s for s, r in current.items() if r], where=f"catalog {catalog.location}")
        same_size = [f"{r.db_file} (schema {r.schema_version})" for r in catalog.releases if r.db_size == size]
        available = [f"{s} ({r.db_file})" for s, r in current.items() if r]
        self.args = (
            f"no current {size!r} release in catalog {catalog.location}: no {size!r} file has a supported "
            f"schema version ({', '.join(SUPPORTED_SCHEMA_VERSIONS)}). {size!r} files in the catalog: "
            f"{', '.join(same_size) or 'none'}. Sizes with a current release: {', '.join(available) or 'none'}.",
        )


def catalog_location(catalog: str | os.PathLike[str] | None = None) -> str:
    """Where the catalog is read from: the argument, else ``$ENGINE_CATALOG``, else the embedded default.

    Local paths are made absolute so the per-process cache has one key per file.
    """
    chosen = os.fspath(catalog) if catalog is not None else os.environ.get(CATALOG_ENV) or str(DEFAULT_CATALOG)
    if "://" in chosen:
        return chosen
    return str(Path(chosen).expanduser().resolve())


def load_catalog(catalog: str | os.PathLike[str] | None = None) -> Catalog:
    """The parsed catalog at ``catalog_location(catalog)``, read once per location per process."""
    return _load(catalog_location(catalog))


@functools.cache
def _load(location: str) -> Catalog:
    try:
        with fsspec.open(location, "rb") as fh:
            data = fh.read()
    except Exception as exc:  # any fsspec backend: OSError, ValueError (unknown protocol), ImportError ...
        raise CatalogError(f"cannot read catalog {location}: {type(exc).__name__}: {exc}") from exc
    try:
        obj = json.loads(data)
    except ValueError as exc:
        raise CatalogError(f"catalog {location} is not valid JSON: {exc}") from None
    return parse_catalog(obj, location)


def parse_catalog(obj: Any, location: str = "<memory>") -> Catalog:
    """Validate a decoded catalog and expand it into sorted ``Release`` records."""
    if not isinstance(obj, Mapping):
        raise CatalogError(f"catalog {location} must be a JSON object, not {type(obj).__name__}")
    if "databases" not in obj:
        raise CatalogError(f"catalog {location} has no 'databases' list (keys: {', '.join(obj) or 'none'})")
    databases = obj["databases"]
    if not isinstance(databases, list):
        raise CatalogError(f"catalog {location}: 'databases' must be a list, not {type(databases).__name__}")
    default_url_path = obj.get("default_url_path")
    if default_url_path is not None and not isinstance(default_url_path, str):
        raise CatalogError(f"catalog {location}: 'default_url_path' must be a string")
    releases: list[Release] = []
    for index, entry in enumerate(databases):
        releases.extend(_entry_releases(entry, f"catalog {location}: databases[{index}]", default_url_path))
    seen: set[str] = set()
    for release in releases:
        if release.db_file in seen:
            raise CatalogError(f"catalog {location} lists {release.db_file!r} more than once")
        seen.add(release.db_file)
    # sorted() is stable: equal versions (sizes, aliases) keep catalog order, as in the reference.
    return Catalog(location, tuple(sorted(releases, key=lambda r: _version_key(r.release_version))))


def list_versions(only_supported: bool = False, catalog: str | os.PathLike[str] | None = None) -> list[Release]:
    """Every release in the catalog, oldest first; ``only_supported`` keeps readable schema versions only.

    >>> [r.db_file for r in list_versions(only_supported=True)][-1]  # doctest: +SKIP
    'synphys_r2.1_full.sqlite'
    """
    releases = load_catalog(catalog).releases
    return [r for r in releases if r.supported or not only_supported]


def list_current_versions(catalog: str | os.PathLike[str] | None = None) -> dict[str, Release | None]:
    """``{size: newest supported release of that size, or None}`` for small, medium and full."""
    return load_catalog(catalog).current()


def find(name: str, catalog: str | os.PathLike[str] | None = None) -> Release:
    """The release called ``name`` (a file name or alias), or the current one when ``name`` is a size.

    >>> find("small").db_file  # doctest: +SKIP
    'synphys_r2.1_small.sqlite'
    """
    cat = load_catalog(catalog)
    by_name = {r.db_file: r for r in cat.releases}
    if name in by_name:
        return by_name[name]
    if name in SIZES:
        current = cat.current()[name]
        if current is None:
            raise NoCurrentReleaseError(name, cat)
        return current
    sizes = [s for s, r in cat.current().items() if r]
    raise UnknownVersionError(name, [*by_name, *sizes], where=f"catalog {cat.location}")


def _entry_releases(entry: Any, where: str, default_url_path: str | None) -> list[Release]:
    """The releases of one ``databases`` entry: its file, then each alias (same URL, own name)."""
    if not isinstance(entry, Mapping):
        raise CatalogError(f"{where} must be an object with 'file' and 'schema_version'")
    for key in entry:
        if key not in ENTRY_KEYS:
            hint = closest(key, ENTRY_KEYS)
            raise CatalogError(
                f"{where} has unknown key {key!r}" + (f"; did you mean {hint!r}?" if hint else "")
                + f" (valid: {', '.join(ENTRY_KEYS)})"
            )
    file = _required_str(entry, "file", where)
    where = f"{where} ({file})"
    schema_version = _required_str(entry, "schema_version", where)
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CatalogError(f"{where}: 'aliases' must be a list of file names")
    parsed = [(name, *_parse_name(name, where)) for name in (file, *aliases)]
    url = _url(entry.get("url"), file, default_url_path, where)
    size = entry.get("bytes")
    if size is not None and (type(size) is not int or size < 0):
        raise CatalogError(f"{where}: 'bytes' must be a non-negative integer, not {size!r}")
    sha256 = entry.get("sha256")
    if sha256 is not None:
        if not is_sha256(sha256):
            raise CatalogError(f"{where}: 'sha256' must be 64 hex digits, not {sha256!r}")
        sha256 = sha256.lower()
    return [
        Release(name, url, schema_version, version, db_size, size, sha256, canonical_file=file)
        for name, version, db_size in parsed
    ]


def _required_str(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise CatalogError(f"{where}: {key!r} must be a non-empty string, not {value!r}")
    return value


def _parse_name(name: str, where: str) -> tuple[str, str]:
    """``(release_version, db_size)`` from a release file name."""
    match = NAME_RE.fullmatch(name)
    if match is None:
        raise CatalogError(
            f"{where}: file name {name!r} does not match {NAME_RE.pattern} "
            "(e.g. synphys_r2.1_small.sqlite, synphys_r2.0-pre5_medium.sqlite)"
        )
    return match.group(1), match.group(4)


def _url(url: Any, file: str, default_url_path: str | None, where: str) -> str:
    """The entry's download URL: absolute as given, a format string, or ``<default_url_path>/<file>``."""
    if url is None:
        if default_url_path is None:
            raise CatalogError(f"{where} has no 'url' and the catalog has no 'default_url_path'")
        return f"{default_url_path.rstrip('/')}/{file}"
    if not isinstance(url, str) or not url:
        raise CatalogError(f"{where}: 'url' must be a non-empty string, not {url!r}")
    if "{" in url:
        if "{default_url_path}" in url and default_url_path is None:
            raise CatalogError(f"{where}: 'url' uses {{default_url_path}} but the catalog has none")
        try:
            return url.format(default_url_path=default_url_path, file=file)
        except (KeyError, IndexError, ValueError) as exc:
            raise CatalogError(
                f"{where}: bad 'url' format string {url!r} ({exc!r}); only {{default_url_path}} and {{file}} are known"
            ) from None
    if not urlsplit(url).scheme and not Path(url).is_absolute():
        raise CatalogError(f"{where}: 'url' {url!r} must be absolute (a URL or an absolute path) or a format string")
    return url


def _version_key(release_version: str) -> tuple[int, int, int, int]:
    """Order like the reference: by major, minor; ``X.Y-preN`` before ``X.Y``, pre-releases by N."""
    base, _, pre = release_version.partition("-pre")
    major, minor = base.split(".")
    return (int(major), int(minor), 0, int(pre)) if pre else (int(major), int(minor), 1, 0)
