"""Hodges-Lehmann shift (R wilcox.test) and the BCa interval of the relative lift (scipy)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from cjmodels.experiments import bootstrap_means, mann_whitney
from cjmodels.experiments.ranks import hodges_lehmann, kth_difference

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ranks():
    return (pd.read_csv(REF / "ranks_table.csv"),
            json.loads((REF / "ranks_reference.json").read_text()))


@pytest.mark.parametrize("key,alternative,alpha", [
    ("small", "two-sided", 0.05), ("small_greater", "greater", 0.05),
    ("small_90", "two-sided", 0.10),
])
def test_hodges_lehmann_exact_matches_r(ranks, key, alternative, alpha):
    # R 4.2.2: wilcox.test(y[t], y[c], conf.int = TRUE, exact = TRUE, ...) on the "small"
    # sample of reference/ranks_table.csv (30 vs 25, no ties; reference/ranks_reference.R):
    # estimate and interval; tolerance 1e-12 (they are pairwise differences of the data)
    table, ref = ranks
    r = mann_whitney(table[table["sample"] == "small"], "y", control="c",
                     alternative=alternative, alpha=alpha).get(effect_type="shift")
    assert "exact" in r.method
    assert r.effect == pytest.approx(ref[key]["estimate"], abs=1e-12)
    lo, hi = ref[key]["ci"]
    assert r.ci_low == pytest.approx(lo, abs=1e-12)
    assert (r.ci_high == math.inf) if hi == math.inf else r.ci_high == pytest.approx(hi,
                                                                                      abs=1e-12)


def test_hodges_lehmann_normal_matches_r_to_its_root_tolerance(ranks):
    # R 4.2.2: wilcox.test(..., conf.int = TRUE, exact = FALSE) on the "large" sample (200 vs
    # 180, ties on a 0.1 grid) inverts the normal statistic with uniroot(tol = 1e-4); ours are
    # the order statistics of the differences: equal within R's root tolerance, 1e-4
    table, ref = ranks
    r = mann_whitney(table[table["sample"] == "large"], "y", control="c").get(
        effect_type="shift")
    assert "normal" in r.method
    assert r.effect == pytest.approx(ref["large"]["estimate"], abs=1e-4)
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(ref["large"]["ci"]), abs=1e-4)
    # the interval ends are order statistics k and mn + 1 - k of the differences (brute force)
    g = table[table["sample"] == "large"]
    x, y = g.loc[g.variant == "c", "y"].to_numpy(), g.loc[g.variant == "t", "y"].to_numpy()
    d = np.sort(np.subtract.outer(y, x).ravel())
    k = r.details["k"]
    assert (r.ci_low, r.ci_high) == (d[k - 1], d[len(d) - k])
    assert r.effect == np.median(d)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=1, max_size=25),
       st.lists(st.integers(-20, 20), min_size=1, max_size=25), st.data())
def test_kth_difference_equals_brute_force(a, b, data):
    x = np.array(a, dtype=float) / 10
    y = np.array(b, dtype=float) / 10
    d = np.sort(np.subtract.outer(y, x).ravel())
    k = data.draw(st.integers(1, len(d)))
    assert kth_difference(x, y, k) == d[k - 1]
    # the bisection used for large tables (forced here) finds the same difference
    assert kth_difference(x, y, k, brute_force_max=0) == d[k - 1]


def test_hodges_lehmann_coverage():
    # 400 samples of 40 vs 40 normal values with a true shift of 0.5 (exact method) and 300 vs
    # 300 exponential values shifted by 0.5 (normal method; ties are covered by the R test,
    # since on a lattice the shift itself is a tied difference and coverage jumps): coverage of the 95% interval within 3.5 Monte-Carlo SE of 95%
    # (the exact interval is conservative by construction: at least 95%)
    rng = np.random.default_rng(8)
    hits_exact, hits_normal = [], []
    for _ in range(400):
        x, y = rng.standard_normal(40), rng.standard_normal(40) + 0.5
        r = hodges_lehmann(y, x)
        hits_exact.append(r.ci_low <= 0.5 <= r.ci_high)
        x2 = rng.exponential(1, 300)
        y2 = rng.exponential(1, 300) + 0.5
        r2 = hodges_lehmann(y2, x2)
        assert r2.method == "normal"
        hits_normal.append(r2.ci_low <= 0.5 <= r2.ci_high)
    se = math.sqrt(0.05 * 0.95 / 400)
    assert np.mean(hits_exact) >= 0.95 - 3.5 * se
    assert abs(np.mean(hits_normal) - 0.95) < 3.5 * se


def _two_groups(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.lognormal(1, 0.8, 40), rng.lognormal(1.2, 1.0, 55)
    return pd.DataFrame({"variant": ["c"] * 40 + ["t"] * 55, "y": np.r_[a, b]}), a, b


def test_bca_relative_lift_matches_scipy_and_its_pvalue_inverts_the_interval():
    t, a, b = _two_groups(2)
    r = bootstrap_means(t, "y", control="c", n_boot=1999, random_state=5, relative=True)
    rel = r.get(effect_type="relative")
    # scipy.stats.bootstrap(method="BCa") with the same generator, drawn after the
    # difference's resamples: identical interval (tolerance 1e-12)
    g = np.random.default_rng(5)
    sps.bootstrap((b, a), lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
                  n_resamples=1999, method="BCa", random_state=g, batch=200)
    ref = sps.bootstrap((b, a), lambda x, y, axis=-1: x.mean(axis) / y.mean(axis) - 1,
                        n_resamples=1999, method="BCa", random_state=g, batch=200)
    assert (rel.ci_low, rel.ci_high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12)
    assert rel.effect == pytest.approx(b.mean() / a.mean() - 1, rel=1e-12)
    # the p-value is the level at which scipy's BCa interval (same resamples) ends at 0
    # (tolerance: the bootstrap distribution's spacing near 0)
    at_p = sps.bootstrap((b, a), lambda x, y, axis=-1: x.mean(axis) / y.mean(axis) - 1,
                         n_resamples=0, method="BCa", confidence_level=1 - rel.pvalue,
                         bootstrap_result=ref)
    assert at_p.confidence_interval.low == pytest.approx(0.0, abs=5e-3)
    # the difference is unchanged by asking for the lift
    plain = bootstrap_means(t, "y", control="c", n_boot=1999, random_state=5)
    assert plain.primary.to_dict() == r.get(effect_type="difference").to_dict()


def test_bca_relative_lift_coverage():
    # 300 experiments of 2 x 200 log-normal customers, true lift exp(0.2) - 1: the 95% BCa
    # interval covers it within 3.5 Monte-Carlo SE of 95%
    rng = np.random.default_rng(9)
    hits = []
    truth = math.exp(0.2) - 1
    for _ in range(300):
        c, t = rng.lognormal(0, 0.8, 200), rng.lognormal(0.2, 0.8, 200)
        tab = pd.DataFrame({"variant": ["c"] * 200 + ["t"] * 200, "y": np.r_[c, t]})
        r = bootstrap_means(tab, "y", control="c", n_boot=499, relative=True,
                            random_state=rng).get(effect_type="relative")
        hits.append(r.ci_low <= truth <= r.ci_high)
    assert abs(np.mean(hits) - 0.95) < 3.5 * math.sqrt(0.05 * 0.95 / 300)


@pytest.mark.parametrize("arm, control, kwargs, words", [
    # found by the fuzz suite: empty groups escaped as a ValueError of kth_difference
    ([], [1.0, 2.0], {}, "arm needs a 1-d array of at least one value"),
    ([1.0, 2.0], [], {}, "control needs a 1-d array of at least one value"),
    ([1.0, np.nan], [1.0, 2.0], {}, "arm has 1 missing or infinite values"),
    ([1.0, 2.0], [np.inf, 2.0], {}, "control has 1 missing or infinite values"),
    ("ab", [1.0], {}, "arm must be numbers"),
    ([1.0, 2.0], [0.0, 3.0], {"alternative": "both"}, "alternative == 'both'"),
    ([1.0, 2.0], [0.0, 3.0], {"method": "bootstrap"}, "method == 'bootstrap'"),
    ([1.0, 2.0], [0.0, 3.0], {"alpha": 0.0}, "alpha == 0.0"),
])
def test_hodges_lehmann_refuses_bad_input_in_our_words(arm, control, kwargs, words):
    from cjmodels.errors import ValidationError

    with pytest.raises(ValidationError, match=words):
        hodges_lehmann(arm, control, **kwargs)


def test_bootstrap_means_of_huge_values_without_overflow():
    """BCa's jackknife cubes deviations (found by the fuzz suite: values near 1e308 overflowed
    in numpy's mean, values near 1e120 in scipy's cubes). Huge values are bootstrapped scaled by
    a power of two, so the interval is exactly the scaled one; squares beyond the float range
    are refused in our words, as analyze does."""
    import warnings

    from cjmodels.errors import ValidationError

    t = pd.DataFrame({"variant": list("AAAABBBB"),
                      "value": [1e120, 2e120, 0, 5, 1, 3e120, 2, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = bootstrap_means(t, "value", control="A", n_boot=99, random_state=0).comparisons[0]
        small = bootstrap_means(t.assign(value=t["value"] / 2.0**300), "value", control="A",
                                n_boot=99, random_state=0).comparisons[0]
    assert big.ci_low == small.ci_low * 2.0**300 and big.ci_high == small.ci_high * 2.0**300
    assert big.pvalue == small.pvalue
    with pytest.raises(ValidationError, match="column 'value' is too large"):
        bootstrap_means(t.assign(value=[1.7e308, 1, 2, 3, 4, 5, 6, 7]), "value", control="A",
                        n_boot=99, random_state=0)


def test_hodges_lehmann_refuses_differences_beyond_the_float_range():
    """1.7e308 against -1.7e308 gave an infinite estimate (found by the fuzz suite)."""
    from cjmodels.errors import ValidationError

    with pytest.raises(ValidationError, match="differences arm - control leave the float range"):
        hodges_lehmann([1.7e308, 1.0], [-1.7e308, 0.0])
