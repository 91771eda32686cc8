"""Mirror a datastack from any CAVE-compatible materialization service into the local layout.

Pages by id range below the service's row cap, fetches concurrently, retries failed pages,
resumes an interrupted run and checks every count. See docs/cave-mirror.md.
"""

from __future__ import annotations

from .run import mirror_cave, mirror_cave_async

__all__ = ["mirror_cave", "mirror_cave_async"]
