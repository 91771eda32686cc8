"""Deterministic synthetic connectome datastack in the local CAVE mirror layout (no download needed).

``write(root, "synthetic", size="small", seed=0)`` builds ``<root>/<datastack>/``:

- ``datastack.json``, ``versions.json`` (5 versions, every 30 days; version 1 is EXPIRED).
- ``tables/nucleus_detection_v0`` (soma table), ``tables/synapses`` (synapse table) and
  ``tables/cell_types`` (references the nucleus table through ``target_id``): ``<t>.json`` metadata
  plus ``<t>.parquet``. ``synapses.parquet`` is always a *directory* of ``part-NNNNN.parquet`` files
  (at most ~``PART_ROWS`` rows each); the other two are single files.
- ``segmentation/roots.parquet``: which root owns each supervoxel over time.
- ``views/synapses_with_types.sql`` (+ ``.json`` metadata: description, voxel_resolution, notice_text,
  live_compatible). A view names tables by their plain name; the query layer binds each name to that
  table's materialized relation at the chosen version/timestamp (live rows, ``<point>_root_id`` derived).

Conventions:
- Timestamps: Parquet ``timestamp[us, tz=UTC]``; JSON ISO 8601 with microseconds and ``+00:00``
  (``"2024-01-31T08:10:00.000000+00:00"``). History runs from ``T0`` = 2024-01-01T00:00:00Z to
  ``T0 + 180 days``; no wall clock is read.
- Positions are int32 voxels at ``RESOLUTION`` (the CAVE wire type); ids and supervoxel/root ids int64,
  all above 2**53 for supervoxels and roots so float-parsing bugs show up.
- ``valid`` is the *final* live flag (false once deleted); time travel must use ``created``/``deleted``.
  An update is delete + insert: the old row gets ``deleted = t``, ``superceded_id = <new id>``,
  ``valid = false``; the new row has ``created = t``.
- Root ids are never stored with annotations. Each root is one immutable supervoxel set valid on
  ``[valid_from, valid_to)``; merges and splits retire roots and create new ones. Root 0 owns the
  "outside" supervoxels for the whole history.
- Synapse rows are sorted by ``(pre_pt_supervoxel_id, id)`` and synapse ids follow that order
  (supervoxels are numbered neuron by neuron), so Parquet min/max statistics prune row groups both for
  id filters and for pre-root filters (root -> supervoxel set). Nucleus and cell-type ids follow
  creation time, like an autoincrement.
- Scale: synapses are generated and written in chunks of ~``CHUNK_SYNAPSES`` pre-neuron-contiguous rows,
  so peak memory is bounded by the chunk, not the table. For 100M+ synapses pass ``n_synapses``,
  e.g. ``write(root, size="large", n_synapses=100_000_000)``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.spatial import cKDTree

from engine.errors import BadInputError, closest
from engine.files import atomic_dir

SIZES: dict[str, dict] = {
    "tiny": {"n_neurons": 50, "n_synapses": 5_000},
    "small": {"n_neurons": 1_000, "n_synapses": 200_000},
    "large": {"n_neurons": 50_000, "n_synapses": 20_000_000},
}

SYNAPSE_TABLE, SOMA_TABLE, CELL_TYPE_TABLE = "synapses", "nucleus_detection_v0", "cell_types"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """What the metadata says about one annotation table."""

    schema: str
    description: str
    reference_table: str | None = None
    notice_text: str | None = None


TABLES = {  # metadata "id" is the 1-based position here
    SOMA_TABLE: TableInfo("nucleus_detection", "Nucleus detections; false detections are deleted over time."),
    CELL_TYPE_TABLE: TableInfo(
        "cell_type_local", "Manual cell-type labels of neurons, keyed to nuclei by target_id.", SOMA_TABLE,
        "Synthetic labels: some were revised (superseded) during proofreading."),
    SYNAPSE_TABLE: TableInfo("synapse", "Synapses between segments; pre and post points are bound to supervoxels."),
}
VIEW = "synapses_with_types"
RESOLUTION = (4.0, 4.0, 40.0)  # nm per voxel
BOX = np.array([250_000, 200_000, 25_000])  # voxels; y is cortical depth
CHUNK_SYNAPSES = 1 << 20
PART_ROWS = 1 << 23
ROW_GROUP = 1 << 17

HOUR, DAY = 3_600_000_000, 86_400_000_000
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
T0_US = int(T0.timestamp()) * 1_000_000
END_US = T0_US + 180 * DAY
VERSION_US = [T0_US + k * 30 * DAY + 8 * HOUR + 10 * 60_000_000 for k in range(1, 6)]
NEVER = datetime(2100, 1, 1, tzinfo=timezone.utc)

SV_BASE, ROOT_BASE = 88_000_000_000_000_000, 864_691_135_000_000_000
# Supervoxels per neuron block: soma, dendrites, axon (the first CORE_AXON never split off), outside.
N_DENDRITE, N_AXON, CORE_AXON, N_OUTSIDE = 9, 14, 4, 2
AXON0 = 1 + N_DENDRITE
OUTSIDE0 = AXON0 + N_AXON
BLOCK = OUTSIDE0 + N_OUTSIDE

MEAN_SYN_PER_EDGE, P_AUTAPSE, P_OUTSIDE, NEAREST = 2.5, 0.005, 0.01, 4
SIGMA_AXON_NM, SIGMA_SYN_NM, PRE_OFFSET = 80_000.0, 15_000.0, np.array([20, 20, 2])


@dataclass(frozen=True, slots=True)
class CellType:
    """One synthetic cell type: its class, share of neurons, soma depth band and output drive."""

    name: str
    excitatory: bool
    share: float
    depth: tuple[int, int]  # soma y range, voxels
    out_weight: float
    soma_volume: float  # median, um^3


CELL_TYPES = (
    CellType("23P", True, 0.22, (35_000, 70_000), 1.0, 250.0),
    CellType("4P", True, 0.17, (70_000, 95_000), 1.0, 220.0),
    CellType("5P-IT", True, 0.12, (95_000, 125_000), 1.2, 300.0),
    CellType("5P-ET", True, 0.04, (100_000, 125_000), 1.5, 450.0),
    CellType("6P", True, 0.17, (125_000, 175_000), 0.9, 230.0),
    CellType("BC", False, 0.10, (35_000, 175_000), 2.0, 280.0),
    CellType("MC", False, 0.07, (40_000, 175_000), 1.5, 240.0),
    CellType("BPC", False, 0.06, (35_000, 100_000), 1.2, 180.0),
    CellType("NGC", False, 0.05, (10_000, 60_000), 1.0, 170.0),
)
# Relative preference of a pre type (row) for a post type (column), before weighting by abundance.
PREFERENCE = np.array([
    [2.0, 0.5, 1.0, 1.0, 0.3, 3.0, 2.0, 1.0, 0.5],
    [2.0, 2.0, 0.5, 0.3, 0.3, 3.0, 1.0, 0.5, 0.3],
    [1.0, 0.5, 2.0, 2.0, 1.0, 2.0, 2.0, 0.5, 0.3],
    [0.3, 0.1, 0.5, 1.0, 0.5, 1.0, 2.0, 0.2, 0.1],
    [0.3, 1.5, 0.5, 0.3, 2.0, 2.0, 1.0, 0.3, 0.1],
    [3.0, 3.0, 3.0, 3.0, 3.0, 2.0, 0.5, 0.2, 0.2],
    [3.0, 2.0, 3.0, 3.0, 2.0, 0.5, 0.1, 0.2, 0.5],
    [0.3, 0.2, 0.2, 0.2, 0.2, 0.5, 6.0, 0.1, 0.2],
    [1.0, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 2.0],
])
EXCITATORY = np.array([t.excitatory for t in CELL_TYPES])
SIZE_LOGMEAN = np.array([[5.3, 5.6], [6.0, 5.8]])  # [pre inhibitory][post inhibitory]
P_SOMATIC = np.where([t.name == "BC" for t in CELL_TYPES], 0.3, 0.03)
MIN_NEURONS = int(np.ceil(1 / min(t.share for t in CELL_TYPES)))  # every cell type gets a neuron

TS = pa.timestamp("us", tz="UTC")
CRUD = [
    pa.field("id", pa.int64(), False),
    pa.field("created", TS, False),
    pa.field("deleted", TS),
    pa.field("superceded_id", pa.int64()),
    pa.field("valid", pa.bool_(), False),
]


def _point(name: str, bound: bool = True) -> list[pa.Field]:
    fields = [pa.field(f"{name}_position_{a}", pa.int32(), False) for a in "xyz"]
    return fields + ([pa.field(f"{name}_supervoxel_id", pa.int64(), False)] if bound else [])


SCHEMAS = {
    SOMA_TABLE: pa.schema([*CRUD, *_point("pt"), pa.field("volume", pa.float32(), False)]),
    SYNAPSE_TABLE: pa.schema([
        *CRUD, *_point("pre_pt"), *_point("ctr_pt", bound=False), *_point("post_pt"),
        pa.field("size", pa.float32(), False),
    ]),
    CELL_TYPE_TABLE: pa.schema([
        *CRUD, *_point("pt"), pa.field("cell_type", pa.string(), False),
        pa.field("classification_system", pa.string(), False), pa.field("target_id", pa.int64(), False),
    ]),
}
ROOTS_SCHEMA = pa.schema([
    pa.field("supervoxel_id", pa.int64(), False), pa.field("root_id", pa.int64(), False),
    pa.field("valid_from", TS, False), pa.field("valid_to", TS),
])

VIEW_SQL = f"""\
-- One row per synapse with the cell type of both partners ('unlabeled' when the segment has no
-- label, the alphabetically first one when a merged segment has several). Table names are bound by
-- the query layer to each table's materialized state at the chosen version or timestamp.
WITH labels AS (
    SELECT pt_root_id AS root_id, min(cell_type) AS cell_type
    FROM {CELL_TYPE_TABLE}
    WHERE pt_root_id <> 0
    GROUP BY pt_root_id
)
SELECT
    s.id,
    s.pre_pt_root_id,
    s.post_pt_root_id,
    s.ctr_pt_position_x,
    s.ctr_pt_position_y,
    s.ctr_pt_position_z,
    s.size,
    coalesce(pre.cell_type, 'unlabeled') AS pre_cell_type,
    coalesce(post.cell_type, 'unlabeled') AS post_cell_type
FROM {SYNAPSE_TABLE} AS s
LEFT JOIN labels AS pre ON pre.root_id = s.pre_pt_root_id
LEFT JOIN labels AS post ON post.root_id = s.post_pt_root_id
"""


@dataclass(frozen=True, slots=True)
class _Neurons:
    types: np.ndarray  # cell-type index per neuron
    soma: np.ndarray  # (n, 3) int32 voxels

    @property
    def soma_nm(self) -> np.ndarray:
        return self.soma * np.array(RESOLUTION)


def write(
    root: str | os.PathLike[str],
    datastack: str = "synthetic",
    *,
    size: str = "small",
    n_neurons: int | None = None,
    n_synapses: int | None = None,
    seed: int = 0,
) -> Path:
    """Write the synthetic datastack atomically to ``<root>/<datastack>`` and return that path.

    ``n_neurons``/``n_synapses`` override the ``size`` preset; ``n_synapses`` counts inserted synapses
    (each update adds one replacement row, ~2% more rows). Unknown ``size`` -> ``BadInputError``.

    >>> import tempfile
    >>> write(tempfile.mkdtemp(), size="tiny").name
    'synthetic'
    """
    if size not in SIZES:
        hint = closest(size, SIZES)
        raise BadInputError(
            f"unknown size {size!r}" + (f"; did you mean {hint!r}?" if hint else "")
            + f" (valid sizes: {', '.join(SIZES)})"
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", datastack):
        raise BadInputError(f"datastack {datastack!r} must be a plain name of letters, digits, '_', '.', '-'")
    n_neurons = _count("n_neurons", SIZES[size]["n_neurons"] if n_neurons is None else n_neurons, MIN_NEURONS)
    n_synapses = _count("n_synapses", SIZES[size]["n_synapses"] if n_synapses is None else n_synapses, 1)
    _count("seed", seed, 0)

    neurons = _neurons(np.random.default_rng([seed, 0]), n_neurons)
    final = Path(root) / datastack
    with atomic_dir(final) as tmp:
        for sub in ("tables", "segmentation", "views"):
            (tmp / sub).mkdir()
        _write_json(tmp / "datastack.json", {
            "datastack": datastack,
            "aligned_volume": {"name": f"{datastack}_volume", "id": 1},
            "voxel_resolution": list(RESOLUTION),
            "synapse_table": SYNAPSE_TABLE,
            "soma_table": SOMA_TABLE,
            "description": f"Synthetic connectome: {n_neurons} neurons, {n_synapses} synapses, seed {seed}.",
        })
        _write_json(tmp / "versions.json", _versions())
        roots = _segmentation(np.random.default_rng([seed, 1]), neurons)
        pq.write_table(roots, tmp / "segmentation" / "roots.parquet", compression="zstd", row_group_size=ROW_GROUP)
        nuclei, nucleus_id, nucleus_created = _nucleus_table(np.random.default_rng([seed, 4]), neurons)
        cells = _cell_type_table(np.random.default_rng([seed, 5]), neurons, nucleus_id, nucleus_created)
        last_change = {}
        for name, table in ((SOMA_TABLE, nuclei), (CELL_TYPE_TABLE, cells)):
            pq.write_table(table, tmp / "tables" / f"{name}.parquet", compression="zstd", row_group_size=ROW_GROUP)
            last_change[name] = _last_change(table)
        last_change[SYNAPSE_TABLE] = _write_synapses(tmp / "tables" / f"{SYNAPSE_TABLE}.parquet", neurons,
                                                     n_synapses, seed)
        for name, last in last_change.items():
            _write_json(tmp / "tables" / f"{name}.json", _table_metadata(datastack, name, last))
        (tmp / "views" / f"{VIEW}.sql").write_text(VIEW_SQL, encoding="utf-8")
        _write_json(tmp / "views" / f"{VIEW}.json", {
            "description": "Synapses with the cell types of their pre- and postsynaptic segments.",
            "voxel_resolution": list(RESOLUTION), "notice_text": None, "live_compatible": True,
        })
    return final


def _count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise BadInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _iso(us: int) -> str:
    return (T0 + timedelta(microseconds=us - T0_US)).isoformat(timespec="microseconds")


def _write_json(path: Path, payload: object) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _versions() -> list[dict]:
    """Version 1 expired a week after it was made; the rest are available until 2100."""
    never = NEVER.isoformat(timespec="microseconds")
    return [{
        "version": k,
        "time_stamp": _iso(ts),
        "expires_on": _iso(ts + 7 * DAY - HOUR) if k == 1 else never,
        "valid": k != 1,
        "status": "EXPIRED" if k == 1 else "AVAILABLE",
        "is_merged": True,
    } for k, ts in enumerate(VERSION_US, start=1)]


def _table_metadata(datastack: str, name: str, last_modified: int) -> dict:
    """The keys the materialization service returns for a table (cave.md §9), voxel_resolution folded."""
    info = TABLES[name]
    return {
        "id": list(TABLES).index(name) + 1, "table_name": name, "aligned_volume": f"{datastack}_volume",
        "schema": info.schema, "schema_type": info.schema, "valid": True,
        "created": _iso(T0_US), "description": info.description, "notice_text": info.notice_text,
        "reference_table": info.reference_table, "voxel_resolution": list(RESOLUTION), "flat_segmentation_source": "",
        "user_id": "0", "write_permission": "PRIVATE", "read_permission": "PUBLIC",
        "last_modified": _iso(last_modified), "segmentation_source": "",
        "pcg_table_name": f"{datastack}_pcg", "last_updated": _iso(END_US),
    }


def _neurons(rng: np.random.Generator, n: int) -> _Neurons:
    """Cell types in fixed proportions (shuffled), somata placed in each type's depth band."""
    shares = np.cumsum([t.share for t in CELL_TYPES])
    types = rng.permutation(np.minimum(np.searchsorted(shares, (np.arange(n) + 0.5) / n), len(CELL_TYPES) - 1))
    lo = np.array([t.depth[0] for t in CELL_TYPES])[types]
    hi = np.array([t.depth[1] for t in CELL_TYPES])[types]
    soma = np.column_stack([
        rng.integers(5_000, BOX[0] - 5_000, n), rng.integers(lo, hi), rng.integers(1_000, BOX[2] - 1_000, n),
    ]).astype(np.int32)
    return _Neurons(types, soma)


def _sv(neuron: np.ndarray | int, local: np.ndarray | int) -> np.ndarray:
    return SV_BASE + np.asarray(neuron, dtype=np.int64) * BLOCK + local


class _RootLog:
    """Every root ever created: its supervoxel pieces and its ``[start, end)`` interval (-1 = open)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.members: list[frozenset[int]] = []

    def open(self, group: frozenset[int], t: int) -> int:
        self.starts.append(t)
        self.ends.append(-1)
        self.members.append(group)
        return len(self.members) - 1

    def close(self, index: int, t: int) -> None:
        self.ends[index] = t


def _segmentation(rng: np.random.Generator, neurons: _Neurons) -> pa.Table:
    """Proofreading history: axon fragments merged in (some split off again), false merges split apart."""
    n = len(neurons.types)
    pieces, owner, neuron_pieces = _pieces(rng, n)
    partner = _false_merge_partners(rng, neurons)
    log = _RootLog()
    for i in range(n):
        j = int(partner[i])
        if 0 <= j < i:
            continue  # the pair was handled with its first neuron
        unit = [i] if j < 0 else [i, j]
        events: list[tuple[int, str, int]] = []
        for p in (p for k in unit for p in neuron_pieces[k][1:]):
            if rng.random() < 0.7:
                merged = int(rng.integers(T0_US + DAY, END_US))
                events.append((merged, "merge", p))
                if rng.random() < 0.2:
                    events.append((int(rng.integers(merged, END_US)), "split", p))
        if j >= 0 and rng.random() < 0.85:
            events.append((int(rng.integers(T0_US + DAY, END_US)), "unpair", neuron_pieces[i][0]))
        initial = [frozenset(neuron_pieces[k][0] for k in unit)]
        initial += [frozenset([p]) for k in unit for p in neuron_pieces[k][1:]]
        _replay(log, initial, sorted(events), owner, neuron_pieces)

    starts = np.array(log.starts, dtype=np.int64)
    rank = np.empty(len(starts), dtype=np.int64)
    rank[np.lexsort((np.arange(len(starts)), starts))] = np.arange(len(starts))  # ids grow with creation
    svs = [np.concatenate([pieces[p] for p in sorted(g)]) for g in log.members]
    sizes = np.array([len(s) for s in svs])
    outside = _sv(np.repeat(np.arange(n), N_OUTSIDE), np.tile(np.arange(OUTSIDE0, BLOCK), n))
    columns = {
        "supervoxel_id": np.concatenate([*svs, outside]),
        "root_id": np.concatenate([np.repeat(ROOT_BASE + 1 + rank, sizes), np.zeros(len(outside), np.int64)]),
        "valid_from": np.concatenate([np.repeat(starts, sizes), np.full(len(outside), T0_US)]),
        "valid_to": np.concatenate([np.repeat(np.array(log.ends, np.int64), sizes), np.full(len(outside), -1)]),
    }
    order = np.lexsort((columns["valid_from"], columns["supervoxel_id"]))
    return _arrow({k: v[order] for k, v in columns.items()}, ROOTS_SCHEMA)


def _pieces(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], list[int], list[list[int]]]:
    """Split each neuron's supervoxels into a core piece (soma, dendrites, core axon) and 0-3 axon fragments.

    Returns the pieces (global supervoxel ids), each piece's neuron and each neuron's piece indices
    (core first).
    """
    pieces: list[np.ndarray] = []
    owner: list[int] = []
    neuron_pieces: list[list[int]] = []
    loose = np.arange(AXON0 + CORE_AXON, OUTSIDE0)
    for i, n_frag in enumerate(rng.choice(4, size=n, p=[0.4, 0.3, 0.2, 0.1])):
        cuts = np.sort(rng.choice(np.arange(1, len(loose)), size=n_frag, replace=False))
        segments = np.split(loose, cuts)
        local = [np.concatenate([np.arange(AXON0 + CORE_AXON), segments[0]]), *segments[1:]]
        neuron_pieces.append(list(range(len(pieces), len(pieces) + len(local))))
        pieces += [_sv(i, part) for part in local]
        owner += [i] * len(local)
    return pieces, owner, neuron_pieces


def _replay(
    log: _RootLog, initial: list[frozenset[int]], events: list[tuple[int, str, int]],
    owner: list[int], neuron_pieces: list[list[int]],
) -> None:
    """Apply one unit's edits in time order; each edit retires roots and opens new ones at the same instant."""
    live = {g: log.open(g, T0_US) for g in initial}
    last = T0_US
    for t, kind, p in events:
        current = next(g for g in live if p in g)
        if kind == "merge":
            core = next(g for g in live if neuron_pieces[owner[p]][0] in g)
            retired, born = [current, core], [current | core]
        elif kind == "split":
            retired, born = [current], [current - {p}, frozenset([p])]
        else:  # unpair: separate two falsely merged neurons
            mine = frozenset(q for q in current if owner[q] == owner[p])
            retired, born = [current], [mine, current - mine]
        if len(set(retired)) < len(retired) or not all(born):
            continue  # nothing to do: already merged, or nothing to split off
        t = last = max(t, last + 1)  # strictly increasing: no zero-length roots
        for g in retired:
            log.close(live.pop(g), t)
        for g in born:
            live[g] = log.open(g, t)


def _false_merge_partners(rng: np.random.Generator, neurons: _Neurons) -> np.ndarray:
    """~8% of neurons start merged with a nearby neuron (two somata in one root)."""
    n = len(neurons.types)
    partner = np.full(n, -1)
    _, near = cKDTree(neurons.soma_nm).query(neurons.soma_nm, k=min(6, n))
    for i in rng.permutation(n)[: max(1, n // 12)]:
        free = [j for j in near[i] if partner[j] < 0 and j != i]
        if partner[i] < 0 and free:
            partner[i], partner[free[0]] = free[0], i
    return partner


def _created(rng: np.random.Generator, n: int, p_initial: float) -> np.ndarray:
    """Creation times: a bulk load on the first day, the rest spread over the history."""
    initial = rng.integers(T0_US + HOUR, T0_US + DAY, n)
    later = rng.integers(T0_US + DAY, END_US - HOUR, n)
    return np.where(rng.random(n) < p_initial, initial, later)


def _with_history(
    rng: np.random.Generator,
    columns: dict[str, np.ndarray],
    created: np.ndarray,
    p_delete: np.ndarray | float,
    p_update: float,
    revise: Callable[[dict[str, np.ndarray], np.random.Generator], dict[str, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """Delete some rows and update others (delete + insert of a revised copy at the same instant).

    Returns the columns plus ``created``, ``deleted`` (-1 = live) and ``superceded`` (row index of
    the replacement, -1 = none); replacements are appended after the original rows.
    """
    n = len(created)
    u = rng.random(n)
    when = created + 1 + (rng.random(n) * (END_US - created - 1)).astype(np.int64)
    deleted = np.where(u < p_delete + p_update, when, -1)
    updated = np.flatnonzero(u < p_update)
    new = {k: v[updated] for k, v in columns.items()}
    new = new if revise is None else revise(new, rng)
    out = {k: np.concatenate([v, new[k]]) for k, v in columns.items()}
    out["created"] = np.concatenate([created, deleted[updated]])
    out["deleted"] = np.concatenate([deleted, np.full(len(updated), -1)])
    out["superceded"] = np.full(n + len(updated), -1)
    out["superceded"][updated] = n + np.arange(len(updated))
    return out


def _finish(rows: dict[str, np.ndarray], ids: np.ndarray, order: np.ndarray, schema: pa.Schema) -> pa.Table:
    """Attach ids/CRUD columns, put rows in ``order`` and convert to Arrow."""
    sup = rows.pop("superceded")
    rows["superceded_id"] = np.where(sup >= 0, ids[sup], -1)
    rows["id"] = ids
    rows["valid"] = rows["deleted"] < 0
    return _arrow({k: v[order] for k, v in rows.items()}, schema)


def _creation_ids(created: np.ndarray) -> np.ndarray:
    """Autoincrement-style ids: 1, 2, ... in creation order."""
    ids = np.empty(len(created), dtype=np.int64)
    ids[np.argsort(created, kind="stable")] = np.arange(1, len(created) + 1)
    return ids


def _arrow(columns: dict[str, np.ndarray], schema: pa.Schema) -> pa.Table:
    """Numpy columns to an Arrow table; -1 in a nullable int/timestamp column means null."""
    arrays = []
    for field in schema:
        values = columns[field.name]
        mask = values < 0 if field.nullable else None
        arrays.append(pa.array(values, type=field.type, mask=mask))
    return pa.Table.from_arrays(arrays, schema=schema)


def _point_columns(name: str, pos: np.ndarray, sv: np.ndarray | None = None) -> dict[str, np.ndarray]:
    cols = {f"{name}_position_{a}": pos[:, k].astype(np.int32) for k, a in enumerate("xyz")}
    return cols if sv is None else {**cols, f"{name}_supervoxel_id": sv}


def _nucleus_table(rng: np.random.Generator, neurons: _Neurons) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """One nucleus per neuron plus ~2.5% false detections outside the segmentation, deleted later."""
    n = len(neurons.types)
    host = rng.integers(0, n, max(5, n // 40))
    offset = rng.normal(0, [3_000, 3_000, 300], (len(host), 3)).astype(np.int64)
    pos = np.concatenate([neurons.soma, np.clip(neurons.soma[host] + offset, 0, BOX - 1)])
    sv = np.concatenate([_sv(np.arange(n), 0), _sv(host, OUTSIDE0 + rng.integers(0, N_OUTSIDE, len(host)))])
    median = np.array([t.soma_volume for t in CELL_TYPES])[neurons.types]
    volume = np.concatenate([rng.lognormal(np.log(median), 0.2), rng.lognormal(np.log(40.0), 0.5, len(host))])
    created = _created(rng, len(pos), p_initial=0.8)
    is_false = np.arange(len(pos)) >= n
    rows = _with_history(rng, {**_point_columns("pt", pos, sv), "volume": volume.astype(np.float32)},
                         created, p_delete=is_false.astype(float), p_update=0.0)
    ids = _creation_ids(rows["created"])  # no updates: row k is nucleus k
    return _finish(rows, ids, np.argsort(ids), SCHEMAS[SOMA_TABLE]), ids[:n], created[:n]


def _cell_type_table(
    rng: np.random.Generator, neurons: _Neurons, nucleus_id: np.ndarray, nucleus_created: np.ndarray,
) -> pa.Table:
    """Labels for ~95% of neurons; revised labels start as a wrong type of the same class."""
    labeled = np.flatnonzero(rng.random(len(neurons.types)) < 0.95)
    after = nucleus_created[labeled]
    created = after + 1 + (rng.random(len(labeled)) ** 2 * (END_US - HOUR - after)).astype(np.int64)
    columns = {
        **_point_columns("pt", neurons.soma[labeled], _sv(labeled, 0)),
        "type": neurons.types[labeled],
        "target_id": nucleus_id[labeled],
    }
    rows = _with_history(rng, columns, created, p_delete=0.04, p_update=0.16)
    revised = rows["superceded"] >= 0
    rows["type"][revised] = _same_class_other_type(rng, rows["type"][revised])
    names = np.array([t.name for t in CELL_TYPES], dtype=object)
    rows["cell_type"] = names[rows["type"]]
    rows["classification_system"] = np.where(
        EXCITATORY[rows.pop("type")], "excitatory_neuron", "inhibitory_neuron").astype(object)
    ids = _creation_ids(rows["created"])
    return _finish(rows, ids, np.argsort(ids), SCHEMAS[CELL_TYPE_TABLE])


def _same_class_other_type(rng: np.random.Generator, types: np.ndarray) -> np.ndarray:
    n_exc = int(EXCITATORY.sum())
    first = np.where(EXCITATORY[types], 0, n_exc)
    width = np.where(EXCITATORY[types], n_exc, len(CELL_TYPES) - n_exc)
    return first + (types - first + rng.integers(1, width)) % width


def _last_change(table: pa.Table) -> int:
    created = table["created"].cast(pa.int64()).to_numpy()
    deleted = table["deleted"].cast(pa.int64()).fill_null(0).to_numpy()
    return int(max(created.max(initial=T0_US), deleted.max(initial=T0_US)))


def _write_synapses(directory: Path, neurons: _Neurons, n_synapses: int, seed: int) -> int:
    """Stream synapse chunks into ``part-NNNNN.parquet`` files; returns the last change time (us)."""
    directory.mkdir()
    schema = SCHEMAS[SYNAPSE_TABLE]
    sorting = pq.SortingColumn.from_ordering(schema, [("pre_pt_supervoxel_id", "ascending"), ("id", "ascending")])
    writer, rows_in_part, part, last = None, 0, 0, T0_US
    for table in _synapse_chunks(neurons, n_synapses, seed):
        if writer is None:
            writer = pq.ParquetWriter(directory / f"part-{part:05d}.parquet", schema, compression="zstd",
                                      use_dictionary=False, sorting_columns=sorting)
        writer.write_table(table, row_group_size=ROW_GROUP)
        last = max(last, _last_change(table))
        rows_in_part += len(table)
        if rows_in_part >= PART_ROWS:
            writer.close()
            writer, rows_in_part, part = None, 0, part + 1
    if writer is not None:
        writer.close()
    return last


def _synapse_chunks(neurons: _Neurons, n_synapses: int, seed: int) -> Iterator[pa.Table]:
    """Synapses grouped by pre neuron, ~CHUNK_SYNAPSES rows per chunk, each chunk sorted and id'd."""
    n = len(neurons.types)
    rng = np.random.default_rng([seed, 2])
    weight = rng.lognormal(0.0, 0.5, n) * np.array([t.out_weight for t in CELL_TYPES])[neurons.types]
    counts = rng.multinomial(n_synapses, weight / weight.sum())
    cum = np.cumsum(counts)
    crossings = np.searchsorted(cum, np.arange(CHUNK_SYNAPSES, n_synapses, CHUNK_SYNAPSES)) + 1
    bounds = np.unique([0, *crossings, n])  # chunk = neurons [lo, hi), cut where a chunk fills up
    abundance = np.bincount(neurons.types, minlength=len(CELL_TYPES))
    cdf = np.cumsum(PREFERENCE * abundance, axis=1)
    cdf /= cdf[:, -1:]
    members = [np.flatnonzero(neurons.types == t) for t in range(len(CELL_TYPES))]
    trees = [cKDTree(neurons.soma_nm[m]) for m in members]
    next_id, next_replacement = 1, n_synapses + 1
    for chunk, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        crng = np.random.default_rng([seed, 3, chunk])
        base = _synapse_rows(crng, neurons, np.repeat(np.arange(lo, hi), counts[lo:hi]), cdf, members, trees)
        order = np.argsort(base["pre_pt_supervoxel_id"], kind="stable")
        base = {k: v[order] for k, v in base.items()}
        created = base.pop("created")
        m = len(created)
        rows = _with_history(crng, base, created, p_delete=0.02, p_update=0.02, revise=_resize)
        ids = np.concatenate([next_id + np.arange(m), next_replacement + np.arange(len(rows["created"]) - m)])
        next_id, next_replacement = next_id + m, next_replacement + len(ids) - m
        yield _finish(rows, ids, np.lexsort((ids, rows["pre_pt_supervoxel_id"])), SCHEMAS[SYNAPSE_TABLE])


def _resize(rows: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """An update re-measures the synapse: same points, a new size."""
    factor = rng.uniform(0.7, 1.3, len(rows["size"]))
    return {**rows, "size": np.maximum(np.rint(rows["size"] * factor), 1).astype(np.float32)}


def _synapse_rows(
    rng: np.random.Generator, neurons: _Neurons, pre: np.ndarray, cdf: np.ndarray,
    members: list[np.ndarray], trees: list[cKDTree],
) -> dict[str, np.ndarray]:
    """Synapses of the given pre neurons: connections chosen by type preference and distance."""
    m = len(pre)
    starts = rng.random(m) < 1 / MEAN_SYN_PER_EDGE
    starts[0] = True
    starts[1:] |= pre[1:] != pre[:-1]
    edge = np.cumsum(starts) - 1
    edge_pre = pre[starts]
    pre_type = neurons.types[edge_pre]
    post_type = (rng.random(len(edge_pre))[:, None] > cdf[pre_type]).sum(axis=1)
    soma_nm = neurons.soma_nm
    box_nm = (BOX - 1) * np.array(RESOLUTION)
    center = np.clip(soma_nm[edge_pre] + rng.normal(0, SIGMA_AXON_NM, (len(edge_pre), 3)), 0, box_nm)
    edge_post = _nearest_partner(rng, center, post_type, edge_pre, members, trees)
    autapse = rng.random(len(edge_pre)) < P_AUTAPSE
    edge_post[autapse] = edge_pre[autapse]

    post = edge_post[edge]
    mid = soma_nm[post] + 0.5 * (center[edge] - soma_nm[post]) + rng.normal(0, SIGMA_SYN_NM, (m, 3))
    post_pos = np.clip(np.rint(mid / RESOLUTION), 0, BOX - 1).astype(np.int64)
    pre_pos = np.clip(post_pos + rng.integers(-PRE_OFFSET, PRE_OFFSET + 1, (m, 3)), 0, BOX - 1)
    core_axon = rng.integers(AXON0, AXON0 + CORE_AXON, m)  # autapses stay autapses through fragment edits
    pre_local = np.where(autapse[edge], core_axon, rng.integers(AXON0, OUTSIDE0, m))
    post_local = np.where(rng.random(m) < P_SOMATIC[neurons.types[pre]], 0, rng.integers(1, AXON0, m))
    for local in (pre_local, post_local):
        out = rng.random(m) < P_OUTSIDE
        local[out] = rng.integers(OUTSIDE0, BLOCK, int(out.sum()))
    inhibitory = (~EXCITATORY[neurons.types]).astype(int)
    logmean = SIZE_LOGMEAN[inhibitory[pre], inhibitory[post]]
    return {
        **_point_columns("pre_pt", pre_pos, _sv(pre, pre_local)),
        **_point_columns("ctr_pt", (pre_pos + post_pos) // 2),
        **_point_columns("post_pt", post_pos, _sv(post, post_local)),
        "size": np.maximum(np.rint(rng.lognormal(logmean, 0.6)), 1).astype(np.float32),
        "created": _created(rng, m, p_initial=0.7),
    }


def _nearest_partner(
    rng: np.random.Generator, center: np.ndarray, post_type: np.ndarray, pre: np.ndarray,
    members: list[np.ndarray], trees: list[cKDTree],
) -> np.ndarray:
    """For each connection, a random one of the NEAREST neurons of its post type to its axon point."""
    post = np.empty(len(center), dtype=np.int64)
    for t, (idx, tree) in enumerate(zip(members, trees)):
        sel = np.flatnonzero(post_type == t)
        if len(sel) == 0:
            continue
        k = min(NEAREST, len(idx))
        _, near = tree.query(center[sel], k=k, workers=-1)
        candidates = idx[near.reshape(len(sel), k)]
        score = rng.random(candidates.shape) * (candidates != pre[sel, None])  # self only as a last resort
        post[sel] = candidates[np.arange(len(sel)), score.argmax(axis=1)]
    return post
