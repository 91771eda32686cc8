"""Subcommands of the ``engine`` CLI, one module per group."""

from __future__ import annotations

import argparse


def register_all(sub: argparse._SubParsersAction) -> None:
    """Add every subcommand to the top-level parser."""
    from ..explog import cli as explog_cli
    from ..export import cli as export_cli
    from ..server import cli as server_cli
    from ..synphys import cli as synphys_cli
    from . import data, demo

    data.register(sub)
    demo.register(sub)
    explog_cli.add_parser(sub)
    export_cli.register(sub)
    server_cli.register(sub)
    synphys_cli.register(sub)
