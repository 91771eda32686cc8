"""``python -m benchmarks [scenario ...]``: run scenarios, print ratio tables, write JSON.

Scenarios are the ``benchmarks/bench_<name>.py`` modules; each defines ``run(ctx)``.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
from pathlib import Path

import duckdb

from .context import Context
from .harness import report, write_json

HERE = Path(__file__).parent


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help=f"default: all of {', '.join(available())}")
    parser.add_argument("--size", default="full", help="dataset size preset (tiny, small, medium, full)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/bench"), help="where generated datasets are cached")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/latest.json"))
    args = parser.parse_args(argv)
    names = args.scenarios or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; valid: {', '.join(available())}")
    ctx = Context(size=args.size, data_dir=args.data_dir, repeats=args.repeats)
    results = []
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        results += importlib.import_module(f"benchmarks.bench_{name}").run(ctx)
    print(report(results))
    meta = {"command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
            "when": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
            "duckdb": duckdb.__version__, "machine": platform.machine()}
    write_json(results, args.out, meta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
