"""Plots of stage chains: transition heatmap, funnel with intervals and state diagram.

Everything is drawn with matplotlib alone (no graphviz).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import interval_bars

__all__: list[str] = []  # drawn through the results' plot() (MarkovChain, FittedChain, ...)


def _plot_heatmap(data: pd.DataFrame, ax: Any = None, *, annotate: bool = True,
                 cmap: str = "Blues") -> Any:
    """Heatmap of a transition matrix (rows: from, columns: to); returns the axis.

    ``data`` is the matrix as a DataFrame with the states as index and columns (for example
    ``MarkovChain.frame`` or ``FittedChain.summary().drop(columns="row_total")``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> m = pd.DataFrame([[0.2, 0.8], [0.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> ax = _plot_heatmap(m)
    >>> [t.get_text() for t in ax.texts]
    ['0.20', '0.80', '1.00']
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    m = data.to_numpy(dtype=float)
    im = ax.imshow(m, cmap=cmap, vmin=0, vmax=1)
    ax.set_xticks(range(m.shape[1]), data.columns, rotation=45, ha="right")
    ax.set_yticks(range(m.shape[0]), data.index)
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            if v >= 0.01:
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 else "black")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    ax.set(xlabel="to", ylabel="from", title="Transition probabilities")
    return ax


def _plot_funnel(funnel: Any, ax: Any) -> Any:
    """Bars of P(reach stage or later) with intervals, the most-lost stage highlighted
    (:meth:`Funnel.plot <cjmodels.markov.Funnel.plot>`)."""
    t = funnel.table
    y = np.arange(len(t))
    p = t["p_reach"].to_numpy()
    colors = ["tab:red" if s == funnel.most_lost else "tab:blue" for s in t.index]
    interval_bars(ax, y, p, t["p_reach_low"], t["p_reach_high"], color=colors)
    ax.set_yticks(y, t.index)
    ax.invert_yaxis()
    ax.set(xlabel="share of journeys reaching the stage (or later)",
           title=f"Funnel (most lost at {funnel.most_lost})")
    return ax


_GAP = 2.0  # distance between neighbouring states on the row
_R = 0.38  # node radius
_UPPER = 3.4  # height of the row of returning states


def _diagram_layout(states: list[str], matrix: np.ndarray, order: list[str] | None,
                    start: str | None) -> dict[str, tuple[float, float]]:
    """Stages on one row in stage order, the start state on the left, end states below."""
    absorbing = [s for i, s in enumerate(states) if matrix[i, i] >= 1 - 1e-12]
    if order is None:
        order = [s for s in states if s != start and s not in absorbing]
    unknown = [s for s in order if s not in states]
    if unknown:
        from cjmodels.errors import ValidationError

        raise ValidationError(f"order names states {unknown} that the chain lacks.")
    rest = [s for s in states if s not in order and s != start and s not in absorbing]
    row = ([start] if start in states else []) + list(order) + rest
    # a life cycle's returning states go on a row above their stage
    suffix = " (returning)"
    upper = [s for s in row if s.endswith(suffix) and s[: -len(suffix)] in row]
    row = [s for s in row if s not in upper]
    pos = {s: (_GAP * i, 0.0) for i, s in enumerate(row)}
    for s in upper:
        pos[s] = (pos[s[: -len(suffix)]][0], _UPPER)
    width = _GAP * (len(row) - 1)
    n_end = len(absorbing)
    for c, s in enumerate(absorbing):  # spread under the right half of the row
        x = width * (0.5 + 0.5 * (c + 1) / (n_end + 1)) if n_end > 1 else width * 0.6
        pos[s] = (x, -2.6)
    return pos


def _plot_diagram(
    chain: Any,
    ax: Any = None,
    *,
    order: list[str] | None = None,
    min_probability: float = 0.02,
    label_min: float = 0.05,
    max_width: float = 7.0,
    node_color: str = "#dbe8f5",
) -> Any:
    """State diagram of a chain: states placed by stage order, arrows as wide as probable.

    Forward moves (to a later stage) bend above the row of states (blue), moves back below it
    (orange), moves into an end state go down (red for drop-out, green otherwise); self-loops
    sit on top of their state (grey). The returning states of a life cycle
    (:func:`~cjmodels.markov.lifecycle_chain`) form a row above their stages, with moves
    between the rows in purple. Drawn with matplotlib alone.

    Parameters
    ----------
    chain : MarkovChain, FittedChain, LifecycleChain or DataFrame
        The chain (a square DataFrame is a transition matrix with named states).
    ax : matplotlib axis, optional
    order : list of str, optional
        Left-to-right order of the non-end states (default: the chain's order, which follows
        the stage scheme). The start state is drawn first, end (absorbing) states below.
    min_probability : float
        Arrows for smaller probabilities are not drawn.
    label_min : float
        Probabilities at least this large are written next to their arrow.
    max_width : float
        Line width of an arrow with probability 1.

    Returns
    -------
    matplotlib axis

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cjmodels.markov import MarkovChain
    >>> c = MarkovChain(["(start)", "a", "b", "(conversion)", "(null)"],
    ...                 [[0, 1, 0, 0, 0], [0, .3, .5, 0, .2], [0, .1, .2, .4, .3],
    ...                  [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], start="(start)")
    >>> ax = c.plot(kind="diagram")
    >>> len(ax.patches) > 5
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Arc, FancyArrowPatch

    check_scalar(min_probability, "min_probability", typ=float, ge=0, le=1)
    if isinstance(chain, pd.DataFrame):
        states = [str(s) for s in chain.index]
        m = chain.to_numpy(dtype=float)
        if m.shape != (len(states), len(states)):
            raise ValidationError(f"the transition matrix must be square, got {m.shape}.")
        start = "(start)" if "(start)" in states else None
    else:
        mc = getattr(chain, "chain", chain)
        states, m, start = list(mc.states), np.asarray(mc.matrix, dtype=float), mc.start
    pos = _diagram_layout(states, m, order, start)
    xs = np.array([x for x, _ in pos.values()])
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.85 * (xs.max() - xs.min()) + 2), 4.6))
    r = _R
    box = {"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.85}
    for i, s in enumerate(states):
        for j, t in enumerate(states):
            p = m[i, j]
            if p < min_probability or (i == j and p >= 1 - 1e-12):
                continue
            lw = 0.4 + max_width * p
            (x0, y0), (x1, y1) = pos[s], pos[t]
            if i == j:
                ax.add_patch(Arc((x0, y0 + r * 1.35), 0.55, 0.7, theta1=-55, theta2=235,
                                 lw=lw, color="tab:gray", alpha=0.8))
                if p >= label_min:
                    ax.text(x0, y0 + r * 1.35 + 0.05, f"{p:.2f}", ha="center", va="center",
                            fontsize=6.5)
                continue
            if m[j, j] >= 1 - 1e-12:  # into an end state
                rad, color = 0.0, ("tab:red" if "null" in t or "churn" in t else "tab:green")
            elif y1 != y0:  # between the rows
                rad, color = 0.08, "tab:purple"
            else:
                forward = x1 > x0
                # arc3 puts the control point rad * chord to the right of the chord: a
                # negative rad bends forward arrows above the row and backward ones below it
                # one step: a shallow bend; longer jumps clear the self-loops in between
                steps = abs(x1 - x0) / _GAP
                rad = -(0.12 if steps <= 1 else (1.1 + 0.15 * (steps - 2)) / (steps * _GAP / 2))
                color = "tab:blue" if forward else "tab:orange"
            dx, dy = x1 - x0, y1 - y0
            cx, cy = (x0 + x1) / 2 + rad * dy, (y0 + y1) / 2 - rad * dx  # control point
            # start and end on the node circles, towards the control point
            u0 = np.array([cx - x0, cy - y0]) / np.hypot(cx - x0, cy - y0)
            u1 = np.array([cx - x1, cy - y1]) / np.hypot(cx - x1, cy - y1)
            a = (x0 + r * u0[0], y0 + r * u0[1])
            b = (x1 + r * u1[0], y1 + r * u1[1])
            ax.add_patch(FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}",
                                         arrowstyle="-|>", mutation_scale=9 + 6 * p, lw=lw,
                                         color=color, alpha=0.75, shrinkA=0, shrinkB=0))
            if p >= label_min:
                # the quadratic curve's midpoint lies half-way to the control point
                mx = (a[0] + b[0]) / 2 + 0.5 * rad * (b[1] - a[1])
                my = (a[1] + b[1]) / 2 - 0.5 * rad * (b[0] - a[0])
                ax.text(mx, my, f"{p:.2f}", fontsize=7, ha="center", va="center", bbox=box)
    for s, (x, y) in pos.items():
        ax.add_patch(plt.Circle((x, y), r, fc=node_color, ec="black", lw=0.8, zorder=3))
        ax.text(x, y - r - 0.1, s.replace(" (returning)", "\n(returning)"), ha="center",
                va="top", fontsize=8, zorder=4, bbox=box)
    ys = np.array([y for _, y in pos.values()])
    ax.set_xlim(xs.min() - 1.0, xs.max() + 1.0)
    ax.set_ylim(ys.min() - 0.8, ys.max() + 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("State diagram (arrow width = transition probability)")
    return ax
