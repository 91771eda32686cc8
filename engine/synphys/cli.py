"""``engine synphys``: connectivity and metric matrices from the command line.

    engine synphys matrix SRC --classes mouse17 --out matrix.png --sigma 100e-6 --dist-measure lateral_distance
    engine synphys metric SRC --metric psp_amplitude --classes mouse17 --synapse --format csv
    engine synphys class-sets

SRC is a release file or its Parquet mirror directory. The table goes to stdout; ``--out`` also draws it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cli import add_command, existing_path
from ..commands.output import write_result
from .vocabulary import DIST_MEASURES


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``synphys`` command group to the top-level parser."""
    group = sub.add_parser("synphys", help="synaptic physiology: connectivity and metric matrices",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = group.add_subparsers(title="synphys commands", metavar="COMMAND")

    cmd = add_command(commands, "matrix", matrix, "connection probability for every class pair")
    _common(cmd)
    cmd.add_argument("--sigma", type=float, help="Gaussian sigma in meters for distance adjustment (e.g. 100e-6)")
    cmd.add_argument("--dist-measure", default="distance", choices=DIST_MEASURES)
    cmd.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level of the intervals")
    cmd.add_argument("--electrical", action="store_true", help="plot gap-junction instead of chemical probability")

    cmd = add_command(commands, "metric", metric, "a synapse / dynamics / gap-junction metric for every class pair")
    _common(cmd)
    cmd.add_argument("--metric", required=True, help="a registered metric (see docs/synphys.md) or alias.column")
    cmd.add_argument("--estimator", default="mean", help="mean, median, min, max or sum")

    add_command(commands, "class-sets", class_sets, "list the cell-class presets")


def _common(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("source", type=existing_path, help="release sqlite file or Parquet mirror directory")
    cmd.add_argument("--classes", default="mouse17", help="class-set preset (engine synphys class-sets)")
    cmd.add_argument("--species", help="only pairs from this species (mouse, human)")
    cmd.add_argument("--project", action="append", help="only these project names; repeatable")
    cmd.add_argument("--experiment-type", help="e.g. 'standard multipatch'")
    cmd.add_argument("--synapse", action="store_true", help="only chemically connected pairs")
    cmd.add_argument("--format", choices=("table", "csv", "json"), default="table", help="stdout table format")
    cmd.add_argument("--out", type=Path, help="also draw the matrix to this image (png, svg, pdf; needs engine[plot])")


def _query_args(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {"species": args.species, "project_name": args.project, "experiment_type": args.experiment_type,
              "synapse": True if args.synapse else None}
    return {k: v for k, v in chosen.items() if v is not None}


def _open(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    from . import SynphysDatabase, class_set

    return SynphysDatabase.open(args.source), class_set(args.classes)


def matrix(args: argparse.Namespace) -> int:
    db, classes = _open(args)
    with db:
        table = db.connectivity_matrix(classes, classes, _query_args(args), args.sigma, args.dist_measure, args.alpha)
    write_result(table, args.format, None)
    if args.out:
        from .plots import plot_connectivity_matrix, save

        ax = plot_connectivity_matrix(table, distance_adjusted=args.sigma is not None, electrical=args.electrical)
        print(f"wrote {save(ax, args.out)}", file=sys.stderr)
    return 0


def metric(args: argparse.Namespace) -> int:
    db, classes = _open(args)
    with db:
        table = db.metric_matrix(classes, classes, args.metric, args.estimator, _query_args(args))
    write_result(table, args.format, None)
    if args.out:
        from .plots import plot_metric_matrix, save

        print(f"wrote {save(plot_metric_matrix(table, args.metric), args.out)}", file=sys.stderr)
    return 0


def class_sets(args: argparse.Namespace) -> int:
    from .class_sets import CLASS_SETS

    for name, factory in CLASS_SETS.items():
        classes = factory()
        print(f"{name:<14} {len(classes):>3} classes  {(factory.__doc__ or '').splitlines()[0]}")
    return 0
