"""Power and sample size against Fleiss / R power.prop.test, statsmodels and simulation."""

from __future__ import annotations

import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import power_proportions_2indep

from cjmodels.errors import ValidationError
from cjmodels.experiments import (
    duration,
    group_sequential,
    mde_means,
    mde_proportions,
    power_means,
    power_proportions,
    power_simulation,
    sample_size_means,
    sample_size_proportions,
)


def test_pooled_sample_size_reference():
    # Fleiss (pooled variance under the null); R: power.prop.test(p1 = .10, p2 = .12,
    # power = .8) -> n = 3840.847 per group (issue 5: 3,840.85); tol 0.01
    r = sample_size_proportions(0.10, 0.12)
    assert r.n_control == pytest.approx(3840.85, abs=0.01)
    assert r.n_total == pytest.approx(2 * r.n_control)
    # statsmodels power_proportions_2indep(0.02, 0.10, 3840.85) (pooled null, unpooled
    # alternative, both tails) = 0.80000121
    assert power_proportions(0.10, 0.12, 3840.85).power == pytest.approx(0.8000012082, abs=1e-9)
    # unequal allocation: statsmodels' nobs1 is the arm with p = 0.12 (2,000), its control has
    # ratio * nobs1 = 3,000
    sm = power_proportions_2indep(0.02, 0.10, 2000, ratio=1.5, return_results=True).power
    ours = power_proportions(0.10, 0.12, 3000, ratio=2000 / 3000).power
    assert ours == pytest.approx(sm, abs=1e-12)


def test_sample_size_and_power_match_r():
    # R 4.2.2 (reference/sequential_power_reference.R), tolerance 1e-6 absolute:
    # power.prop.test(p1 = .10, p2 = .12, power = .8)$n = 3840.847;
    # power.prop.test(p1 = .10, p2 = .13, power = .9, sig.level = .01)$n = 3362.749;
    # power.prop.test(p1 = .10, p2 = .12, power = .8, alternative = "one.sided")$n = 3025.315;
    # power.prop.test(p1 = .10, p2 = .12, n = 3000, strict = TRUE)$power (both tails) = 0.69705
    import json
    from pathlib import Path

    ref = json.loads((Path(__file__).parent / "reference" / "sequential_power_reference.json")
                     .read_text())
    assert sample_size_proportions(0.10, 0.12).n_control == pytest.approx(ref["n_10_12"],
                                                                         abs=1e-6)
    assert sample_size_proportions(0.10, 0.13, power=0.9, alpha=0.01).n_control == (
        pytest.approx(ref["n_10_13_90"], abs=1e-6))
    assert sample_size_proportions(0.10, 0.12, alternative="greater").n_control == (
        pytest.approx(ref["n_one_sided"], abs=1e-6))
    assert power_proportions(0.10, 0.12, 3000).power == pytest.approx(
        ref["power_10_12_n3000"], abs=1e-9)


def test_variance_options_reproduce_peers():
    # control variance for both arms, as spotify-confidence and tea-tasting: 3,532 (issue 5)
    assert sample_size_proportions(0.10, 0.12, variance="control").n_control == pytest.approx(
        3532.0, abs=0.5)
    # unpooled: (z_.975 + z_.8)^2 (.09 + .1056) / .02^2 = 3838.10
    assert sample_size_proportions(0.10, 0.12, variance="unpooled").n_control == pytest.approx(
        7.848879734349 * 0.1956 / 0.0004, rel=1e-9)
    assert sample_size_proportions(0.10, mde=0.2, relative=True).n_control == pytest.approx(
        3840.85, abs=0.01)


def test_means_match_statsmodels():
    # statsmodels NormalIndPower().solve_power(effect_size=0.1, power=0.8, alpha=0.05) =
    # 1569.772 counts the far tail of the two-sided test; the closed form (z_a + z_b)^2 2 / d^2
    # = 1569.776 ignores it (as Fleiss and R do): tolerance 1e-5 relative
    ref = NormalIndPower().solve_power(effect_size=0.1, power=0.8, alpha=0.05)
    assert sample_size_means(1.0, 0.1).n_control == pytest.approx(ref, rel=1e-5)
    assert power_means(1.0, 0.1, ref).power == pytest.approx(0.8, abs=1e-6)
    assert mde_means(1.0, ref).effect == pytest.approx(0.1, rel=1e-5)
    # CUPED: variance times (1 - rho^2)
    plain = sample_size_means(1.0, 0.1).n_control
    assert sample_size_means(1.0, 0.1, variance_reduction=0.36).n_control == pytest.approx(
        0.64 * plain, rel=1e-12)


def test_multi_arm_sequential_duration():
    two = sample_size_proportions(0.10, 0.12)
    three = sample_size_proportions(0.10, 0.12, n_arms=3)
    assert three.alpha_per_comparison == 0.025 and three.n_control > two.n_control
    assert three.n_total == pytest.approx(3 * three.n_control)
    gs = sample_size_proportions(0.10, 0.12, design=group_sequential(3, kind="pocock"))
    # Jennison & Turnbull (2000) Table 2.2: Pocock K=3, alpha .05, power .8: R = 1.166
    assert gs.n_control / two.n_control == pytest.approx(1.166, abs=0.001)
    assert duration(two, 500) == pytest.approx(2 * 3840.847 / 500, abs=1e-3)
    assert mde_proportions(0.10, 3840.847).effect == pytest.approx(0.02, abs=1e-6)


def test_power_by_simulation_agrees_with_formula():
    r = power_simulation(0.10, 0.12, 3841, n_simulations=20000, random_state=3)
    assert abs(r.simulated - r.formula) < 3 * r.mc_se


def test_bad_input():
    with pytest.raises(ValidationError, match="power == 1.2"):
        sample_size_proportions(0.1, 0.12, power=1.2)
    with pytest.raises(ValidationError, match="alpha == 0"):
        sample_size_proportions(0.1, 0.12, alpha=0)
    with pytest.raises(ValidationError, match="exactly one"):
        sample_size_proportions(0.1)
    with pytest.raises(ValidationError, match="outside"):
        sample_size_proportions(0.9, mde=0.5, relative=True)
    with pytest.raises(ValidationError, match="sequential design has alpha"):
        sample_size_proportions(0.1, 0.12, design=group_sequential(3, alpha=0.1))


def test_unit_sd_matches_the_test_that_will_be_run():
    import numpy as np
    import pandas as pd

    from cjmodels.experiments import compare_ratios, sufficient_stats, unit_sd

    rng = np.random.default_rng(9)
    n = 4000
    t = pd.DataFrame({"variant": np.repeat(["c", "t"], n // 2),
                      "s": rng.poisson(3, n) + 1.0, "x": rng.normal(0, 1, n)})
    t["rev"] = t["s"] * rng.exponential(2, n) + t["x"]
    st = sufficient_stats(t, ["rev", "s", "x"])
    # per-unit sd of the ratio's linearisation: sd / sqrt(n_c) is the test's control SE
    r = compare_ratios(t, "rev", "s", control="c")
    se_c = r.info["arms"]["c"]["se"]
    assert unit_sd(st, "rev", arm="c", denominator="s") / np.sqrt(n // 2) == pytest.approx(
        se_c, rel=1e-12)
    rc = compare_ratios(t, "rev", "s", control="c", covariates="x")
    assert unit_sd(st, "rev", arm="c", denominator="s", covariates=["x"]) / np.sqrt(
        n // 2) == pytest.approx(rc.info["arms"]["c"]["se"], rel=1e-12)
