"""An opened datastack: layout, DuckDB dataset, table descriptions, versions, roots and views.

This is the shared state every query module reads; it owns no query logic beyond naming
things (unknown tables / views raise with did-you-mean) and describing views.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from ..errors import SchemaVersionError, UnknownNameError, UnknownTableError
from ..schema import TableSchema
from ..sql import Compiled, ParamNames, quote_ident
from .layout import ViewFiles, open_layout
from .resident import Resident
from .roots import RootLookup
from .source import open_source, raw_view
from .tables import AnnotationTable
from .timetravel import ROOTS_AT, asof_sql, roots_at_sql
from .versions import Versions


class Mirror:
    """One datastack of a local mirror, opened for queries."""

    def __init__(self, root: str | os.PathLike[str], datastack: str, in_memory: bool | Sequence[str] = False) -> None:
        self.layout = open_layout(root, datastack)
        self.datastack = self.layout.datastack
        self.dataset, self.tables = open_source(self.layout)
        self.versions = Versions(self.layout.versions, f"datastack {self.datastack!r}")
        clash = sorted(set(self.layout.views) & set(self.tables))
        if clash:
            raise SchemaVersionError(f"{self.layout.path}: views and tables share the name(s) {', '.join(clash)}")
        chosen = list(self.tables) if in_memory is True else list(in_memory or [])
        for name in chosen:
            self.table(name)
        self.resident = Resident(self.layout, self.tables, chosen)
        self.roots = RootLookup(self.dataset, self.resident.roots if chosen else None)
        self._view_schemas: dict[str, TableSchema] = {}
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        return f"datastack {self.datastack!r}"

    def table(self, name: str) -> AnnotationTable:
        """The table called ``name``; ``UnknownTableError`` (with did-you-mean) otherwise."""
        if not isinstance(name, str) or name not in self.tables:
            raise UnknownTableError(name, self.tables, self.where)
        return self.tables[name]

    def view(self, name: str) -> ViewFiles:
        """The view called ``name``; ``UnknownNameError`` (with did-you-mean) otherwise."""
        if not isinstance(name, str) or name not in self.layout.views:
            raise UnknownNameError("view", name, self.layout.views, self.where)
        return self.layout.views[name]

    def table_ctes(self, ts: str) -> dict[str, str]:
        """Every table's as-of relation at ``ts`` by its plain name (what view SQL reads), plus the roots."""
        ctes = {ROOTS_AT: roots_at_sql(ts)}
        ctes.update((name, asof_sql(t, ts, quote_ident(raw_view(name)))) for name, t in self.tables.items())
        return ctes

    def view_sql(self, name: str) -> str:
        """The view's own SQL as a subquery body (newline first and last: it may end in a ``--`` comment)."""
        return "\n" + self.view(name).sql.strip().rstrip(";") + "\n"

    def view_schema(self, name: str) -> TableSchema:
        """The columns a view returns (described once, at the newest version's state)."""
        with self._lock:
            if name not in self._view_schemas:
                names = ParamNames()
                ts = names.bind(self.versions.get(self.versions.numbers(expired=True)[-1]).time_stamp)
                body = self.view_sql(name)
                ctes = ", ".join(f"{quote_ident(a)} AS ({s})" for a, s in self.table_ctes(ts).items())
                sql = f"WITH {ctes} SELECT * FROM ({body}) AS {quote_ident(name)} LIMIT 0"
                arrow = self.dataset.result(Compiled(sql, names.params)).arrow().schema
                self._view_schemas[name] = TableSchema.from_arrow(name, arrow)
            return self._view_schemas[name]

    def close(self) -> None:
        self.dataset.close()
