"""Columnar views of an experiment log, computed by DuckDB over the same sqlite file.

The reference builds its data frame with one ORM query per trial; here one vectorised query
pivots ``param_data``/``outcome_data`` into a column per parameter and outcome. The column set
depends on the data, so names are read first; they are bound as values in the SQL and only
appear as quoted output aliases.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow.parquet as pq

from ..errors import BadInputError, UnknownNameError
from ..files import atomic_path
from ..sql import Compiled, ParamNames, quote_ident

if TYPE_CHECKING:
    from ..result import Result
    from .log import ExperimentLog

FIXED = ("master_id", "experiment_id", "participant_id", "iteration_id", "trial", "timestamp", "model_data")
Layout = Literal["wide", "long"]
LAYOUTS: tuple[Layout, ...] = ("wide", "long")

# Trials of the selected experiments, numbered 1.. within each experiment in recording order.
_RAW = (
    "raw AS (SELECT r.unique_id, r.master_table_id, r.timestamp, r.model_data, "
    "row_number() OVER (PARTITION BY r.master_table_id ORDER BY r.unique_id) AS trial "
    "FROM raw_data r {where})"
)
_TRIAL_COLUMNS = (
    "raw.master_table_id AS master_id, m.experiment_id, m.participant_id, raw.unique_id AS iteration_id, "
    "raw.trial, raw.timestamp, raw.model_data"
)
_JOIN_MASTER = "FROM raw JOIN master m ON m.unique_id = raw.master_table_id"
# extra_metadata is free text in the reference: only valid JSON objects contribute keys.
_METADATA = "SELECT unique_id, CASE WHEN json_valid(extra_metadata) THEN extra_metadata::JSON END AS j FROM master"
_METADATA_KEYS = f"SELECT DISTINCT unnest(json_keys(j)) AS k FROM ({_METADATA}) WHERE json_type(j) = 'OBJECT' ORDER BY k"


def trials(log: ExperimentLog, experiment_ids: Any = None) -> Result:
    """One row per trial: the ``FIXED`` columns, then one column per parameter, then per outcome.

    A parameter column is DOUBLE when every value parses as a number, else text (as stored). If a
    trial has the same name twice, the last recorded value wins. Names that collide with another
    column are prefixed ``param:`` / ``outcome:``.
    """
    ids = selected_ids(log, experiment_ids)
    # The column set is read before the rows: fix the last trial first, so a trial committed while
    # this runs (a live experiment) never appears without its parameter and outcome columns.
    last = log.dataset().sql("SELECT coalesce(max(unique_id), 0) FROM raw_data").arrow().column(0)[0].as_py()
    params, outcomes = _names(log, ids)
    binder = ParamNames("k")
    raw_where = _where(ids) + (" AND" if ids is not None else "WHERE") + f" r.unique_id <= {binder.bind(last)}"
    ctes = [_RAW.format(where=raw_where)]
    select = [_TRIAL_COLUMNS]
    joins = []
    taken = set(FIXED)
    for alias, table, value, names, clash in (
        ("pv", "param_data", "param", params, outcomes),
        ("ov", "outcome_data", "outcome", outcomes, params),
    ):
        if not names:
            continue
        aggs = []
        for i, (name, numeric) in enumerate(names.items()):
            column = f"c.{value}_value"
            expr = f"TRY_CAST({column} AS DOUBLE)" if numeric else column
            aggs.append(f"arg_max({expr}, c.unique_id) FILTER (WHERE c.{value}_name = {binder.bind(name)}) AS c{i}")
            label = f"{value}:{name}" if name in taken or name in clash else name
            taken.add(label)
            select.append(f"{alias}.c{i} AS {quote_ident(label)}")
        ctes.append(
            f"{alias} AS (SELECT c.iteration_id, {', '.join(aggs)} FROM {table} c {_children_where(ids)} "
            "GROUP BY c.iteration_id)"
        )
        joins.append(f"LEFT JOIN {alias} ON {alias}.iteration_id = raw.unique_id")
    sql = (
        f"WITH {', '.join(ctes)} SELECT {', '.join(select)} {_JOIN_MASTER} {' '.join(joins)} "
        "ORDER BY master_id, iteration_id"
    )
    return log.dataset().result(Compiled(sql, {**_id_params(ids), **binder.params}))


def trials_long(log: ExperimentLog, experiment_ids: Any = None) -> Result:
    """One row per (trial, parameter or outcome): ``kind``, ``name``, numeric ``value`` and ``text``."""
    ids = selected_ids(log, experiment_ids)
    parts = [
        f"SELECT {_TRIAL_COLUMNS}, '{kind}' AS kind, c.{kind}_name AS name, {value} AS value, {text} AS text, "
        f"c.unique_id AS seq {_JOIN_MASTER} JOIN {table} c ON c.iteration_id = raw.unique_id"
        for kind, table, value, text in (
            ("param", "param_data", "TRY_CAST(c.param_value AS DOUBLE)", "c.param_value"),
            ("outcome", "outcome_data", "CAST(c.outcome_value AS DOUBLE)", "CAST(c.outcome_value AS VARCHAR)"),
        )
    ]
    sql = (
        f"WITH {_RAW.format(where=_where(ids))} SELECT * EXCLUDE (seq) FROM ({' UNION ALL '.join(parts)}) "
        "ORDER BY master_id, iteration_id, kind DESC, seq"
    )
    return log.dataset().result(Compiled(sql, _id_params(ids)))


def summarize(log: ExperimentLog) -> Result:
    """One row per experiment, like the reference's ``summarize_experiments`` but read from the data.

    Parameter/outcome names and stimuli per trial come from the recorded trials (the reference
    unpickles each experiment's config for them); times span the messages and the trials;
    each key of ``extra_metadata`` becomes a column (``metadata:<key>`` if it collides).
    """
    keys = [r["k"] for r in log.dataset().sql(_METADATA_KEYS).arrow().to_pylist()]
    binder = ParamNames("k")
    fixed = ("master_id", "experiment_id", "experiment_name", "experiment_description", "participant_id",
             "creation_time", "time_last_modified", "stimuli_per_trial", "parameter_names", "outcome_names", "n_data")
    metadata = [
        f"json_extract_string(meta.j, {binder.bind(_json_pointer(key))}) "
        f"AS {quote_ident('metadata:' + key if key in fixed else key)}"
        for key in keys
    ]
    sql = f"""
        WITH meta AS ({_METADATA}),
             t AS (SELECT master_table_id, count(*) AS n, min(timestamp) AS first, max(timestamp) AS last
                   FROM raw_data GROUP BY master_table_id),
             rp AS (SELECT master_table_id, min(timestamp) AS first, max(timestamp) AS last
                    FROM replay_data GROUP BY master_table_id),
             pn AS (SELECT r.master_table_id,
                           list(DISTINCT regexp_replace(p.param_name, '_stimuli[0-9]+$', '')
                                ORDER BY regexp_replace(p.param_name, '_stimuli[0-9]+$', '')) AS names,
                           coalesce(max(TRY_CAST(regexp_extract(p.param_name, '_stimuli([0-9]+)$', 1) AS INTEGER)) + 1,
                                    1) AS stimuli
                    FROM param_data p JOIN raw_data r ON r.unique_id = p.iteration_id GROUP BY r.master_table_id),
             onames AS (SELECT r.master_table_id, list(DISTINCT o.outcome_name ORDER BY o.outcome_name) AS names
                        FROM outcome_data o JOIN raw_data r ON r.unique_id = o.iteration_id
                        GROUP BY r.master_table_id)
        SELECT m.unique_id AS master_id, m.experiment_id, m.experiment_name, m.experiment_description,
               m.participant_id{''.join(', ' + c for c in metadata)},
               least(rp.first, t.first) AS creation_time, greatest(rp.last, t.last) AS time_last_modified,
               coalesce(pn.stimuli, 1) AS stimuli_per_trial,
               coalesce(pn.names, []::VARCHAR[]) AS parameter_names,
               coalesce(onames.names, []::VARCHAR[]) AS outcome_names,
               coalesce(t.n, 0) AS n_data
        FROM master m
        JOIN meta ON meta.unique_id = m.unique_id
        LEFT JOIN t ON t.master_table_id = m.unique_id
        LEFT JOIN rp ON rp.master_table_id = m.unique_id
        LEFT JOIN pn ON pn.master_table_id = m.unique_id
        LEFT JOIN onames ON onames.master_table_id = m.unique_id
        ORDER BY m.unique_id"""
    return log.dataset().result(Compiled(sql, binder.params))


def export_parquet(log: ExperimentLog, out: Path, *, layout: Layout = "wide", experiment_ids: Any = None) -> Path:
    """Stream ``trials()`` or ``trials_long()`` into a zstd Parquet file, renamed into place when complete."""
    if layout not in LAYOUTS:
        raise BadInputError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    result = (trials if layout == "wide" else trials_long)(log, experiment_ids)
    meta = {b"engine.explog.source": log.path.name.encode(), b"engine.explog.layout": layout.encode()}
    with atomic_path(out) as tmp:
        writer: pq.ParquetWriter | None = None
        try:
            for batch in result.batches():
                if writer is None:
                    writer = pq.ParquetWriter(tmp, batch.schema.with_metadata(meta), compression="zstd")
                writer.write_batch(batch)
            if writer is None:  # no rows: still write the columns
                table = result.arrow()
                pq.write_table(table.replace_schema_metadata(meta), tmp, compression="zstd")
        finally:
            if writer is not None:
                writer.close()
    return out


def selected_ids(log: ExperimentLog, experiment_ids: Any) -> list[int] | None:
    """``None`` (every experiment) or a validated list of master ids."""
    if experiment_ids is None:
        log.master_ids()  # checks the file is open and current
        return None
    if isinstance(experiment_ids, (int, np.integer)) and not isinstance(experiment_ids, bool):
        experiment_ids = [experiment_ids]
    if isinstance(experiment_ids, (str, bytes)) or not isinstance(experiment_ids, Iterable):
        raise BadInputError(f"experiment_ids must be master ids (ints), not {type(experiment_ids).__name__}")
    ids = list(experiment_ids)
    bad = [i for i in ids if not isinstance(i, (int, np.integer)) or isinstance(i, bool)]
    if bad:
        raise BadInputError(f"experiment_ids must be master ids (ints); got {bad[0]!r}")
    known = set(log.master_ids())
    for i in ids:
        if int(i) not in known:
            raise UnknownNameError("experiment", i, (str(k) for k in known), where=f"experiment log {log.path.name}")
    return [int(i) for i in ids]


def _names(log: ExperimentLog, ids: list[int] | None) -> tuple[dict[str, bool], dict[str, bool]]:
    """Parameter and outcome names of the selected trials in order of first recording, each with
    whether all its values are numbers (one pass over each child table)."""
    where = _children_where(ids)
    sql = (
        "SELECT 'param' AS kind, c.param_name AS name, bool_and(TRY_CAST(c.param_value AS DOUBLE) IS NOT NULL) "
        f"AS numeric, min(c.unique_id) AS first FROM param_data c {where} "
        "GROUP BY c.param_name HAVING c.param_name IS NOT NULL UNION ALL "
        f"SELECT 'outcome', c.outcome_name, TRUE, min(c.unique_id) FROM outcome_data c {where} "
        "GROUP BY c.outcome_name HAVING c.outcome_name IS NOT NULL ORDER BY kind DESC, first"
    )
    rows = log.dataset().result(Compiled(sql, _id_params(ids))).arrow().to_pylist()
    params = {r["name"]: bool(r["numeric"]) for r in rows if r["kind"] == "param"}
    return params, {r["name"]: True for r in rows if r["kind"] == "outcome"}


def _where(ids: Sequence[int] | None) -> str:
    return "" if ids is None else "WHERE r.master_table_id = ANY($ids)"


def _children_where(ids: Sequence[int] | None) -> str:
    if ids is None:
        return ""
    return "WHERE c.iteration_id IN (SELECT unique_id FROM raw_data WHERE master_table_id = ANY($ids))"


def _id_params(ids: Sequence[int] | None) -> dict[str, Any]:
    return {} if ids is None else {"ids": list(ids)}


def _json_pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")
