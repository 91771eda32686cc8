"""Seeded synthetic synaptic-physiology releases: sqlite files in the aisynphys schema-22 layout.

``write(path, size="small", seed=0)`` builds a file that reads like a published
``synphys_r2.1_small.sqlite``: all 32 tables with their columns in declaration order (``synphys_schema``), the DDL
SQLAlchemy 1.3 emits for sqlite (``id`` first, ``meta`` last, declared foreign keys, ``ix_<table>_<col>``
indexes, unique indexes, ``CHECK (x IN (0, 1))`` on booleans) and the storage conventions of the
real pipeline:

- ``.npy`` BLOBs are whole ``np.save(..., allow_pickle=False)`` files; a missing array is ``b''``
  (``synapse_model.sparse_pca_vector``, ``resting_state_fit.*_avg_data``/``*_pulse_ids``,
  ``synapse_prediction.*_average_response``), except ``avg_response_fit.avg_data``, which is SQL NULL.
- JSON columns hold ``json.dumps`` text; a table's ``meta`` is the text ``'null'`` unless the schema
  gives it content (metadata, experiment, cell, cortical_cell_location). Missing numbers are NULL, never NaN.
- Units are SI (m, s, V, A, ohm, S); ages are days; DATETIME is text ``'YYYY-MM-DD HH:MM:SS'`` (UTC).

Populated: metadata, slice, experiment, electrode (including failed patch attempts without a cell),
cell, pair (every ordered pair of distinct cells in an experiment, linked by ``reciprocal_id``),
intrinsic (a few cells twice), morphology, cortical_site, cortical_cell_location, patch_seq (PatchSeq
experiments only), sync_rec and recording (two pulse-train sweeps per patched electrode; about a third
of experiments add a ``'TargetV_DA_0'`` long-pulse sweep, which is what gap-junction probing needs),
synapse, poly_synapse, avg_response_fit, resting_state_fit, conductance, dynamics and synapse_model
(one row per chemical synapse), synapse_prediction (one row per probed pair) and gap_junction (one row
per electrically coupled pair). Empty, as in the public small release: pipeline, patch_clamp_recording,
multi_patch_probe, test_pulse, stim_pulse, stim_spike, baseline, pulse_response, pulse_response_fit,
pulse_response_strength.

Biology, simplified: slices carry a genotype (cre drivers; human tissue is reporter-negative, so its
cells are ``'unknown'``); each cell has a hidden true class (E, PV, SST, VIP, other inhibitory) that
drives its cre type, dendrite type, transcriptomic call and intrinsic features, so ``cell_class`` and
``cell_class_nonsynaptic`` mostly agree and are sometimes ``'mixed'``. Chemical connections need the
pair to be probed for the pre cell's sign (``n_ex/n_in_test_spikes > 10``) and occur with a
class-dependent peak probability times ``exp(-d**2 / (2 sigma**2))`` of the lateral distance
(sigma = 100 um), so connectivity matrices have structure. The first experiments cover every class of
the standard 17-class mouse matrix, so even ``"tiny"`` finds members for each.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import BadInputError
from engine.files import atomic_path
from engine.synth.synphys_schema import (
    COLUMNS,
    CORRELATIONS,
    FIT_PARAMS,
    INTRINSIC_FEATURES,
    PULSE_AMP,
    TABLES,
    VARIABILITY,
    create_index_sql,
    create_table_sql,
)

SIZES: dict[str, int] = {"tiny": 60, "small": 3_400, "medium": 11_500, "full": 40_000}
"""Experiments per size; about 26 ordered pairs per experiment (tiny ~1.6k, small ~90k, medium ~300k, full ~1.05M)."""

ORIGIN = "Allen Institute for Brain Science / Synaptic Physiology"
MOUSE_PROJECTS = ("mouse V1 coarse matrix", "mouse V1 pre-production")
HUMAN_PROJECTS = ("human coarse matrix",)
INHIBITORY_CRE_TYPES = ("sst", "pvalb", "vip", "ndnf", "chat", "htr3a", "nos1", "chrna2", "mDlx", "3xcorehI56i", "tac1")
EXCITATORY_CRE_TYPES = ("tlx3", "sim1", "fam84b", "rorb", "ntsr1", "rbp4", "ctgf", "glt25d2", "slc17a8", "cux2",
                        "nr5a1", "eHGT_078m", "3xHGT_073m(core)")
MOUSE_LAYERS = ("1", "2/3", "4", "5", "6a", "6b")
HUMAN_LAYERS = ("1", "2", "3", "4", "5", "6")

# --------------------------------------------------------------------------------------------------
# Domains

E, PV, SST, VIP, OI = range(5)  # hidden connectivity groups: excitatory, pvalb, sst, vip, other inhibitory
_MAPPED_INHIBITORY = ("pvalb", "sst", "vip", "lamp5")
_INHIBITORY_SHARES = (0.4, 0.3, 0.15, 0.15)  # PV, SST, VIP, other among reporter-negative inhibitory cells


DRIVER_LAYERS = {"cux2": ("2/3", "4"), "rorb": ("4",), "nr5a1": ("4",), "tlx3": ("5",), "sim1": ("5",),
                 "rbp4": ("5",), "fam84b": ("5",), "glt25d2": ("5",), "slc17a8": ("5", "6"), "ntsr1": ("6",),
                 "ctgf": ("6",)}
"""Mouse target layers of the excitatory cre drivers (aisynphys DRIVER_LAYERS, plus fam84b and glt25d2)."""
_ALLELES = {
    "pvalb": "Pvalb-IRES-Cre", "sst": "Sst-IRES-Cre", "vip": "Vip-IRES-Cre", "ndnf": "Ndnf-IRES2-dgCre",
    "chat": "Chat-IRES-Cre-neo", "htr3a": "Htr3a-Cre_NO152", "nos1": "Nos1-CreERT2", "chrna2": "Chrna2-Cre_OE25",
    "tac1": "Tac1-IRES2-Cre", "cux2": "Cux2-CreERT2", "rorb": "Rorb-T2A-tTA2", "nr5a1": "Nr5a1-Cre",
    "tlx3": "Tlx3-Cre_PL56", "sim1": "Sim1-Cre_KJ18", "fam84b": "Fam84b-FlpO", "rbp4": "Rbp4-Cre_KL100",
    "glt25d2": "Glt25d2-Cre_NF107", "slc17a8": "Slc17a8-IRES2-Cre", "ntsr1": "Ntsr1-Cre_GN220",
    "ctgf": "Ctgf-T2A-dgCre", "eHGT_078m": "AAV-eHGT_078m", "3xHGT_073m(core)": "AAV-3xHGT_073m(core)",
    "3xcorehI56i": "AAV-3xcorehI56i",
}
_GROUPS = {"pvalb": PV, "sst": SST, "vip": VIP}


def _group(driver: str) -> int:
    return _GROUPS.get(driver, OI if driver in INHIBITORY_CRE_TYPES else E)


_FLP = {"pvalb": "Pvalb-T2A-FlpO", "sst": "Sst-IRES-FlpO", "vip": "Vip-IRES-FlpO"}
_MOUSE_GENOTYPES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("pvalb",), 12), (("sst",), 12), (("vip",), 10), (("ndnf",), 1), (("chat",), 1), (("htr3a",), 1),
    (("nos1",), 1), (("chrna2",), 1), (("tac1",), 1), (("cux2",), 4), (("rorb",), 4), (("nr5a1",), 5),
    (("tlx3",), 6), (("sim1",), 6), (("fam84b",), 2), (("rbp4",), 2), (("glt25d2",), 1), (("slc17a8",), 1),
    (("ntsr1",), 6), (("ctgf",), 1), (("sim1", "pvalb"), 3), (("tlx3", "pvalb"), 3), (("nr5a1", "pvalb"), 2),
    (("ntsr1", "pvalb"), 2), (("rorb", "sst"), 1), (("tlx3", "sst"), 1), (("ntsr1", "vip"), 1),
    (("sst", "pvalb"), 4), (("vip", "pvalb"), 3), (("vip", "sst"), 3), ((), 2),
)
_HUMAN_GENOTYPES: tuple[tuple[tuple[str, ...], float], ...] = (
    ((), 92), (("eHGT_078m",), 3), (("3xHGT_073m(core)",), 2), (("3xcorehI56i",), 3),
)
# (human, drivers, target layer) of the first slices, so every size has members in every standard class.
_COVERAGE: tuple[tuple[bool, tuple[str, ...], str], ...] = (
    *((False, (d,), layer) for layer in ("2/3", "4", "5", "6") for d in ("pvalb", "sst", "vip")),
    (False, ("nr5a1",), "4"), (False, ("rorb",), "4"), (False, ("sim1", "pvalb"), "5"), (False, ("tlx3",), "5"),
    (False, ("fam84b",), "5"), (False, ("ntsr1",), "6"), (True, (), "3"), (True, (), "2"), (True, (), "5"),
)
_TARGETS = {False: {"2/3": 1, "4": 2, "5": 3, "6": 4}, True: {"2": 1, "3": 2, "4": 3, "5": 4, "6": 5}}
_TARGET_WEIGHTS = {False: (0.35, 0.2, 0.25, 0.2), True: (0.25, 0.4, 0.1, 0.15, 0.1)}
_BOUNDS = {False: (0.0, 0.11, 0.37, 0.48, 0.72, 0.96, 1.0), True: (0.0, 0.09, 0.2, 0.45, 0.52, 0.72, 1.0)}
_HUMAN_REGIONS = (("TCx", "FCx", "PCx", "OCx"), (0.6, 0.25, 0.1, 0.05))
_INTERNALS = {False: (("Standard K-Gluc", "K-Gluc -EGTA", "K-Gluc 1uM EGTA", "PatchSeq", "Cesium", "mixed"),
                      (0.62, 0.08, 0.12, 0.1, 0.03, 0.05)),
              True: (("Standard K-Gluc", "PatchSeq", "K-Gluc 1uM EGTA", "mixed"), (0.55, 0.35, 0.05, 0.05))}
_ACSFS = {False: (("Standard", "2mM Ca & Mg", "1.3mM Ca & 1mM Mg", "ACSF III (no blockers)", "4mM Ca",
                   "4mM Ca + TTx,4AP", "mixed"), (0.45, 0.2, 0.2, 0.08, 0.03, 0.01, 0.03)),
          True: (("Standard", "1.3mM Ca & 1mM Mg", "2mM Ca & Mg", "mixed"), (0.5, 0.3, 0.15, 0.05))}
_OPERATORS = ("AS", "BL", "CK", "DM", "EG", "FR", "GH", "JT", "KW", "LN")
_PULSE_TRAINS = ("PulseTrain_10Hz_DA_0", "PulseTrain_20Hz_DA_0", "PulseTrain_100Hz_DA_0", "PulseTrain_200Hz_DA_0")
_PULSE_FREQS = (10.0, 20.0, 100.0, 200.0)
_GAP_STIM = "TargetV_DA_0"
_STIM_META = {f: json.dumps({"induction_frequency": f, "recovery_delay": 0.25}) for f in (50.0, *_PULSE_FREQS)}

# Peak connection probability (at zero lateral distance) for pre (row) -> post (column) groups E, PV, SST, VIP, other.
_PMAX = np.array([
    [0.08, 0.30, 0.25, 0.10, 0.12],
    [0.45, 0.45, 0.12, 0.08, 0.10],
    [0.30, 0.30, 0.06, 0.30, 0.15],
    [0.03, 0.06, 0.35, 0.05, 0.05],
    [0.20, 0.15, 0.10, 0.10, 0.10],
])
_HUMAN_EE_PMAX = 0.18
_EE_LAYER_FACTOR = {False: np.array([1.0, 1.2, 0.8, 1.1, 0.4, 0.4]), True: np.array([1.0, 1.2, 1.2, 0.8, 1.0, 0.5])}
_GAP_PMAX = np.array([0.0, 0.35, 0.2, 0.1, 0.1])
_STP_INDUCTION = np.array([
    [-0.25, -0.30, 0.45, 0.10, 0.00],
    [-0.35, -0.35, -0.30, -0.30, -0.30],
    [-0.10, -0.10, -0.05, -0.10, -0.10],
    [-0.10, -0.10, -0.05, -0.10, -0.10],
    [-0.15, -0.15, -0.15, -0.15, -0.15],
])
SIGMA = 100e-6  # m, the Gaussian fall-off of connection probability with lateral distance
_GAP_SIGMA = 75e-6
SAMPLE_RATE = 20_000
_WAVE_SAMPLES = 120  # 6 ms of averaged response at 20 kHz
_DAY_MS = 86_400_000
_START_DAY, _STOP_DAY = 16_953, 18_808  # 2016-06-01 .. 2021-06-30 (days since the epoch)
_CHUNK = 50_000


# --------------------------------------------------------------------------------------------------
# Public API

def release_file_name(release: str, size: str) -> str:
    """Published file name of a release: ``synphys_r{release}_{size}.sqlite``.

    >>> release_file_name("2.1", "small")
    'synphys_r2.1_small.sqlite'
    """
    return f"synphys_r{release}_{size}.sqlite"


def write(path: str | os.PathLike[str], *, size: str = "small", n_experiments: int | None = None, seed: int = 0,
          release: str = "2.1", creation_date: str = "2024-05-07", schema_version: str = "22") -> Path:
    """Write a synthetic release to ``path`` atomically and return the file written.

    ``path`` may be an existing directory, in which case the file is ``release_file_name(release, size)``
    inside it. ``n_experiments`` overrides the size's experiment count. Same arguments, same bytes.

    >>> write(tmp_dir, size="tiny")  # doctest: +SKIP
    PosixPath('.../synphys_r2.1_tiny.sqlite')
    """
    if size not in SIZES:
        raise BadInputError(f"unknown synphys size {size!r} (valid sizes: {', '.join(SIZES)})")
    count = SIZES[size] if n_experiments is None else n_experiments
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BadInputError(f"n_experiments must be a positive integer, not {n_experiments!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise BadInputError(f"seed must be a non-negative integer, not {seed!r}")
    try:
        date.fromisoformat(creation_date)
    except (TypeError, ValueError):
        raise BadInputError(f"creation_date must be 'YYYY-MM-DD', not {creation_date!r}") from None
    meta = {"db_version": str(schema_version), "creation_date": creation_date, "origin": ORIGIN}
    final = Path(path)
    if final.is_dir():
        final = final / release_file_name(release, size)
    with atomic_path(final) as tmp:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            _build(con, count, seed, meta)
        finally:
            con.close()
    return final


def _build(con: sqlite3.Connection, n_experiments: int, seed: int, meta: dict[str, str]) -> None:
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-65536")
    con.execute("BEGIN")
    for table in TABLES:
        con.execute(create_table_sql(table))
    _insert(con, "metadata", 1, {"meta": json.dumps(meta)})
    for table, n, data in _generate(np.random.default_rng(seed), n_experiments):
        _insert(con, table, n, data)
    for table in TABLES:
        for sql in create_index_sql(table):
            con.execute(sql)
    con.execute("COMMIT")


def _insert(con: sqlite3.Connection, table: str, n: int, data: dict[str, Any]) -> None:
    """Insert ``n`` rows given column-wise; missing columns are NULL, ``id`` is 1..n and ``meta`` defaults to 'null'."""
    names = [c.name for c in COLUMNS[table]]
    unknown = set(data) - set(names)
    if unknown:
        raise ValueError(f"table {table!r} has no columns {sorted(unknown)}")
    data = {"id": np.arange(1, n + 1), "meta": "null", **data}
    for name, values in data.items():
        if isinstance(values, (np.ndarray, list)) and len(values) != n:
            raise ValueError(f"{table}.{name}: {len(values)} values for {n} rows")
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        con.executemany(sql, zip(*(_chunk(data.get(name), start, stop) for name in names)))


def _chunk(values: Any, start: int, stop: int) -> Iterable[Any]:
    if isinstance(values, np.ndarray):
        return values[start:stop].tolist()
    if isinstance(values, list):
        return values[start:stop]
    return itertools.repeat(values, stop - start)


# --------------------------------------------------------------------------------------------------
# Small helpers

def _pick(rng: np.random.Generator, weights: Iterable[float], n: int) -> np.ndarray:
    p = np.asarray(tuple(weights), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _lognormal(rng: np.random.Generator, median: Any, sigma: float, n: int) -> np.ndarray:
    return np.asarray(median, dtype=float) * np.exp(sigma * rng.standard_normal(n))


def _holes(rng: np.random.Generator, values: np.ndarray, fraction: float) -> np.ndarray:
    """A float copy of ``values`` with about ``fraction`` of them missing (NaN, stored as NULL)."""
    out = np.asarray(values, dtype=float).copy()
    out[rng.random(len(out)) < fraction] = np.nan
    return out


def _by_species(rng: np.random.Generator, choices: dict[bool, tuple[tuple[str, ...], tuple[float, ...]]],
                human: np.ndarray) -> list[str]:
    """One weighted choice per row from the mouse or the human list of ``choices``."""
    mouse_pick = np.array(choices[False][0])[_pick(rng, choices[False][1], len(human))]
    human_pick = np.array(choices[True][0])[_pick(rng, choices[True][1], len(human))]
    return np.where(human, human_pick, mouse_pick).tolist()


def _take(values: Any, k: np.ndarray, default: Any) -> np.ndarray:
    """``values[k]``, with ``default`` where ``k`` is -1."""
    return np.append(np.asarray(values, dtype=object if isinstance(default, str) else float), default)[k]


def _maybe(mask: np.ndarray, values: Iterable[Any]) -> list[Any]:
    return [v if m else None for v, m in zip(values, mask.tolist())]


def _npy_blobs(arrays: Iterable[np.ndarray | None]) -> list[bytes]:
    """``np.save(..., allow_pickle=False)`` bytes per array (``b''`` for None), one header per shape."""
    headers: dict[tuple[str, tuple[int, ...]], bytes] = {}
    out = []
    for a in arrays:
        if a is None:
            out.append(b"")
            continue
        key = (a.dtype.str, a.shape)
        if key not in headers:
            buf = io.BytesIO()
            np.save(buf, a, allow_pickle=False)
            whole = buf.getvalue()
            headers[key] = whole[: len(whole) - a.nbytes]
        out.append(headers[key] + np.ascontiguousarray(a).tobytes())
    return out


def _datetimes(ms: np.ndarray) -> list[str]:
    text = np.datetime_as_string(np.asarray(ms, dtype="int64").astype("datetime64[ms]"), unit="s")
    return [t.replace("T", " ") for t in text.tolist()]


def _ext_ids(ms: np.ndarray) -> list[str]:
    """acq4-style ``'%0.3f'`` timestamps, formatted from integer milliseconds so they are exact."""
    return [f"{m // 1000}.{m % 1000:03d}" for m in ms.tolist()]


def _distinct(ms: np.ndarray) -> np.ndarray:
    """Nudge equal millisecond timestamps apart (+1 ms) so ext_ids are unique."""
    order = np.argsort(ms, kind="stable")
    steps = np.arange(len(ms))
    fixed = np.maximum.accumulate(ms[order] - steps) + steps
    out = np.empty_like(ms)
    out[order] = fixed
    return out


def _wave_blobs(rng: np.random.Generator, keep: np.ndarray, amp: np.ndarray, latency: np.ndarray, rise: np.ndarray,
                decay: np.ndarray, noise: Any) -> list[bytes]:
    """``.npy`` averaged responses (float32, 20 kHz, from 1 ms before the spike) where ``keep``, else ``b''``."""
    rows = np.flatnonzero(keep)
    t = np.arange(_WAVE_SAMPLES) / SAMPLE_RATE - 1e-3
    s = np.clip(t[None, :] - np.nan_to_num(latency[rows])[:, None], 0.0, None)
    shape = (1.0 - np.exp(-s / np.nan_to_num(rise[rows], nan=2e-3)[:, None])) * np.exp(
        -s / np.nan_to_num(decay[rows], nan=20e-3)[:, None])
    noise = np.broadcast_to(np.asarray(noise, dtype=float), keep.shape)[rows, None]
    waves = (np.nan_to_num(amp[rows])[:, None] * shape + noise * rng.standard_normal(shape.shape)).astype(np.float32)
    out: list[np.ndarray | None] = [None] * len(keep)
    for r, w in zip(rows.tolist(), waves):
        out[r] = w
    return _npy_blobs(out)


def _json_list(values: np.ndarray) -> list[str]:
    """``json.dumps`` of each row of a float matrix (float repr is JSON's number format)."""
    return ["[" + ", ".join(map(repr, row)) + "]" for row in values.tolist()]


def _gauss(d: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(-(d ** 2) / (2 * sigma ** 2))


# --------------------------------------------------------------------------------------------------
# Generation: experiments -> cells -> pairs -> synapse-level tables

@dataclass(frozen=True)
class _Experiments:
    """Per-experiment plan (hidden state the tables are derived from)."""

    slice_of: np.ndarray
    human: np.ndarray
    drivers: list[tuple[str, ...]]
    target: list[str]
    target_code: np.ndarray
    ms: np.ndarray
    n_cells: np.ndarray
    forced: np.ndarray
    has_site: np.ndarray
    annotated: np.ndarray
    gap_probed: np.ndarray
    patchseq: np.ndarray
    region: list[str]
    bounds: np.ndarray
    thickness: np.ndarray
    center: np.ndarray


@dataclass(frozen=True)
class _Cells:
    """Per-cell hidden truth: true class, geometry and which optional rows exist."""

    exp: np.ndarray
    human: np.ndarray
    headstage: np.ndarray
    electrode_id: np.ndarray
    cre: list[str | None]
    inhibitory: np.ndarray
    group: np.ndarray
    transgenic: np.ndarray  # 0 none, 1 ex, 2 in (same code for every class source)
    layer: np.ndarray
    frac: np.ndarray
    lateral: np.ndarray
    depth: np.ndarray
    has_location: np.ndarray
    has_position: np.ndarray
    has_morphology: np.ndarray
    dendrite: np.ndarray  # 0 spiny, 1 aspiny, 2 sparsely spiny, 3 NEI
    has_patchseq: np.ndarray
    gabaergic: np.ndarray  # transcriptomic call
    stimulated: np.ndarray
    target_v: np.ndarray


@dataclass(frozen=True)
class _Pairs:
    """Per-pair truth: geometry, probing and connections, indexed like the pair table."""

    exp: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    reciprocal: np.ndarray
    distance: np.ndarray
    lateral: np.ndarray
    vertical: np.ndarray
    annotated: np.ndarray
    n_ex: np.ndarray
    n_in: np.ndarray
    connected: np.ndarray
    poly: np.ndarray
    electrical: np.ndarray


_Rows = tuple[str, int, dict[str, Any]]  # (table, row count, column values) for _insert
_DENDRITES = ("spiny", "aspiny", "sparsely spiny", "NEI")
_CLASS_NAMES = (None, "ex", "in", "mixed")


def _generate(rng: np.random.Generator, n: int) -> Iterator[_Rows]:
    """Every populated table, in insertion order."""
    ex, slices, experiments = _experiments(rng, n)
    yield "slice", len(slices["ext_id"]), slices
    yield "experiment", n, experiments
    cells, electrodes = _cells(rng, ex)
    yield "electrode", len(electrodes["ext_id"]), electrodes
    pairs = _pairs(rng, ex, cells)
    nonsynaptic = yield from _cell_tables(rng, ex, cells, pairs)
    yield from _recordings(rng, ex, cells)
    yield "pair", len(pairs.pre), _pair_table(rng, ex, cells, pairs)
    yield from _synapse_tables(rng, cells, pairs, nonsynaptic)


def _experiments(rng: np.random.Generator, n: int) -> tuple[_Experiments, dict[str, Any], dict[str, Any]]:
    """The experiment plan plus the slice and experiment tables (slices host 1-3 experiments)."""
    per = rng.choice([1, 2, 3], size=n, p=[0.55, 0.3, 0.15])
    n_slices = int(np.searchsorted(np.cumsum(per), n)) + 1
    per = per[:n_slices]
    per[-1] -= per.sum() - n
    slice_of = np.repeat(np.arange(n_slices), per)
    k_in_slice = np.arange(n) - np.repeat(np.cumsum(per) - per, per)

    covered = min(len(_COVERAGE), n_slices)
    human_s = rng.random(n_slices) < 0.15
    mouse_g = _pick(rng, (w for _, w in _MOUSE_GENOTYPES), n_slices)
    human_g = _pick(rng, (w for _, w in _HUMAN_GENOTYPES), n_slices)
    drivers_s = [_HUMAN_GENOTYPES[h][0] if hu else _MOUSE_GENOTYPES[m][0]
                 for hu, m, h in zip(human_s.tolist(), mouse_g.tolist(), human_g.tolist())]
    for s in range(covered):
        human_s[s], drivers_s[s] = _COVERAGE[s][0], _COVERAGE[s][1]
    forced = np.where((k_in_slice == 0) & (slice_of < covered), slice_of, -1)

    human = human_s[slice_of]
    drivers = [drivers_s[s] for s in slice_of.tolist()]
    u = rng.random(n)
    target = []
    for e in range(n):
        if forced[e] >= 0:
            target.append(_COVERAGE[forced[e]][2])
            continue
        layers = tuple(_TARGETS[bool(human[e])])
        weights = _TARGET_WEIGHTS[bool(human[e])]
        excitatory = [d for d in drivers[e] if d in DRIVER_LAYERS]
        if excitatory:
            layers = DRIVER_LAYERS[excitatory[0]]
            weights = (1.0,) * len(layers)
        cum = np.cumsum(weights)
        target.append(layers[int(np.searchsorted(cum, u[e] * cum[-1], side="right"))])
    target_code = np.array([_TARGETS[bool(h)][t] for h, t in zip(human.tolist(), target)])

    # Times: slices at 08:00-12:00 UTC on random days; experiments follow within the same day.
    days = np.sort(rng.integers(_START_DAY, _STOP_DAY, n_slices))
    slice_ms = _distinct(days * _DAY_MS + rng.integers(8 * 3_600_000, 12 * 3_600_000, n_slices))
    ms = _distinct(slice_ms[slice_of] + rng.integers(20, 60, n) * 60_000
                   + k_in_slice * rng.integers(90, 150, n) * 60_000 + rng.integers(0, 60_000, n))

    n_cells = _pick(rng, (0.06, 0.1, 0.16, 0.2, 0.2, 0.15, 0.13), n) + 2
    n_cells[forced >= 0] = 6
    has_site = np.where(forced >= 0, True, rng.random(n) < np.where(human, 0.8, 0.7))
    annotated = np.where(forced >= 0, True, rng.random(n) < 0.91)
    coverage_inhibitory = np.array([f >= 0 and _COVERAGE[f][1][:1] in (("pvalb",), ("sst",), ("vip",))
                                    for f in forced.tolist()], dtype=bool)
    gap_probed = coverage_inhibitory | (rng.random(n) < 0.33)
    internal = _by_species(rng, _INTERNALS, human)
    acsf = _by_species(rng, _ACSFS, human)

    # Cortical geometry: per-experiment layer boundaries (fractions of the pia-WM thickness) and a target depth.
    bounds = np.array([_BOUNDS[bool(h)] for h in human.tolist()])
    bounds[:, 1:-1] += 0.01 * rng.standard_normal((n, bounds.shape[1] - 2))
    bounds = np.sort(bounds, axis=1)
    thickness = np.where(human, 2800e-6 + 300e-6 * rng.standard_normal(n), 900e-6 + 60e-6 * rng.standard_normal(n))
    rows = np.arange(n)
    center = bounds[rows, target_code] + (bounds[rows, target_code + 1] - bounds[rows, target_code]) * rng.uniform(
        0.25, 0.75, n)

    region = np.where(human, np.array(_HUMAN_REGIONS[0])[_pick(rng, _HUMAN_REGIONS[1], n)], "VisP").tolist()
    ex = _Experiments(slice_of, human, drivers, target, target_code, ms, n_cells, forced, has_site, annotated,
                      gap_probed, np.array([i == "PatchSeq" for i in internal]), region, bounds, thickness, center)
    slices = _slice_table(rng, human_s, drivers_s, slice_ms, days)
    mouse_project = np.where(rng.random(n) < 0.2, MOUSE_PROJECTS[1], MOUSE_PROJECTS[0])
    rig = rng.integers(1, 7, n_slices)[slice_of]
    dt = _datetimes(ms)
    experiments = {
        "ext_id": _ext_ids(ms),
        "slice_id": slice_of + 1,
        "project_name": np.where(human, HUMAN_PROJECTS[0], mouse_project).tolist(),
        "date": dt,
        "target_region": region,
        "internal": internal,
        "acsf": acsf,
        "target_temperature": _holes(rng, np.where(rng.random(n) < 0.75, 32.0, 34.0), 0.05),
        "rig_name": [f"MP{r}" for r in rig.tolist()],
        "operator_name": np.array(_OPERATORS)[rng.integers(0, len(_OPERATORS), n)].tolist(),
        "storage_path": [f"{slices['storage_path'][s]}/site_{k:03d}"
                         for s, k in zip(slice_of.tolist(), k_in_slice.tolist())],
        "ephys_file": [f"{d[:10].replace('-', '_')}_{d[11:].replace(':', '')}-compressed.nwb" for d in dt],
        "acq_timestamp": ms / 1000.0,
        "meta": [json.dumps({"lims_cell_cluster_id": a, "lims_ephys_result_id": b})
                 for a, b in zip(_maybe(rng.random(n) < 0.9, rng.integers(600_000_000, 999_999_999, n).tolist()),
                                 _maybe(rng.random(n) < 0.9, rng.integers(600_000_000, 999_999_999, n).tolist()))],
    }
    return ex, slices, experiments


def _slice_table(rng: np.random.Generator, human: np.ndarray, drivers: list[tuple[str, ...]], ms: np.ndarray,
                 days: np.ndarray) -> dict[str, Any]:
    n = len(human)
    mouse = ~human
    age = np.where(human, rng.integers(20 * 365, 80 * 365 + 1, n), rng.integers(40, 91, n))
    orientation = np.where(rng.random(n) < 0.75, "coronal", "sagittal")
    surface_u = rng.random(n)
    surface = np.where(orientation == "coronal", np.where(surface_u < 0.5, "anterior", "posterior"),
                       np.where(surface_u < 0.5, "left", "right"))
    hemisphere = np.array(("left", "right", "bilateral"))[_pick(rng, (0.48, 0.48, 0.04), n)]
    sex_mouse = np.array(("M", "F", "unknown"))[_pick(rng, (0.48, 0.48, 0.04), n)]
    donors = rng.integers(400_000, 10_000_000, n).tolist()
    sections, codes = rng.integers(1, 13, n).tolist(), rng.integers(1, 11, n).tolist()
    human_ids = rng.integers(0, 1000, (n, 4)).tolist()
    dates = _datetimes(days * _DAY_MS)
    names, genotypes = [], []
    for s in range(n):
        alleles = [_FLP[d] if k == 1 else _ALLELES[d] for k, d in enumerate(drivers[s])]
        if human[s]:
            genotypes.append(alleles[0] if alleles else None)
            a, b, c, d = human_ids[s]
            names.append(f"H{dates[s][2:4]}.{a % 100:02d}.{b:03d}.{c % 100:02d}.{d % 100:02d}.01")
            continue
        reporters = ["Ai65F", "Ai140(TIT2L-GFP-ICL-tTA2)"] if len(alleles) == 2 else ["Ai14(RCL-tdT)"]
        genotypes.append(";".join(f"{a}/wt" for a in alleles + reporters) if alleles else None)
        pedigree = ";".join([a.split("_")[0] for a in alleles] + [r.split("(")[0] for r in reporters])
        names.append(f"{pedigree}-{donors[s]}.{sections[s]:02d}.{codes[s]:02d}")
    return {
        "ext_id": _ext_ids(ms),
        "acq_timestamp": ms / 1000.0,
        "species": np.where(human, "human", "mouse").tolist(),
        "date_of_birth": _maybe(mouse, _datetimes((days - age) * _DAY_MS)),
        "age": age,
        "sex": np.where(human, np.where(rng.random(n) < 0.5, "M", "F"), sex_mouse).tolist(),
        "weight": _maybe(mouse & (rng.random(n) < 0.7), (f"{w:.1f}" for w in 22 + 3 * rng.standard_normal(n))),
        "genotype": genotypes,
        "orientation": _maybe(mouse, orientation.tolist()),
        "surface": _maybe(mouse & (rng.random(n) < 0.9), surface.tolist()),
        "hemisphere": _maybe(mouse, hemisphere.tolist()),
        "quality": _holes(rng, _pick(rng, (0.02, 0.05, 0.13, 0.3, 0.3, 0.2), n), 0.05),
        "slice_time": _datetimes(ms - rng.integers(30, 90, n) * 60_000),
        "slice_conditions": "{}",
        "lims_specimen_name": names,
        "storage_path": [f"{d[:10]}_{s % 1000:03d}/slice_000" for s, d in enumerate(dates)],
    }


def _cells(rng: np.random.Generator, ex: _Experiments) -> tuple[_Cells, dict[str, Any]]:
    """Cells (hidden truth) and the electrode table: one electrode per headstage tried, cells on the patched ones."""
    n_exp = len(ex.n_cells)
    # Headstages: each experiment patches n of 8; a quarter of the unused ones record a failed attempt.
    rank = rng.random((n_exp, 8)).argsort(axis=1).argsort(axis=1)
    chosen = rank < ex.n_cells[:, None]
    failed = ~chosen & (rng.random((n_exp, 8)) < 0.25)
    el_exp, el_hs = np.nonzero(chosen | failed)
    el_cell = chosen[el_exp, el_hs]
    n_el = len(el_exp)
    start = ex.ms[el_exp] + rng.integers(0, 300_000, n_el)
    status = np.where(el_cell, np.where(rng.random(n_el) < 0.9, "GOhm seal", "low seal"),
                      np.array(("no seal", "tech fail", "no attempt"))[_pick(rng, (0.6, 0.25, 0.15), n_el)])
    electrodes = {"experiment_id": el_exp + 1, "ext_id": [str(h + 1) for h in el_hs.tolist()],
                  "patch_status": status.tolist(), "start_time": _datetimes(start),
                  "stop_time": _datetimes(start + rng.integers(20, 120, n_el) * 60_000), "device_id": el_hs}

    exp = el_exp[el_cell]
    n = len(exp)
    local = np.arange(n) - (np.cumsum(ex.n_cells) - ex.n_cells)[exp]
    human = ex.human[exp]
    forced = ex.forced[exp]
    drivers = [ex.drivers[e] for e in exp.tolist()]
    n_drivers = np.array([len(d) for d in drivers])

    # Cre calls: one of the slice's drivers, both (comma-joined), reporter-negative 'unknown', or NULL.
    positive = (n_drivers > 0) & (rng.random(n) < np.where(human, 0.4, np.where(n_drivers == 2, 0.6, 0.55)))
    which = rng.random(n)
    slot = np.where(positive, np.where(n_drivers == 2, np.where(which < 0.45, 0, np.where(which < 0.9, 1, 2)), 0), -1)
    slot[~positive & (rng.random(n) < np.where(human, 0.05, 0.015))] = -2
    is_forced = forced >= 0
    dual = np.array([f >= 0 and len(_COVERAGE[f][1]) == 2 for f in forced.tolist()], dtype=bool)
    slot[is_forced & (local == 0) & ~human] = 0
    slot[is_forced & (local == 1) & ~human] = np.where(dual, 2, 0)[is_forced & (local == 1) & ~human]
    slot[is_forced & (local == 2)] = -1
    cre = [None if s == -2 else "unknown" if s == -1 else ",".join(d) if s == 2 else d[s]
           for s, d in zip(slot.tolist(), drivers)]
    # The labelled driver; a double-positive cell counts as the second (always inhibitory) one.
    labelled = [None if s < 0 else d[min(s, 1)] for s, d in zip(slot.tolist(), drivers)]
    driver_inh = np.array([d in INHIBITORY_CRE_TYPES for d in labelled])
    driver_group = np.array([E if d is None else _group(d) for d in labelled])
    conflicting = np.array([s == 2 and d[0] not in INHIBITORY_CRE_TYPES for s, d in zip(slot.tolist(), drivers)])
    transgenic = np.where((slot < 0) | conflicting, 0, np.where(driver_inh, 2, 1))

    # Depth: within +-100 um of the field's target depth (below mouse layer 1); the layer follows from it.
    # Driver-labelled excitatory cells (and the coverage cells) stay inside their target layer band.
    bounds, target = ex.bounds[exp], ex.target_code[exp]
    rows, window = np.arange(n), 100e-6 / ex.thickness[exp]
    lo = np.maximum(ex.center[exp] - window, np.where(human, 0.0, bounds[:, 1]))
    hi = np.minimum(ex.center[exp] + window, 1.0)
    constrained = ((slot >= 0) & ~driver_inh) | (is_forced & (local < 3))
    band_end = np.where(~human & (target == 4), 6, target + 1)  # mouse target '6' spans 6a and 6b
    lo = np.where(constrained, np.maximum(lo, bounds[rows, target]), lo)
    hi = np.where(constrained, np.minimum(hi, bounds[rows, band_end]), hi)
    frac = lo + rng.random(n) * (hi - lo)
    layer = (frac[:, None] >= bounds[:, 1:-1]).sum(axis=1)
    # Lateral: each cell gets its own slot of the 260 um field, so somata never overlap.
    order = np.lexsort((rng.random(n), exp))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - (np.cumsum(ex.n_cells) - ex.n_cells)[exp[order]]
    lateral = (-130e-6 + 260e-6 / ex.n_cells[exp] * (rank + rng.uniform(0.2, 0.8, n)))

    inhibitory = np.where(slot >= 0, driver_inh, rng.random(n) < np.where(human, 0.22, 0.15))
    inhibitory |= layer == 0  # layer 1 holds interneurons only
    inhibitory &= ~(is_forced & (local == 2))
    group = np.where(slot >= 0, driver_group, _pick(rng, _INHIBITORY_SHARES, n) + PV)
    group = np.where(inhibitory, group, E)

    has_morphology = rng.random(n) < np.where(human, 0.85, 0.75)
    has_morphology |= is_forced & (local == 2)
    error = rng.random(n) < 0.03
    dendrite = np.where(inhibitory, _pick(rng, (0.0, 0.76, 0.2, 0.04), n), _pick(rng, (0.96, 0.0, 0.0, 0.04), n))
    dendrite = np.where(error, np.where(inhibitory, 0, 1), dendrite)
    dendrite[is_forced & (local == 2)] = 0
    has_patchseq = rng.random(n) < np.where(ex.patchseq[exp], 0.9, 0.0)
    gabaergic = inhibitory ^ (rng.random(n) < 0.04)
    cells = _Cells(
        exp=exp, human=human, headstage=el_hs[el_cell], electrode_id=np.flatnonzero(el_cell) + 1, cre=cre,
        inhibitory=inhibitory, group=group, transgenic=transgenic, layer=layer, frac=frac,
        lateral=lateral, depth=rng.uniform(20e-6, 90e-6, n),
        has_location=is_forced | (ex.has_site[exp] & (rng.random(n) < 0.95)),
        has_position=rng.random(n) > 0.005, has_morphology=has_morphology, dendrite=dendrite,
        has_patchseq=has_patchseq, gabaergic=gabaergic, stimulated=rng.random(n) < 0.42,
        target_v=ex.gap_probed[exp] & (rng.random(n) < 0.9),
    )
    return cells, electrodes


def _pairs(rng: np.random.Generator, ex: _Experiments, cells: _Cells) -> _Pairs:
    """Every ordered pair of distinct cells per experiment, with probing and connections."""
    n_cells = ex.n_cells
    per = n_cells * (n_cells - 1)
    exp = np.repeat(np.arange(len(n_cells)), per)
    n = len(exp)
    k = np.arange(n) - (np.cumsum(per) - per)[exp]
    m = n_cells[exp] - 1
    i, r = k // m, k % m
    j = r + (r >= i)
    first_cell = (np.cumsum(n_cells) - n_cells)[exp]
    pre, post = first_cell + i, first_cell + j
    reciprocal = (np.cumsum(per) - per)[exp] + j * m + np.where(i < j, i, i - 1)

    thickness = ex.thickness[exp]
    lateral = np.abs(cells.lateral[pre] - cells.lateral[post])
    vertical = np.abs(cells.frac[pre] - cells.frac[post]) * thickness
    distance = np.sqrt(lateral ** 2 + vertical ** 2 + (cells.depth[pre] - cells.depth[post]) ** 2)

    annotated = ex.annotated[exp] & (rng.random(n) < 0.99)
    probed_ex = cells.stimulated[pre] & (rng.random(n) < 0.85)
    probed_in = probed_ex & (rng.random(n) < 0.65)
    n_ex = np.where(probed_ex, np.exp(rng.uniform(np.log(60), np.log(1600), n)).astype(np.int64), 0)
    n_in = np.where(probed_in, np.exp(rng.uniform(np.log(60), np.log(1600), n)).astype(np.int64), 0)
    pre_inh = cells.inhibitory[pre]
    sign_probed = np.where(pre_inh, n_in > 10, n_ex > 10)

    g_pre, g_post = cells.group[pre], cells.group[post]
    human = ex.human[exp]
    pmax = _PMAX[g_pre, g_post]
    ee = (g_pre == E) & (g_post == E)
    layer_factor = np.where(human, _EE_LAYER_FACTOR[True][cells.layer[pre]], _EE_LAYER_FACTOR[False][cells.layer[pre]])
    same_layer = cells.layer[pre] == cells.layer[post]
    pmax = np.where(ee, np.where(human, _HUMAN_EE_PMAX, pmax) * np.where(same_layer, layer_factor, 0.4), pmax)
    connected = annotated & sign_probed & (rng.random(n) < pmax * _gauss(lateral, SIGMA))
    poly = annotated & (rng.random(n) < 0.012)

    # Gap junctions are symmetric: decide once per unordered pair, only where both electrodes ran TargetV.
    gap = (g_pre == g_post) & (g_pre != E) & cells.target_v[pre] & cells.target_v[post]
    gap &= rng.random(n) < _GAP_PMAX[g_pre] * _gauss(lateral, _GAP_SIGMA)
    gap = np.where(i < j, gap, gap[reciprocal])
    electrical = gap & annotated & annotated[reciprocal]
    return _Pairs(exp, pre, post, reciprocal, distance, lateral, vertical, annotated, n_ex, n_in, connected, poly,
                  electrical)


def _class_code(sources: Iterable[np.ndarray]) -> np.ndarray:
    """Agreement of class votes (0 none, 1 ex, 2 in): 0 no evidence, 1/2 agreed, 3 'mixed'."""
    votes = list(sources)
    has_ex = np.logical_or.reduce([v == 1 for v in votes])
    has_in = np.logical_or.reduce([v == 2 for v in votes])
    return np.where(has_ex & has_in, 3, np.where(has_ex, 1, np.where(has_in, 2, 0)))


def _cell_tables(rng: np.random.Generator, ex: _Experiments, cells: _Cells,
                 pairs: _Pairs) -> Iterator[_Rows]:
    """cell, morphology, cortical_site, cortical_cell_location, patch_seq, intrinsic; returns cell_class_nonsynaptic."""
    n = len(cells.exp)
    morpho = np.where(cells.has_morphology, np.select([cells.dendrite == 0, cells.dendrite < 3], [1, 2], 0), 0)
    transcriptomic = np.where(cells.has_patchseq, np.where(cells.gabaergic, 2, 1), 0)
    has_output = np.zeros(n, dtype=bool)
    has_output[pairs.pre[pairs.connected]] = True
    synaptic = np.where(has_output, np.where(cells.inhibitory, 2, 1), 0)
    nonsynaptic = _class_code([cells.transgenic, morpho, transcriptomic])
    with_synaptic = _class_code([cells.transgenic, morpho, synaptic, transcriptomic])
    names = np.array(_CLASS_NAMES, dtype=object)
    j = [json.dumps(c) for c in _CLASS_NAMES]  # JSON text of each class code, for the meta template
    lims = rng.integers(500_000_000, 999_999_999, n).tolist()
    pos = _stage_positions(rng, ex, cells)
    yield "cell", n, {
        "experiment_id": cells.exp + 1,
        "ext_id": [str(h + 1) for h in cells.headstage.tolist()],
        "electrode_id": cells.electrode_id,
        "cre_type": cells.cre,
        "target_layer": _maybe(rng.random(n) > 0.03, [ex.target[e] for e in cells.exp.tolist()]),
        "position": _maybe(cells.has_position, _json_list(pos)),
        "depth": _holes(rng, cells.depth, 0.05),
        "cell_class": names[with_synaptic].tolist(),
        "cell_class_nonsynaptic": names[nonsynaptic].tolist(),
        "meta": [f'{{"lims_specimen_id": {sid}, "transgenic_cell_class": {j[t]}, "morpho_cell_class": {j[m]}, '
                 f'"synaptic_cell_class": {j[s]}, "transcriptomic_cell_class": {j[c]}}}'
                 for sid, t, m, s, c in zip(lims, cells.transgenic.tolist(), morpho.tolist(), synaptic.tolist(),
                                            transcriptomic.tolist())],
    }
    yield _morphology(rng, cells)
    yield from _locations(rng, ex, cells)
    yield _patch_seq(rng, ex, cells)
    yield _intrinsic(rng, cells)
    return names[nonsynaptic]


def _stage_positions(rng: np.random.Generator, ex: _Experiments, cells: _Cells) -> np.ndarray:
    """[x, y, z] stage coordinates (m): the (lateral, depth-from-pia) plane, rotated and offset per experiment."""
    n_exp = len(ex.n_cells)
    theta = rng.uniform(0, 2 * np.pi, n_exp)[cells.exp]
    origin = np.column_stack([rng.uniform(-5e-3, 5e-3, n_exp), rng.uniform(-5e-3, 5e-3, n_exp),
                              rng.uniform(-2e-3, 0.0, n_exp)])[cells.exp]
    along = cells.frac * ex.thickness[cells.exp]
    x = origin[:, 0] + np.cos(theta) * cells.lateral - np.sin(theta) * along
    y = origin[:, 1] + np.sin(theta) * cells.lateral + np.cos(theta) * along
    return np.column_stack([x, y, origin[:, 2] - cells.depth])


def _morphology(rng: np.random.Generator, cells: _Cells) -> _Rows:
    idx = np.flatnonzero(cells.has_morphology)
    n = len(idx)
    dendrite = cells.dendrite[idx]
    spiny_ex = (dendrite == 0) & ~cells.inhibitory[idx]
    pyramidal = np.where(dendrite == 3, np.nan, spiny_ex & (rng.random(n) < 0.9))
    truncation = np.array(("truncated", "borderline", "intact", "unclear", "NEI"))
    apical = truncation[_pick(rng, (0.5, 0.15, 0.25, 0.05, 0.05), n)]
    return "morphology", n, {
        "cell_id": idx + 1,
        "pyramidal": pyramidal,
        "dendrite_type": np.array(_DENDRITES)[dendrite].tolist(),
        "apical_trunc_distance": np.where(pyramidal == 1, _holes(rng, rng.uniform(50e-6, 400e-6, n), 0.2), np.nan),
        "axon_trunc_distance": _holes(rng, rng.uniform(30e-6, 400e-6, n), 0.2),
        "apical_truncation": _maybe(pyramidal == 1, apical.tolist()),
        "axon_truncation": truncation[_pick(rng, (0.45, 0.15, 0.25, 0.1, 0.05), n)].tolist(),
        "axon_origin": np.array(("soma", "dendrite", "unclear", "NEI"))[_pick(rng, (0.7, 0.15, 0.1, 0.05), n)].tolist(),
    }


def _locations(rng: np.random.Generator, ex: _Experiments,
               cells: _Cells) -> Iterator[_Rows]:
    sites = np.flatnonzero(ex.has_site)
    n_sites = len(sites)
    site_id = np.zeros(len(ex.n_cells), dtype=np.int64)
    site_id[sites] = np.arange(1, n_sites + 1)
    phi = rng.uniform(0, 2 * np.pi, len(ex.n_cells))
    axis = np.column_stack([np.cos(phi), np.sin(phi)])
    pia = rng.uniform(0, 4e-3, (len(ex.n_cells), 2))
    wm = pia + axis * ex.thickness[:, None]
    layer_names = [HUMAN_LAYERS if h else MOUSE_LAYERS for h in ex.human.tolist()]
    boundaries = [json.dumps({name: [round(lo, 4), round(hi, 4)] for name, lo, hi in zip(names, b[:-1], b[1:])})
                  for names, b in zip((layer_names[s] for s in sites.tolist()), ex.bounds[sites].tolist())]
    yield "cortical_site", n_sites, {
        "slice_id": ex.slice_of[sites] + 1,
        "experiment_id": sites + 1,
        "pia_to_wm_distance": ex.thickness[sites],
        "pia_position": _json_list(pia[sites]),
        "wm_position": _json_list(wm[sites]),
        "layer_boundaries": boundaries,
        "brain_region": [ex.region[e] for e in sites.tolist()],
    }

    idx = np.flatnonzero(cells.has_location)
    n = len(idx)
    exp, layer, frac = cells.exp[idx], cells.layer[idx], cells.frac[idx]
    thickness = ex.thickness[exp]
    lo, hi = ex.bounds[exp, layer], ex.bounds[exp, layer + 1]
    names = [(HUMAN_LAYERS if h else MOUSE_LAYERS)[k] for h, k in zip(cells.human[idx].tolist(), layer.tolist())]
    perpendicular = np.column_stack([-axis[exp, 1], axis[exp, 0]])
    image = pia[exp] + axis[exp] * (frac * thickness)[:, None] + perpendicular * cells.lateral[idx][:, None]
    yield "cortical_cell_location", n, {
        "cell_id": idx + 1,
        "cortical_site_id": site_id[exp],
        "cortical_layer": names,
        "distance_to_pia": frac * thickness,
        "distance_to_wm": (1 - frac) * thickness,
        "fractional_depth": frac,
        "layer_depth": (frac - lo) * thickness,
        "layer_thickness": (hi - lo) * thickness,
        "fractional_layer_depth": (frac - lo) / (hi - lo),
        "position": [p if keep else "null" for p, keep in zip(_json_list(image), (rng.random(n) > 0.02).tolist())],
        "meta": [_LIMS_LAYER[name] for name in names],
    }


_LIMS_LAYER = {name: json.dumps({"lims_layer": "Layer" + name}) for name in MOUSE_LAYERS + HUMAN_LAYERS}
_T_TYPES = {
    (False, "pvalb"): ("Pvalb Reln Itm2a", "Pvalb Tpbg", "Pvalb Sema3e Kank4", "Pvalb Th Sst"),
    (False, "sst"): ("Sst Calb2 Pdlim5", "Sst Hpse Cbln4", "Sst Rxfp1 Prdm8", "Sst Chodl"),
    (False, "vip"): ("Vip Crispld2 Htr2c", "Vip Pygm C1ql1", "Vip Arhgap36 Hmcn1"),
    (False, "lamp5"): ("Lamp5 Lsp1", "Lamp5 Plch2 Dock5"),
    (False, "IT"): ("L2/3 IT VISp Agmat", "L4 IT VISp Rspo1", "L5 IT VISp Hsd11b1 Endou", "L6 IT VISp Penk Col27a1"),
    (False, "ET"): ("L5 PT VISp Chrna6", "L5 PT VISp C1ql2 Ptgfr"),
    (False, "CT"): ("L6 CT VISp Nxph2 Wls", "L6 CT VISp Ctxn3 Brinp3"),
    (False, "NP"): ("L5 NP VISp Trhr Met", "L6 NP VISp Trh Cpa6"),
    (True, "pvalb"): ("Inh L2-4 PVALB WFDC2", "Inh L2-5 PVALB SCUBE3"),
    (True, "sst"): ("Inh L1-3 SST CALB1", "Inh L3-5 SST ADGRG6"),
    (True, "vip"): ("Inh L1-4 VIP PENK", "Inh L2-6 VIP QPCT"),
    (True, "lamp5"): ("Inh L1-2 LAMP5 DBP",),
    (True, "IT"): ("Exc L2-3 LINC00507 FREM3", "Exc L3-4 RORB CARM1P1", "Exc L3-5 RORB COL22A1"),
    (True, "ET"): ("Exc L4-5 FEZF2 SCN4B",), (True, "CT"): ("Exc L6 FEZF2 OR2T8",),
    (True, "NP"): ("Exc L5-6 THEMIS C1QL3",),
}
_SUBCLASS_LABEL = {"pvalb": "Pvalb", "sst": "Sst", "vip": "Vip", "lamp5": "Lamp5", "ET": "L5 PT",
                   "CT": "L6 CT", "NP": "NP"}
_DRIVER_SUBCLASS = {"sim1": "ET", "fam84b": "ET", "ntsr1": "CT", "ctgf": "CT", "tlx3": "IT", "cux2": "IT",
                    "rorb": "IT", "nr5a1": "IT", "pvalb": "pvalb", "sst": "sst", "vip": "vip", "ndnf": "lamp5"}


def _patch_seq(rng: np.random.Generator, ex: _Experiments, cells: _Cells) -> _Rows:
    idx = np.flatnonzero(cells.has_patchseq)
    n = len(idx)
    human, gaba, layer = cells.human[idx], cells.gabaergic[idx], cells.layer[idx]
    inh_pick = np.array(_MAPPED_INHIBITORY)[_pick(rng, _INHIBITORY_SHARES, n)]
    group_subclass = np.array(("", "pvalb", "sst", "vip", "lamp5"))[cells.group[idx]]
    deep = np.array(("IT", "ET", "NP"))[_pick(rng, (0.6, 0.3, 0.1), n)]
    six = np.array(("CT", "IT", "NP"))[_pick(rng, (0.6, 0.3, 0.1), n)]
    layer_subclass = np.where(human, np.where(layer >= 5, six, np.where(layer == 4, deep, "IT")),
                              np.where(layer >= 4, six, np.where(layer == 3, deep, "IT")))
    subclass = []
    for k, c in enumerate(idx.tolist()):
        driven = _DRIVER_SUBCLASS.get((cells.cre[c] or "").split(",")[-1])
        if gaba[k]:
            inhibitory_call = driven if driven in _MAPPED_INHIBITORY else (group_subclass[k] or inh_pick[k])
            subclass.append(inhibitory_call)
        else:
            subclass.append(driven if driven in ("IT", "ET", "CT", "NP") else layer_subclass[k])
    call = np.array(("Core", "I1", "I2", "I3", "PoorQ"))[_pick(rng, (0.6, 0.2, 0.08, 0.04, 0.08), n)]
    choice = rng.random((n, 3))
    first, second, third = [], [], []
    for k, (h, s) in enumerate(zip(human.tolist(), subclass)):
        pool = _T_TYPES[(h, s)]
        first.append(pool[int(choice[k, 0] * len(pool))])
        second.append(pool[int(choice[k, 1] * len(pool))])
        third.append(_T_TYPES[(h, "IT" if s in _MAPPED_INHIBITORY else "pvalb")][0])
    confident = np.isin(call, ("Core", "I1"))
    broad = np.where(gaba, "GABAergic", "Glutamatergic")
    broad = np.where(human, np.char.add(broad, " neuron"), broad)
    labels = [(s.upper() if h else _SUBCLASS_LABEL[s]) if s != "IT" else
              ("IT" if h else {1: "L2/3 IT", 2: "L4", 3: "L5 IT"}.get(lay, "L6 IT"))
              for h, s, lay in zip(human.tolist(), subclass, layer.tolist())]
    score = rng.uniform(0.3, 1.0, n)
    day = _datetimes(ex.ms[cells.exp[idx]])
    return "patch_seq", n, {
        "cell_id": idx + 1,
        "tube_id": [f"P{cells.headstage[c] + 1}S4_{d[2:4]}{d[5:7]}{d[8:10]}_{k % 1000:03d}_A01"
                    for k, (c, d) in enumerate(zip(idx.tolist(), day))],
        "nucleus": np.array(("+", "-", "?"))[_pick(rng, (0.7, 0.2, 0.1), n)].tolist(),
        "reseal": rng.random(n) < 0.8,
        "patchseq_hash": [f"{v:016x}" for v in rng.integers(0, 2 ** 63, n).tolist()],
        "result_ba": np.where(rng.random(n) < 0.85, "Pass", "Fail").tolist(),
        "area_400_10000bp": rng.uniform(10, 90, n),
        "picogreen_yield": _lognormal(rng, 400.0, 0.8, n),
        "cluster_detail": first,
        "cluster_label": first,
        "score": score,
        "res_index": rng.uniform(0.5, 1.0, n),
        "top_leaf": first,
        "top_leaf_score": score,
        "broad_class_label": broad.tolist(),
        "subclass_label": labels,
        "quality_score": rng.uniform(0, 1, n),
        "norm_marker_sum": rng.uniform(0, 1.5, n),
        "seurat_cluster": first,
        "seurat_score": rng.uniform(0.3, 1.0, n),
        "tree_first_cluster": first,
        "tree_first_bt": rng.uniform(0.5, 1.0, n),
        "tree_first_kl": rng.uniform(0.0, 2.0, n),
        "tree_first_cor": rng.uniform(0.5, 0.9, n),
        "tree_second_cluster": second,
        "tree_second_bt": rng.uniform(0.0, 0.5, n),
        "tree_second_kl": rng.uniform(1.0, 4.0, n),
        "tree_second_cor": rng.uniform(0.3, 0.8, n),
        "tree_third_cluster": third,
        "tree_third_bt": rng.uniform(0.0, 0.2, n),
        "tree_call": call.tolist(),
        "genes_detected": rng.integers(2000, 11000, n),
        "t_type": _maybe(confident, first),
        "last_map": "tree",
        "last_score": [f"{v:.3f}" for v in score.tolist()],
        "mapped_subclass": _maybe(call != "PoorQ", subclass),
        "batch": [f"{d[:7]}" for d in day],
    }


_INTRINSIC_DISTRIBUTIONS: dict[str, tuple[tuple[float, ...], float]] = {
    # feature: median for (E, PV, SST, VIP, other inhibitory), log-normal sigma
    "rheobase": ((150e-12, 250e-12, 80e-12, 50e-12, 60e-12), 0.4),
    "fi_slope": ((0.12, 0.45, 0.25, 0.3, 0.25), 0.4),
    "input_resistance": ((150e6, 90e6, 250e6, 350e6, 300e6), 0.35),
    "input_resistance_ss": ((135e6, 85e6, 220e6, 300e6, 260e6), 0.35),
    "sag": ((0.08, 0.04, 0.12, 0.1, 0.08), 0.5),
    "tau": ((0.02, 0.007, 0.015, 0.02, 0.015), 0.35),
    "sag_peak_t": ((0.08, 0.06, 0.07, 0.08, 0.07), 0.3),
    "sag_depol": ((0.05, 0.03, 0.06, 0.06, 0.05), 0.5),
    "sag_peak_t_depol": ((0.09, 0.07, 0.08, 0.08, 0.08), 0.3),
    "ap_upstroke_downstroke_ratio": ((3.6, 1.4, 2.2, 2.6, 2.4), 0.15),
    "ap_width": ((1.0e-3, 0.35e-3, 0.6e-3, 0.7e-3, 0.65e-3), 0.15),
    "ap_upstroke": ((320.0, 380.0, 330.0, 300.0, 300.0), 0.2),
    "ap_downstroke": ((-90.0, -270.0, -150.0, -115.0, -125.0), 0.2),
    "ap_threshold_v": ((-0.040, -0.042, -0.041, -0.039, -0.040), 0.08),
    "ap_peak_deltav": ((0.085, 0.07, 0.08, 0.08, 0.08), 0.1),
    "ap_fast_trough_deltav": ((-0.012, -0.025, -0.02, -0.018, -0.018), 0.25),
    "firing_rate_rheo": ((6.0, 25.0, 10.0, 8.0, 8.0), 0.5),
    "latency_rheo": ((0.08, 0.05, 0.06, 0.1, 0.1), 0.6),
    "firing_rate_40pa": ((10.0, 40.0, 20.0, 18.0, 16.0), 0.5),
    "latency_40pa": ((0.04, 0.02, 0.03, 0.05, 0.05), 0.6),
    "adaptation_index": ((0.04, 0.005, 0.02, 0.03, 0.03), 0.6),
    "isi_cv": ((0.15, 0.08, 0.15, 0.25, 0.2), 0.5),
    "chirp_peak_freq": ((3.0, 6.0, 4.0, 2.5, 3.0), 0.5),
    "chirp_3db_freq": ((12.0, 20.0, 14.0, 10.0, 12.0), 0.4),
    "chirp_peak_ratio": ((1.3, 1.1, 1.2, 1.1, 1.1), 0.1),
    "chirp_peak_impedance": ((130e6, 70e6, 200e6, 280e6, 240e6), 0.4),
    "chirp_sync_freq": ((4.0, 8.0, 5.0, 3.0, 4.0), 0.5),
    "chirp_inductive_phase": ((0.2, 0.1, 0.15, 0.1, 0.12), 0.5),
    "isi_adapt_ratio": ((1.3, 1.05, 1.2, 1.4, 1.3), 0.15),
    "upstroke_adapt_ratio": ((0.85, 0.95, 0.9, 0.88, 0.9), 0.05),
    "downstroke_adapt_ratio": ((0.85, 0.95, 0.9, 0.88, 0.9), 0.05),
    "width_adapt_ratio": ((1.15, 1.03, 1.08, 1.1, 1.1), 0.05),
    "threshold_v_adapt_ratio": ((0.97, 0.99, 0.98, 0.98, 0.98), 0.02),
}


def _intrinsic(rng: np.random.Generator, cells: _Cells) -> _Rows:
    measured = np.flatnonzero(rng.random(len(cells.exp)) < np.where(cells.human, 0.75, 0.7))
    twice = measured[rng.random(len(measured)) < 0.02]
    idx = np.sort(np.concatenate([measured, twice]), kind="stable")
    n = len(idx)
    group = cells.group[idx]
    no_chirp = rng.random(n) < 0.4
    data: dict[str, Any] = {"cell_id": idx + 1}
    for name in INTRINSIC_FEATURES:  # the schema's order: each feature draws from rng in turn
        medians, sigma = _INTRINSIC_DISTRIBUTIONS[name]
        values = _holes(rng, _lognormal(rng, np.array(medians)[group], sigma, n), 0.03)
        if name.startswith("chirp_"):
            values[no_chirp] = np.nan
        data[name] = values
    return "intrinsic", n, data


def _recordings(rng: np.random.Generator, ex: _Experiments, cells: _Cells) -> Iterator[_Rows]:
    """Two pulse-train sweeps per experiment, plus a TargetV sweep where gap junctions were probed."""
    n_exp = len(ex.n_cells)
    sweeps = 2 + ex.gap_probed.astype(np.int64)
    sync_exp = np.repeat(np.arange(n_exp), sweeps)
    sweep = np.arange(len(sync_exp)) - np.repeat(np.cumsum(sweeps) - sweeps, sweeps)
    first_sync = np.cumsum(sweeps) - sweeps
    temperature = np.where(rng.random(n_exp) < 0.75, 32.0, 34.0)[sync_exp]
    yield "sync_rec", len(sync_exp), {
        "experiment_id": sync_exp + 1,
        "ext_id": [str(s) for s in sweep.tolist()],
        "temperature": _holes(rng, temperature + 0.3 * rng.standard_normal(len(sync_exp)), 0.05),
    }
    train = rng.integers(0, len(_PULSE_TRAINS), n_exp)
    parts = []
    for k in range(3):
        keep = np.ones(len(cells.exp), dtype=bool) if k < 2 else cells.target_v
        cell = np.flatnonzero(keep)
        parts.append((first_sync[cells.exp[cell]] + k, cell, np.full(len(cell), k)))
    sync_id, cell, kind = (np.concatenate(p) for p in zip(*parts))
    order = np.lexsort((cell, sync_id))
    sync_id, cell, kind = sync_id[order], cell[order], kind[order]
    n = len(cell)
    exp = cells.exp[cell]
    freq = np.where(kind == 0, 50.0, np.array(_PULSE_FREQS)[train[exp]])
    stim_name = np.where(kind == 0, "PulseTrain_50Hz_DA_0",
                         np.where(kind == 1, np.array(_PULSE_TRAINS)[train[exp]], _GAP_STIM))
    yield "recording", n, {
        "sync_rec_id": sync_id + 1,
        "electrode_id": cells.electrode_id[cell],
        "start_time": _datetimes(ex.ms[exp] + (kind + 1) * 300_000 + rng.integers(0, 60_000, n)),
        "sample_rate": SAMPLE_RATE,
        "device_name": [f"ad{h}" for h in cells.headstage[cell].tolist()],
        "stim_name": stim_name.tolist(),
        "stim_meta": [_STIM_META[f] if k < 2 else "null" for f, k in zip(freq.tolist(), kind.tolist())],
    }


def _pair_table(rng: np.random.Generator, ex: _Experiments, cells: _Cells, pairs: _Pairs) -> dict[str, Any]:
    n = len(pairs.pre)
    both_located = cells.has_location[pairs.pre] & cells.has_location[pairs.post]
    both_positioned = cells.has_position[pairs.pre] & cells.has_position[pairs.post]
    unannotated = ~pairs.annotated
    probed = (pairs.n_ex > 10) | (pairs.n_in > 10)

    def flag(values: np.ndarray) -> np.ndarray:
        return np.where(unannotated, np.nan, values)

    return {
        "experiment_id": pairs.exp + 1,
        "pre_cell_id": pairs.pre + 1,
        "post_cell_id": pairs.post + 1,
        "has_synapse": flag(pairs.connected),
        "has_polysynapse": flag(pairs.poly),
        "has_electrical": flag(pairs.electrical),
        "crosstalk_artifact": np.where(probed & (rng.random(n) < 0.05), _lognormal(rng, 3e-5, 0.7, n), np.nan),
        "n_ex_test_spikes": pairs.n_ex,
        "n_in_test_spikes": pairs.n_in,
        "distance": np.where(both_positioned, pairs.distance, np.nan),
        "lateral_distance": np.where(both_located, pairs.lateral, np.nan),
        "vertical_distance": np.where(both_located, pairs.vertical, np.nan),
        "reciprocal_id": pairs.reciprocal + 1,
    }


def _synapse_tables(rng: np.random.Generator, cells: _Cells, pairs: _Pairs,
                    nonsynaptic: np.ndarray) -> Iterator[_Rows]:
    syn = np.flatnonzero(pairs.connected)
    poly = np.flatnonzero(pairs.poly)
    s = _psp_values(rng, cells, pairs, syn, latency_ms=(1.4, 1.0, 0.5, 2.0))
    p = _psp_values(rng, cells, pairs, poly, latency_ms=(4.0, 3.5, 2.0, 6.0), scale=0.5)
    yield "synapse", len(syn), s
    yield "poly_synapse", len(poly), p
    yield _avg_response_fit(rng, s, p)
    yield _resting_state_fit(rng, s, p)
    yield _conductance(rng, s)
    yield from _dynamics_and_models(rng, cells, pairs, syn, s)
    yield _synapse_prediction(rng, pairs, syn, s, nonsynaptic)
    yield _gap_junction(rng, pairs)


def _psp_values(rng: np.random.Generator, cells: _Cells, pairs: _Pairs, idx: np.ndarray, *,
                latency_ms: tuple[float, float, float, float], scale: float = 1.0) -> dict[str, Any]:
    """Synapse / poly_synapse columns; ``latency_ms`` = (mean ex, mean in, min, max)."""
    n = len(idx)
    inh = cells.inhibitory[pairs.pre[idx]]
    sign = np.where(inh, -1.0, 1.0)
    has_vc = rng.random(n) < 0.8
    latency = np.where(inh, latency_ms[1], latency_ms[0]) * 1e-3 + 0.3e-3 * rng.standard_normal(n)
    psc = np.where(has_vc, -sign * _lognormal(rng, np.where(inh, 20e-12, 15e-12) * scale, 0.8, n), np.nan)
    return {
        "pair_id": idx + 1,
        "synapse_type": np.where(inh, "in", "ex").tolist(),
        "latency": np.clip(latency, latency_ms[2] * 1e-3, latency_ms[3] * 1e-3),
        "psp_amplitude": _holes(rng, sign * np.clip(_lognormal(rng, np.where(inh, 0.35e-3, 0.4e-3) * scale, 0.8, n),
                                                    1e-5, 5e-3), 0.04),
        "psp_rise_time": _lognormal(rng, 2.5e-3, 0.3, n),
        "psp_decay_tau": _lognormal(rng, np.where(inh, 40e-3, 25e-3), 0.35, n),
        "psc_amplitude": psc,
        "psc_rise_time": np.where(has_vc, _lognormal(rng, 1e-3, 0.3, n), np.nan),
        "psc_decay_tau": np.where(has_vc, _lognormal(rng, np.where(inh, 12e-3, 6e-3), 0.35, n), np.nan),
    }


_HOLDINGS = (("ic", -70.0), ("ic", -55.0), ("vc", -70.0), ("vc", -55.0))


def _avg_response_fit(rng: np.random.Generator, s: dict[str, Any], p: dict[str, Any]) -> _Rows:
    """Fits of averaged responses: synapses at up to 4 clamp/holding combinations, poly-synapses in ic at -70 mV."""
    n_syn, n_poly = len(s["pair_id"]), len(p["pair_id"])
    syn_row, mode = np.nonzero(rng.random((n_syn, 4)) < 0.75)
    src = np.concatenate([syn_row, n_syn + np.arange(n_poly)])  # index into synapse rows, then poly rows

    def column(name: str) -> np.ndarray:
        return np.concatenate([s[name], p[name]])[src]

    mode = np.concatenate([mode, np.zeros(n_poly, dtype=np.int64)])
    vc = mode >= 2
    recorded = ~np.isnan(np.where(vc, column("psc_amplitude"), column("psp_amplitude")))
    src, mode, vc = src[recorded], mode[recorded], vc[recorded]
    n = len(src)
    is_syn = src < n_syn
    amp = np.where(vc, column("psc_amplitude"), column("psp_amplitude")) * (1 + 0.1 * rng.standard_normal(n))
    latency = column("latency")
    rise = np.where(vc, column("psc_rise_time"), column("psp_rise_time"))
    decay = np.where(vc, column("psc_decay_tau"), column("psp_decay_tau"))
    noise = np.where(vc, 2e-12, 5e-5)
    qc = rng.random(n) < 0.8
    return "avg_response_fit", n, {
        "synapse_id": np.where(is_syn, src + 1, np.nan),
        "poly_synapse_id": np.where(is_syn, np.nan, src - n_syn + 1),
        "clamp_mode": np.array([m for m, _ in _HOLDINGS])[mode].tolist(),
        "holding": np.array([h for _, h in _HOLDINGS])[mode],
        "fit_xoffset": latency + 1e-3,
        "fit_yoffset": noise * 0.2 * rng.standard_normal(n),
        "fit_amp": amp,
        "fit_rise_time": rise,
        "fit_rise_power": 2.0,
        "fit_decay_tau": decay,
        "fit_exp_amp": _holes(rng, amp * 0.1, 0.5),
        "fit_exp_tau": _holes(rng, _lognormal(rng, 0.1, 0.5, n), 0.5),
        "nrmse": _lognormal(rng, 0.4, 0.4, n),
        "initial_xoffset": latency + 1e-3 + 0.2e-3 * rng.standard_normal(n),
        "manual_qc_pass": qc,
        "avg_data": [b or None for b in _wave_blobs(rng, qc, amp, latency, rise, decay, noise)],
        "avg_data_start_time": np.where(qc, -1e-3, np.nan),
        "n_averaged_responses": rng.integers(10, 400, n),
        "avg_baseline_noise": _lognormal(rng, noise, 0.4, n),
    }


def _resting_state_fit(rng: np.random.Generator, s: dict[str, Any], p: dict[str, Any]) -> _Rows:
    n_syn, n_poly = len(s["pair_id"]), len(p["pair_id"])
    n = n_syn + n_poly
    data: dict[str, Any] = {
        "synapse_id": np.concatenate([np.arange(1, n_syn + 1), np.full(n_poly, np.nan)]),
        "poly_synapse_id": np.concatenate([np.full(n_syn, np.nan), np.arange(1, n_poly + 1)]),
    }
    for mode, amp_col, rise_col, decay_col, noise in (("ic", "psp_amplitude", "psp_rise_time", "psp_decay_tau", 5e-5),
                                                     ("vc", "psc_amplitude", "psc_rise_time", "psc_decay_tau", 2e-12)):
        amp = np.concatenate([s[amp_col], p[amp_col]]) * (1 + 0.15 * rng.standard_normal(n))
        latency = np.concatenate([s["latency"], p["latency"]])
        rise = np.nan_to_num(np.concatenate([s[rise_col], p[rise_col]]), nan=2e-3)
        decay = np.nan_to_num(np.concatenate([s[decay_col], p[decay_col]]), nan=20e-3)
        fitted = ~np.isnan(amp) & (rng.random(n) < 0.85)
        n_ids = rng.integers(5, 40, n)
        ids = [np.sort(rng.choice(10_000_000, k, replace=False)).astype(np.int64) if keep else None
               for k, keep in zip(n_ids.tolist(), fitted.tolist())]
        data |= {
            f"{mode}_amp": np.where(fitted, amp, np.nan),
            f"{mode}_latency": np.where(fitted, latency, np.nan),
            f"{mode}_rise_time": np.where(fitted, rise, np.nan),
            f"{mode}_decay_tau": np.where(fitted, decay, np.nan),
            f"{mode}_exp_amp": np.where(fitted & (rng.random(n) < 0.5), amp * 0.1, np.nan),
            f"{mode}_exp_tau": np.where(fitted & (rng.random(n) < 0.5), _lognormal(rng, 0.1, 0.5, n), np.nan),
            f"{mode}_avg_data": _wave_blobs(rng, fitted, amp, latency, rise, decay, noise),
            f"{mode}_avg_data_start_time": np.where(fitted, -1e-3, np.nan),
            f"{mode}_pulse_ids": _npy_blobs(ids),
            f"{mode}_nrmse": np.where(fitted, _lognormal(rng, 0.5, 0.4, n), np.nan),
        }
    return "resting_state_fit", n, data


def _conductance(rng: np.random.Generator, s: dict[str, Any]) -> _Rows:
    n = len(s["pair_id"])
    inh = np.array(s["synapse_type"]) == "in"
    holding = np.where(inh, -0.055, -0.07)
    reversal = np.where(inh, -0.075, 0.0) + 0.005 * rng.standard_normal(n)
    return "conductance", n, {
        "synapse_id": np.arange(1, n + 1),
        "effective_conductance": np.abs(np.nan_to_num(s["psc_amplitude"], nan=15e-12) / (holding - reversal)),
        "adj_psp_amplitude": s["psp_amplitude"] * (1 + 0.1 * rng.standard_normal(n)),
        "reversal_potential": reversal,
        "ideal_holding_potential": holding,
        "avg_baseline_potential": holding + 0.002 * rng.standard_normal(n),
    }


def _stp_values(rng: np.random.Generator, induction: np.ndarray, amp: np.ndarray, prefix: str) -> dict[str, Any]:
    """The dynamics metrics shared by dynamics and synapse_model (``prefix`` '' or 'ml_')."""
    n = len(induction)
    centers = {"stp_initial_50hz": 0.6 * induction, "stp_induction_50hz": induction,
               "stp_recovery_250ms": 0.2 * induction, "stp_recovery_single_250ms": 0.1 * induction}
    data: dict[str, Any] = {f"{prefix}paired_pulse_ratio_50hz": np.clip(1 + centers["stp_initial_50hz"]
                                                                        + 0.1 * rng.standard_normal(n), 0.1, 3.0)}
    for name, center in centers.items():
        data[f"{prefix}{name}"] = np.clip(center + 0.1 * rng.standard_normal(n), -1.0, 1.0)
        data[f"{prefix}{name}_n"] = rng.integers(2, 60, n).astype(float)
        data[f"{prefix}{name}_std"] = _lognormal(rng, 0.15, 0.4, n)
    data[f"{prefix}pulse_amp_90th_percentile"] = np.abs(amp) * 1.6
    data[f"{prefix}noise_amp_90th_percentile"] = _lognormal(rng, 1e-4, 0.3, n)
    data[f"{prefix}noise_std"] = _lognormal(rng, 5e-5, 0.3, n)
    for v in VARIABILITY:
        data[f"{prefix}variability_{v}"] = np.clip(0.3 * rng.standard_normal(n) - 0.3, -1.5, 1.5)
    for c in CORRELATIONS:
        data[f"{prefix}paired_event_correlation_{c}_r"] = np.clip(0.2 * rng.standard_normal(n), -1.0, 1.0)
        data[f"{prefix}paired_event_correlation_{c}_p"] = rng.random(n)
    trains = np.clip(1 + induction[:, None] * (1 - np.exp(-np.arange(8) / 2.0))[None, :]
                     + 0.05 * rng.standard_normal((n, 8)), 0.0, None)
    data[f"{prefix}stp_all_stimuli"] = [json.dumps({"50Hz_250ms": t}) if keep else "null"
                                        for t, keep in zip(np.round(trains, 4).tolist(),
                                                           (rng.random(n) < 0.4).tolist())]
    return data


def _dynamics_and_models(rng: np.random.Generator, cells: _Cells, pairs: _Pairs, syn: np.ndarray,
                         s: dict[str, Any]) -> Iterator[_Rows]:
    n = len(syn)
    induction = _STP_INDUCTION[cells.group[pairs.pre[syn]], cells.group[pairs.post[syn]]]
    amp = np.nan_to_num(s["psp_amplitude"], nan=0.0)
    events = rng.integers(20, 2000, n)
    dynamics = {"pair_id": syn + 1, "qc_pass": rng.random(n) < 0.85, "n_source_events": events}
    dynamics |= _stp_values(rng, induction, amp, "")
    for name, center in zip(PULSE_AMP, (1.0, 1.0 + 0.6 * induction, 1.0 + induction, 1.0 + 0.2 * induction,
                                        1.0 + 0.1 * induction)):
        dynamics[name] = amp * center * (1 + 0.1 * rng.standard_normal(n))
        dynamics[f"{name}_n"] = rng.integers(2, 60, n).astype(float)
        dynamics[f"{name}_std"] = np.abs(amp) * _lognormal(rng, 0.3, 0.3, n)
    yield "dynamics", n, dynamics

    sites = np.round(_lognormal(rng, 6, 0.7, n)).clip(1, 60)
    prob = rng.uniform(0.05, 0.95, n)
    mini = np.where(np.array(s["synapse_type"]) == "in", -1, 1) * _lognormal(rng, 3.3e-4, 0.4, n)
    strength = sites * prob * mini
    modelled = rng.random(n) < 0.6
    model = {
        "pair_id": syn + 1,
        "n_source_events": events,
        "parameter_space": [_PARAMETER_SPACE if keep else "null" for keep in modelled.tolist()],
        "marginal_distributions": "null",
        "confidence_intervals": [json.dumps({"ml_base_release_probability": [round(a * 0.7, 4),
                                                                              round(min(a * 1.3, 1), 4)]})
                                 if keep else "null" for a, keep in zip(prob.tolist(), modelled.tolist())],
        "sparse_pca_vector": _npy_blobs(v if keep else None
                                        for v, keep in zip(rng.standard_normal((n, 8)),
                                                           (rng.random(n) < 0.7).tolist())),
        "max_likelihood": -_lognormal(rng, 2000.0, 0.5, n),
        "ml_n_release_sites": sites,
        "ml_base_release_probability": prob,
        "ml_mini_amplitude": mini,
        "ml_mini_amplitude_cv": rng.uniform(0.1, 0.6, n),
        "ml_depression_amount": rng.uniform(0, 1, n),
        "ml_depression_tau": _lognormal(rng, 0.1, 1.0, n),
        "ml_facilitation_amount": rng.uniform(0, 1, n),
        "ml_facilitation_tau": _lognormal(rng, 0.5, 1.0, n),
        "ml_measurement_stdev": _lognormal(rng, 8.6e-5, 0.3, n),
        "ml_strength": strength,
        "ml_strength_ci": _json_list(np.column_stack([strength * 0.8, strength * 1.2])),
        "ml_quanta_per_spike": sites * prob,
        "ml_quanta_per_spike_ci": _json_list(np.column_stack([sites * prob * 0.8, sites * prob * 1.2])),
        "ml_sites_pr_ratio": np.log10(sites / prob),
        "ml_sites_pr_ratio_ci": _json_list(np.column_stack([np.log10(sites / prob) - 0.2,
                                                            np.log10(sites / prob) + 0.2])),
        "ml_release_dependence_ratio": rng.uniform(-1, 1, n),
    }
    model |= _stp_values(rng, induction, amp, "ml_")
    yield "synapse_model", n, model


_PARAMETER_SPACE = json.dumps({"n_release_sites": [1, 2, 4, 8, 16, 32, 64],
                               "base_release_probability": [0.05, 0.1, 0.2, 0.4, 0.8],
                               "mini_amplitude_cv": [0.1, 0.3, 0.6], "depression_amount": [0, 0.5, 1.0],
                               "facilitation_amount": [0, 0.5, 1.0]})


def _synapse_prediction(rng: np.random.Generator, pairs: _Pairs, syn: np.ndarray, s: dict[str, Any],
                        nonsynaptic: np.ndarray) -> _Rows:
    """Connection-detection statistics for every probed pair (connected or not)."""
    idx = np.flatnonzero((pairs.n_ex > 10) | (pairs.n_in > 10))
    n = len(idx)
    syn_of_pair = np.full(len(pairs.pre), -1)
    syn_of_pair[syn] = np.arange(len(syn))
    k = syn_of_pair[idx]
    connected = k >= 0
    guess = [c if c in ("ex", "in") else None for c in nonsynaptic[pairs.pre[idx]].tolist()]
    data: dict[str, Any] = {"pair_id": idx + 1,
                            "synapse_type": np.where(connected, _take(s["synapse_type"], k, ""), guess).tolist()}
    latency = np.where(connected, _take(s["latency"], k, 0.0), rng.uniform(0.5e-3, 4e-3, n))
    p_value = np.where(connected, 10.0 ** -rng.uniform(3, 12, n), rng.random(n))
    for mode, amp_col, count, noise in (("ic", "psp_amplitude", pairs.n_ex[idx], 5e-5),
                                        ("vc", "psc_amplitude", pairs.n_in[idx], 2e-12)):
        amp = np.nan_to_num(_take(s[amp_col], k, 0.0)) + noise * 0.3 * rng.standard_normal(n)
        present = rng.random(n) < 0.35
        data[f"{mode}_n_samples"] = np.maximum(count // 2, rng.integers(5, 60, n))
        data[f"{mode}_crosstalk_mean"] = noise * 0.05 * rng.standard_normal(n)
        data[f"{mode}_base_crosstalk_mean"] = noise * 0.05 * rng.standard_normal(n)
        for metric, center, spread, base in (("amp", amp, noise, 0.0), ("deconv_amp", amp * 1.5, noise * 1.5, 0.0),
                                             ("latency", latency, 0.5e-3, 2e-3)):
            data[f"{mode}_{metric}_mean"] = center
            data[f"{mode}_{metric}_stdev"] = _lognormal(rng, spread, 0.3, n)
            data[f"{mode}_base_{metric}_mean"] = base + spread * 0.1 * rng.standard_normal(n)
            data[f"{mode}_base_{metric}_stdev"] = _lognormal(rng, spread, 0.3, n)
            for test in ("ttest", "ks2samp"):
                data[f"{mode}_{metric}_{test}"] = np.where(connected, p_value * rng.uniform(0.5, 2, n),
                                                           rng.random(n)).clip(0, 1)
        data[f"{mode}_average_response"] = _wave_blobs(rng, present, amp, latency, np.full(n, 2e-3), np.full(n, 25e-3),
                                                       noise * 0.2)
        data[f"{mode}_average_response_t0"] = np.where(present, -1e-3, np.nan)
        data[f"{mode}_average_base_stdev"] = _lognormal(rng, noise * 0.2, 0.3, n)
        fits = {"amp": amp, "xoffset": latency + 1e-3, "yoffset": noise * 0.1 * rng.standard_normal(n),
                "rise_time": _lognormal(rng, 2e-3, 0.3, n), "rise_power": np.full(n, 2.0),
                "decay_tau": _lognormal(rng, 25e-3, 0.4, n), "exp_amp": amp * 0.1,
                "exp_tau": _lognormal(rng, 0.1, 0.5, n), "nrmse": _lognormal(rng, 0.8, 0.3, n)}
        fit_ok = rng.random(n) < 0.9
        for name in FIT_PARAMS:
            data[f"{mode}_fit_{name}"] = np.where(fit_ok, fits[name], np.nan)
    return "synapse_prediction", n, data


def _gap_junction(rng: np.random.Generator, pairs: _Pairs) -> _Rows:
    idx = np.flatnonzero(pairs.electrical)
    n = len(idx)
    coupling = np.clip(_lognormal(rng, 0.05, 0.7, n), 0.001, 0.6)
    return "gap_junction", n, {
        "pair_id": idx + 1,
        "corr_coeff_pulse": rng.uniform(0.3, 0.95, n),
        "corr_coeff_noise": _holes(rng, rng.uniform(0.1, 0.8, n), 0.2),
        "p_val_pulse": 10.0 ** -rng.uniform(2, 10, n),
        "p_val_noise": _holes(rng, 10.0 ** -rng.uniform(1, 8, n), 0.2),
        "coupling_coeff_pulse": coupling,
        "coupling_coeff_noise": _holes(rng, coupling * rng.uniform(0.6, 1.2, n), 0.2),
        "junctional_conductance": coupling * _lognormal(rng, 8e-9, 0.4, n),
    }
