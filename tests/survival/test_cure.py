"""Mixture cure model: an independent R likelihood, closed forms without covariates, and a
synthetic world with a known cure fraction."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from cjmodels.errors import ConvergenceError, NotFittedError, ValidationError
from cjmodels.survival import MixtureCureModel, simulate_mixture_cure

from .conftest import REFERENCE

# make_r_reference_extra.R: no cure package is installed in R here (smcure and flexsurvcure
# are not available and cannot be fetched), so the same model's likelihood is written out in
# R with dweibull/plogis and maximised by optim(BFGS, reltol 1e-14); SEs from optimHess.
R = json.loads((REFERENCE / "r_reference_extra.json").read_text())["cure_weibull"]
CURE = pd.read_csv(REFERENCE / "cure.csv")


def test_matches_independent_r_likelihood_and_optim():
    m = MixtureCureModel().fit(CURE, cure_covariates=["z"], latency_covariates=["x"],
                               duration="time")
    # R's optim stops at a relative tolerance: estimates to 1e-4, SEs (numerical Hessians on
    # both sides) to 1e-3 relative, log-likelihood to 1e-6.
    np.testing.assert_allclose(m.result_.params.to_numpy(), R["par"], atol=1e-4)
    np.testing.assert_allclose(m.result_.se.to_numpy(), R["se"], rtol=1e-3)
    assert m.result_.log_likelihood == pytest.approx(R["loglik"], abs=1e-6)


def _common_follow_up(n, tau, pi, scale, shape, seed):
    rng = np.random.default_rng(seed)
    t = np.where(rng.random(n) < pi, np.inf, scale * rng.weibull(shape, n))
    return pd.DataFrame({"duration": np.minimum(t, tau), "event": (t <= tau).astype(int)})


def test_no_covariates_weibull_closed_form():
    # With common follow-up tau and no covariates the likelihood factorises: the share who buy
    # by tau is d/n exactly, and the latency is the maximum-likelihood Weibull truncated to
    # (0, tau] (fitted here with scipy.stats.weibull_min densities and Nelder-Mead).
    tau = 30.0
    d = _common_follow_up(1500, tau, 0.35, 12.0, 1.4, 5)
    m = MixtureCureModel().fit(d)
    ev = d.loc[d["event"] == 1, "duration"].to_numpy()

    def nll(p):
        c, sc = np.exp(p)
        return -np.sum(stats.weibull_min.logpdf(ev, c, scale=sc)
                       - stats.weibull_min.logcdf(tau, c, scale=sc))

    p = optimize.minimize(nll, [0.0, np.log(10.0)], method="Nelder-Mead",
                          options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000}).x
    shape, scale = np.exp(p)
    assert m.result_.params["log_shape"] == pytest.approx(np.log(shape), abs=1e-5)
    assert m.result_.params["latency:Intercept"] == pytest.approx(np.log(scale), abs=1e-5)
    f_tau = stats.weibull_min.cdf(tau, shape, scale=scale)
    pi_closed = 1 - (len(ev) / len(d)) / f_tau
    assert m.result_.cure_fraction == pytest.approx(pi_closed, abs=1e-6)
    # the fitted population curve passes through the Kaplan-Meier value at tau (= 1 - d/n)
    s_tau = m.predict_survival(None, [tau]).iloc[0, 0]
    assert s_tau == pytest.approx(1 - len(ev) / len(d), abs=1e-7)


def test_no_covariates_exponential_closed_form():
    # Exponential latency, common follow-up: the rate solves the truncated-exponential
    # likelihood equation mean(t) = 1/lam - tau/(exp(lam tau) - 1) (Deemer & Votaw 1955), and
    # the cure fraction is 1 - (d/n) / (1 - exp(-lam tau)).
    tau = 25.0
    d = _common_follow_up(1200, tau, 0.4, 10.0, 1.0, 6)
    m = MixtureCureModel(distribution="exponential").fit(d)
    tbar = d.loc[d["event"] == 1, "duration"].mean()
    lam = optimize.brentq(lambda r: 1 / r - tau / np.expm1(r * tau) - tbar, 1e-6, 10, xtol=1e-14)
    assert np.exp(-m.result_.params["latency:Intercept"]) == pytest.approx(lam, rel=1e-6)
    share = d["event"].mean()
    assert m.result_.cure_fraction == pytest.approx(1 - share / (1 - np.exp(-lam * tau)), abs=1e-6)


def test_recovers_known_cure_fraction_and_coefficients():
    w = simulate_mixture_cure(3000, random_state=11)
    d, truth = w.data, w.truth
    m = MixtureCureModel().fit(d, cure_covariates=["z"], latency_covariates=["x"])
    for k in m.result_.params.index:
        assert abs(m.result_.params[k] - truth[k]) < 4 * m.result_.se[k], k
    assert m.result_.cure_fraction == pytest.approx(truth["cure_fraction"], abs=0.03)
    # the true never-buyers are predicted to be never-buyers more often than the buyers
    p = m.cure_probability(d)
    assert p[d["cured"] == 1].mean() > p[d["cured"] == 0].mean()


def test_delayed_entry_uses_conditional_likelihood():
    # Customers seen only from a random entry time (those who bought before it never appear):
    # the left-truncated fit still recovers the truth within 4 standard errors.
    w = simulate_mixture_cure(6000, random_state=12)
    d, truth = w.data, w.truth
    rng = np.random.default_rng(13)
    d["entry"] = rng.uniform(0, 10, len(d))
    d = d[d["duration"] > d["entry"]]
    m = MixtureCureModel().fit(d, cure_covariates=["z"], latency_covariates=["x"],
                               entry="entry")
    for k in m.result_.params.index:
        assert abs(m.result_.params[k] - truth[k]) < 4 * m.result_.se[k], k


@pytest.mark.slow
def test_interval_coverage_near_nominal():
    # 300 worlds of 2,500 customers: the 95% Wald intervals cover each true parameter 92-98%
    # of the time (with 800 customers the cure coefficients' intervals cover only about 90%:
    # Wald intervals of the cure part need large samples).
    hits = []
    for seed in range(300):
        w = simulate_mixture_cure(2500, random_state=seed)
        d, truth = w.data, w.truth
        s = MixtureCureModel().fit(d, cure_covariates=["z"], latency_covariates=["x"]).summary()
        hits.append([(s.loc[k, "ci_low"] <= truth[k] <= s.loc[k, "ci_high"]) for k in s.index])
    cover = np.mean(hits, axis=0)
    assert np.all((cover > 0.92) & (cover < 0.98)), cover


def test_weights_outputs_and_errors():
    w = simulate_mixture_cure(400, random_state=2)
    d, _ = w.data, w.truth
    d2 = pd.concat([d, d])
    a = MixtureCureModel().fit(d2, cure_covariates=["z"])
    b = MixtureCureModel().fit(d.assign(w=2.0), cure_covariates=["z"], weight="w")
    np.testing.assert_allclose(a.result_.params, b.result_.params, atol=1e-5)
    json.dumps(b.to_dict(), allow_nan=False)
    assert "cure_fraction=" in repr(b.result_)
    assert set(b.summary().columns) >= {"coef", "se", "ci_low", "ci_high", "pvalue"}
    with pytest.raises(NotFittedError, match="not fitted"):
        MixtureCureModel().cure_probability()
    with pytest.raises(ValidationError, match="zero or negative"):
        MixtureCureModel().fit(d.assign(duration=d["duration"] - 100))
    with pytest.raises(ValidationError, match="every customer had the event"):
        MixtureCureModel().fit(d.assign(event=1))
    with pytest.raises(ValidationError, match="distribution"):
        MixtureCureModel(distribution="gamma").fit(d)
    # no plateau: follow-up far too short to tell never-buyers from late buyers
    short = d.assign(duration=np.minimum(d["duration"], 0.5), event=(d["duration"] <= 0.5)
                     & (d["event"] == 1))
    with pytest.raises(ConvergenceError, match="Remedies"):
        MixtureCureModel().fit(short, cure_covariates=["z"], latency_covariates=["x"])
