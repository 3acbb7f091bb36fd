"""Time to purchase between arms: R survival references, known truth, size and coverage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from cjmodels.errors import ValidationError
from cjmodels.experiments import compare_time_to_purchase
from cjmodels.survival import kaplan_meier

matplotlib.use("Agg")

REF = Path(__file__).parent / "reference"
ARMS = ["control", "treatment", "other"]


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "time_to_purchase_reference.json").read_text())


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(REF / "time_to_purchase_table.csv")


# (our weighting, p, q, key in the R output)
WEIGHTED = [
    ("logrank", 1.0, 0.0, "logrank"),  # survdiff(rho = 0)
    ("fleming-harrington", 1.0, 0.0, "rho1"),  # survdiff(rho = 1)
    ("wilcoxon", 1.0, 0.0, "wilcoxon"),  # by hand in R, w = n.risk
    ("tarone-ware", 1.0, 0.0, "tarone_ware"),  # by hand in R, w = sqrt(n.risk)
    ("fleming-harrington", 0.0, 1.0, "fh01"),  # by hand in R, w = 1 - S(t-)
    ("peto", 1.0, 0.0, "peto"),  # by hand in R, w = prod(1 - d / (n + 1))
]


@pytest.mark.parametrize("weighting,p,q,key", WEIGHTED)
def test_logrank_tests_match_r(table, ref, weighting, p, q, key):
    # R 4.2.2, survival 3.5-3: reference/time_to_purchase_reference.R (survdiff for rho = 0, 1;
    # the other weights by hand from survfit's n.risk / n.event); tolerance 1e-9 relative
    r = compare_time_to_purchase(table, control="control", arms=ARMS, weightings=weighting,
                                 p=p, q=q, tau=20.0)
    for arm in ("treatment", "other"):
        c = r.get(arm=arm, effect_type="logrank")
        assert c.statistic == pytest.approx(ref[arm][key]["chisq"], rel=1e-9)
        assert c.pvalue == pytest.approx(ref[arm][key]["pvalue"], rel=1e-9)
        assert math.isnan(c.effect)


def test_observed_expected_and_overall_match_survdiff(table, ref):
    # survdiff(Surv(duration, event) ~ g, rho = 0): obs and exp of the arm; the 3-group test
    # (df 2) for the overall log-rank and G-rho (rho = 1) tests; tolerance 1e-9 relative
    r = compare_time_to_purchase(table, control="control", arms=ARMS,
                                 weightings=["logrank", "fleming-harrington"], tau=20.0)
    for arm in ("treatment", "other"):
        det = r.get(arm=arm, metric="time to purchase: logrank").details
        assert det["observed"] == pytest.approx(ref[arm]["logrank"]["obs"][1], rel=1e-12)
        assert det["expected"] == pytest.approx(ref[arm]["logrank"]["exp"][1], rel=1e-9)
        # the signed z squares to the chi-square
        assert det["z"] ** 2 == pytest.approx(ref[arm]["logrank"]["chisq"], rel=1e-9)
    ov = r.info["overall"]
    assert ov["logrank"]["statistic"] == pytest.approx(ref["overall"]["logrank"]["chisq"],
                                                       rel=1e-9)
    assert ov["logrank"]["df"] == 2
    assert ov["fleming-harrington(p=1, q=0)"]["statistic"] == pytest.approx(
        ref["overall"]["rho1"]["chisq"], rel=1e-9)


def test_rmst_difference_matches_r(table, ref):
    # RMST by hand in R from survfit (survRM2::rmst2's formula; survRM2 is not installed),
    # tau = 20: estimates, variances, difference, 95% CI and p-value; tolerance 1e-9 relative
    r = compare_time_to_purchase(table, control="control", arms=ARMS, tau=20.0)
    for arm in ("treatment", "other"):
        c = r.get(arm=arm, effect_type="difference")
        R = ref[arm]["rmst"]
        assert c.arm_value == pytest.approx(R["arm"], rel=1e-9)
        assert c.control_value == pytest.approx(R["control"], rel=1e-9)
        assert r.info["arms"][arm]["rmst_se"] ** 2 == pytest.approx(R["arm_var"], rel=1e-9)
        assert c.effect == pytest.approx(R["diff"], rel=1e-9)
        assert (c.ci_low, c.ci_high) == pytest.approx((R["ci_low"], R["ci_high"]), rel=1e-9)
        assert c.pvalue == pytest.approx(R["pvalue"], rel=1e-9)


def test_rmst_small_example_by_hand():
    # Kaplan-Meier of (1, 2+, 3, 4): S = 3/4 on [1, 3), 3/8 on [3, 4); RMST(3.5) = 1 + 2 * 3/4 +
    # 0.5 * 3/8 = 2.6875; variance 1.6875^2 / (4 * 3) + 0.1875^2 / (2 * 1) (exact)
    # (the RMST of compare_time_to_purchase is cjmodels.survival's)
    def rmst(d, e, tau):
        return kaplan_meier(pd.DataFrame({"duration": d, "event": e})).rmst(tau)

    r = rmst([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 1], tau=3.5)
    est, var = r.rmst, r.se**2
    assert est == pytest.approx(2.6875, abs=1e-12)
    assert var == pytest.approx(1.6875**2 / 12 + 0.1875**2 / 2, abs=1e-12)
    # no purchase before tau: RMST = tau with no variance
    r0 = rmst([5.0, 6.0], [1, 0], tau=4.0)
    assert (r0.rmst, r0.se) == (4.0, 0.0)
    t = pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 2, "duration": [1.0, 2, 3, 4, 5, 6],
                      "event": [1, 0, 1, 1, 1, 0]})
    arm = compare_time_to_purchase(t, control="b", tau=3.5).info["arms"]["a"]
    assert (arm["rmst"], arm["rmst_se"]) == (r.rmst, r.se)


def test_results_are_invariant_to_row_order_and_json_ready(table):
    a = compare_time_to_purchase(table, control="control", tau=15.0,
                                 weightings=["logrank", "wilcoxon"])
    b = compare_time_to_purchase(table.sample(frac=1.0, random_state=3), control="control",
                                 tau=15.0, weightings=["logrank", "wilcoxon"])
    pd.testing.assert_frame_equal(a.summary(), b.summary(), rtol=1e-12)
    json.dumps(a.to_dict())
    assert list(a.arms_table().columns[:3]) == ["n", "purchases", "rmst"]
    assert "overall" in a.info and "\n" not in repr(a)
    ax = a.plot()
    assert ax.get_xlabel().startswith("time since assignment")
    default = compare_time_to_purchase(table, control="control")
    maxima = table.groupby("variant")["duration"].max()
    assert default.info["tau"] == maxima.min()


def test_bad_input(table):
    with pytest.raises(ValidationError, match="beyond the longest follow-up"):
        compare_time_to_purchase(table, control="control", tau=100.0)
    with pytest.raises(ValidationError, match="weightings"):
        compare_time_to_purchase(table, control="control", weightings="gehan")
    with pytest.raises(ValidationError, match="control 'x'"):
        compare_time_to_purchase(table, control="x")
    bad = table.copy()
    bad.loc[3, "duration"] = -1.0
    with pytest.raises(ValidationError, match="negative values at rows \\[3\\]"):
        compare_time_to_purchase(bad, control="control")
    bad = table.copy()
    bad.loc[5, "event"] = 2
    with pytest.raises(ValidationError, match="0 \\(censored\\) or 1"):
        compare_time_to_purchase(bad, control="control")
    bad = table.copy()
    bad.loc[7, "duration"] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        compare_time_to_purchase(bad, control="control")
    with pytest.raises(ValidationError, match="nothing to compare"):
        compare_time_to_purchase(table.assign(event=0), control="control")
    with pytest.raises(ValidationError, match="only one arm"):
        compare_time_to_purchase(table[table.variant == "control"], control="control")
    with pytest.raises(ValidationError, match="not among the declared arms"):
        compare_time_to_purchase(table, control="control", arms=["control", "treatment"])
    with pytest.raises(ValidationError, match="alpha"):
        compare_time_to_purchase(table, control="control", alpha=1.5)


def _cure_world(rng, n, p_buy, mean, follow):
    buys = rng.random(n) < p_buy
    t = rng.exponential(mean, n)
    c = rng.uniform(0, follow, n)
    e = buys & (t <= c)
    return np.where(e, t, c), e.astype(int)


def _true_rmst(p_buy, mean, tau):
    # S(t) = 1 - p (1 - exp(-t / m)): RMST = tau - p (tau - m (1 - exp(-tau / m))) (exact)
    return tau - p_buy * (tau - mean * (1 - math.exp(-tau / mean)))


def _study(reps, n, seed, coverage=True):
    """Null size of log-rank / RMST and coverage of the RMST difference under an effect."""
    rng = np.random.default_rng(seed)
    rej_lr, rej_rm, cover = [], [], []
    tau = 10.0
    for _ in range(reps):
        dc, ec = _cure_world(rng, n, 0.4, 5.0, 30.0)
        dt, et = _cure_world(rng, n, 0.4, 5.0, 30.0)
        t = pd.DataFrame({"variant": ["c"] * n + ["t"] * n, "duration": np.r_[dc, dt],
                          "event": np.r_[ec, et]})
        r = compare_time_to_purchase(t, control="c", tau=tau)
        rej_lr.append(r.get(effect_type="logrank").pvalue < 0.05)
        rej_rm.append(r.get(effect_type="difference").pvalue < 0.05)
        if not coverage:
            continue
        da, ea = _cure_world(rng, n, 0.55, 4.0, 30.0)
        t2 = t.assign(duration=np.r_[dc, da], event=np.r_[ec, ea])
        c = compare_time_to_purchase(t2, control="c", tau=tau).get(effect_type="difference")
        truth = _true_rmst(0.55, 4.0, tau) - _true_rmst(0.4, 5.0, tau)
        cover.append(c.ci_low <= truth <= c.ci_high)
    return np.mean(rej_lr), np.mean(rej_rm), np.mean(cover) if cover else math.nan


def test_size_by_simulation():
    # 120 A/A experiments of 2 x 150 customers with staggered censoring (seeded): log-rank and
    # RMST reject a true null at about 5%; tolerance 3.5 Monte-Carlo SE (a smoke check; the
    # slow study below is the calibration)
    reps = 120
    lr, rm, _ = _study(reps, 150, seed=5, coverage=False)
    se = math.sqrt(0.05 * 0.95 / reps)
    assert abs(lr - 0.05) < 3.5 * se and abs(rm - 0.05) < 3.5 * se


@pytest.mark.slow
def test_size_and_coverage_by_simulation_large():
    # 2,000 A/A experiments of 2 x 300 customers: size of log-rank and RMST near 5%; and the
    # RMST-difference interval covers the exact difference (cure model, closed form) about
    # 95% of the time under an effect; tolerance 3 Monte-Carlo SE
    reps = 2000
    lr, rm, cov = _study(reps, 300, seed=6)
    se = math.sqrt(0.05 * 0.95 / reps)
    assert abs(lr - 0.05) < 3 * se and abs(rm - 0.05) < 3 * se
    assert abs(cov - 0.95) < 3 * se
