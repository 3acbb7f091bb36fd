"""Validation of the per-customer summaries that the customer-base models take as input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError

__all__ = ["as_array", "rfm_arrays"]

_SHOW = 5


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    more = f" and {idx.size - _SHOW} more" if idx.size > _SHOW else ""
    return f"{idx[:_SHOW].tolist()}{more}"


def as_array(values: Any, name: str, *, integer: bool = False, allow_zero: bool = True) -> np.ndarray:
    """A 1-d float array of finite, non-negative values (or a clear error)."""
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric; could not convert it ({exc}).") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValidationError(
            f"{name} has {int(bad.sum())} missing or infinite values at positions {_rows(bad)}; "
            "drop or fill them."
        )
    neg = arr < 0 if allow_zero else arr <= 0
    if neg.any():
        what = "negative" if allow_zero else "zero or negative"
        raise ValidationError(
            f"{name} has {int(neg.sum())} {what} values at positions {_rows(neg)}; "
            f"{name} must be {'>= 0' if allow_zero else '> 0'}."
        )
    if integer:
        frac = arr != np.round(arr)
        if frac.any():
            raise ValidationError(
                f"{name} has {int(frac.sum())} non-integer values at positions {_rows(frac)}; "
                "it counts repeat purchases."
            )
    return arr


def rfm_arrays(
    data: Any,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    weight: str | Any | None = None,
    rfm_options: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequency, recency, age and weights from a summary table (or an event log).

    ``data`` is a DataFrame with the summary columns (as :func:`cjmodels.data.rfm_summary`
    returns) or an :class:`~cjmodels.data.EventLog`, which is summarised with
    ``rfm_summary(data, **rfm_options)``. ``weight`` is a column name or an array (counts of
    identical customers); default 1 each.
    """
    if isinstance(data, EventLog):
        from cjmodels.data import rfm_summary

        data = rfm_summary(data, **(rfm_options or {}))
    elif rfm_options:
        raise ValidationError(
            f"rfm options {sorted(rfm_options)} apply only when data is an EventLog; this data "
            "is a summary table already."
        )
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"data must be a pandas DataFrame with columns {frequency!r}, {recency!r}, {T!r} "
            f"(see cjmodels.data.rfm_summary) or an EventLog, got {type(data).__name__}."
        )
    missing = [c for c in (frequency, recency, T) if c not in data.columns]
    if missing:
        raise ValidationError(
            f"data lacks columns {missing}; it has {list(data.columns)}. Build the table with "
            "cjmodels.data.rfm_summary or name the columns with frequency=, recency=, T=."
        )
    if len(data) == 0:
        raise ValidationError("data has no rows; a customer-base model needs customers.")
    x = as_array(data[frequency], f"column {frequency!r} (frequency)", integer=True)
    tx = as_array(data[recency], f"column {recency!r} (recency)")
    big_t = as_array(data[T], f"column {T!r} (T)", allow_zero=False)
    w = case_weights(data, weight, len(data))
    # tolerate rounding of published tables (recency and T rounded to 2 decimals)
    over = tx > big_t * (1 + 1e-9) + 1e-12
    if over.any():
        raise ValidationError(
            f"recency > T for {int(over.sum())} customers at rows {_rows(over)}: the last purchase "
            "cannot come after the end of observation. Check that both are measured from the "
            "first purchase in the same unit."
        )
    zero_pos = (x == 0) & (tx > 0)
    if zero_pos.any():
        raise ValidationError(
            f"frequency == 0 with recency > 0 for {int(zero_pos.sum())} customers at rows "
            f"{_rows(zero_pos)}: recency is the time from the first to the last repeat purchase "
            "and must be 0 without repeat purchases."
        )
    pos_zero = (x > 0) & (tx == 0)
    if pos_zero.any():
        raise ValidationError(
            f"frequency > 0 with recency == 0 for {int(pos_zero.sum())} customers at rows "
            f"{_rows(pos_zero)}: repeat purchases at the time of the first one. Aggregate "
            "purchases by period (rfm_summary(..., period='D')) so that a repeat purchase comes "
            "after the first."
        )
    return x, np.minimum(tx, big_t), big_t, w


def case_weights(data: pd.DataFrame, weight: Any, n: int) -> np.ndarray:
    """Case weights of ``n`` rows: ones, the column ``weight`` of ``data``, or an array."""
    if weight is None:
        return np.ones(n)
    if isinstance(weight, str):
        if weight not in data.columns:
            raise ValidationError(f"weight column {weight!r} is not in the data.")
        w = as_array(data[weight], f"column {weight!r} (weight)")
    else:
        w = as_array(weight, "weight")
        if w.size != n:
            raise ValidationError(f"weight has {w.size} values for {n} rows of data.")
    if w.sum() <= 0:
        raise ValidationError("the weights sum to 0; at least one customer needs a positive "
                              "weight.")
    return w


def compress(*cols: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows of ``cols`` into one row each, summing ``weights``."""
    df = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    df["w"] = weights
    g = df.groupby([f"c{i}" for i in range(len(cols))], sort=False)["w"].sum().reset_index()
    g = g[g["w"] > 0]
    return [g[f"c{i}"].to_numpy(dtype=float) for i in range(len(cols))], g["w"].to_numpy(float)
