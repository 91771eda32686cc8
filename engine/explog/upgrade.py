"""The reference's schema-upgrade history, replayed as ordered steps on an older file.

Each step says whether a file needs it (read from the file itself, never from a version number,
because the reference never wrote one) and applies it. ``run`` is called inside one transaction,
so an upgrade either completes or leaves the file untouched. In order:

1. ``master`` gains ``extra_metadata`` and ``participant_id`` (reference #87, 2022).
2. ``replay_data`` gains ``extra_info`` (present since the first public version).
3. ``master`` drops its UNIQUE constraints on ``experiment_id``/``participant_id`` (#465, 2025;
   the reference stopped declaring them but never removed them from existing files).
4. missing tables are created (``strat_data``, ``config_data``, and the trial tables of #165).
5. ``raw_data`` gains ``extra_data`` (#561); where an experiment has as many trials as tells,
   each tell's ``extra_info`` is copied into its trial, as the reference does (#567).
6. files with tells but no trials (before #165) get ``raw_data``/``param_data``/``outcome_data``
   rebuilt from the logged tell messages, one trial per tell.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from .codec import decode, to_json
from .expand import legacy_tell, outcome_rows, param_rows
from .layout import TABLES, FileLayout, columns, create_table_sql
from .writes import insert_trial

log = logging.getLogger(__name__)

Notes = list[str]


@dataclass(frozen=True)
class Step:
    """One change in the reference's layout history."""

    name: str
    description: str
    needed: Callable[[sqlite3.Connection, FileLayout], bool]
    apply: Callable[[sqlite3.Connection, FileLayout, bool], Notes]


def pending(con: sqlite3.Connection) -> list[Step]:
    """The steps this file still needs, in order."""
    layout = FileLayout.read(con)
    return [step for step in STEPS if step.needed(con, layout)]


def run(con: sqlite3.Connection, *, allow_pickle: bool) -> Notes:
    """Apply every needed step (re-reading the layout between steps); returns what was done."""
    notes: Notes = []
    for step in STEPS:
        layout = FileLayout.read(con)
        if step.needed(con, layout):
            log.info("explog upgrade: %s", step.description)
            notes.append(step.description)
            notes += step.apply(con, layout, allow_pickle)
    return notes


def _needs_master_columns(con: sqlite3.Connection, layout: FileLayout) -> bool:
    return not (layout.has("master", "extra_metadata") and layout.has("master", "participant_id"))


def _add_master_columns(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    for column in ("extra_metadata", "participant_id"):
        if not layout.has("master", column):
            con.execute(f"ALTER TABLE master ADD COLUMN {column} VARCHAR")
    return []


def _needs_extra_info(con: sqlite3.Connection, layout: FileLayout) -> bool:
    return not layout.has("replay_data", "extra_info")


def _add_extra_info(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    con.execute("ALTER TABLE replay_data ADD COLUMN extra_info BLOB")
    return []


def _needs_master_rebuild(con: sqlite3.Connection, layout: FileLayout) -> bool:
    return bool(layout.master_unique)


def _rebuild_master(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    # SQLite cannot drop a constraint: copy into a new table (foreign keys are off during upgrades).
    names = ", ".join(columns("master"))
    con.execute(create_table_sql("master", "explog_master_new"))
    con.execute(f"INSERT INTO explog_master_new ({names}) SELECT {names} FROM master")
    con.execute("DROP TABLE master")
    con.execute("ALTER TABLE explog_master_new RENAME TO master")
    return [f"removed UNIQUE on master.{', master.'.join(layout.master_unique)}"]


def _needs_tables(con: sqlite3.Connection, layout: FileLayout) -> bool:
    return any(table not in layout.tables for table in TABLES)


def _create_tables(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    missing = [table for table in TABLES if table not in layout.tables]
    for table in missing:
        con.execute(create_table_sql(table))
    return [f"created {', '.join(missing)}"]


def _needs_extra_data(con: sqlite3.Connection, layout: FileLayout) -> bool:
    return layout.has("raw_data") and not layout.has("raw_data", "extra_data")


def _add_extra_data(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    con.execute("ALTER TABLE raw_data ADD COLUMN extra_data VARCHAR")  # the reference's declared type
    notes: Notes = []
    for (master,) in con.execute("SELECT unique_id FROM master ORDER BY unique_id").fetchall():
        raws = [r[0] for r in con.execute(
            "SELECT unique_id FROM raw_data WHERE master_table_id = ? ORDER BY unique_id", (master,))]
        tells = con.execute(
            "SELECT unique_id, extra_info FROM replay_data WHERE master_table_id = ? AND message_type = 'tell' "
            "ORDER BY unique_id", (master,)).fetchall()
        if not raws:
            continue
        if len(raws) != len(tells):
            notes.append(f"experiment {master}: {len(tells)} tells but {len(raws)} trials; extra_info not copied")
            continue
        for raw, (tell, stored) in zip(raws, tells):
            extra = decode(stored, f"replay_data row {tell} extra_info", allow_pickle=allow_pickle)
            if extra:
                con.execute("UPDATE raw_data SET extra_data = ? WHERE unique_id = ?",
                            (to_json(extra, f"extra_info of replay_data row {tell}"), raw))
    return notes


def _needs_trials(con: sqlite3.Connection, layout: FileLayout) -> bool:
    has_tells = con.execute("SELECT EXISTS (SELECT 1 FROM replay_data WHERE message_type = 'tell')").fetchone()[0]
    if not has_tells:
        return False
    return not layout.has("raw_data") or not con.execute("SELECT EXISTS (SELECT 1 FROM raw_data)").fetchone()[0]


def _rebuild_trials(con: sqlite3.Connection, layout: FileLayout, allow_pickle: bool) -> Notes:
    tells = con.execute(
        "SELECT r.unique_id, r.timestamp, r.message_contents, r.master_table_id FROM replay_data r "
        "JOIN master m ON m.unique_id = r.master_table_id "
        "WHERE r.message_type = 'tell' ORDER BY r.master_table_id, r.unique_id"
    ).fetchall()
    for uid, timestamp, stored, master in tells:
        where = f"replay_data row {uid} message_contents"
        params, outcomes, model_data, extra = legacy_tell(decode(stored, where, allow_pickle=allow_pickle), where)
        insert_trial(con, master, timestamp, model_data, to_json(extra, f"extra_info of {where}"),
                     param_rows(params), outcome_rows(outcomes))
    return [f"rebuilt {len(tells)} trials from tell messages"]


STEPS = (
    Step("master-columns", "add master.extra_metadata and master.participant_id",
         _needs_master_columns, _add_master_columns),
    Step("replay-extra-info", "add replay_data.extra_info", _needs_extra_info, _add_extra_info),
    Step("master-unique", "drop UNIQUE constraints from master", _needs_master_rebuild, _rebuild_master),
    Step("tables", "create missing tables", _needs_tables, _create_tables),
    Step("raw-extra-data", "add raw_data.extra_data (copying tells' extra_info)", _needs_extra_data, _add_extra_data),
    Step("trials-from-tells", "rebuild trials from logged tell messages", _needs_trials, _rebuild_trials),
)
