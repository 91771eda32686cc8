"""Timing and reporting shared by every benchmark scenario.

A scenario is a function ``run(ctx) -> list[Measurement]``. Each measurement names the case,
the contender (``engine`` or a baseline) and the best-of-N wall time; ``report`` prints one
table per case with each contender's ratio against the engine's time.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """One timed contender in one case (``seconds`` is the best of ``repeats`` runs)."""

    scenario: str
    case: str
    contender: str
    seconds: float
    repeats: int
    median: float
    rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def measure(
    scenario: str,
    case: str,
    contender: str,
    fn: Callable[[], Any],
    *,
    repeats: int = 3,
    rows: Callable[[Any], int] | None = None,
    **extra: Any,
) -> Measurement:
    """Run ``fn`` ``repeats`` times and keep the best and median wall time."""
    times = []
    result = None
    for _ in range(repeats):
        result = None  # the previous run's rows, alive, would slow this run's GC passes
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    count = rows(result) if rows is not None else None
    m = Measurement(scenario, case, contender, min(times), repeats, statistics.median(times), count, extra)
    print(f"  {case:<42} {contender:<28} {m.seconds:9.4f} s", file=sys.stderr, flush=True)
    return m


def report(measurements: list[Measurement], *, engine_name: str = "engine") -> str:
    """A Markdown table: per case, each contender's time and its ratio to the engine's time."""
    lines = ["| scenario | case | contender | seconds | x slower than engine |", "|---|---|---|---:|---:|"]
    by_case: dict[tuple[str, str], list[Measurement]] = {}
    for m in measurements:
        by_case.setdefault((m.scenario, m.case), []).append(m)
    for (scenario, case), group in by_case.items():
        base = next((m.seconds for m in group if m.contender == engine_name), None)
        for m in group:
            ratio = f"{m.seconds / base:.1f}" if base else "-"
            lines.append(f"| {scenario} | {case} | {m.contender} | {m.seconds:.4f} | {ratio} |")
    return "\n".join(lines)


def write_json(measurements: list[Measurement], path: Path, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": [asdict(m) for m in measurements]}, indent=1))
