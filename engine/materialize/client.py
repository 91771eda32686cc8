"""``MaterializationClient``: caveclient's materialization API answered from a local Parquet mirror.

Names, signatures and return shapes follow caveclient's ``MaterializationClient``; query
methods live in mixins (``queries.py``, ``live.py``, ``synapses.py``). Differences from the
reference are listed in docs/materialize.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from ..errors import BadInputError, UnknownNameError
from .execute import resolution
from .live import LiveMethods
from .managers import TableManager, ViewManager
from .metadata import table_metadata, view_metadata, view_schema
from .mirror import Mirror
from .queries import QueryMethods
from .synapses import SynapseMethods
from .versions import Moment, utc


class MaterializationClient(QueryMethods, LiveMethods, SynapseMethods):
    """Query a datastack of a local CAVE mirror: versions, time travel, filters, joins, views, synapses.

    ``in_memory`` keeps the named tables (``True``: all) decoded in memory with supervoxel
    indexes, so root-id queries for thousands of neurons are binary searches, not scans.

    >>> client = MaterializationClient(root, "synthetic")                    # doctest: +SKIP
    >>> client.synapse_query(pre_ids=root_id, timestamp="2024-04-15T00:00Z")  # doctest: +SKIP
    """

    def __init__(
        self,
        root_or_url: str | os.PathLike[str],
        datastack: str,
        version: int | None = None,
        desired_resolution: Sequence[float] | None = None,
        *,
        in_memory: bool | Sequence[str] = False,
    ) -> None:
        self._mirror = Mirror(root_or_url, datastack, in_memory)
        self._version: int | None = None
        self.desired_resolution = resolution(desired_resolution)
        if version is not None:
            self.version = version
        self._tables: TableManager | None = None
        self._views: ViewManager | None = None

    def __repr__(self) -> str:
        return f"<MaterializationClient {self.datastack_name!r} at {self._mirror.layout.path}>"

    def __enter__(self) -> MaterializationClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection (the client is unusable afterwards)."""
        self._mirror.close()

    @property
    def datastack_name(self) -> str:
        """The datastack this client reads."""
        return self._mirror.datastack

    @property
    def synapse_table(self) -> str | None:
        """The datastack's default synapse table (``datastack.json``)."""
        return self._mirror.layout.info.get("synapse_table")

    @property
    def version(self) -> int:
        """The version queries read when given neither a version nor a timestamp (default: the newest valid one)."""
        if self._version is None:
            self._version = self.most_recent_version()
        return self._version

    @version.setter
    def version(self, x: int) -> None:
        self._version = self._mirror.versions.get(x).version  # any listed version, expired ones too

    @property
    def tables(self) -> TableManager:
        """One attribute per table: ``client.tables.synapses(pre_pt_root_id=[...]).query()``."""
        if self._tables is None:
            self._tables = TableManager(self)
        return self._tables

    @property
    def views(self) -> ViewManager:
        """One attribute per view, like ``tables``."""
        if self._views is None:
            self._views = ViewManager(self)
        return self._views

    def preload(self) -> None:
        """Load the ``in_memory`` tables now instead of on the first query that reads them."""
        self._mirror.resident.load()

    # -- versions ---------------------------------------------------------------------------------

    def most_recent_version(self, datastack_name: str | None = None) -> int:
        """The newest valid version."""
        self._datastack(datastack_name)
        return self._mirror.versions.most_recent()

    def get_versions(self, datastack_name: str | None = None, expired: bool = False) -> list[int]:
        """Valid version numbers; ``expired=True`` lists every version in versions.json."""
        self._datastack(datastack_name)
        return self._mirror.versions.numbers(expired)

    def get_version_metadata(self, version: int | None = None, datastack_name: str | None = None) -> dict[str, Any]:
        """The version's record; ``time_stamp`` / ``expires_on`` are tz-aware UTC datetimes."""
        self._datastack(datastack_name)
        return self._mirror.versions.get(self.version if version is None else version).metadata(self.datastack_name)

    def get_versions_metadata(self, datastack_name: str | None = None, expired: bool = False) -> list[dict[str, Any]]:
        """``get_version_metadata`` of every valid version (``expired=True``: every version)."""
        self._datastack(datastack_name)
        return [v.metadata(self.datastack_name) for v in self._mirror.versions.all(expired)]

    def get_timestamp(self, version: int | None = None, datastack_name: str | None = None) -> datetime:
        """When ``version`` was frozen (tz-aware UTC)."""
        return self.get_version_metadata(version, datastack_name)["time_stamp"]

    # -- tables and views -------------------------------------------------------------------------

    def get_tables(self, datastack_name: str | None = None, version: int | None = None) -> list[str]:
        """Tables that existed at the version (their metadata ``created`` is not after its timestamp)."""
        moment = self._moment(version, None, datastack_name)
        return [name for name, t in self._mirror.tables.items() if _created_by(t.metadata.get("created"), moment)]

    def get_table_metadata(
        self, table_name: str, datastack_name: str | None = None, version: int | None = None, log_warning: bool = True
    ) -> dict[str, Any]:
        """The table's metadata JSON (``voxel_resolution`` as ``[x, y, z]``; ``reference_table`` None or a name)."""
        self._moment(version, None, datastack_name)
        return table_metadata(self._mirror, table_name)

    def get_tables_metadata(
        self, datastack_name: str | None = None, version: int | None = None, log_warning: bool = True
    ) -> list[dict[str, Any]]:
        """``get_table_metadata`` of every table of the version."""
        return [table_metadata(self._mirror, t) for t in self.get_tables(datastack_name, version)]

    def get_annotation_count(self, table_name: str, datastack_name: str | None = None, version: int | None = None) -> int:
        """Rows of ``table_name`` live at the version."""
        frame = self.query_table(table_name, datastack_name=datastack_name, materialization_version=version,
                                 merge_reference=False, get_counts=True, metadata=False)
        return int(frame["count"].iloc[0])

    def get_views(self, version: int | None = None, datastack_name: str | None = None) -> dict[str, dict[str, Any]]:
        """``{view: metadata}`` (the reference returns this dict; iterating it gives the names)."""
        self._moment(version, None, datastack_name)
        out = {}
        for name in self._mirror.layout.views:
            meta = view_metadata(self._mirror, name)
            meta.pop("table_name")
            out[name] = meta
        return out

    def get_view_metadata(
        self, view_name: str, materialization_version: int | None = None, datastack_name: str | None = None,
        log_warning: bool = True,
    ) -> dict[str, Any]:
        """The reference's view row: description, ``voxel_resolution_x/y/z``, notice, live_compatible, table_name."""
        self._moment(materialization_version, None, datastack_name)
        return view_metadata(self._mirror, view_name)

    def get_view_schema(
        self, view_name: str, materialization_version: int | None = None, datastack_name: str | None = None,
        log_warning: bool = True,
    ) -> dict[str, dict[str, str]]:
        """``{column: {"type": ...}}``; ``_x/_y/_z`` triples are one ``SpatialPoint`` column."""
        self._moment(materialization_version, None, datastack_name)
        return view_schema(self._mirror.view_schema(self._mirror.view(view_name).name))

    def get_view_schemas(
        self, materialization_version: int | None = None, datastack_name: str | None = None, log_warning: bool = True
    ) -> dict[str, dict[str, dict[str, str]]]:
        """``{view: get_view_schema(view)}``."""
        return {v: self.get_view_schema(v, materialization_version, datastack_name) for v in self._mirror.layout.views}

    def get_unique_string_values(self, table: str, datastack_name: str | None = None) -> dict[str, list[str]]:
        """``{column: sorted distinct values}`` of every string column over the rows live now."""
        self._datastack(datastack_name)
        described = self._mirror.table(table)
        columns = [c.name for c in described.schema.columns
                   if pa.types.is_string(c.type) or pa.types.is_large_string(c.type)]
        if not columns:
            return {}
        frame = self.query_table(table, select_columns=columns, timestamp="now", merge_reference=False,
                                 metadata=False, return_format="arrow", split_positions=True)
        return {c: sorted(v for v in set(frame.column(c).to_pylist()) if v is not None) for c in columns}

    # -- shared helpers for the mixins ------------------------------------------------------------

    def _datastack(self, datastack_name: str | None) -> None:
        if datastack_name is not None and datastack_name != self.datastack_name:
            raise UnknownNameError("datastack", datastack_name, [self.datastack_name],
                                   "this client (open another MaterializationClient for another datastack)")

    def _moment(self, version: Any, timestamp: Any, datastack_name: str | None) -> Moment:
        """The moment for a version / timestamp argument pair (default: the client's version)."""
        self._datastack(datastack_name)
        if version is None and timestamp is None:
            version = self.version
        return self._mirror.versions.moment(version=version, timestamp=timestamp)

    def _desired(self, desired_resolution: Any) -> tuple[float, float, float] | None:
        return resolution(desired_resolution) if desired_resolution is not None else self.desired_resolution


def _created_by(created: Any, moment: Moment) -> bool:
    """A table without a readable ``created`` counts as always there."""
    if not created:
        return True
    try:
        return utc(created, "created") <= moment.ts
    except BadInputError:
        return True
