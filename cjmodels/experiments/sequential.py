"""Sequential testing: group-sequential boundaries and always-valid inference.

**Group-sequential designs** (:func:`group_sequential`). A z-statistic is examined at looks with
information fractions ``0 < t_1 < ... < t_K = 1``; the test stops for efficacy at the first
look with ``|Z_k| >= c_k`` (two-sided, symmetric) or ``Z_k >= c_k`` (one-sided). Boundaries:

* ``"obrien-fleming"``: ``c_k = C / sqrt(t_k)`` (O'Brien & Fleming 1979);
* ``"pocock"``: ``c_k = C`` (Pocock 1977);
* ``"spending-obf"``, ``"spending-pocock"``, ``"spending-power"``: Lan & DeMets (1983) alpha
  spending with, per side (``a = alpha / sides``), the O'Brien-Fleming-type
  ``f(t) = 2 (1 - Phi(z_{1 - a/2} / sqrt(t)))``, the Pocock-type ``f(t) = a log(1 + (e - 1) t)``
  or the power family ``f(t) = a t**rho`` (Kim & DeMets 1987), at arbitrary information times.

Crossing probabilities are computed exactly (up to quadrature error below 1e-6) by the
recursive numerical integration of Armitage, McPherson & Rowe (1969) as set out in Jennison &
Turnbull (2000, ch. 19): the score statistic's sub-density on the continuation region is carried
from look to look with Simpson's rule. The same recursion gives power and the sample-size
inflation factor of a design.

**Always-valid inference** (:func:`msprt`). The mixture sequential probability ratio test of
Johari, Koomen, Pekelis & Walsh (2017, 2022) with a normal mixing distribution ``N(0, tau**2)``
on the effect: with effect estimate ``d_n`` and its variance ``v_n`` at look ``n``,
``Lambda_n = sqrt(v_n / (v_n + tau**2)) exp(tau**2 d_n**2 / (2 v_n (v_n + tau**2)))``; the
always-valid p-value is ``min(1, min_{m <= n} 1 / Lambda_m)`` and the confidence sequence is
``d_n +- sqrt(v_n (v_n + tau**2) / tau**2 (log((v_n + tau**2) / v_n) + 2 log(1 / alpha)))``,
intersected over looks. They may be monitored after every customer without inflating the
type-I error. The mixing scale ``tau`` is set from the minimum detectable effect
(``tau = mde`` by default: the prior's standard deviation sits at the smallest effect worth
detecting) and is always reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import check_alpha
from cjmodels.results import Result, result_dataclass

__all__ = [
    "AlwaysValidResult",
    "GroupSequentialDesign",
    "SEQUENTIAL_KINDS",
    "SequentialDecision",
    "crossing_probabilities",
    "group_sequential",
    "msprt",
]

#: The boundary families of :func:`group_sequential` (``kind=``; the module docstring gives
#: their formulas).
SEQUENTIAL_KINDS = (
    "obrien-fleming", "pocock", "spending-obf", "spending-pocock", "spending-power",
)
_HALF_WIDTH = 10.0  # grid half-width in standard deviations around the drift
_MAX_STEP = 0.02  # largest grid step on the score scale (relative to sqrt(information))
_STEPS_PER_SD = 12  # grid points per standard deviation of the smallest increment


def _simpson(lo: float, hi: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    m = max(2, int(math.ceil((hi - lo) / step / 2)) * 2)
    x = np.linspace(lo, hi, m + 1)
    w = np.ones(m + 1)
    w[1:-1:2] = 4
    w[2:-1:2] = 2
    return x, w * (hi - lo) / (3 * m)


def _info(information: Sequence[float] | np.ndarray) -> np.ndarray:
    t = np.asarray(information, dtype=float)
    if t.ndim != 1 or t.size < 1:
        raise ValidationError("information must be a non-empty sequence of fractions.")
    if np.any(~np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise ValidationError(
            f"information == {t.tolist()}, must be strictly increasing fractions in (0, 1]."
        )
    if abs(t[-1] - 1) > 1e-12 and t[-1] > 1:
        raise ValidationError(f"information == {t.tolist()}: the last look must be at t <= 1.")
    return t


class _Recursion:
    """Sub-densities of the score S_k = Z_k sqrt(t_k) on the continuation regions."""

    def __init__(self, t: np.ndarray, drift: float, sides: int) -> None:
        self.t = t
        self.drift = drift  # E[Z] at t = 1; E[S_k] = drift * t_k
        self.sides = sides
        dt = np.diff(np.r_[0.0, t])
        self.step = min(_MAX_STEP, float(np.sqrt(dt.min())) / _STEPS_PER_SD)
        self.x: np.ndarray | None = None  # grid (score scale) of the previous look
        self.g: np.ndarray | None = None  # sub-density times Simpson weights

    def exit_probs(self, k: int, upper: float) -> tuple[float, float]:
        """P(no earlier exit, exit above / below at look k) for Z-boundary ``upper``."""
        t, d = self.t, self.drift
        dt = t[k] - (t[k - 1] if k else 0.0)
        b = upper * math.sqrt(t[k])
        a = -b if self.sides == 2 else -math.inf
        if k == 0:
            sd = math.sqrt(dt)
            up = sps.norm.sf((b - d * dt) / sd)
            lo = sps.norm.cdf((a - d * dt) / sd) if self.sides == 2 else 0.0
            return float(up), float(lo)
        sd = math.sqrt(dt)
        mu = self.x + d * dt
        up = float(self.g @ sps.norm.sf((b - mu) / sd))
        lo = float(self.g @ sps.norm.cdf((a - mu) / sd)) if self.sides == 2 else 0.0
        return up, lo

    def advance(self, k: int, upper: float) -> None:
        """Carry the sub-density to look k's continuation region (|Z_k| < upper)."""
        t, d = self.t, self.drift
        dt = t[k] - (t[k - 1] if k else 0.0)
        sd_tot = math.sqrt(t[k])
        centre = d * t[k]
        hi = min(upper * sd_tot, centre + _HALF_WIDTH * sd_tot)
        lo_b = -upper * sd_tot if self.sides == 2 else -math.inf
        lo = max(lo_b, centre - _HALF_WIDTH * sd_tot)
        if not hi > lo:
            self.x, self.g = np.array([0.0]), np.array([0.0])
            return
        x, w = _simpson(lo, hi, self.step * max(1.0, sd_tot))
        sd = math.sqrt(dt)
        if k == 0:
            dens = sps.norm.pdf((x - d * dt) / sd) / sd
        else:
            kern = sps.norm.pdf((x[:, None] - self.x[None, :] - d * dt) / sd) / sd
            dens = kern @ self.g
        self.x, self.g = x, dens * w


def crossing_probabilities(
    boundaries: Sequence[float], information: Sequence[float], *, drift: float = 0.0,
    sides: int = 2,
) -> pd.DataFrame:
    """Probabilities of stopping at each look for efficacy boundaries on the z scale.

    Computed by the recursive numerical integration of Armitage, McPherson & Rowe (1969)
    (see the module docstring).

    Parameters
    ----------
    boundaries : sequence of float
        Critical values ``c_k`` on the z scale, one per look (``np.inf``: no stopping there).
    information : sequence of float
        Information fractions of the looks, strictly increasing in (0, 1].
    drift : float
        Mean of the z-statistic at full information (t = 1); ``drift = 0`` is the null.
    sides : {1, 2}
        2 (default): stop when ``|Z_k| >= c_k``; 1: when ``Z_k >= c_k``.

    Returns
    -------
    pandas.DataFrame
        One row per look: ``information``, ``boundary`` and the probabilities of stopping
        there, first crossing the ``upper`` and (two-sided) the ``lower`` boundary. Their
        total is the probability of rejecting.

    Examples
    --------
    >>> p = crossing_probabilities([2.0] * 2, [0.5, 1.0], sides=1)
    >>> round(float(p["upper"].sum()), 5)  # P(max(Z1, Z2) >= 2), corr(Z1, Z2) = sqrt(.5)
    0.03799
    """
    t = _info(information)
    c = np.asarray(boundaries, dtype=float)
    if c.shape != t.shape:
        raise ValidationError("boundaries and information must have the same length.")
    check_scalar(sides, "sides", in_=(1, 2))
    rec = _Recursion(t, float(drift), sides)
    rows = []
    for k in range(len(t)):
        up, lo = rec.exit_probs(k, c[k])
        rows.append({"information": t[k], "boundary": c[k], "upper": up, "lower": lo})
        rec.advance(k, c[k])
    return pd.DataFrame(rows)


def _spending(kind: str, a: float, t: np.ndarray, rho: float) -> np.ndarray:
    if kind == "spending-obf":
        return 2 * sps.norm.sf(sps.norm.isf(a / 2) / np.sqrt(t))
    if kind == "spending-pocock":
        return a * np.log1p((math.e - 1) * t)
    return a * t**rho


@result_dataclass
class SequentialDecision(Result):
    """A group-sequential design applied to the z-statistics observed so far.

    Attributes
    ----------
    stopped_at_look : int or None
        The first look (1-based) whose statistic crossed its boundary, or None.
    reject : bool
        Whether the design rejected the null hypothesis (it stopped).
    z, boundaries : tuple of float
        The observed statistics and the boundaries of those looks.

    Examples
    --------
    >>> group_sequential(3).test([1.2, 3.1])
    SequentialDecision(stopped_at_look=2, reject=True)
    """

    stopped_at_look: int | None
    reject: bool
    z: tuple[float, ...]
    boundaries: tuple[float, ...]

    def _repr_fields(self) -> dict[str, Any]:
        return {"stopped_at_look": self.stopped_at_look, "reject": self.reject}

    def _summary(self) -> pd.DataFrame:
        return pd.DataFrame({"z": self.z, "boundary": self.boundaries},
                            index=pd.RangeIndex(1, len(self.z) + 1, name="look"))


@result_dataclass
class GroupSequentialDesign(Result):
    """Efficacy boundaries of a group-sequential test.

    Attributes
    ----------
    information : numpy.ndarray
        Information fractions of the looks (the last is 1 for a full design).
    boundaries : numpy.ndarray
        Critical values on the z scale (reject when ``|Z_k| >= c_k``, or ``Z_k >= c_k`` for
        ``sides == 1``).
    alpha : float
        Overall type-I error (two-sided total for ``sides == 2``).
    sides : int
        1 (one-sided, reject on ``Z_k >= c_k``) or 2 (symmetric two-sided).
    kind : str
        One of :data:`SEQUENTIAL_KINDS`.
    rho : float
        Exponent of the power-family spending function.
    alpha_spent : numpy.ndarray
        Cumulative type-I error spent by each look (exact recursion).
    details : dict
        How the boundaries were found: the ``constant`` C of the O'Brien-Fleming and Pocock
        shapes, or the ``spending_target`` (cumulative alpha) of a spending function.

    Examples
    --------
    >>> group_sequential(3, kind="pocock")
    GroupSequentialDesign(alpha=0.05, sides=2, kind='pocock', rho=3, looks=3)
    """

    information: np.ndarray
    boundaries: np.ndarray
    alpha: float
    sides: int
    kind: str
    rho: float
    alpha_spent: np.ndarray
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def n_looks(self) -> int:
        """The number of looks."""
        return len(self.information)

    def _repr_fields(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "sides": self.sides, "kind": self.kind, "rho": self.rho,
                "looks": self.n_looks}

    @property
    def nominal_pvalues(self) -> np.ndarray:
        """Nominal p-value thresholds at each look (the p-value a fixed test would need)."""
        return self.sides * sps.norm.sf(self.boundaries)

    def power(self, drift: float, *, far_tail: bool = True) -> float:
        """Probability of rejecting when E[Z at t=1] equals ``drift``.

        Parameters
        ----------
        drift : float
            Mean of the z-statistic at full information (``effect / se`` of the final
            analysis); 0 gives the type-I error.
        far_tail : bool
            True (default) counts crossings of either boundary; False counts only those on
            the side of the drift (the convention of sample-size formulas, Jennison &
            Turnbull's tables and rpact).

        Returns
        -------
        float
            The probability that the design stops for efficacy at some look.
        """
        p = crossing_probabilities(self.boundaries, self.information, drift=drift,
                                   sides=self.sides)
        near = "upper" if drift >= 0 else "lower"
        if not far_tail:
            return float(p[near].sum())
        return float(p["upper"].sum() + p["lower"].sum())

    def drift_for_power(self, power: float = 0.8, *, far_tail: bool = True) -> float:
        """The drift (E[Z] at full information) that gives ``power``.

        Parameters
        ----------
        power : float
            Target power, in (0, 1) (default 0.8).
        far_tail : bool
            Whether the power counts the far boundary too (see :meth:`power`).

        Returns
        -------
        float
            The drift, solved by root finding (tolerance 1e-10).
        """
        check_scalar(power, "power", typ=float, gt=0, lt=1)
        lo = sps.norm.isf(self.alpha / self.sides) - 1
        return float(optimize.brentq(lambda d: self.power(d, far_tail=far_tail) - power,
                                     max(lo, 0.0), 12.0, xtol=1e-10))

    def inflation_factor(self, power: float = 0.8) -> float:
        """Maximum sample size of the design over that of the fixed test with the same power.

        Both sample sizes ignore rejections on the far side of a two-sided test, as the
        fixed-sample formula ``(z_{1-alpha/2} + z_{power})**2`` does (and rpact's
        ``getDesignCharacteristics``, which this matches to 1e-6).

        Parameters
        ----------
        power : float
            The power both sample sizes achieve, in (0, 1) (default 0.8).

        Returns
        -------
        float
            The inflation factor (at least 1); :func:`~cjmodels.experiments.sample_size_means`
            and :func:`~cjmodels.experiments.sample_size_proportions` multiply by it when given
            the design.

        Examples
        --------
        >>> round(group_sequential(3, kind="pocock").inflation_factor(0.8), 3)
        1.166
        """
        fixed = sps.norm.isf(self.alpha / self.sides) + sps.norm.isf(1 - power)
        return float((self.drift_for_power(power, far_tail=False) / fixed) ** 2)

    def test(self, z: Sequence[float]) -> SequentialDecision:
        """Apply the design to observed z-statistics at the looks so far (in order).

        Parameters
        ----------
        z : sequence of float
            The z-statistics observed at the looks so far, in order (at most
            :attr:`n_looks`); e.g. the ``z`` column of
            :func:`~cjmodels.experiments.cumulative_effects`.

        Returns
        -------
        SequentialDecision
            The look at which the test stopped (1-based, or None), the decision, and the
            observed values against the boundaries.

        Examples
        --------
        >>> group_sequential(3).test([1.2, 3.1]).stopped_at_look
        2
        """
        z = np.asarray(z, dtype=float)
        if z.ndim != 1 or z.size > self.n_looks or z.size == 0:
            raise ValidationError(
                f"give between 1 and {self.n_looks} z-statistics (one per look so far)."
            )
        stat = np.abs(z) if self.sides == 2 else z
        hit = np.flatnonzero(stat >= self.boundaries[: z.size])
        stop = int(hit[0]) + 1 if hit.size else None
        return SequentialDecision(stop, stop is not None, tuple(z.tolist()),
                                  tuple(self.boundaries[: z.size].tolist()))

    def _summary(self) -> pd.DataFrame:
        """Per look: information, boundary, nominal p-value, cumulative alpha spent."""
        return pd.DataFrame(
            {
                "information": self.information,
                "boundary": self.boundaries,
                "nominal_pvalue": self.nominal_pvalues,
                "alpha_spent": self.alpha_spent,
            },
            index=pd.RangeIndex(1, self.n_looks + 1, name="look"),
        )

    def _to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "alpha": self.alpha, "sides": self.sides, "rho": self.rho,
            "information": self.information, "boundaries": self.boundaries,
            "alpha_spent": self.alpha_spent, **self.details,
        }

    def _plot(self, ax: Any, *, z: Sequence[float] | None = None) -> None:
        """Boundaries against information (and observed z-statistics)."""
        ax.plot(self.information, self.boundaries, "o-", color="tab:red", label="efficacy")
        if self.sides == 2:
            ax.plot(self.information, -self.boundaries, "o-", color="tab:red")
        ax.axhline(sps.norm.isf(self.alpha / self.sides), color="grey", ls=":",
                   label="fixed-sample critical value")
        if z is not None:
            zz = np.asarray(z, dtype=float)
            ax.plot(self.information[: zz.size], zz, "s-", color="tab:blue", label="observed z")
        ax.set(xlabel="information fraction", ylabel="z", title=f"{self.kind} boundaries")
        ax.legend(fontsize=8)


def group_sequential(
    looks: int | Sequence[float],
    *,
    alpha: float = 0.05,
    kind: str = "spending-obf",
    sides: int = 2,
    rho: float = 3.0,
) -> GroupSequentialDesign:
    """Efficacy boundaries for a group-sequential test.

    Parameters
    ----------
    looks : int or sequence of float
        Number of equally spaced looks, or the information fractions of the looks (strictly
        increasing, the last one 1 for a design that runs to completion).
    alpha : float
        Overall type-I error; for ``sides == 2`` the total of both sides (spent as ``alpha / 2``
        per side, symmetric boundaries).
    kind : str
        One of :data:`SEQUENTIAL_KINDS` (default ``"spending-obf"``, the Lan-DeMets
        O'Brien-Fleming-type spending function, usable at unplanned information times).
    sides : {1, 2}
        2 (default): symmetric two-sided boundaries; 1: one-sided (reject on ``Z_k >= c_k``).
    rho : float
        Exponent of ``"spending-power"`` (``rho = 1`` spends linearly; 3 is close to OBF).

    Returns
    -------
    GroupSequentialDesign
        The boundaries, the cumulative alpha spent at each look and the settings; its
        ``test`` applies it to observed z-statistics, ``power`` and ``inflation_factor``
        plan the sample size.

    Examples
    --------
    Jennison & Turnbull (2000), Table 2.3, O'Brien-Fleming, K = 3, two-sided alpha = 0.05:

    >>> group_sequential(3, kind="obrien-fleming").boundaries.round(4).tolist()
    [3.4711, 2.4544, 2.004]
    """
    alpha = check_alpha(alpha)
    check_scalar(kind, "kind", in_=SEQUENTIAL_KINDS)
    check_scalar(sides, "sides", in_=(1, 2))
    check_scalar(rho, "rho", typ=float, gt=0)
    if isinstance(looks, int | np.integer) and not isinstance(looks, bool):
        check_scalar(looks, "looks", typ=int, ge=1, le=100)
        t = np.arange(1, int(looks) + 1) / int(looks)
    else:
        t = _info(looks)
    a_side = alpha / sides

    if kind in ("obrien-fleming", "pocock"):
        shape = 1 / np.sqrt(t / t[-1]) if kind == "obrien-fleming" else np.ones_like(t)

        def total(cst: float) -> float:
            p = crossing_probabilities(cst * shape, t, sides=sides)
            return float(p["upper"].sum() + p["lower"].sum()) - alpha

        cst = optimize.brentq(total, 0.5, 10.0, xtol=1e-10)
        bounds = cst * shape
        details: dict[str, Any] = {"constant": float(cst)}
    else:
        target = _spending(kind, a_side, t, rho) * sides
        rec = _Recursion(t, 0.0, sides)
        bounds = np.empty(len(t))
        spent = 0.0
        for k in range(len(t)):
            inc = target[k] - spent
            if inc <= 1e-15:
                bounds[k] = np.inf
            else:
                def excess(c: float, k: int = k, inc: float = inc) -> float:
                    up, lo = rec.exit_probs(k, c)
                    return up + lo - inc

                bounds[k] = optimize.brentq(excess, 0.0, 40.0, xtol=1e-12)
            up, lo = rec.exit_probs(k, bounds[k])
            spent += up + lo
            rec.advance(k, bounds[k])
        details = {"spending_target": target.tolist()}
    p = crossing_probabilities(bounds, t, sides=sides)
    spent_cum = np.cumsum(p["upper"].to_numpy() + p["lower"].to_numpy())
    return GroupSequentialDesign(t, np.asarray(bounds, dtype=float), alpha, sides, kind,
                                 float(rho), spent_cum, details)


# --------------------------------------------------------------------------- always valid
@result_dataclass
class AlwaysValidResult(Result):
    """Always-valid p-values and confidence sequences of a mixture SPRT at each look.

    Attributes
    ----------
    estimate, variance : numpy.ndarray
        Effect estimate and its variance at each look.
    tau : float
        Standard deviation of the normal mixing distribution (the MDE by default).
    alpha : float
        Type-I error controlled over all looks.
    pvalue : numpy.ndarray
        Always-valid p-values (non-increasing).
    ci_low, ci_high : numpy.ndarray
        Confidence sequence (running intersection, so intervals only shrink).
    likelihood_ratio : numpy.ndarray
        Mixture likelihood ratio Lambda at each look.
    looks : numpy.ndarray or None
        Labels of the looks (e.g. times) as given to :func:`msprt`; None numbers them from 1.

    Examples
    --------
    >>> r = msprt([0.02, 0.03, 0.03], [1e-4, 5e-5, 3e-5], tau=0.01)
    >>> r.stopped_at_look, r.reject
    (2, True)
    """

    estimate: np.ndarray
    variance: np.ndarray
    tau: float
    alpha: float
    pvalue: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    likelihood_ratio: np.ndarray
    looks: np.ndarray | None = None

    @property
    def reject(self) -> bool:
        """Whether the null was rejected at some look (p-value <= alpha)."""
        return bool(self.pvalue[-1] <= self.alpha)

    @property
    def stopped_at_look(self) -> int | None:
        """First look (1-based) with p-value <= alpha, or None."""
        hit = np.flatnonzero(self.pvalue <= self.alpha)
        return int(hit[0]) + 1 if hit.size else None

    def _repr_fields(self) -> dict[str, Any]:
        return {"tau": self.tau, "alpha": self.alpha, "looks": len(self.estimate),
                "estimate": float(self.estimate[-1]), "pvalue": float(self.pvalue[-1]),
                "reject": self.reject}

    def _summary(self) -> pd.DataFrame:
        """Per look: estimate, standard error, always-valid p-value and interval."""
        return pd.DataFrame(
            {"estimate": self.estimate, "se": np.sqrt(self.variance), "pvalue": self.pvalue,
             "ci_low": self.ci_low, "ci_high": self.ci_high,
             "likelihood_ratio": self.likelihood_ratio},
            index=pd.Index(self.looks if self.looks is not None
                           else np.arange(1, len(self.estimate) + 1), name="look"),
        )

    def _to_dict(self) -> dict[str, Any]:
        return {"method": "mSPRT (normal mixture)", "tau": self.tau,
                "alpha": self.alpha, "reject": self.reject,
                "stopped_at_look": self.stopped_at_look,
                "looks": self._summary().reset_index().to_dict(orient="list")}

    def _plot(self, ax: Any) -> None:
        """Cumulative effect with the confidence sequence over looks."""
        x = self.looks if self.looks is not None else np.arange(1, len(self.estimate) + 1)
        ax.plot(x, self.estimate, "-", color="tab:blue", label="cumulative effect")
        ax.fill_between(x, self.ci_low, self.ci_high, color="tab:blue", alpha=0.2,
                        label=f"{1 - self.alpha:.0%} confidence sequence")
        ax.axhline(0, color="grey", lw=0.8, ls="--")
        ax.set(xlabel="look", ylabel="effect", title=f"mSPRT, tau = {self.tau:.3g}")
        ax.legend(fontsize=8)


def msprt(
    estimates: Sequence[float] | np.ndarray,
    variances: Sequence[float] | np.ndarray,
    *,
    mde: float | None = None,
    tau: float | None = None,
    alpha: float = 0.05,
    looks: Sequence[Any] | None = None,
) -> AlwaysValidResult:
    """Mixture SPRT: always-valid p-values and confidence sequences for an effect over looks.

    Parameters
    ----------
    estimates, variances : sequence of float
        Effect estimate (e.g. difference in means) and its variance at each look, computed on
        all data up to that look (see :func:`cjmodels.experiments.cumulative_effects`).
        Estimates may be vectorised over experiments: arrays of shape (looks, ...) broadcast.
    mde : float, optional
        Minimum detectable effect; sets ``tau = |mde|`` when ``tau`` is not given.
    tau : float, optional
        Standard deviation of the normal mixing distribution on the effect.
    alpha : float
        Type-I error, controlled uniformly over all looks.
    looks : sequence, optional
        Labels of the looks (e.g. the ``time`` column of
        :func:`~cjmodels.experiments.cumulative_effects`) for the summary and the plot.

    Returns
    -------
    AlwaysValidResult
        Per look the always-valid p-value and the confidence sequence; ``reject`` and
        ``stopped_at_look`` give the decision.

    Raises
    ------
    ValidationError
        Neither ``mde`` nor ``tau``, ``mde == 0``, shapes that differ, or variances that are
        not positive.

    Examples
    --------
    >>> r = msprt([0.02, 0.015, 0.012], [1e-4, 5e-5, 2.5e-5], mde=0.01)
    >>> r.pvalue.round(4).tolist()
    [0.5203, 0.3865, 0.2233]
    """
    alpha = check_alpha(alpha)
    if tau is None:
        if mde is None:
            raise ValidationError(
                "give mde (the smallest effect worth detecting; tau = |mde|) or tau."
            )
        check_scalar(mde, "mde", typ=float)
        if mde == 0:
            raise ValidationError("mde == 0, must be non-zero.")
        tau = abs(float(mde))
    check_scalar(tau, "tau", typ=float, gt=0)
    d = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    if d.shape != v.shape or d.size == 0:
        raise ValidationError("estimates and variances must be non-empty with the same shape.")
    if np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValidationError("variances must be positive and finite at every look.")
    t2 = tau**2
    log_lr = 0.5 * np.log(v / (v + t2)) + t2 * d**2 / (2 * v * (v + t2))
    p = np.minimum(1.0, np.minimum.accumulate(np.exp(-log_lr), axis=0))
    half = np.sqrt(v * (v + t2) / t2 * (np.log((v + t2) / v) + 2 * np.log(1 / alpha)))
    lo = np.maximum.accumulate(d - half, axis=0)
    hi = np.minimum.accumulate(d + half, axis=0)
    return AlwaysValidResult(d, v, float(tau), alpha, p, lo, hi, np.exp(log_lr),
                             None if looks is None else np.asarray(looks))
