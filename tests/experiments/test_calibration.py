"""Calibration by simulation: A/A type-I error and peeking (vectorised, seeded)."""

from __future__ import annotations

import pytest

from cjmodels.experiments import aa_simulation, peeking_simulation


def test_aa_fixed_horizon_tests_hold_alpha():
    t = aa_simulation(2000, n_simulations=20000, random_state=1)
    # within 3.5 Monte-Carlo standard errors of 0.05 ...
    for test in ("z-pooled", "z-unpooled", "chi2", "welch t (revenue)"):
        assert abs(t.loc[test, "z_vs_nominal"]) < 3.5, test
    # ... except Yates' correction, which is conservative by design (the peers' default)
    assert t.loc["chi2-yates", "rejection_rate"] < 0.05 - 2 * t.loc["chi2-yates", "mc_se"]


def test_peeking_inflates_and_sequential_procedures_hold():
    t = peeking_simulation(3000, looks=10, n_simulations=6000, random_state=2)
    naive = t.loc["nominal z at every look"]
    # theory (Armitage et al. 1969) 0.193 for 10 looks; binomial data, tolerance 0.02
    assert naive["theory"] == pytest.approx(0.193, abs=5e-4)
    assert naive["rejection_rate"] == pytest.approx(0.193, abs=0.02)
    for kind in ("obrien-fleming", "pocock", "spending-obf"):
        assert abs(t.loc[f"group sequential {kind}", "z_vs_nominal"]) < 3.5
    msprt_row = [i for i in t.index if i.startswith("mSPRT")][0]
    assert t.loc[msprt_row, "rejection_rate"] <= 0.05
    # stopping when P(B > A) > 0.95 at any look: far above its 5% fixed-horizon rate
    assert t.loc["Bayes P(B>A) > 0.95 at any look", "rejection_rate"] > 0.12
    assert abs(t.loc["Bayes P(B>A) > 0.95, last look only", "z_vs_nominal"]) < 3.5


@pytest.mark.slow
def test_peeking_large():
    t = peeking_simulation(5000, looks=10, n_simulations=100_000, random_state=3)
    assert t.loc["nominal z at every look", "rejection_rate"] == pytest.approx(0.193, abs=0.006)
    for kind in ("obrien-fleming", "pocock", "spending-obf"):
        assert abs(t.loc[f"group sequential {kind}", "z_vs_nominal"]) < 3.5


@pytest.mark.parametrize("p_control, p_arm, words", [
    # found by the fuzz suite: numpy's binomial raised ValueError or TypeError
    (-0.1, 0.1, "p_control == -0.1, must be >= 0"),
    (0.1, 1.5, "p_arm == 1.5, must be <= 1"),
    (None, 0.1, "p_control == None, must be of type float"),
    (0.1, float("nan"), "p_arm == nan, must not be NaN"),
])
def test_power_simulation_refuses_probabilities_outside_0_1(p_control, p_arm, words):
    from cjmodels.errors import ValidationError
    from cjmodels.experiments import power_simulation

    with pytest.raises(ValidationError, match=words):
        power_simulation(p_control, p_arm, 100, n_simulations=100, random_state=0)
