"""Time to first purchase, counted: one row per distinct (first channel, duration, outcome).

:func:`first_purchase_counts` is :func:`~cjmodels.data.time_to_first_purchase` merged into
counts of customers, the form that scales: an event log in memory is reduced in Python, a DuckDB
relation or a Spark DataFrame by its engine (:mod:`cjmodels.data._engine`), with the same rows.
The conventions are those of :mod:`cjmodels.data.durations`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data._engine import engine_first_purchase_counts, engine_of
from cjmodels.data._sqltext import span
from cjmodels.data.columns import factorize
from cjmodels.data.durations import check_unit, time_to_first_purchase
from cjmodels.errors import ValidationError

__all__ = ["first_purchase_counts"]


_COUNT_COLUMNS = ["first_channel", "duration", "event", "censor_reason", "customers"]


def _finish_counts(rows: pd.DataFrame, attrs: dict[str, Any], by_first_channel: bool,
                   stacklevel: int) -> pd.DataFrame:
    """Sort the count rows the same way for every backend, warn about excluded customers and
    attach ``attrs``."""
    rows = rows[_COUNT_COLUMNS].copy()
    # missing first channel and purchases (no censor reason) sort first
    key_ch = rows["first_channel"].map(lambda x: "" if x is None else "~" + str(x))
    key_reason = rows["censor_reason"].map(lambda x: "" if x is None else str(x))
    # ranks of the exact strings (numpy str arrays would drop trailing NUL characters)
    order = np.lexsort((factorize(key_reason.to_numpy(dtype=object), sort=True)[0],
                        rows["event"].to_numpy(), rows["duration"].to_numpy(),
                        factorize(key_ch.to_numpy(dtype=object), sort=True)[0]))
    rows = rows.iloc[order].reset_index(drop=True)
    if not by_first_channel:
        rows = rows.drop(columns="first_channel")
    excluded = attrs["n_excluded"]
    if excluded["converted_before_first_touch"] or excluded["no_touch"]:
        warnings.warn(
            f"first_purchase_counts: {excluded['converted_before_first_touch']} customers "
            f"purchased before their first touch and {excluded['no_touch']} have no touch; they "
            "have no origin and are excluded (counted in attrs['n_excluded']). Use "
            "origin='first-event' to keep them.",
            UserWarning,
            stacklevel=stacklevel,
        )
    w = rows["customers"].to_numpy()
    ev = rows["event"].to_numpy() == 1
    reason = rows["censor_reason"].to_numpy(dtype=object)
    rows.attrs = {
        **attrs,
        "n_rows": len(rows),
        "n_customers_with_rows": int(w.sum()),
        "n_events": int(w[ev].sum()),
        "n_censored_drop_out": int(w[reason == "drop_out"].sum()),
        "n_censored_observation_end": int(w[reason == "observation_end"].sum()),
        "n_zero_duration": int(w[rows["duration"].to_numpy() == 0].sum()),
    }
    return rows


def _count(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Customers (rows) per distinct ``keys``, with missing label keys kept as ``None``."""
    # label keys grouped on exact codes: pandas would hash "a" and "a\x00" alike
    labels: dict[str, np.ndarray] = {}
    coded = {}
    for k in keys:
        if rows[k].dtype == object:
            codes, uniques = factorize(rows[k].to_numpy(dtype=object))
            coded[k] = codes
            labels[k] = np.append(np.asarray(uniques, dtype=object), None)  # -1: None
        else:
            coded[k] = rows[k].to_numpy()
    out = (pd.DataFrame(coded, index=rows.index).groupby(keys, dropna=False, sort=False).size()
           .rename("customers").reset_index())
    for k, lab in labels.items():
        out[k] = pd.Series(lab[out[k].to_numpy(dtype=np.int64)], dtype=object)
    for col in ("first_channel", "censor_reason"):  # NaN keys back to None
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["customers"] = out["customers"].astype(np.int64)
    return out


def _floored(per: pd.DataFrame, resolution: Any, unit: str, time_kind: str) -> np.ndarray:
    """Durations of :func:`time_to_first_purchase` rounded down to multiples of
    ``resolution``, computed as the engines do: whole microseconds for datetimes (integer
    division, no rounding error), floating point for numeric times."""
    step = span(resolution, "resolution", time_kind == "numeric")
    if time_kind == "numeric":
        a, b = per["stop"].to_numpy(), per["start"].to_numpy()
        d = (a - b if a.dtype.kind == b.dtype.kind == "i" else a - b.astype(float)).astype(float)
        return np.floor(d / step) * step
    gap = (per["stop"] - per["start"]).to_numpy().astype("timedelta64[us]").astype(np.int64)
    return (gap // step * step) / (pd.Timedelta(1, unit=unit).value / 1000)


def first_purchase_counts(
    data: Any,
    *,
    origin: str = "first-touch",
    censor_at_drop_out: bool = True,
    unit: str = "D",
    by_first_channel: bool = True,
    resolution: Any = None,
    **options: Any,
) -> pd.DataFrame:
    """Time to first purchase as counts of customers, computed where the data lives.

    One row per distinct (first channel, duration, outcome, censoring reason).

    The sufficient statistic of Kaplan-Meier, Nelson-Aalen and every model of time to first
    purchase whose only covariate is the first channel: :func:`time_to_first_purchase` with
    its rows merged. A pandas frame or :class:`EventLog` is counted in memory; a DuckDB
    relation (for example over Parquet files, see :func:`cjmodels.data.sql.scan`) by DuckDB, a
    PySpark DataFrame by Spark, with the same rules and the same table: only the counts come
    back to Python.

    Parameters
    ----------
    data : EventLog, DataFrame, DuckDB relation or PySpark DataFrame
        The event log. For engine tables the options are the column names (``customer=``,
        ``timestamp=``, ``event=``, ``channel=``, ``stage=``, ``value=``) and
        ``observation_end=``; for frames, any :class:`EventLog` option.
    origin : {"first-touch", "first-event"}
        Where the clock starts (see :func:`time_to_first_purchase`).
    censor_at_drop_out : bool
        Censor non-buyers at their first ``drop_out`` (else at ``observation_end``).
    unit : str
        Unit of ``duration`` (pandas Timedelta unit, at least a microsecond); ignored for
        numeric timestamps.
    by_first_channel : bool
        Keep the first channel apart (the column ``first_channel``); False merges the channels.
    resolution : time span or number, optional
        Round durations down to whole multiples of this span (``"1D"``, ``"1h"``; a number
        for numeric timestamps), as a life table does: a purchase 3.7 days after the first
        touch counts at day 3, a customer censored at day 3.2 is at risk through day 3. The
        table then has at most one row per first channel, outcome and step, however many
        customers there are. Default: exact durations.
    **options
        For an engine table, the column names (``customer=``, ``timestamp=``, ``event=``,
        ``channel=``, ``stage=``, ``value=``) and ``observation_end=``; for a DataFrame or
        EventLog, the options of :class:`~cjmodels.data.EventLog`.

    Returns
    -------
    pandas.DataFrame
        Columns ``first_channel`` (None where there is no touch before the stop; only with
        ``by_first_channel``), ``duration``, ``event`` (1 purchase, 0 censored),
        ``censor_reason`` (None, ``"drop_out"`` or ``"observation_end"``) and ``customers``,
        sorted by those columns. ``attrs`` holds the settings, the source (``"memory"``,
        ``"duckdb"`` or ``"spark"``) and the counts of :func:`time_to_first_purchase`,
        ``n_excluded`` included. Pass ``weight="customers"`` to
        :func:`cjmodels.survival.kaplan_meier`: the curve equals the one from the
        per-customer table.

    Raises
    ------
    ValidationError
        For a bad option (an ``origin``, ``unit`` or ``resolution`` it does not know, a
        ``unit`` finer than a microsecond or an option other than the column names and
        ``observation_end`` for an engine table), or the errors of
        :func:`time_to_first_purchase`.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2, 3],
    ...     "timestamp": [0.0, 2.0, 0.0, 2.0, 1.0],
    ...     "event": ["touch", "conversion", "touch", "conversion", "touch"],
    ...     "channel": ["search", None, "search", None, "email"],
    ... })
    >>> first_purchase_counts(df)
      first_channel  duration  event    censor_reason  customers
    0         email       1.0      0  observation_end          1
    1        search       2.0      1             None          2
    >>> first_purchase_counts(df, by_first_channel=False, resolution=2.0)
       duration  event    censor_reason  customers
    0       0.0      0  observation_end          1
    1       2.0      1             None          2
    """
    check_scalar(origin, "origin", in_=("first-touch", "first-event"))
    check_scalar(censor_at_drop_out, "censor_at_drop_out", typ=bool)
    check_scalar(by_first_channel, "by_first_channel", typ=bool)
    unit = check_unit(unit)
    settings = {"function": "first_purchase_counts", "origin": origin,
                "censor_at_drop_out": censor_at_drop_out, "by_first_channel": by_first_channel,
                "resolution": None if resolution is None else str(resolution)}
    engine = engine_of(data)
    if engine != "memory":
        if pd.Timedelta(1, unit=unit).value % 1000:
            raise ValidationError(
                f"unit == {unit!r} is finer than a microsecond; engines count time in "
                "microseconds."
            )
        known = {"customer", "timestamp", "event", "channel", "stage", "value",
                 "observation_end"}  # column names and the window: engines take no other
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValidationError(
                f"options {unknown} do not apply to an engine table; it takes the column names "
                f"and observation_end: {sorted(known)}."
            )
        rows, counts = engine_first_purchase_counts(
            data, origin=origin, censor_at_drop_out=censor_at_drop_out, unit=unit,
            by_first_channel=by_first_channel, resolution=resolution, **options,
        )
        attrs = {
            **settings,
            "source": engine,
            "unit": unit if counts["time_kind"] == "datetime" else None,
            "time_kind": counts["time_kind"],
            "observation_end": counts["observation_end"],
            "n_customers": counts["n_customers"],
            "n_excluded": {"converted_before_first_touch":
                           counts["converted_before_first_touch"],
                           "no_touch": counts["no_touch"]},
        }
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # warned below, for every backend
            per = time_to_first_purchase(data, origin=origin,
                                         censor_at_drop_out=censor_at_drop_out, unit=unit,
                                         **options)
        if resolution is not None:
            per["duration"] = _floored(per, resolution, unit, per.attrs["time_kind"])
        if not by_first_channel:
            per["first_channel"] = None
        rows = _count(per, ["first_channel", "duration", "event", "censor_reason"])
        attrs = {
            **settings,
            "source": "memory",
            "unit": per.attrs["unit"],
            "time_kind": per.attrs["time_kind"],
            "observation_end": per.attrs["observation_end"],
            "n_customers": per.attrs["n_customers"],
            "n_excluded": dict(per.attrs["n_excluded"]),
        }
    return _finish_counts(rows, attrs, by_first_channel, stacklevel=3)


