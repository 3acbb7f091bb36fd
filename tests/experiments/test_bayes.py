"""Beta-binomial summaries: exact P(B > A) and expected loss against quadrature and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps

from cjmodels.errors import ValidationError
from cjmodels.experiments import SufficientStats, beta_binomial, expected_loss, prob_beats

COUNTS = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})


def _quad(ac, bc, aa, ba):
    fa, fc = sps.beta(aa, ba), sps.beta(ac, bc)
    return integrate.quad(lambda p: fa.pdf(p) * fc.cdf(p), 0, 1, limit=500,
                          points=[fa.mean()], epsabs=1e-13)[0]


def test_prob_beats_reference():
    # issue 5: exact P(B > A) = 0.9914228 under Beta(1, 1) priors; scipy.integrate.quad of
    # f_B(p) F_A(p) gives 0.99142277511; tolerance 1e-9
    r = beta_binomial(COUNTS, control="A")
    assert r.prob_beats_control("B") == pytest.approx(0.9914228, abs=5e-8)
    assert r.prob_beats_control("B") == pytest.approx(_quad(201, 9801, 251, 9751), abs=1e-9)


@pytest.mark.parametrize("params", [(3, 4, 1, 1), (3, 4, 2, 9), (12.5, 30, 7, 2),
                                    (1, 1, 50, 60)])
def test_prob_beats_matches_quadrature(params):
    assert prob_beats(*params) == pytest.approx(_quad(*params), abs=1e-9)
    assert prob_beats(*params) + prob_beats(params[2], params[3], params[0], params[1]) == \
        pytest.approx(1.0, abs=1e-9)


def test_vectorised():
    a = np.array([201.0, 3.0])
    b = np.array([9801.0, 4.0])
    out = prob_beats(a, b, np.array([251.0, 2.0]), np.array([9751.0, 9.0]))
    np.testing.assert_allclose(out, [prob_beats(201, 9801, 251, 9751), prob_beats(3, 4, 2, 9)],
                               rtol=1e-12)


def test_expected_loss_and_interval_against_monte_carlo():
    loss = expected_loss(201, 9801, 251, 9751)
    la, lc = loss.arm, loss.control
    # identity: loss(arm) - loss(control) = E[p_c] - E[p_a]
    assert la - lc == pytest.approx(201 / 10002 - 251 / 10002, abs=1e-12)
    rng = np.random.default_rng(0)
    pa, pb = rng.beta(201, 9801, 1_000_000), rng.beta(251, 9751, 1_000_000)
    # Monte Carlo check only (1e6 draws): loss within 3e-7, interval ends within 5e-5
    assert la == pytest.approx(np.maximum(pa - pb, 0).mean(), abs=3e-7)
    r = beta_binomial(COUNTS, control="A")
    lo, hi = np.quantile(pb - pa, [0.025, 0.975])
    assert r.comparisons.loc["B", "diff_low"] == pytest.approx(lo, abs=5e-5)
    assert r.comparisons.loc["B", "diff_high"] == pytest.approx(hi, abs=5e-5)
    # per-arm credible intervals are Beta quantiles
    assert r.arms.loc["A", "ci_low"] == pytest.approx(sps.beta.ppf(0.025, 201, 9801))


def test_bad_input():
    with pytest.raises(ValidationError, match="prior"):
        beta_binomial(COUNTS, control="A", prior=(0, 1))
    with pytest.raises(ValidationError, match="positive"):
        prob_beats(0, 1, 1, 1)


def test_difference_interval_with_no_conversions_in_either_arm_is_quiet():
    # found by the long fuzz run: with zero conversions the control's density has a spike near
    # 0 that quad could not resolve (IntegrationWarning); over the control's quantiles the
    # integrand is bounded. Checked against a Monte Carlo draw of the two posteriors.
    import warnings

    from scipy import stats

    from cjmodels.experiments.bayes import _diff_interval

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = _diff_interval(1, 6, 1, 5, 0.95)  # Beta(1, 1) prior, 0 of 5 and 0 of 4
    rng = np.random.default_rng(3)
    d = stats.beta(1, 5).rvs(400_000, random_state=rng) - stats.beta(1, 6).rvs(
        400_000, random_state=rng)
    assert lo == pytest.approx(np.quantile(d, 0.025), abs=3e-3)
    assert hi == pytest.approx(np.quantile(d, 0.975), abs=3e-3)


@pytest.mark.parametrize("args, words", [
    # found by the fuzz suite: zero parameters gave NaN with numpy's divide warning
    ((0, 0, 0, 0), "a_control == 0: Beta parameters must be > 0 and at most 1e300"),
    ((1, 1, 1.7e308, 1.7e308), "a_arm == 1.7e\\+308: Beta parameters must be > 0"),
    ((1, 1, 1, -2), "b_arm == -2: Beta parameters must be > 0 and at most 1e300"),
    ((1, np.inf, 1, 1), "b_control == inf"),
    ((None, 1, 1, 1), "a_control == None"),
    ((1, 1, "x", 1), "a_arm == 'x' is not a number"),
    (([1, 2], [1, 2, 3], 1, 1), "do not broadcast"),
])
def test_expected_loss_refuses_bad_parameters(args, words):
    with pytest.raises(ValidationError, match=words):
        expected_loss(*args)


def test_prob_beats_with_huge_whole_parameters_does_not_allocate_the_sum():
    """a_arm = 2.78e16 (a whole number) asked the closed-form sum for as many terms: a memory
    error (found by the fuzz suite). Beyond 10**7 the sum runs with the roles swapped, or both
    posteriors are taken as normals."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert prob_beats(201, 9801, 2.78e16, 1.0) == 1.0
        assert prob_beats(2.78e16, 1.0, 2.78e16, 1.0) == 0.5
        swapped = prob_beats(2.0e7 + 1, 1e9, 201, 9801)  # the sum of 201 terms; its mirror below
        assert swapped == pytest.approx(1 - prob_beats(201, 9801, 2.0e7 + 1, 1e9), abs=1e-12)  # swapped
        big = prob_beats(2.0e7, 8e8, 2.1e7, 8e8)  # normal: z about 15.4
        assert big == pytest.approx(1.0, abs=1e-12)
        r = expected_loss(2e7 + 0.5, 3e8, 2e7, 3e8)
        assert 0 < r.arm < 1e-4 and 0 < r.control < 1e-4


def test_expected_loss_near_the_float_range_is_finite():
    """Beta parameters near 1e300: the log-beta terms of the sum were not finite and the loss
    came back NaN (found by the fuzz suite). The far more precise posterior is a point at its
    mean there: keeping a Beta(2, 1.5) control against an arm at 1 loses 1 - 2/3.5."""
    r = expected_loss(2.0, 1.5, 1e300, 7.583577569275177e210)
    assert r.arm == 0.0 and r.control == pytest.approx(1 - 2 / 3.5, abs=1e-12)
    assert prob_beats(201, 9801, 2.0e7 + 1, 9.8e8 + 5) == pytest.approx(0.4817744, abs=1e-5)


def test_expected_loss_refuses_parameters_it_cannot_compute():
    """A subnormal b_control against an arm near the float range gave NaN losses (found by the
    fuzz suite): refused in our words."""
    with pytest.raises(ValidationError, match="cannot be computed for Beta parameters"):
        expected_loss(4.239025151522689e16, 2.2250738585e-313, 2.232909549623423e295, 0.5)
