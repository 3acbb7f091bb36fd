"""Result objects of attribution models, and the comparison table across models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._json import to_jsonable

__all__ = ["Attribution", "compare"]

#: Per-channel quantities that may carry bootstrap intervals.
QUANTITIES = ("removal_effect", "value_removal_effect", "conversions", "value", "share")


@dataclass(frozen=True, repr=False)
class Attribution:
    """Credit per channel from one attribution model.

    Attributes
    ----------
    model : str
        Model name (``"first"``, ``"markov"``, ``"shapley"``, ...).
    table : pandas.DataFrame
        Indexed by channel: ``conversions`` and ``value`` attributed (they sum to the totals),
        ``share`` (of conversions), ``removal_effect`` and ``value_removal_effect`` (Markov
        only), and with a bootstrap ``<quantity>_ci_low`` / ``<quantity>_ci_high`` and
        ``<quantity>_se``.
    total_conversions, total_value : float
        What was attributed: the channels' ``conversions`` and ``value`` sum to these.
    params : dict
        The model's settings.
    info : dict
        Counts and diagnostics (states, P(conversion), bootstrap settings, ...).
    tables : dict of str to DataFrame
        Extra output: ``transitions`` (Markov), ``pairs`` (pair removal effects),
        ``positions`` (ordered Shapley), ...
    replicates : dict of str to ndarray
        Bootstrap replicates, shape (n_boot, n_channels), per quantity (empty without one).
    conversions_without_touches, value_without_touches : float
        Conversions (and their value) that had no touch before them, so no channel could be
        credited with them; they are not in ``total_conversions`` (a warning said so at the
        fit). All conversions: ``total_conversions + conversions_without_touches``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import attribute
    >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1],
    ...                    "total_null": [1, 3], "total_conversion_value": [20.0, 5.0]})
    >>> res = attribute(pt, model="last")
    >>> res
    Attribution(model='last', 2 channels, 3 conversions, value 25)
    >>> res.summary()[["channel", "conversions", "value"]]
      channel  conversions  value
    0       a          0.0    0.0
    1       b          3.0   25.0
    """

    model: str
    table: pd.DataFrame
    total_conversions: float
    total_value: float
    params: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    replicates: dict[str, np.ndarray] = field(default_factory=dict)
    conversions_without_touches: float = 0.0
    value_without_touches: float = 0.0

    @property
    def channels(self) -> list[str]:
        return [str(c) for c in self.table.index]

    def summary(self) -> pd.DataFrame:
        """The tidy per-channel table (``channel`` as a column).

        When some conversions had no touch before them, a last row with ``channel`` None
        holds them (``conversions``, ``value``; other columns NaN), so that the
        ``conversions`` column adds up to every conversion; ``summary().attrs`` has the
        totals.
        """
        out = self.table.rename_axis("channel").reset_index()
        if self.conversions_without_touches or self.value_without_touches:
            row = pd.DataFrame({"channel": [None],
                                "conversions": [float(self.conversions_without_touches)],
                                "value": [float(self.value_without_touches)]})
            out = pd.concat([out, row], ignore_index=True)
        out.attrs = {
            "total_conversions": float(self.total_conversions),
            "total_value": float(self.total_value),
            "conversions_without_touches": float(self.conversions_without_touches),
            "value_without_touches": float(self.value_without_touches),
        }
        return out

    def transition_matrix(self) -> pd.DataFrame:
        """Square transition probability matrix of the fitted chain (Markov models only)."""
        if "transitions" not in self.tables:
            from cjmodels.errors import ValidationError

            raise ValidationError(
                f"model {self.model!r} has no transition matrix; only the Markov model does."
            )
        t = self.tables["transitions"]
        m = t.pivot_table(
            index="from_state", columns="to_state", values="probability", aggfunc="sum",
            fill_value=0.0, sort=False,
        )
        states = list(dict.fromkeys([*t["from_state"], *t["to_state"]]))
        return m.reindex(index=states, columns=states, fill_value=0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: per channel records, totals, settings."""
        rows = []
        for ch, r in self.table.iterrows():
            rows.append({"channel": str(ch), **{k: to_jsonable(v) for k, v in r.items()}})
        return {
            "model": self.model,
            "total_conversions": float(self.total_conversions),
            "total_value": float(self.total_value),
            "conversions_without_touches": float(self.conversions_without_touches),
            "value_without_touches": float(self.value_without_touches),
            "channels": rows,
            "params": to_jsonable(self.params),
            "info": to_jsonable(self.info),
        }

    def plot(self, ax: Any = None, *, what: str = "conversions") -> Any:
        """Horizontal bars of ``what`` per channel, with bootstrap intervals when present."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6, 0.35 * len(self.table) + 1.2))
        t = self.table
        y = np.arange(len(t))
        lo, hi = f"{what}_ci_low", f"{what}_ci_high"
        xerr = None
        if lo in t and hi in t:
            xerr = np.vstack([t[what] - t[lo], t[hi] - t[what]]).clip(min=0)
        ax.barh(y, t[what], xerr=xerr, color="tab:blue", alpha=0.8, capsize=3)
        ax.set_yticks(y, [str(c) for c in t.index])
        ax.invert_yaxis()
        ax.set(xlabel=what.replace("_", " "), title=f"{self.model} attribution")
        return ax

    def __repr__(self) -> str:
        boot = self.info.get("n_boot")
        extra = f", bootstrap {boot}" if boot else ""
        if self.conversions_without_touches:
            extra += f", {self.conversions_without_touches:g} conversions without touches left out"
        return (
            f"Attribution(model={self.model!r}, {len(self.table)} channels, "
            f"{self.total_conversions:g} conversions, value {self.total_value:g}{extra})"
        )


def compare(
    results: Sequence[Attribution] | dict[str, Attribution], what: str = "share"
) -> pd.DataFrame:
    """Channels by models: one column of ``what`` (``share``, ``conversions``, ``value`` or
    ``removal_effect``) per model.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import attribute
    >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1],
    ...                    "total_null": [1, 3]})
    >>> compare([attribute(pt, model=m) for m in ("first", "last")], what="conversions")
             first  last
    channel
    a          2.0   0.0
    b          1.0   3.0
    """
    items = results.items() if isinstance(results, dict) else ((r.model, r) for r in results)
    cols = {}
    for name, r in items:
        if what in r.table:
            cols[name] = r.table[what]
    out = pd.DataFrame(cols)
    out.index.name = "channel"
    return out
