"""Sufficient statistics: raw tables and aggregates give the same statistics; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.errors import ValidationError
from cjmodels.experiments import SufficientStats, compare_means, sufficient_stats


def _table(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    return pd.DataFrame({
        "variant": rng.choice(["control", "b", "c"], n),
        "y": rng.normal(10, 3, n),
        "x": rng.normal(5, 1, n),
        "converted": rng.integers(0, 2, n),
    })


def test_moments_match_pandas():
    t = _table(np.random.default_rng(1))
    s = sufficient_stats(t, ["y", "x", "converted"])
    g = t.groupby("variant")
    np.testing.assert_allclose(s.mean("y"), g["y"].mean().loc[list(s.arms)], rtol=1e-12)
    np.testing.assert_allclose(s.var("y"), g["y"].var().loc[list(s.arms)], rtol=1e-10)
    cov = [np.cov(t.loc[t.variant == a, "y"], t.loc[t.variant == a, "x"])[0, 1] for a in s.arms]
    np.testing.assert_allclose(s.cov("y", "x"), cov, rtol=1e-10)
    assert s.arms == ("b", "c", "control")  # sorted: no dependence on row order


def test_round_trips_and_aggregated_input_give_same_answer():
    t = _table(np.random.default_rng(2))
    s = sufficient_stats(t, ["y", "x"])
    assert SufficientStats.from_frame(s.to_frame()) == s
    m = SufficientStats.from_moments(
        s.n, {"y": s.mean("y"), "x": s.mean("x")}, {"y": s.var("y"), "x": s.var("x")},
        {("y", "x"): s.cov("y", "x")}, arms=s.arms,
    )
    r_table = compare_means(t, "y", control="control", covariates="x")
    r_stats = compare_means(m, "y", control="control", covariates="x")
    for a, b in zip(r_table.comparisons, r_stats.comparisons, strict=True):
        assert a.effect == pytest.approx(b.effect, rel=1e-10)
        assert a.pvalue == pytest.approx(b.pvalue, rel=1e-8)
        assert a.ci_low == pytest.approx(b.ci_low, rel=1e-8)


def test_chunks_add_up():
    t = _table(np.random.default_rng(3), 300)
    whole = sufficient_stats(t, ["y", "x"])
    parts = sufficient_stats(t.iloc[:100], ["y", "x"]) + sufficient_stats(t.iloc[100:], ["y", "x"])
    _assert_close(parts, whole)


def _assert_close(a, b):
    # equal up to rounding (== compares the content exactly)
    assert a.arms == b.arms and a.columns == b.columns
    np.testing.assert_array_equal(a.n, b.n)
    np.testing.assert_allclose(a.sums, b.sums, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.cross, b.cross, rtol=1e-12, atol=0)


def test_segments():
    t = _table(np.random.default_rng(4), 400).assign(seg=lambda d: np.where(d.x > 5, "hi", "lo"))
    by = sufficient_stats(t, "y", group="seg")
    assert set(by) == {"hi", "lo"}
    total = by["hi"] + by["lo"]
    _assert_close(total, sufficient_stats(t, "y"))


@given(st.integers(0, 10_000))
def test_invariant_to_row_order_and_relabelled_customers(seed):
    rng = np.random.default_rng(seed)
    t = _table(rng, 60)
    s1 = sufficient_stats(t, ["y", "x"])
    s2 = sufficient_stats(t.sample(frac=1, random_state=seed).reset_index(drop=True), ["y", "x"])
    assert s1.arms == s2.arms
    np.testing.assert_allclose(s1.sums, s2.sums, rtol=1e-12)
    np.testing.assert_allclose(s1.cross, s2.cross, rtol=1e-12)


def test_bad_input():
    t = _table(np.random.default_rng(5), 50)
    with pytest.raises(ValidationError, match="only one arm"):
        sufficient_stats(t.assign(variant="a"), "y")
    with pytest.raises(ValidationError, match="not among the declared arms"):
        sufficient_stats(t, "y", arms=["control", "b"])
    with pytest.raises(ValidationError, match="zero customers"):
        sufficient_stats(t, "y", arms=["control", "b", "c", "d"])
    with pytest.raises(ValidationError, match="must be numeric"):
        sufficient_stats(t.assign(y="a"), "y")
    with pytest.raises(ValidationError, match="missing or infinite values at rows \\[3\\]"):
        sufficient_stats(t.assign(y=np.where(np.arange(50) == 3, np.nan, t.y)), "y")
    with pytest.raises(ValidationError, match="variant column 'arm'"):
        sufficient_stats(t, "y", variant="arm")
    with pytest.raises(ValidationError, match="negative counts"):
        SufficientStats.from_counts([-1, 5], [10, 10], arms=["a", "b"])
    with pytest.raises(ValidationError, match="exceed"):
        SufficientStats.from_counts([11, 5], [10, 10], arms=["a", "b"])
    with pytest.raises(ValidationError, match="missing at rows"):
        sufficient_stats(t.assign(variant=t.variant.where(t.index != 2)), "y")
