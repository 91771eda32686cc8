"""Which analysis is logging right now, and ``record_read``: the one call every read path makes.

The active analysis lives in a ``ContextVar``, not in the process environment (the reference's
``SPYGLASS_EXPORT_ID``): each thread and each asyncio task logs to its own analysis, so two
analyses in two threads never mix. ``record_read`` is a dictionary lookup when nothing is
active, so read paths call it unconditionally. Threads you start inside an analysis begin with
an empty context: run them with ``contextvars.copy_context().run`` to log into it.

>>> with export("paper1", "fig2", catalog=path):   # doctest: +SKIP
...     ds.query("pair", filter_equal_dict={"has_synapse": True}).arrow()
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import BadInputError
from .sources import SourceRef, source_of

if TYPE_CHECKING:  # engine.filters loads polars: imported when something is logged, not with the dataset
    from ..dataset import Dataset
    from ..filters.ir import Node
    from .catalog import ExportCatalog

CatalogArg = "str | os.PathLike[str] | ExportCatalog | None"


@dataclass(frozen=True)
class Analysis:
    """A logging session: paper, analysis, its export id and the catalog it writes to."""

    paper_id: str
    analysis_id: str
    export_id: int
    catalog: ExportCatalog
    resumed: bool = False


_ACTIVE: ContextVar[Analysis | None] = ContextVar("engine_export_analysis", default=None)


def active() -> Analysis | None:
    """The analysis logging in this thread / task, if any."""
    return _ACTIVE.get()


def begin(paper_id: str, analysis_id: str, catalog: CatalogArg = None, beside: str | None = None) -> Analysis:
    """Register (or resume) the analysis in the catalog without activating it."""
    from .catalog import resolve_catalog

    cat = resolve_catalog(catalog, beside)
    export_id, resumed = cat.begin(paper_id, analysis_id)
    return Analysis(paper_id, analysis_id, export_id, cat, resumed)


def start_export(paper_id: str, analysis_id: str, *, catalog: CatalogArg = None) -> Analysis:
    """Start (or resume) logging ``analysis_id`` of ``paper_id`` in this thread; replaces an active analysis."""
    analysis = begin(paper_id, analysis_id, catalog)
    _ACTIVE.set(analysis)
    return analysis


def stop_export() -> None:
    """Stop logging in this thread (a no-op when nothing is active)."""
    _ACTIVE.set(None)


@contextlib.contextmanager
def export(paper_id: str, analysis_id: str, *, catalog: CatalogArg = None,
           dataset: Dataset | None = None) -> Iterator[Analysis]:
    """Log the reads inside the block; the previously active analysis (if any) is restored after it.

    Without ``catalog`` (or ``$ENGINE_EXPORT_CATALOG``) the catalog is ``.engine-exports.sqlite``
    next to ``dataset``.
    """
    beside = dataset.location if dataset is not None and source_of(dataset) is not None else None
    token = _ACTIVE.set(begin(paper_id, analysis_id, catalog, beside))
    try:
        yield _ACTIVE.get()  # type: ignore[misc]
    finally:
        _ACTIVE.reset(token)


def record_read(dataset: Dataset, table: str, restriction: Node | None = None, *, files: Sequence[str] = ()) -> None:
    """Log that the active analysis read the rows of ``table`` matching ``restriction`` (None: every row).

    ``restriction`` is the whole AND-combined filter of one call, so it is logged as one
    restriction (never one per filter, which would export a superset). Rows of tables with
    external-file columns (``external.py``) add those files; ``files`` adds others.
    """
    analysis = _ACTIVE.get()
    if analysis is None:
        return
    source = source_of(dataset)
    if source is None:
        return  # in-memory frames: nothing to export them from
    from ..filters.ir import TRUE

    record(analysis, source, table, restriction if restriction is not None else TRUE, dataset, files)


def record(analysis: Analysis, source: SourceRef, table: str, restriction: Node, dataset: Dataset,
           files: Sequence[str] = ()) -> None:
    """Write one restriction (and the external files of its rows) to the analysis's catalog."""
    from ..filters import Scope, prepare
    from ..filters.ir import Node

    if not isinstance(restriction, Node):
        raise BadInputError(f"a logged restriction is filter IR, not {type(restriction).__name__}")
    if table in dataset.tables:  # store the compiled form: columns checked, values converted for their types
        restriction = prepare(restriction, Scope.of(dataset.schema(table)))
    analysis.catalog.add_restriction(analysis.export_id, source, table, restriction)
    from .external import referenced_files

    paths = [*files, *referenced_files(dataset, table, restriction)]
    if paths:
        analysis.catalog.add_files(analysis.export_id, source, paths)
