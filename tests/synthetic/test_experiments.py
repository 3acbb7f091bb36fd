"""Tests of the synthetic A/B(/n) experiment world (cjmodels.synthetic.experiments)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.synthetic._base import SyntheticWorld
from cjmodels.synthetic.experiments import (
    Arm,
    ExperimentWorld,
    experiment_truth,
    observed_fraction,
    simulate_experiment,
)

Z = 4.0  # simulation tolerances: Z standard errors (two-sided p ~ 6e-5 per check)


@pytest.fixture(scope="module")
def world() -> ExperimentWorld:
    return simulate_experiment(20_000, random_state=11)


@pytest.fixture(scope="module")
def big() -> ExperimentWorld:
    # 400k customers, two arms of ~200k: the large-sample reference for the closed forms
    return simulate_experiment(400_000, random_state=2024)


def _corr_and_se(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Sample correlation and its asymptotic standard error from the influence function.

    For standardised a, b the influence function of the correlation is ab - rho (a^2 + b^2) / 2
    (e.g. Devlin, Gnanadesikan & Kettenring 1975); it needs no normality, which matters for the
    lognormal covariate and revenue.
    """
    za = (a - a.mean()) / a.std()
    zb = (b - b.mean()) / b.std()
    rho = float(np.mean(za * zb))
    infl = za * zb - rho * (za**2 + zb**2) / 2
    return rho, float(infl.std() / math.sqrt(len(a)))


# --------------------------------------------------------------------------- determinism, format
def test_same_seed_same_world_and_different_seed_differs():
    a = simulate_experiment(3000, random_state=5)
    b = simulate_experiment(3000, random_state=5)
    c = simulate_experiment(3000, random_state=6)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    assert a.to_dict() == b.to_dict()
    assert not a.events["timestamp"].equals(c.events["timestamp"])
    g1 = simulate_experiment(3000, random_state=np.random.default_rng(5))
    pd.testing.assert_frame_equal(g1.events, a.events)  # an int seeds default_rng(int)


def test_world_validates_as_event_log(world):
    assert isinstance(world, SyntheticWorld)
    assert world.name == "experiment"
    log = world.event_log()
    assert isinstance(log, EventLog)
    assert log.n_customers == 20_000
    assert log.observation_start == pd.Timestamp("2025-03-01") - pd.Timedelta(28, "D")
    assert log.observation_end == pd.Timestamp("2025-03-29")
    ev = world.events
    assert list(ev.columns[:4]) == ["customer_id", "timestamp", "event", "value"]
    assert "variant" in log.covariates and not log.has_channel
    assert pd.api.types.is_datetime64_dtype(ev["timestamp"])
    # sorted by customer then timestamp, as EventLog would sort it
    pd.testing.assert_frame_equal(log.events[list(ev.columns)], ev)
    json.dumps(world.to_dict())  # JSON-safe
    assert "experiment" in repr(world)


def test_event_rows_follow_the_design(world):
    ev, cust = world.events, world.customers
    a = ev[ev["event"] == "assignment"].set_index("customer_id")
    assert a.index.is_unique and len(a) == len(cust)  # one assignment per customer
    assert (a["timestamp"] == cust.set_index("customer_id")["assigned_at"]).all()
    # the variant is constant per customer and equals the truth table's
    per = ev.groupby("customer_id")["variant"].agg(["nunique", "first"])
    assert (per["nunique"] == 1).all()
    assert (per["first"].to_numpy() == cust["variant"].to_numpy()).all()
    conv = ev[ev["event"] == "conversion"].merge(
        cust[["customer_id", "assigned_at", "has_pre", "x", "spend", "converted"]],
        on="customer_id",
    )
    pre = conv["timestamp"] < conv["assigned_at"]
    # pre-period rows: value == X, within 28 days before assignment, only for has_pre customers
    assert conv.loc[pre, "has_pre"].all()
    assert (conv.loc[pre, "value"] == conv.loc[pre, "x"]).all()
    gap = conv.loc[pre, "assigned_at"] - conv.loc[pre, "timestamp"]
    assert gap.min() >= pd.Timedelta(1, "s") and gap.max() <= pd.Timedelta(28, "D")
    assert pre.sum() == cust["has_pre"].sum()
    # in-experiment rows: value == spend, only for observed converters, by the experiment end
    post = conv[~pre]
    assert (post["value"] == post["spend"]).all() and post["converted"].eq(1).all()
    assert len(post) == cust["converted"].sum() == world.truth["n_conversions"]["observed"]
    assert post["timestamp"].max() <= pd.Timestamp("2025-03-29")


def test_customer_table_is_consistent(world):
    c = world.customers
    assert c["customer_id"].is_monotonic_increasing
    assert (c["converted"] == (c["will_convert"] & c["converted_at"].notna())).all()
    assert (c["revenue"] == np.where(c["converted"] == 1, c["spend"], 0.0)).all()
    assert c.loc[~c["has_pre"], "pre_value"].isna().all()
    assert (c.loc[c["has_pre"], "pre_value"] == c.loc[c["has_pre"], "x"]).all()
    assert c["assigned_at"].is_monotonic_increasing  # ids follow arrival order
    t = world.truth["n_conversions"]
    assert t["eventual"] == c["will_convert"].sum() == t["observed"] + t["after_end"]
    assert t["after_end"] > 0
    end = pd.Timestamp("2025-03-29")
    late = c["will_convert"] & (c["converted"] == 0)
    # unobserved conversions are exactly those whose delay runs past the end (to 1 s rounding)
    due = c["assigned_at"] + pd.to_timedelta(c["delay"], unit="D")
    assert (due[late] > end - pd.Timedelta(1, "s")).all()
    assert (due[c["converted"] == 1] <= end).all()


# --------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize(
    ("p", "r", "s"), [(0.1, 0.6, 0.8), (0.03, -0.4, 1.2), (0.5, 0.9, 0.3), (0.2, 0.0, 1.0)]
)
def test_copula_identity_matches_scipy_integration(p, r, s):
    """E[exp(s Z_x) 1{Z_c > Phi^-1(1-p)}] = exp(s^2/2) Phi(Phi^-1(p) + r s).

    Reference: direct 2-D numerical integration of scipy.stats.multivariate_normal's density.
    """
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]])
    c = stats.norm.ppf(1 - p)
    lhs, err = integrate.dblquad(
        lambda y, x: math.exp(s * x) * mvn.pdf([x, y]), -9, 9, c, 9, epsabs=1e-10
    )
    rhs = math.exp(s**2 / 2) * stats.norm.cdf(stats.norm.ppf(p) + r * s)
    assert lhs == pytest.approx(rhs, rel=1e-6)
    # the truth's covariance uses the identity: Cov(X, C) = x_scale E[e^{sZ}C] - E[X] p
    t = experiment_truth(
        {"a": p, "b": 0.5}, correlation=r, x_scale=2.0, sigma_x=s, pre_missing=0.0
    )
    cov = t["arms"]["a"]["eventual"]["cov_pre_conversion"]
    assert cov == pytest.approx(2.0 * lhs - 2.0 * math.exp(s**2 / 2) * p, rel=1e-6, abs=1e-12)


def test_observed_fraction_matches_numerical_integration():
    # q = P(U T + D <= T) = (1/T) int_0^T (1 - exp(-(T - a)/delta)) da, by scipy.integrate.quad
    for days, delta in [(28, 3.0), (14, 7.0), (5, 0.5)]:
        ref, _ = integrate.quad(lambda a, d=days, m=delta: 1 - math.exp(-(d - a) / m), 0, days)
        assert observed_fraction(days, delta) == pytest.approx(ref / days, rel=1e-10)


def test_moments_against_lognormal_formulas():
    # E[X] and Var(X) of a lognormal (scipy.stats.lognorm), E[S^2] via scipy's lognorm.moment
    t = experiment_truth(x_scale=30.0, sigma_x=0.8, spend_mean=60.0, spend_sigma=0.6)
    ln = stats.lognorm(s=0.8, scale=30.0)
    assert t["pre"]["mean"] == pytest.approx(ln.mean(), rel=1e-12)
    assert t["pre"]["variance"] == pytest.approx(ln.var(), rel=1e-12)
    spend = stats.lognorm(s=0.6, scale=60.0 * math.exp(-0.6**2 / 2))
    e = t["arms"]["control"]["eventual"]
    p = 0.10
    assert e["revenue_per_customer"] == pytest.approx(p * spend.mean(), rel=1e-12)
    var_y = p * spend.moment(2) - (p * spend.mean()) ** 2
    assert e["revenue_variance"] == pytest.approx(var_y, rel=1e-12)
    eff = t["effects"]["treatment"]
    assert eff["eventual"]["conversion_diff"] == pytest.approx(0.01, abs=1e-15)
    assert eff["eventual"]["revenue_ratio"] == pytest.approx(1.1 * 1.05, rel=1e-12)
    # relative effects are the same on the observed scale (common factor q)
    assert eff["observed"]["conversion_ratio"] == pytest.approx(1.1, rel=1e-12)
    q = t["observed_fraction"]
    assert eff["observed"]["revenue_diff"] == pytest.approx(q * eff["eventual"]["revenue_diff"])


# --------------------------------------------------------------------------- large sample
@pytest.mark.parametrize("arm", ["control", "treatment"])
def test_truth_matches_large_sample(big, arm):
    c = big.customers
    c = c[c["variant"] == arm]
    tr = big.truth["arms"][arm]
    hp = c[c["has_pre"]]
    x = hp["pre_value"].to_numpy()
    outcomes = {
        "observed": (hp["converted"].to_numpy(float), hp["revenue"].to_numpy()),
        "eventual": (
            hp["will_convert"].to_numpy(float),
            (hp["will_convert"] * hp["spend"]).to_numpy(),
        ),
    }
    for scale, (conv, rev) in outcomes.items():
        t = tr[scale]
        for name, y in (("conversion", conv), ("revenue", rev)):
            rho, se = _corr_and_se(x, y)
            assert rho == pytest.approx(t[f"corr_pre_{name}"], abs=Z * se), (scale, name)
            # CUPED: Var(Y - theta X) / Var(Y) with the sample-optimal theta; its SE follows
            # from the delta method d(1 - rho^2) = -2 rho d rho
            theta = np.cov(x, y)[0, 1] / x.var(ddof=1)
            ratio = np.var(y - theta * x, ddof=1) / np.var(y, ddof=1)
            tol = Z * 2 * abs(rho) * se
            assert ratio == pytest.approx(t[f"cuped_variance_ratio_{name}"], abs=tol)
            # with new customers: regression on (1, has_pre, has_pre * X) over everyone
            h = c["has_pre"].to_numpy(float)
            yy = {"conversion": c["converted"], "revenue": c["revenue"]}[name].to_numpy(float)
            if scale == "eventual":
                yy = (
                    c["will_convert"].to_numpy(float)
                    if name == "conversion"
                    else (c["will_convert"] * c["spend"]).to_numpy()
                )
            design = np.c_[np.ones_like(h), h, h * np.nan_to_num(c["pre_value"].to_numpy())]
            resid = yy - design @ np.linalg.lstsq(design, yy, rcond=None)[0]
            ratio_m = resid.var() / yy.var()
            m = big.truth["pre"]["missing_share"]
            se_m = math.sqrt(m * (1 - m) / len(h))
            tol_m = Z * math.hypot((1 - m) * 2 * abs(rho) * se, rho**2 * se_m)
            key = f"cuped_variance_ratio_{name}_with_missing"
            assert ratio_m == pytest.approx(t[key], abs=tol_m), (scale, name)
    # rates and revenue per customer over all customers of the arm (binomial / CLT SE)
    n = len(c)
    for scale, conv, rev in (
        ("observed", c["converted"], c["revenue"]),
        ("eventual", c["will_convert"].astype(float), c["will_convert"] * c["spend"]),
    ):
        t = tr[scale]
        p = t["conversion_rate"]
        assert conv.mean() == pytest.approx(p, abs=Z * math.sqrt(p * (1 - p) / n))
        se_rev = math.sqrt(t["revenue_variance"] / n)
        assert rev.mean() == pytest.approx(t["revenue_per_customer"], abs=Z * se_rev)
        assert rev.var() == pytest.approx(t["revenue_variance"], rel=0.05)


def test_effects_recovered_in_large_sample(big):
    c = big.customers
    g = c.groupby("variant")
    rate, rev, n = g["converted"].mean(), g["revenue"].mean(), g.size()
    eff = big.truth["effects"]["treatment"]["observed"]
    se = math.sqrt(sum(rate[a] * (1 - rate[a]) / n[a] for a in ("control", "treatment")))
    diff = rate["treatment"] - rate["control"]
    assert diff == pytest.approx(eff["conversion_diff"], abs=Z * se)
    se_r = math.sqrt(sum(g["revenue"].var()[a] / n[a] for a in ("control", "treatment")))
    assert rev["treatment"] - rev["control"] == pytest.approx(eff["revenue_diff"], abs=Z * se_r)


def test_latent_draws_have_the_stated_distributions(big):
    c = big.customers
    q = big.truth["observed_fraction"]
    wc = c["will_convert"]
    n_conv = int(wc.sum())
    seen = c.loc[wc, "converted"].mean()
    assert seen == pytest.approx(q, abs=Z * math.sqrt(q * (1 - q) / n_conv))
    m = big.truth["pre"]["missing_share"]
    assert (~c["has_pre"]).mean() == pytest.approx(m, abs=Z * math.sqrt(m * (1 - m) / len(c)))
    r, se = _corr_and_se(c["z_x"].to_numpy(), c["z_c"].to_numpy())
    assert r == pytest.approx(0.6, abs=Z * se)
    # arrivals uniform over the 28 days and delays exponential with mean 3 days (KS tests)
    start = pd.Timestamp("2025-03-01")
    arrival = (c["assigned_at"] - start) / pd.Timedelta(1, "D")
    assert stats.kstest(arrival[::20], stats.uniform(0, 28).cdf).pvalue > 1e-3
    assert stats.kstest(c["delay"][::20], stats.expon(scale=3.0).cdf).pvalue > 1e-3


# --------------------------------------------------------------------------- arms, allocation, SRM
def test_abn_arms_and_allocation_recovered():
    arms = {"A": 0.05, "B": (0.06, 1.2), "C": {"rate": 0.08, "spend_multiplier": 0.9}}
    w = simulate_experiment(30_000, arms=arms, allocation=[0.5, 0.25, 0.25], random_state=3)
    assert w.arm_names == ["A", "B", "C"] and w.control == "A"
    counts = w.customers["variant"].value_counts().reindex(["A", "B", "C"])
    # realised counts agree with the intended multinomial shares (scipy chi-square test)
    assert stats.chisquare(counts, f_exp=[15_000, 7_500, 7_500]).pvalue > 1e-3
    assert counts.to_dict() == w.truth["allocation"]["counts"]
    assert not w.truth["srm"]
    rate = w.customers.groupby("variant")["will_convert"].mean()
    for name, p in (("A", 0.05), ("B", 0.06), ("C", 0.08)):
        assert rate[name] == pytest.approx(p, abs=Z * math.sqrt(p * (1 - p) / counts[name]))
    spend = w.customers[w.customers["will_convert"]].groupby("variant")["spend"].mean()
    assert spend["B"] / spend["A"] == pytest.approx(1.2, rel=0.12)  # ~2000 lognormal draws
    assert set(w.effects().index) == {"B", "C"}
    assert w.effects("eventual").loc["C", "conversion_ratio"] == pytest.approx(0.08 / 0.05)
    t = w.arm_truth()
    assert list(t.index) == ["A", "B", "C"] and t["n_customers"].sum() == 30_000


def test_arms_as_sequence():
    w = simulate_experiment(
        500, arms=[Arm("ctl", 0.2), ("new", 0.3, 2.0)], random_state=0
    )
    assert w.truth["arms"]["new"]["spend_multiplier"] == 2.0
    assert set(w.events["variant"]) == {"ctl", "new"}


def test_srm_fires_only_when_set():
    n = 20_000
    ok = simulate_experiment(n, random_state=42)
    bad = simulate_experiment(n, srm=0.1, random_state=42)
    intended = [n / 2, n / 2]
    c_ok = ok.customers["variant"].value_counts().reindex(["control", "treatment"])
    c_bad = bad.customers["variant"].value_counts().reindex(["control", "treatment"])
    # reference: scipy.stats.chisquare, the usual sample-ratio-mismatch test
    assert stats.chisquare(c_ok, f_exp=intended).pvalue > 0.01
    assert stats.chisquare(c_bad, f_exp=intended).pvalue < 1e-6
    assert bad.truth["srm"] and not ok.truth["srm"]
    actual = bad.truth["allocation"]["actual"]
    assert actual["treatment"] == pytest.approx(0.5 * 0.9 / (0.5 + 0.5 * 0.9), rel=1e-12)
    assert bad.truth["allocation"]["intended"] == {"control": 0.5, "treatment": 0.5}
    # the realised counts are consistent with the actual (distorted) probabilities
    exp_bad = [n * actual["control"], n * actual["treatment"]]
    assert stats.chisquare(c_bad, f_exp=exp_bad).pvalue > 1e-3
    # mapping form: treatment over-represented
    over = simulate_experiment(n, srm={"treatment": 1.1}, random_state=42)
    assert over.truth["allocation"]["actual"]["treatment"] == pytest.approx(1.1 / 2.1)


# --------------------------------------------------------------------------- bad parameters
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arms": {"a": 0.1}}, "at least two"),
        ({"arms": {"a": 0.1, "b": 1.2}}, "rate of arm 'b'"),
        ({"arms": {"a": 0.1, "b": (0.2, -1.0)}}, "spend_multiplier of arm 'b'"),
        ({"arms": [("a", 0.1), ("a", 0.2)]}, "more than once"),
        ({"arms": {"a": 0.1, "b": {"p": 0.2}}}, "'rate'"),
        ({"allocation": [0.6, 0.6]}, "sums to 1.2"),
        ({"allocation": [1.0]}, "1 entries but there are 2 arms"),
        ({"allocation": {"control": 0.5, "x": 0.5}}, "unknown arms"),
        ({"srm": 1.0}, "srm == 1.0"),
        ({"srm": {"nope": 0.9}}, "unknown arms"),
        ({"start": "not a date"}, "start =="),
        ({"correlation": 1.5}, "correlation == 1.5"),
        ({"pre_missing": 1.0}, "pre_missing == 1.0"),
        ({"days": 0}, "days == 0"),
        ({"pre_days": 0.5}, "pre_days == 0.5"),
        ({"delay_mean": -1}, "delay_mean == -1"),
        ({"variant": "event"}, "variant =="),
        ({"random_state": "x"}, "random_state"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        simulate_experiment(100, **kwargs)


def test_bad_n_customers():
    with pytest.raises(ValidationError, match="n_customers == 0"):
        simulate_experiment(0)
    with pytest.raises(ValidationError, match="n_customers"):
        simulate_experiment(10.5)
