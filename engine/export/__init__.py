"""Reproducible paper exports: log what an analysis read, complete it along foreign keys, bundle it, verify it.

Names load on first use, so the read paths' ``record_read`` hook costs one import of ``log.py``.

>>> import engine
>>> from engine.export import export_paper, open_bundle                      # doctest: +SKIP
>>> ds = engine.connect("synphys_r2.1_small.sqlite")                         # doctest: +SKIP
>>> with ds.export("paper1", "figure2"):                                     # doctest: +SKIP
...     pairs = SynphysDatabase(ds).pair_query(pre_class=sst, post_class=pv).df()
>>> export_paper("paper1", "paper1-bundle", catalog=ds_dir / ".engine-exports.sqlite")  # doctest: +SKIP
>>> open_bundle("paper1-bundle").synphys().pair_query(pre_class=sst, post_class=pv).df()  # same rows  # doctest: +SKIP

See docs/export.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Analysis": "log",
    "Bundle": "reader",
    "ExportCatalog": "catalog",
    "KeyStore": "restrictions",
    "active": "log",
    "export": "log",
    "export_paper": "bundle",
    "open_bundle": "reader",
    "open_catalog": "catalog",
    "record_read": "log",
    "resolve_catalog": "catalog",
    "start_export": "log",
    "stop_export": "log",
    "verify_bundle": "reader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine.export' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
