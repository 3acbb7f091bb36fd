"""Sample-ratio mismatch (Kohavi, Tang & Xu 2020) and multiple testing (statsmodels)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from cjmodels.data import experiment_table
from cjmodels.errors import ValidationError
from cjmodels.experiments import (
    SampleRatioMismatchWarning,
    SufficientStats,
    adjust,
    adjust_pvalues,
    compare_proportions,
    srm_check,
)
from cjmodels.synthetic import simulate_experiment


def test_srm_kohavi_reference():
    # Kohavi, Tang & Xu (2020), ch. 21: 821,588 vs 815,482 in a 50/50 design, p = 1.8e-6;
    # scipy.stats.chisquare([821588, 815482]).pvalue = 1.8217929e-06 (issue: 1.82e-6)
    with pytest.warns(SampleRatioMismatchWarning, match="SAMPLE RATIO MISMATCH"):
        r = srm_check({"control": 821588, "treatment": 815482})
    assert r.pvalue == pytest.approx(1.8217928726191858e-06, rel=1e-9)
    assert r.info["mismatch"] and r.info["threshold"] == 0.001
    b = srm_check([821588, 815482], arms=["c", "t"], test="binomial", warn=False)
    assert b.pvalue == pytest.approx(sps.binomtest(821588, 1637070).pvalue, rel=1e-12)


def test_srm_on_simulated_worlds():
    ok = experiment_table(simulate_experiment(20000, random_state=1).event_log())
    with warnings.catch_warnings():
        warnings.simplefilter("error", SampleRatioMismatchWarning)
        assert not srm_check(ok).info["mismatch"]
    bad = experiment_table(simulate_experiment(20000, srm=0.05, random_state=1).event_log())
    with pytest.warns(SampleRatioMismatchWarning):
        assert srm_check(bad).info["mismatch"]
    # unequal intended allocation is honoured
    w = simulate_experiment(20000, allocation=[0.7, 0.3], random_state=2)
    t = experiment_table(w.event_log())
    assert not srm_check(t, expected={"control": 0.7, "treatment": 0.3}).info["mismatch"]


def test_srm_bad_input():
    with pytest.raises(ValidationError, match="threshold"):
        srm_check({"a": 10, "b": 12}, threshold=1.5)
    with pytest.raises(ValidationError, match="zero units"):
        srm_check({"a": 10, "b": 0})
    with pytest.raises(ValidationError, match="non-negative"):
        srm_check({"a": 10, "b": -3})


@pytest.mark.parametrize("ours, theirs", [("bonferroni", "bonferroni"), ("holm", "holm"),
                                          ("hochberg", "simes-hochberg"), ("bh", "fdr_bh"),
                                          ("by", "fdr_by")])
def test_adjust_pvalues_wraps_statsmodels(ours, theirs):
    p = np.array([0.001, 0.01, 0.02, 0.03, 0.2, 0.5])
    # statsmodels.stats.multitest.multipletests(p, method=theirs)[1], exactly
    np.testing.assert_array_equal(adjust_pvalues(p, correction=ours), multipletests(p, method=theirs)[1])


def test_family_is_stated_and_holm_is_default():
    s = SufficientStats.from_counts([200, 250, 230, 205], [10000] * 4, arms=["A", "B", "C", "D"])
    r = adjust(compare_proportions(s, control="A"))
    diffs = [c for c in r.comparisons if c.effect_type == "difference"]
    np.testing.assert_allclose([c.pvalue_adjusted for c in diffs],
                               multipletests([c.pvalue for c in diffs], method="holm")[1])
    assert all(np.isnan(c.pvalue_adjusted) for c in r.comparisons if c.effect_type == "relative")
    assert "holm (FWER at 0.05) over the family of 3 comparisons" in r.notes[-1]
    with pytest.raises(ValidationError, match="correction"):
        adjust_pvalues([0.1], correction="sidak")
    with pytest.raises(ValidationError, match="lie in"):
        adjust_pvalues([0.1, 1.2])


def test_holm_in_numpy_equals_statsmodels_with_ties_and_ones():
    """adjust_pvalues computes Holm itself (statsmodels' runs gc.collect() on every call); on
    random families with ties, zeros and ones it equals multipletests(method="holm") exactly."""
    rng = np.random.default_rng(7)
    for m in (1, 2, 5, 40, 300):
        p = rng.choice(np.r_[rng.uniform(size=m), 0.0, 1.0, 0.05], size=m)
        np.testing.assert_array_equal(adjust_pvalues(p, correction="holm"),
                                      multipletests(p, method="holm")[1])
