"""Time in stages: dwell times, continuous-time transition intensities, expected time to purchase.

Both are computed from the stage visits of :func:`cjmodels.data.stage_visits` (a visit is a
maximal run of touches in one stage within a journey, right-censored at the end of
observation; times are in days).

Intensities treat the stage process as a continuous-time chain: ``q_ss' = n_ss' / T_s``, exits
from ``s`` to ``s'`` divided by the time at risk in ``s`` (the maximum-likelihood estimate when
transition times are exact and censoring is independent; Albert 1962). Counts are Poisson given
the exposure, so intervals for ``q`` are exact Poisson (Garwood) intervals divided by ``T_s``,
and derived quantities get delta-method intervals.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar
from cjmodels._optim import complex_step
from cjmodels.data import EventLog, JourneySpec, stage_visits
from cjmodels.data.events import as_event_log
from cjmodels.errors import ValidationError
from cjmodels.markov.absorbing import _interval
from cjmodels.markov.chain import _reaching
from cjmodels.results import Result, interval_bars, result_dataclass

__all__ = ["DwellTimes", "Intensities", "dwell_times", "transition_intensities"]


def _dwell_notes(table: pd.DataFrame) -> list[str]:
    """Why a stage's mean or median dwell time is infinite or undefined."""
    notes = []
    never = list(table.index[table["ended"].to_numpy() <= 0])
    if never:
        notes.append(f"stages {never}: no visit has ended (all censored), so the mean dwell "
                     "time is \"inf\" and mean_observed is undefined (null).")
    unreached = list(table.index[~np.isfinite(table["median"].to_numpy(dtype=float))
                                 & (table["ended"].to_numpy() > 0)])
    if unreached:
        notes.append(f"stages {unreached}: fewer than half of the visits end within the "
                     "follow-up, so the median dwell time is \"inf\".")
    if not never and not unreached and not np.isfinite(
            table[["median_low", "median_high"]].to_numpy(dtype=float)).all():
        notes.append("some median limits are \"inf\": the confidence band never falls to 0.5.")
    return notes


@result_dataclass
class DwellTimes(Result):
    """Dwell time per stage (:func:`dwell_times`).

    ``table`` per stage: ``visits``, ``ended`` (visits not censored), ``exposure`` (total days
    in the stage), ``mean`` (exposure / ended: the censoring-aware mean under a constant exit
    rate) with an exact Poisson interval, ``mean_observed`` (mean of ended visits, which
    ignores censoring) and the Kaplan-Meier ``median`` with its interval (lifelines);
    ``summary()`` is that table, ``visits`` the visits (:func:`cjmodels.data.stage_visits`),
    ``plot()`` the mean (bars) and median by stage.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by stage (in the order of the log's stage scheme when it has one): ``visits``,
        ``ended``, ``exposure`` (days), ``mean`` with ``mean_low``, ``mean_high`` (exact
        Poisson interval of the exit rate, inverted; ``inf`` when no visit ended),
        ``mean_observed``, ``median`` with ``median_low``, ``median_high`` (Kaplan-Meier;
        ``inf`` when fewer than half of the visits end within the follow-up).
    visits : pandas.DataFrame
        One row per visit (:func:`cjmodels.data.stage_visits`): ``journey``, ``customer_id``,
        ``stage``, ``start``, ``duration`` (days), ``touches``, ``exit`` (the next stage, the
        end state, or None while open) and ``event`` (1 ended, 0 censored).
    alpha : float
        1 - the confidence level.
    info : dict
        Empty (kept for the shape every result shares).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0.0, 2.0, 3.0, 0, 4],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch"],
    ...                    "stage": ["a", "b", None, "a", "b"]})
    >>> dwell_times(df)
    DwellTimes(stages=2, visits=4, alpha=0.05)
    """

    table: pd.DataFrame
    visits: pd.DataFrame
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"stages": len(self.table), "visits": len(self.visits), "alpha": self.alpha}

    def _to_dict(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "stages": [
            {"stage": s, **r} for s, r in self.table.to_dict(orient="index").items()
        ], "notes": _dwell_notes(self.table)}

    def _plot(self, ax: Any) -> None:
        tb = self.table
        y = np.arange(len(tb))
        interval_bars(ax, y, tb["mean"], tb["mean_low"], tb["mean_high"], color="tab:green",
                      label="mean")
        ax.plot(tb["median"], y, "k|", markersize=12, label="median (KM)")
        ax.set_yticks(y, tb.index)
        ax.invert_yaxis()
        ax.set(xlabel="days in stage per visit", title="Dwell time by stage")
        ax.legend(loc="lower right")


def _poisson_rate_ci(n: np.ndarray, exposure: np.ndarray, alpha: float) -> tuple:
    lo = np.where(n > 0, stats.chi2.ppf(alpha / 2, 2 * n) / 2, 0.0) / exposure
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2 / exposure
    return lo, hi


def dwell_times(
    data: EventLog | pd.DataFrame, *, spec: JourneySpec | None = None, alpha: float = 0.05,
    **log_options: Any,
) -> DwellTimes:
    """Mean and median dwell time per stage, with intervals (see the module notes).

    A visit is a maximal run of touches in one stage within a journey; it lasts from its first
    touch to the first event of the next stage (or the conversion or drop-out), and a visit
    still open at the end of observation is censored there. The mean is the exposure divided
    by the visits that ended (the maximum-likelihood mean under a constant exit rate, which
    uses the censored visits' time at risk); the median is Kaplan-Meier's, which does not
    assume a constant rate.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    spec : JourneySpec, optional
        Default ``JourneySpec()``. Reads ``sequence``, ``timeout``, ``lookback`` and
        ``journeys``; ``order`` must be 1 and ``collapse_repeats`` False (see
        :func:`cjmodels.data.stage_visits`).
    alpha : float, default 0.05
        1 - the confidence level.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

    Returns
    -------
    DwellTimes
        Per stage: visits, ended visits, exposure, the mean with its exact Poisson interval,
        the mean of ended visits, and the Kaplan-Meier median with its interval (days; the
        log's own unit for numeric timestamps).

    Raises
    ------
    ValidationError
        For ``alpha`` outside (0, 1), a ``spec`` with fields the visits cannot honour, or an
        invalid event log.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0.0, 2.0, 3.0, 0, 4],
    ...                    "event": ["touch", "touch", "conversion", "touch", "touch"],
    ...                    "stage": ["a", "b", None, "a", "b"]})
    >>> dwell_times(df).table["mean"].round(2).tolist()
    [3.0, 1.0]
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    v = stage_visits(data, spec=spec, **log_options)
    rows = []
    for s, g in v.groupby("stage", sort=False):
        n_end = float(g["event"].sum())
        expo = float(g["duration"].sum())
        rate_lo, rate_hi = _poisson_rate_ci(np.array([n_end]), np.array([max(expo, 1e-300)]),
                                            alpha)
        kmf = KaplanMeierFitter(alpha=alpha)
        kmf.fit(g["duration"], g["event"])
        med_ci = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
        rows.append({
            "stage": s,
            "visits": len(g),
            "ended": n_end,
            "exposure": expo,
            "mean": expo / n_end if n_end else np.inf,
            "mean_low": 1 / rate_hi[0],
            "mean_high": 1 / rate_lo[0] if rate_lo[0] > 0 else np.inf,
            "mean_observed": float(g.loc[g["event"] == 1, "duration"].mean()),
            "median": float(kmf.median_survival_time_),
            "median_low": float(med_ci[0]),
            "median_high": float(med_ci[1]),
        })
    table = pd.DataFrame(rows).set_index("stage")
    scheme = None
    order = list(table.index)
    try:
        scheme = as_event_log(data, **log_options).scheme
    except ValidationError:  # pragma: no cover
        scheme = None
    if scheme is not None:
        order = [s for s in scheme.stages if s in table.index]
    return DwellTimes(table.loc[order], v, alpha)


@result_dataclass
class Intensities(Result):
    """Continuous-time transition intensities (per day) and derived expected times
    (:func:`transition_intensities`); ``summary()`` is ``table``.

    Attributes
    ----------
    table : DataFrame
        Long: ``from_state``, ``to_state``, ``transitions``, ``exposure``, ``intensity``,
        ``ci_low``, ``ci_high`` (exact Poisson).
    generator : DataFrame
        The generator matrix ``Q`` (rows sum to 0; end states absorbing).
    times : DataFrame
        Per transient stage, then the row ``(first touch)`` (averaged over the stages journeys
        start in): ``expected_days`` (to the end of the journey), ``p_conversion`` and
        ``days_to_conversion`` (given conversion), each with ``_low`` and ``_high``
        (delta-method; probabilities on the logit scale).
    alpha : float
        1 - the confidence level.
    info : dict
        ``n_visits``: the stage visits the intensities were counted from.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0.0, 2.0, 0.0, 4.0],
    ...                    "event": ["touch", "conversion", "touch", "drop_out"],
    ...                    "stage": ["a", None, "a", None]})
    >>> transition_intensities(df)
    Intensities(states=3, transitions=2, alpha=0.05)
    """

    table: pd.DataFrame
    generator: pd.DataFrame
    times: pd.DataFrame
    alpha: float
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"states": len(self.generator), "transitions": len(self.table),
                "alpha": self.alpha}

    def _to_dict(self) -> dict[str, Any]:
        times = self.times
        undefined = list(times.index[~np.isfinite(times.to_numpy(dtype=float)).all(axis=1)])
        notes = ([f"times from states {undefined} are undefined (null) or \"inf\": from "
                  "them the purchase (or any end) may never be reached." ] if undefined else [])
        return {
            "alpha": self.alpha,
            "intensities": self.table.to_dict(orient="records"),
            "times": [{"state": s, **r} for s, r in times.to_dict(orient="index").items()],
            "notes": notes,
        }


def transition_intensities(
    data: EventLog | pd.DataFrame, *, spec: JourneySpec | None = None, alpha: float = 0.05,
    **log_options: Any,
) -> Intensities:
    """Transition intensities ``q_ss' = n_ss' / T_s`` and expected times to purchase.

    Expected time to absorption from stage ``s`` is ``M 1`` with ``M = (-Q_TT)^-1`` (expected
    days in each stage); given conversion it is ``(M h)_s / h_s`` with ``h`` the conversion
    probabilities. ``times`` also has the row ``(first touch)``: the average over the stages
    journeys start in. ``data``, ``spec`` (default ``JourneySpec()``) and ``**log_options``
    are as in :func:`cjmodels.data.stage_visits`.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    spec : JourneySpec, optional
        Default ``JourneySpec()``; the fields read are those of
        :func:`cjmodels.data.stage_visits`.
    alpha : float, default 0.05
        1 - the confidence level.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` for a DataFrame.

    Returns
    -------
    Intensities
        The intensity of every observed transition per day with its exact Poisson interval,
        the generator matrix, and the expected days to the end and to conversion with
        delta-method intervals.

    Raises
    ------
    ValidationError
        When some stage is never left or has no time at risk (the expected times are not
        defined: use a longer window or a timeout), when some stages never lead to an end
        state, or for ``alpha`` outside (0, 1).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0.0, 2.0, 0.0, 4.0],
    ...                    "event": ["touch", "conversion", "touch", "drop_out"],
    ...                    "stage": ["a", None, "a", None]})
    >>> transition_intensities(df).table["intensity"].round(4).tolist()
    [0.1667, 0.1667]
    """
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    v = stage_visits(data, spec=spec, **log_options)
    stages = list(pd.unique(v["stage"]))
    try:
        scheme = as_event_log(data, **log_options).scheme
    except ValidationError:  # pragma: no cover
        scheme = None
    if scheme is not None:  # the scheme's order first; any other state (a channel) after
        stages = [s for s in scheme.stages if s in stages] + [
            s for s in stages if s not in scheme.stages
        ]
    ends = [e for e in pd.unique(v["exit"].dropna()) if e not in stages]
    conv_name = next((e for e in ends if "conversion" in str(e)), None)
    ends = sorted(ends, key=lambda e: (e != conv_name, str(e)))
    states = [*stages, *ends]
    k, ns = len(states), len(stages)
    pos = {s: i for i, s in enumerate(states)}
    expo = v.groupby("stage")["duration"].sum().reindex(stages).to_numpy(dtype=float)
    done = v[v["event"] == 1]
    n = np.zeros((k, k))
    rows = done["stage"].map(pos).to_numpy(dtype=np.intp)  # intp also when no stage was left
    cols = done["exit"].map(pos).to_numpy(dtype=np.intp)
    np.add.at(n, (rows, cols), 1.0)
    q = np.zeros((k, k))
    with np.errstate(divide="ignore", invalid="ignore"):
        q[:ns] = np.where(expo[:, None] > 0, n[:ns] / expo[:, None], 0.0)
    np.fill_diagonal(q, 0.0)
    q[np.arange(k), np.arange(k)] = -q.sum(axis=1)
    fi, tj = np.nonzero(n[:ns] * (1 - np.eye(k)[:ns]))
    lo, hi = _poisson_rate_ci(n[fi, tj], expo[fi], alpha)
    table = pd.DataFrame({
        "from_state": np.array(states, dtype=object)[fi],
        "to_state": np.array(states, dtype=object)[tj],
        "transitions": n[fi, tj],
        "exposure": expo[fi],
        "intensity": q[fi, tj],
        "ci_low": lo,
        "ci_high": hi,
    })
    # starting distribution: the stage of each journey's first visit
    first = v.groupby("journey", sort=False)["stage"].first()
    pi0 = first.value_counts(normalize=True).reindex(stages, fill_value=0.0).to_numpy()
    conv_i = pos.get(conv_name) if conv_name else None

    def fun(qq: np.ndarray) -> np.ndarray:
        qq = qq.copy()
        off = qq[:ns] * (1 - np.eye(k)[:ns])
        qq[np.arange(ns), np.arange(ns)] = -off.sum(axis=1)
        m = np.linalg.solve(-qq[:ns, :ns], np.eye(ns).astype(qq.dtype))
        t_abs = m.sum(axis=1)
        if conv_i is None:
            h = np.zeros(ns, dtype=qq.dtype)
        else:
            h = m @ qq[:ns, conv_i]
        given = (m @ h) / np.where(h == 0, np.nan, h)
        first_t = pi0 @ t_abs
        first_h = pi0 @ h
        first_given = (pi0 @ (m @ h)) / first_h if conv_i is not None else np.nan * first_h
        return np.concatenate([t_abs, h, given, [first_t, first_h, first_given]])

    if np.any(expo <= 0) or np.any(n[:ns].sum(axis=1) <= 0):
        raise ValidationError(
            "some stages are never left (no ended visit) or have no time at risk, so the "
            "expected times are not defined; use a longer window or a timeout."
        )
    stuck = [states[i] for i in np.flatnonzero(~_reaching(n > 0, range(ns, k))[:ns])]
    if stuck:
        raise ValidationError(
            f"stages {stuck} never lead to an end of the journey {ends}: every visit to them "
            "ends in another of them, so the expected time to absorption is not defined. "
            "Check the data for journeys without their drop-out or conversion events (a "
            "timeout= turns a long silence into a drop-out)."
        )
    est = fun(q)
    # delta method: q_ss' = n / T with Var = n / T^2, independent Poisson counts
    var = np.zeros_like(est)

    def at(v: np.ndarray) -> np.ndarray:
        qc = q.astype(complex)
        qc[fi, tj] = v
        return fun(qc)

    grads = complex_step(at, q[fi, tj], step=1e-30) if len(fi) else []
    for c, (i, j) in enumerate(zip(fi, tj, strict=True)):
        var += grads[c] ** 2 * n[i, j] / expo[i] ** 2
    se = np.sqrt(var)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = [*stages, "(first touch)"]
    t_abs = np.append(est[:ns], est[3 * ns])
    h = np.append(est[ns : 2 * ns], est[3 * ns + 1])
    given = np.append(est[2 * ns : 3 * ns], est[3 * ns + 2])
    se_t = np.append(se[:ns], se[3 * ns])
    se_h = np.append(se[ns : 2 * ns], se[3 * ns + 1])
    se_g = np.append(se[2 * ns : 3 * ns], se[3 * ns + 2])
    t_lo, t_hi = _interval(t_abs, se_t, z, False)
    h_lo, h_hi = _interval(h, se_h, z, True)
    g_lo, g_hi = _interval(given, se_g, z, False)
    times = pd.DataFrame({
        "expected_days": t_abs, "expected_days_low": t_lo, "expected_days_high": t_hi,
        "p_conversion": h, "p_conversion_low": h_lo, "p_conversion_high": h_hi,
        "days_to_conversion": given, "days_to_conversion_low": g_lo,
        "days_to_conversion_high": g_hi,
    }, index=pd.Index(rows, name="state"))
    gen = pd.DataFrame(q, index=states, columns=states)
    return Intensities(table, gen, times, alpha, {"n_visits": len(v)})
