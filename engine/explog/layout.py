"""The reference's tables and columns, our extra indexes, and what layout an existing file has.

The DDL is what SQLAlchemy's ``create_all`` emits for the reference's current model, so a file
we create is one the reference opens as its own. Older reference layouts lack some columns
and tables (see ``OPTIONAL_COLUMNS``); ``upgrade.py`` brings them up to date.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import SchemaVersionError
from ..sql import quote_ident

# Bumped when we change the file in a way an older engine must not write to (PRAGMA user_version;
# the reference never sets it, so its files read 0).
LAYOUT_VERSION = 1

_FK_MASTER = "FOREIGN KEY(master_table_id) REFERENCES master (unique_id)"
_FK_RAW = "FOREIGN KEY(iteration_id) REFERENCES raw_data (unique_id)"

TABLES: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "master": (
        (("unique_id", "INTEGER NOT NULL"), ("experiment_name", "VARCHAR(256)"),
         ("experiment_description", "VARCHAR(2048)"), ("experiment_id", "VARCHAR(10)"),
         ("participant_id", "VARCHAR(50)"), ("extra_metadata", "VARCHAR(4096)")),
        ("PRIMARY KEY (unique_id)",),
    ),
    "replay_data": (
        (("unique_id", "INTEGER NOT NULL"), ("timestamp", "DATETIME"), ("message_type", "VARCHAR(64)"),
         ("message_contents", "BLOB"), ("extra_info", "BLOB"), ("master_table_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_MASTER),
    ),
    "strat_data": (
        (("unique_id", "INTEGER NOT NULL"), ("timestamp", "DATETIME"), ("strat", "BLOB"),
         ("master_table_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_MASTER),
    ),
    "config_data": (
        (("unique_id", "INTEGER NOT NULL"), ("timestamp", "DATETIME"), ("config", "BLOB"),
         ("master_table_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_MASTER),
    ),
    "raw_data": (
        (("unique_id", "INTEGER NOT NULL"), ("timestamp", "DATETIME"), ("model_data", "BOOLEAN"),
         ("extra_data", "BLOB"), ("master_table_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_MASTER),
    ),
    "param_data": (
        (("unique_id", "INTEGER NOT NULL"), ("param_name", "VARCHAR(50)"), ("param_value", "VARCHAR(50)"),
         ("iteration_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_RAW),
    ),
    "outcome_data": (
        (("unique_id", "INTEGER NOT NULL"), ("outcome_name", "VARCHAR(50)"), ("outcome_value", "FLOAT"),
         ("iteration_id", "INTEGER")),
        ("PRIMARY KEY (unique_id)", _FK_RAW),
    ),
}

# Present since the first public layout; everything else may be missing from an older file.
REQUIRED_TABLES = ("master", "replay_data")
# Columns added by later reference versions (ALTER TABLE ... ADD COLUMN in its update code).
OPTIONAL_COLUMNS = {
    ("master", "extra_metadata"), ("master", "participant_id"),
    ("replay_data", "extra_info"), ("raw_data", "extra_data"),
}

# Not in the reference (its ORM relationships scan whole child tables): a child lookup by parent
# id becomes an index search. Indexes do not change the layout the reference sees.
INDEXES = {
    "explog_replay_master": ("replay_data", "master_table_id"),
    "explog_strat_master": ("strat_data", "master_table_id"),
    "explog_config_master": ("config_data", "master_table_id"),
    "explog_raw_master": ("raw_data", "master_table_id"),
    "explog_param_iteration": ("param_data", "iteration_id"),
    "explog_outcome_iteration": ("outcome_data", "iteration_id"),
}


def columns(table: str) -> tuple[str, ...]:
    """Column names of ``table`` in the current layout."""
    return tuple(name for name, _ in TABLES[table][0])


def create_table_sql(table: str, name: str | None = None) -> str:
    """``CREATE TABLE`` for one table of the current layout (optionally under another ``name``)."""
    cols, constraints = TABLES[table]
    body = [f"{quote_ident(col)} {decl}" for col, decl in cols] + list(constraints)
    return f"CREATE TABLE {quote_ident(name or table)} (\n\t" + ", \n\t".join(body) + "\n)"


def create_index_sql(index: str) -> str:
    table, column = INDEXES[index]
    return f"CREATE INDEX IF NOT EXISTS {quote_ident(index)} ON {quote_ident(table)} ({quote_ident(column)})"


@dataclass(frozen=True)
class FileLayout:
    """What an open sqlite file holds: tables with their columns, UNIQUE master columns, user_version."""

    tables: dict[str, tuple[str, ...]]
    master_unique: tuple[str, ...]
    user_version: int

    @classmethod
    def read(cls, con: sqlite3.Connection) -> FileLayout:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        tables = {n: tuple(r[0] for r in con.execute("SELECT name FROM pragma_table_info(?)", (n,))) for n in names}
        unique: list[str] = []
        if "master" in tables:
            for (index,) in con.execute(
                "SELECT name FROM pragma_index_list('master') WHERE \"unique\" AND origin IN ('u', 'c')"
            ):
                unique += [r[0] for r in con.execute("SELECT name FROM pragma_index_info(?)", (index,))]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        return cls(tables, tuple(sorted(set(unique))), version)

    @property
    def is_empty(self) -> bool:
        return not self.tables

    def has(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or column in self.tables[table])

    def check(self, path: Path) -> None:
        """Refuse files that are not experiment logs, or were written by a newer layout."""
        if self.user_version > LAYOUT_VERSION:
            raise SchemaVersionError(
                f"{path} uses experiment-log layout {self.user_version}, newer than this engine "
                f"understands (up to {LAYOUT_VERSION}); upgrade the engine"
            )
        if self.is_empty:
            return
        found = ", ".join(sorted(self.tables))
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if missing:
            raise SchemaVersionError(
                f"{path} is not an experiment log: it has no {', '.join(missing)} table "
                f"(tables: {found}; an experiment log has {', '.join(TABLES)})"
            )
        for table, present in self.tables.items():
            if table not in TABLES:
                continue
            known = columns(table)
            unknown = sorted(set(present) - set(known))
            if unknown:
                raise SchemaVersionError(
                    f"{path}: table {table} has columns {', '.join(unknown)} that no known layout has "
                    f"(known: {', '.join(known)}); it was written by a newer or different program"
                )
            absent = [c for c in known if c not in present and (table, c) not in OPTIONAL_COLUMNS]
            if absent:
                raise SchemaVersionError(
                    f"{path} is not an experiment log: table {table} lacks columns {', '.join(absent)}"
                )
