"""Vectorised calibration studies: A/A type-I error, peeking, and power by simulation.

Each study simulates many experiments at once with numpy (binomial counts per arm and look,
or per-customer draws in chunks) and reports rejection rates with their Monte-Carlo standard
errors, so a reader can see whether a procedure holds its nominal level:

* :func:`aa_simulation`: fixed-horizon tests of an A/A experiment (no effect);
* :func:`peeking_simulation`: the same A/A experiment looked at ``looks`` times, stopping at the
  first "significant" look: the nominal z-test, group-sequential boundaries, the mSPRT and the
  Bayesian rule "stop when P(B > A) > 0.95";
* :func:`power_simulation`: the rejection rate of the z-test at a true effect, next to the
  power formula.

Randomness comes only from ``random_state``; the streams of the procedures are shared (every
procedure sees the same simulated experiments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import as_generator, check_scalar
from cjmodels._progress import check_progress, progress_bar
from cjmodels.experiments._results import check_alpha, t_pvalue
from cjmodels.experiments.bayes import prob_beats
from cjmodels.experiments.power import power_proportions
from cjmodels.experiments.proportions import _proportion_test_arrays
from cjmodels.experiments.sequential import group_sequential, msprt
from cjmodels.results import Result, result_dataclass

__all__ = ["PowerSimulation", "aa_simulation", "peeking_simulation", "power_simulation"]


@result_dataclass
class PowerSimulation(Result):
    """The simulated power of the pooled z-test next to the power formula.

    Attributes
    ----------
    simulated : float
        The share of simulated experiments that rejected.
    formula : float
        The power from :func:`~cjmodels.experiments.power_proportions`.
    mc_se : float
        The Monte-Carlo standard error of ``simulated`` (at the formula's power).
    n_simulations : int
        The number of simulated experiments.

    Examples
    --------
    >>> r = power_simulation(0.10, 0.12, 3841, n_simulations=4000, random_state=0)
    >>> r.n_simulations, round(r.formula, 3)
    (4000, 0.8)
    """

    simulated: float
    formula: float
    mc_se: float
    n_simulations: int


def _rate_row(name: str, reject: np.ndarray, alpha: float, **extra: Any) -> dict[str, Any]:
    r = float(np.mean(reject))
    se = float(np.sqrt(alpha * (1 - alpha) / reject.size))
    return {"procedure": name, "rejection_rate": r, "mc_se": se, "nominal": alpha,
            "z_vs_nominal": (r - alpha) / se, **extra}


def aa_simulation(
    n_per_arm: int = 2000,
    *,
    rate: float = 0.1,
    n_simulations: int = 10000,
    alpha: float = 0.05,
    revenue: bool = True,
    random_state: int | np.random.Generator | None = None,
    progress: Any = False,
) -> pd.DataFrame:
    """Type-I error of the fixed-horizon tests in simulated A/A experiments.

    Conversion tests run on binomial counts (``n_simulations`` experiments at once); with
    ``revenue`` the Welch t-test runs on log-normal spend of converters (``n_simulations // 5``
    experiments, drawn per customer in chunks; ``progress`` shows a bar over the chunks, as
    described in :mod:`cjmodels._progress`).

    Parameters
    ----------
    n_per_arm : int
        Customers per arm of each experiment (at least 10; default 2000).
    rate : float
        Conversion rate of both arms (default 0.1).
    n_simulations : int
        Simulated experiments for the conversion tests (at least 100; default 10000).
    alpha : float
        Nominal level of every test (default 0.05).
    revenue : bool
        Also simulate per-customer revenue and run Welch's t-test (default True; slower).
    random_state : int, numpy.random.Generator or None
        Seed or generator of every draw.
    progress : bool or callable
        Progress bar over the revenue chunks (False: none; True: the default bar; or a
        tqdm-like callable).

    Returns
    -------
    pandas.DataFrame
        One row per procedure (index ``procedure``: the four conversion tests and, with
        ``revenue``, ``"welch t (revenue)"``): ``rejection_rate``, its Monte-Carlo standard
        error under the nominal level (``mc_se``), ``nominal`` and ``z_vs_nominal``.

    Examples
    --------
    >>> t = aa_simulation(1000, n_simulations=4000, revenue=False, random_state=1)
    >>> bool((t["z_vs_nominal"].abs() < 4).all())
    True
    """
    check_scalar(n_per_arm, "n_per_arm", typ=int, ge=10)
    check_scalar(rate, "rate", typ=float, gt=0, lt=1)
    check_scalar(n_simulations, "n_simulations", typ=int, ge=100)
    alpha = check_alpha(alpha)
    check_progress(progress)
    rng = as_generator(random_state)
    xc = rng.binomial(n_per_arm, rate, n_simulations)
    xt = rng.binomial(n_per_arm, rate, n_simulations)
    rows = []
    for test in ("z-pooled", "z-unpooled", "chi2", "chi2-yates"):
        _, p = _proportion_test_arrays(xc, n_per_arm, xt, n_per_arm, test)
        rows.append(_rate_row(test, np.nan_to_num(p, nan=1.0) < alpha, alpha))
    if revenue:
        r_reps = max(100, n_simulations // 5)
        chunk = max(1, 4_000_000 // (2 * n_per_arm))
        stats = []
        starts = range(0, r_reps, chunk)
        for s in progress_bar(starts, progress, total=len(starts), desc="A/A revenue tests"):
            m = min(chunk, r_reps - s)
            y = (rng.random((m, 2, n_per_arm)) < rate) * rng.lognormal(3.5, 0.8,
                                                                       (m, 2, n_per_arm))
            stats.append(np.stack([y.mean(axis=2), y.var(axis=2, ddof=1)], axis=-1))
        st = np.concatenate(stats)  # (n_simulations, arm, [mean, var])
        vc, vt = st[:, 0, 1] / n_per_arm, st[:, 1, 1] / n_per_arm
        tstat = (st[:, 1, 0] - st[:, 0, 0]) / np.sqrt(vc + vt)
        df = (vc + vt) ** 2 / (vc**2 / (n_per_arm - 1) + vt**2 / (n_per_arm - 1))
        p = t_pvalue(tstat, df)
        rows.append(_rate_row("welch t (revenue)", np.nan_to_num(p, nan=1.0) < alpha, alpha))
    return pd.DataFrame(rows).set_index("procedure")


def peeking_simulation(
    n_per_arm: int = 5000,
    *,
    looks: int = 10,
    rate: float = 0.1,
    n_simulations: int = 10000,
    alpha: float = 0.05,
    mde: float | None = None,
    bayes_threshold: float = 0.95,
    designs: Sequence[str] = ("obrien-fleming", "pocock", "spending-obf"),
    bayes: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """A/A experiments examined at ``looks`` equally spaced looks, stopping at the first win.

    Procedures: the nominal two-sided pooled z-test at every look (type-I error about 0.19 for
    10 looks, Armitage, McPherson & Rowe 1969), each group-sequential design in ``designs``,
    the mSPRT (``tau = mde``, default a 20% relative lift of ``rate``) and the Bayesian rule
    "declare B better as soon as P(B > A) > ``bayes_threshold``" (Beta(1, 1) priors; exact
    probabilities). The Bayesian rule is one-sided, so compare it with its own fixed-horizon
    rate (``1 - bayes_threshold`` = 0.05 at the last look only, also reported). The exact
    Bayesian probabilities dominate the run time (a sum of about ``rate * n_per_arm`` terms per
    experiment and look); ``bayes=False`` leaves them out.

    Parameters
    ----------
    n_per_arm : int
        Customers per arm at the last look (at least ``10 * looks``; default 5000).
    looks : int
        Equally spaced looks (at least 2; default 10).
    rate : float
        Conversion rate of both arms (default 0.1).
    n_simulations : int
        Simulated experiments (at least 100; default 10000).
    alpha : float
        Nominal two-sided level (default 0.05).
    mde : float, optional
        Mixing scale of the mSPRT (``tau = |mde|``); default ``0.2 * rate``.
    bayes_threshold : float
        Threshold of the Bayesian rule, in (0.5, 1) (default 0.95).
    designs : sequence of str
        Group-sequential designs to include, from
        :data:`~cjmodels.experiments.SEQUENTIAL_KINDS`.
    bayes : bool
        Include the Bayesian rule (default True; the slowest part).
    random_state : int, numpy.random.Generator or None
        Seed or generator of every draw.

    Returns
    -------
    pandas.DataFrame
        One row per procedure (index ``procedure``): ``rejection_rate``, ``mc_se``,
        ``nominal``, ``z_vs_nominal`` and, for the nominal z at every look, the ``theory``
        rate from the exact crossing probabilities.

    Examples
    --------
    >>> t = peeking_simulation(2000, n_simulations=2000, designs=("pocock",), random_state=2)
    >>> bool(t.loc["nominal z at every look", "rejection_rate"] > 0.12)
    True
    """
    check_scalar(n_per_arm, "n_per_arm", typ=int, ge=looks * 10)
    check_scalar(looks, "looks", typ=int, ge=2)
    check_scalar(rate, "rate", typ=float, gt=0, lt=1)
    check_scalar(n_simulations, "n_simulations", typ=int, ge=100)
    check_scalar(bayes_threshold, "bayes_threshold", typ=float, gt=0.5, lt=1)
    alpha = check_alpha(alpha)
    rng = as_generator(random_state)
    cuts = np.ceil(np.arange(1, looks + 1) / looks * n_per_arm).astype(int)
    inc = np.diff(np.r_[0, cuts])
    xc = np.cumsum(rng.binomial(inc, rate, (n_simulations, looks)), axis=1)
    xt = np.cumsum(rng.binomial(inc, rate, (n_simulations, looks)), axis=1)
    n = cuts[None, :].astype(float)
    z, p = _proportion_test_arrays(xc, n, xt, n, "z-pooled")
    z = np.nan_to_num(z, nan=0.0)
    rows = [
        _rate_row("fixed horizon z (last look only)", np.abs(z[:, -1]) >= sps.norm.isf(alpha / 2),
                  alpha),
        _rate_row("nominal z at every look", (np.abs(z) >= sps.norm.isf(alpha / 2)).any(axis=1),
                  alpha, theory=_peeking_theory(looks, alpha)),
    ]
    for kind in designs:
        d = group_sequential(looks, alpha=alpha, kind=kind)
        rows.append(_rate_row(f"group sequential {kind}",
                              (np.abs(z) >= d.boundaries[None, :]).any(axis=1), alpha))
    tau = abs(mde) if mde is not None else 0.2 * rate
    pp = (xc + xt) / (2 * n)
    var = np.maximum(pp * (1 - pp) * 2 / n, 1e-12)  # pooled variance: defined at early looks
    av = msprt((xt - xc).T / n.T, var.T, tau=tau, alpha=alpha)
    rows.append(_rate_row(f"mSPRT always valid (tau={tau:g})", av.pvalue[-1] <= alpha, alpha))
    if not bayes:
        return pd.DataFrame(rows).set_index("procedure")
    pb = prob_beats(1 + xc, 1 + n - xc, 1 + xt, 1 + n - xt)
    rows.append(_rate_row(f"Bayes P(B>A) > {bayes_threshold:g}, last look only",
                          pb[:, -1] > bayes_threshold, 1 - bayes_threshold))
    rows.append(_rate_row(f"Bayes P(B>A) > {bayes_threshold:g} at any look",
                          (pb > bayes_threshold).any(axis=1), 1 - bayes_threshold))
    return pd.DataFrame(rows).set_index("procedure")


def _peeking_theory(looks: int, alpha: float) -> float:
    from cjmodels.experiments.sequential import crossing_probabilities

    c = sps.norm.isf(alpha / 2)
    pr = crossing_probabilities([c] * looks, np.arange(1, looks + 1) / looks)
    return float(pr["upper"].sum() + pr["lower"].sum())


def power_simulation(
    p_control: float,
    p_arm: float,
    n_per_arm: int,
    *,
    n_simulations: int = 20000,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
) -> PowerSimulation:
    """Rejection rate of the pooled z-test at a true effect, next to the power formula.

    Parameters
    ----------
    p_control : float
        True conversion rate of the control.
    p_arm : float
        True conversion rate of the arm.
    n_per_arm : int
        Customers per arm.
    n_simulations : int
        Simulated experiments (at least 100; default 20000).
    alpha : float
        Two-sided level of the test (default 0.05).
    random_state : int, numpy.random.Generator or None
        Seed or generator of the draws.

    Returns
    -------
    PowerSimulation
        The simulated rejection rate, the formula's power
        (:func:`~cjmodels.experiments.power_proportions`) and the Monte-Carlo standard error.

    Examples
    --------
    >>> r = power_simulation(0.10, 0.12, 3841, n_simulations=4000, random_state=0)
    >>> abs(r.simulated - r.formula) < 4 * r.mc_se
    True
    """
    check_scalar(p_control, "p_control", typ=float, ge=0, le=1)
    check_scalar(p_arm, "p_arm", typ=float, ge=0, le=1)
    check_scalar(n_per_arm, "n_per_arm", typ=int, ge=2)
    check_scalar(n_simulations, "n_simulations", typ=int, ge=100)
    alpha = check_alpha(alpha)
    rng = as_generator(random_state)
    xc = rng.binomial(n_per_arm, p_control, n_simulations)
    xt = rng.binomial(n_per_arm, p_arm, n_simulations)
    _, p = _proportion_test_arrays(xc, n_per_arm, xt, n_per_arm, "z-pooled")
    sim = float(np.mean(p < alpha))
    formula = power_proportions(p_control, p_arm, n_per_arm, alpha=alpha).power
    return PowerSimulation(sim, float(formula),
                           float(np.sqrt(formula * (1 - formula) / n_simulations)),
                           int(n_simulations))
