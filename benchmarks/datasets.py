"""Generated benchmark datasets, built once per size and cached under the context's data dir."""

from __future__ import annotations

from pathlib import Path

from .context import Context


def synphys_release(ctx: Context) -> Path:
    """The synthetic synaptic-physiology release of ``ctx.size`` (generated on first use)."""
    from engine.synth import synphys

    path = ctx.path(f"synphys_{ctx.size}.sqlite")
    if not path.exists():
        synphys.write(path, size=ctx.size)
    return path


def synphys_mirror(ctx: Context) -> Path:
    """A Parquet mirror of ``synphys_release`` (a no-op when already current)."""
    import engine

    return engine.connect(synphys_release(ctx)).mirror(ctx.path(f"synphys_{ctx.size}_mirror"), progress=False)
