"""Shapley family: transforms against the definition, the within game equals linear-unique."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd
import pytest

from cjmodels.attribution import (
    ShapleyAttribution,
    attribute,
    ordered_shapley,
    shapley_from_values,
    zeta_transform,
)


def _brute_force_shapley(v, n):
    """The definition: average marginal contribution over all n! orders."""
    phi = np.zeros(n)
    for perm in itertools.permutations(range(n)):
        mask = 0
        for i in perm:
            phi[i] += v[mask | (1 << i)] - v[mask]
            mask |= 1 << i
    return phi / factorial(n)


def test_glove_game():
    # Glove game (Wikipedia, "Shapley value", glove game): player 1 holds a left glove, players
    # 2 and 3 right gloves; v(S) = 1 when S has a pair. Shapley value (2/3, 1/6, 1/6).
    v = np.zeros(8)
    for m in range(8):
        v[m] = float(bool(m & 1) and bool(m & 6))
    assert shapley_from_values(v) == pytest.approx([2 / 3, 1 / 6, 1 / 6], abs=1e-15)


def test_transform_matches_definition():
    rng = np.random.default_rng(3)
    v = rng.normal(size=2**5)
    v[0] = 0
    assert shapley_from_values(v) == pytest.approx(_brute_force_shapley(v, 5), abs=1e-12)
    f = rng.random(2**4)
    g = zeta_transform(f)
    for s in range(16):
        assert g[s] == pytest.approx(sum(f[t] for t in range(16) if t & ~s == 0))


def test_within_game_equals_linear_unique(ref_tables):
    # v(S) = conversions of journeys whose channel set lies within S is a sum of unanimity
    # games, so its Shapley value splits each conversion equally over the journey's channels.
    for name in ("random", "journeys"):
        sh = attribute(ref_tables[name], model="shapley").table
        lu = attribute(ref_tables[name], model="linear-unique").table
        np.testing.assert_allclose(sh["conversions"], lu["conversions"], atol=1e-9)
        np.testing.assert_allclose(sh["value"], lu["value"], atol=1e-7)
        assert sh["shapley_value"].sum() == pytest.approx(ref_tables[name].total_conversions.sum())


def test_zero_credit_for_channel_in_no_converting_path():
    pt = pd.DataFrame({"path": ["a > b", "c > b"], "total_conversions": [1, 0],
                       "total_null": [0, 1]})
    for vf in ("within", "rate"):
        assert attribute(pt, model="shapley", value_function=vf).table.loc["c", "conversions"] == 0


def test_rate_game_by_hand():
    # channel sets: {a}: 1 of 4 convert, {b}: 2 of 4, {a, b}: 3 of 4 -> v = (0, .25, .5, .75);
    # phi_a = (.25 + (.75 - .5)) / 2 = .25, phi_b = (.5 + .5) / 2 = .5
    pt = pd.DataFrame({"path": ["a", "b", "a > b"], "total_conversions": [1, 2, 3],
                       "total_null": [3, 2, 1]})
    t = attribute(pt, model="shapley", value_function="rate").table
    assert t["shapley_value"].tolist() == pytest.approx([0.25, 0.5])
    assert t["conversions"].tolist() == pytest.approx([2.0, 4.0])


def test_user_value_function_additive_game():
    a = np.array([0.1, 0.3, 0.6])

    def additive(masks, channels):
        assert channels == ["a", "b", "c"]
        return masks @ a

    pt = pd.DataFrame({"path": ["a > b > c"], "total_conversions": [5], "total_null": [5]})
    t = ShapleyAttribution(additive).fit(pt).result_.table
    assert t["shapley_value"].tolist() == pytest.approx(a.tolist())
    assert t["conversions"].tolist() == pytest.approx((a * 5).tolist())


@pytest.mark.parametrize("vf", ["within", "rate"])
def test_permutation_sampling_within_its_standard_error(ref_tables, vf):
    df = ref_tables["journeys"]
    exact = attribute(df, model="shapley", value_function=vf).table["shapley_value"]
    est = attribute(df, model="shapley", value_function=vf, method="permutation",
                    n_permutations=400, random_state=5).table
    z = (est["shapley_value"] - exact).abs() / est["shapley_se"].where(est["shapley_se"] > 0, 1e-9)
    assert (z < 4.5).all(), z


def test_ordered_shapley_rows_sum_to_within(ref_tables):
    df = ref_tables["journeys"]
    res = ordered_shapley(df)
    pos = res.table
    sh = attribute(df, model="shapley")
    np.testing.assert_allclose(pos.sum(axis=1), sh.table["shapley_value"], atol=1e-9)
    np.testing.assert_allclose(res.shapley_value, sh.table["shapley_value"], atol=1e-9)
    pd.testing.assert_frame_equal(sh.tables["positions"], pos)
    assert pos.to_numpy().sum() == pytest.approx(df.total_conversions.sum())
    assert res.total_conversions == pytest.approx(df.total_conversions.sum())
