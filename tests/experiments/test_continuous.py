"""Continuous and ratio metrics, CUPED: against scipy, statsmodels, tea-tasting and the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from cjmodels.data import experiment_table
from cjmodels.errors import ValidationError
from cjmodels.experiments import (
    bootstrap_means,
    compare_means,
    compare_ratios,
    mann_whitney,
    winsorize,
    with_missing_indicator,
)
from cjmodels.synthetic import simulate_experiment

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ratio_table() -> pd.DataFrame:
    d = pd.read_csv(REF / "ratio_cuped_table.csv")
    return d.assign(variant=d["variant"].astype(str))


@pytest.fixture(scope="module")
def teatasting() -> dict:
    return json.loads((REF / "teatasting_reference.json").read_text())


def _two_groups(seed=0, n=(40, 55)):
    rng = np.random.default_rng(seed)
    a, b = rng.lognormal(1, 0.8, n[0]), rng.lognormal(1.2, 1.0, n[1])
    t = pd.DataFrame({"variant": ["c"] * n[0] + ["t"] * n[1], "y": np.r_[a, b]})
    return t, a, b


def test_welch_matches_scipy():
    t, a, b = _two_groups()
    for alt in ("two-sided", "greater", "less"):
        ref = sps.ttest_ind(b, a, equal_var=False, alternative=alt)
        r = compare_means(t, "y", control="c", alternative=alt)
        # scipy.stats.ttest_ind(b, a, equal_var=False): statistic, p-value, df and interval
        assert r.statistic == pytest.approx(ref.statistic, rel=1e-10)
        assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
        assert r.primary.details["df"] == pytest.approx(ref.df, rel=1e-10)
        ci = ref.confidence_interval(0.95)
        assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)


def test_ratio_and_means_match_teatasting(ratio_table, teatasting):
    # tests/experiments/reference/make_teatasting_reference.py (tea-tasting 1.14.0):
    # Mean("revenue", use_t=True, equal_var=False) and RatioOfMeans("orders", "sessions",
    # use_t=False); the same Welch t and delta-method z, so equal to rounding (rel 1e-9).
    r = compare_means(ratio_table, "revenue", control="0")
    ref = teatasting["revenue_mean"]
    assert r.effect == pytest.approx(ref["effect_size"], rel=1e-9)
    assert (r.ci_low, r.ci_high) == pytest.approx(
        (ref["effect_size_ci_lower"], ref["effect_size_ci_upper"]), rel=1e-9)
    assert r.pvalue == pytest.approx(ref["pvalue"], rel=1e-9)
    r = compare_ratios(ratio_table, "orders", "sessions", control="0", relative="log-ratio")
    ref = teatasting["orders_per_session"]
    d, rel = r.get(effect_type="difference"), r.get(effect_type="relative")
    assert d.effect == pytest.approx(ref["effect_size"], rel=1e-9)
    assert (d.ci_low, d.ci_high) == pytest.approx(
        (ref["effect_size_ci_lower"], ref["effect_size_ci_upper"]), rel=1e-9)
    assert d.pvalue == pytest.approx(ref["pvalue"], rel=1e-9)
    assert (rel.ci_low, rel.ci_high) == pytest.approx(
        (ref["rel_effect_size_ci_lower"], ref["rel_effect_size_ci_upper"]), rel=1e-9)


def test_cuped_close_to_teatasting(ratio_table, teatasting):
    # tea-tasting estimates theta from the covariance of the two arms combined, we from the
    # pooled within-arm covariance (the ANCOVA slope), and for the ratio it adjusts by the
    # covariate ratio pre_orders / pre_sessions where we use both covariates; all are
    # consistent, so the results agree to about 0.1% of the effect on this table (tolerance
    # 1%; p-values within 0.005).
    r = compare_means(ratio_table, "revenue", control="0", covariates="pre_revenue")
    ref = teatasting["revenue_cuped"]
    assert r.effect == pytest.approx(ref["effect_size"], rel=0.01)
    assert r.pvalue == pytest.approx(ref["pvalue"], abs=0.005)
    r = compare_ratios(ratio_table, "orders", "sessions", control="0",
                       covariates=["pre_orders", "pre_sessions"])
    ref = teatasting["orders_per_session_cuped"]
    assert r.effect == pytest.approx(ref["effect_size"], rel=0.01)
    assert r.pvalue == pytest.approx(ref["pvalue"], abs=0.005)


def test_cuped_equals_ancova_coefficient(ratio_table):
    # statsmodels OLS revenue ~ C(variant) + pre_revenue + pre_orders: the treatment coefficient
    # equals the CUPED effect with the pooled within-arm slope exactly (tol 1e-9); the
    # standard error is close to the heteroscedasticity-robust HC2 one (tol 1%).
    fit = smf.ols("revenue ~ C(variant) + pre_revenue + pre_orders", ratio_table).fit(
        cov_type="HC2")
    r = compare_means(ratio_table, "revenue", control="0", covariates=["pre_revenue",
                                                                        "pre_orders"])
    assert r.effect == pytest.approx(fit.params["C(variant)[T.1]"], rel=1e-9)
    assert r.primary.details["se"] == pytest.approx(fit.bse["C(variant)[T.1]"], rel=0.01)
    vr = r.primary.details["variance_reduction"]
    assert 0 < vr < 1
    # pooled within-arm R^2 = 1 - SSR(y ~ arm + X) / SSR(y ~ arm), exactly
    arm_only = smf.ols("revenue ~ C(variant)", ratio_table).fit()
    assert r.info["r_squared"] == pytest.approx(1 - fit.ssr / arm_only.ssr, rel=1e-9)


def test_cuped_variance_reduction_matches_closed_form_truth():
    w = simulate_experiment(40000, random_state=11)
    t = with_missing_indicator(experiment_table(w.event_log()), "pre_value")
    r = compare_means(t, "converted", control="control",
                      covariates=["pre_value", "pre_value_missing"])
    truth = w.truth["arms"]["control"]["observed"]["cuped_variance_ratio_conversion_with_missing"]
    # experiment_truth: variance ratio 1 - (1 - pre_missing) rho^2 (closed form); the achieved
    # ratio on 40,000 customers is within 0.015 of it
    assert 1 - r.primary.details["variance_reduction"] == pytest.approx(truth, abs=0.015)
    assert r.primary.details["one_minus_r_squared"] == pytest.approx(truth, abs=0.015)
    # the adjusted interval covers the true observed-scale effect
    eff = w.truth["effects"]["treatment"]["observed"]["conversion_diff"]
    assert r.ci_low < eff < r.ci_high


def test_mann_whitney_wraps_scipy():
    t, a, b = _two_groups(1)
    ref = sps.mannwhitneyu(b, a)
    r = mann_whitney(t, "y", control="c")
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.effect == pytest.approx(ref.statistic / (len(a) * len(b)), rel=1e-12)


def test_bootstrap_bca_matches_scipy_and_is_seeded():
    t, a, b = _two_groups(2)
    r1 = bootstrap_means(t, "y", control="c", n_boot=1999, random_state=5)
    r2 = bootstrap_means(t, "y", control="c", n_boot=1999, random_state=5)
    assert r1.ci_low == r2.ci_low and r1.pvalue == r2.pvalue
    ref = sps.bootstrap((b, a), lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
                        n_resamples=1999, method="BCa", random_state=np.random.default_rng(5),
                        batch=200)
    # scipy.stats.bootstrap(method="BCa") with the same generator: identical interval
    assert (r1.ci_low, r1.ci_high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12)
    # the inverted p-value is consistent with the interval: p < alpha iff 0 is outside
    assert (r1.pvalue < 0.05) == (not r1.ci_low <= 0 <= r1.ci_high)
    # and close to Welch's p-value on these data
    assert r1.pvalue == pytest.approx(compare_means(t, "y", control="c").pvalue, abs=0.03)


def test_winsorize_declared():
    t, _, _ = _two_groups(3)
    r = compare_means(t, "y", control="c", winsorize=0.95)
    assert "winsorized at q=0.95" in r.primary.method
    assert any("capped" in n for n in r.notes)
    cap = winsorize(t, "y", upper=0.95).attrs["winsorized"]["y"]
    assert cap["upper"] == pytest.approx(np.quantile(t["y"], 0.95))


def _coverage(make, reps: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    hits: dict[str, list[bool]] = {}
    for _ in range(reps):
        for name, (res, truth) in make(rng).items():
            hits.setdefault(name, []).append(res.ci_low <= truth <= res.ci_high)
    return {k: float(np.mean(v)) for k, v in hits.items()}


def test_interval_coverage_difference_relative_ratio_cuped():
    n = 300

    def make(rng):
        x = rng.lognormal(2, 0.5, 2 * n)
        arm = np.repeat(["c", "t"], n)
        lift = np.where(arm == "t", 1.1, 1.0)
        sessions = rng.poisson(3, 2 * n) + 1.0
        y = lift * (0.5 * x + rng.exponential(5, 2 * n))
        t = pd.DataFrame({"variant": arm, "y": y, "x": x, "s": sessions,
                          "rev": y * sessions})
        mu_c = 0.5 * np.exp(2 + 0.125) + 5
        m = compare_means(t, "y", control="c")
        c = compare_means(t, "y", control="c", covariates="x")
        ra = compare_ratios(t, "rev", "s", control="c")
        return {
            "difference": (m.get(effect_type="difference"), 0.1 * mu_c),
            "relative": (m.get(effect_type="relative"), 0.1),
            "cuped": (c.get(effect_type="difference"), 0.1 * mu_c),
            # E[rev] / E[s] = E[y] E[s] / E[s] = E[y] (y independent of s)
            "ratio": (ra.get(effect_type="difference"), 0.1 * mu_c),
        }

    cov = _coverage(make, 300, 7)
    # nominal 0.95; Monte-Carlo standard error sqrt(.95 .05 / 300) = 0.0126; tolerance 0.038
    for k, v in cov.items():
        assert v == pytest.approx(0.95, abs=0.038), (k, v)


def test_bad_input():
    t, _, _ = _two_groups(4)
    with pytest.raises(ValidationError, match="zero variance"):
        compare_means(t.assign(y=1.0), "y", control="c")
    with pytest.raises(ValidationError, match="missing or infinite"):
        compare_means(t.assign(x=np.nan), "y", control="c", covariates="x")
    with pytest.raises(ValidationError, match="constant or collinear"):
        compare_means(t.assign(x=1.0), "y", control="c", covariates="x")
    with pytest.raises(ValidationError, match="must be numeric"):
        compare_means(t.assign(y="a"), "y", control="c")
    with pytest.raises(ValidationError, match="mean 0"):
        compare_ratios(t.assign(s=0.0), "y", "s", control="c")
    with pytest.raises(ValidationError, match="alternative"):
        compare_means(t, "y", control="c", alternative="larger")
