"""Tests of cjmodels.analytics.edges: time per transition and segment differences of
transition matrices.

References: lifelines 0.30 (KaplanMeierFitter, AalenJohansenFitter) for the curves and their
quantiles; statsmodels (confint_proportions_2indep / test_proportions_2indep with
method="wald", OLS with cluster-robust covariance) for the cell intervals and tests;
cjmodels.experiments.compare_transitions for the overall test. Counts are recounted in plain
pandas from the event rows (shift within customer), not through the data layer's journeys.
"""

from __future__ import annotations

import json
import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from cjmodels._resample import replicate_generators, resample_units
from cjmodels.analytics import EdgeTimes, edge_times, transition_differences
from cjmodels.data import EventLog, JourneySpec
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError
from cjmodels.experiments import compare_transitions

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def shipped() -> EventLog:
    return load_journeys().event_log()


@pytest.fixture(scope="module")
def shipped_edges(shipped) -> EdgeTimes:
    return edge_times(shipped, n_boot=0)


@pytest.fixture(scope="module")
def shipped_diff(shipped):
    return transition_differences(shipped, group="segment", spec=JourneySpec(sequence="stage"))


def _recount_edges(log: EventLog, column: str) -> pd.DataFrame:
    """Visits and observed times per edge from the event rows: each touch's next row of the
    same customer (a conversion ends the journey; a touch with no next row is censored)."""
    ev = log.events[["customer_id", "timestamp", "event", column]].copy()
    ev["t"] = (ev["timestamp"] - log.observation_start) / pd.Timedelta(days=1)
    nxt = ev.groupby("customer_id", sort=False).shift(-1)
    touch = ev["event"] == "touch"
    to = np.where(nxt["event"] == "conversion", "(conversion)",
                  np.where(nxt["event"] == "touch", nxt[column].astype(object), "(censored)"))
    end = (log.observation_end - log.observation_start) / pd.Timedelta(days=1)
    time = np.where(to == "(censored)", end - ev["t"], nxt["t"] - ev["t"])
    out = pd.DataFrame({"from_state": ev[column].astype(object), "to_state": to,
                        "time": time})[touch.to_numpy()]
    return out


def test_counts_and_observed_times_equal_a_pandas_recount(shipped, shipped_edges):
    rec = _recount_edges(shipped, "channel")
    tab = shipped_edges.table.set_index(["from_state", "to_state"])
    edges = rec[rec["to_state"] != "(censored)"]
    g = edges.groupby(["from_state", "to_state"])["time"]
    ref = pd.DataFrame({"count": g.size(), "mean": g.mean(), "median": g.median()})
    mine = tab.drop(index="(next step)", level="to_state")
    assert len(mine) == len(ref) == 110
    ref = ref.loc[mine.index]
    np.testing.assert_array_equal(mine["count"].to_numpy(), ref["count"].to_numpy())
    np.testing.assert_allclose(mine["mean_observed"], ref["mean"], rtol=1e-9)
    np.testing.assert_allclose(mine["median_observed"], ref["median"], rtol=1e-9)
    visits = rec.groupby("from_state").size()
    cens = rec[rec["to_state"] == "(censored)"].groupby("from_state").size()
    nxt = tab.xs("(next step)", level="to_state")
    np.testing.assert_array_equal(nxt["visits"], visits.loc[nxt.index])
    np.testing.assert_array_equal(nxt["censored"], cens.loc[nxt.index])
    assert int(nxt["visits"].sum()) == shipped_edges.info["visits"] == int(
        (shipped.events["event"] == "touch").sum())


def _lifelines_state(rec: pd.DataFrame, state: str):
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

    sub = rec[rec["from_state"] == state]
    event = (sub["to_state"] != "(censored)").to_numpy()
    km = KaplanMeierFitter().fit(sub["time"], event)
    return sub, km, AalenJohansenFitter


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ApproximationWarning")
def test_point_estimates_equal_lifelines(shipped, shipped_edges):
    """KM quantiles of the visit and Aalen-Johansen conditional quantiles of each edge equal
    lifelines' (KaplanMeierFitter.percentile; AalenJohansenFitter.cumulative_density_ with
    jitter off: no tied times in the shipped data), to 1e-9."""
    rec = _recount_edges(shipped, "channel")
    for state in ("email", "store"):
        sub, km, AJ = _lifelines_state(rec, state)
        mine = shipped_edges.quantiles
        mine = mine[mine["from_state"] == state]
        for q in (0.25, 0.5, 0.75):
            got = mine[(mine["to_state"] == "(next step)") & (mine["quantile"] == q)]
            assert float(got["estimate"].iloc[0]) == pytest.approx(km.percentile(1 - q),
                                                                   rel=1e-9)
        causes = sorted(set(sub["to_state"]) - {"(censored)"})
        code = sub["to_state"].map({c: i + 1 for i, c in enumerate(causes)}).fillna(0)
        for target in ("(conversion)", "organic_search"):
            aj = AJ(jitter_level=0.0, calculate_variance=False)
            aj.fit(sub["time"], code.astype(int), event_of_interest=causes.index(target) + 1)
            cif = aj.cumulative_density_.iloc[:, 0]
            final = float(cif.iloc[-1])
            row = shipped_edges.table.set_index(["from_state", "to_state"]).loc[(state, target)]
            assert float(row["share"]) == pytest.approx(final, rel=1e-9)
            for q in (0.25, 0.5, 0.9):
                ref = float(cif.index[np.argmax(cif.to_numpy() >= q * final - 1e-12)])
                got = mine[(mine["to_state"] == target) & (mine["quantile"] == q)]
                assert float(got["estimate"].iloc[0]) == pytest.approx(ref, rel=1e-9)


def test_bootstrap_interval_is_percentiles_of_lifelines_medians_on_customer_resamples(shipped):
    """The interval is the percentile interval of the median over resamples of customers:
    recomputed here by repeating each customer's rows and fitting lifelines' KM."""
    sub_log = EventLog(shipped.events[shipped.events["customer_id"] <= 600])
    r = edge_times(sub_log, n_boot=30, random_state=4)
    rec = _recount_edges(sub_log, "channel")
    rec["customer"] = sub_log.events.loc[rec.index, "customer_id"].to_numpy()
    from lifelines import KaplanMeierFitter

    sub = rec[rec["from_state"] == "organic_search"]
    codes, _ = pd.factorize(sub_log.events["customer_id"].drop_duplicates())
    customers = sub_log.events["customer_id"].drop_duplicates().to_numpy()
    meds = []
    for g in replicate_generators(4, 30):
        times = resample_units(g, len(customers))
        w = pd.Series(times, index=customers)
        rep = sub.loc[sub.index.repeat(w.loc[sub["customer"]].to_numpy())]
        km = KaplanMeierFitter().fit(rep["time"], rep["to_state"] != "(censored)")
        meds.append(km.median_survival_time_)
    row = r.table.set_index(["from_state", "to_state"]).loc[("organic_search", "(next step)")]
    assert float(row["ci_low"]) == pytest.approx(np.percentile(meds, 2.5), rel=1e-9)
    assert float(row["ci_high"]) == pytest.approx(np.percentile(meds, 97.5), rel=1e-9)


def _hand_log() -> pd.DataFrame:
    # customer 1: a (0) -> b (2) -> conversion (5); customer 2: a (1) -> a (4), censored at 10
    # customer 3: a (0) -> drop_out (3); customer 4: b (6), censored at 10
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4],
        "timestamp": [0.0, 2.0, 5.0, 1.0, 4.0, 0.0, 3.0, 6.0],
        "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "drop_out",
                  "touch"],
        "channel": ["a", "b", None, "a", "a", "a", None, "b"],
    })


def test_hand_made_log_known_answers():
    r = edge_times(_hand_log(), n_boot=0, observation_end=10.0)
    tab = r.table.set_index(["from_state", "to_state"])
    assert tab.loc[("a", "(next step)"), "visits"] == 4
    assert tab.loc[("a", "(next step)"), "censored"] == 1  # customer 2's second a
    assert tab.loc[("a", "b"), "count"] == 1 and tab.loc[("a", "b"), "median"] == 2.0
    assert tab.loc[("a", "a"), "median_observed"] == 3.0
    assert tab.loc[("a", "(null)"), "median"] == 3.0  # the drop_out event's time
    assert tab.loc[("b", "(conversion)"), "median"] == 3.0
    assert tab.loc[("b", "(next step)"), "censored"] == 1
    # a: times 2 (b), 3 (a), 3 (null), censored at 6: KM 1 - S = 1/4 at 2, 3/4 at 3
    assert tab.loc[("a", "(next step)"), "median"] == 3.0
    assert tab.loc[("a", "(next step)"), "share"] == pytest.approx(0.75)
    q = r.edge("b")
    assert q.loc[q["quantile"] == 0.9, "estimate"].iloc[0] == math.inf  # S stays at 1/2
    # with a timeout of 2.5 every gap of 3 ends a journey: a silence of 2.5 is a drop-out
    # (customer 2 twice, customer 3 before its drop_out event; b of customers 1 and 4)
    r2 = edge_times(_hand_log(), n_boot=0, observation_end=10.0,
                    spec=JourneySpec(sequence="channel", timeout=2.5))
    tab2 = r2.table.set_index(["from_state", "to_state"])
    assert tab2.loc[("a", "(null)"), "count"] == 3
    assert tab2.loc[("b", "(null)"), "count"] == 2
    assert (r2.quantiles.query("to_state == '(null)'")["estimate"] == 2.5).all()
    assert tab2.loc[("a", "(next step)"), "median"] == 2.5


def test_result_surface(shipped_edges):
    d = shipped_edges.to_dict()
    json.dumps(d, allow_nan=False)
    assert repr(shipped_edges).startswith("EdgeTimes(edges=110")
    s = shipped_edges.summary()
    s.iloc[0, 0] = "x"
    assert shipped_edges.table.iloc[0, 0] != "x"
    ax = shipped_edges.plot(max_edges=5)
    assert len(ax.get_yticklabels()) == 5
    with pytest.raises(ValidationError, match="no edge"):
        shipped_edges.edge("email", "nowhere")


@pytest.mark.parametrize("kwargs, match", [
    ({"quantiles": (0.5, 1.0)}, "quantiles"),
    ({"quantiles": "a"}, "quantiles"),
    ({"alpha": 1.5}, "alpha"),
    ({"n_boot": -1}, "n_boot"),
    ({"spec": JourneySpec(censored="null")}, "censored"),
    ({"spec": "channel"}, "JourneySpec"),
])
def test_edge_times_refuses_bad_input(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        edge_times(_hand_log(), **kwargs)


def _world(rng: np.random.Generator, n: int, obs_end: float = 10.0) -> pd.DataFrame:
    """One journey per customer: a touch ``a`` at U(0, 10); next, w.p. 0.4 a conversion
    after Exponential(mean 2), else a touch ``b`` after Weibull(shape 1.5, scale 3); after
    ``b`` a conversion after Exponential(mean 1). Events after ``obs_end`` are not seen."""
    t0 = rng.uniform(0, 10, n)
    conv = rng.random(n) < 0.4
    d = np.where(conv, rng.exponential(2.0, n), 3.0 * rng.weibull(1.5, n))
    t1 = t0 + d
    t2 = t1 + rng.exponential(1.0, n)
    rows = [(i, t0[i], "touch", "a") for i in range(n)]
    rows += [(i, t1[i], "conversion" if conv[i] else "touch", None if conv[i] else "b")
             for i in range(n) if t1[i] <= obs_end]
    rows += [(i, t2[i], "conversion", None) for i in range(n)
             if not conv[i] and t2[i] <= obs_end]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])


def _truth() -> dict[tuple[str, str], float]:
    from scipy.optimize import brentq

    def mix(t):  # P(T <= t) of the visit of a, whatever comes next
        return 0.4 * (1 - math.exp(-t / 2)) + 0.6 * (1 - math.exp(-((t / 3) ** 1.5))) - 0.5

    return {("a", "(conversion)"): 2 * math.log(2),
            ("a", "b"): 3 * math.log(2) ** (1 / 1.5),
            ("a", "(next step)"): brentq(mix, 0.01, 20)}


def _coverage(n_sim: int, n: int, n_boot: int) -> tuple[dict, dict]:
    truth = _truth()
    hits = dict.fromkeys([*truth, "share"], 0)
    naive = dict.fromkeys(truth, 0.0)
    for s in range(n_sim):
        rng = np.random.default_rng(1000 + s)
        r = edge_times(_world(rng, n), n_boot=n_boot, random_state=s, observation_end=10.0)
        tab = r.table.set_index(["from_state", "to_state"])
        for key, true in truth.items():
            lo, hi = tab.loc[key, ["ci_low", "ci_high"]]
            hits[key] += int(lo <= true <= hi)
            naive[key] += tab.loc[key, "median_observed"] / n_sim
        lo, hi = tab.loc[("a", "(conversion)"), ["share_ci_low", "share_ci_high"]]
        hits["share"] += int(lo <= 0.4 <= hi)  # P(next step of a is a conversion)
    return {k: v / n_sim for k, v in hits.items()}, naive


def test_median_interval_coverage_small():
    cov, _ = _coverage(n_sim=30, n=300, n_boot=100)
    assert all(c >= 0.8 for c in cov.values()), cov


@pytest.mark.slow
def test_median_interval_coverage_and_naive_bias():
    """Measured (200 worlds of 400 customers, 400 replicates): coverage of the 95% median
    intervals 0.94 (a -> (conversion)), 0.915 (a -> b), 0.955 (a -> (next step)); the band
    [0.90, 0.99] is about 99% of the binomial spread of 200 worlds at 0.95; the interval of
    the share of a -> (conversion) (0.4) covers it in 0.915 (the estimate is F(tau), which
    falls short of F(inf) = 0.4 by up to 1% at a follow-up of 10). The median of the observed times is biased short:
    on average (200 worlds) 1.11 for a true 1.39, 1.98 for 2.35, 1.61 for 1.98."""
    cov, naive = _coverage(n_sim=200, n=400, n_boot=400)
    assert all(0.90 <= c <= 0.99 for c in cov.values()), cov
    truth = _truth()
    assert all(naive[k] < truth[k] * 0.9 for k in truth), (naive, truth)


# ------------------------------------------------------------ transition_differences
def _recount_cells(log: EventLog, column: str, segment: str) -> pd.DataFrame:
    ev = log.events
    nxt = ev.groupby("customer_id", sort=False).shift(-1)
    prev = ev.groupby("customer_id", sort=False).shift(1)
    touch = ev["event"] == "touch"
    starts = touch & (prev["event"].isna() | (prev["event"] == "conversion"))
    frm = pd.concat([pd.Series("(start)", index=ev.index[starts]), ev.loc[touch, column]])
    to_next = np.where(nxt["event"] == "conversion", "(conversion)",
                       np.where(nxt["event"] == "touch", nxt[column].astype(object), None))
    to = pd.concat([ev.loc[starts, column].astype(object),
                    pd.Series(to_next, index=ev.index)[touch]])
    seg = pd.concat([ev.loc[starts, segment], ev.loc[touch, segment]]).astype(str)
    out = pd.DataFrame({"f": frm.astype(str).to_numpy(), "t": to.to_numpy(),
                        "g": seg.to_numpy()}).dropna()
    return out


def test_cells_equal_a_pandas_recount(shipped, shipped_diff):
    r = shipped_diff
    rec = _recount_cells(shipped, "stage", "segment")
    for tag, g in (("a", "business"), ("b", "consumer")):
        sub = rec[rec["g"] == g]
        counts = sub.groupby(["f", "t"]).size()
        n_from = sub.groupby("f").size()
        tab = r.table.set_index(["from_state", "to_state"])
        ref = counts.reindex(tab.index, fill_value=0)
        np.testing.assert_array_equal(tab[f"count_{tag}"], ref)
        np.testing.assert_array_equal(tab[f"n_from_{tag}"],
                                      n_from.loc[tab.index.get_level_values(0)])
        np.testing.assert_allclose(tab[f"p_{tag}"], ref / n_from.loc[
            tab.index.get_level_values(0)].to_numpy(), rtol=1e-12)
    # from-states in both segments, every to-state seen from them in either
    both = set(rec[rec.g == "business"].f) & set(rec[rec.g == "consumer"].f)
    assert set(r.table["from_state"]) == both
    assert len(r.table) == len(rec[rec.f.isin(both)].groupby(["f", "t"]).size())


def test_cluster_robust_se_equals_statsmodels_ols_clustered(shipped, shipped_diff):
    """The se of each segment's p is OLS's cluster-robust se of the cell indicator on an
    intercept (statsmodels, groups=customer, no small-sample correction), to 1e-9."""
    import statsmodels.api as sm

    r = shipped_diff
    ev = shipped.events
    touch = ev[ev["event"] == "touch"]
    nxt = ev.groupby("customer_id").shift(-1).loc[touch.index]
    to = np.where(nxt["event"] == "conversion", "(conversion)", nxt["stage"].astype(object))
    keep = nxt["event"].notna().to_numpy()
    d = pd.DataFrame({"c": touch["customer_id"].to_numpy(), "f": touch["stage"].astype(str),
                      "t": to, "g": touch["segment"].astype(str)})[keep]
    row = r.table.set_index(["from_state", "to_state"]).loc[("decision", "(conversion)")]
    var = 0.0
    for g in ("business", "consumer"):
        sub = d[(d.f == "decision") & (d.g == g)]
        y = (sub["t"] == "(conversion)").astype(float).to_numpy()
        fit = sm.OLS(y, np.ones(len(y))).fit(
            cov_type="cluster", cov_kwds={"groups": pd.factorize(sub["c"])[0],
                                          "use_correction": False})
        var += float(fit.bse[0]) ** 2
    assert float(row["se"]) == pytest.approx(math.sqrt(var), rel=1e-9)


def _one_per_customer() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    seg = np.where(np.arange(n) < 120, "A", "B")
    p_next = np.where((seg == "A")[:, None], [[0.5, 0.3, 0.2]], [[0.3, 0.3, 0.4]])
    nxt = [rng.choice(["x", "y", "conv"], p=p) for p in p_next]
    rows = []
    for i in range(n):
        rows.append((i, 0.0, "touch", "a", seg[i]))
        rows.append((i, 1.0, "conversion" if nxt[i] == "conv" else "touch",
                     None if nxt[i] == "conv" else nxt[i], seg[i]))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel", "seg"])


@pytest.mark.parametrize("correction", ["bonferroni", "holm", "bh", "by"])
def test_one_transition_per_customer_equals_statsmodels_wald(correction):
    """With one transition per customer the cell interval and test are statsmodels' Wald
    (confint_proportions_2indep / test_proportions_2indep, compare='diff'), to 1e-9, at the
    adjusted level (Bonferroni alpha / m, or Benjamini-Yekutieli's R alpha / m)."""
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    r = transition_differences(_one_per_customer(), group="seg", correction=correction)
    tab = r.table[r.table["from_state"] == "a"]
    m = len(r.table)
    ps = []
    for _, c in r.table.iterrows():
        res = test_proportions_2indep(c.count_b, c.n_from_b, c.count_a, c.n_from_a,
                                      compare="diff", method="wald")
        ps.append(res.pvalue)
    ps = np.array(ps)
    degenerate = np.isnan(ps)  # (start) -> a is 1 in both segments: statsmodels' 0 / 0
    assert degenerate.tolist() == [True, False, False, False]
    assert (r.table.loc[degenerate, "pvalue"] == 1.0).all()  # ours: no evidence, p = 1
    ps[degenerate] = 1.0
    np.testing.assert_allclose(r.table["pvalue"], ps, rtol=1e-9)
    method = {"bonferroni": "bonferroni", "holm": "holm", "bh": "fdr_bh", "by": "fdr_by"}
    adj = multipletests(ps, method=method[correction])[1]
    np.testing.assert_allclose(r.table["pvalue_adjusted"], adj, rtol=1e-9)
    if correction in ("bh", "by"):
        scale = 1.0 if correction == "bh" else sum(1 / k for k in range(1, m + 1))
        ci_alpha = 0.05 / scale * max(int((adj < 0.05).sum()), 1) / m
    else:
        ci_alpha = 0.05 / m
    assert r.ci_level == pytest.approx(1 - ci_alpha)
    for _, c in tab.iterrows():
        lo, hi = confint_proportions_2indep(c.count_b, c.n_from_b, c.count_a, c.n_from_a,
                                            compare="diff", method="wald", alpha=ci_alpha)
        assert (c.ci_low, c.ci_high) == pytest.approx((lo, hi), rel=1e-9)
    if correction in ("bonferroni", "bh", "by"):  # duality: significant <=> 0 outside
        outside = (r.table["ci_low"] > 0) | (r.table["ci_high"] < 0)
        assert (outside == r.table["significant"]).all()


def test_overall_test_is_compare_transitions(shipped, shipped_diff):
    r = shipped_diff
    ev = shipped.events
    logs = {g: EventLog(ev[ev["segment"] == g], observation_end=shipped.observation_end,
                        observation_start=shipped.observation_start)
            for g in ("business", "consumer")}
    ref = compare_transitions(logs, control="business", spec=JourneySpec(sequence="stage"))
    assert r.overall.statistic == pytest.approx(ref.overall.statistic, rel=1e-12)
    assert r.overall.df == ref.overall.df
    assert r.overall.pvalue == pytest.approx(ref.overall.pvalue, rel=1e-9)


def test_segments_surface_and_errors(shipped):
    r = transition_differences(shipped, group="region", groups=("north", "south"),
                               correction="bh")
    json.dumps(r.to_dict(), allow_nan=False)
    assert r.groups == ("north", "south")
    assert r.matrix("p_a").shape[0] == len(set(r.table["from_state"]))
    ax = r.plot(max_cells=4)
    assert len(ax.get_yticklabels()) == 4
    with pytest.raises(ValidationError, match="two"):
        transition_differences(shipped, group="region")
    with pytest.raises(ValidationError, match="covariate"):
        transition_differences(shipped, group="nope")
    with pytest.raises(ValidationError, match="correction"):
        transition_differences(shipped, group="segment", correction="fdr")
    with pytest.raises(ValidationError, match="what"):
        r.matrix("bad")
    df = _one_per_customer()
    df.loc[1, "seg"] = "B"  # customer 0 in both segments
    with pytest.raises(ValidationError, match="more than one value"):
        transition_differences(df, group="seg")
    df = _one_per_customer()
    df.loc[df["customer_id"] == 5, "seg"] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = transition_differences(df, group="seg")
    assert r.info["customers_without_group"] == 1
    assert any("left out" in str(w.message) for w in caught)
    assert r.info["customers"] == {"A": 119, "B": 180}


def _chain_world(rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    """Customers walk a -> {a, b, conv}, b -> {a, b, conv}; segment B converts more from
    ``b`` by ``shift``; a customer-level propensity makes a customer's steps alike."""
    rows = []
    for i in range(n):
        seg = "A" if i % 2 else "B"
        lean = rng.uniform(-0.1, 0.1)
        t, state = 0.0, "a"
        rows.append((i, t, "touch", state, seg))
        for _ in range(6):
            p_conv = 0.2 + (shift if (seg == "B" and state == "b") else 0.0)
            p_b = 0.4 + lean
            u = rng.random()
            t += 1.0
            if u < p_conv:
                rows.append((i, t, "conversion", None, seg))
                break
            state = "b" if u < p_conv + p_b * (1 - p_conv) else "a"
            rows.append((i, t, "touch", state, seg))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel", "seg"])


def _simultaneous_coverage(n_sim: int) -> float:
    """Share of worlds in which every cell's Bonferroni interval covers its true difference
    (true cell probabilities by simulation of 10,000 customers per segment)."""
    big = transition_differences(_chain_world(np.random.default_rng(99), 20000, 0.15),
                                 group="seg", correction="bonferroni")
    truth = big.table.set_index(["from_state", "to_state"])["difference"]
    hits = 0
    for s in range(n_sim):
        r = transition_differences(_chain_world(np.random.default_rng(s), 400, 0.15),
                                   group="seg", correction="bonferroni")
        tab = r.table.set_index(["from_state", "to_state"])
        true = truth.loc[tab.index]
        hits += int(((tab["ci_low"] <= true) & (true <= tab["ci_high"])).all())
    return hits / n_sim


def test_simultaneous_coverage_small():
    assert _simultaneous_coverage(12) >= 0.75


@pytest.mark.slow
def test_simultaneous_coverage():
    """Measured: in 200 worlds the Bonferroni intervals covered every cell at once in 95%
    (nominal >= 95%)."""
    assert _simultaneous_coverage(200) >= 0.93


def test_a_from_state_of_one_segment_only_is_left_out_with_a_warning():
    df = _one_per_customer()
    extra = pd.DataFrame({"customer_id": [900, 900, 900], "timestamp": [0.0, 1.0, 2.0],
                          "event": ["touch", "touch", "conversion"],
                          "channel": ["a", "z", None], "seg": ["B"] * 3})
    with pytest.warns(UserWarning, match="one segment only"):
        r = transition_differences(pd.concat([df, extra], ignore_index=True), group="seg")
    assert r.info["one_segment_only"] == ["z"]
    assert "z" not in set(r.table["from_state"])
    assert "z" in set(r.table["to_state"])  # a -> z is a cell of the shared row a
