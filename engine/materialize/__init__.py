"""Connectome annotation tables with caveclient's ``MaterializationClient`` API, answered from a local Parquet mirror.

Versions and any timestamp are computed from the mirror's interval tables (annotation
``created`` / ``deleted``, root ownership ``valid_from`` / ``valid_to``); see docs/materialize.md.

>>> from engine.materialize import MaterializationClient
>>> client = MaterializationClient("/data/cave", "minnie65_public")  # doctest: +SKIP
>>> client.query_table("synapses", filter_equal_dict={"pre_pt_root_id": 864691135000000001})  # doctest: +SKIP
"""

from __future__ import annotations

from .client import MaterializationClient

__all__ = ["MaterializationClient"]
