"""Bayesian beta-binomial summaries of a conversion test, in closed form.

With independent ``Beta(a, b)`` priors and binomial data, each arm's posterior is
``Beta(a + x, b + n - x)``. :func:`prob_beats` gives ``P(p_arm > p_control)`` *exactly* by the
finite sum of Miller (2015, "Formulas for Bayesian A/B testing"; the identity goes back to
Cook 2005), not by Monte Carlo:

``P(p_B > p_A) = sum_{i=0}^{a_B - 1} B(a_A + i, b_A + b_B) / ((b_B + i) B(1 + i, b_B) B(a_A, b_A))``

for integer ``a_B`` (otherwise by adaptive quadrature). The expected loss of choosing an arm
(``E[max(p_other - p_chosen, 0)]``) follows from the same function with shifted parameters.

These are **decision aids**, not error-controlling tests: stopping as soon as
``P(B > A) > 0.95`` while peeking does not control the rate of false "wins" (see
:func:`cjmodels.experiments.peeking_simulation`, where an A/A test crosses that line far more
often than 5% of the time).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, optimize
from scipy import stats as sps
from scipy.special import betaln

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.experiments._stats import SufficientStats
from cjmodels.experiments.proportions import _binary_stats
from cjmodels.results import Result, result_dataclass

__all__ = ["BayesianResult", "ExpectedLoss", "beta_binomial", "expected_loss", "prob_beats"]


def _prob_sum(a_a, b_a, a_b, b_b) -> np.ndarray:
    """Vectorised closed-form sum for integer a_b (arrays broadcast)."""
    a_a, b_a, a_b, b_b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                               (a_a, b_a, a_b, b_b)))
    flat = [v.ravel() for v in (a_a, b_a, a_b, b_b)]
    out = np.empty(flat[0].size)
    m_max = int(flat[2].max())
    chunk = max(1, 2_000_000 // max(m_max, 1))
    i = np.arange(m_max, dtype=float)
    for s in range(0, out.size, chunk):
        aa, ba, ab, bb = (v[s:s + chunk, None] for v in flat)
        # term_0 = B(a_A, b_A + b_B) / B(a_A, b_A); term_{i+1} / term_i =
        # (a_A + i)(b_B + i) / ((a_A + b_A + b_B + i)(1 + i))
        log0 = betaln(aa, ba + bb) - betaln(aa, ba)
        ii = i[:-1]
        steps = (np.log(aa + ii) + np.log(bb + ii) - np.log(aa + ba + bb + ii) - np.log1p(ii))
        logt = log0 + np.concatenate([np.zeros_like(log0), np.cumsum(steps, axis=1)], axis=1)
        out[s:s + chunk] = np.where(i < ab, np.exp(logt), 0.0).sum(axis=1)
    return np.clip(out, 0.0, 1.0).reshape(a_a.shape)


#: Largest whole a_arm summed term by term (the sum has a_arm terms).
_SUM_MAX = 10**7


def _prob_large(a_c, b_c, a_a, b_a) -> np.ndarray:
    """P(p_arm > p_control) for parameters beyond :data:`_SUM_MAX` (or near the float range):
    both posteriors as normals of their mean and variance when both have more than 1e5
    pseudo-observations (a + b; their skewness is then below 1e-2); otherwise the one with
    more (at least 10 times the other's precision) as a point at its mean, against the exact
    Beta distribution function of the other."""
    a_c, b_c, a_a, b_a = np.broadcast_arrays(a_c, b_c, a_a, b_a)
    with np.errstate(all="ignore"):  # a NaN here is refused by prob_beats
        n_c, n_a = a_c + b_c, a_a + b_a
        m_c, m_a = a_c / n_c, a_a / n_a
        sd = np.sqrt(m_c * (b_c / n_c) / (n_c + 1) + m_a * (b_a / n_a) / (n_a + 1))
        z = np.where(sd > 0, (m_a - m_c) / sd, np.sign(m_a - m_c) * np.inf)
        normal = sps.norm.cdf(z)
        arm_point = sps.beta.cdf(m_a, a_c, b_c)  # P(p_control < mean of the arm)
        control_point = sps.beta.sf(m_c, a_a, b_a)  # P(p_arm > mean of the control)
    out = np.where(np.minimum(n_c, n_a) > 1e5, normal,
                   np.where(n_a >= n_c, arm_point, control_point))
    return np.clip(out, 0.0, 1.0)


def prob_beats(a_control: Any, b_control: Any, a_arm: Any, b_arm: Any) -> Any:
    """``P(p_arm > p_control)`` for independent Beta posteriors, exactly.

    Vectorised over arrays when ``a_arm`` holds whole numbers (the closed-form sum); otherwise
    computed by adaptive quadrature of ``f_arm(p) F_control(p)`` (scalars only). The sum has
    ``a_arm`` terms: beyond 10**7 it is taken with the roles swapped when ``a_control`` is a
    smaller whole number, else approximated: both posteriors as normals when both have more
    than 1e5 pseudo-observations, otherwise the far more precise one as a point at its mean.

    Parameters
    ----------
    a_control, b_control : float or array_like
        Parameters of the control's Beta posterior (e.g. ``1 + conversions`` and
        ``1 + non-conversions`` under a uniform prior); positive and finite.
    a_arm, b_arm : float or array_like
        Parameters of the arm's Beta posterior.

    Returns
    -------
    float or numpy.ndarray
        ``P(p_arm > p_control)`` in [0, 1]; an array when the parameters are arrays.

    Raises
    ------
    ValidationError
        Parameters that are not positive and finite, a non-integer ``a_arm`` with arrays, or
        a quadrature that does not converge (parameters far below 1).

    Examples
    --------
    200/10,000 versus 250/10,000 conversions with Beta(1, 1) priors:

    >>> round(float(prob_beats(201, 9801, 251, 9751)), 7)
    0.9914228
    """
    vals = [np.asarray(v, dtype=float) for v in (a_control, b_control, a_arm, b_arm)]
    if any(np.any(v <= 0) or np.any(~np.isfinite(v)) for v in vals):
        raise ValidationError("Beta parameters must be positive and finite.")
    whole_arm = bool(np.all(vals[2] == np.round(vals[2])))
    res = None
    if whole_arm and vals[2].max() <= _SUM_MAX:
        res = _prob_sum(*vals)
    elif max(float(v.max()) for v in vals) > _SUM_MAX:
        # the sum has a_arm terms: beyond _SUM_MAX, the same sum with the roles swapped when
        # a_control is a small whole number (P(arm > control) = 1 - P(control > arm)), else
        # the approximation of _prob_large
        if np.all(vals[0] == np.round(vals[0])) and vals[0].max() <= _SUM_MAX:
            with np.errstate(all="ignore"):
                res = 1.0 - _prob_sum(vals[2], vals[3], vals[0], vals[1])
        else:
            res = _prob_large(*vals)
    if res is not None:
        # log-beta terms of parameters near the float range (1e300) are not finite: there
        # the posteriors are approximated (_prob_large)
        bad = ~np.isfinite(res)
        if bad.any():
            res = np.where(bad, _prob_large(*vals), res)
        if not np.all(np.isfinite(res)):
            raise ValidationError(
                "P(p_arm > p_control) cannot be computed for Beta parameters this extreme "
                "(below about 1e-300 or near the float range). Use counts plus a prior of at "
                "least 0.5 for every parameter.")
        return float(res) if np.ndim(res) == 0 else res
    if any(v.ndim for v in vals):
        raise ValidationError("non-integer a_arm is supported for scalars only.")
    ac, bc, aa, ba = (float(v) for v in vals)
    fa = sps.beta(aa, ba)
    fc = sps.beta(ac, bc)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        lo, hi = fa.ppf(1e-12), fa.isf(1e-12)
        val, _ = integrate.quad(lambda p: fa.pdf(p) * fc.cdf(p), lo, hi, epsabs=1e-12,
                                epsrel=1e-10, limit=200, points=[fa.mean()])
    if caught or not np.isfinite(val):
        # parameters far below 1 put the posteriors' mass at 0 and 1, where the quadrature
        # of the densities' spikes does not converge
        raise ValidationError(
            f"P(p_arm > p_control) cannot be computed accurately for Beta({ac:.3g}, {bc:.3g}) "
            f"against Beta({aa:.3g}, {ba:.3g}): the quadrature does not converge "
            f"({caught[0].message if caught else 'not finite'}). Use a prior of at least 0.5 "
            "(Jeffreys) or 1 (uniform) for each parameter, or a whole-number a_arm (the exact "
            "sum)."
        )
    return float(min(max(val, 0.0), 1.0))


@result_dataclass
class ExpectedLoss(Result):
    """Expected losses of the two choices between an arm and the control.

    Attributes
    ----------
    arm : float or numpy.ndarray
        ``E[max(p_control - p_arm, 0)]``: the expected loss of choosing the arm.
    control : float or numpy.ndarray
        ``E[max(p_arm - p_control, 0)]``: the expected loss of keeping the control.

    Examples
    --------
    >>> r = expected_loss(201, 9801, 251, 9751)
    >>> r
    ExpectedLoss(arm=6.016e-06, control=0.005005)
    """

    arm: Any
    control: Any


def _beta_parameter(value: Any, name: str) -> np.ndarray:
    """A Beta parameter (a number or an array of them), each finite and > 0, or a
    ValidationError naming it."""
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{name} == {value!r} is not a number; pass the Beta posterior's parameter, such "
            "as 1 + conversions (a) or 1 + non-conversions (b).") from None
    if a.size == 0 or not np.all(np.isfinite(a) & (a > 0) & (a <= 1e300)):
        raise ValidationError(
            f"{name} == {value!r}: Beta parameters must be > 0 and at most 1e300 (their sums "
            "must stay floats), such as 1 + conversions (a) or 1 + non-conversions (b) under "
            "a uniform prior.")
    return a


def expected_loss(a_control: Any, b_control: Any, a_arm: Any, b_arm: Any) -> ExpectedLoss:
    """Expected loss ``E[max(p_control - p_arm, 0)]`` of choosing the arm, and of the control.

    Uses ``E[p_c 1{p_c > p_a}] = E[p_c] P(p_c' > p_a)`` with ``p_c' ~ Beta(a_c + 1, b_c)``.
    Vectorised over arrays of Beta parameters (the losses are then arrays).

    Parameters
    ----------
    a_control, b_control : float or array_like
        Parameters of the control's Beta posterior (e.g. ``1 + conversions`` and
        ``1 + non-conversions`` under a uniform prior); positive and finite.
    a_arm, b_arm : float or array_like
        Parameters of the arm's Beta posterior.

    Returns
    -------
    ExpectedLoss
        ``arm``, the expected loss (in rate) of choosing the arm, and ``control``, that of
        keeping the control.

    Examples
    --------
    >>> r = expected_loss(201, 9801, 251, 9751)
    >>> round(float(r.arm), 8), round(float(r.control), 6)
    (6.02e-06, 0.005005)
    """
    ac, bc, aa, ba = (_beta_parameter(v, name) for v, name in (
        (a_control, "a_control"), (b_control, "b_control"), (a_arm, "a_arm"), (b_arm, "b_arm")))
    try:
        np.broadcast_shapes(ac.shape, bc.shape, aa.shape, ba.shape)
    except ValueError:
        raise ValidationError(
            f"the Beta parameters have shapes {ac.shape}, {bc.shape}, {aa.shape}, {ba.shape}, "
            "which do not broadcast; pass numbers, or arrays of one shape.") from None
    mc, ma = ac / (ac + bc), aa / (aa + ba)
    c_gt_a_shift_c = prob_beats(aa, ba, ac + 1, bc)  # P(p_c' > p_a), p_c' ~ Beta(ac+1, bc)
    c_gt_a_shift_a = prob_beats(aa + 1, ba, ac, bc)  # P(p_c > p_a'), p_a' ~ Beta(aa+1, ba)
    loss_arm = mc * c_gt_a_shift_c - ma * c_gt_a_shift_a
    a_gt_c_shift_a = prob_beats(ac, bc, aa + 1, ba)
    a_gt_c_shift_c = prob_beats(ac + 1, bc, aa, ba)
    loss_control = ma * a_gt_c_shift_a - mc * a_gt_c_shift_c
    la, lc = np.maximum(loss_arm, 0.0), np.maximum(loss_control, 0.0)
    if not (np.all(np.isfinite(la)) and np.all(np.isfinite(lc))):
        raise ValidationError(
            "the expected loss cannot be computed for Beta parameters this extreme (a_control "
            f"== {a_control!r}, b_control == {b_control!r}, a_arm == {a_arm!r}, b_arm == "
            f"{b_arm!r}): the probabilities of one posterior beating the other are not finite "
            "floats. Use counts plus a prior of at least 0.5 for every parameter.")
    if la.ndim == 0:
        return ExpectedLoss(float(la), float(lc))
    return ExpectedLoss(la, lc)


#: Gauss-Legendre nodes and weights on [-1, 1] for the credible interval of a difference.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(256)


def _diff_interval(ac, bc, aa, ba, level: float) -> tuple[float, float]:
    """Equal-tailed credible interval of p_arm - p_control by numerical inversion."""
    fa, fc = sps.beta(aa, ba), sps.beta(ac, bc)

    def cdf(d: float) -> float:
        # P(p_arm - p_control <= d) = E[F_arm(p_control + d)], integrated over the control's
        # quantiles u = F_control(p): a bounded, monotone integrand, where the density form has
        # a spike that quad cannot resolve when an arm has no conversions. F_arm is 0 below
        # u0 = F_control(-d) and 1 above u1 = F_control(1 - d): those parts are exact, and the
        # integral runs between the kinks, over a smooth integrand.
        u0, u1 = float(fc.cdf(-d)), float(fc.cdf(1.0 - d))
        if u1 <= u0:
            return 1.0 - u1
        # Gauss-Legendre on the smooth part: no adaptive tolerance to miss, no warning
        u = u0 + (u1 - u0) * (_GL_NODES + 1.0) / 2.0
        val = (u1 - u0) / 2.0 * float(np.dot(_GL_WEIGHTS, fa.cdf(fc.ppf(u) + d)))
        return val + (1.0 - u1)

    sd = np.sqrt(fa.var() + fc.var())
    mid = fa.mean() - fc.mean()
    q = (1 - level) / 2
    out = []
    for target in (q, 1 - q):
        f = lambda d, t=target: cdf(d) - t  # noqa: E731
        out.append(optimize.brentq(f, mid - 12 * sd, mid + 12 * sd, xtol=1e-10))
    return float(out[0]), float(out[1])


@result_dataclass
class BayesianResult(Result):
    """Beta-binomial posterior summaries of every arm versus the control.

    Attributes
    ----------
    metric, control : str
        The 0/1 metric and the control arm.
    prior : tuple of float
        ``(a, b)`` of the Beta prior shared by all arms.
    alpha : float
        1 - the credible level of the intervals (0.05: 95% credible intervals).
    arms : pandas.DataFrame
        Per arm: successes, n, posterior a and b, posterior mean and credible interval.
    comparisons : pandas.DataFrame
        Per non-control arm: ``prob_beats_control`` (exact), ``expected_loss_arm`` and
        ``expected_loss_control``, posterior mean of the difference and its credible interval.
    notes : tuple of str
        Reminders of how to read the result (a decision aid, not an error-controlling test).

    Examples
    --------
    >>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
    >>> beta_binomial(s, control="A")
    BayesianResult(metric='converted', control='A', prior=(1, 1), alpha=0.05)
    """

    metric: str
    control: str
    prior: tuple[float, float]
    alpha: float
    arms: pd.DataFrame
    comparisons: pd.DataFrame
    notes: tuple[str, ...] = field(default=(
        "decision aid, not an error-controlling test: stopping when P(arm > control) exceeds a "
        "threshold while peeking inflates false wins",
    ))

    def _summary(self) -> pd.DataFrame:
        """The comparisons table."""
        return self.comparisons

    def prob_beats_control(self, arm: str) -> float:
        """``P(p_arm > p_control)`` of one arm.

        Parameters
        ----------
        arm : str
            A non-control arm.

        Returns
        -------
        float
            The exact posterior probability that the arm's rate exceeds the control's.

        Raises
        ------
        ValidationError
            ``arm`` is not a compared arm.
        """
        if arm not in self.comparisons.index:
            raise ValidationError(f"arm {arm!r} is not among {list(self.comparisons.index)}.")
        return float(self.comparisons.loc[arm, "prob_beats_control"])

    def _to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "control": self.control, "prior": list(self.prior),
                "alpha": self.alpha, "arms": self.arms, "comparisons": self.comparisons,
                "notes": list(self.notes)}

    def _plot(self, ax: Any) -> None:
        """Posterior densities of the arms' rates."""
        lo = sps.beta.ppf(1e-4, self.arms["a"], self.arms["b"]).min()
        hi = sps.beta.isf(1e-4, self.arms["a"], self.arms["b"]).max()
        x = np.linspace(lo, hi, 400)
        for arm, r in self.arms.iterrows():
            ax.plot(x, sps.beta.pdf(x, r["a"], r["b"]), label=str(arm))
        ax.set(xlabel=f"rate of {self.metric}", ylabel="posterior density",
               title="Beta posteriors")
        ax.legend()


def beta_binomial(
    data: pd.DataFrame | SufficientStats,
    metric: str = "converted",
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    prior: tuple[float, float] = (1.0, 1.0),
    alpha: float = 0.05,
) -> BayesianResult:
    """Posterior summaries of a 0/1 metric with independent Beta priors per arm.

    Each arm's posterior is ``Beta(a + successes, b + failures)``. The credible intervals
    (of each arm's rate and of each difference) are equal-tailed at level ``1 - alpha``.

    Parameters
    ----------
    data : pandas.DataFrame or SufficientStats
        A per-customer table or statistics with the 0/1 metric.
    metric : str
        The 0/1 column (default ``"converted"``).
    control : str
        The control arm.
    variant : str
        Column holding the arm, for a table (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order.
    prior : tuple of float
        ``(a, b)`` of the Beta prior of every arm (default ``(1, 1)``, uniform; ``(0.5,
        0.5)`` is Jeffreys').
    alpha : float
        1 - the credible level (default 0.05: 95% intervals).

    Returns
    -------
    BayesianResult
        Per arm the posterior (``arms``) and per non-control arm ``P(arm > control)``, the
        expected losses and the difference with its credible interval (``comparisons``).

    Examples
    --------
    >>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
    >>> r = beta_binomial(s, control="A")
    >>> round(r.prob_beats_control("B"), 7)
    0.9914228
    """
    if not (isinstance(prior, Sequence) and len(prior) == 2):
        raise ValidationError(f"prior == {prior!r}, must be a pair (a, b) of positive numbers.")
    pa, pb = (check_scalar(v, "prior", typ=float, gt=0) for v in prior)
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    # the credible level, computed as before the keyword was alpha, so numbers do not move
    level = 1.0 - float(alpha)
    st = _binary_stats(data, metric, variant, arms)
    ci = st.arm_index(control)
    x, n = st.sums[:, 0], st.n
    a, b = pa + x, pb + n - x
    lo, hi = sps.beta.ppf((1 - level) / 2, a, b), sps.beta.isf((1 - level) / 2, a, b)
    arm_tab = pd.DataFrame({"successes": x, "n": n, "a": a, "b": b, "mean": a / (a + b),
                            "ci_low": lo, "ci_high": hi},
                           index=pd.Index(st.arms, name="variant"))
    rows = {}
    for k, arm in enumerate(st.arms):
        if k == ci:
            continue
        p = prob_beats(a[ci], b[ci], a[k], b[k])
        loss = expected_loss(a[ci], b[ci], a[k], b[k])
        la, lc = loss.arm, loss.control
        dlo, dhi = _diff_interval(a[ci], b[ci], a[k], b[k], level)
        rows[arm] = {"prob_beats_control": float(p), "expected_loss_arm": float(la),
                     "expected_loss_control": float(lc),
                     "diff_mean": float(a[k] / (a[k] + b[k]) - a[ci] / (a[ci] + b[ci])),
                     "diff_low": dlo, "diff_high": dhi}
    comp = pd.DataFrame.from_dict(rows, orient="index").rename_axis("variant")
    return BayesianResult(metric, control, (float(pa), float(pb)), float(alpha), arm_tab, comp)
