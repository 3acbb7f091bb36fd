"""Funnel tests between arms and the one-call analysis (SRM first, family adjustment)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import experiment_table
from cjmodels.errors import ValidationError
from cjmodels.experiments import (
    SampleRatioMismatchWarning,
    SufficientStats,
    analyze,
    compare_proportions,
    cumulative_effects,
    funnel_test,
    group_sequential,
    msprt,
    with_missing_indicator,
)
from cjmodels.synthetic import simulate_experiment

STAGES = ["visit", "cart", "checkout", "buy"]


def _funnel(rng, n, steps):
    depth = np.zeros(n, dtype=int)
    alive = np.ones(n, dtype=bool)
    for p in steps:
        alive &= rng.random(n) < p
        depth += alive
    return np.array(STAGES, dtype=object)[depth]


def test_funnel_counts_and_step_tests():
    rng = np.random.default_rng(0)
    t = pd.DataFrame({
        "variant": np.repeat(["A", "B"], 5000),
        "max_stage": np.r_[_funnel(rng, 5000, [0.4, 0.5, 0.6]),
                           _funnel(rng, 5000, [0.4, 0.6, 0.6])],
    })
    r = funnel_test(t, STAGES, control="A")
    funnel = pd.DataFrame(r.info["funnel"]).T
    reached_cart = (t.max_stage != "visit").groupby(t.variant).sum()
    assert funnel.loc["A", "cart"] == reached_cart["A"]
    # a step test is the two-proportion test on (reached next | reached this), user level
    ab = [int(funnel.loc[a, "checkout"]) for a in ("A", "B")]
    den = [int(funnel.loc[a, "cart"]) for a in ("A", "B")]
    ref = compare_proportions(SufficientStats.from_counts(ab, den, arms=["A", "B"]),
                              control="A", relative=None)
    step = r.get(metric="step: cart -> checkout")
    assert step.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    # only the changed step is detected (true difference 0.1 at cart -> checkout)
    assert step.pvalue_adjusted < 0.001
    assert r.get(metric="step: visit -> cart").pvalue_adjusted > 0.01
    assert r.get(metric="overall: visit -> buy").effect > 0


def test_funnel_test_refuses_stages_outside_the_funnel():
    with pytest.raises(ValidationError, match="not among the funnel stages"):
        funnel_test(pd.DataFrame({"variant": ["A", "B"], "max_stage": ["x", "visit"]}),
                    ["visit", "cart"], control="A")


def test_analyze_shipped_like_world():
    w = simulate_experiment(20000, random_state=8)
    t = with_missing_indicator(experiment_table(w.event_log()), "pre_value")
    t["sessions"] = 1.0 + t["pre_conversions"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SampleRatioMismatchWarning)
        r = analyze(t, control="control", metrics=["converted", "value"],
                    ratios={"value_per_session": ("value", "sessions")},
                    covariates=["pre_value", "pre_value_missing"])
    assert not r.srm_mismatch
    s = r.summary()
    assert set(s["metric"]) == {"converted", "value", "value_per_session"}
    assert s.loc[s.effect_type == "difference", "pvalue_adjusted"].notna().all()
    json.dumps(r.to_dict())
    truth = w.truth["effects"]["treatment"]["observed"]
    conv = r.tests.get(metric="converted", effect_type="difference")
    assert conv.ci_low < truth["conversion_diff"] < conv.ci_high


def test_analyze_flags_srm_loudly_and_segments():
    w = simulate_experiment(20000, srm=0.06, random_state=6)
    t = experiment_table(w.event_log())
    t["segment"] = np.where(t["has_pre"], "returning", "new")
    with pytest.warns(SampleRatioMismatchWarning):
        r = analyze(t, control="control", metrics=["converted"], group="segment")
    assert r.srm_mismatch and "SAMPLE RATIO MISMATCH" in r.tests.notes[0]
    assert r.tests.notes[0].startswith("SAMPLE RATIO MISMATCH")
    assert {c.metric for c in r.comparisons} == {
        "converted", "converted | segment=new", "converted | segment=returning"}


def test_cumulative_effects_feed_sequential_tests():
    w = simulate_experiment(20000, random_state=7)
    t = experiment_table(w.event_log())
    looks = cumulative_effects(t, "converted", control="control", looks=5)
    assert looks["n_control"].iloc[-1] + looks["n_arm"].iloc[-1] == len(t)
    last = compare_proportions(t, control="control", test="z-unpooled").primary
    # the last look is the whole table: Welch-type z (ddof 1) vs the unpooled z (ddof 0)
    assert looks["z"].iloc[-1] == pytest.approx(last.statistic, rel=2e-3)
    d = group_sequential(5)
    assert set(d.test(looks["z"].to_numpy()).to_dict()) >= {"reject", "stopped_at_look"}
    av = msprt(looks["effect"], looks["variance"], mde=0.01)
    assert len(av.summary()) == 5


def test_analyze_bad_input():
    t = pd.DataFrame({"variant": ["a", "b"] * 5, "converted": [0, 1] * 5})
    with pytest.raises(ValidationError, match="control 'c'"):
        analyze(t, control="c")
    with pytest.raises(ValidationError, match="correction"):
        analyze(t, control="a", correction="sidak")
