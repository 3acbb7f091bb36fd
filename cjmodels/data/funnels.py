"""After-assignment outcomes per customer: deepest funnel stage reached, time to purchase.

Two reductions of an event log with ``assignment`` events, one row per assigned customer, built
on :func:`cjmodels.data.experiment_table` (the arm, the assignment time, ``window`` and
``end``):

* :func:`funnel_table`: the deepest stage reached after assignment (the input of
  :func:`cjmodels.experiments.funnel_test`);
* :func:`purchase_times`: the time from the assignment to the first conversion at or after it,
  or to the end of follow-up (the input of
  :func:`cjmodels.experiments.compare_time_to_purchase`).

Conventions of :func:`purchase_times`
-------------------------------------
* **Origin: the assignment.** The clock starts at the customer's first ``assignment`` event
  (the randomisation), not at the first touch or first event: time before randomisation is
  not affected by the treatment, and purchases before assignment (a pre-period) must not
  count. :func:`cjmodels.data.time_to_first_purchase` starts at the first touch or first
  event instead.
* **Censoring is administrative only**: at the end of observation (``end``, default the log's
  ``observation_end``) or of the outcome ``window``. Censoring then depends only on the
  assignment time, which is independent of the arm, so the comparison is of randomised groups.
  ``drop_out`` events do *not* censor (a customer who drops out and never returns simply has not
  purchased; one who returns and buys counts): treating drop-out as censoring would assume it
  is unrelated to purchasing, which an experiment's treatment may well break.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._compat import as_timedelta
from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.experiments import experiment_table
from cjmodels.errors import ValidationError

__all__ = ["funnel_table", "purchase_times"]

_UNIT_NAMES = {"D": "days", "h": "hours", "W": "weeks", "min": "minutes", "s": "seconds"}


def funnel_table(
    data: EventLog | pd.DataFrame,
    *,
    stages: Sequence[str] | None = None,
    variant: str = "variant",
    end: Any = None,
    window: Any = None,
    **log_options: Any,
) -> pd.DataFrame:
    """One row per assigned customer: arm and the deepest stage reached after assignment.

    Stages come from the ``stage`` column of events at or after the customer's assignment
    (within ``window`` and up to ``end``, as in :func:`cjmodels.data.experiment_table`);
    a ``conversion`` event counts as reaching the scheme's purchase stage when that stage is in
    ``stages``. Stage labels not in ``stages`` are ignored.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        An event log with ``assignment`` events, the arm in column ``variant`` and a stage
        column; a DataFrame is validated with ``log_options``.
    stages : sequence of str, optional
        The funnel's stages in order, at least two distinct names; default the stages of the
        log's scheme.
    variant : str
        Column holding the arm on assignment rows.
    end : timestamp, optional
        Analysis time: events after it are ignored (default the log's ``observation_end``).
    window : time span, optional
        Only events within this span after the assignment count (default: until ``end``).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per assigned customer, in the order of
        :func:`cjmodels.data.experiment_table`: ``customer_id``, ``variant``, ``max_stage``
        (a stage name, or ``"(none)"``) and ``max_stage_index`` (its position in ``stages``,
        -1 for none).

    Raises
    ------
    ValidationError
        When the log has no stage column, ``stages`` is not given and the log has no scheme,
        ``stages`` has fewer than two distinct names, or for the errors of
        :func:`cjmodels.data.experiment_table`.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0],
    ...     "event": ["assignment", "touch", "touch", "assignment", "touch"],
    ...     "stage": [None, "visit", "cart", None, "visit"],
    ...     "variant": ["A", "A", "A", "B", "B"],
    ... })
    >>> funnel_table(df, stages=["visit", "cart", "buy"])[["customer_id", "variant",
    ...                                                    "max_stage"]]
       customer_id variant max_stage
    0            1       A      cart
    1            2       B     visit
    """
    log = as_event_log(data, **log_options)
    if not log.has_stage:
        raise ValidationError(
            "the event log has no stage column; funnel tests need the stage of each event "
            "(pass stage='...' when building the EventLog)."
        )
    if stages is None:
        if log.scheme is None:
            raise ValidationError(
                "give the funnel's stages in order (stages=[...]) or build the EventLog with a "
                "stage scheme."
            )
        stages = list(log.scheme.stages)
    stages = [str(s) for s in stages]
    if len(set(stages)) != len(stages) or len(stages) < 2:
        raise ValidationError(f"stages {stages} must be at least two distinct names.")
    table = experiment_table(log, variant=variant, end=end, window=window)
    ev = log.events
    rank = {s: i for i, s in enumerate(stages)}
    st = ev["stage"].map(rank)
    if log.scheme is not None and log.scheme.purchase in rank:
        conv = (ev["event"] == "conversion").to_numpy()
        st = st.where(~conv, rank[log.scheme.purchase])
    r = st.to_numpy(dtype=float, na_value=np.nan)
    t0 = pd.Series(table["assigned_at"].to_numpy(), index=table["customer_id"].to_numpy())
    ev_t0 = ev["customer_id"].map(t0)
    ts = ev["timestamp"]
    keep = ev_t0.notna().to_numpy() & ~np.isnan(r)
    keep &= (ts >= ev_t0).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= (ts <= pd.Timestamp(end) if log.time_kind == "datetime"
                 else ts <= float(end)).to_numpy()
    if window is not None:
        span = as_timedelta(window) if log.time_kind == "datetime" else float(window)
        keep &= ((ts - ev_t0) < span).to_numpy(dtype=bool, na_value=False)
    deepest = pd.Series(r[keep]).groupby(ev["customer_id"].to_numpy()[keep]).max()
    idx = deepest.reindex(table["customer_id"].to_numpy()).fillna(-1).astype(int).to_numpy()
    names = np.array(["(none)", *stages], dtype=object)
    return pd.DataFrame({
        "customer_id": table["customer_id"].to_numpy(),
        "variant": table["variant"].to_numpy(),
        "max_stage": names[idx + 1],
        "max_stage_index": idx,
    })


def purchase_times(
    data: EventLog | pd.DataFrame,
    *,
    variant: str = "variant",
    window: Any = None,
    end: Any = None,
    unit: str = "D",
    **log_options: Any,
) -> pd.DataFrame:
    """One row per assigned customer: arm and time from assignment to first purchase.

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        An event log with ``assignment`` events and the arm in column ``variant`` (a DataFrame
        is validated with ``log_options``).
    variant : str
        Column holding the arm on assignment rows.
    window : time span, optional
        The outcome window per customer, as in :func:`cjmodels.data.experiment_table`
        (default: until ``end``).
    end : timestamp, optional
        Analysis time (default the log's ``observation_end``).
    unit : str
        Pandas time unit of ``duration`` for datetime logs (default days); numeric logs keep
        their own unit.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``variant``, ``assigned_at``, ``duration`` (time from the assignment
        to the first conversion at or after it, or to the end of follow-up, in ``unit``; raw
        units for numeric timestamps) and ``event`` (1 = purchase, 0 = censored). Censoring is
        at ``min(end, assigned_at + window)`` only (see the module notes: ``drop_out`` events
        do not censor). ``attrs`` hold the settings and ``experiment_table``'s counts.

    Raises
    ------
    ValidationError
        For the errors of :func:`cjmodels.data.experiment_table` (no assignment events, no
        ``variant`` column, ...).

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2, 3],
    ...     "timestamp": [0.0, 1.0, 4.0, 2.0, 3.0, 5.0],
    ...     "event": ["conversion", "assignment", "conversion", "assignment", "drop_out",
    ...               "assignment"],
    ...     "variant": [None, "A", "A", "B", "B", "B"],
    ... })
    >>> purchase_times(df, observation_end=10.0)[["customer_id", "variant", "duration",
    ...                                           "event"]]
       customer_id variant  duration  event
    0            1       A       3.0      1
    1            2       B       8.0      0
    2            3       B       5.0      0
    """
    log = as_event_log(data, **log_options)
    table = experiment_table(log, variant=variant, window=window, end=end, unit=unit)
    ev = log.events
    is_conv = (ev["event"] == "conversion").to_numpy()
    t0 = pd.Series(table["assigned_at"].to_numpy(), index=table["customer_id"].to_numpy())
    conv = ev.loc[is_conv, ["customer_id", "timestamp"]]
    start = conv["customer_id"].map(t0)
    known = start.notna().to_numpy()
    conv, start = conv.loc[known], start.loc[known]
    if log.time_kind == "datetime":
        delta = (conv["timestamp"] - start) / pd.Timedelta(1, unit=unit)
    else:
        delta = conv["timestamp"].astype(float) - start.astype(float)
    delta = pd.Series(np.asarray(delta, dtype=float), index=conv.index)
    after = delta.to_numpy() >= 0
    first = delta[after].groupby(conv["customer_id"].to_numpy()[after]).min()
    converted = table["converted"].to_numpy() == 1
    first_t = first.reindex(table["customer_id"].to_numpy()).to_numpy(dtype=float)
    exposure = table["exposure"].to_numpy(dtype=float)
    duration = np.where(converted, first_t, exposure)
    if np.any(~np.isfinite(duration)):  # pragma: no cover - guarded by experiment_table
        raise ValidationError("internal error: a converter without a conversion time.")
    out = pd.DataFrame({
        "customer_id": table["customer_id"].to_numpy(),
        "variant": table["variant"].to_numpy(),
        "assigned_at": table["assigned_at"].to_numpy(),
        "duration": duration,
        "event": converted.astype(np.int64),
    })
    out.attrs.update({k: v for k, v in table.attrs.items()})
    label = _UNIT_NAMES.get(unit, unit) if log.time_kind == "datetime" else "time units"
    out.attrs.update({"origin": "assignment", "unit": label, "censoring": "administrative"})
    return out
