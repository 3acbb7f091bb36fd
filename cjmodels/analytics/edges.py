"""Time per transition: the time along each edge, censoring-aware, and cell-by-cell differences
of two segments' transition matrices.

:func:`edge_times` answers "how long from email to the next step, and to purchase": for every
edge ``a -> b`` of the journeys (channel to channel, stage to stage, to ``(conversion)`` or to
``(null)``, the drop-out) the distribution of the time from a touch in ``a`` to the next event
when that event is ``b``. Visits to ``a`` whose next event has not happened by the end of
observation are censored; the next states compete. The estimator is the Aalen-Johansen
cumulative incidence of each next state (see :func:`edge_times`), and every interval comes from
a bootstrap over customers. pm4py's performance directly-follows graph (the plain mean of the
observed times) is given next to it, for comparison.

:func:`transition_differences` puts the transition matrices of two segments side by side, cell
by cell: each difference of transition probabilities with an interval adjusted for the number
of cells compared and a test, and the overall homogeneity test of
:func:`cjmodels.experiments.compare_transitions`.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
import scipy.stats as sps

from cjmodels._checks import check_scalar, warn_user
from cjmodels._progress import check_progress, progress_bar
from cjmodels._resample import replicate_generators, resample_units
from cjmodels.data import EventLog, JourneySpec, journey_transitions
from cjmodels.data.events import as_event_log
from cjmodels.errors import ValidationError
from cjmodels.experiments import CORRECTIONS, adjust_pvalues, compare_transitions
from cjmodels.results import HypothesisTest, Result, result_dataclass

__all__ = ["EdgeTimes", "TransitionDifferences", "edge_times", "transition_differences"]

#: The to-state of the rows of :class:`EdgeTimes` that pool every next step.
NEXT_STEP = "(next step)"
_CENSORED = "(censored)"
_BATCH = 64  # bootstrap replicates per vectorised batch


def _check_spec(spec: Any, default: JourneySpec) -> JourneySpec:
    return JourneySpec.resolve(spec, default=default)


def _check_alpha(alpha: Any) -> float:
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    return float(alpha)


# --------------------------------------------------------------------------- the estimator
def _aalen_johansen(time: np.ndarray, cause: np.ndarray, n_causes: int, weight: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Weighted Kaplan-Meier and Aalen-Johansen curves, one column per weight vector.

    ``time`` is sorted; ``cause`` is 0..n_causes-1, or -1 for a censored visit; ``weight`` is
    ``(n, B)``. Returns the distinct times ``(m,)``, the all-cause survival ``S`` ``(m, B)``
    just after each time, and for each cause the times at which its cumulative incidence
    ``F_k`` jumps with ``F_k`` just after them (a step function: only the rows of cause
    ``k`` are touched, so the work is linear in the visits whatever the number of causes).
    """
    step = np.r_[True, np.diff(time) > 0]
    starts = np.flatnonzero(step)
    group = np.cumsum(step) - 1  # distinct time of each row
    utime = time[starts]
    total = np.add.reduceat(weight, starts, axis=0)
    at_risk = np.cumsum(total[::-1], axis=0)[::-1]

    def per_time(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = group[rows]
        first = np.flatnonzero(np.r_[True, np.diff(g) > 0])
        return g[first], np.add.reduceat(weight[rows], first, axis=0)

    d = np.zeros_like(total)
    events = np.flatnonzero(cause >= 0)
    if len(events):
        g_all, d_all = per_time(events)
        d[g_all] = d_all
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(at_risk > 0, 1.0 / np.where(at_risk > 0, at_risk, 1.0), 0.0)
    surv = np.cumprod(np.clip(1.0 - d * inv, 0.0, 1.0), axis=0)
    before = np.vstack([np.ones((1, surv.shape[1])), surv[:-1]])
    curves = []
    for k in range(n_causes):
        rows = np.flatnonzero(cause == k)
        g_k, d_k = per_time(rows)
        curves.append((utime[g_k], np.cumsum(before[g_k] * d_k * inv[g_k], axis=0)))
    return utime, surv, curves


def _first_reaching(curve: np.ndarray, level: np.ndarray, utime: np.ndarray) -> np.ndarray:
    """For each column, the first time at which ``curve >= level`` (NaN if never)."""
    hit = curve >= level[None, :] - 1e-12
    anyhit = hit.any(axis=0)
    idx = hit.argmax(axis=0)
    return np.where(anyhit, utime[idx], np.nan)


def _source_quantities(time: np.ndarray, cause: np.ndarray, n_causes: int, weight: np.ndarray,
                       quantiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles ``(1 + n_causes, n_q, B)`` (the pooled next step first, then each next
    state's conditional quantiles) and shares ``(1 + n_causes, B)`` of one source state."""
    utime, surv, curves = _aalen_johansen(time, cause, n_causes, weight)
    n_b = weight.shape[1]
    q_out = np.full((1 + n_causes, len(quantiles), n_b), np.nan)
    share = np.full((1 + n_causes, n_b), np.nan)
    left = 1.0 - surv
    share[0] = left[-1]
    for i, q in enumerate(quantiles):  # never reached: beyond the longest follow-up
        r = _first_reaching(left, np.full(n_b, q), utime)
        q_out[0, i] = np.where(np.isnan(r), np.inf, r)
    for k, (t_k, inc) in enumerate(curves):
        final = inc[-1]
        share[1 + k] = final
        ok = final > 0
        for i, q in enumerate(quantiles):
            r = _first_reaching(inc, q * final, t_k)
            q_out[1 + k, i] = np.where(ok, r, np.nan)
    return q_out, share


@result_dataclass
class EdgeTimes(Result):
    """The time along each edge of the journeys, with censoring (made by :func:`edge_times`).

    ``summary()`` is :attr:`table`; ``plot()`` draws each edge's median time with its interval
    and the observed (uncensored) median next to it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per edge: ``from_state``, ``to_state`` (``"(next step)"`` for the row that
        pools every next state of ``from_state``), ``visits`` (touches in ``from_state``
        followed by anything or censored), ``count`` (transitions observed on the edge),
        ``censored`` (visits of ``from_state`` still open at the end of observation),
        ``share`` with ``share_ci_low``/``share_ci_high`` (the censoring-aware probability
        that the next step from ``from_state`` is ``to_state``; for ``"(next step)"`` the
        probability that there is one by the longest follow-up), ``median`` with
        ``ci_low``/``ci_high``, and ``mean_observed``/``median_observed`` (the plain mean and
        median of the observed times: pm4py's performance graph, which ignores censoring).
    quantiles : pandas.DataFrame
        One row per edge and quantile: ``from_state``, ``to_state``, ``quantile``,
        ``estimate``, ``ci_low``, ``ci_high``.
    unit : str
        The unit of the times (``"days"`` for datetime logs, ``"log units"`` for numbers).
    alpha : float
        1 - the confidence level of the intervals.
    n_boot : int
        Bootstrap replicates over customers (0: no intervals).
    n_customers : int
        Customers whose journeys were read.
    info : dict
        The journey specification's fields, the estimator and interval methods, the
        quantiles, the number of visits (``visits``) and of censored ones
        (``censored_visits``), and ``journeys_without_touches`` (journeys of a conversion with
        no touch before it, for example after a silence longer than the timeout: no visit
        leads to them, so they are on no edge).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 3, 3],
    ...                    "timestamp": [0.0, 2.0, 0.0, 4.0, 0.0, 1.0],
    ...                    "event": ["touch", "conversion"] * 3,
    ...                    "channel": ["email", None] * 3})
    >>> r = edge_times(df, n_boot=0)
    >>> r
    EdgeTimes(edges=1, unit='log units', alpha=0.05, n_boot=0, n_customers=3)
    >>> r.table[["from_state", "to_state", "count", "median", "mean_observed"]]
      from_state      to_state  count  median  mean_observed
    0      email   (next step)      3     2.0       2.333333
    1      email  (conversion)      3     2.0       2.333333
    """

    table: pd.DataFrame
    quantiles: pd.DataFrame
    unit: str
    alpha: float
    n_boot: int
    n_customers: int
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"edges": int((self.table["to_state"] != NEXT_STEP).sum()), "unit": self.unit,
                "alpha": self.alpha, "n_boot": self.n_boot, "n_customers": self.n_customers}

    def _to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="list"),
                "quantiles": self.quantiles.to_dict(orient="list"), "unit": self.unit,
                "alpha": self.alpha, "n_boot": self.n_boot, "n_customers": self.n_customers,
                "info": self.info}

    def edge(self, from_state: str, to_state: str = NEXT_STEP) -> pd.DataFrame:
        """The quantiles of one edge.

        Parameters
        ----------
        from_state : str
            The state the edge leaves.
        to_state : str, default "(next step)"
            The state it enters; ``"(next step)"`` pools every next state.

        Returns
        -------
        pandas.DataFrame
            ``quantile``, ``estimate``, ``ci_low``, ``ci_high``, one row per quantile.

        Raises
        ------
        cjmodels.errors.ValidationError
            When the edge was not observed.
        """
        q = self.quantiles
        rows = q[(q["from_state"] == from_state) & (q["to_state"] == to_state)]
        if rows.empty:
            edges = list(zip(self.table["from_state"], self.table["to_state"], strict=True))
            raise ValidationError(
                f"no edge {from_state!r} -> {to_state!r}; the edges are {edges[:20]}."
            )
        return rows[["quantile", "estimate", "ci_low", "ci_high"]].reset_index(drop=True)

    def _plot(self, ax: Any, *, max_edges: int = 20, next_step: bool = False,
              ci: bool = True) -> None:
        """Median time of the most frequent edges, with intervals and the observed median."""
        check_scalar(max_edges, "max_edges", typ=int, ge=1)
        tab = self.table
        if not next_step:
            tab = tab[tab["to_state"] != NEXT_STEP]
        tab = tab.sort_values("count", ascending=False, kind="stable").head(max_edges)
        y = np.arange(len(tab))[::-1]
        ax.plot(tab["median"], y, "o", color="tab:blue", label="median (censoring-aware)")
        if ci:
            ax.hlines(y, tab["ci_low"], tab["ci_high"], color="tab:blue", linewidth=1.5)
        ax.plot(tab["median_observed"], y, "x", color="tab:orange",
                label="median of observed times")
        ax.set_yticks(y, [f"{a} -> {b}" for a, b in zip(tab["from_state"], tab["to_state"],
                                                         strict=True)])
        ax.set_xlabel(f"time along the edge ({self.unit})")
        ax.set_title("time per transition")
        ax.legend(fontsize=8)


def edge_times(
    data: EventLog | pd.DataFrame,
    *,
    spec: JourneySpec | None = None,
    quantiles: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9),
    alpha: float = 0.05,
    n_boot: int = 1000,
    random_state: Any = None,
    progress: Any = False,
    **log_options: Any,
) -> EdgeTimes:
    """The time along each edge (``a -> b``) of the journeys, censoring-aware, with intervals.

    Every touch in state ``a`` (a channel or a stage, by ``spec.sequence``) is a *visit* of
    ``a``; it ends at the journey's next event: a touch in ``b``, the ``(conversion)``, or the
    ``(null)`` drop-out (a ``drop_out``/``churn`` event, or, with a ``timeout``, the moment
    the silence reaches the timeout). A visit whose journey is still open at the end of
    observation is censored there. The edges are direct successions (pm4py's
    directly-follows), not "eventually".

    **What is estimated.** The next states of ``a`` compete: a visit ends in one of them.
    Two questions, two estimators:

    * *How long until anything happens after* ``a`` (row ``to_state == "(next step)"``):
      the Kaplan-Meier curve ``S(t)`` of the visit's duration, every next state an event;
      its quantile ``q`` is the first time with ``1 - S(t) >= q`` (lifelines'
      convention), NaN when the curve never gets there.
    * *How long from* ``a`` *to* ``b``, *among the visits that go to* ``b`` (row
      ``a -> b``): the distribution of the duration given that the next state is ``b``,
      ``F_b(t) / F_b(tau)``, where ``F_b`` is the Aalen-Johansen cumulative incidence of
      ``b`` (the censoring-aware probability of having moved to ``b`` by ``t``) and ``tau``
      the longest follow-up. Its quantile ``q`` is the first time with
      ``F_b(t) >= q F_b(tau)``. One minus a Kaplan-Meier curve that treats the other next
      states as censored would estimate the time to ``b`` in a world where ``b`` were the
      only way out: longer than any time observed and not what the analyst asks. The plain
      median of the observed times (``median_observed``) is biased short, since long
      durations are the ones most often still censored. ``share`` is ``F_b(tau)``, the
      censoring-aware probability that the next step is ``b``.

    **Intervals**: percentile intervals of ``n_boot`` bootstrap replicates over customers
    (a customer's visits stay together, so repeated visits of one customer are not taken
    as independent). With a single visit per customer the pointwise curves are those of
    lifelines' ``KaplanMeierFitter`` and ``AalenJohansenFitter`` (tests compare them).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    spec : JourneySpec, optional
        Default ``JourneySpec(sequence="channel")``. Reads ``sequence``, ``order``,
        ``timeout``, ``lookback`` and ``journeys``; the others must keep their defaults
        (censoring is the estimator's own).
    quantiles : tuple of float
        The quantiles reported in :attr:`EdgeTimes.quantiles`, each in (0, 1); 0.5 is always
        computed (the table's ``median``).
    alpha : float
        1 - the confidence level of the intervals.
    n_boot : int
        Bootstrap replicates over customers; 0 gives estimates without intervals.
    random_state : None, int or numpy.random.Generator
        Seed of the bootstrap.
    progress : bool or callable
        A progress bar over the source states (each with its bootstrap).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    EdgeTimes
        The per-edge table (frequency, censoring, share, median with interval, observed mean
        and median) and the quantiles of every edge.

    Raises
    ------
    cjmodels.errors.ValidationError
        For a bad ``spec``, ``quantiles``, ``alpha`` or ``n_boot``, a log without the
        sequence's column, or journeys without a transition out of a touch.

    Examples
    --------
    >>> from cjmodels.datasets import load_journeys
    >>> r = edge_times(load_journeys().event_log(), n_boot=50, random_state=0)
    >>> row = r.table.set_index(["from_state", "to_state"]).loc[("email", "(conversion)")]
    >>> int(row["count"]), int(row["censored"]), round(float(row["median"]), 2)
    (105, 519, 2.03)
    >>> round(float(row["ci_low"]), 2), round(float(row["ci_high"]), 2)
    (1.77, 2.47)
    """
    spec = _check_spec(spec, JourneySpec(sequence="channel"))
    spec.check_fields(("sequence", "order", "timeout", "lookback", "journeys"),
                      "edge_times")
    alpha = _check_alpha(alpha)
    n_boot = check_scalar(n_boot, "n_boot", typ=int, ge=0)
    check_progress(progress)
    try:
        qs = np.asarray(list(quantiles), dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"quantiles == {quantiles!r}; pass numbers in (0, 1), e.g. (0.25, 0.5, 0.75)."
        ) from None
    if qs.ndim != 1 or qs.size == 0 or not np.all((qs > 0) & (qs < 1)):
        raise ValidationError(
            f"quantiles == {quantiles!r}; pass numbers in (0, 1), e.g. (0.25, 0.5, 0.75)."
        )
    qs = np.unique(np.r_[qs, 0.5])
    log = as_event_log(data, **log_options)
    jt = journey_transitions(
        log, spec=spec.replace(censored="state", censor_recent=False), times=True
    )
    states = np.asarray(jt.counts.states, dtype=object)
    start_i = jt.counts.states.index(jt.counts.start)
    null_i = jt.counts.states.index(jt.counts.absorbing[1])
    cens_i = jt.counts.states.index(_CENSORED)
    frame = jt.journey_frame
    keep = jt.frm != start_i
    frm, to, journey = jt.frm[keep], jt.to[keep], jt.journey[keep]
    t_from, t_to = jt.time_from[keep], jt.time_to[keep].copy()
    obs_end = float(frame["observation_end"].iloc[0])
    end_time = frame["end_time"].to_numpy(dtype=float)[journey]
    is_null = to == null_i
    t_to[is_null] = end_time[is_null]
    duration = t_to - t_from
    if spec.timeout is not None:  # a drop-out by silence happens when the silence reaches it
        span = log.duration(spec.timeout, "D")
        duration = np.where(is_null & (duration <= 0), span, duration)
    is_cens = to == cens_i
    duration[is_cens] = obs_end - t_from[is_cens]
    if len(frm) == 0:
        raise ValidationError(
            "no journey has a touch followed by anything (or censored after it): there is no "
            "edge to time. Check the event types of the log."
        )
    unit = jt.unit[journey]
    n_units = len(jt.unit_weight)
    gens = replicate_generators(random_state, n_boot)
    rows: list[dict[str, Any]] = []
    qrows: list[dict[str, Any]] = []
    lo_p, hi_p = 100 * alpha / 2, 100 * (1 - alpha / 2)
    sources = np.unique(frm)
    # bootstrap multiplicities per customer, batch by batch (shared across source states)
    boot_w: list[np.ndarray] = []
    for b0 in range(0, n_boot, _BATCH):
        boot_w.append(np.stack([resample_units(g, n_units) for g in gens[b0:b0 + _BATCH]],
                               axis=1).astype(float))
    for s in progress_bar(sources, progress, total=len(sources), desc="edge times"):
        sel = np.flatnonzero(frm == s)
        order = np.argsort(duration[sel], kind="stable")
        sel = sel[order]
        x = duration[sel]
        nxt = to[sel]
        causes = np.unique(nxt[nxt != cens_i])
        code = np.full(len(sel), -1)
        for k, c in enumerate(causes):
            code[nxt == c] = k
        q_hat, share_hat = _source_quantities(x, code, len(causes), np.ones((len(sel), 1)), qs)
        q_hat, share_hat = q_hat[..., 0], share_hat[:, 0]
        if n_boot:
            qb = []
            sb = []
            for w in boot_w:
                qq, ss = _source_quantities(x, code, len(causes), w[unit[sel]], qs)
                qb.append(qq)
                sb.append(ss)
            q_boot = np.concatenate(qb, axis=2)
            s_boot = np.concatenate(sb, axis=1)
            with np.errstate(all="ignore"):
                q_lo = _nanpercentile(q_boot, lo_p)
                q_hi = _nanpercentile(q_boot, hi_p)
                s_lo = _nanpercentile(s_boot, lo_p)
                s_hi = _nanpercentile(s_boot, hi_p)
        else:
            q_lo = q_hi = np.full(q_hat.shape, np.nan)
            s_lo = s_hi = np.full(share_hat.shape, np.nan)
        n_cens = int((code < 0).sum())
        targets = [NEXT_STEP, *(str(states[c]) for c in causes)]
        for r, target in enumerate(targets):
            obs = x[code >= 0] if r == 0 else x[code == r - 1]
            mid = int(np.flatnonzero(qs == 0.5)[0])
            rows.append({
                "from_state": str(states[s]), "to_state": target, "visits": len(sel),
                "count": len(obs), "censored": n_cens, "share": share_hat[r],
                "share_ci_low": s_lo[r], "share_ci_high": s_hi[r], "median": q_hat[r, mid],
                "ci_low": q_lo[r, mid], "ci_high": q_hi[r, mid],
                "mean_observed": float(obs.mean()) if len(obs) else math.nan,
                "median_observed": float(np.median(obs)) if len(obs) else math.nan,
            })
            for i, q in enumerate(qs):
                qrows.append({"from_state": str(states[s]), "to_state": target,
                              "quantile": float(q), "estimate": q_hat[r, i],
                              "ci_low": q_lo[r, i], "ci_high": q_hi[r, i]})
    table = pd.DataFrame(rows)
    qtable = pd.DataFrame(qrows)
    info = {**spec.to_dict(), "method": "aalen-johansen", "interval": "bootstrap-percentile",
            "resampling_unit": "customer", "quantiles": [float(q) for q in qs],
            "visits": int(len(frm)), "censored_visits": int(is_cens.sum()),
            "journeys_without_touches": int((jt.journey_set.lengths == 0).sum())}
    return EdgeTimes(table, qtable, "days" if log.time_kind == "datetime" else "log units",
                     alpha, int(n_boot), int(n_units), info)


def _nanpercentile(a: np.ndarray, p: float) -> np.ndarray:
    """Percentile along the last axis, leaving out NaN replicates (an edge a replicate did
    not draw) and keeping infinite ones (a quantile beyond the follow-up); NaN where every
    replicate is NaN."""
    big = 1e300
    a = np.where(np.isposinf(a), big, a)
    out = np.full(a.shape[:-1], np.nan)
    ok = ~np.all(np.isnan(a), axis=-1)
    if ok.any():
        out[ok] = np.nanpercentile(a[ok], p, axis=-1)
    return np.where(out >= big / 10, np.inf, out)


# --------------------------------------------------------------- two segments, cell by cell
@result_dataclass
class TransitionDifferences(Result):
    """Two segments' transition matrices side by side, cell by cell (made by
    :func:`transition_differences`).

    ``summary()`` is :attr:`table`; ``plot()`` draws each cell's difference with its adjusted
    interval, the cells that differ beyond noise highlighted.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per cell ``from_state -> to_state`` (from-states seen in both segments):
        ``n_from_a``, ``count_a``, ``p_a`` and the same for ``b`` (transitions out of the
        from-state, into the cell, and their ratio), ``difference`` (``p_b - p_a``), ``se``,
        ``ci_low``/``ci_high`` (adjusted for the number of cells, see ``ci_level``),
        ``statistic`` (the Wald z score), ``pvalue``, ``pvalue_adjusted`` and ``significant``
        (``pvalue_adjusted < alpha``).
    overall : HypothesisTest
        The homogeneity test of the two matrices (:func:`cjmodels.experiments.compare_transitions`).
    groups : tuple of str
        The segments ``(a, b)``; ``a`` is the reference.
    alpha : float
        The family's error rate.
    correction : str
        The multiple-testing correction (:data:`cjmodels.experiments.CORRECTIONS`).
    ci_level : float
        The confidence level of each cell's interval after the adjustment.
    info : dict
        The journey specification's fields, the group column, customers per segment,
        customers left out (``customers_without_group``), the number of ``cells`` and the
        from-states seen in one segment only (``one_segment_only``: left out, with a
        warning).

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "customer_id": [c for c in range(1, 9) for _ in range(2)],
    ...     "timestamp": [0.0, 1.0] * 8,
    ...     "event": ["touch", "conversion"] * 3 + ["touch", "drop_out"] * 4
    ...              + ["touch", "conversion"],
    ...     "channel": ["email", None] * 8,
    ...     "segment": [g for g in "AAAABBBB" for _ in range(2)]})
    >>> r = transition_differences(df, group="segment")
    >>> r
    TransitionDifferences(groups=('A', 'B'), cells=3, significant=0, alpha=0.05, correction='holm')
    >>> r.table.loc[1, "to_state"], r.table.loc[1, ["p_a", "p_b", "difference"]].to_numpy(
    ...     dtype=float).tolist()
    ('(conversion)', [0.75, 0.25, -0.5])
    """

    table: pd.DataFrame
    overall: HypothesisTest
    groups: tuple[str, str]
    alpha: float
    correction: str
    ci_level: float
    info: dict[str, Any] = field(default_factory=dict)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        return {"groups": self.groups, "cells": len(self.table),
                "significant": int(self.table["significant"].sum()), "alpha": self.alpha,
                "correction": self.correction}

    def _to_dict(self) -> dict[str, Any]:
        return {"table": self.table.to_dict(orient="list"), "overall": self.overall.to_dict(),
                "groups": list(self.groups), "alpha": self.alpha, "correction": self.correction,
                "ci_level": self.ci_level, "info": self.info}

    def matrix(self, what: str = "difference") -> pd.DataFrame:
        """One column of :attr:`table` as a from-state x to-state matrix.

        Parameters
        ----------
        what : str, default "difference"
            A column of :attr:`table` (``"p_a"``, ``"p_b"``, ``"pvalue_adjusted"``, ...).

        Returns
        -------
        pandas.DataFrame
            From-states as rows, to-states as columns; NaN for cells not compared.

        Raises
        ------
        cjmodels.errors.ValidationError
            For a name that is not a column of the table.
        """
        if what not in self.table.columns or what in ("from_state", "to_state"):
            raise ValidationError(
                f"what == {what!r}; pass one of {list(self.table.columns[2:])}."
            )
        return self.table.pivot(index="from_state", columns="to_state", values=what)

    def _plot(self, ax: Any, *, max_cells: int = 25, ci: bool = True) -> None:
        """Differences of the cells with the smallest adjusted p-values."""
        check_scalar(max_cells, "max_cells", typ=int, ge=1)
        tab = self.table.sort_values("pvalue_adjusted", kind="stable").head(max_cells)
        y = np.arange(len(tab))[::-1]
        color = np.where(tab["significant"], "tab:red", "tab:gray")
        ax.scatter(tab["difference"], y, c=list(color), zorder=3)
        if ci:
            ax.hlines(y, tab["ci_low"], tab["ci_high"], colors=list(color), linewidth=1.5)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y, [f"{a} -> {b}" for a, b in zip(tab["from_state"], tab["to_state"],
                                                         strict=True)])
        a, b = self.groups
        ax.set_xlabel(f"p({b}) - p({a}), {self.ci_level:.1%} intervals ({self.correction})")
        ax.set_title("where the segments' transitions differ")


def _segment_logs(log: EventLog, group: str,
                  groups: tuple[Any, Any] | None) -> tuple[dict[str, EventLog], dict[str, Any]]:
    """The log split by each customer's segment (the one value of ``group`` it has)."""
    if not isinstance(group, str) or group not in log.events.columns or group in (
            "customer_id", "timestamp", "event"):
        raise ValidationError(
            f"group == {group!r} is not a covariate column of the event log (it has "
            f"{list(log.covariates)}); name the column that holds each customer's segment."
        )
    ev = log.events
    values = ev[group].astype(object)
    known = values.notna().to_numpy()
    labels = values.where(known, None).map(lambda v: None if v is None else str(v))
    raw = pd.unique(values[known])
    if len({str(v) for v in raw}) != len(raw):
        raise ValidationError(
            f"column {group!r} has values that print alike ({sorted(map(repr, raw))[:10]}, "
            "such as 1 and '1'); they would merge into one segment. Make them one type."
        )
    per_customer = pd.DataFrame({"c": log.customer_codes[known],
                                 "g": labels[known].to_numpy()}).drop_duplicates()
    twice = per_customer["c"].duplicated(keep=False).to_numpy()
    if twice.any():
        bad = pd.unique(log.customers[per_customer["c"].to_numpy()[twice]])[:5].tolist()
        raise ValidationError(
            f"customers {bad} have more than one value of {group!r}; a segment must be one "
            "value per customer (fix the column, or derive it per customer first)."
        )
    seg = pd.Series(per_customer["g"].to_numpy(), index=per_customer["c"].to_numpy())
    names = sorted(seg.unique().tolist())
    if groups is None:
        if len(names) != 2:
            raise ValidationError(
                f"column {group!r} has {len(names)} segments {names[:10]}; "
                "transition_differences compares two: pass groups=(a, b)."
            )
        chosen = (names[0], names[1])
    else:
        if not isinstance(groups, tuple | list) or len(groups) != 2:
            raise ValidationError(f"groups == {groups!r}; pass two segment values (a, b).")
        chosen = (str(groups[0]), str(groups[1]))
        missing = [g for g in chosen if g not in names]
        if missing or chosen[0] == chosen[1]:
            raise ValidationError(
                f"groups == {groups!r}; pass two different values of {group!r} among {names[:20]}."
            )
    code_seg = np.full(log.n_customers, None, dtype=object)
    code_seg[seg.index.to_numpy()] = seg.to_numpy()
    row_seg = code_seg[log.customer_codes]
    n_none = int(sum(v is None for v in code_seg))
    if n_none:
        warn_user(f"{n_none} customers have no value of {group!r} and are left out of "
                  "the comparison.")
    logs = {}
    for g in chosen:
        sub = ev.loc[row_seg == g]
        logs[g] = EventLog(sub, scheme=log.scheme, observation_start=log.observation_start,
                           observation_end=log.observation_end, event_types=log.event_types,
                           covariates=list(log.covariates))
    info = {"group": group, "customers": {g: int((code_seg == g).sum()) for g in chosen},
            "customers_without_group": n_none}
    return logs, info


def _cell_counts(jt: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell: count, n_from and the sums of squares of the per-customer counts."""
    unit = jt.unit[jt.journey]
    names = np.asarray(jt.counts.states, dtype=object)
    w = jt.weight
    cell = pd.DataFrame({"u": unit, "f": names[jt.frm], "t": names[jt.to], "w": w})
    per_ct = cell.groupby(["u", "f", "t"], sort=False)["w"].sum().rename("n_cij").reset_index()
    per_c = cell.groupby(["u", "f"], sort=False)["w"].sum().rename("n_ci").reset_index()
    per_ct = per_ct.merge(per_c, on=["u", "f"])
    per_ct["cij2"] = per_ct["n_cij"] ** 2
    per_ct["cij_ci"] = per_ct["n_cij"] * per_ct["n_ci"]
    cells = per_ct.groupby(["f", "t"])[["n_cij", "cij2", "cij_ci"]].sum()
    per_c["ci2"] = per_c["n_ci"] ** 2
    rows = per_c.groupby("f")[["n_ci", "ci2"]].sum()
    return cells, rows


def transition_differences(
    data: EventLog | pd.DataFrame,
    *,
    group: str,
    groups: tuple[Any, Any] | None = None,
    spec: JourneySpec | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    test: str = "likelihood-ratio",
    **log_options: Any,
) -> TransitionDifferences:
    """Two segments' transition matrices cell by cell: differences, adjusted intervals, tests.

    For every from-state seen in both segments and every to-state seen from it, the
    transition probability ``p = n_ij / n_i`` of each segment (transitions into the cell over
    transitions out of the from-state) and their difference ``p_b - p_a``.

    **Per cell.** A customer's transitions are not independent, so every variance is that of
    a ratio over customers (the cluster-robust sandwich, ``sum_c (n_cij - p n_ci)^2 / n_i^2``
    over the segment's customers; without a small-sample factor, so that with one transition
    per customer it is the binomial ``p (1 - p) / n``). The interval is Wald's, ``d +- z se``
    with the unpooled variances, and the test is the matching Wald z test (statsmodels'
    ``confint_proportions_2indep`` and ``test_proportions_2indep`` with ``method="wald"``
    when each customer makes one transition), so that a cell is significant exactly when
    its adjusted interval excludes 0 (for ``"bonferroni"``, ``"bh"`` and ``"by"``; Holm and
    Hochberg may reject a cell whose Bonferroni interval still touches 0). Where the
    unpooled variance is 0 (the cell is 0 or 1 in both segments, say 0 of 3 against 2 of 2)
    the test uses the variance under the null instead (both segments' residuals around the
    pooled ``p``; the score test), and a cell that is 0 in both has p-value 1. Wald's test
    is liberal for cells with a handful of transitions: read those with their counts.

    **Multiplicity.** The p-values are adjusted over the cells with
    :func:`cjmodels.experiments.adjust_pvalues`. Intervals are adjusted to match: for the
    family-wise corrections (``"bonferroni"``, ``"holm"``, ``"hochberg"``) each interval has
    level ``1 - alpha / m`` (Bonferroni's simultaneous intervals, over ``m`` cells; Holm and
    Hochberg have no shorter simultaneous intervals); for the false-discovery-rate
    corrections (``"bh"``, ``"by"``) the false-coverage-rate intervals of Benjamini and
    Yekutieli (2005), level ``1 - R alpha / m`` with ``R`` the cells rejected (``1 - alpha
    / m`` when none is; for ``"by"`` ``alpha`` is divided by ``sum_{k<=m} 1/k``).

    **Overall.** :func:`cjmodels.experiments.compare_transitions` on the two segments' logs
    (Anderson-Goodman homogeneity over every from-state, as ``test`` says). That test takes
    every transition as independent: when customers differ in their propensities and make
    many steps each it is liberal (the per-cell intervals are not, being cluster-robust);
    ``spec=JourneySpec(journeys="first")`` keeps one journey per customer.

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log; with a DataFrame, pass column options as keywords.
    group : str
        The column (a covariate of the log) that holds each customer's segment: one value per
        customer (rows where it is missing, such as conversions, are ignored; customers
        without any value are left out with a warning).
    groups : tuple, optional
        The two segments to compare, reference first; default the two values of ``group``
        in sorted order (which must be all of them).
    spec : JourneySpec, optional
        The journeys and states (default ``JourneySpec(sequence="channel")``), as in
        :func:`cjmodels.data.journey_transitions`.
    alpha : float
        The family's error rate.
    correction : str
        ``"holm"`` (default), ``"bonferroni"``, ``"hochberg"``, ``"bh"`` or ``"by"``.
    test : {"likelihood-ratio", "pearson"}
        The overall statistic.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    TransitionDifferences
        The cell table and the overall test.

    Raises
    ------
    cjmodels.errors.ValidationError
        For a ``group`` that is not a covariate column, a customer with two segments, not
        exactly two segments (without ``groups``), a bad ``spec``, ``alpha``, ``correction``
        or ``test``, or no from-state seen in both segments.

    Examples
    --------
    >>> from cjmodels.datasets import load_journeys
    >>> log = load_journeys().event_log()
    >>> r = transition_differences(log, group="segment", spec=JourneySpec(sequence="stage"))
    >>> r.groups, len(r.table), int(r.table["significant"].sum())
    (('business', 'consumer'), 22, 7)
    >>> cell = r.table.set_index(["from_state", "to_state"]).loc[("awareness", "interest")]
    >>> round(float(cell["difference"]), 3), round(float(cell["ci_low"]), 3)
    (-0.056, -0.105)
    >>> round(r.overall.statistic, 1), r.overall.df
    (97.2, 15)
    """
    spec = _check_spec(spec, JourneySpec(sequence="channel"))
    alpha = _check_alpha(alpha)
    check_scalar(correction, "correction", in_=tuple(CORRECTIONS))
    check_scalar(test, "test", in_=("likelihood-ratio", "pearson"))
    log = as_event_log(data, **log_options)
    logs, info = _segment_logs(log, group, groups)
    a, b = list(logs)
    cells, rows = {}, {}
    for g in (a, b):
        cells[g], rows[g] = _cell_counts(journey_transitions(logs[g], spec=spec))
    shared = sorted(set(rows[a].index) & set(rows[b].index), key=str)
    if not shared:
        raise ValidationError(
            f"no from-state is seen in both segments {a!r} and {b!r}: there is no cell to "
            "compare."
        )
    only_one = sorted(set(rows[a].index) ^ set(rows[b].index), key=str)
    if only_one:
        warn_user(f"from-states {only_one[:10]} are seen in one segment only; their rows "
                  "cannot be compared and are left out of the table (info['one_segment_only']).")
    out = []
    for f in shared:
        tos = sorted(
            set(cells[a].loc[f].index) | set(cells[b].loc[f].index), key=str
        )
        for t in tos:
            rec: dict[str, Any] = {"from_state": f, "to_state": t}
            part = {}
            for tag, g in (("a", a), ("b", b)):
                n_i, q_i = (float(v) for v in rows[g].loc[f, ["n_ci", "ci2"]])
                c = cells[g].loc[(f, t)] if (f, t) in cells[g].index else None
                n_ij = float(c["n_cij"]) if c is not None else 0.0
                s2 = float(c["cij2"]) if c is not None else 0.0
                s_x = float(c["cij_ci"]) if c is not None else 0.0
                part[tag] = (n_i, q_i, n_ij, s2, s_x)
                rec[f"n_from_{tag}"] = n_i
                rec[f"count_{tag}"] = n_ij
                rec[f"p_{tag}"] = n_ij / n_i
            out.append((rec, part))
    diffs, ses, zs, ps = [], [], [], []
    for rec, part in out:
        var = 0.0
        total_n = total_r = total_q = 0.0
        for tag in ("a", "b"):
            n_i, q_i, n_ij, s2, s_x = part[tag]
            p = n_ij / n_i
            var += max(s2 - 2 * p * s_x + p * p * q_i, 0.0) / n_i ** 2
            total_n += n_i
        p_bar = (part["a"][2] + part["b"][2]) / total_n
        for tag in ("a", "b"):
            n_i, q_i, n_ij, s2, s_x = part[tag]
            total_r += max(s2 - 2 * p_bar * s_x + p_bar * p_bar * q_i, 0.0)
            total_q += q_i
        s2_null = total_r / total_q
        var0 = s2_null * (part["a"][1] / part["a"][0] ** 2 + part["b"][1] / part["b"][0] ** 2)
        d = rec["p_b"] - rec["p_a"]
        test_var = var if var > 0 else var0
        if test_var > 0:
            z = d / math.sqrt(test_var)
            pv = float(2 * sps.norm.sf(abs(z)))
        else:  # the cell is 0 (or 1) in both segments: no evidence of a difference
            z, pv = 0.0, 1.0
        diffs.append(d)
        ses.append(math.sqrt(var))
        zs.append(z)
        ps.append(pv)
    m = len(out)
    adj = adjust_pvalues(ps, correction=correction)
    if correction in ("bh", "by"):
        level_alpha = alpha if correction == "bh" else alpha / float(np.sum(1.0 / np.arange(1, m + 1)))
        r_count = int((adj < alpha).sum())
        ci_alpha = level_alpha * max(r_count, 1) / m
    else:
        ci_alpha = alpha / m
    zc = float(sps.norm.ppf(1 - ci_alpha / 2))
    table = pd.DataFrame([rec for rec, _ in out])
    table["difference"] = diffs
    table["se"] = ses
    table["ci_low"] = table["difference"] - zc * table["se"]
    table["ci_high"] = table["difference"] + zc * table["se"]
    table["statistic"] = zs
    table["pvalue"] = ps
    table["pvalue_adjusted"] = adj
    table["significant"] = table["pvalue_adjusted"] < alpha
    for col in ("n_from_a", "count_a", "n_from_b", "count_b"):
        if np.all(table[col] == np.round(table[col])):
            table[col] = table[col].astype(np.int64)
    overall = compare_transitions(logs, control=a, spec=spec, test=test,
                                  correction=correction).overall
    info = {**info, **spec.to_dict(), "cells": m, "one_segment_only": only_one, "interval": "wald, cluster-robust",
            "test": "wald, cluster-robust"}
    return TransitionDifferences(table, overall, (a, b), alpha, correction, 1 - ci_alpha, info)
