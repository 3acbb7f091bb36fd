"""Per-customer summaries of purchase histories.

:func:`rfm_summary` gives the recency/frequency/monetary table that the customer-base models
(BG/NBD, Pareto/NBD, gamma-gamma) take as input, in the convention of Fader, Hardie and Lee
("Counting your customers the easy way", Marketing Science 24(2), 2005; "RFM and CLV", Journal of
Marketing Research 42(4), 2005), the same as ``summary_data_from_transaction_data`` of the
``lifetimes`` package.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.durations import base_attrs, check_unit, prepare, require_event
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError

__all__ = ["calibration_holdout", "rfm_summary"]


def _check_period(period: Any, log: EventLog) -> Any:
    if period is None:
        return None
    if log.time_kind == "numeric":
        if isinstance(period, bool) or not isinstance(period, numbers.Real):
            raise ValidationError(
                f"period == {period!r}, must be a positive number: this log's timestamps are "
                "numbers, so periods are bins [k * period, (k + 1) * period) of that axis."
            )
        period_f = float(period)  # also ints beyond int64
        if not math.isfinite(period_f):
            raise ValidationError(f"period == {period!r}, must be a finite positive number.")
        return float(check_scalar(period_f, "period", gt=0))
    ok = isinstance(period, str)
    if ok:
        try:
            ok = pd.Period("2000-01-01", freq=period).freq.n == 1
        except (TypeError, ValueError, AttributeError):
            ok = False
    if not ok:
        raise ValidationError(
            f"period == {period!r}, must be a pandas period alias without a multiple, such as "
            "'D' (calendar days), 'W' (weeks Monday-Sunday), 'M' (calendar months) or 'h' "
            "(clock hours), or None for exact times."
        )
    return period


def _coerce_end(value: Any, log: EventLog) -> Any:
    if value is None:
        return log.observation_end
    if log.time_kind == "numeric":
        try:
            end_f = float(value) if not isinstance(value, (bool, np.bool_)) else np.nan
        except (TypeError, ValueError, OverflowError):
            end_f = np.nan
        if not np.isfinite(end_f):
            raise ValidationError(
                f"observation_end == {value!r}, must be a finite number like the log's "
                "timestamps."
            )
        if log.column("timestamp").dtype.kind == "i":  # integer times: an exact bound
            if isinstance(value, (int, np.integer)) and abs(int(value)) < 2**63:
                return int(value)
            if end_f.is_integer() and abs(end_f) < 2**63:
                return int(end_f)
        return end_f
    try:
        end = pd.Timestamp(value)
    except (TypeError, ValueError):
        end = pd.NaT
    if pd.isna(end):
        raise ValidationError(f"observation_end == {value!r}, must be a timestamp.")
    log_tz = log.events["timestamp"].dt.tz
    if (end.tz is None) != (log_tz is None):
        raise ValidationError(
            f"observation_end == {value!r} is {'naive' if end.tz is None else 'tz-aware'} but "
            f"the log's timestamps are {'naive' if log_tz is None else f'in {log_tz}'}; give "
            "observation_end in the same form."
        )
    return end


def _minus(end: Any, start: np.ndarray) -> np.ndarray:
    """``end - start`` as floats, computed in integers when both are (exact above 2**53)."""
    if isinstance(end, (int, np.integer)) and start.dtype.kind == "i" and (
        len(start) == 0 or int(end) - int(start.min()) < 2**63
    ):
        return (np.int64(end) - start).astype(float)
    return float(end) - start.astype(float)


def _bin(times: pd.Series | Any, period: Any, kind: str) -> Any:
    """Floor times (a Series or a scalar) to the start of their period."""
    if kind == "numeric":
        return np.floor(np.asarray(times, dtype=float) / period) * period
    if isinstance(times, pd.Series):
        if times.dt.tz is not None:
            times = times.dt.tz_localize(None)  # calendar periods in local wall-clock time
        return times.dt.to_period(period).dt.to_timestamp()
    t = pd.Timestamp(times)
    if t.tz is not None:
        t = t.tz_localize(None)
    return t.to_period(period).to_timestamp()


def rfm_summary(
    data: EventLog | pd.DataFrame,
    *,
    unit: str = "D",
    period: str | float | None = None,
    observation_end: Any = None,
    include_first: bool = False,
    **log_options: Any,
) -> pd.DataFrame:
    """Recency, frequency, monetary value and age of each customer who purchased.

    Only ``conversion`` events are used. Each customer's clock starts at their first purchase.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options``.
    unit : str
        Unit of ``recency`` and ``T`` (pandas Timedelta unit, e.g. ``"D"`` or ``"W"``); ignored
        for numeric timestamps, which keep their own unit.
    period : str, float or None
        ``None`` (default): exact times; conversions of a customer at one and the same timestamp
        are one purchase (a split order: values summed), all others count. A pandas period alias
        (``"D"``, ``"W"``, ``"M"``, ``"h"``, ...): purchase times are floored to the start of
        their calendar period (local wall-clock time for tz-aware logs), at most one purchase is
        counted per customer and period (the values of purchases in one period are summed), and
        ``recency`` and ``T`` are measured between period starts. For numeric timestamps give
        a positive number: periods are the bins ``[k * period, (k + 1) * period)``.
    observation_end : scalar, optional
        End of the observation (calibration) period, default the log's ``observation_end``.
        Purchases after it are ignored (counted in ``attrs["n_purchases_after_end"]``); a later
        time extends the window (you assert that nothing was bought in between).
    include_first : bool
        Average ``monetary_value`` over all purchase periods, including the first, instead of
        over the repeat purchases only. ``frequency`` always counts repeat purchases.
    **log_options
        Passed to :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per customer with at least one purchase up to ``observation_end``, ordered by
        customer id, with columns

        * ``customer_id``;
        * ``frequency``: number of repeat purchases (purchase periods, or distinct purchase
          times with ``period=None``, after the first);
        * ``recency``: time from the first to the last purchase (0 if ``frequency == 0``);
        * ``T``: time from the first purchase to ``observation_end`` (the customer's age);
        * ``monetary_value``: mean value of the repeat purchases (0 if there are none), or of
          all purchases with ``include_first``. Only when the log has a ``value`` column;
        * ``n_purchases``: number of conversion events (before aggregation into periods);
        * ``first_purchase``, ``last_purchase``: exact timestamps of the first and last of them;
        * ``total_value``: sum of the values of all purchases, the first included. Only with
          a ``value`` column.

        ``attrs`` holds the settings, ``n_customers_without_purchase`` (customers of the log with
        no purchase up to ``observation_end``; they have no row) and ``n_purchases_after_end``.

    Raises
    ------
    ValidationError
        If the log has no conversion, or none up to ``observation_end``, or a parameter is bad.

    Notes
    -----
    The table equals ``lifetimes.utils.summary_data_from_transaction_data`` with ``freq=period``
    and ``freq_multiplier = unit / period`` (e.g. ``period="D", unit="W"`` is ``freq="D",
    freq_multiplier=7``), with three differences of convention:

    * ``lifetimes`` always bins into periods; ``period=None`` here keeps exact times (the same as
      ``lifetimes`` with ``freq`` equal to the data's resolution, e.g. ``"s"``).
    * ``lifetimes`` keeps purchases that fall in the period of ``observation_end`` but after it;
      here purchases strictly after ``observation_end`` are ignored. Its default end is the last
      purchase; here the log's ``observation_end``.
    * ``include_first_transaction=True`` in ``lifetimes`` also adds 1 to ``frequency``; here
      ``include_first`` changes ``monetary_value`` only, so ``frequency`` stays the repeat count
      that BG/NBD and Pareto/NBD expect.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 18:00",
    ...                                  "2025-01-08 09:00", "2025-01-05 12:00"]),
    ...     "event": "conversion",
    ...     "value": [10.0, 5.0, 20.0, 8.0],
    ... })
    >>> r = rfm_summary(df, period="D", observation_end="2025-01-29")
    >>> r[["customer_id", "frequency", "recency", "T", "monetary_value", "n_purchases"]]
      customer_id  frequency  recency     T  monetary_value  n_purchases
    0           a          1      7.0  28.0            20.0            3
    1           b          0      0.0  24.0             0.0            1
    """
    unit = check_unit(unit)
    check_scalar(include_first, "include_first", typ=bool)
    log, _ = prepare(data, log_options)
    period = _check_period(period, log)
    end = _coerce_end(observation_end, log)
    if end < log.observation_start:
        raise ValidationError(
            f"observation_end == {end} is before the log's observation_start == "
            f"{log.observation_start}."
        )
    ev = log.events
    n = log.n_customers
    ts_all = ev["timestamp"]
    is_conv = ev["event"].to_numpy() == "conversion"
    require_event(
        log, is_conv, "conversion", "rfm_summary",
        "Purchases must have event type 'conversion'.",
    )
    after_end = is_conv & (ts_all > end).to_numpy()
    cp = np.flatnonzero(is_conv & ~after_end)
    if cp.size == 0:
        raise ValidationError(
            f"rfm_summary: all {int(is_conv.sum())} conversions are after observation_end == "
            f"{end}; there is no purchase history to summarise. Choose a later observation_end."
        )
    c = log.customer_codes[cp]
    ts = ts_all.iloc[cp].reset_index(drop=True)
    if period is None:
        binned, end_binned = ts, end
    else:
        binned = _bin(ts, period, log.time_kind)
        end_binned = _bin(end, period, log.time_kind)
    # a purchase period starts at every new customer or new (binned) time
    bkey = pd.factorize(binned)[0]
    new_period = np.r_[True, (c[1:] != c[:-1]) | (bkey[1:] != bkey[:-1])]
    if log.time_kind == "numeric":
        binned = pd.Series(np.asarray(binned))  # integer times stay exact integers

    new_cust = np.r_[True, c[1:] != c[:-1]]
    first_i = np.flatnonzero(new_cust)
    last_i = np.r_[first_i[1:] - 1, cp.size - 1]
    buyers = c[first_i]
    pstart = np.flatnonzero(new_period)
    pc = c[pstart]
    n_periods = np.bincount(pc, minlength=n)[buyers]
    frequency = n_periods - 1

    b_first = binned.iloc[first_i].reset_index(drop=True)
    b_last = binned.iloc[last_i].reset_index(drop=True)
    if log.time_kind == "numeric":
        recency = (b_last - b_first).to_numpy().astype(float)
        age = _minus(end_binned, b_first.to_numpy())
    else:
        one = pd.Timedelta(1, unit=unit)
        recency = ((b_last - b_first) / one).to_numpy(dtype=float)
        age = ((end_binned - b_first) / one).to_numpy(dtype=float)

    out = pd.DataFrame(
        {
            "customer_id": log.customers[buyers],
            "frequency": frequency.astype(np.int64),
            "recency": recency,
            "T": age,
        }
    )
    if log.has_value:
        v = ev["value"].to_numpy(dtype=float)[cp]
        with np.errstate(over="ignore"):  # sums beyond the double range are inf
            period_value = np.add.reduceat(v, pstart)
        first_period = np.r_[True, pc[1:] != pc[:-1]]
        total = np.bincount(c, weights=v, minlength=n)[buyers]
        if include_first:
            monetary = total / n_periods
        else:
            repeat = np.bincount(
                pc[~first_period], weights=period_value[~first_period], minlength=n
            )[buyers]
            monetary = np.divide(
                repeat, frequency, out=np.zeros(buyers.size), where=frequency > 0
            )
        out["monetary_value"] = monetary
    out["n_purchases"] = np.diff(np.r_[first_i, cp.size]).astype(np.int64)
    out["first_purchase"] = ts.iloc[first_i].reset_index(drop=True)
    out["last_purchase"] = ts.iloc[last_i].reset_index(drop=True)
    if log.has_value:
        out["total_value"] = total
    attrs = base_attrs(log, "rfm_summary", unit)
    attrs.update(
        {
            "period": period,
            "include_first": include_first,
            "observation_end": str(end),
            "observation_end_period_start": str(end_binned) if period is not None else None,
            "n_rows": len(out),
            "n_purchases": int(cp.size),
            "n_purchase_periods": int(pstart.size),
            "n_purchases_after_end": int(after_end.sum()),
            "n_customers_without_purchase": int(n - buyers.size),
            "has_value": bool(log.has_value),
        }
    )
    out.attrs = attrs
    return out


def calibration_holdout(
    data: EventLog | pd.DataFrame,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit: str = "D",
    period: str | float | None = None,
    **log_options: Any,
) -> pd.DataFrame:
    """The RFM table of a calibration period and each customer's purchases in the holdout after it.

    The standard check of a customer-base model (Fader, Hardie & Lee 2005): fit on the
    calibration period, predict each customer's purchases in the holdout, compare with what
    happened. Calibration is ``(start, calibration_end]``, holdout ``(calibration_end,
    observation_end]``; customers whose first purchase is in the holdout are not rows (they are
    counted in ``attrs``).

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log (only ``conversion`` events are used); a DataFrame is validated with
        ``log_options``.
    calibration_end : scalar
        Last moment of the calibration period (a timestamp, or a number for numeric logs).
    observation_end : scalar, optional
        End of the holdout; default the log's ``observation_end``. Must be after
        ``calibration_end``.
    unit : str
        Unit of ``recency``, ``T`` and ``duration_holdout`` (a pandas Timedelta unit), as in
        :func:`rfm_summary`; ignored for numeric timestamps.
    period : str, float or None
        As in :func:`rfm_summary`; it also bins the holdout purchases: at most one per
        customer and period is counted, as in the calibration period.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`rfm_summary` for the calibration period, plus ``frequency_holdout``
        (purchases, or purchase periods, in the holdout), ``monetary_value_holdout`` (mean value
        per holdout purchase period, 0 when none; the lifetimes package averages per transaction
        here but per period in the calibration table) when the log has values, and
        ``duration_holdout`` (length of the holdout in ``unit``). Both periods are cut at the
        exact timestamps given, as lifetimes' ``calibration_and_holdout_data`` does.
        ``attrs`` add ``calibration_end``, ``n_holdout_purchases`` and
        ``n_customers_first_buying_in_holdout`` to those of :func:`rfm_summary`.

    Raises
    ------
    ValidationError
        When ``calibration_end`` is not before ``observation_end``, for the errors of
        :func:`rfm_summary` on the calibration period, or a bad parameter.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3], "timestamp": [0.0, 2.0, 7.0, 1.0, 6.0],
    ...                    "event": "conversion", "value": [5.0, 3.0, 4.0, 9.0, 2.0]})
    >>> ch = calibration_holdout(df, calibration_end=5.0, observation_end=10.0)
    >>> ch[["customer_id", "frequency", "recency", "T", "frequency_holdout", "duration_holdout"]]
       customer_id  frequency  recency    T  frequency_holdout  duration_holdout
    0            1          1      2.0  5.0                  1               5.0
    1            2          0      0.0  4.0                  0               5.0
    """
    log, _ = prepare(data, log_options)
    period = _check_period(period, log)
    cal_end = _coerce_end(calibration_end, log)
    end = _coerce_end(observation_end, log)
    if not cal_end < end:
        raise ValidationError(
            f"calibration_end == {cal_end} must be before observation_end == {end}."
        )
    cal = rfm_summary(log, unit=unit, period=period, observation_end=cal_end)
    ev = log.events
    ts_all = ev["timestamp"]
    in_hold = (
        (ev["event"].to_numpy() == "conversion")
        & (ts_all > cal_end).to_numpy()
        & (ts_all <= end).to_numpy()
    )
    buyer_codes = np.flatnonzero(np.isin(log.customers, cal["customer_id"].to_numpy()))
    in_hold &= np.isin(log.customer_codes, buyer_codes)
    hp = np.flatnonzero(in_hold)
    c = log.customer_codes[hp]
    ts = ts_all.iloc[hp].reset_index(drop=True)
    binned = ts if period is None else _bin(ts, period, log.time_kind)
    bkey = pd.factorize(binned)[0]
    new_period = np.r_[True, (c[1:] != c[:-1]) | (bkey[1:] != bkey[:-1])] if c.size else c
    n = log.n_customers
    counts = np.bincount(c[new_period.astype(bool)], minlength=n) if c.size else np.zeros(n)
    out = cal.copy()
    out["frequency_holdout"] = counts[buyer_codes].astype(np.int64)
    if log.has_value:
        v = ev["value"].to_numpy(dtype=float)[hp]
        total = np.bincount(c, weights=v, minlength=n) if c.size else np.zeros(n)
        k = out["frequency_holdout"].to_numpy()
        out["monetary_value_holdout"] = np.divide(
            total[buyer_codes], k, out=np.zeros(len(k)), where=k > 0
        )
    if log.time_kind == "numeric":
        length = float(_minus(end, np.array([cal_end]))[0]) if isinstance(
            cal_end, (int, np.integer)) else float(end) - float(cal_end)
    elif period is None:
        length = (end - cal_end) / pd.Timedelta(1, unit=unit)
    else:
        length = (_bin(end, period, "datetime") - _bin(cal_end, period, "datetime")) / (
            pd.Timedelta(1, unit=unit)
        )
    out["duration_holdout"] = float(length)
    bought_by_end = (ev["event"].to_numpy() == "conversion") & (ts_all <= end).to_numpy()
    hold_only = np.setdiff1d(np.unique(log.customer_codes[bought_by_end]), buyer_codes)
    out.attrs = {
        **cal.attrs,
        "function": "calibration_holdout",
        "calibration_end": str(cal_end),
        "observation_end": str(end),
        "n_holdout_purchases": int(hp.size),
        "n_customers_first_buying_in_holdout": int(hold_only.size),
    }
    return out
