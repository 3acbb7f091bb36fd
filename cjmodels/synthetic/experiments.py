"""A synthetic A/B(/n) experiment with an exactly known truth.

:func:`simulate_experiment` draws customers who arrive during an experiment, are assigned to an
arm, may have a pre-period purchase history, and may convert some days after assignment. The
design is analytic, so conversion rates, revenue per customer, the treatment effects and the
correlation between the pre-period covariate and the outcome (hence the variance reduction CUPED
can achieve) are known in closed form and stored in the world's ``truth``.

Model
-----
For customer *i* in arm *a* (conversion probability :math:`p_a`, spend multiplier :math:`m_a`):

* arrival (assignment) time :math:`A_i \\sim U[0, T)` days after ``start`` (a homogeneous Poisson
  process conditioned on ``n_customers`` arrivals); arm drawn with the *actual* probabilities;
* latent :math:`(Z_x, Z_c)` standard bivariate normal with correlation :math:`r` (a Gaussian
  copula);
* conversion :math:`C = 1\\{Z_c > \\Phi^{-1}(1 - p_a)\\}`, so :math:`P(C = 1) = p_a`;
* spend :math:`S = m_a \\mu_S \\exp(\\sigma_S Z_S - \\sigma_S^2 / 2)` with :math:`Z_S` independent,
  so :math:`E[S] = m_a \\mu_S`; revenue :math:`Y = C S`;
* pre-period covariate :math:`X = x_{scale} \\exp(\\sigma_x Z_x)`, observed only for customers
  with history (each customer independently new with probability ``pre_missing``);
* conversion delay :math:`D \\sim \\mathrm{Exp}(\\text{mean } \\delta)`; the conversion is recorded
  at :math:`A + D` and observed only when :math:`A + D \\le T` (the experiment end). With
  :math:`O = 1\\{A + D \\le T\\}`, independent of everything else,
  :math:`q = P(O = 1) = 1 - (\\delta / T)(1 - e^{-T/\\delta})`.

The key identity is :math:`E[e^{s Z_x} C] = e^{s^2/2} \\Phi(\\Phi^{-1}(p) + r s)` (tilting
:math:`Z_x` by :math:`s` shifts :math:`Z_c` by :math:`r s`), hence
:math:`\\mathrm{Cov}(X, C) = E[X] (\\Phi(\\Phi^{-1}(p) + r \\sigma_x) - p)`,
:math:`\\mathrm{Cov}(X, Y) = E[S] \\mathrm{Cov}(X, C)` and, for the observed outcomes
:math:`C O` and :math:`Y O`, covariances scaled by :math:`q` and rates :math:`p q`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from cjmodels._checks import as_generator, check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = [
    "Arm",
    "ExperimentWorld",
    "experiment_truth",
    "observed_fraction",
    "simulate_experiment",
]

_SECONDS_PER_DAY = 86_400
_NUMBER = (int, float)


@dataclass(frozen=True)
class Arm:
    """One arm of a simulated experiment.

    Parameters
    ----------
    name : str
        Arm label, written to the ``variant`` column.
    rate : float
        True (eventual) conversion probability, in (0, 1).
    spend_multiplier : float
        Multiplies the spend of converters (1.0 = the base spend distribution).

    Examples
    --------
    >>> Arm("treatment", 0.11, 1.05)
    Arm(name='treatment', rate=0.11, spend_multiplier=1.05)
    """

    name: str
    rate: float
    spend_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError(f"arm name == {self.name!r}, must be a non-empty string.")
        check_scalar(self.rate, f"rate of arm {self.name!r}", typ=_NUMBER, gt=0, lt=1)
        check_scalar(
            self.spend_multiplier, f"spend_multiplier of arm {self.name!r}", typ=_NUMBER, gt=0
        )
        object.__setattr__(self, "rate", float(self.rate))
        object.__setattr__(self, "spend_multiplier", float(self.spend_multiplier))


DEFAULT_ARMS: tuple[Arm, ...] = (Arm("control", 0.10, 1.0), Arm("treatment", 0.11, 1.05))


def _parse_arms(arms: Any) -> tuple[Arm, ...]:
    if arms is None:
        return DEFAULT_ARMS
    out: list[Arm] = []
    if isinstance(arms, Mapping):
        for name, spec in arms.items():
            if isinstance(spec, Arm):
                out.append(Arm(str(name), spec.rate, spec.spend_multiplier))
            elif isinstance(spec, numbers.Real) and not isinstance(spec, bool):
                out.append(Arm(name, spec))
            elif isinstance(spec, Mapping):
                unknown = sorted(set(spec) - {"rate", "spend_multiplier"})
                if unknown or "rate" not in spec:
                    raise ValidationError(
                        f"arms[{name!r}] == {dict(spec)!r}: give 'rate' and optionally "
                        "'spend_multiplier' (no other keys)."
                    )
                out.append(Arm(name, spec["rate"], spec.get("spend_multiplier", 1.0)))
            elif isinstance(spec, Sequence) and not isinstance(spec, str) and len(spec) == 2:
                out.append(Arm(name, spec[0], spec[1]))
            else:
                raise ValidationError(
                    f"arms[{name!r}] == {spec!r}; give a rate, a (rate, spend_multiplier) pair "
                    "or a dict with 'rate' and 'spend_multiplier'."
                )
    elif isinstance(arms, Sequence) and not isinstance(arms, str):
        for spec in arms:
            if isinstance(spec, Arm):
                out.append(spec)
            elif isinstance(spec, Sequence) and not isinstance(spec, str) and len(spec) in (2, 3):
                out.append(Arm(*spec))
            else:
                raise ValidationError(
                    f"arms contains {spec!r}; give Arm objects or (name, rate[, "
                    "spend_multiplier]) tuples."
                )
    else:
        raise ValidationError(
            f"arms == {arms!r}; give a mapping name -> rate (or (rate, spend_multiplier)), or a "
            "sequence of Arm objects."
        )
    if len(out) < 2:
        raise ValidationError(
            f"arms lists {len(out)} arm(s); an experiment needs at least two (a control first)."
        )
    names = [a.name for a in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationError(f"arms {dupes} are listed more than once; arm names must differ.")
    return tuple(out)


def _per_arm(value: Any, names: Sequence[str], what: str) -> np.ndarray:
    """A mapping or sequence with one positive number per arm, as an array in arm order."""
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in set(value) - set(names))
        if unknown:
            raise ValidationError(f"{what} names unknown arms {unknown}; the arms are {names}.")
        missing = [n for n in names if n not in value]
        if missing:
            raise ValidationError(f"{what} has no entry for arms {missing}; give every arm.")
        vals = [value[n] for n in names]
    elif isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        vals = list(value)
        if len(vals) != len(names):
            raise ValidationError(
                f"{what} has {len(vals)} entries but there are {len(names)} arms {names}."
            )
    else:
        raise ValidationError(
            f"{what} == {value!r}; give one number per arm as a list or a dict arm -> number."
        )
    for n, v in zip(names, vals, strict=True):
        check_scalar(v, f"{what}[{n!r}]", typ=_NUMBER, gt=0)
    return np.asarray(vals, dtype=float)


def _allocations(
    allocation: Any, srm: Any, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    k = len(names)
    if allocation is None:
        intended = np.full(k, 1.0 / k)
    else:
        intended = _per_arm(allocation, names, "allocation")
        total = float(intended.sum())
        if abs(total - 1.0) > 1e-6:
            raise ValidationError(
                f"allocation sums to {total:g}, must sum to 1 (the intended share of each arm). "
                "Divide every entry by the total."
            )
        intended = intended / total
    if srm is None:
        return intended, intended.copy()
    if isinstance(srm, Mapping):
        unknown = sorted(str(k) for k in set(srm) - set(names))
        if unknown:
            raise ValidationError(f"srm names unknown arms {unknown}; the arms are {names}.")
        mult = _per_arm({n: srm.get(n, 1.0) for n in names}, names, "srm")
    else:
        check_scalar(srm, "srm", typ=_NUMBER, gt=-1, lt=1)
        mult = np.r_[1.0, np.full(k - 1, 1.0 - float(srm))]
    actual = intended * mult
    return intended, actual / actual.sum()


def _moments(
    p: float,
    spend_multiplier: float,
    *,
    q: float,
    correlation: float,
    x_scale: float,
    sigma_x: float,
    spend_mean: float,
    spend_sigma: float,
    pre_missing: float,
) -> dict[str, float]:
    """Closed-form moments of one arm's outcome (scaled by the observed fraction ``q``)."""
    ex = x_scale * math.exp(sigma_x**2 / 2)
    var_x = x_scale**2 * math.exp(sigma_x**2) * math.expm1(sigma_x**2)
    # E[exp(s Z_x) 1{Z_c > Phi^-1(1-p)}] = exp(s^2/2) Phi(Phi^-1(p) + r s)
    cov_c = q * ex * (float(ndtr(ndtri(p) + correlation * sigma_x)) - p)
    es = spend_multiplier * spend_mean
    es2 = es**2 * math.exp(spend_sigma**2)
    pe = p * q
    var_c = pe * (1 - pe)
    var_y = pe * es2 - (pe * es) ** 2
    cov_y = es * cov_c
    rho_c = cov_c / math.sqrt(var_x * var_c)
    rho_y = cov_y / math.sqrt(var_x * var_y)
    return {
        "conversion_rate": pe,
        "revenue_per_customer": pe * es,
        "conversion_variance": var_c,
        "revenue_variance": var_y,
        "cov_pre_conversion": cov_c,
        "cov_pre_revenue": cov_y,
        "corr_pre_conversion": rho_c,
        "corr_pre_revenue": rho_y,
        "cuped_variance_ratio_conversion": 1 - rho_c**2,
        "cuped_variance_ratio_revenue": 1 - rho_y**2,
        "cuped_variance_ratio_conversion_with_missing": 1 - (1 - pre_missing) * rho_c**2,
        "cuped_variance_ratio_revenue_with_missing": 1 - (1 - pre_missing) * rho_y**2,
    }


def observed_fraction(days: float, delay_mean: float) -> float:
    """P(A + D <= T) for A ~ U[0, T) and D ~ Exp(mean delay_mean): the share of conversions seen.

    Examples
    --------
    >>> round(observed_fraction(28, 3.0), 6)
    0.892867
    """
    return 1.0 - (delay_mean / days) * -math.expm1(-days / delay_mean)


def experiment_truth(
    arms: Any = None,
    *,
    correlation: float = 0.6,
    pre_missing: float = 0.25,
    x_scale: float = 30.0,
    sigma_x: float = 0.8,
    spend_mean: float = 60.0,
    spend_sigma: float = 0.6,
    days: float = 28.0,
    delay_mean: float = 3.0,
) -> dict[str, Any]:
    """Closed-form truth of the experiment model (no simulation).

    Parameters are those of :func:`simulate_experiment`. Returns a dict with
    ``arms[name]["eventual" | "observed"]`` holding each arm's conversion rate, revenue per
    customer, outcome variances, covariance and correlation with the pre-period covariate and
    CUPED variance ratios (``1 - rho**2`` among customers with history; ``1 - (1 - pre_missing)
    rho**2`` over all customers when new customers get only an intercept), and
    ``effects[name]["eventual" | "observed"]`` with the differences and ratios versus control.

    Examples
    --------
    >>> t = experiment_truth()
    >>> round(t["effects"]["treatment"]["eventual"]["conversion_diff"], 10)
    0.01
    >>> round(t["arms"]["control"]["eventual"]["corr_pre_conversion"], 3)
    0.392
    """
    arm_list = _parse_arms(arms)
    check_scalar(correlation, "correlation", typ=_NUMBER, ge=-1, le=1)
    check_scalar(pre_missing, "pre_missing", typ=_NUMBER, ge=0, lt=1)
    check_scalar(x_scale, "x_scale", typ=_NUMBER, gt=0)
    check_scalar(sigma_x, "sigma_x", typ=_NUMBER, gt=0)
    check_scalar(spend_mean, "spend_mean", typ=_NUMBER, gt=0)
    check_scalar(spend_sigma, "spend_sigma", typ=_NUMBER, ge=0)
    check_scalar(days, "days", typ=_NUMBER, gt=0)
    check_scalar(delay_mean, "delay_mean", typ=_NUMBER, gt=0)
    q = observed_fraction(float(days), float(delay_mean))
    common = {
        "correlation": float(correlation),
        "x_scale": float(x_scale),
        "sigma_x": float(sigma_x),
        "spend_mean": float(spend_mean),
        "spend_sigma": float(spend_sigma),
        "pre_missing": float(pre_missing),
    }
    arms_out: dict[str, Any] = {}
    for a in arm_list:
        arms_out[a.name] = {
            "rate": a.rate,
            "spend_multiplier": a.spend_multiplier,
            "mean_spend": a.spend_multiplier * spend_mean,
            "eventual": _moments(a.rate, a.spend_multiplier, q=1.0, **common),
            "observed": _moments(a.rate, a.spend_multiplier, q=q, **common),
        }
    control = arm_list[0].name
    effects: dict[str, Any] = {}
    for a in arm_list[1:]:
        effects[a.name] = {}
        for scale in ("eventual", "observed"):
            t, c = arms_out[a.name][scale], arms_out[control][scale]
            effects[a.name][scale] = {
                "conversion_diff": t["conversion_rate"] - c["conversion_rate"],
                "conversion_ratio": t["conversion_rate"] / c["conversion_rate"],
                "revenue_diff": t["revenue_per_customer"] - c["revenue_per_customer"],
                "revenue_ratio": t["revenue_per_customer"] / c["revenue_per_customer"],
            }
    s2 = float(sigma_x) ** 2
    return {
        "control": control,
        "arm_names": [a.name for a in arm_list],
        "arms": arms_out,
        "effects": effects,
        "observed_fraction": q,
        "latent_correlation": float(correlation),
        "pre": {
            "mean": x_scale * math.exp(s2 / 2),
            "variance": x_scale**2 * math.exp(s2) * math.expm1(s2),
            "missing_share": float(pre_missing),
        },
    }


@result_dataclass
class ExperimentWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_experiment`, with typed shortcuts.

    :meth:`arm_truth` and :meth:`effects` tabulate the exact per-arm quantities and effects
    stored in ``truth``, on the scale of what the event log records (``"observed"``) or of what
    would eventually happen (``"eventual"``).

    Attributes
    ----------
    name : str
        ``"experiment"``.
    events : pandas.DataFrame
        ``customer_id`` (0 to ``n_customers - 1``, in arrival order), ``timestamp``, ``event``
        (``"assignment"`` at arrival; ``"conversion"`` for a pre-period purchase, with ``value``
        the covariate X, and for a conversion by the experiment end, with ``value`` the spend),
        ``value`` (NaN on assignments) and the arm column (named by ``variant``, on every row).
    truth : dict
        :func:`experiment_truth` (per-arm rates, revenue, variances, covariances with the
        pre-period covariate and CUPED variance ratios, on both scales; effects versus control;
        the observed fraction), plus ``allocation`` (``intended``, ``actual``, ``counts``),
        ``srm``, ``n_conversions`` (``eventual``, ``observed``, ``after_end``) and
        ``n_new_customers``.
    params : dict
        The arguments of :func:`simulate_experiment` (``random_state`` is ``"Generator"`` when a
        generator was given).
    tables : dict of str to DataFrame
        ``"customers"``: the per-customer truth (see :attr:`customers`).
    event_log_options : dict
        ``observation_start`` (``start - pre_days``) and ``observation_end`` (``start + days``),
        for :meth:`event_log`.

    See Also
    --------
    simulate_experiment : Builds this world.

    Examples
    --------
    >>> w = simulate_experiment(1000, random_state=1)
    >>> w
    ExperimentWorld(name='experiment', n_events=1829, n_customers=1000)
    >>> w.control, round(float(w.effects().loc["treatment", "conversion_ratio"]), 2)
    ('control', 1.1)
    """

    @property
    def control(self) -> str:
        """Name of the control arm (the first arm)."""
        return str(self.truth["control"])

    @property
    def arm_names(self) -> list[str]:
        """Arm names, control first."""
        return list(self.truth["arm_names"])

    @property
    def customers(self) -> pd.DataFrame:
        """The per-customer truth table (``tables["customers"]``)."""
        return self.tables["customers"]

    def arm_truth(self, scale: str = "observed") -> pd.DataFrame:
        """True per-arm quantities as a DataFrame (one row per arm).

        ``scale="observed"`` describes the outcomes recorded in the event log (conversions by the
        experiment end), ``"eventual"`` the outcomes had every customer been followed forever.

        Parameters
        ----------
        scale : {"observed", "eventual"}, default "observed"
            Which outcomes the quantities describe.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``variant``, control first: ``intended_allocation``,
            ``actual_allocation``, ``n_customers`` (realised), ``conversion_rate``,
            ``revenue_per_customer``, their variances, their covariances and correlations with
            the pre-period covariate, and the CUPED variance ratios (with and without the
            customers who have no pre-period history).

        Raises
        ------
        cjmodels.errors.ValidationError
            If ``scale`` is not one of the two options.

        Examples
        --------
        >>> w = simulate_experiment(1000, random_state=1)
        >>> w.arm_truth()["conversion_rate"].round(4)
        variant
        control      0.0893
        treatment    0.0982
        Name: conversion_rate, dtype: float64
        """
        check_scalar(scale, "scale", in_=("observed", "eventual"))
        rows = {
            name: {
                "intended_allocation": self.truth["allocation"]["intended"][name],
                "actual_allocation": self.truth["allocation"]["actual"][name],
                "n_customers": self.truth["allocation"]["counts"][name],
                **a[scale],
            }
            for name, a in self.truth["arms"].items()
        }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("variant")

    def effects(self, scale: str = "observed") -> pd.DataFrame:
        """True effects of every non-control arm versus control (one row per arm).

        Parameters
        ----------
        scale : {"observed", "eventual"}, default "observed"
            Effects on the outcomes recorded in the event log, or on the outcomes had every
            customer been followed forever; the ratios are the same on both scales.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``variant``: ``conversion_diff`` and ``conversion_ratio`` (of conversion
            rates), ``revenue_diff`` and ``revenue_ratio`` (of revenue per customer), each arm
            minus (or over) control.

        Raises
        ------
        cjmodels.errors.ValidationError
            If ``scale`` is not one of the two options.

        Examples
        --------
        >>> w = simulate_experiment(1000, random_state=1)
        >>> w.effects().round(4)
                   conversion_diff  conversion_ratio  revenue_diff  revenue_ratio
        variant
        treatment           0.0089               1.1        0.8304          1.155
        """
        check_scalar(scale, "scale", in_=("observed", "eventual"))
        rows = {name: e[scale] for name, e in self.truth["effects"].items()}
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("variant")


def simulate_experiment(
    n_customers: int = 20000,
    *,
    arms: Mapping[str, Any] | Sequence[Arm | tuple] | None = None,
    allocation: Mapping[str, float] | Sequence[float] | None = None,
    srm: float | Mapping[str, float] | None = None,
    start: Any = "2025-03-01",
    days: float = 28,
    pre_days: float = 28,
    correlation: float = 0.6,
    pre_missing: float = 0.25,
    x_scale: float = 30.0,
    sigma_x: float = 0.8,
    spend_mean: float = 60.0,
    spend_sigma: float = 0.6,
    delay_mean: float = 3.0,
    variant: str = "variant",
    random_state: int | np.random.Generator | None = None,
) -> ExperimentWorld:
    """Simulate an A/B(/n) experiment whose effects and CUPED gains are known exactly.

    See the module docstring for the model. The event log has, per customer: one ``assignment``
    row at arrival; for customers with history, one pre-period ``conversion`` row with ``value``
    = X, dated uniformly within ``pre_days`` before assignment; for converters whose conversion
    falls before the experiment end, one ``conversion`` row with ``value`` = spend. The
    ``variant`` column holds the arm on every row of the customer; there is no channel column.

    Parameters
    ----------
    n_customers : int
        Number of customers who enter the experiment.
    arms : mapping or sequence, optional
        The arms, control first: a mapping ``name -> rate``, ``name -> (rate,
        spend_multiplier)`` or ``name -> {"rate": ..., "spend_multiplier": ...}``, or a sequence
        of :class:`Arm` (or ``(name, rate[, spend_multiplier])`` tuples). Default: control
        (rate 0.10, multiplier 1.0) and treatment (0.11, 1.05).
    allocation : sequence or mapping of float, optional
        Intended share of each arm, summing to 1. Default: equal shares.
    srm : float or mapping, optional
        Sample-ratio mismatch. A float ``s`` in (-1, 1) multiplies the assignment weight of every
        non-control arm by ``1 - s`` (a share ``s`` of their users is lost, e.g. by a failing
        redirect); a mapping ``arm -> multiplier`` sets the multipliers directly. The weights are
        renormalised, so ``n_customers`` is kept. The distortion does not depend on outcomes, so
        effects stay unbiased; only a sample-ratio check should fire.
    start : timestamp-like
        Experiment start; assignments happen in ``[start, start + days)``.
    days, pre_days : float
        Length of the experiment and of the pre-period, in days (``pre_days >= 1``).
    correlation : float
        Correlation ``r`` of the latent normals behind the pre-period covariate and conversion.
    pre_missing : float
        Probability that a customer is new (no pre-period history, X unobserved), in [0, 1).
    x_scale, sigma_x : float
        The pre-period covariate is ``x_scale * exp(sigma_x * Z_x)``.
    spend_mean, spend_sigma : float
        Mean and log-scale standard deviation of the control arm's spend per converter.
    delay_mean : float
        Mean of the exponential delay (days) from assignment to conversion. Conversions after the
        experiment end are not recorded (``truth["n_conversions"]["after_end"]``).
    variant : str
        Name of the covariate column holding the arm.
    random_state : int, Generator or None
        Seed or generator; the only source of randomness.

    Returns
    -------
    ExperimentWorld
        ``truth`` (see :func:`experiment_truth`) adds ``allocation`` (``intended``, ``actual``
        and realised ``counts`` per arm), ``srm`` (whether actual differs from intended),
        ``n_conversions`` (``eventual``, ``observed``, ``after_end``) and ``n_new_customers``.
        The rates an analysis of the event log estimates are the ``observed`` ones (share of
        customers with a conversion by the experiment end, :math:`p q`); relative effects are the
        same on both scales. ``tables["customers"]`` is the per-customer truth: customer_id,
        variant, assigned_at, converted (observed, 0/1), revenue (observed), pre_value (NaN for
        new customers), has_pre, will_convert, spend, delay (days), converted_at, x, z_x, z_c.

    Examples
    --------
    >>> w = simulate_experiment(2000, random_state=1)
    >>> w.event_log().n_customers
    2000
    >>> sorted(w.truth["arms"])
    ['control', 'treatment']
    >>> w.effects("eventual").round(4)
               conversion_diff  conversion_ratio  revenue_diff  revenue_ratio
    variant
    treatment             0.01               1.1          0.93          1.155
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    n = int(n_customers)
    arm_list = _parse_arms(arms)
    names = [a.name for a in arm_list]
    intended, actual = _allocations(allocation, srm, names)
    check_scalar(days, "days", typ=_NUMBER, gt=0)
    check_scalar(pre_days, "pre_days", typ=_NUMBER, ge=1)
    if not isinstance(variant, str) or variant in (
        "customer_id", "timestamp", "event", "channel", "stage", "value"
    ):
        raise ValidationError(
            f"variant == {variant!r}, must be a column name other than the canonical ones."
        )
    truth = experiment_truth(
        arm_list,
        correlation=correlation,
        pre_missing=pre_missing,
        x_scale=x_scale,
        sigma_x=sigma_x,
        spend_mean=spend_mean,
        spend_sigma=spend_sigma,
        days=days,
        delay_mean=delay_mean,
    )
    t_start = parse_start(start)
    rng = as_generator(random_state)

    # --- draws (all customers, fixed order, so streams do not depend on outcomes)
    arrival = np.sort(rng.uniform(0.0, days, size=n))  # ids follow arrival order
    arm = rng.choice(len(names), size=n, p=actual)
    z_x = rng.standard_normal(n)
    z_c = correlation * z_x + math.sqrt(1.0 - correlation**2) * rng.standard_normal(n)
    z_s = rng.standard_normal(n)
    delay = rng.exponential(delay_mean, size=n)
    new = rng.random(n) < pre_missing
    pre_offset = rng.uniform(0.0, pre_days, size=n)

    rates = np.array([a.rate for a in arm_list])
    mults = np.array([a.spend_multiplier for a in arm_list])
    will_convert = z_c > ndtri(1.0 - rates)[arm]
    spend = mults[arm] * spend_mean * np.exp(spend_sigma * z_s - spend_sigma**2 / 2)
    x = x_scale * np.exp(sigma_x * z_x)
    seen = will_convert & (arrival + delay <= days)
    has_pre = ~new

    # --- integer seconds since start: conversions never precede assignment, nothing leaves the
    # window [start - pre_days, start + days]
    t0_s = np.floor(arrival * _SECONDS_PER_DAY).astype(np.int64)
    conv_s = np.floor((arrival + delay) * _SECONDS_PER_DAY).astype(np.int64)
    pre_s = t0_s - np.maximum(1, np.floor(pre_offset * _SECONDS_PER_DAY)).astype(np.int64)

    ids = np.arange(n)
    variant_names = np.asarray(names, dtype=object)[arm]
    pre_ids, conv_ids = ids[has_pre], ids[seen]
    cust = np.concatenate([pre_ids, ids, conv_ids])
    secs = np.concatenate([pre_s[has_pre], t0_s, conv_s[seen]])
    kind = np.concatenate(
        [np.full(len(pre_ids), 0), np.full(n, 1), np.full(len(conv_ids), 2)]
    ).astype(np.int8)
    value = np.concatenate([x[has_pre], np.full(n, np.nan), spend[seen]])
    order = np.lexsort((kind, secs, cust))
    event_names = np.array(["conversion", "assignment", "conversion"], dtype=object)
    events = pd.DataFrame(
        {
            "customer_id": cust[order],
            "timestamp": t_start + pd.to_timedelta(secs[order], unit="s"),
            "event": event_names[kind[order]],
            "value": value[order],
            variant: variant_names[cust[order]],
        }
    )

    revenue = np.where(seen, spend, 0.0)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "variant": variant_names,
            "assigned_at": t_start + pd.to_timedelta(t0_s, unit="s"),
            "converted": seen.astype(np.int64),
            "revenue": revenue,
            "pre_value": np.where(has_pre, x, np.nan),
            "has_pre": has_pre,
            "will_convert": will_convert,
            "spend": spend,
            "delay": delay,
            "converted_at": (t_start + pd.to_timedelta(conv_s, unit="s")).where(seen),
            "x": x,
            "z_x": z_x,
            "z_c": z_c,
        }
    )

    counts = np.bincount(arm, minlength=len(names))
    truth["allocation"] = {
        "intended": dict(zip(names, intended.tolist(), strict=True)),
        "actual": dict(zip(names, actual.tolist(), strict=True)),
        "counts": dict(zip(names, counts.tolist(), strict=True)),
    }
    truth["srm"] = bool(not np.allclose(intended, actual, rtol=0, atol=1e-12))
    truth["n_conversions"] = {
        "eventual": int(will_convert.sum()),
        "observed": int(seen.sum()),
        "after_end": int((will_convert & ~seen).sum()),
    }
    truth["n_new_customers"] = int(new.sum())
    params = {
        "n_customers": n,
        "arms": [[a.name, a.rate, a.spend_multiplier] for a in arm_list],
        "allocation": intended.tolist(),
        "srm": srm if srm is None or not isinstance(srm, Mapping) else dict(srm),
        "start": str(t_start),
        "days": days,
        "pre_days": pre_days,
        "correlation": correlation,
        "pre_missing": pre_missing,
        "x_scale": x_scale,
        "sigma_x": sigma_x,
        "spend_mean": spend_mean,
        "spend_sigma": spend_sigma,
        "delay_mean": delay_mean,
        "variant": variant,
        "random_state": random_state
        if random_state is None or isinstance(random_state, numbers.Integral)
        else "Generator",
    }
    return ExperimentWorld(
        name="experiment",
        events=events,
        truth=truth,
        params=params,
        tables={"customers": customers},
        event_log_options={
            "observation_start": t_start - pd.Timedelta(pre_days, unit="D"),
            "observation_end": t_start + pd.Timedelta(days, unit="D"),
        },
    )
