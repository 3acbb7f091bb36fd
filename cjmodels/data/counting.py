"""Counting-process (start, stop] data from an event log: touches as time-varying covariates.

:func:`counting_process` turns a customer event log into the long table of R survival's
``tmerge`` / lifelines' ``to_long_format``: one row per customer and interval between touches,
with the number of touches received so far, ready for :func:`cjmodels.survival.cox_time_varying`
(``coxph(Surv(start, stop, event) ~ touches)`` in R). It also handles customers whose journey
began before observation did (left truncation), when the log carries their true origin.

Conventions
-----------
* The spell (origin, purchase or censoring time, event flag) is that of
  :func:`cjmodels.data.time_to_first_purchase`; times are measured from the origin in ``unit``.
* A touch at time ``s`` changes the covariate for ``t > s``: the row starting at ``s`` carries
  it (R's ``tmerge(..., tdc(s))``/``cumtdc``). Touches at the origin or before the entry time
  give the initial value; touches at the exit time itself do not split the spell (they cannot
  affect the hazard at that time), nor count.
* Left truncation: with ``origin_column`` (a covariate column of the log holding each
  customer's origin timestamp, e.g. the date of the first contact from a CRM), a customer whose
  origin is before the log's ``observation_start`` enters at ``entry = observation_start -
  origin`` and their first row starts there. Touches before ``observation_start`` are not in the
  log, so ``touches`` counts *recorded* touches only.
* Tie convention (purchase at the entry time, zero-length spell): as in
  :func:`cjmodels.survival.kaplan_meier` and :func:`cjmodels.survival.cox_ph`, the customer
  counts as at risk for their own event time, as if they had entered just before it: the row
  is ``(stop - eps, stop]`` with ``eps`` = 1e-6 of the smallest positive gap between distinct
  times of the table. R survival rejects such rows; ``attrs["n_zero_length"]`` counts them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.durations import time_to_first_purchase
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.errors import ValidationError

__all__ = ["ENTRY_EPS", "counting_process"]

#: Entry times are shifted by this fraction of the smallest positive gap between distinct times,
#: so that a customer entering at ``e`` is at risk only for events at ``t > e``: the (start, stop]
#: risk set of R survival. The survival models (:mod:`cjmodels.survival`) use the same shift.
ENTRY_EPS = 1e-6


def _diff(log: EventLog, a: Any, b: Any, unit: str) -> np.ndarray:
    """``a - b`` in ``unit``, computed directly (not through offsets from the window start).

    Numeric times are rounded to 1e-9 after differencing: on a decimal grid (0.01 days, say)
    ``67.68 - 62.51`` and ``25.17 - 20.0`` differ in the last bits, which would break ties
    between event times at random. Datetime differences are exact (integer nanoseconds).
    """
    if log.time_kind == "numeric":
        return np.round(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), 9)
    a = pd.to_datetime(pd.Series(np.asarray(a)) if np.ndim(a) else pd.Series([a])).to_numpy()
    b = pd.to_datetime(pd.Series(np.asarray(b)) if np.ndim(b) else pd.Series([b])).to_numpy()
    return np.asarray(pd.TimedeltaIndex(a - b) / pd.Timedelta(1, unit=unit), dtype=float)


def counting_process(
    data: EventLog | pd.DataFrame,
    *,
    unit: str = "D",
    origin: str = "first-touch",
    origin_column: str | None = None,
    censor_at_drop_out: bool = True,
    by_channel: bool = False,
    covariates: str | Sequence[str] | None = None,
    **log_options: Any,
) -> pd.DataFrame:
    """Time to first purchase in counting-process form with touches as time-varying covariates.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options``.
    unit : str
        Time unit of ``start``/``stop`` (pandas Timedelta unit; ignored for numeric times).
    origin : {"first-touch", "first-event"}
        Where the clock starts when ``origin_column`` is not given (as in
        :func:`cjmodels.data.time_to_first_purchase`).
    origin_column : str, optional
        Covariate column of the log with each customer's origin time (constant per customer;
        the value on the first event is used). Enables left truncation, see the module notes.
        Origins after a customer's first event are an error.
    censor_at_drop_out : bool
        Censor non-buyers at their first ``drop_out`` (else at the end of observation).
    by_channel : bool
        Add cumulative touch counts per channel, ``touches_<channel>``.
    covariates : str or sequence of str, optional
        Static covariate columns to carry along (value on the customer's first event).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame
        (``customer=``, ``timestamp=``, ``observation_end=``, ...).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``start``, ``stop``, ``event`` (1 on the interval that ends
        with the purchase), ``touches`` (touches recorded at or before ``start``), the
        per-channel counts, then the covariates; ordered by customer and time. ``attrs`` holds
        ``n_customers``, ``n_left_truncated``, ``n_zero_length`` and the settings.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2],
    ...     "timestamp": [0.0, 2.0, 5.0, 7.0, 1.0, 4.0],
    ...     "event": ["touch", "touch", "touch", "conversion", "touch", "touch"],
    ... })
    >>> counting_process(df, observation_end=10.0)
       customer_id  start  stop  event  touches
    0            1    0.0   2.0      0        1
    1            1    2.0   5.0      0        2
    2            1    5.0   7.0      1        3
    3            2    0.0   3.0      0        1
    4            2    3.0   9.0      0        2
    """
    log = as_event_log(data, **log_options)
    covs = [] if covariates is None else ([covariates] if isinstance(covariates, str)
                                          else list(covariates))
    if origin_column is not None and origin_column not in log.covariates:
        raise ValidationError(
            f"origin_column == {origin_column!r} is not a covariate column of the log; it has "
            f"{list(log.covariates)}.")
    if by_channel:
        log.require("channel", purpose="by_channel=True")
    carry = list(dict.fromkeys([*covs, *([origin_column] if origin_column else [])]))
    with warnings.catch_warnings():
        if origin_column is not None:
            warnings.simplefilter("ignore", UserWarning)
        spells = time_to_first_purchase(
            log, origin="first-event" if origin_column else origin,
            censor_at_drop_out=censor_at_drop_out, unit=unit, covariates=carry or None)
    n = len(spells)
    if n == 0:
        excluded = spells.attrs.get("n_excluded", {})
        raise ValidationError(
            "no customer has a time to first purchase to split into intervals: every customer "
            f"was excluded ({excluded}; see time_to_first_purchase). With origin='first-touch' "
            "a purchase before the first touch has no origin: use origin='first-event'."
        )
    code = pd.Index(log.customers).get_indexer(spells["customer_id"].to_numpy())
    origin_raw = spells["start"]  # first event / first touch
    if origin_column is not None:
        org = spells[origin_column]
        if org.isna().any():
            bad = spells["customer_id"][org.isna()].head(5).tolist()
            raise ValidationError(
                f"origin_column {origin_column!r} is missing for customers {bad}; every "
                "customer needs an origin time.")
        try:
            late = _diff(log, org, spells["start"], unit) > 0
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"origin_column {origin_column!r} must hold times like the timestamps ({exc})."
            ) from None
        if late.any():
            bad = spells["customer_id"][late].head(5).tolist()
            raise ValidationError(
                f"origin_column {origin_column!r} is after the first recorded event for "
                f"{int(late.sum())} customers (e.g. {bad}); the origin must come first.")
        origin_raw = org
    origin_arr = origin_raw.to_numpy()
    entry = np.maximum(_diff(log, np.repeat(log.observation_start, n) if log.time_kind ==
                             "numeric" else [log.observation_start] * n, origin_arr, unit), 0.0)
    dur = _diff(log, spells["stop"].to_numpy(), origin_arr, unit)
    event = spells["event"].to_numpy(np.int64)

    # touches of the customers with a spell, relative to the origin
    is_touch = log.is_event("touch")
    tcode_all = log.customer_codes[is_touch]
    spell_of_code = np.full(log.n_customers, -1, dtype=np.int64)
    spell_of_code[code] = np.arange(n)
    sp = spell_of_code[tcode_all]
    ok = sp >= 0
    sp = sp[ok]
    rel = _diff(log, log.events["timestamp"].to_numpy()[is_touch][ok], origin_arr[sp], unit)
    keep = (rel < dur[sp]) | (rel <= entry[sp])  # touches at the exit do not count
    sp, rel = sp[keep], rel[keep]
    channels: list[str] = []
    ch_codes = None
    if by_channel:
        cc, labels = log.codes("channel")
        ch_codes = cc[is_touch][ok][keep]
        channels = [str(x) for x in labels]

    # split points: distinct touch times strictly inside (entry, exit)
    inside = rel > entry[sp]
    cut_sp = np.r_[sp[inside], np.arange(n), np.arange(n)]
    cut_t = np.r_[rel[inside], entry, dur]
    order = np.lexsort((cut_t, cut_sp))
    cut_sp, cut_t = cut_sp[order], cut_t[order]
    dup = np.r_[False, (cut_sp[1:] == cut_sp[:-1]) & (cut_t[1:] == cut_t[:-1])]
    cut_sp, cut_t = cut_sp[~dup], cut_t[~dup]
    last = np.r_[cut_sp[1:] != cut_sp[:-1], True]
    row_sp = cut_sp[~last]
    start = cut_t[~last]
    stop = cut_t[1:][~last[:-1]]
    # zero-length spells (exit at entry) have a single point: add their row
    zero = np.flatnonzero(dur <= entry)
    if zero.size:
        row_sp = np.r_[row_sp, zero]
        start = np.r_[start, entry[zero]]
        stop = np.r_[stop, dur[zero]]
        o = np.lexsort((start, row_sp))
        row_sp, start, stop = row_sp[o], start[o], stop[o]

    # cumulative touches at or before each row start: merge touches and row starts, touches
    # first at equal times
    def counts_at(mask: np.ndarray) -> np.ndarray:
        m_sp, m_t = sp[mask], rel[mask]
        all_sp = np.r_[m_sp, row_sp]
        kind = np.r_[np.zeros(m_sp.size, np.int8), np.ones(row_sp.size, np.int8)]
        o = np.lexsort((kind, np.r_[m_t, start], all_sp))
        s_sp = all_sp[o]
        cum = np.cumsum(kind[o] == 0)
        first = np.r_[True, s_sp[1:] != s_sp[:-1]]
        g = np.maximum.accumulate(np.where(first, np.arange(o.size), 0))
        prior = np.where(g > 0, cum[np.maximum(g - 1, 0)], 0)
        res = np.empty(o.size, dtype=np.int64)
        res[o] = cum - prior
        return res[m_sp.size:]

    touches = counts_at(np.ones(sp.size, dtype=bool))
    by_ch = {f"touches_{name}": counts_at(ch_codes == k) for k, name in enumerate(channels)}
    row_event = np.where(stop == dur[row_sp], event[row_sp], 0)
    n_zero = int(zero.size)
    if n_zero:
        times = np.unique(np.r_[start, stop])
        gap = np.min(np.diff(times)) if times.size > 1 else 1.0
        start = np.where(stop <= start, stop - ENTRY_EPS * gap, start)
    out = pd.DataFrame({
        "customer_id": spells["customer_id"].to_numpy()[row_sp],
        "start": start,
        "stop": stop,
        "event": row_event.astype(np.int64),
        "touches": touches,
    })
    for name, col in by_ch.items():
        out[name] = col
    for c in covs:
        out[c] = spells[c].to_numpy()[row_sp]
    out.attrs = {
        "function": "counting_process", "unit": unit, "origin": origin_column or origin,
        "n_customers": n, "n_events": int(event.sum()),
        "n_left_truncated": int((entry > 0).sum()), "n_zero_length": n_zero,
        "observation_start": str(log.observation_start),
        "n_excluded": spells.attrs.get("n_excluded"),
    }
    return out
