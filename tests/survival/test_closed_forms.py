"""Closed forms of the customer-base models against their definitions, integrated with scipy.

The simulators of :mod:`cjmodels.synthetic` write their truth with these functions; the tests
of the simulators (tests/synthetic) check simulated data against them.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from cjmodels.survival.closed_forms import (
    bgnbd_expected_transactions,
    bgnbd_prob_alive,
    gamma_gamma_mean_spend,
    paretonbd_expected_transactions,
    paretonbd_prob_alive,
    sbg_churn_probability,
    sbg_retention_rate,
    sbg_survival,
    weibull_ph_survival,
)

BGNBD = (0.243, 4.414, 0.793, 2.426)  # FHL (2005) CDNOW estimates, weeks
PARETONBD = (0.553, 10.578, 0.606, 11.669)  # CDNOW estimates, weeks


def _bgnbd_ex_quad(t, r, alpha, a, b):
    """E[X(t)] by integrating E[X(t)|lambda,p] = (1 - e^{-lambda p t}) / p (FHL 2005) over
    lambda ~ Gamma(r, alpha) analytically and p ~ Beta(a, b) with scipy.integrate.quad."""
    f = lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b)  # noqa: E731
    return integrate.quad(f, 0, 1, limit=200, epsabs=1e-12)[0]


def _pnbd_ex_quad(t, r, alpha, s, beta):
    """E[X(t)] = E[lambda] E[(1 - e^{-mu t}) / mu] for the Pareto/NBD, integrated with quad."""
    f = lambda mu: -np.expm1(-mu * t) / mu * stats.gamma.pdf(mu, s, scale=1 / beta)  # noqa: E731
    return r / alpha * integrate.quad(f, 0, np.inf, limit=200, epsabs=1e-12)[0]


def test_sbg_matches_beta_functions():
    t = np.arange(0, 30)
    ref = special.beta(1.7, 3.2 + t) / special.beta(1.7, 3.2)
    assert np.allclose(sbg_survival(t, 1.7, 3.2), ref, rtol=1e-12)
    assert np.allclose(sbg_retention_rate(t[1:], 1.7, 3.2), ref[1:] / ref[:-1], rtol=1e-12)
    assert np.allclose(sbg_churn_probability(t[1:], 1.7, 3.2), ref[:-1] - ref[1:], rtol=1e-10)


def test_bgnbd_matches_integrals():
    # eq. (7) via hyp2f1 against direct numerical integration of its definition
    for t in (1.0, 13.0, 39.0, 78.0):
        assert bgnbd_expected_transactions(t, *BGNBD) == pytest.approx(
            _bgnbd_ex_quad(t, *BGNBD), rel=1e-8
        )
    # a == 1 uses the limit; compare with quad too
    assert bgnbd_expected_transactions(20.0, 0.5, 3.0, 1.0, 2.0) == pytest.approx(
        _bgnbd_ex_quad(20.0, 0.5, 3.0, 1.0, 2.0), rel=1e-6
    )
    r, al, a, b = BGNBD
    for t in (5.0, 39.0):
        ref = integrate.quad(
            lambda p, t=t: (al / (al + p * t)) ** r * stats.beta.pdf(p, a, b), 0, 1
        )[0]
        assert bgnbd_prob_alive(t, *BGNBD) == pytest.approx(ref, rel=1e-8)


def test_paretonbd_matches_integrals():
    for t in (1.0, 26.0, 78.0):
        assert paretonbd_expected_transactions(t, *PARETONBD) == pytest.approx(
            _pnbd_ex_quad(t, *PARETONBD), rel=1e-8
        )
    assert paretonbd_expected_transactions(30.0, 0.5, 5.0, 1.0, 8.0) == pytest.approx(
        _pnbd_ex_quad(30.0, 0.5, 5.0, 1.0, 8.0), rel=1e-8
    )
    s, beta = PARETONBD[2:]
    ref = integrate.quad(
        lambda m: np.exp(-m * 20) * stats.gamma.pdf(m, s, scale=1 / beta), 0, np.inf
    )[0]
    assert paretonbd_prob_alive(20.0, s, beta) == pytest.approx(ref, rel=1e-8)


def test_gamma_gamma_mean_spend():
    assert gamma_gamma_mean_spend(6.25, 3.74, 15.44) == pytest.approx(6.25 * 15.44 / 2.74)
    assert gamma_gamma_mean_spend(6.25, 1.0, 15.44) == np.inf


def test_weibull_ph_frailty_is_the_laplace_transform():
    # gamma frailty of variance theta integrated numerically for one covariate pattern
    theta, shape, scale, eta = 0.7, 1.3, 200.0, 0.4
    t = np.array([50.0, 200.0, 350.0])
    surv, hazard = weibull_ph_survival(t, shape, scale, eta, None, theta)
    for i, ti in enumerate(t):
        h = np.exp(eta) * (ti / scale) ** shape
        ref = integrate.quad(
            lambda z, h=h: np.exp(-z * h) * stats.gamma.pdf(z, 1 / theta, scale=theta), 0, np.inf
        )[0]
        assert surv[i] == pytest.approx(ref, rel=1e-7)
        # hazard = -d log S / dt, by a central difference
        up, _ = weibull_ph_survival([ti + 1e-3], shape, scale, eta, None, theta)
        lo, _ = weibull_ph_survival([ti - 1e-3], shape, scale, eta, None, theta)
        assert hazard[i] == pytest.approx(-(np.log(up[0]) - np.log(lo[0])) / 2e-3, rel=1e-6)
