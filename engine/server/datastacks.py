"""The datastacks under the mirror root: names are matched against the directory listing, never joined blindly.

A request's datastack name is looked up in a listing of ``ROOT`` (re-scanned on a miss, so a
mirror added while the server runs is found); the path used is the listing's, so ``..``, ``/``
and symlinks out of ``ROOT`` cannot be reached. Each datastack's local client and lineage index
are opened once and shared by every request (both are thread-safe: one DuckDB cursor per thread).
"""

from __future__ import annotations

import json
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import UnknownNameError

from .lineage import Lineage

if TYPE_CHECKING:
    from engine.materialize import MaterializationClient

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class Datastack:
    """One mirrored datastack: its directory, info record, local client and lineage index."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.name = name
        self.path = root / name
        self._client: MaterializationClient | None = None
        self._lock = threading.Lock()

    @cached_property
    def info(self) -> dict[str, Any]:
        """``datastack.json`` as written by the mirror."""
        return json.loads((self.path / "datastack.json").read_text(encoding="utf-8"))

    @property
    def client(self) -> MaterializationClient:
        """The local materialization client every query route calls (opened once, on first use)."""
        with self._lock:
            if self._client is None:
                from engine.materialize import MaterializationClient

                self._client = MaterializationClient(self.root, self.name)
            return self._client

    @cached_property
    def lineage(self) -> Lineage:
        """Root-id history for the chunked-graph routes (cheap to build: it only holds the path)."""
        return Lineage(self.path / "segmentation" / "roots.parquet")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if "lineage" in self.__dict__:
            self.lineage.close()


class Datastacks:
    """Every datastack under ``root`` (a directory holding ``datastack.json``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self._open: dict[str, Datastack] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Datastack names currently on disk, sorted."""
        found = []
        for entry in sorted(self.root.iterdir()):
            if NAME.fullmatch(entry.name) and (entry / "datastack.json").is_file() and _inside(entry, self.root):
                found.append(entry.name)
        return found

    def get(self, name: str) -> Datastack:
        """The datastack called ``name``; unknown names are an ``UnknownNameError`` listing the valid ones."""
        with self._lock:
            if name in self._open:
                return self._open[name]
            names = self.names()
            if name not in names:
                raise UnknownNameError("datastack", name, names, "this server")
            self._open[name] = opened = Datastack(self.root, name)
            return opened

    def close(self) -> None:
        """Close every opened datastack's DuckDB connection."""
        with self._lock:
            for stack in self._open.values():
                stack.close()
            self._open.clear()


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (after resolving symlinks) stays under ``root``."""
    return path.resolve().is_relative_to(root)
