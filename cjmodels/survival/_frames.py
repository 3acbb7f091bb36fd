"""Validation of duration tables (one row per unit at risk) for the lifelines wrappers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cjmodels.data.counting import ENTRY_EPS
from cjmodels.errors import ValidationError

__all__ = ["check_durations"]

# Entry times are shifted by ENTRY_EPS times the smallest positive gap between distinct times
# before they reach lifelines (the (start, stop] risk set of R survival), as the data layer's
# counting-process rows are.
_SHOW = 5


def _rows(index: pd.Index, mask: np.ndarray) -> str:
    shown = index[mask][:_SHOW].tolist()
    more = f" and {int(mask.sum()) - _SHOW} more" if mask.sum() > _SHOW else ""
    return f"{shown}{more}"


def check_durations(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str | None,
    entry: str | None = None,
    weights: str | None = None,
    covariates: Sequence[str] = (),
    positive: bool = False,
    name: str = "data",
) -> pd.DataFrame:
    """Check a duration table and return a clean copy with float durations and 0/1 events.

    Raises :class:`ValidationError` for missing columns, non-finite or negative durations
    (zero too when ``positive``), event flags other than 0/1, entry after exit, non-finite
    covariates or weights.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            f"{name} must be a pandas DataFrame with one row per customer (e.g. from "
            f"cjmodels.data.time_to_first_purchase), got {type(data).__name__}."
        )
    cols = [duration, *([event] if event else []), *([entry] if entry else []),
            *([weights] if weights else []), *covariates]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValidationError(f"{name} lacks columns {missing}; it has {list(data.columns)}.")
    if len(data) == 0:
        raise ValidationError(f"{name} has no rows.")
    out = data.copy()
    d = pd.to_numeric(out[duration], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(d)
    if bad.any():
        raise ValidationError(
            f"column {duration!r} (duration) has {int(bad.sum())} missing, non-numeric or "
            f"infinite values at rows {_rows(out.index, bad)}; drop or fill them."
        )
    neg = d <= 0 if positive else d < 0
    if neg.any():
        what = "zero or negative" if positive else "negative"
        fix = (
            " Parametric models need positive durations: drop the zeros or shift them by a "
            "fraction of the time resolution (e.g. clip(lower=0.5 / 24) for hourly data in days)."
            if positive
            else " A duration is stop - start; check the order of the timestamps."
        )
        raise ValidationError(
            f"column {duration!r} (duration) has {int(neg.sum())} {what} values at rows "
            f"{_rows(out.index, neg)}.{fix}"
        )
    out[duration] = d
    if event:
        e = pd.to_numeric(out[event], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isin(e, (0.0, 1.0))
        if bad.any():
            raise ValidationError(
                f"column {event!r} (event flag) must be 0 (censored) or 1 (event); "
                f"{int(bad.sum())} rows have other values, e.g. rows {_rows(out.index, bad)} "
                f"with {pd.unique(out[event].to_numpy()[bad])[:_SHOW].tolist()}. For competing "
                "risks use cjmodels.survival.cumulative_incidence with a cause column."
            )
        out[event] = e.astype(np.int64)
    if entry:
        en = pd.to_numeric(out[entry], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(en) | (en < 0)
        if bad.any():
            raise ValidationError(
                f"column {entry!r} (entry) has {int(bad.sum())} missing or negative values at "
                f"rows {_rows(out.index, bad)}."
            )
        late = en > d
        if late.any():
            raise ValidationError(
                f"entry after exit: column {entry!r} exceeds {duration!r} at rows "
                f"{_rows(out.index, late)}. Entry (start of observation) must not come after "
                "the event or censoring time."
            )
        out[entry] = en
    if weights:
        w = pd.to_numeric(out[weights], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            raise ValidationError(
                f"column {weights!r} (weights) must be positive and finite; rows "
                f"{_rows(out.index, bad)} are not."
            )
        out[weights] = w
    for c in covariates:
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            col = col.astype(float)
        if not pd.api.types.is_numeric_dtype(col):
            raise ValidationError(
                f"covariate {c!r} is not numeric (dtype {col.dtype}); encode it first, e.g. "
                f"pd.get_dummies(data, columns=[{c!r}], drop_first=True, dtype=float)."
            )
        v = col.to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise ValidationError(
                f"covariate {c!r} has {int(bad.sum())} missing or infinite values at rows "
                f"{_rows(out.index, bad)}; drop or impute them first."
            )
        out[c] = v
    return out


def shifted_entry(entry: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Entry times nudged up by ``ENTRY_EPS`` times the smallest gap between distinct times.

    lifelines counts a subject entering at ``e`` as at risk for events *at* ``e``; R survival
    and the counting-process convention do not. The nudge gives the (start, stop] risk set
    without moving the entry past any real event time.

    Tie convention: a row whose exit equals its entry (an event or censoring on the entry day)
    has an empty (start, stop] interval; R survival rejects it. Here its entry is moved just
    *before* the exit instead (by the same epsilon), so the customer is at risk for their own
    event and for other events at that time, as if they had entered at the start of that day.
    """
    u = np.unique(np.r_[entry, stop])
    gap = np.min(np.diff(u)) if u.size > 1 else 1.0
    eps = ENTRY_EPS * gap
    return np.where(entry >= stop, stop - eps, entry + eps)
