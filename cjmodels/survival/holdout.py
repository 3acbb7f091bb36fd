"""Calibration versus holdout: the standard check of a customer-base model.

Fit on the calibration period (:func:`cjmodels.data.calibration_holdout` builds the table),
predict each customer's purchases in the holdout, and compare with what happened, in total and by
the number of repeat purchases in calibration (the tracking table of Fader, Hardie & Lee 2005,
figure 4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError

__all__ = ["holdout_comparison"]


def holdout_comparison(
    data: pd.DataFrame,
    model: Any,
    *,
    max_frequency: int = 7,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    frequency_holdout: str = "frequency_holdout",
    duration_holdout: str = "duration_holdout",
) -> pd.DataFrame:
    """Mean predicted and actual holdout purchases by calibration frequency.

    Parameters
    ----------
    data : pandas.DataFrame
        The calibration/holdout RFM table of :func:`cjmodels.data.calibration_holdout` (same
        time unit as the model's fit).
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted frequency/recency model (``BetaGeoModel``, ``ModifiedBetaGeoModel``,
        ``ParetoNBDModel``) with ``conditional_expected_transactions(t, x, t_x, T)``.
    max_frequency : int
        Calibration frequencies at or above this are pooled into one row (``"7+"``).
    frequency, recency, T : str
        Calibration columns.
    frequency_holdout, duration_holdout : str
        Columns of the holdout purchases and the holdout length.

    Returns
    -------
    pandas.DataFrame
        Index: calibration frequency; columns ``customers``, ``actual`` and ``predicted`` (mean
        holdout purchases per customer), and a final ``all`` row with the totals per customer.

    Examples
    --------
    >>> from cjmodels.survival import BetaGeoModel
    >>> m = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> t = pd.DataFrame({"frequency": [0, 2], "recency": [0.0, 30.43], "T": [38.86, 38.86],
    ...                   "frequency_holdout": [0, 1], "duration_holdout": [39.0, 39.0]})
    >>> float(holdout_comparison(t, m).loc["2", "predicted"].round(3))
    1.226
    """
    check_scalar(max_frequency, "max_frequency", typ=int, ge=1)
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"data must be a DataFrame from cjmodels.data.calibration_holdout, got "
            f"{type(data).__name__}."
        )
    table = data
    missing = [c for c in (frequency, recency, T, frequency_holdout, duration_holdout)
               if c not in table]
    if missing:
        raise ValidationError(
            f"columns {missing} not found; build the table with "
            "cjmodels.data.calibration_holdout(...)."
        )
    durations = table[duration_holdout].to_numpy(dtype=float)
    predicted = np.empty(len(table))
    for d in np.unique(durations):  # one call per distinct holdout length (usually one)
        rows = durations == d
        predicted[rows] = model.conditional_expected_transactions(
            float(d),
            table.loc[rows, frequency].to_numpy(),
            table.loc[rows, recency].to_numpy(),
            table.loc[rows, T].to_numpy(),
        )
    x = table[frequency].to_numpy()
    label = np.where(x >= max_frequency, f"{max_frequency}+", x.astype(int).astype(str))
    df = pd.DataFrame(
        {"group": label, "actual": table[frequency_holdout].to_numpy(dtype=float),
         "predicted": predicted}
    )
    order = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    g = df.groupby("group")
    out = pd.DataFrame(
        {"customers": g.size(), "actual": g["actual"].mean(), "predicted": g["predicted"].mean()}
    ).reindex([o for o in order if o in set(label)])
    out.loc["all"] = [len(df), df["actual"].mean(), df["predicted"].mean()]
    out["customers"] = out["customers"].astype(int)
    out.index.name = "calibration_frequency"
    return out
