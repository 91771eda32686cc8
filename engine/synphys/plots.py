"""Matrix heatmaps (optional extra ``engine[plot]``): connectivity with "k/n" labels and CI shading, and metrics.

Both take the tidy tables of ``connectivity_matrix`` / ``metric_matrix`` (rows = pre classes, columns =
post classes, in table order). As in the reference, a cell's opacity falls as its uncertainty grows:
``1 - 1.5 * max CI half-width`` for probabilities, ``1 - alpha * scaled sem`` for metrics.
matplotlib is imported on first use, without pyplot, so no global figure state is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..errors import EngineError
from .groups import as_polars
from .metrics import Metric, metric

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BACKGROUND = (0.75, 0.75, 0.75)


class PlotDependencyError(EngineError, ImportError):
    """matplotlib is not installed; it comes with the ``engine[plot]`` extra."""


def plot_connectivity_matrix(
    table: Any,
    ax: Axes | None = None,
    *,
    distance_adjusted: bool = False,
    electrical: bool = False,
    cmap: str = "plasma",
    vmax: float | None = None,
) -> Axes:
    """Heatmap of connection (or gap-junction) probability per class pair, labelled ``connected/probed``."""
    frame = as_polars(table)
    value = ("adjusted_" if distance_adjusted else "") + ("gap_" if electrical else "") + "cp"
    lower, upper = f"{value}_lower", f"{value}_upper"
    found, probed = ("n_gaps", "n_gaps_probed") if electrical else ("n_connected", "n_probed")
    needed = [value, lower, upper, found, probed]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise EngineError(f"the table has no {', '.join(missing)} (distance_adjusted needs sigma=...)")
    rows, cols, grid = _grids(frame, needed)
    cp = np.minimum(grid[value], 1.0)
    half_width = np.maximum(np.minimum(grid[upper], 1.0) - cp, cp - np.maximum(grid[lower], 0.0))
    opacity = np.where(np.isfinite(cp), np.clip(1.0 - 1.5 * half_width, 0.0, 1.0), 0.0)
    texts = np.where(grid[probed] > 0, _counts(grid[found], grid[probed]), "")
    top = vmax if vmax is not None else (float(np.nanmax(cp)) if np.isfinite(cp).any() else 1.0)
    mpl = _matplotlib()
    norm = mpl.colors.Normalize(vmin=0.0, vmax=max(top, 1e-9), clip=True)
    label = f"{'gap junction' if electrical else 'connection'} probability"
    label += " (distance adjusted)" if distance_adjusted else ""
    return _draw(ax, cp, opacity, texts, rows, cols, cmap, norm, label)


def plot_metric_matrix(
    table: Any, name: str | Metric, ax: Axes | None = None, *, clim: tuple[float, float] | None = None
) -> Axes:
    """Heatmap of a ``metric_matrix`` table in the metric's display units, colormap and limits."""
    spec = name if isinstance(name, Metric) else metric(name)
    frame = as_polars(table)
    rows, cols, grid = _grids(frame, ["value", "std", "n"])
    scaled = grid["value"] * spec.scale
    with np.errstate(invalid="ignore", divide="ignore"):
        sem = grid["std"] * spec.scale / np.sqrt(grid["n"])
    opacity = np.where(np.isfinite(scaled), np.clip(1.0 - spec.alpha * np.nan_to_num(sem), 0.0, 1.0), 0.0)
    texts = np.array([[spec.fmt % v if np.isfinite(v) else "" for v in row] for row in scaled], dtype=object)
    lo, hi = clim or spec.clim
    mpl = _matplotlib()
    norm = (mpl.colors.LogNorm if spec.log else mpl.colors.Normalize)(vmin=lo, vmax=hi, clip=True)
    label = spec.label + (f" ({spec.unit})" if spec.unit else "")
    return _draw(ax, scaled, opacity, texts, rows, cols, spec.cmap, norm, label)


def save(ax: Axes, path: str | Path) -> Path:
    """Write the axes' figure to ``path`` (format from the suffix: png, svg, pdf ...)."""
    path = Path(path)
    ax.figure.savefig(path, dpi=150, bbox_inches="tight")
    return path


def _grids(frame: pl.DataFrame, columns: list[str]) -> tuple[list[str], list[str], dict[str, np.ndarray]]:
    """Row (pre) and column (post) labels in table order and one 2-D array per column (NaN where absent)."""
    rows = frame["pre_class"].unique(maintain_order=True).to_list()
    cols = frame["post_class"].unique(maintain_order=True).to_list()
    r = frame["pre_class"].replace_strict(rows, range(len(rows))).to_numpy()
    c = frame["post_class"].replace_strict(cols, range(len(cols))).to_numpy()
    grids = {}
    for name in columns:
        grid = np.full((len(rows), len(cols)), np.nan)
        grid[r, c] = frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        grids[name] = grid
    return rows, cols, grids


def _counts(found: np.ndarray, probed: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(np.nan_to_num(found).astype(int).astype(str), "/"),
                       np.nan_to_num(probed).astype(int).astype(str))


def _draw(ax: Axes | None, values: np.ndarray, opacity: np.ndarray, texts: np.ndarray, rows: list[str],
          cols: list[str], cmap: str, norm: Any, label: str) -> Axes:
    mpl = _matplotlib()
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(1.2 + 0.55 * len(cols), 1.0 + 0.5 * len(rows))).add_subplot()
    mapper = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    rgba = mapper.to_rgba(np.nan_to_num(values, nan=norm.vmin))
    rgba[..., 3] = opacity
    ax.imshow(np.broadcast_to(np.array(BACKGROUND), values.shape + (3,)))
    ax.imshow(rgba)
    ax.figure.colorbar(mapper, ax=ax, shrink=0.6).set_label(label)
    ax.set_xticks(range(len(cols)), cols, rotation=-45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), rows)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False)
    ax.set_xlabel("postsynaptic")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("presynaptic")
    shown = rgba[..., :3] * opacity[..., None] + np.array(BACKGROUND) * (1 - opacity[..., None])
    dark = shown.mean(axis=-1) < 0.5
    for (i, j), text in np.ndenumerate(texts):
        if text:
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark[i, j] else "black")
    return ax


def _matplotlib() -> Any:
    try:
        import matplotlib
        import matplotlib.cm  # noqa: F401
        import matplotlib.colors  # noqa: F401
    except ImportError:
        raise PlotDependencyError("plotting needs matplotlib: pip install 'engine[plot]'") from None
    return matplotlib
