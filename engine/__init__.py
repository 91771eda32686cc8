"""engine: a DuckDB/Arrow analytical engine for versioned neuroscience datasets.

Heavy parts (the HTTP server, the domain packages) load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .dataset import Dataset, connect
from .errors import (
    BadFilterError,
    BadInputError,
    EngineError,
    IntegrityError,
    QueryError,
    SchemaVersionError,
    UnknownColumnError,
    UnknownNameError,
    UnknownTableError,
    UnknownVersionError,
)
from .result import Result
from .schema import Column, ForeignKey, TableSchema

_LAZY = {
    "SynphysDatabase": "engine.synphys",
    "CellClass": "engine.synphys",
    "MaterializationClient": "engine.materialize",
    "ExperimentLog": "engine.explog",
}


def __getattr__(name: str) -> object:
    """Domain classes load on first use, so ``import engine`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


__all__ = [
    "__version__",
    "BadFilterError",
    "BadInputError",
    "CellClass",
    "Column",
    "Dataset",
    "EngineError",
    "ExperimentLog",
    "ForeignKey",
    "IntegrityError",
    "MaterializationClient",
    "QueryError",
    "Result",
    "SchemaVersionError",
    "SynphysDatabase",
    "TableSchema",
    "UnknownColumnError",
    "UnknownNameError",
    "UnknownTableError",
    "UnknownVersionError",
    "connect",
]
