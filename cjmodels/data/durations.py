"""Survival-ready durations from an event log.

Three conversions turn a customer event log into one row per unit at risk, with a ``duration``
and an ``event`` column (1 = the event of interest happened, 0 = right-censored) that go straight
into :mod:`lifelines` fitters:

* :func:`time_to_first_purchase`: from the first touch (or first event) to the first conversion;
* :func:`interpurchase_times`: gaps between consecutive conversions of a customer;
* :func:`subscription_lifetimes`: from each ``subscribe`` to the next ``churn``.

The counted form of the first, which engines compute too, is
:func:`cjmodels.data.first_purchase_counts` (:mod:`cjmodels.data.purchase_counts`).

Conventions shared by all three
-------------------------------
* Times come from the sorted :class:`~cjmodels.data.EventLog`. At equal timestamps events are
  ordered ``subscribe``, ``assignment``, ``touch``, ``conversion``, ``drop_out``, ``churn``, so a
  touch recorded at the same time as a conversion counts as *before* it.
* ``duration`` is ``(stop - start)`` in ``unit`` (a pandas Timedelta unit: ``"D"``, ``"h"``,
  ``"W"``, ...). Logs with numeric timestamps keep their own unit and ignore ``unit``.
* Spells still open at the log's ``observation_end`` are censored there (``event == 0``).
* ``df.attrs`` records the settings and counts of customers without a row, so that nobody is
  dropped silently.
* Durations of exactly 0 can occur (purchase at the same time as the first touch, two purchases
  at one timestamp). :class:`lifelines.KaplanMeierFitter` and :class:`lifelines.CoxPHFitter`
  accept them; parametric fitters (Weibull, log-normal, ...) reject non-positive durations. For
  those, either drop the zeros or shift them by a fraction of the time resolution of your data,
  e.g. ``df["duration"] = df["duration"].clip(lower=0.5 / 24)`` for hourly data in days, and
  report which you did.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.errors import ValidationError

__all__ = [
    "interpurchase_times",
    "subscription_lifetimes",
    "time_to_first_purchase",
]

_MAX_SHOWN = 5


# --------------------------------------------------------------------------- shared helpers
def check_unit(unit: Any) -> str:
    """Validate a pandas Timedelta unit and return it."""
    ok = isinstance(unit, str)
    if ok:
        try:
            pd.Timedelta(1, unit=unit)
        except (TypeError, ValueError):
            ok = False
    if not ok:
        raise ValidationError(
            f"unit == {unit!r}, must be a pandas Timedelta unit such as 'D' (days), 'h' (hours), "
            "'W' (weeks), 'min' or 's'. Calendar months and years have no fixed length: use 'D' "
            "and convert."
        )
    return unit


def _as_covariate_list(covariates: str | Sequence[str] | None) -> list[str]:
    if covariates is None:
        return []
    if isinstance(covariates, str):
        return [covariates]
    out = list(covariates)
    bad = [c for c in out if not isinstance(c, str)]
    if bad:
        raise ValidationError(f"covariates must be column names (str), got {bad!r}.")
    return out


def prepare(
    data: EventLog | pd.DataFrame,
    log_options: dict[str, Any],
    covariates: str | Sequence[str] | None = None,
    reserved: Sequence[str] = (),
) -> tuple[EventLog, list[str]]:
    """Build the log (carrying only the requested covariates) and check the covariate names."""
    covs = _as_covariate_list(covariates)
    if isinstance(data, pd.DataFrame) and "covariates" not in log_options:
        log_options = {**log_options, "covariates": covs}  # carry only what is asked for
    log = as_event_log(data, **log_options)
    missing = [c for c in covs if c not in log.covariates]
    if missing:
        raise ValidationError(
            f"covariates {missing} are not covariate columns of the event log; it has "
            f"{list(log.covariates)}. Name columns of the data that are not the customer, "
            "timestamp, event, channel, stage or value column."
        )
    clash = [c for c in covs if c in reserved]
    if clash:
        raise ValidationError(
            f"covariates {clash} clash with output columns {list(reserved)}; rename them in the "
            "data first."
        )
    return log, covs


def _first_pos(codes: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Row position of the first True of ``mask`` for each customer code, -1 where there is none."""
    out = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(mask)
    if pos.size:
        c = codes[pos]
        keep = np.r_[True, c[1:] != c[:-1]]  # codes are non-decreasing
        out[c[keep]] = pos[keep]
    return out


def _take(col: pd.Series, pos: np.ndarray, fill: Any = None) -> pd.Series:
    """``col`` at row positions ``pos`` (-1 gives ``fill``), with a fresh RangeIndex."""
    pos = np.asarray(pos, dtype=np.int64)
    arr = col.to_numpy() if col.dtype.kind in "iuf" and isinstance(col.dtype, np.dtype) else None
    if arr is not None and fill is not None:  # numbers: kept exact, no detour through NaN
        missing = pos < 0
        vals = arr[np.where(missing, 0, pos)] if len(arr) else np.zeros(len(pos), arr.dtype)
        if missing.any():
            integral = isinstance(fill, (int, np.integer)) and not isinstance(fill, bool)
            if vals.dtype.kind not in "iu" or not integral:
                vals = vals.astype(float)
            vals[missing] = fill
        return pd.Series(vals, name=col.name)
    out = pd.Series(col.array.take(pos, allow_fill=True), name=col.name)
    if fill is not None and (pos < 0).any():
        out[pos < 0] = fill
    return out


def _span(log: EventLog, start: pd.Series, stop: pd.Series, unit: str) -> np.ndarray:
    """``stop - start`` as floats in ``unit`` (log units for numeric time)."""
    if log.time_kind == "numeric":
        a, b = stop.to_numpy(), start.to_numpy()
        if a.dtype.kind == "i" and b.dtype.kind == "i":
            return (a - b).astype(float)  # integer times: exact difference, then one rounding
        return a.astype(float) - b.astype(float)
    return ((stop - start) / pd.Timedelta(1, unit=unit)).to_numpy(dtype=float)


def _time_keys(log: EventLog) -> np.ndarray:
    """Integer codes that are equal exactly when two events have the same timestamp."""
    return pd.factorize(log.events["timestamp"])[0]


def base_attrs(log: EventLog, function: str, unit: str) -> dict[str, Any]:
    return {
        "function": function,
        "unit": unit if log.time_kind == "datetime" else None,
        "time_kind": log.time_kind,
        "observation_start": str(log.observation_start),
        "observation_end": str(log.observation_end),
        "n_customers": int(log.n_customers),
    }


def _py(x: Any) -> Any:
    """A numpy scalar as the Python scalar (for readable messages)."""
    return x.item() if isinstance(x, np.generic) else x


def _examples(ids: np.ndarray) -> str:
    shown = ", ".join(repr(_py(x)) for x in ids[:_MAX_SHOWN])
    more = f" and {len(ids) - _MAX_SHOWN} more" if len(ids) > _MAX_SHOWN else ""
    return f"[{shown}{more}]"


def require_event(log: EventLog, mask: np.ndarray, event: str, purpose: str, hint: str) -> None:
    if not mask.any():
        counts = log.events["event"].value_counts().to_dict()
        raise ValidationError(
            f"{purpose} needs {event!r} events, but the event log has none (its event types are "
            f"{ {str(k): int(v) for k, v in counts.items()} }). {hint}"
        )


# --------------------------------------------------------------------------- time to purchase
def time_to_first_purchase(
    data: EventLog | pd.DataFrame,
    *,
    origin: str = "first-touch",
    censor_at_drop_out: bool = True,
    unit: str = "D",
    covariates: str | Sequence[str] | None = None,
    **log_options: Any,
) -> pd.DataFrame:
    """Time from a customer's first touch (or first event) to their first purchase.

    One row per customer at risk, ready for :class:`lifelines.KaplanMeierFitter` or
    :class:`lifelines.CoxPHFitter` (``duration_col="duration"``, ``event_col="event"``).

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options`` (column names, observation
        window, ...), see :class:`~cjmodels.data.EventLog`.
    origin : {"first-touch", "first-event"}
        Where the clock starts: the customer's first ``touch`` event, or their first event of any
        type (subscribe, assignment, touch, ...).
    censor_at_drop_out : bool
        Censor a customer who has not purchased at their first ``drop_out`` event (at or after the
        origin). If False, or if there is no drop-out, non-buyers are censored at the log's
        ``observation_end``. A customer who purchases after a drop-out counts as a purchase.
    unit : str
        Unit of ``duration`` (pandas Timedelta unit); ignored for numeric timestamps.
    covariates : str or sequence of str, optional
        Covariate columns of the log to carry along: each customer's value on their first event.
    **log_options
        Passed to :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per customer (except the excluded ones, see below), ordered by customer id,
        with columns

        ``customer_id``; ``start``, ``stop`` (timestamps: origin and purchase or censoring
        time); ``duration`` (float, ``stop - start`` in ``unit``); ``event`` (1 = purchase,
        0 = censored); ``censor_reason`` (``None`` for purchases, else ``"drop_out"`` or
        ``"observation_end"``); ``first_channel`` (channel of the first touch before ``stop``,
        ``None`` if there is none or the log has no channel column); ``n_touches`` (touches from
        the origin up to the purchase or censoring, ties at ``stop`` included); then the
        requested covariates.

        ``attrs`` holds the settings and ``n_excluded``: customers without a row because they
        purchased before any touch (``"converted_before_first_touch"``) or have no touch at all
        (``"no_touch"``); both are 0 for ``origin="first-event"``.

    Notes
    -----
    With ``origin="first-touch"`` a customer whose first purchase comes before any touch has no
    defined origin: the purchase was not preceded by a marketing contact. Such customers are
    excluded, counted in ``attrs["n_excluded"]`` and announced with a :class:`UserWarning`.
    To keep them, use ``origin="first-event"``: a customer whose first event is the purchase then
    gets ``duration == 0`` and ``event == 1``.

    A purchase at the same timestamp as the first touch gives ``duration == 0`` (counted in
    ``attrs["n_zero_duration"]``). Kaplan-Meier and Cox fits accept it; parametric lifelines
    fitters do not, see the module notes for the usual fix.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-04",
    ...                                  "2025-01-02", "2025-01-10"]),
    ...     "event": ["touch", "touch", "conversion", "touch", "touch"],
    ...     "channel": ["search", "email", None, "social", "email"],
    ... })
    >>> t = time_to_first_purchase(df)
    >>> t[["customer_id", "duration", "event", "censor_reason", "first_channel", "n_touches"]]
       customer_id  duration  event    censor_reason first_channel  n_touches
    0            1       3.0      1             None        search          2
    1            2       8.0      0  observation_end        social          2
    """
    check_scalar(origin, "origin", in_=("first-touch", "first-event"))
    check_scalar(censor_at_drop_out, "censor_at_drop_out", typ=bool)
    unit = check_unit(unit)
    reserved = (
        "customer_id", "start", "stop", "duration", "event", "censor_reason", "first_channel",
        "n_touches",
    )
    log, covs = prepare(data, log_options, covariates, reserved)
    ev = log.events
    n_rows, n = len(ev), log.n_customers
    codes = log.customer_codes
    etype = ev["event"].to_numpy()
    pos = np.arange(n_rows)
    is_touch = etype == "touch"
    is_conv = etype == "conversion"

    first_row = _first_pos(codes, np.ones(n_rows, dtype=bool), n)
    first_touch = _first_pos(codes, is_touch, n)
    if origin == "first-touch":
        require_event(
            log, is_touch, "touch", "time_to_first_purchase(origin='first-touch')",
            "Use origin='first-event' to start the clock at each customer's first event.",
        )
        start_pos = first_touch
    else:
        start_pos = first_row
    has_start = start_pos >= 0
    after = has_start[codes] & (pos >= start_pos[codes])

    first_conv = _first_pos(codes, is_conv, n)
    conv_before = has_start & (first_conv >= 0) & (first_conv < start_pos)
    keep = has_start & ~conv_before
    converted = keep & (first_conv >= 0)
    if censor_at_drop_out:
        drop_pos = _first_pos(codes, (etype == "drop_out") & after, n)
    else:
        drop_pos = np.full(n, -1, dtype=np.int64)
    dropped = keep & ~converted & (drop_pos >= 0)
    stop_pos = np.where(converted, first_conv, np.where(dropped, drop_pos, -1))

    # touches from the origin up to the stopping row (all of them when censored at the end)
    limit = np.where(stop_pos >= 0, stop_pos, n_rows)
    counted = is_touch & after & (pos < limit[codes])
    n_touches = np.bincount(codes[counted], minlength=n)
    has_first_channel = (first_touch >= 0) & (first_touch < limit)

    n_conv_before = int(conv_before.sum())
    n_no_touch = int((~has_start).sum())
    if n_conv_before or n_no_touch:
        ids = log.customers
        parts = []
        if n_conv_before:
            parts.append(
                f"{n_conv_before} customers purchased before their first touch "
                f"{_examples(ids[conv_before])}"
            )
        if n_no_touch:
            parts.append(f"{n_no_touch} customers have no touch {_examples(ids[~has_start])}")
        warnings.warn(
            "time_to_first_purchase: " + " and ".join(parts) + "; they have no origin and are "
            "excluded (counted in attrs['n_excluded']). Use origin='first-event' to keep them.",
            UserWarning,
            stacklevel=2,
        )

    idx = np.flatnonzero(keep)
    ts = ev["timestamp"]
    start = _take(ts, start_pos[idx])
    stop = _take(ts, stop_pos[idx], fill=log.observation_end)
    duration = _span(log, start, stop, unit)
    reason = np.where(
        converted[idx], None, np.where(dropped[idx], "drop_out", "observation_end")
    ).astype(object)
    if log.has_channel:
        ft = np.where(has_first_channel[idx], first_touch[idx], -1)
        first_channel = _take(ev["channel"], ft).astype(object)
        first_channel = first_channel.where(ft >= 0, None)
    else:
        first_channel = pd.Series([None] * len(idx), dtype=object)
    out = pd.DataFrame(
        {
            "customer_id": log.customers[idx],
            "start": start,
            "stop": stop,
            "duration": duration,
            "event": converted[idx].astype(np.int64),
            # object columns (None where absent) under pandas 2 and 3 alike
            "censor_reason": pd.Series(reason, dtype=object),
            "first_channel": pd.Series(first_channel.to_numpy(dtype=object), dtype=object),
            "n_touches": n_touches[idx].astype(np.int64),
        }
    )
    for cov in covs:
        out[cov] = _take(ev[cov], first_row[idx])
    out.attrs = {
        **base_attrs(log, "time_to_first_purchase", unit),
        "origin": origin,
        "censor_at_drop_out": censor_at_drop_out,
        "covariates": covs,
        "n_rows": len(out),
        "n_events": int(converted.sum()),
        "n_censored_drop_out": int(dropped.sum()),
        "n_censored_observation_end": int((keep & ~converted & ~dropped).sum()),
        "n_excluded": {"converted_before_first_touch": n_conv_before, "no_touch": n_no_touch},
        "n_zero_duration": int((duration == 0).sum()),
    }
    return out


# --------------------------------------------------------------------------- interpurchase
def interpurchase_times(
    data: EventLog | pd.DataFrame, *, unit: str = "D", **log_options: Any
) -> pd.DataFrame:
    """Gaps between a customer's consecutive purchases, the last one censored.

    A customer with ``k`` conversions gives ``k`` rows: ``k - 1`` observed gaps (``event == 1``)
    and the gap from the last conversion to the log's ``observation_end`` (``event == 0``).
    Customers without a conversion give no row (counted in ``attrs``).

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options``.
    unit : str
        Unit of ``duration`` (pandas Timedelta unit); ignored for numeric timestamps.
    **log_options
        Passed to :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``purchase_number`` (1 = the gap after the customer's first
        purchase), ``start``, ``stop`` (timestamps), ``duration`` (float in ``unit``), ``event``
        (1 = next purchase observed, 0 = censored at ``observation_end``). Ordered by customer
        and purchase number.

    Notes
    -----
    Conversions are not aggregated: two purchases at one timestamp give a gap of 0 (counted in
    ``attrs["n_zero_duration"]``); a purchase at ``observation_end`` gives a censored gap of 0.
    Aggregate such purchases before building the log if they are one order.

    Every gap is one row, so a customer contributes several correlated rows; a Kaplan-Meier curve
    of all rows estimates the gap distribution pooled over purchases, not a per-customer
    quantity. Stratify on ``purchase_number`` or use cluster-robust errors
    (``CoxPHFitter(...).fit(..., cluster_col="customer_id")``) where that matters.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "timestamp": [0.0, 2.0, 7.0, 4.0],
    ...                    "event": ["conversion", "conversion", "touch", "conversion"]})
    >>> interpurchase_times(df, observation_end=10.0)
      customer_id  purchase_number  start  stop  duration  event
    0           a                1    0.0   2.0       2.0      1
    1           a                2    2.0  10.0       8.0      0
    2           b                1    4.0  10.0       6.0      0
    """
    unit = check_unit(unit)
    log, _ = prepare(data, log_options)
    ev = log.events
    codes = log.customer_codes
    is_conv = ev["event"].to_numpy() == "conversion"
    require_event(
        log, is_conv, "conversion", "interpurchase_times",
        "Purchases must have event type 'conversion'.",
    )
    cp = np.flatnonzero(is_conv)
    c = codes[cp]
    k = cp.size
    same_next = np.r_[c[1:] == c[:-1], False]
    stop_pos = np.where(same_next, np.r_[cp[1:], -1], -1)
    new_cust = np.r_[True, c[1:] != c[:-1]]
    idx = np.arange(k)
    group_first = np.maximum.accumulate(np.where(new_cust, idx, 0))
    ts = ev["timestamp"]
    start = _take(ts, cp)
    stop = _take(ts, stop_pos, fill=log.observation_end)
    duration = _span(log, start, stop, unit)
    out = pd.DataFrame(
        {
            "customer_id": ev["customer_id"].to_numpy()[cp],
            "purchase_number": (idx - group_first + 1).astype(np.int64),
            "start": start,
            "stop": stop,
            "duration": duration,
            "event": same_next.astype(np.int64),
        }
    )
    n_buyers = int(new_cust.sum())
    out.attrs = {
        **base_attrs(log, "interpurchase_times", unit),
        "n_rows": len(out),
        "n_conversions": int(k),
        "n_customers_with_purchase": n_buyers,
        "n_customers_without_purchase": int(log.n_customers - n_buyers),
        "n_events": int(same_next.sum()),
        "n_zero_duration": int((duration == 0).sum()),
    }
    return out


# --------------------------------------------------------------------------- subscriptions
def subscription_lifetimes(
    data: EventLog | pd.DataFrame,
    *,
    unit: str = "D",
    covariates: str | Sequence[str] | None = None,
    **log_options: Any,
) -> pd.DataFrame:
    """Subscription spells: from each ``subscribe`` event to the next ``churn`` event.

    Each customer's ``subscribe`` and ``churn`` events must alternate, starting with a subscribe
    (other event types are ignored). Every subscribe opens a spell; the next churn closes it
    (``event == 1``); a spell still open at the log's ``observation_end`` is censored there
    (``event == 0``). A customer who churns and re-subscribes gives several spells.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log; a DataFrame is validated with ``log_options``.
    unit : str
        Unit of ``duration`` (pandas Timedelta unit); ignored for numeric timestamps.
    covariates : str or sequence of str, optional
        Covariate columns to carry along: the value on the spell's ``subscribe`` row (so a plan
        that changes between spells is reported per spell).
    **log_options
        Passed to :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``spell`` (1, 2, ... per customer), ``start``, ``stop``
        (timestamps), ``duration`` (float in ``unit``), ``event`` (1 = churned, 0 = censored),
        then the covariates. Ordered by customer and spell.

    Raises
    ------
    ValidationError
        If the log has no ``subscribe`` event, if a customer churns without an open subscription
        (no earlier subscribe, or two churns in a row), or subscribes again while a subscription
        is open. The message names the customers and times.

    Notes
    -----
    Ties at one timestamp are resolved so that the sequence can alternate: when a subscription is
    open, a churn and a subscribe at the same time are read as "churn, then re-subscribe" (spell
    ends, a new one starts); when none is open, as "subscribe, then churn" (a spell of length 0,
    counted in ``attrs["n_zero_duration"]``). More events at one instant alternate the same way.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "timestamp": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-03-01",
    ...                                  "2025-01-15"]),
    ...     "event": ["subscribe", "churn", "subscribe", "subscribe"],
    ...     "plan": ["basic", "basic", "premium", "basic"],
    ... })
    >>> s = subscription_lifetimes(df, covariates=["plan"], observation_end="2025-04-01")
    >>> s[["customer_id", "spell", "duration", "event", "plan"]]
       customer_id  spell  duration  event     plan
    0            1      1      30.0      1    basic
    1            1      2      31.0      0  premium
    2            2      1      76.0      0    basic
    """
    unit = check_unit(unit)
    log, covs = prepare(
        data, log_options, covariates,
        ("customer_id", "spell", "start", "stop", "duration", "event"),
    )
    ev = log.events
    codes = log.customer_codes
    etype = ev["event"].to_numpy()
    is_sub = etype == "subscribe"
    is_churn = etype == "churn"
    require_event(
        log, is_sub, "subscribe", "subscription_lifetimes",
        "Each subscription must start with a 'subscribe' event (and may end with 'churn').",
    )
    sc = np.flatnonzero(is_sub | is_churn)
    c = codes[sc]
    step = np.where(is_sub[sc], 1, -1)
    tk = _time_keys(log)[sc]
    m = sc.size
    idx = np.arange(m)
    new_cust = np.r_[True, c[1:] != c[:-1]]
    new_grp = new_cust | np.r_[True, tk[1:] != tk[:-1]]
    cust_first = np.maximum.accumulate(np.where(new_cust, idx, 0))
    grp_first = np.maximum.accumulate(np.where(new_grp, idx, 0))

    # Open subscriptions just before each timestamp group: does not depend on the order inside.
    cum = np.cumsum(step)
    before = cum - step  # running total before each element
    open_before_grp = before[grp_first] - before[cust_first]
    # Inside a group, alternate: churn first when a subscription is open, subscribe first
    # otherwise. The i-th subscribe / j-th churn of the group get ranks 2i, 2j + 1 (or the
    # reverse), so "S C S" at one instant is read as subscribe, churn, re-subscribe.
    is_s = step == 1
    n_s = np.cumsum(is_s) - is_s  # subscribes before each element
    n_c = np.cumsum(~is_s) - ~is_s  # churns before each element
    i_s = n_s - n_s[grp_first]
    i_c = n_c - n_c[grp_first]
    key = np.where(
        open_before_grp == 1,
        np.where(is_s, 2 * i_s + 1, 2 * i_c),
        np.where(is_s, 2 * i_s, 2 * i_c + 1),
    )
    order = np.lexsort((key, grp_first))
    sc, step, c = sc[order], step[order], c[order]
    cum = np.cumsum(step)
    balance = cum - (cum - step)[cust_first]  # open subscriptions after each event

    ts = ev["timestamp"]
    for bad, what, fix in (
        (
            balance < 0,
            "a 'churn' event without an open subscription (no earlier 'subscribe', or the "
            "previous spell already ended with a churn)",
            "Every churn must follow a subscribe of the same customer: add the missing "
            "subscribe events or drop the stray churn rows.",
        ),
        (
            balance > 1,
            "a second 'subscribe' event while a subscription is still open",
            "subscribe and churn must alternate; if these are renewals or plan changes, drop "
            "them or give them another event type and keep the plan as a covariate.",
        ),
    ):
        if bad.any():
            rows = sc[bad]
            cust_bad, first_of_cust = np.unique(c[bad], return_index=True)
            examples = ", ".join(
                f"customer {_py(ev['customer_id'].iat[r])!r} at {ts.iat[r]}"
                for r in rows[first_of_cust][:_MAX_SHOWN]
            )
            raise ValidationError(
                f"subscription_lifetimes: {cust_bad.size} customers have {what}, e.g. "
                f"{examples}. {fix}"
            )

    sub = np.flatnonzero(step == 1)
    nxt = sub + 1
    closed = np.zeros(sub.size, dtype=bool)
    in_range = nxt < m
    closed[in_range] = c[nxt[in_range]] == c[sub[in_range]]
    stop_pos = np.full(sub.size, -1, dtype=np.int64)
    stop_pos[closed] = sc[nxt[closed]]
    spell_cum = np.cumsum(step == 1)
    # customer blocks keep their positions under the reordering, so cust_first still applies
    spell = (spell_cum - (spell_cum - (step == 1))[cust_first])[sub]
    start = _take(ts, sc[sub])
    stop = _take(ts, stop_pos, fill=log.observation_end)
    duration = _span(log, start, stop, unit)
    out = pd.DataFrame(
        {
            "customer_id": ev["customer_id"].to_numpy()[sc[sub]],
            "spell": spell.astype(np.int64),
            "start": start,
            "stop": stop,
            "duration": duration,
            "event": closed.astype(np.int64),
        }
    )
    for cov in covs:
        out[cov] = _take(ev[cov], sc[sub])
    n_subscribers = int(np.unique(c).size)
    out.attrs = {
        **base_attrs(log, "subscription_lifetimes", unit),
        "covariates": covs,
        "n_rows": len(out),
        "n_customers_with_subscription": n_subscribers,
        "n_customers_without_subscription": int(log.n_customers - n_subscribers),
        "n_events": int(closed.sum()),
        "n_zero_duration": int((duration == 0).sum()),
    }
    return out
