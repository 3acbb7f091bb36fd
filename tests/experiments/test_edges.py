"""Experiments at the edges (issue 15): only our exceptions, labels kept exactly, nothing
silently changed, no numpy warning. Each test names the fuzz finding it guards
(/tmp/fuzz_findings.md, found by tests/fuzz/test_experiments.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cjmodels import experiments as ex
from cjmodels.errors import ValidationError


@pytest.fixture(autouse=True)
def _numpy_warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# --------------------------------------------------------------------------- finding 4
def test_winsorize_empty_table_is_refused():
    empty = pd.DataFrame({"variant": pd.Series([], dtype=object),
                          "value": pd.Series([], dtype=float)})
    with pytest.raises(ValidationError, match="no rows"):
        ex.winsorize(empty, "value")


def test_winsorize_lower_above_upper_is_refused():
    t = pd.DataFrame({"variant": ["a", "b"], "value": [1.0, 2.0]})
    with pytest.raises(ValidationError, match="lower quantile must be below"):
        ex.winsorize(t, "value", lower=0.9, upper=0.5)


def test_missing_indicator_never_overwrites_a_column():
    t = pd.DataFrame({"pre": [1.0, None], "pre_missing": [5.0, 6.0]})
    with pytest.raises(ValidationError, match="already has a column 'pre_missing'"):
        ex.with_missing_indicator(t, "pre")
    with pytest.raises(ValidationError, match="not numbers"):
        ex.with_missing_indicator(pd.DataFrame({"pre": ["x", None]}), "pre")


# --------------------------------------------------------------------------- finding 7
def test_values_whose_squares_overflow_are_refused_naming_the_column():
    t = pd.DataFrame({"variant": ["A", "A", "B", "B"], "value": [1e300, 0.0, 1e300, 1.0]})
    with pytest.raises(ValidationError, match="column 'value' is too large.*Rescale"):
        ex.compare_means(t, "value", control="A")
    with pytest.raises(ValidationError, match="column 'value' is too large"):
        ex.sufficient_stats(t, "value")
    with pytest.raises(ValidationError, match="column 'value' is too large"):
        ex.analyze(t, control="A", metrics="value")


def test_large_but_representable_values_give_a_finite_welch_test():
    # variances near 1e200: the Welch-Satterthwaite df must not square them
    t = pd.DataFrame({"variant": ["A"] * 3 + ["B"] * 3,
                      "value": [1e100, 2e100, 4e100, 1e100, 3e100, 6e100]})
    r = ex.compare_means(t, "value", control="A")
    scaled = ex.compare_means(t.assign(value=t["value"] / 1e100), "value", control="A")
    assert r.primary.details["df"] == pytest.approx(scaled.primary.details["df"], rel=1e-12)
    assert r.pvalue == pytest.approx(scaled.pvalue, rel=1e-12)


# --------------------------------------------------------------------------- finding 8
def test_arm_labels_one_and_text_one_are_refused_not_merged():
    t = pd.DataFrame({"variant": [1, "1", 2, 2], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValidationError, match=r"mixes types \['int', 'str'\].*astype\(str\)"):
        ex.sufficient_stats(t, "y")
    with pytest.raises(ValidationError, match="mixes types"):
        ex.compare_means(t, "y", control="1")


def test_arm_labels_are_their_str_as_in_the_data_layer():
    t = pd.DataFrame({"variant": [0, 1, 0, 1], "y": [1.0, 2.0, 3.0, 5.0]})
    assert ex.sufficient_stats(t, "y").arms == ("0", "1")
    # whole floats are integer labels (pandas' float form of an integer column with a gap)
    t_float = t.assign(variant=[0.0, 1.0, 0.0, 1.0])
    assert ex.sufficient_stats(t_float, "y").arms == ("0", "1")
    t_half = t.assign(variant=[0.5, 1.0, 0.5, 1.0])
    assert ex.sufficient_stats(t_half, "y").arms == ("0.5", "1.0")
    # blanks are part of a label
    t_blank = t.assign(variant=["a", "a ", "a", "a "])
    assert ex.sufficient_stats(t_blank, "y").arms == ("a", "a ")


# --------------------------------------------------------------------------- finding 6
def test_cumulative_effects_without_variation_says_why_values_are_undefined():
    t = pd.DataFrame({"variant": ["A", "B", "A", "B"], "converted": [0, 0, 0, 0],
                      "assigned_at": [0, 1, 2, 3]})
    with pytest.warns(UserWarning, match="does not vary"):
        out = ex.cumulative_effects(t, "converted", control="A", looks=1)
    assert out["effect"].tolist() == [0.0]
    assert out["z"].isna().all() and out["information"].isna().all()
    assert "undefined" in out.attrs["notes"][0]


def test_cumulative_effects_early_look_without_variation():
    t = pd.DataFrame({"variant": ["A", "B"] * 4, "y": [0, 0, 0, 0, 1, 0, 3, 2.0],
                      "assigned_at": np.arange(8)})
    with pytest.warns(UserWarning, match=r"up to looks \[1\]"):
        out = ex.cumulative_effects(t, "y", control="A", looks=2)
    assert np.isnan(out["z"].iloc[0]) and np.isfinite(out["z"].iloc[1])
    assert out["information"].iloc[1] == 1.0


def test_cumulative_effects_ties_in_time_never_split_by_row_order():
    t = pd.DataFrame({"variant": ["A", "B"] * 6, "y": np.arange(12.0),
                      "assigned_at": [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2]})
    a = ex.cumulative_effects(t, "y", control="A", looks=3)
    for seed in range(5):
        b = ex.cumulative_effects(t.sample(frac=1, random_state=seed), "y", control="A",
                                  looks=3)
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    assert a["n_control"].tolist() == [2, 5, 6]


def test_cumulative_effects_stable_for_a_large_mean():
    # a large common offset must not change the variance (centred before squaring)
    rng = np.random.default_rng(0)
    y = rng.normal(size=40)
    t = pd.DataFrame({"variant": ["A", "B"] * 20, "y": y, "assigned_at": np.arange(40)})
    a = ex.cumulative_effects(t, "y", control="A", looks=2)
    b = ex.cumulative_effects(t.assign(y=y + 1e9), "y", control="A", looks=2)
    np.testing.assert_allclose(a["variance"], b["variance"], rtol=1e-6)


def test_cumulative_effects_refuses_bad_time_columns():
    t = pd.DataFrame({"variant": ["A", "B"] * 2, "y": [1.0, 2.0, 3.0, 4.0],
                      "assigned_at": [0.0, np.nan, 1.0, 2.0]})
    with pytest.raises(ValidationError, match="time column 'assigned_at' is missing"):
        ex.cumulative_effects(t, "y", control="A")
    with pytest.raises(ValidationError, match="numbers or timestamps"):
        ex.cumulative_effects(t.assign(assigned_at=["x", "y", "z", "w"]), "y", control="A")
    with pytest.raises(ValidationError, match="DataFrame"):
        ex.cumulative_effects([1, 2], "y", control="A")


# --------------------------------------------------------------------------- constant metric
def _segmented():
    return pd.DataFrame({"variant": ["A", "B"] * 6,
                         "converted": [0, 0, 1, 0, 0, 1] + [0] * 6,
                         "value": [0, 0, 1.0, 0, 0, 2] + [3.0] * 6,
                         "seg": ["x"] * 6 + ["y"] * 6})


def test_analyze_reports_a_metric_constant_in_one_segment_as_untested():
    r = ex.analyze(_segmented(), control="A", metrics=["converted", "value"], group="seg")
    untested = [c for c in r.comparisons if "not_tested" in c.details]
    assert sorted(c.metric for c in untested) == ["converted | seg=y", "value | seg=y"]
    assert all(np.isnan(c.pvalue) and np.isnan(c.pvalue_adjusted) for c in untested)
    assert [c.effect for c in untested] == [0.0, 0.0]
    # the others are tested and adjusted over a family of 4
    tested = [c for c in r.comparisons if c.effect_type == "difference" and c not in untested]
    assert len(tested) == 4 and all(np.isfinite(c.pvalue_adjusted) for c in tested)
    notes = " ".join(r.tests.notes)
    assert "value | seg=y B vs A: not tested" in notes and "family of 4" in notes
    import json
    json.dumps(r.to_dict(), allow_nan=False)


def test_a_metric_constant_everywhere_is_reported_with_nothing_adjusted():
    t = pd.DataFrame({"variant": ["A", "B"] * 3, "converted": [0] * 6})
    r = ex.analyze(t, control="A")
    assert np.isnan(r.tests.pvalue) and "nothing was adjusted" in " ".join(r.tests.notes)


def test_single_tests_still_refuse_a_metric_without_variation():
    t = _segmented().query("seg == 'y'")
    with pytest.raises(ValidationError, match="zero variance.*nothing to test"):
        ex.compare_means(t, "value", control="A")
    with pytest.raises(ValidationError, match="zero variance.*nothing to test"):
        ex.compare_proportions(t, "converted", control="A")


def test_cuped_on_a_metric_constant_in_two_arms_is_untested_not_a_division_by_zero():
    # found by the fuzz suite (explore profile): 'converted' is 1 in arm A and 0 in arm C, so
    # its raw variance is 0 there, while the slope pooled over arm B makes the adjusted one > 0
    t = pd.DataFrame({"variant": ["A", "B", "B", "A", "C", "B", "C", "A", "B", "B"],
                      "converted": [1, 1, 0, 1, 0, 1, 0, 1, 0, 0],
                      "pre": [0.0, 2.5, 1e-300, 2.5, 1e-300, 2.5, 0.0, 1e-300, 1e-300, 2.5]})
    with pytest.raises(ValidationError, match="zero variance in arms 'A' and 'C'"):
        ex.compare_means(t, "converted", control="A", covariates="pre")
    r = ex.analyze(t, control="A", metrics="converted", covariates="pre")
    c = r.tests.get(arm="C", effect_type="difference")
    assert "not_tested" in c.details and c.effect == -1.0
    assert np.isfinite(r.tests.get(arm="B", effect_type="difference").pvalue)
