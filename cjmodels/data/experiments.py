"""The per-customer experiment table that A/B tests run on.

:func:`experiment_table` turns an event log with ``assignment`` events into one row per assigned
customer: the arm, the assignment time, the outcome (conversions and their value in an outcome
window after assignment) and the pre-period covariates (conversions and value before assignment)
that variance-reduction methods such as CUPED use.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels.data.columns import label_codes
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.errors import ValidationError

__all__ = ["experiment_table"]

_SHOWN = 5


def _ids(values: Any) -> str:
    vals = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in vals[:_SHOWN])
    more = f" and {len(vals) - _SHOWN} more" if len(vals) > _SHOWN else ""
    return f"[{shown}{more}]"


def _unit_ns(unit: str) -> int:
    try:
        return int(pd.Timedelta(1, unit=unit).value)
    except (TypeError, ValueError):
        raise ValidationError(
            f"unit == {unit!r} is not a time unit; use a pandas unit such as 'D', 'h' or 'W'."
        ) from None


def _span(log: EventLog, value: Any, name: str, unit: str) -> float | int | None:
    """A positive time span in the log's internal units (ns for datetimes, raw for numbers)."""
    if value is None:
        return None
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if log.time_kind == "numeric":
        if not is_number:
            raise ValidationError(
                f"{name} == {value!r}, must be a number: this log's timestamps are numbers."
            )
        out: float | int = float(value)
        if log.column("timestamp").dtype.kind == "i" and out.is_integer() and abs(out) < 2**62:
            out = int(value) if isinstance(value, numbers.Integral) else int(out)
    else:
        if is_number:  # a bare number counts in `unit`
            try:
                td = pd.Timedelta(float(value) * _unit_ns(unit), unit="ns")
            except (ValueError, OverflowError):  # inf, NaN or beyond ~292 years
                raise ValidationError(
                    f"{name} == {value!r}, must be a finite positive time span (at most about "
                    f"292 years); leave {name} out for no limit."
                ) from None
        else:
            if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
                raise ValidationError(
                    f"{name} == {value!r} has no unit; write for example '{value.strip()}D'."
                )
            try:
                td = as_timedelta(value)
            except (TypeError, ValueError):
                td = pd.NaT
            if pd.isna(td):
                raise ValidationError(
                    f"{name} == {value!r} is not a time span; pass a Timedelta, a number of "
                    f"{unit!r} or a string such as '14D'."
                )
        out = int(td.value)
    if not np.isfinite(out) or not out > 0:
        raise ValidationError(f"{name} == {value!r}, must be a positive time span.")
    return out


def _relative_times(log: EventLog) -> np.ndarray:
    """Event times since observation_start: int64 ns for datetime logs, floats otherwise."""
    if log.time_kind == "numeric":
        t, origin = log.column("timestamp"), log.observation_start
        if t.dtype.kind == "i" and isinstance(origin, (int, np.integer)) and (
            int(t.max()) - int(origin) < 2**63
        ):
            return t - np.int64(origin)  # integer times: exact differences
        return t.astype(float) - float(origin)
    delta = pd.Series(log.events["timestamp"]) - log.observation_start
    return delta.to_numpy().astype("timedelta64[ns]").astype(np.int64)


def _relative_end(log: EventLog, end: Any) -> float | int:
    obs_end = log.observation_end
    if end is None:
        end = obs_end
    if log.time_kind == "numeric":
        start = log.observation_start
        try:
            rel: float | int = float(end) - float(start)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(
                f"end == {end!r}, must be a number like the log's timestamps."
            ) from None
        rel_obs: float | int = float(obs_end) - float(start)
        exact = (int, np.integer)
        if isinstance(start, exact) and isinstance(obs_end, exact):
            rel_obs = int(obs_end) - int(start)  # integer times: exact
            if isinstance(end, exact) and not isinstance(end, (bool, np.bool_)):
                rel = int(end) - int(start)
            elif np.isfinite(rel) and float(end).is_integer():
                rel = int(float(end)) - int(start)
        if not math.isfinite(float(rel)):
            raise ValidationError(f"end == {end!r}, must be a finite number.")
    else:
        try:
            ts = pd.Timestamp(end)
            rel = int((ts - log.observation_start).value)
        except (TypeError, ValueError):
            raise ValidationError(
                f"end == {end!r}, must be a timestamp comparable with the log's timestamps "
                f"(for example {str(obs_end)!r})."
            ) from None
        if pd.isna(ts):
            raise ValidationError(f"end == {end!r}, must be a timestamp.")
        rel_obs = int((obs_end - log.observation_start).value)
    if rel > rel_obs:
        raise ValidationError(
            f"end == {end} is after the log's observation_end == {obs_end}; events after "
            "observation_end were not recorded, so outcomes there are unknown. Pass an earlier "
            "end, or declare a later observation_end when building the EventLog."
        )
    return rel


def experiment_table(
    data: EventLog | pd.DataFrame,
    *,
    variant: str = "variant",
    pre_period: Any = None,
    window: Any = None,
    end: Any = None,
    unit: str = "D",
    **log_options: Any,
) -> pd.DataFrame:
    """One row per assigned customer: arm, outcome after assignment and pre-period covariates.

    A customer's first ``assignment`` event defines the arm (the value of the ``variant``
    column on that row) and the assignment time ``t0``. Outcomes are the customer's
    ``conversion`` events in the outcome window ``[t0, t0 + window)``, cut at ``end``; without
    ``window`` the outcome window is ``[t0, end]``. Pre-period quantities use events in
    ``[t0 - pre_period, t0)``; without ``pre_period`` every event before ``t0`` counts. An event
    at exactly ``t0`` is an outcome, never pre-period.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options``.
    variant : str
        Column holding the arm on assignment rows. Arms are labels: told apart and counted
        (``attrs["variants"]``) by the ``str`` of their values, which the table keeps as given;
        a column whose assignment rows mix types (``1`` and ``"1"``, or ``1`` and ``1.0``,
        which would merge or print alike) is refused.
    pre_period : time span, optional
        Length of the pre-period (a Timedelta, a string such as ``"28D"``, or a number of
        ``unit``; a number for numeric timestamps). Default: all history before assignment.
    window : time span, optional
        Length of the per-customer outcome window. Default: until ``end``.
    end : timestamp, optional
        Analysis time: events after it are ignored and customers assigned after it are left out
        (counted in ``attrs["assigned_after_end"]``, with a warning), which supports interim
        looks. Default and latest allowed value: the log's ``observation_end``.
    unit : str
        Unit of ``exposure`` (and of bare numbers given as spans) for datetime logs; numeric
        logs use their own units.
    **log_options
        Column options for :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Sorted like the log's customers, with columns ``customer_id``, ``variant``,
        ``assigned_at``, ``converted`` (0/1), ``n_conversions``, ``value`` (sum of conversion
        values in the outcome window; NaN when the log has no value column), ``pre_value`` (sum
        of conversion values in the pre-period; NaN when the customer has no pre-period event),
        ``pre_conversions``, ``has_pre`` (any event of the customer in the pre-period) and
        ``exposure`` (length of the outcome window actually observed, in ``unit``). ``attrs``
        hold ``unassigned_customers`` (customers with events but no assignment, left out with a
        warning), ``assigned_after_end``, ``pre_period_truncated`` (customers whose pre-period
        starts before the log's observation_start), ``variants`` (customers per arm) and the
        settings.

    Raises
    ------
    ValidationError
        No assignment events, no ``variant`` column, a missing variant on a first assignment,
        customers assigned to two different arms, fewer than two arms, bad spans or ``end``.

    Notes
    -----
    Only assignment rows are checked for conflicting arms; the ``variant`` value on other rows
    is ignored. The table is computed in one vectorised pass over the sorted log.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-07",
    ...                                  "2025-01-06", "2025-01-20"]),
    ...     "event": ["conversion", "assignment", "conversion", "assignment", "conversion"],
    ...     "value": [10.0, None, 25.0, None, 40.0],
    ...     "variant": [None, "A", "A", "B", "B"],
    ... })
    >>> experiment_table(df, window="7D")[["customer_id", "variant", "converted", "value",
    ...                                    "pre_value", "has_pre", "exposure"]]
       customer_id variant  converted  value  pre_value  has_pre  exposure
    0            1       A          1   25.0       10.0     True       7.0
    1            2       B          0    0.0        NaN    False       7.0
    """
    log = as_event_log(data, **log_options)
    ev = log.events
    if variant in ("customer_id", "timestamp", "event"):
        raise ValidationError(
            f"variant == {variant!r} names a canonical column of the event log; name the column "
            "that holds the arm of each customer."
        )
    if not isinstance(variant, str) or variant not in ev.columns:
        raise ValidationError(
            f"experiment_table needs the arm of each customer in column {variant!r}, which the "
            f"event log does not have; its covariate columns are {list(log.covariates)}. Name "
            "the right column with variant='...' (and keep it among the EventLog covariates)."
        )
    unit_ns = _unit_ns(unit)
    win = _span(log, window, "window", unit)
    pre = _span(log, pre_period, "pre_period", unit)
    end_rel = _relative_end(log, end)

    codes = log.customer_codes
    n_cust = log.n_customers
    kind = ev["event"].to_numpy()
    is_assign = kind == "assignment"
    if not is_assign.any():
        raise ValidationError(
            "the event log has no 'assignment' events, so no customer is in an experiment. "
            "Record each customer's assignment as an event of type 'assignment' with the arm in "
            f"column {variant!r}."
        )
    cust_ids = log.customers

    # first assignment of each assigned customer
    a_pos = np.flatnonzero(is_assign)
    a_codes = codes[a_pos]
    seg_start = np.flatnonzero(np.r_[True, a_codes[1:] != a_codes[:-1]])
    first_pos = a_pos[seg_start]
    assigned = a_codes[seg_start]
    # arms are labels: kept exactly as their str, a column mixing types is refused
    a_var, arm_labels = label_codes(
        ev[variant].iloc[a_pos], variant, "variant", log.source_index[a_pos]
    )
    first_var = a_var[seg_start]
    missing = first_var < 0
    if missing.any():
        raise ValidationError(
            f"column {variant!r} (variant) is missing on the first assignment of "
            f"{int(missing.sum())} customers {_ids(cust_ids[assigned[missing]])}; every "
            "assignment row needs the arm."
        )
    a_var = a_var.astype(np.int64)
    hi = np.maximum.reduceat(a_var, seg_start)
    lo = np.minimum.reduceat(np.where(a_var < 0, np.iinfo(np.int64).max, a_var), seg_start)
    conflict = (hi >= 0) & (lo != hi)
    if conflict.any():
        raise ValidationError(
            f"{int(conflict.sum())} customers are assigned to more than one arm in column "
            f"{variant!r}: {_ids(cust_ids[assigned[conflict]])}. Each customer must stay in one "
            "arm; remove these customers or fix their assignment rows."
        )

    rel = _relative_times(log)
    t0 = rel[first_pos]
    late = t0 > end_rel
    n_late = int(late.sum())
    n_unassigned = int(n_cust - len(assigned))
    keep = ~late
    if not keep.any():
        raise ValidationError(
            f"all {len(assigned)} assigned customers were assigned after end == {end}; pass a "
            "later end."
        )
    arm_n = np.bincount(first_var[keep], minlength=len(arm_labels))
    counts = {str(lab): int(k) for lab, k in zip(arm_labels, arm_n, strict=True) if k}
    if len(counts) < 2:
        raise ValidationError(
            f"every assigned customer is in arm {next(iter(counts))!r} of column {variant!r}; an "
            "experiment needs at least two arms to compare. Check the assignment rows or the "
            "variant column."
        )

    # per-customer arrays over all customer codes; events of unkept customers are masked out
    t0_all = np.zeros(n_cust, dtype=rel.dtype)
    kept_all = np.zeros(n_cust, dtype=bool)
    t0_all[assigned] = t0
    kept_all[assigned[keep]] = True
    in_exp = kept_all[codes]
    t0_ev = t0_all[codes]
    is_conv = kind == "conversion"
    after = in_exp & (rel >= t0_ev) & (rel <= end_rel)
    if win is not None:
        after &= rel - t0_ev < win
    before = in_exp & (rel < t0_ev)
    if pre is not None:
        before &= t0_ev - rel <= pre
    out_conv = after & is_conv
    pre_conv = before & is_conv

    k_codes = assigned[keep]
    n_conv = np.bincount(codes[out_conv], minlength=n_cust)[k_codes]
    n_pre_conv = np.bincount(codes[pre_conv], minlength=n_cust)[k_codes]
    has_pre = np.bincount(codes[before], minlength=n_cust)[k_codes] > 0
    if log.has_value:
        val = ev["value"].to_numpy(dtype=float)
        value = np.bincount(codes[out_conv], weights=val[out_conv], minlength=n_cust)[k_codes]
        pre_value = np.bincount(codes[pre_conv], weights=val[pre_conv], minlength=n_cust)
        pre_value = np.where(has_pre, pre_value[k_codes], np.nan)
    else:
        value = np.full(len(k_codes), np.nan)
        pre_value = np.full(len(k_codes), np.nan)
    t0_k = t0[keep]
    span = end_rel - t0_k
    if win is not None:
        span = np.minimum(span, win)
    exposure = span / unit_ns if log.time_kind == "datetime" else span.astype(float)
    truncated = int((t0_k < pre).sum()) if pre is not None else 0

    table = pd.DataFrame(
        {
            "customer_id": cust_ids[k_codes],
            # each customer's arm as given (one type; arms are told apart by their str)
            "variant": ev[variant].iloc[first_pos[keep]].reset_index(drop=True),
            "assigned_at": ev["timestamp"].iloc[first_pos[keep]].reset_index(drop=True),
            "converted": (n_conv > 0).astype(np.int64),
            "n_conversions": n_conv.astype(np.int64),
            "value": value,
            "pre_value": pre_value,
            "pre_conversions": n_pre_conv.astype(np.int64),
            "has_pre": has_pre,
            "exposure": np.asarray(exposure, dtype=float),
        }
    )
    table.attrs.update(
        {
            "unassigned_customers": n_unassigned,
            "assigned_after_end": n_late,
            "pre_period_truncated": truncated,
            "variants": counts,
            "variant_column": variant,
            "window": None if window is None else str(window),
            "pre_period": None if pre_period is None else str(pre_period),
            "end": str(log.observation_end if end is None else end),
            "unit": unit if log.time_kind == "datetime" else None,
        }
    )
    if n_unassigned:
        warnings.warn(
            f"{n_unassigned} customers have events but no assignment event; they are left out "
            "of the experiment table (attrs['unassigned_customers']).",
            UserWarning,
            stacklevel=2,
        )
    if n_late:
        warnings.warn(
            f"{n_late} customers were assigned after end == {end}; they are left out of the "
            "experiment table (attrs['assigned_after_end']).",
            UserWarning,
            stacklevel=2,
        )
    return table
