"""Check that a sqlite file is a release the engine can read, with one clear message when it is not.

The reference accepts an empty ``metadata`` table silently and its mismatch message itself fails
(``KeyError('self')``); users then hit "no such table/column" deep inside a query (aisynphys #50, #74).
Here every problem found is reported at once, before any query runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from engine.errors import SchemaVersionError

SUPPORTED_SCHEMA_VERSIONS: tuple[str, ...] = ("22",)
"""Schema versions the engine reads; strings, compared as strings like the reference."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "metadata": ("meta",),
    "slice": ("id", "species", "age"),
    "experiment": ("id", "slice_id", "project_name", "acsf", "internal", "ext_id"),
    "cell": (
        "id", "experiment_id", "ext_id", "cre_type", "target_layer",
        "cell_class", "cell_class_nonsynaptic", "depth",
    ),
    "pair": (
        "id", "experiment_id", "pre_cell_id", "post_cell_id", "has_synapse", "has_electrical",
        "n_ex_test_spikes", "n_in_test_spikes", "distance", "lateral_distance", "reciprocal_id",
    ),
    "synapse": ("id", "pair_id", "synapse_type", "psp_amplitude", "latency"),
    "morphology": ("cell_id", "dendrite_type", "pyramidal"),
    "cortical_cell_location": ("cell_id", "cortical_layer", "fractional_layer_depth"),
    "patch_seq": ("cell_id", "t_type"),
    "intrinsic": ("cell_id",),
    "dynamics": ("pair_id",),
    "gap_junction": ("pair_id", "junctional_conductance"),
    "electrode": ("id", "experiment_id"),
    "recording": ("id", "electrode_id", "stim_name"),
    "synapse_prediction": ("pair_id",),
    "resting_state_fit": ("synapse_id",),
    "synapse_model": ("pair_id",),
    "conductance": ("synapse_id",),
}
"""Tables and columns the engine's APIs read from a schema-22 release."""

def check_release(path: str | os.PathLike[str]) -> str:
    """Return the schema version of the release at ``path``, or raise ``SchemaVersionError`` saying what is wrong.

    >>> check_release(get_db_path("small"))  # doctest: +SKIP
    '22'
    """
    path = Path(path)
    if not path.is_file():
        raise SchemaVersionError(f"cannot check {path}: no such file")
    try:
        with contextlib.closing(_connect_ro(path)) as con:
            columns = _columns(con)
            version, problem = _read_version(con, columns)
    except sqlite3.DatabaseError as exc:
        raise _error(path, None, f"not a sqlite database ({exc})") from None
    problems = [problem] if problem else []
    if version is not None and version not in SUPPORTED_SCHEMA_VERSIONS:
        problems.append(f"schema version {version!r} is not supported")
    problems.extend(_missing(columns))
    if problems or version is None:
        raise _error(path, version, "; ".join(problems))
    return version


def _connect_ro(path: Path) -> sqlite3.Connection:
    # Quote the path: a '?' or '#' in a file name would otherwise end the URI's path part.
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _columns(con: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: {r[0] for r in con.execute("SELECT name FROM pragma_table_info(?)", (t,))} for t in tables}


def _read_version(con: sqlite3.Connection, columns: dict[str, set[str]]) -> tuple[str | None, str | None]:
    """``(schema version, problem)`` from the single ``metadata`` row's ``meta['db_version']``."""
    if "meta" not in columns.get("metadata", ()):
        return None, None  # reported by _missing
    rows = con.execute("SELECT meta FROM metadata LIMIT 2").fetchall()
    if not rows:
        return None, "the metadata table is empty (expected one row with meta.db_version)"
    if len(rows) > 1:
        return None, "the metadata table has more than one row (expected exactly one)"
    try:
        meta = json.loads(rows[0][0])
    except (TypeError, ValueError) as exc:
        return None, f"metadata.meta is not JSON ({exc}): {rows[0][0]!r:.80}"
    version = meta.get("db_version") if isinstance(meta, dict) else None
    if not isinstance(version, str):
        return None, f"metadata.meta has no string 'db_version': {rows[0][0]!r:.80}"
    return version, None


def _missing(columns: dict[str, set[str]]) -> list[str]:
    """``["missing tables: ...", "missing columns: t.c, ..."]`` for what ``REQUIRED`` lists and the file lacks."""
    tables = [t for t in REQUIRED if t not in columns]
    cols = [f"{t}.{c}" for t, req in REQUIRED.items() if t in columns for c in req if c not in columns[t]]
    return [f"missing {kind}: {', '.join(names)}" for kind, names in (("tables", tables), ("columns", cols)) if names]


def _error(path: Path, version: str | None, problem: str) -> SchemaVersionError:
    supported = ", ".join(SUPPORTED_SCHEMA_VERSIONS)
    shown = repr(version) if version is not None else "unknown"
    return SchemaVersionError(
        f"cannot use {path} (schema version {shown}; the engine supports {supported}): {problem}"
    )
