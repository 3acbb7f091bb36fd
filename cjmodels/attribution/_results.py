"""Result objects of attribution models, and the comparison table across models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data import CONVERSION, NULL, START
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["Attribution", "compare"]

#: Per-channel quantities that may carry bootstrap intervals.
QUANTITIES = ("removal_effect", "value_removal_effect", "conversions", "value", "share")


@result_dataclass
class Attribution(Result):
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
    Attribution(model='last', channels=2, total_conversions=3, total_value=25)
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
        """The channels, in the order of ``table``."""
        return [str(c) for c in self.table.index]

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "channels": len(self.table),
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
        }
        if self.info.get("n_boot"):
            out["n_boot"] = int(self.info["n_boot"])
        if self.conversions_without_touches:
            out["conversions_without_touches"] = self.conversions_without_touches
        return out

    def _summary(self) -> pd.DataFrame:
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
        """Square transition probability matrix of the fitted chain (Markov models only).

        Rows and columns are the chain's states in their fitted order: the transient states
        (sorted by name), then ``(start)``, ``(conversion)`` and ``(null)``; the absorbing
        states' rows are zero.

        Returns
        -------
        pandas.DataFrame
            Rows ``from_state``, columns ``to_state``; each transient row sums to 1 (the
            maximum-likelihood estimates from the journey counts, ``tables["transitions"]``).

        Raises
        ------
        cjmodels.errors.ValidationError
            When the result is not from :class:`MarkovAttribution`.

        Examples
        --------
        >>> import pandas as pd
        >>> from cjmodels.attribution import MarkovAttribution
        >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [1, 1],
        ...                    "total_null": [1, 1]})
        >>> MarkovAttribution().fit(pt).result_.transition_matrix().round(2)
        to_state        a    b  (start)  (conversion)  (null)
        from_state
        a             0.0  1.0      0.0           0.0     0.0
        b             0.0  0.0      0.0           0.5     0.5
        (start)       0.5  0.5      0.0           0.0     0.0
        (conversion)  0.0  0.0      0.0           0.0     0.0
        (null)        0.0  0.0      0.0           0.0     0.0
        """
        if "transitions" not in self.tables:
            raise ValidationError(
                f"model {self.model!r} has no transition matrix; only the Markov model does."
            )
        t = self.tables["transitions"]
        m = t.pivot_table(
            index="from_state", columns="to_state", values="probability", aggfunc="sum",
            fill_value=0.0, sort=False,
        )
        special = (START, CONVERSION, NULL)
        seen = list(dict.fromkeys([*t["from_state"], *t["to_state"]]))
        states = [s for s in seen if s not in special] + [s for s in special if s in seen]
        return m.reindex(index=states, columns=states, fill_value=0.0)

    def _to_dict(self) -> dict[str, Any]:
        """Per channel records, totals, settings."""
        rows = [{"channel": str(ch), **dict(r.items())} for ch, r in self.table.iterrows()]
        return {
            "model": self.model,
            "total_conversions": float(self.total_conversions),
            "total_value": float(self.total_value),
            "conversions_without_touches": float(self.conversions_without_touches),
            "value_without_touches": float(self.value_without_touches),
            "channels": rows,
            "params": self.params,
            "info": self.info,
        }

    def _plot(self, ax: Any, *, what: str = "conversions", ci: bool = True) -> None:
        """Horizontal bars of ``what`` per channel, with bootstrap intervals when present
        (and ``ci``)."""
        t = self.table
        if what not in t:
            raise ValidationError(
                f"what == {what!r} is not a column of this attribution; choose one of "
                f"{[c for c in t.columns if not c.endswith(('_ci_low', '_ci_high', '_se'))]}."
            )
        y = np.arange(len(t))
        lo, hi = f"{what}_ci_low", f"{what}_ci_high"
        xerr = None
        if ci and lo in t and hi in t:
            xerr = np.vstack([t[what] - t[lo], t[hi] - t[what]]).clip(min=0)
        ax.barh(y, t[what], xerr=xerr, color="tab:blue", alpha=0.8, capsize=3)
        ax.set_yticks(y, [str(c) for c in t.index])
        ax.invert_yaxis()
        ax.set(xlabel=what.replace("_", " "), title=f"{self.model} attribution")


def _labels(results: Sequence[Attribution]) -> list[str]:
    """Column labels of :func:`compare`: the model's name, and for several results of one
    model the values of the parameters that tell them apart (``markov_1``, ``markov_2``)."""
    names = [r.model for r in results]
    labels = list(names)
    for name in dict.fromkeys(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        keys = list(dict.fromkeys(k for i in group for k in results[i].params))
        differ = [k for k in keys
                  if len({repr(results[i].params.get(k)) for i in group}) > 1]
        for i in group:
            labels[i] = "_".join([name, *(str(results[i].params.get(k)) for k in differ)])
    seen: dict[str, int] = {}
    for i, lab in enumerate(labels):
        if lab in seen:
            raise ValidationError(
                f"results {seen[lab]} and {i} are both {lab!r} with the same parameters, so "
                "their columns would have one name; pass a dict {label: result} to name them."
            )
        seen[lab] = i
    return labels


def compare(
    results: Sequence[Attribution] | Mapping[str, Attribution], what: str = "share"
) -> pd.DataFrame:
    """Channels by models: one column of ``what`` (``share``, ``conversions``, ``value`` or
    ``removal_effect``) per model.

    Parameters
    ----------
    results : sequence of Attribution, or mapping of label to Attribution
        The results to set side by side. A mapping's labels name the columns. In a sequence a
        column is named by its model (``"first"``, ``"markov"``); several results of one model
        are told apart by the values of the parameters in which they differ (``"markov_1"``
        and ``"markov_2"`` for orders 1 and 2), and results that do not differ at all are
        refused (pass a mapping to label them).
    what : str
        The per-channel column to compare. Results without it are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by channel, one column per result.

    Examples
    --------
    >>> import pandas as pd
    >>> from cjmodels.attribution import MarkovAttribution, attribute
    >>> pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1],
    ...                    "total_null": [1, 3]})
    >>> compare([attribute(pt, model=m) for m in ("first", "last")], what="conversions")
             first  last
    channel
    a          2.0   0.0
    b          1.0   3.0
    >>> compare([attribute(pt, model="markov", order=k) for k in (1, 2)]).columns.tolist()
    ['markov_1', 'markov_2']
    """
    if isinstance(results, Mapping):
        items = list(results.items())
    else:
        results = list(results)
        bad = [type(r).__name__ for r in results if not isinstance(r, Attribution)]
        if bad:
            raise ValidationError(
                f"compare takes Attribution results (model.result_ or attribute(...)); got "
                f"{bad[0]}."
            )
        items = list(zip(_labels(results), results, strict=True))
    cols = {}
    for name, r in items:
        if what in r.table:
            cols[name] = r.table[what]
    out = pd.DataFrame(cols)
    out.index.name = "channel"
    return out
