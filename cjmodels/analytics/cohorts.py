"""Cohort retention tables with intervals, next to the survival models' reading.

:func:`cohort_retention` groups customers by when they were acquired (their cohort) and counts,
for each period since acquisition, how many of those observed for that whole period were active
in it: the classic triangular retention table, with a Wilson interval on every cell and the
number of customers at risk. Next to it, the same question read from models of the time to the
last activity: the Kaplan-Meier curve (:func:`cjmodels.survival.kaplan_meier`) and, for
subscription data, the shifted-beta-geometric model
(:class:`cjmodels.survival.ShiftedBetaGeometricModel`) with a delta-method interval.

Definitions (each an option, each stated in :func:`cohort_retention`):

* **acquisition**: the customer's first event (``"first-event"``), first conversion
  (``"first-conversion"``) or first subscribe (``"first-subscribe"``);
* **active in a period**: any event (``"any-event"``), a conversion (``"conversion"``), or being
  subscribed at some moment of the period (``"subscribed"``);
* **period p since acquisition**: on the customer's own clock (``clock="elapsed"``: period 0 is
  the first ``period`` after the acquisition instant) or on the calendar (``clock="calendar"``:
  period 0 is the rest of the acquisition's calendar day, week or month);
* **censoring**: a customer is at risk in period ``p`` only when period ``p`` lies wholly
  inside the observation window (``partial="exclude"``, the default), or at least starts inside
  it (``partial="include"``); a cell with no one at risk has no value (NaN), never 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special, stats

from cjmodels._checks import check_scalar, warn_user
from cjmodels.data import EventLog, subscription_lifetimes
from cjmodels.data.events import as_event_log
from cjmodels.errors import CJModelsError, ValidationError
from cjmodels.results import Result, result_dataclass
from cjmodels.survival import ParameterFit, ShiftedBetaGeometricModel, kaplan_meier

__all__ = ["CohortRetention", "cohort_retention"]

# How a customer's acquisition (the start of their cohort) is defined.
_ACQUISITIONS: tuple[str, ...] = ("first-event", "first-conversion", "first-subscribe")
# What makes a customer active in a period.
_ACTIVITIES: tuple[str, ...] = ("any-event", "conversion", "subscribed")
_CLOCKS = ("elapsed", "calendar")
_PARTIALS = ("exclude", "include")
_CALENDAR = ("day", "week", "month")
_LEAVING = ("churn", "drop_out")  # events that mark leaving, never activity
_UNITS = {1: "ns", 1_000: "us", 1_000_000: "ms", 1_000_000_000: "s"}


# ------------------------------------------------------------------------------ intervals
def _wilson(k: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``k`` successes in ``n`` trials (NaN where ``n == 0``)."""
    z = stats.norm.ppf(1 - alpha / 2)
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = n <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def _sbg_band(fit: ParameterFit, p: np.ndarray, alpha: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sBG survival ``S(p)`` with a delta-method interval formed on the logit scale."""
    a, b = float(fit.params["alpha"]), float(fit.params["beta"])
    cov = fit.covariance.loc[["alpha", "beta"], ["alpha", "beta"]].to_numpy(dtype=float)
    p = np.asarray(p, dtype=float)
    with np.errstate(all="ignore"):
        log_s = special.betaln(a, b + p) - special.betaln(a, b)
        s = np.exp(log_s)
        da = special.digamma(a + b) - special.digamma(a + b + p)
        db = special.digamma(b + p) - special.digamma(a + b + p) - special.digamma(b) \
            + special.digamma(a + b)
        grad = np.stack([da, db], axis=1) / (1 - s)[:, None]  # d logit S
        var = np.einsum("ij,jk,ik->i", grad, cov, grad)
        z = stats.norm.ppf(1 - alpha / 2)
        logit = log_s - np.log1p(-s)
        half = z * np.sqrt(var)
        low = special.expit(logit - half)
        high = special.expit(logit + half)
    low = np.where(p == 0, 1.0, np.where(np.isfinite(low), low, np.nan))
    high = np.where(p == 0, 1.0, np.where(np.isfinite(high), high, np.nan))
    return s, low, high


# ------------------------------------------------------------------------------ clocks
class _Clock:
    """Periods on int64 ticks (datetime logs) or plain numbers (numeric logs)."""

    def __init__(self, log: EventLog, period: Any, clock: str) -> None:
        self.clock = clock
        ticks, tick = log.ticks()
        self.numeric = tick is None
        self.origin = log.time_ticks(log.observation_start)
        if isinstance(period, str) and period in _CALENDAR:
            if self.numeric:
                raise ValidationError(
                    f"period == {period!r} needs datetime timestamps; this log's times are "
                    "numbers: pass the period as a number in the log's own unit (period=7)."
                )
            self.kind = period
            self.unit = _UNITS.get(int(tick.value), "ns")
            self.day = int(pd.Timedelta(1, unit="D").value // tick.value)
            self.length = {"day": self.day, "week": 7 * self.day}.get(period, 0)
            self.label = period
        else:
            if isinstance(period, (bool, np.bool_)) or period is None:
                raise ValidationError(
                    f"period == {period!r}: pass 'day', 'week', 'month' or a time span "
                    "('30D', a Timedelta, or a number: days for datetime logs, the log's unit "
                    "for numeric logs)."
                )
            try:
                if self.numeric:  # the log's own unit; whole spans of integer times stay exact
                    span = log.duration(period)
                    if ticks.dtype.kind in "iu" and float(span).is_integer() and \
                            abs(span) < 2**62:
                        span = int(span)
                else:
                    span = log.span_ticks(period)
            except CJModelsError:
                raise ValidationError(
                    f"period == {period!r} is not a period: pass 'day', 'week', 'month' or a "
                    "positive time span ('30D', a Timedelta, or a number)."
                ) from None
            if not (np.isfinite(span) and span > 0):
                raise ValidationError(f"period == {period!r}, must be a positive, finite span.")
            self.kind = "span"
            self.length = span
            self.label = str(period)

    # calendar bins (cohorts; periods of clock="calendar")
    def _months(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(t, dtype=np.int64).view(f"M8[{self.unit}]").astype("M8[M]").astype(
            np.int64)

    def _month_start(self, m: np.ndarray) -> np.ndarray:
        return np.asarray(m, dtype=np.int64).astype("M8[M]").astype(f"M8[{self.unit}]").view(
            np.int64)

    def bin(self, t: np.ndarray) -> np.ndarray:
        if self.kind == "month":
            return self._months(t)
        if self.kind == "week":
            return (np.asarray(t, dtype=np.int64) + 3 * self.day) // self.length
        if self.kind == "day":
            return np.asarray(t, dtype=np.int64) // self.length
        return np.floor_divide(np.asarray(t) - self.origin, self.length).astype(np.int64)

    def bin_start(self, b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=np.int64)
        if self.kind == "month":
            return self._month_start(b)
        if self.kind == "week":
            return b * self.length - 3 * self.day
        if self.kind == "day":
            return b * self.length
        return self.origin + b * self.length

    def _add_months(self, ta: np.ndarray, k: np.ndarray) -> np.ndarray:
        ta = np.asarray(ta, dtype=np.int64)
        m0 = self._months(ta)
        into = ta - self._month_start(m0)
        d, tod = into // self.day, into % self.day
        m = m0 + np.asarray(k, dtype=np.int64)
        start = self._month_start(m)
        n_days = (self._month_start(m + 1) - start) // self.day
        return start + np.minimum(d, n_days - 1) * self.day + tod

    # periods since acquisition
    def index(self, t: np.ndarray, ta: np.ndarray, ta_bin: np.ndarray) -> np.ndarray:
        """The period since acquisition that holds each time ``t``."""
        if self.clock == "calendar":
            return self.bin(t) - ta_bin
        if self.kind == "month":
            k = self._months(t) - self._months(ta)
            return k - (self._add_months(ta, k) > np.asarray(t, dtype=np.int64))
        return np.floor_divide(np.asarray(t) - ta, self.length).astype(np.int64)

    def start(self, p: np.ndarray, ta: np.ndarray, ta_bin: np.ndarray) -> np.ndarray:
        """Start of period ``p`` since acquisition."""
        if self.clock == "calendar":
            return self.bin_start(ta_bin + p)
        if self.kind == "month":
            return self._add_months(ta, p)
        return ta + np.asarray(p) * self.length

    def fraction(self, t: np.ndarray, ta: np.ndarray, ta_bin: np.ndarray) -> np.ndarray:
        """Time since acquisition in (fractional) periods."""
        p = self.index(t, ta, ta_bin)
        s0, s1 = self.start(p, ta, ta_bin), self.start(p + 1, ta, ta_bin)
        return p + (np.asarray(t) - s0) / (s1 - s0)

    def label_of(self, b: np.ndarray, log: EventLog) -> list[Any]:
        s = self.bin_start(b)
        if self.numeric:
            return [x.item() for x in s]
        return list(pd.to_datetime(s.astype(np.int64), unit=self.unit if self.kind != "span"
                                    else _UNITS.get(int(log.ticks()[1].value), "ns")))


def _before(x: np.ndarray) -> np.ndarray:
    """The instant just before ``x`` (one tick; the next float down for float times)."""
    if np.asarray(x).dtype.kind in "iu":
        return np.asarray(x) - 1
    return np.nextafter(np.asarray(x, dtype=float), -np.inf)


# ------------------------------------------------------------------------------ result
@result_dataclass
class CohortRetention(Result):
    """A cohort retention table (acquisition cohort x period since acquisition) with intervals,
    and the same retention read from the Kaplan-Meier and sBG models.

    Returned by :func:`cohort_retention`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per cell with at least one customer at risk: ``cohort`` (start of the cohort's
        calendar period), ``period`` (0, 1, ... since acquisition), ``n_customers`` (cohort
        size), ``n_at_risk`` (customers observed for the period, see ``partial``),
        ``n_active`` (of those, active in the period), ``share`` (``n_active / n_at_risk``),
        ``ci_low``, ``ci_high`` (Wilson interval). Cells with no one at risk are absent
        (:meth:`pivot` shows them as NaN).
    cohorts : pandas.DataFrame
        Indexed by ``cohort`` (every cohort, also one not yet observed for a whole period):
        ``n_customers``, the cohort's size.
    curves : pandas.DataFrame
        Indexed by ``period``: the cohorts pooled (``n_at_risk``, ``n_active``, ``share``,
        ``ci_low``, ``ci_high``), the Kaplan-Meier survival of the periods to the last activity
        (``km``, ``km_ci_low``, ``km_ci_high``, ``km_n_at_risk``) and, with
        ``active="subscribed"``, the sBG survival (``sbg``, ``sbg_ci_low``, ``sbg_ci_high``;
        NaN otherwise).
    acquisition, active, clock, partial : str
        The definitions used (see :func:`cohort_retention`).
    period : str
        The period length (``"day"``, ``"week"``, ``"month"`` or the span given).
    churn_after : float
        Periods without activity before the end of observation after which a customer counts as
        lapsed in the models (``active`` other than ``"subscribed"``).
    alpha : float
        1 - confidence level of every interval.
    n_customers : int
        Customers in the log.
    n_acquired : int
        Customers with an acquisition event (the others are in no cohort).
    n_cohorts : int
        Number of cohorts.
    observation_end : str
        End of the observation window (the censoring time).
    sbg : ParameterFit or None
        The sBG fit (``alpha``, ``beta`` with standard errors), when fitted.
    notes : list of str
        Plain sentences on what was left out or undefined.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3],
    ...                    "timestamp": [0, 12, 1, 3, 15],
    ...                    "event": ["touch", "touch", "touch", "touch", "touch"],
    ...                    "channel": ["a", "a", "a", "b", "a"]})
    >>> r = cohort_retention(df, period=10, observation_end=30)
    >>> r.pivot()
    period    0    1    2
    cohort
    0       1.0  0.5  0.0
    10      1.0  NaN  NaN
    """

    table: pd.DataFrame
    cohorts: pd.DataFrame
    curves: pd.DataFrame
    acquisition: str
    active: str
    period: str
    clock: str
    partial: str
    churn_after: float
    alpha: float
    n_customers: int
    n_acquired: int
    n_cohorts: int
    observation_end: str
    sbg: ParameterFit | None
    notes: list[str]

    _repr_exclude: ClassVar[tuple[str, ...]] = ()

    def _repr_fields(self) -> dict[str, Any]:
        return {"period": self.period, "acquisition": self.acquisition, "active": self.active,
                "n_cohorts": self.n_cohorts, "n_acquired": self.n_acquired,
                "n_customers": self.n_customers}

    def _summary(self) -> pd.DataFrame:
        return self.table

    def pivot(self, what: str = "share") -> pd.DataFrame:
        """The triangular table: one row per cohort, one column per period since acquisition.

        Parameters
        ----------
        what : {"share", "ci_low", "ci_high", "n_at_risk", "n_active"}, default "share"
            The cell value shown.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``cohort``, columns ``period``; NaN where no customer of the cohort was
            observed for that period (censored: not yet seen, never 0).

        Raises
        ------
        ValidationError
            For an unknown ``what``.

        Examples
        --------
        >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 12, 15],
        ...                    "event": ["touch"] * 3, "channel": ["a"] * 3})
        >>> cohort_retention(df, period=10, observation_end=30).pivot("n_at_risk")
        period    0    1    2
        cohort
        0       1.0  1.0  1.0
        10      1.0  NaN  NaN
        """
        check_scalar(what, "what", in_=("share", "ci_low", "ci_high", "n_at_risk", "n_active"))
        cohorts = pd.Index(self.cohorts.index, name="cohort")
        periods = pd.Index(self.curves.index.to_numpy(), name="period")
        if not len(self.table):
            return pd.DataFrame(np.nan, index=cohorts, columns=periods)
        wide = self.table.pivot(index="cohort", columns="period", values=what).astype(float)
        return wide.reindex(index=cohorts, columns=periods)

    def _to_dict(self) -> dict[str, Any]:
        out = dict(self._fields())
        out["table"] = self.table.to_dict(orient="list")
        out["cohorts"] = self.cohorts.reset_index().to_dict(orient="list")
        out["curves"] = self.curves.reset_index().to_dict(orient="list")
        return out

    def _plot(self, ax: Any, kind: str = "heatmap", ci: bool = True, **kwargs: Any) -> None:
        """``kind="heatmap"``: the triangle of shares; ``"curves"``: one line per cohort and
        the pooled curve; ``"models"``: the pooled shares next to Kaplan-Meier and sBG."""
        check_scalar(kind, "kind", in_=("heatmap", "curves", "models"))
        if kind == "heatmap":
            wide = self.pivot()
            data = np.ma.masked_invalid(wide.to_numpy(dtype=float))
            img = ax.imshow(data, aspect="auto", vmin=0, vmax=1, cmap=kwargs.get("cmap",
                                                                                  "viridis"))
            ax.figure.colorbar(img, ax=ax, label="share active")
            if 0 < wide.size <= 400:
                for (i, j), v in np.ndenumerate(wide.to_numpy(dtype=float)):
                    if np.isfinite(v):
                        ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7,
                                color="white" if v < 0.5 else "black")
            step_r = max(1, len(wide.index) // 20)
            ax.set_yticks(range(0, len(wide.index), step_r))
            ax.set_yticklabels([str(c)[:10] for c in wide.index[::step_r]])
            ax.set(xlabel="period since acquisition", ylabel="cohort")
            return
        c = self.curves
        p = c.index.to_numpy()
        if kind == "curves":
            wide = self.pivot()
            for _, row in wide.iloc[:30].iterrows():
                ax.plot(p, row.to_numpy(dtype=float), color="grey", alpha=0.4, linewidth=0.8)
        ax.plot(p, c["share"], "o-", label="cohorts pooled", color="black")
        if ci:
            ax.fill_between(p, c["ci_low"], c["ci_high"], color="black", alpha=0.15)
        if kind == "models":
            for col, label in (("km", "Kaplan-Meier"), ("sbg", "sBG")):
                if c[col].notna().any():
                    (line,) = ax.plot(p, c[col], label=label)
                    if ci:
                        ax.fill_between(p, c[f"{col}_ci_low"], c[f"{col}_ci_high"], alpha=0.2,
                                        color=line.get_color())
        ax.set(xlabel=f"periods ({self.period}) since acquisition", ylabel="share retained",
               ylim=(0, 1.02))
        ax.legend()


# ------------------------------------------------------------------------------ function
def cohort_retention(
    data: EventLog | pd.DataFrame,
    *,
    period: Any = "week",
    acquisition: str = "first-event",
    active: str = "any-event",
    clock: str = "elapsed",
    partial: str = "exclude",
    max_period: int | None = None,
    churn_after: float = 1.0,
    alpha: float = 0.05,
    **columns: Any,
) -> CohortRetention:
    """Cohort retention: customers by acquisition cohort x period since acquisition.

    Every cell holds the share of the cohort's customers at risk in that period who were active
    in it, with a Wilson interval; next to the table, the cohorts pooled and the same retention
    read from models of the time to the last activity (Kaplan-Meier; sBG for subscriptions).

    Parameters
    ----------
    data : EventLog or pandas.DataFrame
        The event log (a DataFrame is read with the column keywords ``columns``).
    period : {"day", "week", "month"} or time span, default "week"
        The length of a period since acquisition, and the calendar grain of the cohorts.
        ``"week"`` weeks start on Monday; ``"month"`` on the customer's clock is a calendar
        month from the acquisition instant (the 31st plus one month is the 30th or 28th/29th).
        A span (``"30D"``, a Timedelta, or a number: days for datetime logs, the log's own unit
        for numeric logs, which only accept numbers) gives cohorts in bins of that length from
        the log's ``observation_start``. Calendar periods of a timezone-aware log are in UTC.
    acquisition : {"first-event", "first-conversion", "first-subscribe"}, default "first-event"
        When a customer is acquired: their first event (any type but ``churn`` and
        ``drop_out``), first ``conversion`` (first purchase) or first ``subscribe``. Customers
        without such an event belong to no cohort (counted: ``n_customers - n_acquired``).
    active : {"any-event", "conversion", "subscribed"}, default "any-event"
        Active in a period: any event (but ``churn`` and ``drop_out``, which mark leaving), a
        ``conversion``, or a subscription open at some moment of the period (from the spells
        of :func:`cjmodels.data.subscription_lifetimes`: a churn ends the spell, a churn at the
        period's very start leaves the customer inactive in it). Events before the acquisition
        do not count.
    clock : {"elapsed", "calendar"}, default "elapsed"
        ``"elapsed"``: period ``p`` runs from ``p`` to ``p + 1`` periods after each customer's
        own acquisition instant (every period has the full length). ``"calendar"``: period
        ``p`` is the ``p``-th calendar period after the acquisition's (the classic table; period
        0 is only the rest of the acquisition's period, so it is shorter for late joiners).
    partial : {"exclude", "include"}, default "exclude"
        How a period cut by the end of observation is treated: ``"exclude"`` counts a customer
        at risk in period ``p`` only if the whole period lies before ``observation_end`` (a
        partly seen period would understate activity); ``"include"`` counts every period that
        starts by ``observation_end`` (unbiased for ``"subscribed"``, whose state at the start
        is known; biased down for events). Periods that start after the end have no value.
    max_period : int or None, default None
        Last period shown (None: as far as anyone is observed).
    churn_after : float, default 1.0
        For the models with ``active`` other than ``"subscribed"``: a customer whose last
        activity lies at least this many periods before ``observation_end`` counts as lapsed
        at that activity; the others are censored. With ``"subscribed"``, lapsed means the
        last subscription ended with a churn.
    alpha : float, default 0.05
        1 - confidence level of every interval.
    **columns
        Column keywords of :class:`cjmodels.data.EventLog` (``customer``, ``timestamp``,
        ``event``, ``observation_end``, ...) when ``data`` is a DataFrame.

    Returns
    -------
    CohortRetention
        ``table`` (long: cohort, period, counts, share, interval), :meth:`~CohortRetention.pivot`
        (the triangle), ``curves`` (pooled shares, Kaplan-Meier, sBG), ``plot(kind=...)``.

    Raises
    ------
    ValidationError
        For an unknown option, a bad period, a log without the events a definition needs
        (no conversion for ``"first-conversion"``...), or subscribe and churn events that do not
        alternate (``"subscribed"``).

    Warns
    -----
    UserWarning
        When customers are left out: those without an acquisition event (in no cohort), those
        left out of the models or of the sBG fit; each also counted in ``notes``.

    Notes
    -----
    The models read retention at period ``p`` as the share whose last active period is ``p``
    or later (``S(p) = P(T > p)`` with ``T`` = index of the last active period + 1, in whole
    periods). A customer not lapsed is censored at their last active period; one with no
    activity yet and not lapsed carries no information and is left out of the models (counted
    in ``notes``). With ``"subscribed"`` and no re-subscriptions the pooled shares, the
    Kaplan-Meier curve and the sBG curve estimate the same survival; with events they differ by
    design: a customer can skip a period and return. The sBG interval is the delta method on
    the logit of ``S(p)`` with the fit's observed-information covariance. Acquisitions are the
    first in the log: a customer acquired before ``observation_start`` is placed in the first
    cohort they were seen in.

    Examples
    --------
    >>> from cjmodels.datasets import load_subscriptions
    >>> r = cohort_retention(load_subscriptions().event_log(), period="month",
    ...                      active="subscribed", max_period=12)
    >>> r.n_cohorts, r.n_acquired
    (24, 3000)
    >>> r.curves.loc[6, ["share", "ci_low", "ci_high"]].round(3).tolist()
    [0.746, 0.727, 0.764]
    >>> r.curves.loc[6, ["km", "km_ci_low", "km_ci_high"]].round(3).tolist()
    [0.739, 0.721, 0.756]
    """
    check_scalar(acquisition, "acquisition", in_=_ACQUISITIONS)
    check_scalar(active, "active", in_=_ACTIVITIES)
    check_scalar(clock, "clock", in_=_CLOCKS)
    check_scalar(partial, "partial", in_=_PARTIALS)
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(churn_after, "churn_after", typ=float, gt=0)
    if not np.isfinite(churn_after):
        raise ValidationError(f"churn_after == {churn_after!r}, must be finite.")
    if max_period is not None:
        check_scalar(max_period, "max_period", typ=int, ge=0)
    log = as_event_log(data, **columns)
    clk = _Clock(log, period, clock)
    notes: list[str] = []

    ticks, _ = log.ticks()
    ticks = np.asarray(ticks)
    codes = log.customer_codes
    n_cust = log.n_customers
    end = log.time_ticks(log.observation_end)
    leaving = log.is_event(*_LEAVING)
    acq_mask = {"first-event": ~leaving, "first-conversion": log.is_event("conversion"),
                "first-subscribe": log.is_event("subscribe")}[acquisition]
    if not acq_mask.any():
        what = {"first-event": "an event other than churn or drop_out",
                "first-conversion": "a 'conversion' event",
                "first-subscribe": "a 'subscribe' event"}[acquisition]
        raise ValidationError(
            f"acquisition == {acquisition!r} needs {what}, and the log has none; choose "
            f"another acquisition ({', '.join(_ACQUISITIONS)})."
        )
    acq_cust, first = np.unique(codes[acq_mask], return_index=True)
    ta_c = np.full(n_cust, 0, dtype=ticks.dtype)
    ta_c[acq_cust] = ticks[np.flatnonzero(acq_mask)[first]]
    acquired = np.zeros(n_cust, dtype=bool)
    acquired[acq_cust] = True
    n_acq = int(acquired.sum())
    if n_acq < n_cust:
        notes.append(f"{n_cust - n_acq} of {n_cust} customers have no acquisition event "
                     f"({acquisition}) and belong to no cohort.")
        warn_user(notes[-1])
    ta = ta_c[acq_cust]
    ta_bin = clk.bin(ta)
    cohort_bins, cohort_id = np.unique(ta_bin, return_inverse=True)
    pos = np.full(n_cust, -1, dtype=np.int64)  # customer code -> position among the acquired
    pos[acq_cust] = np.arange(n_acq)

    exact = ticks.dtype.kind in "iu" and isinstance(end, (int, np.integer))
    end_arr = np.full(n_acq, end, dtype=ticks.dtype if exact else float)
    p_end = clk.index(end_arr, ta, ta_bin)
    q = p_end - 1 if partial == "exclude" else p_end  # last period at risk
    if max_period is not None:
        q_tab = np.minimum(q, max_period)
    else:
        q_tab = q

    # active (customer, period) pairs, and what the models need
    if active == "subscribed":
        spells = subscription_lifetimes(log)
        sc = pd.Index(log.customers).get_indexer(spells["customer_id"])
        a_t = _as_ticks(spells["start"], log)
        b_t = _as_ticks(spells["stop"], log)
        closed = spells["event"].to_numpy() == 1
        keep = acquired[sc]
        sc, a_t, b_t, closed = sc[keep], a_t[keep], b_t[keep], closed[keep]
        i = pos[sc]
        lo_t = np.maximum(a_t, ta[i])
        p0 = clk.index(lo_t, ta[i], ta_bin[i])
        p1 = np.where(closed, clk.index(_before(b_t), ta[i], ta_bin[i]),
                      clk.index(b_t, ta[i], ta_bin[i]))
        p1 = np.where(b_t > lo_t, p1, p0 - 1)
        p1 = np.where(~closed & (b_t >= lo_t), np.maximum(p1, p0), p1)
        last_active = np.full(n_acq, -1, dtype=np.int64)
        np.maximum.at(last_active, i, np.where(p1 >= p0, p1, -1))
        still_open = np.zeros(n_acq, dtype=bool)
        still_open[i[~closed]] = True
        lapsed = ~still_open
        length = np.maximum(np.minimum(p1, q_tab[i]) - p0 + 1, 0)
        pair_c = np.repeat(i, length)
        starts = np.repeat(p0 - np.r_[0, np.cumsum(length)[:-1]], length)
        pair_p = starts + np.arange(int(length.sum()))
    else:
        act_mask = ~leaving if active == "any-event" else log.is_event("conversion")
        rows = np.flatnonzero(act_mask & acquired[codes])
        i = pos[codes[rows]]
        t = ticks[rows]
        after = t >= ta[i]
        rows, i, t = rows[after], i[after], t[after]
        p = clk.index(t, ta[i], ta_bin[i])
        last_active = np.full(n_acq, -1, dtype=np.int64)
        np.maximum.at(last_active, i, p)
        t_last = ta.copy()
        if len(t):
            # events are sorted by customer and time: the last row per customer is the latest
            last_row = np.r_[i[1:] != i[:-1], True]
            t_last[i[last_row]] = t[last_row]
        gap = clk.fraction(end_arr, ta, ta_bin) - clk.fraction(t_last, ta, ta_bin)
        lapsed = gap >= churn_after
        inside = p <= q_tab[i]
        pair_c, pair_p = i[inside], p[inside]

    # counts per cell
    n_coh = len(cohort_bins)
    n_per = int(max(q_tab.max(initial=-1), -1)) + 1
    size = np.bincount(cohort_id, minlength=n_coh)
    risk = np.zeros((n_coh, n_per + 1), dtype=np.int64)
    ok = q_tab >= 0
    np.add.at(risk, (cohort_id[ok], q_tab[ok]), 1)
    risk = np.cumsum(risk[:, ::-1], axis=1)[:, ::-1][:, :n_per]
    act = np.zeros((n_coh, max(n_per, 1)), dtype=np.int64)
    if len(pair_c):
        key = pair_c.astype(np.int64) * (n_per + 1) + pair_p
        if np.any(np.diff(key) < 0):  # pairs come in customer and time order; else sort
            key = np.sort(key)
        key = key[np.r_[True, key[1:] != key[:-1]]]  # one count per customer and period
        cc, pp = key // (n_per + 1), key % (n_per + 1)
        np.add.at(act, (cohort_id[cc], pp), 1)
    act = act[:, :n_per]

    labels = clk.label_of(cohort_bins, log)
    kk, pp = np.nonzero(risk > 0)
    k_n, a_n = risk[kk, pp], act[kk, pp]
    low, high = _wilson(a_n, k_n, alpha)
    table = pd.DataFrame({
        "cohort": pd.Series([labels[k] for k in kk], dtype=object if clk.numeric else None),
        "period": pp.astype(np.int64),
        "n_customers": size[kk].astype(np.int64),
        "n_at_risk": k_n.astype(np.int64),
        "n_active": a_n.astype(np.int64),
        "share": a_n / np.maximum(k_n, 1),
        "ci_low": low,
        "ci_high": high,
    })
    if clk.numeric:
        table["cohort"] = pd.to_numeric(table["cohort"])
    cohorts = pd.DataFrame({"n_customers": size.astype(np.int64)},
                           index=pd.Index(pd.to_numeric(pd.Series(labels, dtype=object)) if
                                          clk.numeric else pd.DatetimeIndex(labels),
                                          name="cohort"))

    # pooled and models
    periods = np.arange(n_per)
    pr, pa = risk.sum(axis=0), act.sum(axis=0)
    plow, phigh = _wilson(pa, pr, alpha)
    curves = pd.DataFrame({"n_at_risk": pr.astype(np.int64), "n_active": pa.astype(np.int64),
                           "share": pa / np.maximum(pr, 1), "ci_low": plow, "ci_high": phigh},
                          index=pd.Index(periods, name="period"))
    for col in ("km", "km_ci_low", "km_ci_high", "km_n_at_risk", "sbg", "sbg_ci_low",
                "sbg_ci_high"):
        curves[col] = np.nan
    dur = np.where(lapsed, last_active + 1, last_active)
    informative = lapsed | (last_active >= 0)
    if (~informative).any():
        notes.append(f"{int((~informative).sum())} customers have no activity yet and are not "
                     "lapsed: they carry no information on the time to the last activity and "
                     "are left out of the models.")
        warn_user(notes[-1])
    surv = pd.DataFrame({"duration": dur[informative].astype(float),
                         "event": lapsed[informative].astype(np.int64)})
    if len(surv) and n_per:
        km = kaplan_meier(surv, alpha=alpha)
        at = km.at(periods.astype(float))
        curves["km"] = at["estimate"].to_numpy()
        curves["km_ci_low"] = at["ci_low"].to_numpy()
        curves["km_ci_high"] = at["ci_high"].to_numpy()
        curves["km_n_at_risk"] = at["n_at_risk"].to_numpy()
    sbg_fit = None
    if active == "subscribed" and n_per:
        sbg_fit = _fit_sbg(surv, alpha, notes)
        if sbg_fit is not None:
            s, lo, hi = _sbg_band(sbg_fit, periods, alpha)
            curves["sbg"], curves["sbg_ci_low"], curves["sbg_ci_high"] = s, lo, hi
    if n_per == 0:
        notes.append("no customer is observed for a whole period: the table is empty "
                     "(choose a shorter period, or partial='include').")
    return CohortRetention(
        table=table, cohorts=cohorts, curves=curves, acquisition=acquisition, active=active, period=clk.label,
        clock=clock, partial=partial, churn_after=float(churn_after), alpha=float(alpha),
        n_customers=int(n_cust), n_acquired=n_acq, n_cohorts=int(n_coh),
        observation_end=str(log.observation_end), sbg=sbg_fit, notes=notes,
    )


def _as_ticks(col: pd.Series, log: EventLog) -> np.ndarray:
    """Timestamps of a reduction of ``log`` in the units of :meth:`EventLog.ticks`."""
    _, tick = log.ticks()
    if tick is None:
        return col.to_numpy()
    idx = pd.DatetimeIndex(col).as_unit(_UNITS.get(int(tick.value), "ns"))
    return np.asarray(idx.asi8, dtype=np.int64)


_NO_MAXIMUM = ("sBG: not fitted: its likelihood has no finite maximum here (the parameters run "
               "off towards the geometric limit, alpha and beta -> inf, which fits no better "
               "than one churn probability for all: churn does not fall with tenure as sBG "
               "assumes); read the Kaplan-Meier curve instead.")


def _fit_sbg(surv: pd.DataFrame, alpha: float, notes: list[str]) -> ParameterFit | None:
    """The sBG fit on whole periods to the last active one (None, with a note, when it has no
    maximum: no churn, or churn only before any paid period)."""
    d = surv.rename(columns={"duration": "periods"})
    never = (d["event"] == 1) & (d["periods"] < 1)
    if never.any():
        notes.append(f"sBG: {int(never.sum())} customers churned before their first period "
                     "was active and are left out of its fit (the model starts with a payment).")
        warn_user(notes[-1])
        d = d[~never]
    if not (d["event"] == 1).any() or not len(d):
        notes.append("sBG: no churn observed, so the model has no finite maximum; not fitted.")
        return None
    if (d["event"] == 1).all() and (d["periods"] == 1).all():
        notes.append("sBG: everyone churned after one period; the model has no finite "
                     "maximum; not fitted.")
        return None
    try:
        with np.errstate(all="ignore"):
            # one row per (periods, event) with its count: the same likelihood, fast
            grouped = d.assign(periods=d["periods"].astype(np.int64)).groupby(
                ["periods", "event"], as_index=False).size()
            fit = ShiftedBetaGeometricModel(alpha=alpha).fit(grouped, weight="size").result_
    except CJModelsError:
        notes.append(_NO_MAXIMUM)
        return None
    # the geometric limit (alpha, beta -> inf with alpha / (alpha + beta) fixed): when sBG does
    # no better, its maximum lies at infinity and the numbers returned are only where the
    # optimiser stopped
    w, t, e = grouped["size"].to_numpy(float), grouped["periods"].to_numpy(float), \
        grouped["event"].to_numpy() == 1
    churns, exposure = float(w[e].sum()), float((w * np.where(e, t - 1, t)).sum())
    theta = churns / (churns + exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = churns * np.log(theta) + exposure * np.log1p(-theta) if theta < 1 else \
            churns * np.log(theta)
    if float(fit.params["alpha"]) > 100 and fit.log_likelihood - geometric < 0.01:
        notes.append(_NO_MAXIMUM)
        return None
    cov = fit.covariance.to_numpy(dtype=float)
    if not np.all(np.isfinite(cov)) or not np.all(np.isfinite(fit.params.to_numpy(float))):
        notes.append("sBG: the fit's covariance is not finite (a parameter at its boundary); "
                     "the curve has no interval.")
    return fit
