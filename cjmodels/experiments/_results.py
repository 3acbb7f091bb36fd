"""Result objects shared by the experiment tests, and small numeric helpers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["Comparison", "Comparisons"]

ALTERNATIVES = ("two-sided", "greater", "less")


def check_alpha(alpha: float, name: str = "alpha") -> float:
    """``alpha`` as a float in (0, 1), or a clear error."""
    return float(check_scalar(alpha, name, typ=float, gt=0, lt=1))


def check_alternative(alternative: str) -> str:
    """``alternative`` in {'two-sided', 'greater', 'less'}, or a clear error."""
    return str(check_scalar(alternative, "alternative", in_=ALTERNATIVES))


def normal_pvalue(z: Any, alternative: str = "two-sided") -> Any:
    """P-value of a standard-normal statistic (vectorised; NaN stays NaN)."""
    z = np.asarray(z, dtype=float)
    if alternative == "two-sided":
        p = 2 * sps.norm.sf(np.abs(z))
    elif alternative == "greater":
        p = sps.norm.sf(z)
    else:
        p = sps.norm.cdf(z)
    return np.minimum(p, 1.0)


def normal_ci(est: Any, se: Any, alpha: float, alternative: str = "two-sided"):
    """Wald interval ``est +- z * se`` (one-sided intervals are open on one side)."""
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    if alternative == "two-sided":
        z = sps.norm.ppf(1 - alpha / 2)
        return est - z * se, est + z * se
    z = sps.norm.ppf(1 - alpha)
    if alternative == "greater":
        return est - z * se, np.full_like(est, np.inf)
    return np.full_like(est, -np.inf), est + z * se


def t_pvalue(t: Any, df: Any, alternative: str = "two-sided") -> Any:
    """P-value of a Student-t statistic (vectorised)."""
    t = np.asarray(t, dtype=float)
    if alternative == "two-sided":
        return np.minimum(2 * sps.t.sf(np.abs(t), df), 1.0)
    if alternative == "greater":
        return sps.t.sf(t, df)
    return sps.t.cdf(t, df)


def t_ci(est: Any, se: Any, df: Any, alpha: float, alternative: str = "two-sided"):
    """Student-t interval ``est +- t_df * se``."""
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    if alternative == "two-sided":
        q = sps.t.ppf(1 - alpha / 2, df)
        return est - q * se, est + q * se
    q = sps.t.ppf(1 - alpha, df)
    if alternative == "greater":
        return est - q * se, np.full_like(est, np.inf)
    return np.full_like(est, -np.inf), est + q * se


def _f(x: Any) -> float:
    return float(np.asarray(x, dtype=float))


@result_dataclass
class Comparison(Result):
    """One effect of one arm against the control, with its interval and p-value.

    Attributes
    ----------
    metric, arm, control : str
        What is compared: ``metric`` in ``arm`` versus ``control``.
    effect_type : str
        ``"difference"`` (arm - control), ``"relative"`` (arm / control - 1),
        ``"probability"`` (e.g. P(arm > control)) or ``"auc"``.
    effect, ci_low, ci_high, pvalue : float
        Estimate, confidence interval at level ``1 - alpha`` (open on one side for one-sided
        alternatives; NaN where the method has none) and p-value.
    method : str
        The test and interval methods, spelled out (e.g. ``"z-pooled; ci=newcombe"``).
    statistic : float
        The test statistic (NaN for exact tests that report none).
    control_value, arm_value : float
        The metric in each arm (rate, mean or ratio).
    n_control, n_arm : float
        Units per arm.
    alpha : float
        1 - the confidence level of the interval (default 0.05); after
        :func:`~cjmodels.experiments.adjust`, the level of the family's error rate.
        :meth:`significant` compares the p-value with it.
    alternative : {"two-sided", "greater", "less"}
        The alternative hypothesis (``"greater"``: the arm's value is higher than the
        control's).
    pvalue_adjusted : float
        P-value adjusted for multiplicity (NaN until a family is adjusted).
    details : dict
        Method-specific extras (standard error, degrees of freedom, variance reduction...).

    Examples
    --------
    >>> c = Comparison("converted", "B", "A", "difference", 0.005, 0.001, 0.009, 0.017,
    ...                "z-pooled; ci=newcombe")
    >>> c
    Comparison(metric='converted', arm='B', control='A', effect_type='difference', effect=0.005, pvalue=0.017)
    >>> c.significant()
    True
    """

    metric: str
    arm: str
    control: str
    effect_type: str
    effect: float
    ci_low: float
    ci_high: float
    pvalue: float
    method: str
    statistic: float = math.nan
    control_value: float = math.nan
    arm_value: float = math.nan
    n_control: float = math.nan
    n_arm: float = math.nan
    alpha: float = 0.05
    alternative: str = "two-sided"
    pvalue_adjusted: float = math.nan
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in ("effect", "ci_low", "ci_high", "pvalue", "statistic", "control_value",
                  "arm_value", "n_control", "n_arm", "pvalue_adjusted"):
            object.__setattr__(self, f, _f(getattr(self, f)))

    @property
    def notes(self) -> list[str]:
        """Plain sentences saying why each undefined (NaN) number of the comparison is
        undefined."""
        what = f"{self.metric} {self.arm} vs {self.control} ({self.effect_type})"
        notes = []
        if not np.isfinite(self.effect):
            if self.effect_type == "relative" and self.control_value == 0:
                notes.append(f"{what}: relative lift undefined: the control arm has zero "
                             "conversions (a control mean of 0), so arm / control - 1 has no "
                             "value.")
            elif (self.effect_type == "relative" and np.isfinite(self.control_value)
                  and np.isfinite(self.arm_value)):
                notes.append(f"{what}: relative lift undefined: arm / control - 1 lies beyond "
                             f"the float range (control value {self.control_value:.3g} is too "
                             "close to 0).")
            elif not (np.isfinite(self.control_value) and np.isfinite(self.arm_value)):
                notes.append(f"{what}: effect undefined: an arm's {self.metric} is undefined "
                             "(no units, or a ratio with a zero denominator).")
            else:
                notes.append(f"{what}: effect undefined: the data do not identify it "
                             "(e.g. no variation in either arm).")
        else:
            if np.isnan(self.ci_low) or np.isnan(self.ci_high):
                notes.append(f"{what}: interval undefined (null): {self.method} gives none "
                             "for these data.")
            if np.isnan(self.pvalue):
                notes.append(f"{what}: p-value undefined (null): {self.method} gives none "
                             "for these data.")
        if np.isinf(self.ci_low) or np.isinf(self.ci_high):
            notes.append(f"{what}: the interval is one-sided ({self.alternative}): its open end "
                         "is \"inf\" or \"-inf\".")
        return notes

    def _repr_fields(self) -> Mapping[str, Any]:
        return {k: getattr(self, k) for k in ("metric", "arm", "control", "effect_type",
                                              "effect", "pvalue")}

    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame([{k: getattr(self, k) for k in _SUMMARY_COLUMNS}],
                            columns=_SUMMARY_COLUMNS)

    def _to_dict(self) -> dict[str, Any]:
        # strict JSON: NaN is None, an open interval end "inf" or "-inf"; notes say why a
        # number is undefined
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["notes"] = self.notes
        return out

    def significant(self) -> bool:
        """Whether the (adjusted, when available) p-value is below ``alpha``.

        Returns
        -------
        bool
            ``pvalue_adjusted < alpha`` when the comparison was adjusted for multiplicity,
            else ``pvalue < alpha``; False when the p-value is NaN (not tested).
        """
        p = self.pvalue_adjusted if np.isfinite(self.pvalue_adjusted) else self.pvalue
        return bool(p < self.alpha)


#: Where a comparison without variation goes: ``None`` (the default) raises the error; a list
#: (set by :func:`~cjmodels.experiments.analyze`) collects a note and the comparison is
#: reported as untested, so one constant metric does not stop a whole analysis.
UNTESTED: ContextVar[list[str] | None] = ContextVar("cjmodels_untested", default=None)


def untested(reason: str, effect: float, method: str, **common: Any) -> Comparison:
    """An arm whose metric does not vary (``reason`` says how): raise a ValidationError, or,
    inside :func:`~cjmodels.experiments.analyze`, return the difference (of the unadjusted
    means) without p-value or interval and record why in the analysis notes."""
    metric = common["metric"]
    sink = UNTESTED.get()
    if sink is None:
        raise ValidationError(f"metric {metric!r} {reason}: there is nothing to test.")
    note = (f"{metric} {common['arm']} vs {common['control']}: not tested: {metric!r} {reason}; "
            "its p-value and interval are undefined (null) and it is left out of the "
            "multiple-testing family.")
    sink.append(note)
    return Comparison(effect_type="difference", effect=effect, ci_low=math.nan,
                      ci_high=math.nan, pvalue=math.nan, method=f"{method}; not tested",
                      details={"not_tested": note}, **common)


_SUMMARY_COLUMNS = [
    "metric", "arm", "control", "effect_type", "control_value", "arm_value", "effect",
    "ci_low", "ci_high", "statistic", "pvalue", "pvalue_adjusted", "method",
]


@result_dataclass
class Comparisons(Result):
    """A set of comparisons (arms x metrics x effect types) with their shared settings.

    The first comparison is the *primary* one: ``effect``, ``ci_low``, ``ci_high`` and
    ``pvalue`` are its values, so a single two-arm test reads like a scipy result.

    Attributes
    ----------
    comparisons : tuple of Comparison
        The comparisons, the primary one first.
    title : str
        What was tested.
    notes : tuple of str
        Warnings and declared choices (pre-processing, multiplicity family, SRM...).
    info : dict
        Extra numbers (e.g. per-arm statistics, variance reduction).

    Examples
    --------
    >>> from cjmodels.experiments import SufficientStats, compare_proportions
    >>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
    >>> r = compare_proportions(s, control="A", relative=None)
    >>> r
    Comparisons(comparisons=1, effect=0.005, ci_low=0.000887, ci_high=0.009138, pvalue=0.01713)
    >>> r.summary()[["arm", "effect", "pvalue"]].round(4)
      arm  effect  pvalue
    0   B   0.005  0.0171
    """

    comparisons: tuple[Comparison, ...]
    title: str = ""
    notes: tuple[str, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "comparisons", tuple(self.comparisons))
        object.__setattr__(self, "notes", tuple(self.notes))
        if not self.comparisons:
            raise ValidationError("a Comparisons result needs at least one comparison.")

    @property
    def primary(self) -> Comparison:
        """The first comparison."""
        return self.comparisons[0]

    @property
    def effect(self) -> float:
        """The primary comparison's effect."""
        return self.primary.effect

    @property
    def ci_low(self) -> float:
        """The primary comparison's lower interval end."""
        return self.primary.ci_low

    @property
    def ci_high(self) -> float:
        """The primary comparison's upper interval end."""
        return self.primary.ci_high

    @property
    def pvalue(self) -> float:
        """The primary comparison's p-value."""
        return self.primary.pvalue

    @property
    def statistic(self) -> float:
        """The primary comparison's test statistic."""
        return self.primary.statistic

    def get(self, arm: str | None = None, effect_type: str | None = None,
            metric: str | None = None) -> Comparison:
        """The single comparison matching the given arm, effect type and metric.

        Parameters
        ----------
        arm : str, optional
            The arm compared with the control; None matches every arm.
        effect_type : str, optional
            ``"difference"``, ``"relative"``, ``"auc"``, ``"shift"``, ``"logrank"``...;
            None matches every type.
        metric : str, optional
            The metric name as in the comparisons; None matches every metric.

        Returns
        -------
        Comparison
            The one comparison that matches all the given criteria.

        Raises
        ------
        ValidationError
            When no comparison, or more than one, matches (the message lists them all).
        """
        hits = [
            c for c in self.comparisons
            if (arm is None or c.arm == arm)
            and (effect_type is None or c.effect_type == effect_type)
            and (metric is None or c.metric == metric)
        ]
        if len(hits) != 1:
            raise ValidationError(
                f"{len(hits)} comparisons match arm={arm!r}, effect_type={effect_type!r}, "
                f"metric={metric!r}; the result holds "
                f"{[(c.metric, c.arm, c.effect_type) for c in self.comparisons]}."
            )
        return hits[0]

    def _repr_fields(self) -> Mapping[str, Any]:
        return {"comparisons": len(self.comparisons), "effect": self.effect,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "pvalue": self.pvalue}

    def _summary(self) -> pd.DataFrame:
        """One row per comparison."""
        return pd.DataFrame(
            [{k: getattr(c, k) for k in _SUMMARY_COLUMNS} for c in self.comparisons],
            columns=_SUMMARY_COLUMNS,
        )

    def _to_dict(self) -> dict[str, Any]:
        """Title, notes, info and every comparison."""
        extra = [n for c in self.comparisons for n in c.notes if n not in self.notes]
        return {
            "title": self.title,
            "notes": list(dict.fromkeys([*self.notes, *extra])),
            "info": dict(self.info),
            "comparisons": [c.to_dict() for c in self.comparisons],
        }

    def with_comparisons(self, comparisons: Sequence[Comparison], **changes: Any) -> Comparisons:
        """A copy with other comparisons (and optionally other fields).

        Parameters
        ----------
        comparisons : sequence of Comparison
            The comparisons of the copy.
        **changes
            Other fields to replace (``title``, ``notes``, ``info``).

        Returns
        -------
        Comparisons
            A new result of the same class; this one is not changed.
        """
        return replace(self, comparisons=tuple(comparisons), **changes)

    def _plot(self, ax: Any, *, effect_type: str | None = None) -> None:
        """Forest plot: one row per comparison with its interval."""
        forest_plot(self.comparisons, ax=ax, effect_type=effect_type, title=self.title)


def forest_plot(comparisons: Sequence[Comparison], ax=None, *, effect_type=None, title=""):
    """Draw effects with their intervals, one row per comparison; returns the axis."""
    import matplotlib.pyplot as plt

    comps = [c for c in comparisons if effect_type is None or c.effect_type == effect_type]
    if not comps:
        raise ValidationError(f"no comparisons with effect_type == {effect_type!r} to plot.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.45 * len(comps) + 1.2))
    y = np.arange(len(comps))[::-1]
    eff = np.array([c.effect for c in comps])
    lo = np.array([c.ci_low for c in comps])
    hi = np.array([c.ci_high for c in comps])
    span = np.nanmax(np.abs(np.r_[eff, lo[np.isfinite(lo)], hi[np.isfinite(hi)]])) or 1.0
    lo_d = np.where(np.isfinite(lo), lo, eff - 2 * span)
    hi_d = np.where(np.isfinite(hi), hi, eff + 2 * span)
    ax.hlines(y, lo_d, hi_d, color="tab:blue")
    ax.plot(eff, y, "o", color="tab:blue")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [f"{c.metric}: {c.arm} vs {c.control} ({c.effect_type})" for c in comps])
    ax.set_xlabel("effect with confidence interval")
    if title:
        ax.set_title(title)
    return ax
