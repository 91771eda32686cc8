"""``SynphysDatabase``: a schema-22 release (attached sqlite or its Parquet mirror) with the reference's API.

>>> db = SynphysDatabase.load_current("small")                        # doctest: +SKIP
>>> db.pair_query(project_name=db.mouse_projects, synapse=True).df()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from .. import catalog as release_catalog
from ..catalog.schema_check import REQUIRED, SUPPORTED_SCHEMA_VERSIONS
from ..dataset import Dataset, connect
from ..errors import BadInputError, IntegrityError, SchemaVersionError, UnknownTableError
from ..export.synphys_reads import record_pairs
from ..filters import Node, Scope
from ..mirror.manifest import read_manifest
from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident
from . import classify, connectivity, joins, matrix, metrics
from .cell_class import CellClass
from .pair_query import output_columns, pair_statement, select_pairs
from .tables import TableQuery, table_name
from .vocabulary import HUMAN_PROJECTS, MOUSE_PROJECTS

if TYPE_CHECKING:
    from ..catalog import Release

PathLike = str | os.PathLike[str]
Mirror = bool | PathLike


class SynphysDatabase:
    """Pair queries, cell classes and connectivity over one release; open with a ``load_*`` classmethod.

    Tables are reachable as ``db.table("experiment")`` or ``db.Experiment`` (CamelCase or snake_case).
    """

    mouse_projects: list[str] = list(MOUSE_PROJECTS)
    human_projects: list[str] = list(HUMAN_PROJECTS)

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._schema_version = _check_dataset(dataset)

    def __repr__(self) -> str:
        return f"<SynphysDatabase {self.version_name} ({self._dataset.kind})>"

    def __enter__(self) -> SynphysDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def list_versions(cls, only_supported: bool = False, catalog: PathLike | None = None) -> list[Release]:
        """Every release in the catalog, oldest first (``only_supported``: readable schema versions only)."""
        return release_catalog.list_versions(only_supported, catalog)

    @classmethod
    def list_current_versions(cls, catalog: PathLike | None = None) -> dict[str, Release | None]:
        """``{size: newest supported release, or None}`` for small, medium and full."""
        return release_catalog.list_current_versions(catalog)

    @classmethod
    def load_version(cls, name: str, *, mirror: Mirror = False, catalog: PathLike | None = None,
                     cache_dir: PathLike | None = None, progress: bool | None = None) -> SynphysDatabase:
        """Open release ``name`` (file name, alias or size), fetching it into the cache on first use."""
        return cls.load_sqlite(release_catalog.get_db_path(name, catalog, cache_dir, progress), mirror=mirror)

    @classmethod
    def load_current(cls, size: str = "small", *, mirror: Mirror = False, catalog: PathLike | None = None,
                     cache_dir: PathLike | None = None, progress: bool | None = None) -> SynphysDatabase:
        """Open the newest supported release of ``size`` (small, medium or full)."""
        if size not in release_catalog.SIZES:
            raise BadInputError(f"size must be one of {', '.join(release_catalog.SIZES)}, not {size!r}")
        return cls.load_version(size, mirror=mirror, catalog=catalog, cache_dir=cache_dir, progress=progress)

    @classmethod
    def load_sqlite(cls, path: PathLike, readonly: bool = True, *, mirror: Mirror = False) -> SynphysDatabase:
        """Open a local release file (checked first); ``mirror`` queries a Parquet mirror of it instead.

        ``mirror=True`` keeps the mirror next to the file (``<name>.parquet/``), a path puts it there;
        it is written on first use and reused while the file's name and size are unchanged.
        """
        if mirror is False:
            return cls(release_catalog.load_sqlite(path, readonly))
        release_catalog.check_release(path)
        dest = Path(path).with_suffix(".parquet") if mirror is True else Path(mirror)
        if not _mirror_matches(dest, Path(path)):
            with release_catalog.load_sqlite(path, readonly) as dataset:
                dataset.mirror(dest, progress=False)
        return cls(connect(dest))

    @classmethod
    def open(cls, path: PathLike) -> SynphysDatabase:
        """Open a release file or a Parquet mirror directory (both checked for schema 22)."""
        path = Path(path)
        return cls.load_sqlite(path) if path.is_file() else cls(connect(path))

    # -- identity --------------------------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        """The underlying ``Dataset`` (for ``query``, ``query_batch`` and raw cursors)."""
        return self._dataset

    @property
    def version_name(self) -> str:
        """The release file name, as ``load_version`` accepts it (a mirror reports its source file)."""
        if self._dataset.kind == "sqlite":
            return Path(self._dataset.location).name
        return str(self._dataset.info.get("file") or Path(self._dataset.location).name)

    @property
    def schema_version(self) -> str:
        return self._schema_version

    @property
    def tables(self) -> list[str]:
        return self._dataset.tables

    def list_project_names(self) -> list[str]:
        """Distinct ``experiment.project_name`` values (cached per database)."""
        return list(self._project_names)

    @functools.cached_property
    def _project_names(self) -> tuple[str, ...]:
        rows = self.sql("SELECT DISTINCT project_name FROM experiment WHERE project_name IS NOT NULL ORDER BY 1")
        return tuple(rows.arrow()["project_name"].to_pylist())

    # -- general queries -------------------------------------------------------------------------

    def sql(self, query: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> Result:
        """A lazy result for your own SQL (values in ``params``, never in the text)."""
        return self._dataset.sql(query, params)

    def table(self, name: str) -> TableQuery:
        """One table as a query you can ``join``, ``filter`` and ``select`` on."""
        return TableQuery(self._dataset, self._dataset.schema(name).name)

    def __getattr__(self, name: str) -> TableQuery:
        if name.startswith("_"):
            raise AttributeError(name)
        table = table_name(name)
        if table not in self._dataset.tables:
            raise UnknownTableError(name, self._dataset.tables, f"release {self.version_name}")
        return self.table(table)

    # -- pairs -----------------------------------------------------------------------------------

    def pair_query(
        self,
        pre_class: CellClass | None = None,
        post_class: CellClass | None = None,
        synapse: bool | None = None,
        synapse_type: str | None = None,
        synapse_probed: bool | None = None,
        electrical: bool | None = None,
        experiment_type: str | None = None,
        project_name: str | Sequence[str] | None = None,
        acsf: str | Sequence[str] | None = None,
        age: tuple[float | None, float | None] | None = None,
        species: str | Sequence[str] | None = None,
        distance: tuple[float | None, float | None] | None = None,
        internal: str | Sequence[str] | None = None,
        preload: Iterable[str] = (),
        filter_exprs: Node | Iterable[Node] | Mapping[str, Any] | None = None,
        columns: Iterable[str] = (),
    ) -> Result:
        """Pairs matching every argument, one row per pair, ordered by ``pair.id`` (see docs/synphys.md).

        ``preload`` adds the columns of ``experiment``, ``cell``, ``synapse`` and ``synapse_prediction``
        groups; ``columns`` adds single ``"alias.column"`` columns; ``filter_exprs`` takes compiler IR
        (a node or a list) or filter dicts over the aliases (``{"filter_in_dict": {"pre_cell": {...}}}``).
        """
        args = {k: v for k, v in locals().items() if k not in ("self", "preload", "columns")}
        selection = select_pairs(self, **args)
        names = ParamNames()
        out = output_columns(self, preload, columns)
        result = self._dataset.result(Compiled(pair_statement(self, selection, out, names), names.params))
        record_pairs(self, selection, out)
        return result

    def matrix_pair_query(
        self,
        pre_classes: Mapping[Any, CellClass],
        post_classes: Mapping[Any, CellClass],
        columns: Iterable[str] | None = None,
        pair_query_args: Mapping[str, Any] | None = None,
    ) -> Result:
        """``pair_query`` rows for every (pre, post) class combination, labelled ``pre_class`` / ``post_class``."""
        return matrix.matrix_pair_query(self, pre_classes, post_classes, columns, pair_query_args)

    def classify_cells(
        self, cell_classes: Iterable[CellClass] | Mapping[Any, CellClass], cells: Any = None, pairs: Any = None
    ) -> dict[CellClass, frozenset[int]]:
        """``{class: cell ids}`` for the given cells, the cells of ``pairs``, or every cell (one SQL pass)."""
        return classify.classify_cells(self, cell_classes, cells, pairs)

    def measure_connectivity(
        self, pair_groups: Any, alpha: float = 0.05, sigma: float | None = None, dist_measure: str = "distance"
    ) -> pa.Table:
        """Connectivity per group of ``classify_pairs`` output or of a ``matrix_pair_query`` frame."""
        return connectivity.measure_connectivity(self, pair_groups, alpha, sigma, dist_measure)

    def connectivity_matrix(
        self,
        pre_classes: Mapping[Any, CellClass],
        post_classes: Mapping[Any, CellClass] | None = None,
        pair_query_args: Mapping[str, Any] | None = None,
        sigma: float | None = None,
        dist_measure: str = "distance",
        alpha: float = 0.05,
    ) -> pa.Table:
        """Connection and gap-junction probability with CIs for every class pair, from one SQL statement."""
        return connectivity.connectivity_matrix(
            self, pre_classes, post_classes, pair_query_args, sigma, dist_measure, alpha
        )

    def metric_matrix(
        self,
        pre_classes: Mapping[Any, CellClass],
        post_classes: Mapping[Any, CellClass] | None,
        metric: str,
        estimator: str | Callable[[np.ndarray], float] = "mean",
        pair_query_args: Mapping[str, Any] | None = None,
    ) -> pa.Table:
        """n, estimate and spread of a registered metric (``metrics.METRICS``) for every class pair."""
        return metrics.metric_matrix(self, pre_classes, post_classes, metric, estimator, pair_query_args)

    @functools.cached_property
    def pair_scope(self) -> Scope:
        """Every pair-query alias -> its schema (what ``filter_exprs`` and ``columns`` may name)."""
        return joins.pair_scope(self._dataset)

    @functools.cached_property
    def repeating_aliases(self) -> frozenset[str]:
        """Pair-query aliases whose join key repeats in this file (their joins would duplicate pairs)."""
        keys = {a: tk for a, tk in joins.fan_out_keys().items() if tk[0] in self._dataset.tables}
        if not keys:
            return frozenset()
        probes = ", ".join(
            f"(SELECT count({quote_ident(k)}) > count(DISTINCT {quote_ident(k)}) FROM {quote_ident(t)}) "
            f"AS {quote_ident(a)}"
            for a, (t, k) in keys.items()
        )
        row = self.sql(f"SELECT {probes}").arrow().to_pylist()[0]
        return frozenset(a for a, repeats in row.items() if repeats)

    @property
    def repeating_tables(self) -> frozenset[str]:
        """Tables whose join key repeats in this file (e.g. ``intrinsic`` when a cell has two rows)."""
        return frozenset(joins.table_of(a) for a in self.repeating_aliases)

    def close(self) -> None:
        self._dataset.close()


def _check_dataset(dataset: Dataset) -> str:
    """The schema version from the single ``metadata`` row; ``SchemaVersionError`` naming every problem."""
    where = f"{dataset.kind} dataset {dataset.location}"
    missing = [t for t in REQUIRED if t not in dataset.tables]
    missing += [f"{t}.{c}" for t, cols in REQUIRED.items() if t in dataset.tables
                for c in cols if not dataset.schema(t).has(c)]
    if missing:
        raise SchemaVersionError(f"{where} is not a synaptic-physiology release: missing {', '.join(missing)}")
    rows = dataset.sql("SELECT meta FROM metadata LIMIT 2").arrow()["meta"].to_pylist()
    try:
        version = json.loads(rows[0]).get("db_version") if len(rows) == 1 else None
    except (TypeError, ValueError, AttributeError):
        version = None
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise SchemaVersionError(
            f"{where}: schema version {version!r} (from metadata.meta.db_version; {len(rows)} metadata rows) "
            f"is not supported (supported: {', '.join(SUPPORTED_SCHEMA_VERSIONS)})"
        )
    return version


def _mirror_matches(dest: Path, source: Path) -> bool:
    """Whether ``dest`` holds a finished mirror of a file with ``source``'s name and size."""
    if not dest.is_dir():
        return False
    try:
        origin = read_manifest(dest).source
    except IntegrityError:
        return False
    return origin.get("file") == source.name and origin.get("bytes") == source.stat().st_size
