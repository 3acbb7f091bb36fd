"""Exact Markov removal effects: hand values, ChannelAttribution, a dense solver, properties."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.attribution import MarkovAttribution, attribute


def test_tiny_by_hand(ref_tables):
    # Order 2 on the tiny table. Chain: start -> {a>a 5, a>b 5, b>a 3, c 5}/18, a>a -> a>b,
    # b>a -> a>a, a>b -> {conv 5, b>c 5, null 3}/13, b>c -> {conv 1, null 4}/5, c -> null.
    # P(conv) = 13/18 * (5/13 + 5/13 * 1/5) = 1/3; only paths through b>c visit c:
    # RE_c = (13/18 * 5/13 * 1/5) / (1/3) = 1/6. Mean values: 11 from a>b, 10 from b>c, so the
    # value removal effect of c is (1/18 * 10) / (65/18) = 2/13.
    res = attribute(ref_tables["tiny"], model="markov", collapse_repeats=True, order=2)
    t = res.table
    assert t["removal_effect"].to_dict() == pytest.approx({"a": 1, "b": 1, "c": 1 / 6}, abs=1e-12)
    assert t.loc["c", "value_removal_effect"] == pytest.approx(2 / 13, abs=1e-12)
    assert t["conversions"].to_dict() == pytest.approx(
        {"a": 6 * 6 / 13, "b": 6 * 6 / 13, "c": 6 / 13}, abs=1e-12
    )
    assert res.info["conversion_probability"] == pytest.approx(1 / 3, abs=1e-14)
    # ChannelAttribution 2.2.5 transition_matrix(tiny, order=2) (ids 1=a, 2=b, 3=c):
    # (start)->1 1 0.277778, (start)->1 2 0.277778, (start)->3 0.277778, (start)->2 1 0.166667,
    # 1 2->(conversion) 0.384615, 1 2->(null) 0.230769, 1 2->2 3 0.384615, 2 3->(conversion) 0.2
    tm = res.transition_matrix()
    assert tm.loc["(start)", "a > a"] == pytest.approx(0.277778, abs=1e-6)
    assert tm.loc["(start)", "b > a"] == pytest.approx(0.166667, abs=1e-6)
    assert tm.loc["a > b", "b > c"] == pytest.approx(0.384615, abs=1e-6)
    assert tm.loc["a > b", "(null)"] == pytest.approx(0.230769, abs=1e-6)
    assert tm.loc["b > c", "(conversion)"] == pytest.approx(0.2, abs=1e-12)


def _ca_runs(ca_reference, name, order):
    runs = ca_reference["inputs"][name]["markov_model"][str(order)]
    return runs[0]  # seeds overlap in ChannelAttribution's streams: use one run


@pytest.mark.parametrize("name", ["tiny", "random", "journeys"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_agrees_with_channelattribution(ca_reference, ref_tables, name, order):
    # ChannelAttribution 2.2.5 markov_model(..., var_null="total_null", order=order,
    # nsim_start=1e6, out_more=True, seed=0): removal effects estimated from one fold of 1e5
    # simulated walks cut after max_step (default: longest path + 1) steps, a binomial
    # proportion over the ~1e5 * P(conv) converting walks. Our exact value of the same
    # (cut-walk) quantity must agree within 4 Monte-Carlo standard errors.
    res = attribute(ref_tables[name], model="markov", collapse_repeats=True, order=order, horizon="channelattribution")
    ca = _ca_runs(ca_reference, name, order)
    t = res.table
    n_conv = 1e5 * res.info["conversion_probability"]
    re = t["removal_effect"]
    se = np.sqrt(re * (1 - re) / n_conv) + 1e-4
    ca_re = pd.Series(ca["removal_effects_conversion"])[t.index]
    assert (np.abs(re - ca_re) <= 4 * se).all(), pd.DataFrame({"ours": re, "ca": ca_re})
    vre = t["value_removal_effect"]
    ca_vre = pd.Series(ca["removal_effects_conversion_value"])[t.index]
    # value removal effects weight walks by a drawn conversion value: a wider error
    assert (np.abs(vre - ca_vre) <= 8 * np.sqrt(vre * (1 - vre) / n_conv) + 1e-3).all()
    # attributed conversions are RE / sum(RE) * total: propagate the same error
    ca_conv = pd.Series(ca["total_conversions"])[t.index]
    tol = res.total_conversions * 8 * se / re.sum()
    assert (np.abs(t["conversions"] - ca_conv) <= tol).all()


def test_channelattribution_cut_walks_bias(ca_reference, ref_tables):
    # Exact (absorbing) removal effect of a on the tiny table, order 1: 0.7448; with walks cut
    # as ChannelAttribution does: 0.7336; ChannelAttribution's estimate 0.7326 (seed 0). The
    # difference to the exact value is 5 Monte-Carlo standard errors: bias from cut walks.
    exact = attribute(ref_tables["tiny"], model="markov",
                      collapse_repeats=True).table["removal_effect"]
    cut = attribute(ref_tables["tiny"], model="markov", collapse_repeats=True,
                    horizon="channelattribution")
    ca = _ca_runs(ca_reference, "tiny", 1)["removal_effects_conversion"]
    assert exact["a"] == pytest.approx(0.744792, abs=1e-6)
    assert cut.table.loc["a", "removal_effect"] == pytest.approx(ca["a"], abs=2e-3)
    assert cut.info["horizon"] == 5
    assert abs(exact["a"] - ca["a"]) > 0.01


def _dense_removal(res, channels):
    """Independent dense computation from the fitted transition table: removed states are
    redirected to (null), absorption probabilities B = (I - Q)^-1 R by numpy."""
    tr = res.tables["transitions"]
    states = sorted(set(tr.from_state) | set(tr.to_state))
    idx = {s: i for i, s in enumerate(states)}
    P = np.zeros((len(states), len(states)))
    np.add.at(P, (tr.from_state.map(idx), tr.to_state.map(idx)), tr.probability)
    ends = ["(conversion)", "(null)"]
    for e in ends:
        P[idx[e], idx[e]] = 1.0

    def p_conv(removed):
        M = P.copy()
        for s in states:
            if s in ("(start)", *ends):
                continue
            if set(s.split(" > ")) & set(removed):
                M[idx[s]] = 0.0
                M[idx[s], idx["(null)"]] = 1.0
        trans = [i for s, i in idx.items() if s not in ends]
        Q = M[np.ix_(trans, trans)]
        R = M[np.ix_(trans, [idx[e] for e in ends])]
        B = np.linalg.solve(np.eye(len(trans)) - Q, R)
        return B[trans.index(idx["(start)"]), 0]

    full = p_conv(())
    return full, {c: 1 - p_conv((c,)) / full for c in channels}


# journeys at order 4 is too slow for the default run: see the slow test below
@pytest.mark.parametrize(
    ("name", "order"),
    [("random", k) for k in (1, 2, 3, 4)] + [("journeys", k) for k in (1, 2, 3)],
)
def test_dense_cross_check(ref_tables, name, order):
    res = attribute(ref_tables[name], model="markov", collapse_repeats=True, order=order)
    full, dense = _dense_removal(res, res.channels)
    assert res.info["conversion_probability"] == pytest.approx(full, abs=1e-10)
    for c, v in dense.items():
        assert res.table.loc[c, "removal_effect"] == pytest.approx(v, abs=1e-10)


@pytest.mark.slow
def test_dense_cross_check_journeys_order_4(ref_tables):
    res = attribute(ref_tables["journeys"], model="markov", collapse_repeats=True, order=4)
    full, dense = _dense_removal(res, res.channels)
    for c, v in dense.items():
        assert res.table.loc[c, "removal_effect"] == pytest.approx(v, abs=1e-10)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("collapse", [True, False])
def test_chain_reproduces_observed_conversion_rate(ref_tables, order, collapse):
    # In the maximum-likelihood chain the expected visits are the observed visits per journey,
    # so P(conversion) from the start equals the observed rate exactly.
    df = ref_tables["journeys"]
    res = attribute(df, model="markov", order=order, collapse_repeats=collapse)
    rate = df.total_conversions.sum() / (df.total_conversions.sum() + df.total_null.sum())
    assert res.info["conversion_probability"] == pytest.approx(rate, abs=1e-12)
    assert res.info["observed_conversion_rate"] == pytest.approx(rate, abs=1e-15)


def test_self_loops_do_not_change_first_order_effects(ref_tables):
    a = attribute(ref_tables["journeys"], model="markov", collapse_repeats=True).table
    b = attribute(ref_tables["journeys"], model="markov", collapse_repeats=False).table
    np.testing.assert_allclose(a["removal_effect"], b["removal_effect"], atol=1e-12)


def test_markov_credits_a_channel_in_no_converting_path():
    # c appears only on a non-converting path, but the chain routes start -> c -> b -> conv:
    # P(conv) = 1/2 (a or c, then b converts half the time). Without c only a's walks reach b:
    # P = 1/4, so RE_c = 1/2, although no converting journey touched c. The heuristics and the
    # subset Shapley value give c nothing.
    pt = pd.DataFrame({"path": ["a > b", "c > b"], "total_conversions": [1, 0],
                       "total_null": [0, 1]})
    res = attribute(pt, model="markov").table
    assert res.loc["c", "removal_effect"] == pytest.approx(0.5, abs=1e-12)
    assert res.loc["c", "conversions"] > 0
    for rule in ("first", "last", "linear", "position"):
        assert attribute(pt, model=rule).table.loc["c", "conversions"] == 0


def test_conversion_only_chain_warns():
    pt = pd.DataFrame({"path": ["a > b", "b", "a > c"], "total_conversions": [2, 1, 1],
                       "total_null": [0, 0, 0]})
    with pytest.warns(UserWarning, match="conversion-only"):
        res = attribute(pt, model="markov")
    assert res.info["conversion_only"]
    # every walk converts; removing b loses the walks through b: 3 of 4
    assert res.table.loc["b", "removal_effect"] == pytest.approx(0.75)


def test_pairs(ref_tables):
    res = attribute(ref_tables["random"], model="markov", order=2, pairs=True)
    pairs = res.tables["pairs"]
    assert len(pairs) == 6
    re = res.table["removal_effect"]
    full, _ = _dense_removal(res, [])
    for _, r in pairs.iterrows():
        assert r["removal_effect"] >= max(re[r.channel_1], re[r.channel_2]) - 1e-12
        assert r["removal_effect"] <= 1
    # pair (alpha, beta) against the dense solver with both removed
    tr = res.tables["transitions"]
    assert set(tr.columns) >= {"from_state", "to_state", "count", "probability"}


def test_value_attribution_option(ref_tables):
    a = attribute(ref_tables["tiny"], model="markov", collapse_repeats=True, order=2).table
    b = attribute(ref_tables["tiny"], model="markov", collapse_repeats=True, order=2,
                  value_attribution="conversions")
    tv = ref_tables["tiny"].total_conversion_value.sum()
    assert b.table["value"].to_numpy() == pytest.approx(b.table["share"].to_numpy() * tv)
    assert a["value"].sum() == pytest.approx(tv)


tables = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=5),
        st.integers(0, 4),
        st.integers(0, 4),
    ),
    min_size=1,
    max_size=10,
).filter(lambda rows: sum(r[1] for r in rows) > 0 and sum(r[2] for r in rows) > 0)


@given(tables, st.integers(1, 3))
def test_properties(rows, order):
    df = pd.DataFrame([(" > ".join(p), c, n, 10.0 * c) for p, c, n in rows],
                      columns=["path", "total_conversions", "total_null",
                               "total_conversion_value"])
    df = df[(df.total_conversions + df.total_null) > 0]
    res = attribute(df, model="markov", order=order)
    t = res.table
    assert ((t["removal_effect"] >= 0) & (t["removal_effect"] <= 1)).all()
    assert t["conversions"].sum() == pytest.approx(df.total_conversions.sum())
    assert t["value"].sum() == pytest.approx(df.total_conversion_value.sum())
    rate = df.total_conversions.sum() / (df.total_conversions.sum() + df.total_null.sum())
    assert res.info["conversion_probability"] == pytest.approx(rate, abs=1e-10)
    shuffled = attribute(df.sample(frac=1, random_state=2), model="markov", order=order).table
    pd.testing.assert_frame_equal(t, shuffled, atol=1e-10)
    ren = {"a": "z", "z": "a"}
    df2 = df.assign(path=df.path.str.replace("a", "z"))
    t2 = attribute(df2, model="markov", order=order).table.rename(index=ren).loc[t.index]
    pd.testing.assert_frame_equal(t, t2, atol=1e-10)


def test_model_object_api(ref_tables):
    m = MarkovAttribution(order=2)
    assert m.fit(ref_tables["tiny"]) is m
    assert m.result_.info["n_states"] == 5
    assert m.result_.params["order"] == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(m.result_)
    assert list(itertools.islice(m.result_.to_dict()["channels"], 1))[0]["channel"] == "a"
