"""Journey-aware test (b): time from assignment to purchase between arms, under censoring.

A conversion-rate test asks *whether* customers bought by the end of the test; a customer
assigned on the last day has had no time to buy, and one who bought on day 1 counts the same
as one who bought on day 27. Time-to-purchase analysis uses every customer's follow-up:

* :func:`cjmodels.data.purchase_times` turns an event log with ``assignment`` events into one
  row per assigned customer: the arm, the time from the assignment to the first conversion at or
  after it (``event == 1``), or to the end of follow-up (``event == 0``, censored).
* :func:`compare_time_to_purchase` compares each arm with the control by the log-rank test and
  weighted log-rank tests (:func:`cjmodels.survival.logrank_test`), and by the difference in
  restricted mean survival time (RMST) up to a horizon ``tau``
  (:meth:`cjmodels.survival.SurvivalCurve.rmst`), with a normal interval.

Conventions
-----------
* **Origin: the assignment.** The clock starts at the customer's first ``assignment`` event
  (the randomisation), not at the first touch or first event: time before randomisation is
  not affected by the treatment, and purchases before assignment (a pre-period) must not
  count. :func:`cjmodels.data.time_to_first_purchase` starts at the first touch or first
  event, so it is not used here; the arm and the assignment time come from
  :func:`cjmodels.data.experiment_table`, with the same ``window`` and ``end``.
* **Censoring is administrative only**: at the end of observation (``end``, default the log's
  ``observation_end``) or of the outcome ``window``. Censoring then depends only on the
  assignment time, which is independent of the arm, so the comparison is of randomised groups.
  ``drop_out`` events do *not* censor (a customer who drops out and never returns simply has not
  purchased; one who returns and buys counts): treating drop-out as censoring would assume it
  is unrelated to purchasing, which an experiment's treatment may well break.
* **Survival = not yet purchased.** ``S(t)`` is the share of customers without a purchase by
  ``t`` after assignment. ``RMST(tau) = int_0^tau S(t) dt`` is the mean purchase-free time in
  the first ``tau`` units; a *negative* difference (arm - control) means the arm buys sooner
  or more often. ``1 - S(tau)`` is the censoring-corrected share who bought by ``tau``.
* **Log-rank tests are two-sided** chi-square tests with 1 degree of freedom per comparison
  (``k - 1`` for the overall test of ``k`` arms in ``info["overall"]``); they test equality of
  the whole purchase-time distributions and have no effect size, so their ``effect`` is NaN;
  ``details`` holds the observed and expected purchases of the arm and the signed
  ``z = (O - E) / sqrt(V)`` of the unweighted test (positive: the arm buys sooner).
  Weightings, as in lifelines: ``"logrank"`` (none), ``"wilcoxon"`` (Gehan-Breslow: the number
  at risk), ``"tarone-ware"`` (its square root), ``"peto"`` (Peto-Peto's modified survival
  estimate) and ``"fleming-harrington"`` (``S(t-)**p (1 - S(t-))**q`` with the pooled
  Kaplan-Meier estimate; ``p = 1, q = 0`` is R ``survdiff(rho = 1)``, ``q > 0`` weights late
  differences).
* **RMST variance**: the standard (Greenwood-type) formula of Klein & Moeschberger (2003,
  section 4.5), as in R survRM2::rmst2:
  ``Var = sum_{t_j <= tau} A_j**2 d_j / (Y_j (Y_j - d_j))`` with ``A_j = int_{t_j}^tau S``
  (terms with ``Y_j = d_j`` are 0), the standard error of
  :meth:`cjmodels.survival.SurvivalCurve.rmst`. (lifelines' own
  ``return_variance=True`` is the variance of ``min(T, tau)`` in the population, not the
  variance of the estimate, so it is not used.) ``tau`` must not exceed the largest follow-up
  time observed in any arm; by default it is the smallest of those maxima (survRM2's default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import (
    Comparison,
    Comparisons,
    check_alpha,
    normal_ci,
    normal_pvalue,
)
from cjmodels.experiments._stats import _check_column
from cjmodels.results import result_dataclass
from cjmodels.survival import WEIGHTINGS, kaplan_meier, logrank_test

__all__ = [
    "TimeToPurchaseResult",
    "compare_time_to_purchase",
]


def _weighting_name(w: str, p: float, q: float) -> str:
    if w == "fleming-harrington":
        return f"fleming-harrington(p={p:g}, q={q:g})"
    return w


def _logrank(d, e, g, w: str, p: float, q: float):
    """cjmodels.survival's (weighted) log-rank test of the groups ``g``."""
    frame = pd.DataFrame({"duration": d, "event": e, "group": g})
    return logrank_test(frame, "group", weighting=w, p=p, q=q)


@result_dataclass
class TimeToPurchaseResult(Comparisons):
    """Log-rank tests and RMST differences of every arm against the control.

    A :class:`~cjmodels.experiments.Comparisons` (``summary()``, ``to_dict()``, ``get()``) whose
    comparisons are, per arm, one ``"logrank"`` row per weighting (effect NaN, ``statistic``
    the chi-square) and one ``"difference"`` row for the RMST. ``info`` holds ``tau``,
    ``unit``, the per-arm numbers (``arms``) and, with more than two arms, the ``overall``
    k-sample tests. ``curves`` (not in ``to_dict``) holds each arm's Kaplan-Meier estimate.

    Attributes
    ----------
    comparisons : tuple of Comparison
        Per arm, the log-rank rows (one per weighting) and then the RMST difference.
    title : str
        The tests run and the RMST horizon.
    notes : tuple of str
        The conventions (origin, censoring, sides, how to read the RMST difference).
    info : dict
        ``tau``, ``unit``, per-arm numbers (``arms``: ``n``, ``purchases``, ``rmst``,
        ``rmst_se``, ``purchased_by_tau``, ``max_follow_up``) and, with more than two arms,
        ``overall`` k-sample tests per weighting.
    curves : dict of str to pandas.DataFrame
        Each arm's Kaplan-Meier estimate (column ``survival``: share not yet purchased),
        indexed by time since assignment.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 4,
    ...                   "duration": [1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 4.0],
    ...                   "event": [1, 0, 1, 0, 1, 1, 1, 0]})
    >>> r = compare_time_to_purchase(t, control="a", tau=3.0)
    >>> r.get(effect_type="logrank").method
    'logrank test (lifelines), two-sided'
    """

    curves: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    _repr_exclude = ("curves",)

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"comparisons": len(self.comparisons), "tau": self.info["tau"],
                               "unit": self.info["unit"]}
        diff = [c for c in self.comparisons if c.effect_type == "difference"]
        if diff:
            out.update(rmst_difference=diff[0].effect, pvalue=diff[0].pvalue)
        tests = [c for c in self.comparisons if c.effect_type == "logrank"]
        if tests:
            out["logrank_pvalue"] = tests[0].pvalue
        return out

    def arms_table(self) -> pd.DataFrame:
        """Per arm: customers, purchases, RMST with its standard error, bought by tau.

        Returns
        -------
        pandas.DataFrame
            One row per arm: ``n``, ``purchases``, ``rmst``, ``rmst_se``,
            ``purchased_by_tau`` (the censoring-corrected share) and ``max_follow_up``.
        """
        return pd.DataFrame(self.info["arms"]).T

    def _plot(self, ax: Any) -> None:
        """Cumulative share who purchased (1 - Kaplan-Meier) per arm."""
        for arm, c in self.curves.items():
            ax.step(c.index, 1 - c["survival"], where="post", label=arm)
        tau = self.info["tau"]
        ax.axvline(tau, color="grey", ls=":", lw=0.8, label=f"tau = {tau:g}")
        ax.set(xlabel=f"time since assignment ({self.info['unit']})",
               ylabel="purchased (1 - Kaplan-Meier)", title=self.title)
        ax.legend(fontsize=8)


def compare_time_to_purchase(
    data: pd.DataFrame,
    *,
    control: str,
    variant: str = "variant",
    duration: str = "duration",
    event: str = "event",
    arms: Sequence[str] | None = None,
    weightings: Sequence[str] | str = ("logrank",),
    p: float = 1.0,
    q: float = 0.0,
    tau: float | None = None,
    alpha: float = 0.05,
    unit_label: str | None = None,
) -> TimeToPurchaseResult:
    """Compare time to purchase between each arm and the control under censoring.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer with the arm, a follow-up ``duration`` (>= 0) and an ``event``
        indicator (1 purchase, 0 censored), e.g. from :func:`cjmodels.data.purchase_times`.
    control : str
        The control arm.
    variant, duration, event : str
        Column names.
    arms : sequence of str, optional
        Declared arms (labels outside them raise an error).
    weightings : str or sequence of str
        Log-rank weightings to run, from :data:`cjmodels.survival.WEIGHTINGS` (see the module
        notes). Default: the unweighted log-rank test only.
    p, q : float
        Exponents of the Fleming-Harrington weights ``S(t-)**p (1 - S(t-))**q``.
    tau : float, optional
        RMST horizon; default the smallest over arms of the largest follow-up time. Larger
        values raise an error (the Kaplan-Meier curve is not defined beyond the data).
    alpha : float
        1 - confidence level of the RMST interval.
    unit_label : str, optional
        Label of the time unit for printing (default ``data.attrs["unit"]``, set by
        :func:`cjmodels.data.purchase_times`, or ``"time"``).

    Returns
    -------
    TimeToPurchaseResult
        Per arm the log-rank tests (effect NaN, ``statistic`` the chi-square with 1 degree of
        freedom) and the RMST difference ``arm - control`` with its normal interval; ``info``
        and :meth:`~cjmodels.experiments.TimeToPurchaseResult.arms_table` hold the per-arm
        numbers.

    Raises
    ------
    ValidationError
        Unknown or duplicate weightings, negative durations, events other than 0/1, no
        purchase at all, or ``tau`` beyond an arm's longest follow-up.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["A"] * 6 + ["B"] * 6,
    ...                   "duration": [1, 3, 4, 6, 8, 9, 2, 2, 3, 5, 6, 7.0],
    ...                   "event": [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1]})
    >>> r = compare_time_to_purchase(t, control="A", tau=7.0)
    >>> round(r.get(effect_type="logrank").statistic, 4)  # R survdiff: Chisq = 0.9
    0.8997
    >>> c = r.get(effect_type="difference")
    >>> round(c.control_value, 4), round(c.arm_value, 4), round(c.effect, 4)
    (5.1111, 4.3333, -0.7778)
    """
    alpha = check_alpha(alpha)
    ws = (weightings,) if isinstance(weightings, str) else tuple(weightings)
    if not ws:
        raise ValidationError(f"weightings is empty; name at least one of {list(WEIGHTINGS)}.")
    for w in ws:
        check_scalar(w, "weightings", in_=WEIGHTINGS)
    if len(set(ws)) != len(ws):
        raise ValidationError(f"weightings {list(ws)} contain duplicates.")
    check_scalar(p, "p", typ=float, ge=0)
    check_scalar(q, "q", typ=float, ge=0)
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            "data must be a pandas DataFrame with one row per customer (see "
            f"cjmodels.data.purchase_times), got {type(data)}."
        )
    names, codes = arm_codes(data, variant, arms)
    if control not in names:
        raise ValidationError(f"control {control!r} is not among the arms {list(names)}.")
    d = _check_column(data, duration, "duration")
    e = _check_column(data, event, "event")
    if np.any(d < 0):
        rows = np.flatnonzero(d < 0)[:5].tolist()
        raise ValidationError(
            f"duration column {duration!r} has negative values at rows {rows}; durations are "
            "times since assignment and must be >= 0."
        )
    if not np.all((e == 0) | (e == 1)):
        rows = np.flatnonzero((e != 0) & (e != 1))[:5].tolist()
        raise ValidationError(
            f"event column {event!r} must be 0 (censored) or 1 (purchase); rows {rows} are not."
        )
    if e.sum() == 0:
        raise ValidationError(
            "no customer purchased (every event is 0): there is nothing to compare."
        )
    unit = str(unit_label if unit_label is not None else data.attrs.get("unit", "time"))
    max_follow = np.array([d[codes == i].max() for i in range(len(names))])
    tau_max = float(max_follow.min())
    if tau is None:
        tau = tau_max
    else:
        check_scalar(tau, "tau", typ=float, gt=0)
        if tau > tau_max * (1 + 1e-12):
            worst = names[int(np.argmin(max_follow))]
            raise ValidationError(
                f"tau == {tau:g} is beyond the longest follow-up of arm {worst!r} ({tau_max:g}); "
                "the Kaplan-Meier curve is not estimated there. Choose tau <= "
                f"{tau_max:g}."
            )
    tau = float(tau)
    per_arm: dict[str, dict[str, float]] = {}
    curves: dict[str, pd.DataFrame] = {}
    for i, a in enumerate(names):
        m = codes == i
        curve = kaplan_meier(pd.DataFrame({"duration": d[m], "event": e[m]}), label=a)
        rm = curve.rmst(tau)
        s_tau = float(curve.at(tau)["estimate"].iloc[0])
        per_arm[a] = {"n": float(m.sum()), "purchases": float(e[m].sum()), "rmst": rm.rmst,
                      "rmst_se": rm.se, "purchased_by_tau": 1 - s_tau,
                      "max_follow_up": float(max_follow[i])}
        curves[a] = curve.table[["estimate"]].set_axis(["survival"], axis=1)
    ci = names.index(control)
    comps: list[Comparison] = []
    for j, a in enumerate(names):
        if j == ci:
            continue
        m = (codes == ci) | (codes == j)
        dd, ee, in_arm = d[m], e[m], codes[m] == j
        for w in ws:
            test = _logrank(dd, ee, np.where(in_arm, a, control), w, p, q)
            det: dict[str, Any] = {"weighting": _weighting_name(w, p, q), "df": 1}
            if w == "logrank":
                obs, exp, v = (float(test.table.loc[a, c])
                               for c in ("observed", "expected", "variance"))
                det.update(observed=obs, expected=exp, variance=v,
                           z=(obs - exp) / math.sqrt(v) if v > 0 else math.nan)
            comps.append(Comparison(
                metric=f"time to purchase: {_weighting_name(w, p, q)}", arm=a, control=control,
                effect_type="logrank", effect=math.nan, ci_low=math.nan, ci_high=math.nan,
                pvalue=test.pvalue,
                method=f"{_weighting_name(w, p, q)} test (lifelines), two-sided",
                statistic=test.statistic, control_value=per_arm[control]["purchases"],
                arm_value=per_arm[a]["purchases"], n_control=per_arm[control]["n"],
                n_arm=per_arm[a]["n"], alpha=alpha, details=det,
            ))
        diff = per_arm[a]["rmst"] - per_arm[control]["rmst"]
        se = math.hypot(per_arm[a]["rmst_se"], per_arm[control]["rmst_se"])
        z = diff / se if se > 0 else math.nan
        lo, hi = normal_ci(diff, se, alpha)
        comps.append(Comparison(
            metric=f"RMST to {tau:g} {unit}", arm=a, control=control, effect_type="difference",
            effect=diff, ci_low=lo, ci_high=hi, pvalue=normal_pvalue(z), statistic=z,
            control_value=per_arm[control]["rmst"], arm_value=per_arm[a]["rmst"],
            n_control=per_arm[control]["n"], n_arm=per_arm[a]["n"], alpha=alpha,
            method="RMST difference (Kaplan-Meier; Klein-Moeschberger variance), normal CI",
            details={"se": se, "tau": tau},
        ))
    info: dict[str, Any] = {"tau": tau, "unit": unit, "arms": per_arm}
    if len(names) > 2:
        groups = np.asarray(names, dtype=object)[codes]
        info["overall"] = {}
        for w in ws:
            test = _logrank(d, e, groups, w, p, q)
            info["overall"][_weighting_name(w, p, q)] = {"statistic": test.statistic,
                                                        "df": test.df, "pvalue": test.pvalue}
    notes = ("origin: assignment; censoring at the end of follow-up only; log-rank tests are "
             "two-sided; RMST = mean purchase-free time up to tau (negative difference: the arm "
             "buys sooner)",)
    return TimeToPurchaseResult(
        tuple(comps), title=f"time to purchase ({', '.join(ws)}; RMST to {tau:g} {unit})",
        notes=notes, info=info, curves=curves,
    )

