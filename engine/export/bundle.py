"""``export_paper``: build a paper's bundle from all of its analyses, atomically, and record it in the catalog.

Layout of ``<dest>/`` (docs/export.md):

- ``manifest.json``: format ``engine-export``; the paper, its analyses and export id; every
  source with its identity, tables (rows, schema, sha256, logged restrictions, keys pulled in by
  the cascade); the external files; and the sha256 of every other file in the bundle.
- ``tables/<t>.parquet``: the first dataset source (e.g. a synphys release), so the bundle itself
  is a Parquet mirror that ``engine.connect`` and ``SynphysDatabase.open`` read.
- ``datasets/<name>/``: any further dataset source, each a mirror with its own manifest.
- ``cave/<datastack>/``: each connectome datastack in the CAVE mirror layout.
- ``restrictions/<sha256>.parquet``: key files of big logged in-lists; ``README.md``;
  ``export.sqlite`` next to a dataset's tables with ``formats=("parquet", "sqlite")``.

The bundle is written to a temporary directory beside ``dest`` and renamed into place when
complete; it replaces an earlier bundle at ``dest``.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BadInputError, UnknownNameError
from ..files import atomic_dir, atomic_write_text, sha256_file
from ..mirror.manifest import FORMAT_VERSION, MANIFEST, TableEntry
from .cascade import cascade
from .catalog import ExportCatalog, Logged, resolve_catalog
from .external import describe
from .readme import readme_text
from .restrictions import KeyStore, to_json
from .sources import CAVE, SliceSource, SourceRef, identity, open_source
from .write_cave import write_cave
from .write_sqlite import write_sqlite
from .write_tables import ROW_GROUP_SIZE, Written, table_info, write_table

FORMAT = "engine-export"
FORMATS = ("parquet", "sqlite")
SQLITE_FILE = "export.sqlite"


def export_paper(
    paper_id: str,
    dest: str | os.PathLike[str],
    *,
    catalog: str | os.PathLike[str] | ExportCatalog | None = None,
    formats: Sequence[str] = ("parquet",),
    files_root: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the bundle of ``paper_id`` to ``dest`` (replacing it) and return ``dest``.

    ``formats`` may add ``"sqlite"``: each dataset source's slice also as one sqlite file.
    ``files_root`` is where relative external file paths (NWB files) are looked up to list
    their sizes and checksums.

    >>> export_paper("paper1", "/data/exports/paper1", catalog="/data/.engine-exports.sqlite")  # doctest: +SKIP
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or "parquet" not in formats:
        raise BadInputError(f"formats must include 'parquet' and may add 'sqlite', got {list(formats)!r}")
    cat = resolve_catalog(catalog)
    selections = cat.selections(paper_id)
    if not selections:
        raise UnknownNameError("paper", paper_id, cat.papers(), f"export catalog {cat.path}")
    export_id = max(s.export_id for s in selections)
    by_source = _by_source(cat.restrictions(paper_id))
    dirs = _source_dirs(by_source)
    dest = Path(dest).expanduser()
    referenced = set(cat.list_file_paths(paper_id))
    with atomic_dir(dest) as tmp:
        keys = KeyStore(tmp / "restrictions")
        sources, mirrors, hashes = [], {}, {}
        for ref, tables in by_source.items():
            entry, tables_json, written = _export_source(ref, tables, tmp, dirs[ref], keys, formats)
            sources.append(entry)
            hashes.update((_join(dirs[ref], w.file), w.sha256) for w in written)
            referenced.update(f for w in written for f in w.files)
            if tables_json is not None:
                mirrors[dirs[ref]] = (entry, tables_json)
        export = {"paper_id": paper_id, "export_id": export_id, "catalog": str(cat.path),
                  "analyses": [{"analysis_id": s.analysis_id, "export_id": s.export_id,
                                "engine_version": s.engine_version, "time": s.time} for s in selections]}
        for rel, (entry, tables_json) in mirrors.items():
            if rel != ".":
                _write_manifest(tmp / rel, _mirror_manifest(entry, tables_json, formats, {**export, "part_of": "../.."}))
        primary = mirrors.get(".")
        manifest = _mirror_manifest(primary[0] if primary else None, primary[1] if primary else {}, formats, export)
        manifest.update(sources=sources, external_files=describe(referenced, files_root))
        atomic_write_text(tmp / "README.md", readme_text(manifest))
        manifest["files"] = _file_hashes(tmp, hashes)
        _write_manifest(tmp, manifest)
    cat.record_export(export_id, paper_id, dest.resolve(), manifest, sha256_file(dest / MANIFEST))
    return dest


def _export_source(ref: SourceRef, tables: dict[str, list[Logged]], tmp: Path, rel: str, keys: KeyStore,
                   formats: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any] | None, list[Written]]:
    """Cascade and write one source; returns its manifest entry, mirror table entries (datasets) and files."""
    source = open_source(ref)
    try:
        for table in tables:
            source.schema(table)  # a table logged in the catalog but gone from the source: clear error
        slices = cascade(source, {t: _distinct(items) for t, items in tables.items()})
        if ref.kind == CAVE:
            written = write_cave(source, slices, tmp, rel)
        else:
            written = [write_table(source, t, slices.get(t), tmp / rel, f"tables/{t}.parquet") for t in source.tables]
        logged = {t: [{"analysis_id": i.analysis_id, "restriction": to_json(i.restriction, keys)} for i in items]
                  for t, items in tables.items()}
        entry = {
            "name": ref.name, "kind": ref.kind, "key": ref.key(), "dir": rel, "identity": identity(source),
            "tables": {w.table: {"file": _join(rel, w.file), "rows": w.rows, "sha256": w.sha256,
                                 "columns": [{"name": c.name, "type": str(c.type)} for c in source.schema(w.table).columns],
                                 **table_info(slices.get(w.table), logged.get(w.table, []))} for w in written},
        }
        if ref.kind == CAVE:
            return entry, None, written
        mirror_tables = {w.table: _table_entry(source, w) for w in written}
        if "sqlite" in formats:
            write_sqlite(tmp / rel / SQLITE_FILE, source.tables, {w.table: tmp / rel / w.file for w in written})
        return entry, mirror_tables, written
    finally:
        source.close()


def _table_entry(source: SliceSource, written: Written) -> dict[str, Any]:
    """The mirror-format entry of one table (files relative to its mirror directory)."""
    schema = source.schema(written.table)
    return TableEntry(written.table, (written.file,), written.rows, schema, (), {written.file: written.sha256}).to_json()


def _mirror_manifest(entry: dict[str, Any] | None, tables: dict[str, Any], formats: Sequence[str],
                     export: dict[str, Any]) -> dict[str, Any]:
    """A manifest the mirror reader accepts (``format: engine-export``), plus the export's own keys."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine_version": __version__,
        "source": entry["identity"] if entry else {},
        "options": {"compression": "zstd", "row_group_size": ROW_GROUP_SIZE, "formats": list(formats)},
        "tables": tables,
        "export": export,
    }


def _write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(directory / MANIFEST, json.dumps(manifest, indent=1))


def _by_source(logged: Iterable[Logged]) -> dict[SourceRef, dict[str, list[Logged]]]:
    """Logged restrictions grouped by source, then table; datasets first, each kind sorted (a deterministic layout)."""
    out: dict[SourceRef, dict[str, list[Logged]]] = {}
    for item in logged:
        out.setdefault(item.source, {}).setdefault(item.table, []).append(item)
    return dict(sorted(out.items(), key=lambda kv: (kv[0].kind == CAVE, kv[0])))


def _source_dirs(by_source: dict[SourceRef, Any]) -> dict[SourceRef, str]:
    """``.`` for the first dataset source, ``datasets/<name>`` for the others, ``cave`` for datastacks."""
    dirs: dict[SourceRef, str] = {}
    used: set[str] = set()
    for ref in by_source:
        if ref.kind == CAVE:
            rel, base = CAVE, f"{CAVE}/{ref.name}"  # two datastacks of one name: cave-2/<name>
        else:
            rel, base = (".", ".") if "." not in used else (f"datasets/{ref.name}",) * 2
        n = 2
        while base in used:
            rel = f"{CAVE}-{n}" if ref.kind == CAVE else f"datasets/{ref.name}-{n}"
            base, n = (f"{rel}/{ref.name}" if ref.kind == CAVE else rel), n + 1
        used.add(base)
        dirs[ref] = rel
    return dirs


def _distinct(items: list[Logged]) -> list[Any]:
    """Each distinct restriction once (several analyses may log the same one)."""
    return list({i.text: i.restriction for i in items}.values())


def _join(rel: str, file: str) -> str:
    return posixpath.normpath(posixpath.join(rel, file))


def _file_hashes(root: Path, known: dict[str, str]) -> dict[str, str]:
    """sha256 of every file under ``root`` except the top manifest (reusing the table files' known hashes)."""
    out = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST:
            out[rel] = known.get(rel) or sha256_file(path)
    return out
