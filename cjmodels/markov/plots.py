"""Plots of stage chains: transition heatmap and funnel with intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_funnel", "plot_heatmap"]


def plot_heatmap(matrix: pd.DataFrame, ax: Any = None, *, annotate: bool = True,
                 cmap: str = "Blues") -> Any:
    """Heatmap of a transition matrix (rows: from, columns: to); returns the axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    m = matrix.to_numpy(dtype=float)
    im = ax.imshow(m, cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks(range(m.shape[1]), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(m.shape[0]), matrix.index)
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            if v >= 0.01:
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 else "black")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set(xlabel="to", ylabel="from", title="Transition probabilities")
    return ax


def plot_funnel(funnel: Any, ax: Any = None) -> Any:
    """Bars of P(reach stage or later) with intervals, the most-lost stage highlighted."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    t = funnel.table
    y = np.arange(len(t))
    p = t["p_reach"].to_numpy()
    err = np.vstack([p - t["p_reach_low"].to_numpy(), t["p_reach_high"].to_numpy() - p])
    colors = ["tab:red" if s == funnel.most_lost else "tab:blue" for s in t.index]
    ax.barh(y, p, xerr=err, color=colors, capsize=3)
    ax.set_yticks(y, t.index)
    ax.invert_yaxis()
    ax.set(xlabel="share of journeys reaching the stage (or later)",
           title=f"Funnel (most lost at {funnel.most_lost})")
    return ax
