"""Power, sample size, minimum detectable effect and duration, matched to the test to be run.

Proportions (``variance=``):

* ``"pooled"`` (default; matches the ``"z-pooled"`` test): Fleiss' formula with the pooled
  rate under the null and each arm's own variance under the alternative,
  ``n_c = (z_a sqrt(pbar qbar (1 + 1/k)) + z_b sqrt(p_c q_c + p_t q_t / k))**2 / d**2`` with
  ``k = n_t / n_c`` and ``pbar = (p_c + k p_t) / (1 + k)``; 10% -> 12% at two-sided 0.05 and
  power 0.8 needs 3,840.85 per arm (R ``power.prop.test``).
* ``"unpooled"`` (matches ``"z-unpooled"``): ``(z_a + z_b)**2 (p_c q_c + p_t q_t / k) / d**2``.
* ``"control"``: the control's variance for both arms, ``(z_a + z_b)**2 p_c q_c (1 + 1/k) /
  d**2``, as some peers do (3,532 per arm in the example above: about 8% too few when the
  treatment rate is higher). Provided only to reproduce them.

Means and ratio metrics: ``n_c = (z_a + z_b)**2 (sd_c**2 + sd_t**2 / k) / d**2``, with
``sd`` the per-unit standard deviation of the metric or of the ratio's linearisation
(:func:`unit_sd` computes it, CUPED-adjusted, from pilot statistics); ``variance_reduction``
multiplies the variance (``1 - rho**2`` for CUPED).

Multi-arm designs compare ``n_arms - 1`` arms with the control at ``alpha / (n_arms - 1)``
(Bonferroni, ``correction="bonferroni"``; pass ``correction=None`` to keep ``alpha``).
A group-sequential ``design`` multiplies the fixed sample size by its inflation factor. Power
is computed with both tails of the two-sided test; the sample-size formulas ignore the far
tail (as Fleiss and R do), which changes nothing visible.
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
from cjmodels.experiments._results import check_alpha, check_alternative
from cjmodels.experiments._stats import SufficientStats
from cjmodels.experiments.sequential import GroupSequentialDesign
from cjmodels.results import Result, result_dataclass

__all__ = [
    "PowerResult",
    "duration",
    "mde_means",
    "mde_proportions",
    "power_means",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "unit_sd",
]

VARIANCES = ("pooled", "unpooled", "control")


@result_dataclass
class PowerResult(Result):
    """A power calculation: sample sizes, power, effect and the settings behind them.

    Sample sizes are not rounded (``n_control``, ``n_arm``); round up to plan.

    Attributes
    ----------
    n_control : float
        Units in the control arm.
    n_arm : float
        Units in each other arm (``ratio * n_control``).
    n_arms : int
        Arms including the control.
    power : float
        Power of each comparison (the target, or the computed power).
    effect : float
        The effect powered for (absolute difference of rates or means; the solution for an
        MDE).
    alpha : float
        Overall type-I error asked for.
    alpha_per_comparison : float
        The level each comparison runs at (``alpha / (n_arms - 1)`` with Bonferroni).
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.
    method : str
        The formula used, spelled out (with a sequential design's inflation factor).
    settings : dict
        The inputs (rates or standard deviations, ratio, variance, correction, inflation
        factor...); keys starting with ``_`` are private and left out of ``to_dict``.

    Examples
    --------
    >>> r = sample_size_proportions(0.10, 0.12)
    >>> r
    PowerResult(n_control=3841, n_arm=3841, n_total=7682, power=0.8, effect=0.02, alpha=0.05)
    """

    n_control: float
    n_arm: float
    n_arms: int
    power: float
    effect: float
    alpha: float
    alpha_per_comparison: float
    alternative: str
    method: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_total(self) -> float:
        """Units over all arms (control plus ``n_arms - 1`` arms)."""
        return self.n_control + (self.n_arms - 1) * self.n_arm

    def _repr_fields(self) -> dict[str, Any]:
        return {"n_control": self.n_control, "n_arm": self.n_arm, "n_total": self.n_total,
                "power": self.power, "effect": self.effect, "alpha": self.alpha}

    def _summary(self) -> pd.DataFrame:
        """The numbers as a one-row table."""
        return pd.DataFrame([{
            "n_control": self.n_control, "n_arm": self.n_arm, "n_total": self.n_total,
            "power": self.power, "effect": self.effect, "alpha": self.alpha,
            "alpha_per_comparison": self.alpha_per_comparison, "method": self.method,
        }])

    def _to_dict(self) -> dict[str, Any]:
        settings = {k: v for k, v in self.settings.items() if not k.startswith("_")}
        return {**self._summary().iloc[0].to_dict(), "n_arms": self.n_arms,
                "alternative": self.alternative, "settings": settings}

    def _plot(self, ax: Any) -> None:
        """Power against sample size per arm around the result."""
        fn = self.settings.get("_power_fn")
        ns = np.linspace(0.1, 2.0, 60) * self.n_control
        if fn is None:
            raise ValidationError("this result carries no power curve.")
        ax.plot(ns, [fn(n) for n in ns])
        ax.axhline(self.power, color="grey", ls=":")
        ax.axvline(self.n_control, color="grey", ls=":")
        ax.set(xlabel="units in control", ylabel="power", title=self.method)


def _z_alpha(alpha: float, alternative: str, n_arms: int, correction: str | None):
    check_scalar(n_arms, "n_arms", typ=int, ge=2)
    if correction not in (None, "bonferroni"):
        raise ValidationError(f"correction == {correction!r}, must be 'bonferroni' or None.")
    a = alpha / (n_arms - 1) if (correction == "bonferroni" and n_arms > 2) else alpha
    z = sps.norm.isf(a / 2) if alternative == "two-sided" else sps.norm.isf(a)
    return a, float(z)


def _inflation(design: GroupSequentialDesign | None, alpha: float, alternative: str,
               power: float) -> float:
    if design is None:
        return 1.0
    if not isinstance(design, GroupSequentialDesign):
        raise ValidationError("design must be a GroupSequentialDesign (see group_sequential).")
    sides = 2 if alternative == "two-sided" else 1
    if abs(design.alpha - alpha) > 1e-12 or design.sides != sides:
        raise ValidationError(
            f"the sequential design has alpha={design.alpha:g}, sides={design.sides}; the test "
            f"has alpha={alpha:g}, sides={sides}. Build the design with the same settings."
        )
    return design.inflation_factor(power)


def _check_p(p: float, name: str) -> float:
    return float(check_scalar(p, name, typ=float, gt=0, lt=1))


def _arm_rate(p_control: float, p_arm: float | None, mde: float | None, relative: bool):
    if (p_arm is None) == (mde is None):
        raise ValidationError("give exactly one of p_arm and mde.")
    if p_arm is None:
        check_scalar(mde, "mde", typ=float)
        p_arm = p_control * (1 + mde) if relative else p_control + mde
        if not 0 < p_arm < 1:
            raise ValidationError(
                f"p_control {p_control:g} with mde {mde:g} ({'relative' if relative else 'abs'}"
                f"olute) gives an arm rate {p_arm:g} outside (0, 1)."
            )
    p_arm = _check_p(p_arm, "p_arm")
    if p_arm == p_control:
        raise ValidationError("p_arm equals p_control: there is no effect to power for.")
    return p_arm


def _prop_power(pc, pt, nc, ratio, z, alternative, variance) -> float:
    nt = ratio * nc
    d = pt - pc
    se1 = math.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
    if variance == "pooled":
        pb = (pc + ratio * pt) / (1 + ratio)
        se0 = math.sqrt(pb * (1 - pb) * (1 / nc + 1 / nt))
    elif variance == "unpooled":
        se0 = se1
    else:
        se0 = math.sqrt(pc * (1 - pc) * (1 / nc + 1 / nt))
        se1 = se0
    if alternative == "two-sided":
        return float(sps.norm.cdf((abs(d) - z * se0) / se1) + sps.norm.cdf((-abs(d) - z * se0)
                                                                            / se1))
    sign = 1 if alternative == "greater" else -1
    return float(sps.norm.cdf((sign * d - z * se0) / se1))


def sample_size_proportions(
    p_control: float,
    p_arm: float | None = None,
    *,
    mde: float | None = None,
    relative: bool = False,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    variance: str = "pooled",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
    design: GroupSequentialDesign | None = None,
) -> PowerResult:
    """Units per arm for a two-proportion z-test (see the module docstring for the formulas).

    Parameters
    ----------
    p_control : float
        Control conversion rate.
    p_arm : float, optional
        Arm rate under the alternative; or give ``mde`` instead.
    mde : float, optional
        Minimum detectable effect: absolute (``p_arm = p_control + mde``), or relative with
        ``relative=True`` (``p_arm = p_control (1 + mde)``).
    relative : bool
        Whether ``mde`` is relative to ``p_control`` (default False).
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    power : float
        Target power, in (0, 1) (default 0.8).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    variance : {"pooled", "unpooled", "control"}
        Variance formula; must match the test that will be run (default ``"pooled"`` for the
        ``"z-pooled"`` test; see the module docstring).
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.
    design : GroupSequentialDesign, optional
        Inflates the sample size to the design's maximum (same alpha and sides; see
        :func:`~cjmodels.experiments.group_sequential`).

    Returns
    -------
    PowerResult
        ``n_control`` and ``n_arm`` (not rounded), ``n_total``, the effect ``p_arm -
        p_control`` and the settings.

    Raises
    ------
    ValidationError
        Both or neither of ``p_arm`` and ``mde``, rates outside (0, 1), no effect, an effect
        against a one-sided alternative, or a design with other alpha or sides.

    Examples
    --------
    >>> round(sample_size_proportions(0.10, 0.12).n_control, 2)
    3840.85
    >>> round(sample_size_proportions(0.10, 0.12, variance="control").n_control)
    3532
    """
    alpha = check_alpha(alpha)
    check_scalar(power, "power", typ=float, gt=0, lt=1)
    alternative = check_alternative(alternative)
    check_scalar(variance, "variance", in_=VARIANCES)
    check_scalar(ratio, "ratio", typ=float, gt=0)
    pc = _check_p(p_control, "p_control")
    pt = _arm_rate(pc, p_arm, mde, relative)
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    zb = sps.norm.isf(1 - power)
    d = pt - pc
    if alternative != "two-sided" and (d > 0) != (alternative == "greater"):
        raise ValidationError(
            f"the effect {d:+g} points against alternative == {alternative!r}."
        )
    k = float(ratio)
    if variance == "pooled":
        pb = (pc + k * pt) / (1 + k)
        n = (za * math.sqrt(pb * (1 - pb) * (1 + 1 / k))
             + zb * math.sqrt(pc * (1 - pc) + pt * (1 - pt) / k)) ** 2 / d**2
    elif variance == "unpooled":
        n = (za + zb) ** 2 * (pc * (1 - pc) + pt * (1 - pt) / k) / d**2
    else:
        n = (za + zb) ** 2 * pc * (1 - pc) * (1 + 1 / k) / d**2
    infl = _inflation(design, alpha, alternative, power)
    n *= infl
    fn = lambda m: _prop_power(pc, pt, m / infl, k, za, alternative, variance)  # noqa: E731
    return PowerResult(
        float(n), float(k * n), int(n_arms), float(power), float(d), alpha, a, alternative,
        f"two proportions, {variance} variance" + (f", {design.kind} x{infl:.4f}"
                                                    if design else ""),
        {"p_control": pc, "p_arm": pt, "ratio": k, "variance": variance,
         "inflation_factor": infl, "correction": correction, "_power_fn": fn},
    )


def power_proportions(
    p_control: float,
    p_arm: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    variance: str = "pooled",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
) -> PowerResult:
    """Power of the two-proportion z-test with ``n_control`` units in control.

    Parameters
    ----------
    p_control : float
        Control conversion rate.
    p_arm : float
        Arm rate under the alternative.
    n_control : float
        Units in control (the arm gets ``ratio * n_control``).
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    variance : {"pooled", "unpooled", "control"}
        Variance formula; must match the test that will be run (default ``"pooled"`` for the
        ``"z-pooled"`` test; see the module docstring).
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.

    Returns
    -------
    PowerResult
        ``power`` is the probability that the test rejects when the rates are ``p_control``
        and ``p_arm``.

    Examples
    --------
    >>> round(power_proportions(0.10, 0.12, 3840.85).power, 4)
    0.8
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    check_scalar(variance, "variance", in_=VARIANCES)
    check_scalar(ratio, "ratio", typ=float, gt=0)
    check_scalar(n_control, "n_control", typ=float, gt=1)
    pc, pt = _check_p(p_control, "p_control"), _check_p(p_arm, "p_arm")
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    pw = _prop_power(pc, pt, float(n_control), float(ratio), za, alternative, variance)
    return PowerResult(float(n_control), float(ratio * n_control), int(n_arms), pw, pt - pc,
                       alpha, a, alternative, f"two proportions, {variance} variance",
                       {"p_control": pc, "p_arm": pt, "ratio": ratio, "variance": variance})


def mde_proportions(
    p_control: float,
    n_control: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    variance: str = "pooled",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
    direction: str = "increase",
) -> PowerResult:
    """Smallest absolute change in the rate detectable with ``power`` (solved numerically).

    Parameters
    ----------
    p_control : float
        Control conversion rate.
    n_control : float
        Units in control (the arm gets ``ratio * n_control``).
    power : float
        Target power, in (0, 1) (default 0.8).
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    variance : {"pooled", "unpooled", "control"}
        Variance formula; must match the test that will be run (default ``"pooled"`` for the
        ``"z-pooled"`` test; see the module docstring).
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.
    direction : {"increase", "decrease"}
        Whether the arm's rate is above (default) or below the control's.

    Returns
    -------
    PowerResult
        ``effect`` is the signed absolute MDE; ``settings["p_arm"]`` the arm rate and
        ``settings["relative_mde"]`` the MDE relative to ``p_control``.

    Raises
    ------
    ValidationError
        When no rate within (0, 1) reaches ``power`` with ``n_control`` units.

    Examples
    --------
    >>> round(mde_proportions(0.10, 3840.85).effect, 5)
    0.02
    """
    alpha = check_alpha(alpha)
    check_scalar(power, "power", typ=float, gt=0, lt=1)
    alternative = check_alternative(alternative)
    check_scalar(direction, "direction", in_=("increase", "decrease"))
    check_scalar(variance, "variance", in_=VARIANCES)
    pc = _check_p(p_control, "p_control")
    check_scalar(n_control, "n_control", typ=float, gt=1)
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    sign = 1 if direction == "increase" else -1
    limit = (1 - pc) if sign > 0 else pc

    def f(d: float) -> float:
        return _prop_power(pc, pc + sign * d, float(n_control), float(ratio), za, alternative,
                           variance) - power

    if f(limit * (1 - 1e-9)) < 0:
        raise ValidationError(
            f"no effect within the range of rates reaches power {power:g} with {n_control:g} "
            "units in control; more units are needed."
        )
    d = optimize.brentq(f, 1e-12, limit * (1 - 1e-9), xtol=1e-12)
    return PowerResult(float(n_control), float(ratio * n_control), int(n_arms), float(power),
                       sign * float(d), alpha, a, alternative,
                       f"two proportions, {variance} variance",
                       {"p_control": pc, "p_arm": pc + sign * d, "ratio": ratio,
                        "relative_mde": sign * d / pc})


def sample_size_means(
    sd: float,
    mde: float,
    *,
    sd_arm: float | None = None,
    variance_reduction: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
    design: GroupSequentialDesign | None = None,
) -> PowerResult:
    """Units per arm to detect a difference ``mde`` in means (normal approximation).

    ``sd`` is the per-unit standard deviation in control (of the metric, or of a ratio
    metric's linearisation, see :func:`unit_sd`); ``variance_reduction`` is the share of the
    variance CUPED removes (``rho**2``), so the variance used is ``sd**2 (1 -
    variance_reduction)``.

    Parameters
    ----------
    sd : float
        Per-unit standard deviation of the metric in control (or of a ratio metric's
        linearisation, see :func:`unit_sd`).
    mde : float
        The difference in means to detect (non-zero; in the metric's units).
    sd_arm : float, optional
        Per-unit standard deviation in the arm; default ``sd``.
    variance_reduction : float
        Share of the variance removed by CUPED (``rho**2``), in [0, 1); default 0.
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    power : float
        Target power, in (0, 1) (default 0.8).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.
    design : GroupSequentialDesign, optional
        Inflates the sample size to the design's maximum (same alpha and sides).

    Returns
    -------
    PowerResult
        ``n_control`` and ``n_arm`` (not rounded) and the settings.

    Examples
    --------
    >>> round(sample_size_means(1.0, 0.1).n_control, 1)  # 2 (1.96 + 0.8416)^2 / 0.01
    1569.8
    """
    alpha = check_alpha(alpha)
    check_scalar(power, "power", typ=float, gt=0, lt=1)
    alternative = check_alternative(alternative)
    check_scalar(sd, "sd", typ=float, gt=0)
    check_scalar(mde, "mde", typ=float)
    if mde == 0:
        raise ValidationError("mde == 0, must be non-zero.")
    check_scalar(variance_reduction, "variance_reduction", typ=float, ge=0, lt=1)
    check_scalar(ratio, "ratio", typ=float, gt=0)
    sdt = float(sd if sd_arm is None else check_scalar(sd_arm, "sd_arm", typ=float, gt=0))
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    zb = sps.norm.isf(1 - power)
    vr = 1 - variance_reduction
    n = (za + zb) ** 2 * (sd**2 + sdt**2 / ratio) * vr / mde**2
    infl = _inflation(design, alpha, alternative, power)
    n *= infl
    return PowerResult(float(n), float(ratio * n), int(n_arms), float(power), float(mde), alpha,
                       a, alternative, "difference in means, normal approximation"
                       + (f", {design.kind} x{infl:.4f}" if design else ""),
                       {"sd": sd, "sd_arm": sdt, "variance_reduction": variance_reduction,
                        "ratio": ratio, "inflation_factor": infl})


def power_means(
    sd: float,
    mde: float,
    n_control: float,
    *,
    sd_arm: float | None = None,
    variance_reduction: float = 0.0,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
) -> PowerResult:
    """Power of the difference-in-means test (normal approximation, both tails).

    Parameters
    ----------
    sd : float
        Per-unit standard deviation of the metric in control (or of a ratio metric's
        linearisation, see :func:`unit_sd`).
    mde : float
        The true difference in means.
    n_control : float
        Units in control (the arm gets ``ratio * n_control``).
    sd_arm : float, optional
        Per-unit standard deviation in the arm; default ``sd``.
    variance_reduction : float
        Share of the variance removed by CUPED (``rho**2``), in [0, 1); default 0.
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.

    Returns
    -------
    PowerResult
        ``power`` is the probability that the test rejects at the difference ``mde``.

    Examples
    --------
    >>> round(power_means(1.0, 0.1, 1569.8).power, 3)
    0.8
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    check_scalar(sd, "sd", typ=float, gt=0)
    check_scalar(n_control, "n_control", typ=float, gt=1)
    check_scalar(variance_reduction, "variance_reduction", typ=float, ge=0, lt=1)
    sdt = float(sd if sd_arm is None else check_scalar(sd_arm, "sd_arm", typ=float, gt=0))
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    se = math.sqrt((sd**2 / n_control + sdt**2 / (ratio * n_control)) * (1 - variance_reduction))
    if alternative == "two-sided":
        pw = sps.norm.cdf(abs(mde) / se - za) + sps.norm.cdf(-abs(mde) / se - za)
    else:
        pw = sps.norm.cdf((mde if alternative == "greater" else -mde) / se - za)
    return PowerResult(float(n_control), float(ratio * n_control), int(n_arms), float(pw),
                       float(mde), alpha, a, alternative, "difference in means",
                       {"sd": sd, "sd_arm": sdt, "variance_reduction": variance_reduction})


def mde_means(
    sd: float,
    n_control: float,
    *,
    sd_arm: float | None = None,
    variance_reduction: float = 0.0,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: float = 1.0,
    n_arms: int = 2,
    correction: str | None = "bonferroni",
) -> PowerResult:
    """Minimum detectable difference in means with ``n_control`` units in control.

    Parameters
    ----------
    sd : float
        Per-unit standard deviation of the metric in control (or of a ratio metric's
        linearisation, see :func:`unit_sd`).
    n_control : float
        Units in control (the arm gets ``ratio * n_control``).
    sd_arm : float, optional
        Per-unit standard deviation in the arm; default ``sd``.
    variance_reduction : float
        Share of the variance removed by CUPED (``rho**2``), in [0, 1); default 0.
    power : float
        Target power, in (0, 1) (default 0.8).
    alpha : float
        Type-I error of the test (two-sided total for ``alternative="two-sided"``; default
        0.05).
    alternative : {"two-sided", "greater", "less"}
        Alternative of the test that will be run. Two-sided power counts both tails.
    ratio : float
        Allocation ratio ``n_arm / n_control`` (default 1).
    n_arms : int
        Arms including the control (default 2); each of the ``n_arms - 1`` arms is compared
        with the control.
    correction : {"bonferroni", None}
        With ``"bonferroni"`` (default) and more than two arms, each comparison runs at
        ``alpha / (n_arms - 1)``; None keeps ``alpha``.

    Returns
    -------
    PowerResult
        ``effect`` is the MDE ``(z_a + z_b) sqrt((sd**2 + sd_arm**2 / ratio) / n_control
        (1 - variance_reduction))``.

    Examples
    --------
    >>> round(mde_means(1.0, 1569.8).effect, 4)
    0.1
    """
    alpha = check_alpha(alpha)
    check_scalar(power, "power", typ=float, gt=0, lt=1)
    alternative = check_alternative(alternative)
    check_scalar(sd, "sd", typ=float, gt=0)
    check_scalar(n_control, "n_control", typ=float, gt=1)
    check_scalar(variance_reduction, "variance_reduction", typ=float, ge=0, lt=1)
    sdt = float(sd if sd_arm is None else check_scalar(sd_arm, "sd_arm", typ=float, gt=0))
    a, za = _z_alpha(alpha, alternative, n_arms, correction)
    zb = sps.norm.isf(1 - power)
    d = (za + zb) * math.sqrt((sd**2 + sdt**2 / ratio) / n_control * (1 - variance_reduction))
    return PowerResult(float(n_control), float(ratio * n_control), int(n_arms), float(power),
                       float(d), alpha, a, alternative, "difference in means",
                       {"sd": sd, "sd_arm": sdt, "variance_reduction": variance_reduction})


def unit_sd(
    data: SufficientStats,
    metric: str,
    *,
    arm: str,
    denominator: str | None = None,
    covariates: Sequence[str] = (),
) -> float:
    """Per-unit standard deviation of a metric (or ratio linearisation, CUPED-adjusted).

    Feed it pilot or pre-period statistics to plan a test that will use the same metric,
    ratio and covariates: ``sample_size_means(unit_sd(...), mde)``.

    Parameters
    ----------
    data : SufficientStats
        Pilot or pre-period statistics with the metric (and denominator and covariates).
    metric : str
        The metric (or a ratio's numerator).
    arm : str
        The arm whose standard deviation is returned (usually the control).
    denominator : str, optional
        A ratio metric's denominator: the standard deviation is that of the linearisation
        ``(Y - R X) / mean(X)``.
    covariates : sequence of str
        CUPED covariates (default none): the standard deviation is then the adjusted one.

    Returns
    -------
    float
        The per-unit standard deviation, so that ``sd**2 / n`` is the variance of the arm's
        estimate with ``n`` units.

    Examples
    --------
    >>> s = SufficientStats.from_moments([100, 100], {"y": [1.0, 1.2]}, {"y": [4.0, 4.0]},
    ...                                  arms=["c", "t"])
    >>> unit_sd(s, "y", arm="c")
    2.0
    """
    from cjmodels.experiments.continuous import _arm_estimates

    est = _arm_estimates(data, metric, denominator=denominator, covariates=covariates)
    i = list(est["arms"]).index(data.arms[data.arm_index(arm)])
    return float(np.sqrt(est["unit_variance"][i]))


def duration(
    n_total: float | PowerResult, units_per_day: float, *, share_in_experiment: float = 1.0
) -> float:
    """Days needed to enrol ``n_total`` units at ``units_per_day`` (times the share exposed).

    Parameters
    ----------
    n_total : float or PowerResult
        Units over all arms, or a power result (its ``n_total``).
    units_per_day : float
        Eligible units arriving per day.
    share_in_experiment : float
        Share of the eligible units enrolled, in (0, 1] (default 1).

    Returns
    -------
    float
        ``n_total / (units_per_day * share_in_experiment)``, rounded to 4 decimals (not to
        whole days).

    Examples
    --------
    >>> duration(sample_size_proportions(0.10, 0.12), 500)
    15.3634
    """
    n = n_total.n_total if isinstance(n_total, PowerResult) else n_total
    check_scalar(n, "n_total", typ=float, gt=0)
    check_scalar(units_per_day, "units_per_day", typ=float, gt=0)
    check_scalar(share_in_experiment, "share_in_experiment", typ=float, gt=0, le=1)
    return round(float(n) / (units_per_day * share_in_experiment), 4)
