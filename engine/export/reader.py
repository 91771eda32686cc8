"""Open a bundle after checking it: every file listed in its manifest must exist and match its sha256.

``engine.connect(bundle)`` does the same check for the dataset it opens; ``open_bundle`` checks
the whole bundle once and hands out its dataset, its synphys database and its connectome
clients, which read the bundle exactly like the sources the analyses read.

>>> bundle = open_bundle("/data/exports/paper1")      # doctest: +SKIP
>>> bundle.synphys().pair_query(synapse=True).df()     # doctest: +SKIP
>>> bundle.client("minnie65_public").synapse_query(pre_ids=root)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import IntegrityError, UnknownNameError
from ..mirror.manifest import MANIFEST, read_manifest, verify_files

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..materialize import MaterializationClient
    from ..synphys import SynphysDatabase

FORMAT = "engine-export"


def read_bundle_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The top manifest of the bundle at ``path``; ``IntegrityError`` if absent or not an export."""
    file = Path(path) / MANIFEST
    try:
        manifest = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raise IntegrityError(f"{path} is not an export bundle: {MANIFEST} is missing") from None
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{file} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "files" not in manifest:
        raise IntegrityError(f"{file} is not an export manifest (format {manifest.get('format')!r})")
    return manifest


def verify_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check every file of the bundle against the manifest's sha256; returns the manifest."""
    root = Path(path)
    manifest = read_bundle_manifest(root)
    verify_files(root, read_manifest(root))
    return manifest


class Bundle:
    """A verified bundle: its manifest and openers for each source it holds."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest = verify_bundle(self.path)

    def __repr__(self) -> str:
        export = self.manifest["export"]
        return f"<Bundle {export['paper_id']} (export {export['export_id']}) at {self.path}>"

    @property
    def sources(self) -> list[dict[str, Any]]:
        return list(self.manifest["sources"])

    def _source(self, kind: str, name: str | None) -> dict[str, Any]:
        found = [s for s in self.sources if (s["kind"] == "cave") == (kind == "cave")]
        chosen = next((s for s in found if name in (None, s["name"])), None)
        if chosen is None:
            raise UnknownNameError(f"{kind} source", name, [s["name"] for s in found], f"bundle {self.path}")
        return chosen

    def dataset(self, name: str | None = None) -> Dataset:
        """The dataset source called ``name`` (default: the first) as a ``Dataset``."""
        from ..dataset import connect

        return connect(self.path / self._source("dataset", name)["dir"])

    def synphys(self, name: str | None = None) -> SynphysDatabase:
        """A dataset source that is a synaptic-physiology release, as ``SynphysDatabase``."""
        from ..synphys import SynphysDatabase

        return SynphysDatabase(self.dataset(name))

    def client(self, datastack: str | None = None, **kwargs: Any) -> MaterializationClient:
        """A ``MaterializationClient`` over the bundle's copy of ``datastack`` (default: the first)."""
        from ..materialize import MaterializationClient

        source = self._source("cave", datastack)
        return MaterializationClient(self.path / source["dir"], source["name"], **kwargs)

    @property
    def external_files(self) -> list[dict[str, Any]]:
        return list(self.manifest["external_files"])


def open_bundle(path: str | os.PathLike[str]) -> Bundle:
    """Verify the bundle at ``path`` and return it."""
    return Bundle(path)
