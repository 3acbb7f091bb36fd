"""Conversion tests and intervals against statsmodels and scipy (numbers quoted in issue 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep

from cjmodels.errors import ValidationError
from cjmodels.experiments import (
    SufficientStats,
    compare_proportions,
)
from cjmodels.experiments.proportions import _proportion_test_arrays

# 200/10,000 (control A) versus 250/10,000 (arm B): the reference case of issue 5.
COUNTS = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})


def _diff(**kw):
    return compare_proportions(COUNTS, control="A", **kw).get(effect_type="difference")


def test_pooled_z_reference():
    # statsmodels.stats.proportion.proportions_ztest([250, 200], [10000, 10000])
    # -> z = 2.3839951328, p = 0.0171258289 (issue 5 quotes 2.383995, 0.0171258); tol 1e-9
    c = _diff(test="z-pooled")
    assert c.statistic == pytest.approx(2.383995132840505, abs=1e-9)
    assert c.pvalue == pytest.approx(0.01712582887219501, abs=1e-12)


def test_unpooled_yates_fisher_chi2_reference():
    # statsmodels test_proportions_2indep(250, 10000, 200, 10000, method="wald").pvalue
    # = 0.0171100683 (issue: 0.0171101)
    assert _diff(test="z-unpooled").pvalue == pytest.approx(0.017110068313890513, abs=1e-12)
    # scipy.stats.chi2_contingency([[250, 9750], [200, 9800]], correction=True).pvalue
    # = 0.0194748183 (issue: 0.0194748)
    assert _diff(test="chi2-yates").pvalue == pytest.approx(0.01947481832521563, abs=1e-12)
    # scipy.stats.fisher_exact([[250, 9750], [200, 9800]]).pvalue = 0.0193786654 (issue 0.0193787)
    assert _diff(test="fisher").pvalue == pytest.approx(0.01937866544708717, abs=1e-12)
    # Pearson chi-square without correction equals the pooled z-test (z^2 = chi2)
    c = _diff(test="chi2")
    assert c.pvalue == pytest.approx(0.01712582887219501, abs=1e-12)
    assert c.statistic == pytest.approx(2.383995132840505**2, rel=1e-10)


def test_intervals_reference():
    # statsmodels confint_proportions_2indep(250, 10000, 200, 10000, method="wald")
    # = (0.000889913, 0.009110087) (issue: [0.000890, 0.009110]); tol 1e-12
    c = _diff(interval="wald")
    assert (c.ci_low, c.ci_high) == pytest.approx((0.0008899129980008431, 0.009110087001999159),
                                                  abs=1e-12)
    # method="newcomb": (0.000887048, 0.009138267) (issue: [0.000887, 0.009138])
    c = _diff(interval="newcombe")
    assert (c.ci_low, c.ci_high) == pytest.approx((0.0008870475992941457, 0.009138266721419232),
                                                  abs=1e-12)
    for ours, theirs in (("score", "score"), ("agresti-caffo", "agresti-caffo")):
        ref = confint_proportions_2indep(250, 10000, 200, 10000, method=theirs, compare="diff")
        c = _diff(interval=ours)
        assert (c.ci_low, c.ci_high) == pytest.approx(tuple(map(float, ref)), abs=1e-12)


def test_relative_lift_methods():
    r = compare_proportions(COUNTS, control="A", relative="log-ratio").get(effect_type="relative")
    # statsmodels confint_proportions_2indep(250, 10000, 200, 10000, compare="ratio",
    # method="log") is the same Wald interval on log(p_B / p_A); lift = ratio - 1
    lo, hi = confint_proportions_2indep(250, 10000, 200, 10000, compare="ratio", method="log")
    assert r.effect == pytest.approx(0.25, abs=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((lo - 1, hi - 1), abs=1e-12)
    d = compare_proportions(COUNTS, control="A", relative="delta").get(effect_type="relative")
    # delta method by hand: var(lift) = v_B / p_A^2 + p_B^2 v_A / p_A^4
    va, vb = 0.02 * 0.98 / 1e4, 0.025 * 0.975 / 1e4
    se = np.sqrt(vb / 0.02**2 + 0.025**2 * va / 0.02**4)
    assert d.ci_low == pytest.approx(0.25 - 1.959963984540054 * se, abs=1e-12)
    assert d.pvalue == pytest.approx(2 * sps.norm.sf(0.25 / se), rel=1e-12)
    assert d.pvalue != r.pvalue  # each interval method has its own p-value


def test_small_sample_exact_tests_wrap_scipy():
    s = SufficientStats.from_counts({"A": 7, "B": 15}, {"A": 40, "B": 42})
    table = np.array([[15, 7], [27, 33]])  # samples in columns: arm B, control A
    for test, fn in (("barnard", sps.barnard_exact), ("boschloo", sps.boschloo_exact)):
        for alt in ("two-sided", "greater", "less"):
            ours = compare_proportions(s, control="A", test=test, alternative=alt).pvalue
            assert ours == pytest.approx(fn(table, alternative=alt).pvalue, abs=1e-12)
    big = SufficientStats.from_counts({"A": 70, "B": 90}, {"A": 4000, "B": 4000})
    with pytest.raises(ValidationError, match="small samples"):
        compare_proportions(big, control="A", test="barnard")


def test_one_sided():
    g = _diff(alternative="greater")
    assert g.pvalue == pytest.approx(0.01712582887219501 / 2, rel=1e-10)
    assert np.isinf(g.ci_high) and g.ci_low > 0
    assert _diff(alternative="less").pvalue == pytest.approx(1 - g.pvalue, rel=1e-10)
    with pytest.raises(ValidationError, match="two-sided only"):
        _diff(test="chi2", alternative="greater")


@given(st.integers(1, 200), st.integers(1, 200), st.integers(0, 200), st.integers(0, 200))
def test_vectorised_chi2_matches_scipy(nc, nt, xc, xt):
    xc, xt = min(xc, nc), min(xt, nt)
    if xc + xt in (0, nc + nt):
        return
    table = np.array([[xt, nt - xt], [xc, nc - xc]])
    for test, corr in (("chi2", False), ("chi2-yates", True)):
        stat, p = _proportion_test_arrays(xc, nc, xt, nt, test)
        ref = sps.chi2_contingency(table, correction=corr)
        assert float(stat) == pytest.approx(ref.statistic, rel=1e-9, abs=1e-12)
        assert float(p) == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
        assert 0 <= float(p) <= 1


def test_table_and_counts_agree_and_bad_input():
    t = pd.DataFrame({"variant": ["A"] * 100 + ["B"] * 100,
                      "converted": [1] * 20 + [0] * 80 + [1] * 30 + [0] * 70})
    s = SufficientStats.from_counts({"A": 20, "B": 30}, {"A": 100, "B": 100})
    a = compare_proportions(t, control="A")
    b = compare_proportions(s, control="A")
    assert a.pvalue == b.pvalue and a.ci_low == b.ci_low
    with pytest.raises(ValidationError, match="0/1"):
        compare_proportions(t.assign(converted=2.0), control="A")
    with pytest.raises(ValidationError, match="zero variance"):
        compare_proportions(t.assign(converted=0), control="A")
    with pytest.raises(ValidationError, match="alpha == 1.5"):
        compare_proportions(s, control="A", alpha=1.5)
    with pytest.raises(ValidationError, match="test == 'yates'"):
        compare_proportions(s, control="A", test="yates")
    with pytest.raises(ValidationError, match="arm 'C' is not among"):
        compare_proportions(s, control="C")
