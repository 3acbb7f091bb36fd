"""sBG against Fader & Hardie (2007) and (2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.errors import ValidationError
from cjmodels.survival import ShiftedBetaGeometricModel
from cjmodels.synthetic import simulate_subscriptions

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
# Table 1 / Figure 1: survivors out of 1,000 at years 0-12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("counts", "alpha", "beta", "ll"),
    [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)],
)
def test_reproduces_fader_hardie_2007(counts, alpha, beta, ll):
    # Fitted on years 1-7 (survivors at 0..7); the paper's MLE: regular alpha 0.704, beta 1.182,
    # LL -1680.27; high end alpha 0.668, beta 3.806, LL -1611.16. Tolerance: half a unit in the
    # last published digit.
    m = ShiftedBetaGeometricModel().fit_survivors(counts[:8])
    assert m.result_.params["alpha"] == pytest.approx(alpha, abs=5e-4)
    assert m.result_.params["beta"] == pytest.approx(beta, abs=5e-4)
    assert m.result_.log_likelihood == pytest.approx(ll, abs=5e-3)
    # Projection to years 8-12 (the paper's Figure 3): within 5% of the actual survivors
    # (the paper's point: the sBG projection tracks the holdout closely).
    proj = m.project(12)["survivors"].to_numpy()
    np.testing.assert_allclose(proj[8:], counts[8:], rtol=0.05)


def test_survival_closed_form_and_retention():
    m = ShiftedBetaGeometricModel.from_params({"alpha": 0.704, "beta": 1.182})
    t = np.arange(1, 20)
    s = m.survival(np.r_[0, t])
    np.testing.assert_allclose(s[1:] / s[:-1], m.retention_rate(t), rtol=1e-12)
    assert np.all(np.diff(m.retention_rate(t)) > 0)  # retention rises with tenure


@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
def test_derl_equals_direct_sum(renewals):
    # Fader & Hardie (2010), Marketing Science 29(1), eq. (6) against the defining series
    # sum_{k>=0} S(n+1+k)/S(n) (1+d)^-k, summed directly to 20,000 terms; rtol 1e-8.
    m = ShiftedBetaGeometricModel.from_params({"alpha": 0.668, "beta": 3.806})
    d = 0.1
    s = m.survival(np.arange(renewals, renewals + 20_002))
    direct = np.sum(s[1:] / s[0] * np.exp(-np.arange(20_001) * np.log1p(d)))
    assert m.derl(d, renewals)[0] == pytest.approx(direct, rel=1e-8)


def test_derl_homogeneous_limit():
    # With no heterogeneity (alpha, beta -> inf, alpha/(alpha+beta) = theta) the customer renews
    # with probability 1 - theta: DERL = (1 - theta)(1 + d)/(d + theta).
    theta, d = 0.2, 0.1
    m = ShiftedBetaGeometricModel.from_params({"alpha": theta * 1e7, "beta": (1 - theta) * 1e7})
    assert m.derl(d)[0] == pytest.approx((1 - theta) * (1 + d) / (d + theta), rel=1e-5)


def test_per_customer_fit_equals_counts_fit():
    counts = REGULAR[:8]
    rows = []
    for t in range(1, 8):
        rows += [(t, 1)] * (counts[t - 1] - counts[t])
    rows += [(7, 0)] * counts[7]
    df = pd.DataFrame(rows, columns=["periods", "event"])
    a = ShiftedBetaGeometricModel().fit(df)
    b = ShiftedBetaGeometricModel().fit_survivors(counts)
    np.testing.assert_allclose(a.result_.params, b.result_.params, rtol=1e-6)


def test_recovers_synthetic_sbg_world():
    w = simulate_subscriptions(20_000, model="sbg", days=730, entry_days=1, random_state=3)
    c = w.customers
    periods = np.where(c["churned"], c["lifetime_periods"], c["duration_periods"])
    df = pd.DataFrame({"periods": periods, "event": c["churned"].astype(int)})
    m = ShiftedBetaGeometricModel().fit(df)
    for k in ("alpha", "beta"):
        assert abs(m.result_.params[k] - w.truth[k]) < 4 * m.result_.se[k]


def test_bad_input():
    with pytest.raises(ValidationError, match="must not increase"):
        ShiftedBetaGeometricModel().fit_survivors([1000, 600, 700])
    with pytest.raises(ValidationError, match="0 \\(active\\) or 1"):
        ShiftedBetaGeometricModel().fit(pd.DataFrame({"periods": [1, 2], "event": [1, 2]}))
    with pytest.raises(ValidationError, match=">= 1"):
        ShiftedBetaGeometricModel().fit(pd.DataFrame({"periods": [0, 2], "event": [1, 0]}))


def test_plot_returns_axis():
    import matplotlib

    matplotlib.use("Agg")
    m = ShiftedBetaGeometricModel().fit_survivors(REGULAR[:8])
    ax = m.plot(survivors=REGULAR)
    assert ax.get_xlabel() == "period"
