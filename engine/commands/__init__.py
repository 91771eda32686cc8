"""Subcommands of the ``engine`` CLI, one module per group."""

from __future__ import annotations

import argparse


def register_all(sub: argparse._SubParsersAction) -> None:
    """Add every subcommand to the top-level parser."""
    from . import data, demo

    data.register(sub)
    demo.register(sub)
