"""Byte progress bars for downloads: tqdm on stderr when it is a terminal, silent otherwise."""

from __future__ import annotations

import sys

from tqdm import tqdm


def byte_bar(name: str, total: int | None, progress: bool | None) -> tqdm:
    """A bytes bar (rate, ETA, scaled units); ``progress=None`` shows it only when stderr is a TTY."""
    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    return tqdm(
        total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024,
        file=sys.stderr, disable=not enabled, dynamic_ncols=True,
    )


def restart(bar: tqdm, done: int, total: int | None) -> None:
    """Show ``done`` of ``total`` bytes after a (re)connect without counting resumed bytes in the rate."""
    bar.reset(total=total)
    bar.n = bar.last_print_n = done
    bar.refresh()
