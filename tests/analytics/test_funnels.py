"""Funnels under explicit definitions, segment comparisons and conversion within a window.

Every count is checked against an independent recount in plain pandas and Python (regular
expressions over each unit's string of steps, sets, a loop per unit), on hand-made logs with
answers worked out by hand and on the shipped journeys; every interval against a reference
computed by another library (statsmodels, scipy, lifelines), with the tolerance said; the
intervals' coverage and the naive share's bias by simulation in worlds where the truth is known.
"""

from __future__ import annotations

import json
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cjmodels.analytics import (
    FunnelComparison,
    FunnelResult,
    WindowConversion,
    compare_funnel_definitions,
    compare_funnels,
    funnel,
    window_conversion,
)
from cjmodels.data import EventLog, JourneySpec, session_ids
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError

matplotlib.use("Agg")

STAGES = ["awareness", "interest", "consideration", "decision", "purchase"]


@pytest.fixture(scope="module")
def shipped() -> EventLog:
    return load_journeys().event_log()


# ------------------------------------------------------------------ the independent recount
def recount(units: pd.DataFrame, steps: list[str], definition: str,
            window: pd.Timedelta | float | None = None) -> list[int]:
    """Units reaching each step, from a frame with ``unit``, ``label`` and ``timestamp`` in the
    log's order; written without the implementation's arrays."""
    code = {s: chr(ord("A") + i) for i, s in enumerate(steps)}
    per_unit = units.groupby("unit", sort=False).agg(labels=("label", list),
                                                      times=("timestamp", list))
    depth = []
    for labels, times in zip(per_unit["labels"], per_unit["times"], strict=True):
        if definition == "strict-order" and window is None:
            text = "".join(code.get(x, "_") for x in labels)
            d = 0
            for j in range(1, len(steps) + 1):
                if re.search(".*?".join(code[s] for s in steps[:j]), text):
                    d = j
            depth.append(d)
            continue
        if definition == "strict-order":
            if steps[0] not in labels:
                depth.append(0)
                continue
            i0 = labels.index(steps[0])
            d, i = 1, i0 + 1
            while d < len(steps) and i < len(labels):
                if times[i] - times[i0] <= window and labels[i] == steps[d]:
                    d += 1
                i += 1
            depth.append(d)
            continue
        if window is None:
            seen = {x for x in labels if x in code}
        else:  # from the first step-1 event (any step, for furthest-stage without one) on
            if steps[0] in labels:
                i0 = labels.index(steps[0])
            elif definition == "furthest-stage" and any(x in code for x in labels):
                i0 = next(i for i, x in enumerate(labels) if x in code)
            else:
                depth.append(0)
                continue
            seen = {x for x, t in zip(labels[i0:], times[i0:], strict=True)
                    if x in code and t - times[i0] <= window}
        if definition == "any-order":
            d = 0
            while d < len(steps) and steps[d] in seen:
                d += 1
            depth.append(d)
        else:
            depth.append(max((steps.index(x) + 1 for x in seen), default=0))
    values = np.array(depth)
    return [int((values >= j).sum()) for j in range(1, len(steps) + 1)]


def shipped_units(log: EventLog, grain: str) -> pd.DataFrame:
    e = log.events[["customer_id", "timestamp", "event", "stage"]].copy()
    if grain == "customer":
        e["unit"] = e["customer_id"]
    elif grain == "journey":  # the shipped log has only touches and conversions, no timeout
        conv = (e["event"] == "conversion").astype(int)
        before = conv.groupby(e["customer_id"]).cumsum() - conv  # conversions before the event
        e["unit"] = list(zip(e["customer_id"], before, strict=True))
    else:
        e["unit"] = list(zip(e["customer_id"], session_ids(log), strict=True))
    return e.rename(columns={"stage": "label"})


# ------------------------------------------------------------------ hand-made logs
def hand_log() -> pd.DataFrame:
    """Five customers whose funnels are worked out by hand in the tests below."""
    rows = [
        # customer, time, event, stage
        (1, 0, "touch", "visit"), (1, 1, "touch", "cart"), (1, 2, "conversion", "buy"),
        (2, 0, "touch", "cart"), (2, 1, "touch", "visit"),  # cart before visit
        (3, 0, "touch", "visit"), (3, 5, "conversion", "buy"),  # skips cart
        (4, 0, "touch", "visit"), (4, 1, "touch", "visit"), (4, 20, "touch", "cart"),
        (4, 21, "conversion", "buy"),  # late: outside a window of 10
        (5, 0, "touch", "other"),  # never enters
    ]
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])


STEPS3 = ["visit", "cart", "buy"]


@pytest.mark.parametrize(("definition", "window", "expected"), [
    ("strict-order", None, [4, 2, 2]),  # 1 and 4 go visit > cart > buy; 2 has cart before visit
    ("any-order", None, [4, 3, 2]),  # 2 has both visit and cart
    ("furthest-stage", None, [4, 4, 3]),  # 3's buy counts for cart; 2 reaches cart
    ("strict-order", 10, [4, 1, 1]),  # 4's cart is 20 after its first visit
    # with a window, events before the first visit do not count: 2's cart is lost
    ("any-order", 10, [4, 1, 1]),
    ("furthest-stage", 10, [4, 2, 2]),  # 1 and 3 buy; 2 and 4 reach visit only
])
def test_hand_made_counts(definition, window, expected):
    f = funnel(hand_log(), STEPS3, definition=definition, window=window)
    assert f.table["reached"].tolist() == expected
    assert f.n_units == 5 and f.n_entered == expected[0]
    units = hand_log().rename(columns={"customer_id": "unit", "stage": "label"})
    assert recount(units, STEPS3, definition, window) == expected


def test_hand_made_rates_and_drop_off():
    t = funnel(hand_log(), STEPS3).table
    assert np.isnan(t["step_conversion"].iloc[0]) and np.isnan(t["lost"].iloc[0])
    assert t["step_conversion"].tolist()[1:] == [0.5, 1.0]
    assert t["cumulative_conversion"].tolist() == [1.0, 0.5, 0.5]
    assert t["drop_off"].tolist()[1:] == [0.5, 0.0]
    assert t["lost"].tolist()[1:] == [2.0, 0.0]
    assert funnel(hand_log(), STEPS3).most_lost == "cart"
    assert funnel(hand_log().iloc[:3], STEPS3).most_lost is None  # nobody is lost


def test_window_edge_counts_and_ties():
    # an event exactly `window` after the anchor counts; one tick later does not
    df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 7, 0, 8],
                       "event": ["touch"] * 4, "stage": ["a", "b", "a", "b"]})
    assert funnel(df, ["a", "b"], window=7).table["reached"].tolist() == [2, 1]
    # equal timestamps: the log's order (touch before conversion) decides strict order
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": [3, 3],
                       "event": ["conversion", "touch"], "stage": ["b", "a"]})
    assert funnel(df, ["a", "b"]).table["reached"].tolist() == [1, 1]
    assert funnel(df, ["b", "a"]).table["reached"].tolist() == [1, 0]


def test_repeated_step_in_strict_order_and_predicates():
    df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0, 1, 2, 0, 1],
                       "event": ["touch", "touch", "conversion", "touch", "conversion"],
                       "channel": ["email", "email", None, "email", None]})
    f = funnel(df, ["email", "email", ("event", "conversion")], sequence="channel")
    assert f.table["reached"].tolist() == [2, 1, 1]
    assert list(f.table.index) == ["email", "email (2)", "event=conversion"]
    with pytest.raises(ValidationError, match="more than once"):
        funnel(df, ["email", "email"], sequence="channel", definition="any-order")
    g = funnel(df, [("channel", "email"), ("event", "conversion")], definition="any-order")
    assert g.table["reached"].tolist() == [2, 2]


def test_journey_grain_by_hand():
    # customer 1: two journeys (the conversion ends the first); with a timeout of 5 the
    # touch at 30 opens a third, so the second journey is [a] and the third [b, c]
    df = pd.DataFrame({"customer_id": [1, 1, 1, 1, 1, 1], "timestamp": [0, 1, 2, 10, 30, 31],
                       "event": ["touch", "touch", "conversion", "touch", "touch", "conversion"],
                       "stage": ["a", "b", "c", "a", "b", "c"]})
    j = funnel(df, ["a", "b", "c"], grain="journey")
    assert j.n_units == 2 and j.table["reached"].tolist() == [2, 2, 2]
    j = funnel(df, ["a", "b", "c"], grain="journey", spec=JourneySpec(timeout=5))
    assert j.n_units == 3 and j.table["reached"].tolist() == [2, 1, 1]
    first = funnel(df, ["a", "b", "c"], grain="journey", spec=JourneySpec(journeys="first"))
    assert first.info["events_in_journeys_left_out"] == 3
    assert first.n_units == 1 and first.table["reached"].tolist() == [1, 1, 1]
    c = funnel(df, ["a", "b", "c"])  # one customer
    assert c.n_units == 1 and c.table["reached"].tolist() == [1, 1, 1]


def test_step_events_outside_journeys_are_said():
    df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0, 1, 2],
                       "event": ["touch", "touch", "drop_out"], "stage": ["a", "b", "c"]})
    with pytest.warns(UserWarning, match="1 events at a funnel step lie outside"):
        j = funnel(df, ["a", "b", ("event", "drop_out")], grain="journey")
    assert j.table["reached"].tolist() == [1, 1, 0]
    assert j.info["step_events_outside_journeys"] == 1
    c = funnel(df, ["a", "b", ("event", "drop_out")])  # customers hold every event
    assert c.table["reached"].tolist() == [1, 1, 1]


def test_session_grain_by_hand():
    df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0, 10, 100, 0],
                       "event": ["touch", "touch", "touch", "touch"],
                       "stage": ["a", "b", "b", "a"]})
    s = funnel(df, ["a", "b"], grain="session", inactivity=30)
    assert s.n_units == 3 and s.table["reached"].tolist() == [2, 1]


# ------------------------------------------------------------------ the shipped data
@pytest.mark.parametrize("grain", ["customer", "journey"])
def test_shipped_counts_equal_the_recount(shipped, grain):
    units = shipped_units(shipped, grain)
    defs = compare_funnel_definitions(shipped, STAGES, grain=grain)
    for d in ("strict-order", "any-order", "furthest-stage"):
        assert defs.reached[d].tolist() == recount(units, STAGES, d), d
    assert defs.n_units == units["unit"].nunique()
    for d in ("strict-order", "any-order", "furthest-stage"):
        expected = recount(units, STAGES, d, window=pd.Timedelta("30D"))
        assert funnel(shipped, STAGES, definition=d, grain=grain,
                      window="30D").table["reached"].tolist() == expected, d


def test_shipped_session_counts_equal_the_recount(shipped):
    units = shipped_units(shipped, "session")
    f = funnel(shipped, STAGES, definition="furthest-stage", grain="session")
    assert f.table["reached"].tolist() == recount(units, STAGES, "furthest-stage")
    assert f.n_units == units["unit"].nunique()


def test_the_definition_changes_the_answer_threefold(shipped):
    # the finding on the shipped data: every converted journey reached purchase, but
    # the strict ordered funnel counts about a third of them
    d = compare_funnel_definitions(shipped, STAGES, grain="journey")
    converted = int((shipped.events["event"] == "conversion").sum())
    assert d.reached.loc["purchase", "furthest-stage"] == converted == 743
    assert d.reached.loc["purchase", "strict-order"] == 255
    assert 2.5 < d.ratio < 3.5
    r = d.reached
    assert (r["strict-order"] <= r["any-order"]).all()
    assert (r["any-order"] <= r["furthest-stage"]).all()


def test_wilson_intervals_equal_statsmodels(shipped):
    # reference: statsmodels.stats.proportion.proportion_confint(method="wilson"); tol 1e-12
    t = funnel(shipped, STAGES, grain="journey", alpha=0.1).table
    n = t["reached"].to_numpy()
    lo, hi = proportion_confint(n[1:], n[:-1], alpha=0.1, method="wilson")
    np.testing.assert_allclose(t["step_ci_low"].to_numpy()[1:], lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["step_ci_high"].to_numpy()[1:], hi, rtol=0, atol=1e-12)
    lo, hi = proportion_confint(n, n[0], alpha=0.1, method="wilson")
    np.testing.assert_allclose(t["cumulative_ci_low"], lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["cumulative_ci_high"], hi, rtol=0, atol=1e-12)


def simulated_funnel_log(rng: np.random.Generator, n: int, p: list[float]) -> pd.DataFrame:
    """Customers who enter at stage 0 and pass each next stage with probability p[j]."""
    rows = []
    for c in range(n):
        rows.append((c, 0.0, "s0"))
        for j, pj in enumerate(p):
            if rng.random() >= pj:
                break
            rows.append((c, float(j + 1), f"s{j + 1}"))
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "stage"])
    df["event"] = "touch"
    return df


def test_coverage_of_the_cumulative_conversion():
    # 300 simulated funnels of 120 customers, true cumulative conversion 0.5 * 0.4 = 0.2;
    # the 95% Wilson interval should cover it in about 95% of them (binomial sd 1.3 points)
    rng = np.random.default_rng(20261207)
    truth = 0.5 * 0.4
    hits = []
    for _ in range(300):
        df = simulated_funnel_log(rng, 120, [0.5, 0.4])
        t = funnel(df, ["s0", "s1", "s2"]).table
        hits.append(t["cumulative_ci_low"].iloc[-1] <= truth <= t["cumulative_ci_high"].iloc[-1])
    assert 0.91 <= np.mean(hits) <= 0.985


# ------------------------------------------------------------------ segments
def test_segments_against_scipy_and_statsmodels(shipped):
    c = compare_funnels(shipped, STAGES, group="segment", grain="journey", correction="bh")
    assert isinstance(c, FunnelComparison) and c.groups == ("business", "consumer")
    # per group, the counts are those of the funnel of that group's journeys alone
    units = shipped_units(shipped, "journey")
    units["segment"] = shipped.events["segment"].to_numpy()
    for g in c.groups:
        own = recount(units[units["segment"] == g], STAGES, "strict-order")
        assert c.table.loc[c.table["group"] == g, "reached"].tolist() == own
    t = c.table.set_index(["step", "group"])
    tests = []
    for j in range(1, len(STAGES)):
        s = STAGES[j]
        x = [t.loc[(s, g), "reached"] for g in c.groups]
        n = [t.loc[(s, g), "entered"] for g in c.groups]
        # reference: scipy's Pearson chi-square without continuity correction; tol 1e-10
        stat, p, dof, _ = chi2_contingency(np.c_[x, np.subtract(n, x)], correction=False)
        row = c.step_tests.loc[s]
        assert row["statistic"] == pytest.approx(stat, rel=1e-10)
        assert row["pvalue"] == pytest.approx(p, rel=1e-10) and row["df"] == dof
        tests.append(p)
        # reference: statsmodels' Newcombe interval of the difference; tol 1e-10
        lo, hi = confint_proportions_2indep(x[1], n[1], x[0], n[0], method="newcomb",
                                            compare="diff", alpha=0.05)
        d = c.differences.set_index("step").loc[s]
        assert d["difference"] == pytest.approx(x[1] / n[1] - x[0] / n[0], rel=1e-12)
        assert (d["ci_low"], d["ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
    # reference: statsmodels' multipletests (fdr_bh)
    np.testing.assert_allclose(c.step_tests["pvalue_adjusted"],
                               multipletests(tests, method="fdr_bh")[1], rtol=1e-12)
    # the overall likelihood-ratio test is scipy's G-test of the deepest-step table, and the
    # sum of the steps' likelihood-ratio statistics (the funnel factorises step by step)
    table = c.overall.table.to_numpy()
    g2, p, dof, _ = chi2_contingency(table, lambda_="log-likelihood", correction=False)
    assert c.overall.statistic == pytest.approx(g2, rel=1e-10)
    assert c.overall.pvalue == pytest.approx(p, rel=1e-9) and c.overall.df == dof
    steps_g2 = 0.0
    for j in range(1, len(STAGES)):
        s = STAGES[j]
        x = [t.loc[(s, g), "reached"] for g in c.groups]
        n = [t.loc[(s, g), "entered"] for g in c.groups]
        steps_g2 += chi2_contingency(np.c_[x, np.subtract(n, x)], lambda_="log-likelihood",
                                     correction=False)[0]
    assert c.overall.statistic == pytest.approx(steps_g2, rel=1e-9)


def test_three_groups_and_a_changing_group():
    df = hand_log()
    df["tier"] = ["a", "a", "a", "b", "b", "c", "c", "c", "c", "c", "c", "a"]
    c = compare_funnels(df, STEPS3, group="tier", definition="furthest-stage")
    assert c.groups == ("a", "b", "c") and len(c.differences) == 2 * 2
    # at 'cart' every group converts fully: the test is undefined (NaN), left out of the family
    assert np.isnan(c.step_tests["df"].iloc[0]) and c.step_tests["df"].iloc[1] == 2.0
    assert np.isnan(c.step_tests["pvalue_adjusted"].iloc[0])
    df.loc[1, "tier"] = "z"  # customer 1 changes group: counted in its first group, said so
    with pytest.warns(UserWarning, match="change their 'tier'"):
        c = compare_funnels(df, STEPS3, group="tier")
    assert c.info["units_with_changing_group"] == 1
    with pytest.raises(ValidationError, match="at least two"):
        compare_funnels(df.assign(tier="a"), STEPS3, group="tier")
    with pytest.raises(ValidationError, match="missing"):
        compare_funnels(df.assign(tier=["a", None] * 6), STEPS3, group="tier")
    with pytest.raises(ValidationError, match="not a column"):
        compare_funnels(df, STEPS3, group="nope")


@pytest.mark.slow
def test_segment_tests_hold_their_level():
    # two segments from one world: the overall test rejects about 5% of the time (the
    # correction does not touch the overall test; "bh" keeps the loop fast, as statsmodels'
    # Holm runs a full garbage collection on every call)
    rng = np.random.default_rng(7)
    rejections = []
    for _ in range(200):
        df = simulated_funnel_log(rng, 200, [0.5, 0.4, 0.6])
        seg = pd.Series(rng.integers(0, 2, 200)).map({0: "x", 1: "y"})
        df["seg"] = df["customer_id"].map(seg)
        c = compare_funnels(df, ["s0", "s1", "s2", "s3"], group="seg", correction="bh")
        rejections.append(c.overall.pvalue < 0.05)
    assert 0.02 <= np.mean(rejections) <= 0.09


# ------------------------------------------------------------------ within a window
def test_window_conversion_by_hand_and_against_lifelines():
    from lifelines import KaplanMeierFitter

    df = pd.DataFrame({
        "customer_id": [1, 1, 2, 2, 3, 4, 5, 5],
        "timestamp": [0.0, 2.0, 0.0, 9.0, 1.0, 8.0, 3.0, 10.0],
        "event": ["touch", "conversion", "touch", "conversion", "touch", "touch", "touch",
                  "conversion"],
        "channel": ["email", None, "email", None, "email", "email", "email", None],
    })
    w = window_conversion(df, ("channel", "email"), ("event", "conversion"), window=7,
                          sequence="channel")
    # 1 converts at 2; 2 at 9 (too late, fully followed); 3 is followed 9 without; 4 only 2
    # (censored); 5 converts exactly at 7 (counts); observation ends at 10
    assert (w.n_origin, w.n_converted, w.n_censored) == (5, 2, 1)
    assert w.naive == pytest.approx(2 / 5)
    # reference: lifelines' KaplanMeierFitter (log(-log) Greenwood interval); tol 1e-8
    kmf = KaplanMeierFitter(alpha=0.05).fit([2, 9, 9, 2, 7], [1, 1, 0, 0, 1])
    s = float(kmf.survival_function_at_times(7).iloc[0])
    assert w.estimate == pytest.approx(1 - s, rel=1e-10)
    ci = kmf.confidence_interval_survival_function_
    row = ci[ci.index <= 7].iloc[-1]
    assert w.ci_low == pytest.approx(1 - row.iloc[1], abs=1e-8)
    assert w.ci_high == pytest.approx(1 - row.iloc[0], abs=1e-8)
    lo, hi = proportion_confint(2, 5, method="wilson")
    assert (w.naive_ci_low, w.naive_ci_high) == pytest.approx((lo, hi), abs=1e-12)


def test_window_conversion_on_shipped_data_recount(shipped):
    w = window_conversion(shipped, "awareness", ("event", "conversion"), window="30D")
    e = shipped.events
    first_a = e[e["stage"] == "awareness"].groupby("customer_id")["timestamp"].min()
    conv = e[e["event"] == "conversion"].merge(first_a.rename("t0"), on="customer_id")
    first_b = conv[conv["timestamp"] >= conv["t0"]].groupby("customer_id")["timestamp"].min()
    gap = (first_b - first_a.reindex(first_b.index)).dt.total_seconds() / 86400
    assert w.n_origin == len(first_a)
    assert w.n_converted == int((gap <= 30).sum())
    followed = (shipped.observation_end - first_a).dt.total_seconds() / 86400 >= 30
    within = pd.Series(False, index=first_a.index)
    within[gap.index[gap <= 30]] = True
    assert w.n_censored == int((~within & ~followed).sum())
    assert w.estimate > w.naive  # the naive share counts the censored as non-converters


def simulated_window_world(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, float]:
    """Customers enter uniformly over 60 days; 40% will convert, after an exponential delay
    of mean 10 days; observation ends at day 60. P(convert within 14 days) is known."""
    t0 = rng.uniform(0, 60, n)
    will = rng.random(n) < 0.4
    delay = rng.exponential(10.0, n)
    conv_t = t0 + delay
    rows = [(i, t0[i], "touch", "a") for i in range(n)]
    rows += [(i, conv_t[i], "conversion", "b") for i in range(n) if will[i] and conv_t[i] <= 60]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])
    return df, 0.4 * (1 - np.exp(-14 / 10.0))


def test_naive_share_is_biased_in_one_large_world():
    # one world of 4,000 customers (fast): truth 0.3014; KM's interval covers it, the naive
    # share falls below it by about 0.03 and its own interval misses it
    df, truth = simulated_window_world(np.random.default_rng(3), 4000)
    w = window_conversion(df, "a", "b", window=14, observation_end=60.0)
    assert w.ci_low <= truth <= w.ci_high
    assert w.naive_ci_high < truth
    assert w.n_censored > 0.15 * w.n_origin  # entered in the last 14 of 60 days


@pytest.mark.slow
def test_naive_share_is_biased_and_kaplan_meier_is_not():
    rng = np.random.default_rng(11)
    est, naive, cover = [], [], []
    for _ in range(150):
        df, truth = simulated_window_world(rng, 400)
        w = window_conversion(df, "a", "b", window=14, observation_end=60.0)
        est.append(w.estimate)
        naive.append(w.naive)
        cover.append(w.ci_low <= truth <= w.ci_high)
    # the truth is 0.4 * (1 - exp(-1.4)) = 0.3014; about a quarter of the customers entered
    # less than 14 days before the end, so the naive share is about 0.27
    assert abs(np.mean(est) - truth) < 0.006  # KM: unbiased (sd of the mean ~0.002)
    assert np.mean(naive) < truth - 0.02  # naive: biased low
    assert 0.90 <= np.mean(cover) <= 0.99


# ------------------------------------------------------------------ the result surface
def test_surface_strict_json_and_plots(shipped):
    f = funnel(shipped, STAGES, grain="journey")
    d = compare_funnel_definitions(shipped, STAGES, grain="journey")
    c = compare_funnels(shipped, STAGES, group="segment")
    w = window_conversion(shipped, "awareness", ("event", "conversion"), window="30D")
    for r in (f, d, c, w):
        json.dumps(r.to_dict(), allow_nan=False)
        assert "\n" not in repr(r)
        assert isinstance(r.summary(), pd.DataFrame)
        r.plot()
    assert isinstance(f, FunnelResult) and isinstance(w, WindowConversion)
    assert f.to_dict()["notes"]
    assert repr(f).startswith("FunnelResult(definition='strict-order', grain='journey'")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"steps": ["visit"]}, "at least two"),
    ({"steps": "visit"}, "at least two"),
    ({"steps": ["visit", 3]}, "a step is"),
    ({"steps": ["visit", ("nope", "x")]}, "column 'nope'"),
    ({"steps": ["visit", ("event", "click")]}, "not an event type"),
    ({"definition": "strict"}, "definition"),
    ({"grain": "visit"}, "grain"),
    ({"sequence": "by"}, "sequence"),
    ({"window": -1}, "window"),
    ({"window": "soon"}, "must be a number"),
    ({"alpha": 1.5}, "alpha"),
    ({"spec": {"timeout": 3}}, "JourneySpec"),
    ({"spec": JourneySpec(timeout=3)}, "ignored"),
    ({"inactivity": 30}, "inactivity"),
])
def test_bad_input_is_refused(kwargs, match):
    args = {"steps": STEPS3, **kwargs}
    with pytest.raises(ValidationError, match=match):
        funnel(hand_log(), **args)


def test_no_stage_column_and_an_unmatched_step():
    df = hand_log().drop(columns="stage").assign(channel="email")
    with pytest.raises(ValidationError, match="stage"):
        funnel(df, ["a", "b"])
    with pytest.warns(UserWarning, match="matches no event"):
        f = funnel(hand_log(), ["visit", "checkout"])
    assert f.table["reached"].tolist() == [4, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        funnel(hand_log(), STEPS3)  # nothing to say
    with pytest.raises(ValidationError, match="no customer did the origin"), \
            pytest.warns(UserWarning, match="matches no event"):
        window_conversion(hand_log(), "nowhere", "buy", window=3)
    with pytest.raises(ValidationError, match="window"):
        window_conversion(hand_log(), "visit", "buy", window=None)
