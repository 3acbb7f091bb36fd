"""Path queries (cjmodels.analytics.paths): top paths, patterns, per-journey metrics, selections.

Every count is checked against a recount written independently of the module: a plain-Python
walk over each customer's events (journeys) and a backtracking matcher (patterns); intervals
against statsmodels and by a simulation of their coverage; selections by the estimators' results
on a log filtered with plain pandas.
"""

from __future__ import annotations

import json
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from cjmodels.analytics import (
    JourneyMetrics,
    PathPattern,
    TopPaths,
    journey_metrics,
    match_paths,
    select_customers,
    select_journeys,
    top_paths,
)
from cjmodels.data import EventLog, JourneySpec, PathTable, path_table
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError


@cache
def shipped() -> EventLog:
    return load_journeys().event_log()


# ------------------------------------------------------------------ independent recounts
@cache
def walk(log: EventLog, sequence: str = "channel", timeout: float | None = None) -> list[dict]:
    """Journeys by a plain-Python walk over each customer's events (the rules of
    cjmodels.data.journeys written out): a list of dicts with customer, tokens, times, rows,
    outcome, start, end."""
    ev = log.events
    t_all = log.times("D")
    out: list[dict] = []
    for cust, g in ev.groupby("customer_id", sort=False):
        cur = None
        last_t = None
        for i in g.index:
            kind, t = ev.at[i, "event"], float(t_all[i])
            if kind not in ("touch", "conversion", "drop_out", "churn"):
                continue
            gap = (cur is not None and timeout is not None and last_t is not None
                   and t - last_t > timeout)
            if gap:
                cur["outcome"] = "drop_out"
                out.append(cur)
                cur = None
            if kind == "touch":
                if cur is None:
                    cur = {"customer": cust, "tokens": [], "times": [], "rows": [], "start": t}
                cur["tokens"].append(ev.at[i, sequence])
                cur["times"].append(t)
                cur["rows"].append(i)
                cur["end"] = t
                last_t = t
            elif kind == "conversion":
                if cur is None:
                    cur = {"customer": cust, "tokens": [], "times": [], "rows": [], "start": t}
                cur["rows"].append(i)
                cur["end"], cur["outcome"] = t, "conversion"
                out.append(cur)
                cur, last_t = None, None
            else:
                if cur is not None:
                    cur["rows"].append(i)
                    cur["end"], cur["outcome"] = t, "drop_out"
                    out.append(cur)
                cur, last_t = None, None
        if cur is not None:
            obs_end = float(log.to_float(log.observation_end, "D"))
            stale = timeout is not None and obs_end - cur["end"] > timeout
            cur["outcome"] = "drop_out" if stale else "censored"
            out.append(cur)
    return out


def bt_match(terms: list[tuple[str, set, bool]], toks: list[str], start: bool, end: bool) -> bool:
    """Backtracking matcher over a list of (kind, names, negate) terms."""

    def ok(term, tok):
        return (tok in term[1]) != term[2]

    def go(i, e):
        if e == len(terms):
            return not end or i == len(toks)
        kind = terms[e][0]
        if kind == "step":
            return i < len(toks) and ok(terms[e], toks[i]) and go(i + 1, e + 1)
        return go(i, e + 1) or (i < len(toks) and ok(terms[e], toks[i]) and go(i + 1, e))

    starts = [0] if start else range(len(toks) + 1)
    return any(go(i, 0) for i in starts)


def render(terms: list[tuple[str, set, bool]], start: bool, end: bool) -> str:
    parts = []
    for kind, names, negate in terms:
        inner = " | ".join(sorted(names))
        if kind == "step":
            if not names:
                parts.append("*")
            elif negate:
                parts.append(f"(not {inner})")
            else:
                parts.append(inner if len(names) == 1 else f"({inner})")
        elif not names:
            parts.append("...")
        else:
            parts.append(f"...({'not ' if negate else ''}{inner})")
    return ("^" if start else "") + " > ".join(parts) + ("$" if end else "")


def frame(paths: list[list[str]], converted: list[bool] | None = None) -> pd.DataFrame:
    rows = []
    for c, p in enumerate(paths):
        for i, ch in enumerate(p):
            rows.append((c, i, "touch", ch))
        if converted is not None and converted[c]:
            rows.append((c, len(p), "conversion", None))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])


# ------------------------------------------------------------------ top paths
def test_top_paths_recount_on_shipped_data():
    log = shipped()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        tp = top_paths(log, k=20)
    js = [j for j in walk(log) if j["tokens"]]
    counts: dict[str, list[int]] = {}
    for j in js:
        c = counts.setdefault(" > ".join(j["tokens"]), [0, 0])
        c[0] += 1
        c[1] += j["outcome"] == "conversion"
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:20]
    assert tp.table["path"].tolist() == [p for p, _ in ranked]
    assert tp.table["journeys"].tolist() == [c[0] for _, c in ranked]
    assert tp.table["conversions"].tolist() == [c[1] for _, c in ranked]
    n = len(js)
    n_conv = sum(j["outcome"] == "conversion" for j in js)
    assert tp.n_journeys == n and tp.n_conversions == n_conv and tp.n_paths == len(counts)
    assert tp.coverage == pytest.approx(sum(c[0] for _, c in ranked) / n, abs=1e-12)
    assert tp.conversion_coverage == pytest.approx(sum(c[1] for _, c in ranked) / n_conv,
                                                   abs=1e-12)
    # ranked by conversions
    by_c = top_paths(log, k=5, rank="conversions")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))[:5]
    assert by_c.table["path"].tolist() == [p for p, _ in ranked]


def test_top_paths_intervals_match_statsmodels():
    log = shipped()
    tp = top_paths(log, k=8, alpha=0.1)
    t = tp.table
    # reference: statsmodels.stats.proportion.proportion_confint(method="wilson"), tol 1e-10
    lo, hi = proportion_confint(t["journeys"], tp.n_journeys, alpha=0.1, method="wilson")
    np.testing.assert_allclose(t["ci_low"], lo, atol=1e-10)
    np.testing.assert_allclose(t["ci_high"], hi, atol=1e-10)
    lo, hi = proportion_confint(t["journeys"].cumsum(), tp.n_journeys, alpha=0.1,
                                method="wilson")
    np.testing.assert_allclose(t["cum_ci_low"], lo, atol=1e-10)
    assert tp.coverage_ci == pytest.approx((lo.iloc[-1], hi.iloc[-1]), abs=1e-10)
    lo, hi = proportion_confint(t["conversions"].cumsum(), tp.n_conversions, alpha=0.1,
                                method="wilson")
    np.testing.assert_allclose(t["cum_conversion_ci_high"], hi, atol=1e-10)
    lo, hi = proportion_confint(t["conversions"], t["journeys"], alpha=0.1, method="wilson")
    np.testing.assert_allclose(t["rate_ci_low"], lo, atol=1e-10)


def test_top_paths_from_a_path_table_equals_from_the_log():
    log = shipped()
    a = top_paths(log, k=10)
    b = top_paths(path_table(log), k=10)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_top_paths_hand_made_and_errors():
    df = frame([["a", "b"], ["a", "b"], ["c"], ["a"]], converted=[True, False, True, False])
    tp = top_paths(df, k=2)
    # 'c' and 'a' tie on journeys; 'c' converted once, so it ranks first
    assert tp.table["path"].tolist() == ["a > b", "c"]
    assert tp.table["journeys"].tolist() == [2, 1]
    assert tp.coverage == 0.75 and tp.conversion_coverage == 1.0
    assert tp.table["conversion_rate"].tolist() == [0.5, 1.0]
    assert top_paths(df, k=100).k == 3
    d = tp.to_dict()
    json.dumps(d, allow_nan=False)
    assert repr(tp).startswith("TopPaths(k=2")
    for bad in (dict(k=0), dict(k=1.5), dict(rank="value"), dict(alpha=1.0),
                dict(spec=JourneySpec(order=2)), dict(spec="channel")):
        with pytest.raises(ValidationError):
            top_paths(df, **bad)


def test_top_paths_leaves_out_journeys_without_touch_with_a_warning():
    df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0, 1, 2],
                       "event": ["touch", "conversion", "conversion"],
                       "channel": ["a", None, None]})
    with pytest.warns(UserWarning, match="no touch"):
        tp = top_paths(df)
    assert tp.n_journeys == 1 and tp.info["journeys_without_touches"] == 1


def coverage_of_top3(runs: int) -> float:
    """400 journeys over 12 paths with known probabilities: how often the 95% interval of the
    share of the top 3 covers the true share of the 3 paths it picked."""
    rng = np.random.default_rng(20261207)
    probs = np.array([0.3, 0.2, 0.15, 0.08, 0.07, 0.05, 0.05, 0.04, 0.03, 0.01, 0.01, 0.01])
    names = [f"c{i}" for i in range(len(probs))]
    hits = 0
    for _ in range(runs):
        counts = rng.multinomial(400, probs)
        conv = rng.binomial(counts, 0.2)
        keep = counts > 0
        pt = PathTable(pd.DataFrame({"path": np.array(names)[keep],
                                     "total_conversions": conv[keep],
                                     "total_null": (counts - conv)[keep]}))
        tp = top_paths(pt, k=3)
        true = probs[[names.index(p) for p in tp.table["path"]]].sum()
        hits += tp.coverage_ci[0] <= true <= tp.coverage_ci[1]
    return hits / runs


def test_top_paths_coverage_interval_covers_by_simulation():
    # 200 runs: the band is two standard errors of a 95% coverage
    assert 0.92 <= coverage_of_top3(200) <= 0.98


@pytest.mark.slow
def test_top_paths_coverage_interval_covers_by_long_simulation():
    assert 0.935 <= coverage_of_top3(2000) <= 0.965


# ------------------------------------------------------------------ patterns
PATTERNS = [
    ("email", [("step", {"email"}, False)], False, False),
    ("^email > ... > organic_search$",
     [("step", {"email"}, False), ("gap", set(), True), ("step", {"organic_search"}, False)],
     True, True),
    ("email > ...(not sms) > paid_search",
     [("step", {"email"}, False), ("gap", {"sms"}, True), ("step", {"paid_search"}, False)],
     False, False),
    ("(not email) > * > (display | social)",
     [("step", {"email"}, True), ("step", set(), True), ("step", {"display", "social"}, False)],
     False, False),
    ("^...(email | sms) > direct",
     [("gap", {"email", "sms"}, False), ("step", {"direct"}, False)], True, False),
    ("organic_search > organic_search > ...$",
     [("step", {"organic_search"}, False), ("step", {"organic_search"}, False),
      ("gap", set(), True)], False, True),
]


@pytest.mark.parametrize(("text", "terms", "start", "end"), PATTERNS)
def test_patterns_match_the_backtracking_recount_on_shipped_data(text, terms, start, end):
    log = shipped()
    got = match_paths(log, text).matched
    want = [bt_match(terms, j["tokens"], start, end) for j in walk(log)]
    assert got.tolist() == want
    assert 0 < got.sum() < len(got)


def test_outcome_terms_on_shipped_data():
    log = shipped()
    js = walk(log)
    got = match_paths(log, "email > ... > (conversion)").matched
    want = [("email" in j["tokens"]) and j["outcome"] == "conversion" for j in js]
    assert got.tolist() == want
    m = match_paths(log, "email > ... > (conversion)", alpha=0.1)
    assert m.n_matched == sum(want) and m.n_journeys == len(js)
    assert m.table.loc["all", "conversions"] == sum(j["outcome"] == "conversion" for j in js)
    assert m.table.loc["other", "conversions"] == sum(
        j["outcome"] == "conversion" and "email" not in j["tokens"] for j in js)
    # reference: statsmodels' Wilson interval, tol 1e-10
    lo, hi = proportion_confint(m.n_matched, m.n_journeys, alpha=0.1, method="wilson")
    assert (m.ci_low, m.ci_high) == pytest.approx((lo, hi), abs=1e-10)
    lo, hi = proportion_confint(m.table["conversions"], m.table["journeys"], alpha=0.1,
                                method="wilson")
    np.testing.assert_allclose(m.table["ci_low"], lo, atol=1e-10)
    np.testing.assert_allclose(m.table["ci_high"], hi, atol=1e-10)
    json.dumps(m.to_dict(), allow_nan=False)
    assert select_journeys(log, m).n_events == select_journeys(log, m.matched).n_events
    got = match_paths(log, "^(censored)").matched
    assert got.tolist() == [not j["tokens"] and j["outcome"] == "censored" for j in js]


names = st.sampled_from(["a", "b", "c"])
term_st = st.tuples(st.sampled_from(["step", "gap"]), st.sets(names, max_size=2), st.booleans())


@given(paths=st.lists(st.lists(names, min_size=1, max_size=7), min_size=1, max_size=8),
       terms=st.lists(term_st, min_size=1, max_size=4), start=st.booleans(), end=st.booleans())
@settings(max_examples=80, deadline=None)
def test_patterns_match_the_backtracking_recount_on_generated_paths(paths, terms, start, end):
    terms = [(k, n, ng if n else True) for k, n, ng in terms]  # no names: any touch
    text = render(terms, start, end)
    assert PathPattern(text).terms == tuple((k, tuple(sorted(n)), ng) for k, n, ng in terms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a name absent from these paths
        got = match_paths(frame(paths), text).matched
    assert got.tolist() == [bt_match(terms, p, start, end) for p in paths]


def test_quoted_names_and_blanks():
    df = frame([["paid search", "a>b"], ["paid search"]]).assign(
        channel=lambda d: d["channel"].str.replace(">", "-"))
    assert match_paths(df, "paid search > 'a-b'").matched.tolist() == [True, False]
    assert match_paths(df, "^  paid search  $").matched.tolist() == [False, True]


@pytest.mark.parametrize(("pattern", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ("a > > b", "between '>' at position 2"),
    ("> a", "before the first '>'"),
    ("a >", "after the last '>'"),
    ("(a | b", "position 0 is not closed"),
    ("a)", "closes nothing"),
    ("((a))", "do not nest"),
    ("a ^ b", "'\\^' at position 2"),
    ("a > 'b", "not closed"),
    ("(conversion) > a", "last term"),
    ("a > (conversion)$", "drop '\\$'"),
    ("a...", "term of its own"),
    ("... a", "only a set may follow"),
    ("(a) b", "put a '>'"),
    ("a(b)", "inside a name"),
    ("(a | )", "name is missing"),
    ("a*", "cannot appear in a name"),
    ("^$", "no term at position 1, only anchors"),
    ("a > (conversion)$", "'\\$' at position 16 is redundant"),
    (3, "pass a string"),
])
def test_bad_patterns_name_the_position_and_the_fix(pattern, message):
    with pytest.raises(ValidationError, match=message):
        PathPattern(pattern)


def test_unknown_names_warn_and_match_nothing():
    df = frame([["a", "b"]])
    with pytest.warns(UserWarning, match="zzz"):
        assert match_paths(df, "zzz").matched.tolist() == [False]
    with pytest.warns(UserWarning, match="zzz"):
        assert match_paths(df, "(not zzz)").matched.tolist() == [True]


def test_matching_is_linear_in_path_length():
    # one journey of 20,000 touches and a pattern with four gaps: no backtracking blow-up
    toks = ["a", "b"] * 5_000
    df = frame([toks, ["c"]])
    assert match_paths(df, "a > ... > b > ... > a > ... > b > ...(not c) > c").matched.tolist() == [
        False, False]
    assert match_paths(df, "^a > ... > b > ...(a | b)$").matched.tolist() == [True, False]


# ------------------------------------------------------------------ metrics
def test_journey_metrics_recount_on_shipped_data():
    log = shipped()
    m = journey_metrics(log, has=["email", "sms"],
                        between=[("email", "paid_search"), ("email", "(conversion)")])
    js = walk(log)
    t = m.table
    assert len(t) == len(js)
    assert t["length"].tolist() == [len(j["tokens"]) for j in js]
    assert t["outcome"].astype(str).tolist() == [j["outcome"] for j in js]
    assert t["customer_id"].tolist() == [j["customer"] for j in js]
    np.testing.assert_allclose(t["duration"], [j["end"] - j["start"] for j in js], atol=1e-9)
    loops, repeats, distinct, ab, ac = [], [], [], [], []
    for j in js:
        tk, tm = j["tokens"], j["times"]
        distinct.append(len(set(tk)))
        repeats.append(sum(tk[i] == tk[i - 1] for i in range(1, len(tk))))
        loops.append(sum(tk[i] in tk[:i] and tk[i] != tk[i - 1] for i in range(1, len(tk))))
        ia = tk.index("email") if "email" in tk else None
        ib = next((i for i in range(ia + 1, len(tk)) if tk[i] == "paid_search"), None) \
            if ia is not None else None
        ab.append(np.nan if ib is None else tm[ib] - tm[ia])
        ac.append(j["end"] - tm[ia] if ia is not None and j["outcome"] == "conversion"
                  else np.nan)
    assert t["loops"].tolist() == loops
    assert t["repeats"].tolist() == repeats
    assert t["distinct"].tolist() == distinct
    assert (t["length"] == t["distinct"] + t["repeats"] + t["loops"]).all()
    np.testing.assert_allclose(t["time_email_to_paid_search"], ab, atol=1e-9)
    np.testing.assert_allclose(t["time_email_to_conversion"], ac, atol=1e-9)
    assert t["has_sms"].tolist() == ["sms" in j["tokens"] for j in js]
    s = m.summary()
    assert s.loc["length", "mean"] == pytest.approx(np.mean([len(j["tokens"]) for j in js]))
    json.dumps(m.to_dict(), allow_nan=False)


def test_journey_metrics_mean_interval_matches_scipy():
    from scipy import stats

    m = journey_metrics(shipped())
    x = m.table["duration"].to_numpy()
    # reference: scipy.stats.t.interval on the mean and its standard error, tol 1e-10
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    s = m.summary()
    assert (s.loc["duration", "ci_low"], s.loc["duration", "ci_high"]) == pytest.approx(
        (lo, hi), abs=1e-10)


def test_journey_metrics_with_timeout_first_journeys_and_collapse():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 1, 2, 2],
        "timestamp": [0.0, 1.0, 1.5, 10.0, 11.0, 0.0, 0.5],
        "event": ["touch"] * 7,
        "channel": ["a", "a", "b", "a", "a", "b", "c"],
    })
    m = journey_metrics(df, spec=JourneySpec(sequence="channel", timeout=5))
    assert m.table["path"].tolist() == ["a > a > b", "a > a", "b > c"]
    # customer 2's last touch is 10.5 before the observation end (11 > timeout): dropped out
    assert m.table["outcome"].astype(str).tolist() == ["drop_out", "censored", "drop_out"]
    assert m.table["repeats"].tolist() == [1, 1, 0]
    m = journey_metrics(df, spec=JourneySpec(sequence="channel", timeout=5, journeys="repeat",
                                             collapse_repeats=True), between=("a", "a"))
    assert m.table["path"].tolist() == ["a"] and m.table["length"].tolist() == [1]
    assert m.unit == "log"
    for bad in (dict(has=3), dict(between="ab"), dict(between=[("a",)]),
                dict(between=("(conversion)", "a")), dict(unit=5), dict(alpha=0)):
        with pytest.raises(ValidationError):
            journey_metrics(df, **bad)


# ------------------------------------------------------------------ selections
def plain_journey_numbers(df: pd.DataFrame) -> pd.Series:
    """Journey number of each event of a log without stop events or timeout: the number of
    conversions of the customer strictly before it."""
    conv = (df["event"] == "conversion").astype(int)
    return conv.groupby(df["customer_id"]).cumsum() - conv


def same_log_settings(log: EventLog, df: pd.DataFrame) -> EventLog:
    return EventLog(df, scheme=log.scheme, observation_start=log.observation_start,
                    observation_end=log.observation_end)


def test_selected_journeys_are_the_plain_pandas_filter_for_every_estimator():
    from cjmodels.attribution import attribute
    from cjmodels.markov import fit_chain

    log = shipped()
    df = log.events
    jn = plain_journey_numbers(df)
    touches = df[df["event"] == "touch"]
    first = touches.groupby([touches["customer_id"], jn[touches.index]])["channel"].first()
    wanted = first[first == "email"].index
    keys = pd.MultiIndex.from_arrays([df["customer_id"], jn])
    plain = same_log_settings(log, df[keys.isin(wanted)])
    sub = select_journeys(log, "^email")
    pd.testing.assert_frame_equal(sub.events, plain.events)
    assert sub.observation_end == log.observation_end
    assert sub.source_index.equals(log.source_index[keys.isin(wanted)])
    assert path_table(sub) == path_table(plain)
    null = JourneySpec(censored="null")
    assert fit_chain(sub, spec=null) == fit_chain(plain, spec=null)
    assert attribute(sub) == attribute(plain)
    assert top_paths(sub).table["path"].str.startswith("email").all()


def test_selected_customers_are_the_plain_pandas_filter_for_every_estimator():
    from cjmodels.attribution import attribute
    from cjmodels.markov import fit_chain

    log = shipped()
    df = log.events
    who = df.loc[df["channel"] == "sms", "customer_id"].unique()
    plain = same_log_settings(log, df[df["customer_id"].isin(who)])
    sub = select_customers(log, "sms")
    pd.testing.assert_frame_equal(sub.events, plain.events)
    assert path_table(sub) == path_table(plain)
    null = JourneySpec(censored="null")
    assert fit_chain(sub, spec=null) == fit_chain(plain, spec=null)
    assert attribute(sub) == attribute(plain)


def test_selection_by_metrics():
    log = shipped()
    m = journey_metrics(log)
    sub = select_journeys(log, m.table["loops"] >= 3)
    again = journey_metrics(sub)
    assert len(again.table) == int((m.table["loops"] >= 3).sum())
    assert (again.table["loops"] >= 3).all()
    # all: customers whose every journey converted
    conv = (m.table["outcome"] == "conversion").to_numpy()
    sub = select_customers(log, conv, how="all")
    assert (journey_metrics(sub).table["outcome"] == "conversion").all()
    byc = pd.Series(conv).groupby(m.table["customer_id"]).all()
    assert sub.n_customers == int(byc.sum())


def test_selection_keeps_journeys_cut_by_a_timeout_and_stop_events():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 1, 1, 2, 2, 2],
        "timestamp": [0.0, 1.0, 9.0, 10.0, 11.0, 12.0, 0.0, 1.0, 2.0],
        "event": ["touch", "touch", "touch", "drop_out", "drop_out", "touch", "touch",
                  "subscribe", "conversion"],
        "channel": ["a", "b", "a", None, None, "c", "b", None, None],
    }, index=[f"r{i}" for i in range(9)])
    spec = JourneySpec(sequence="channel", timeout=5)
    log = EventLog(df, event_types=["touch", "conversion", "drop_out", "churn", "subscribe"])
    m = journey_metrics(log, spec=spec)
    assert m.table["path"].tolist() == ["a > b", "a", "c", "b"]
    for pattern, rows in (("^a > b", ["r0", "r1"]), ("^a$", ["r2", "r3"]), ("c", ["r5"]),
                          ("b > (conversion)", ["r6", "r8"])):
        sub = select_journeys(log, pattern, spec=spec)
        assert sub.source_index.tolist() == rows
        again = journey_metrics(sub, spec=spec).table
        want = m.table[match_paths(log, pattern, spec=spec).matched].reset_index(drop=True)
        pd.testing.assert_frame_equal(again[["path", "outcome", "duration"]],
                                      want[["path", "outcome", "duration"]])
    sub = select_customers(log, "^b", spec=spec)
    assert sub.source_index.tolist() == ["r6", "r7", "r8"]
    with pytest.raises(ValidationError, match="no journey selected"), \
            pytest.warns(UserWarning, match="zzz"):
        select_journeys(log, "zzz > a", spec=spec)
    for bad in ([True], np.ones(4), pd.Series([True] * 4, index=[1, 2, 3, 4]), 3):
        with pytest.raises(ValidationError):
            select_journeys(log, bad, spec=spec)
    with pytest.raises(ValidationError, match="how"):
        select_customers(log, "a", how="most", spec=spec)
    only_touches = EventLog(df.iloc[:3], event_types=["touch"])
    with pytest.raises(ValidationError, match="event_types"):
        select_journeys(only_touches, "a")


def test_event_journeys_agree_with_the_data_layer():
    from cjmodels.analytics.paths import _event_journeys
    from cjmodels.data.journeys import journey_index

    log = shipped()
    for timeout in (None, "7D"):
        jid = _event_journeys(log, timeout)
        _, touch_pos, touch_j, _ = journey_index(log, timeout=timeout, frame=False)
        np.testing.assert_array_equal(jid[touch_pos], touch_j)


def test_results_surface():
    import matplotlib

    matplotlib.use("Agg")
    tp = top_paths(shipped(), k=5)
    assert isinstance(tp, TopPaths) and tp.plot() is not None
    assert tp.summary() is not tp.table
    m = journey_metrics(frame([["a", "b"]]))
    assert isinstance(m, JourneyMetrics) and repr(m) == "JourneyMetrics(journeys=1, unit='log')"
    big = journey_metrics(shipped(), between=("email", "(conversion)"))
    for metric in ("length", "duration", "time_email_to_conversion"):
        assert big.plot(metric=metric) is not None
    with pytest.raises(ValidationError, match="numeric columns"):
        big.plot(metric="path")
    assert match_paths(shipped(), "^email").plot() is not None


def test_first_journeys_stages_and_lookback():
    log = shipped()
    df = log.events
    jn = plain_journey_numbers(df)
    # each customer's first journey: the events before the first conversion, and it
    first = select_journeys(log, "...", spec=JourneySpec(sequence="channel", journeys="first"))
    pd.testing.assert_frame_equal(first.events, same_log_settings(log, df[jn == 0]).events)
    # stages: the shipped log's stage paths, read by the same walk
    got = match_paths(log, "^awareness > ...(not consideration) > (conversion)",
                      spec=JourneySpec()).matched
    want = [bool(j["tokens"]) and j["tokens"][0] == "awareness"
            and "consideration" not in j["tokens"][1:] and j["outcome"] == "conversion"
            for j in walk(log, "stage")]
    assert got.tolist() == want and 0 < sum(want)
    # lookback: a selected journey keeps its touches outside the lookback, so that the
    # sub-log cut by the same spec has the same paths
    small = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0, 5, 6, 0, 1],
                          "event": ["touch", "touch", "conversion", "touch", "touch"],
                          "channel": ["a", "b", None, "a", "c"]})
    spec = JourneySpec(sequence="channel", lookback=2)
    assert journey_metrics(small, spec=spec).table["path"].tolist() == ["b", "a > c"]
    sub = select_journeys(small, "^b", spec=spec)
    assert sub.n_events == 3
    assert journey_metrics(sub, spec=spec).table["path"].tolist() == ["b"]


def test_bootstrap_over_customers():
    rng = np.random.default_rng(7)
    paths = [[str(c)] for c in rng.choice(list("abcdef"), size=1500, p=[.3, .25, .2, .1, .1, .05])]
    converted = list(rng.random(1500) < 0.3)
    one = frame(paths, converted)
    # one journey per customer: the bootstrap over customers agrees with Wilson
    tp = top_paths(one, k=3, n_boot=1000, random_state=1)
    assert tp.coverage_boot_ci == pytest.approx(tp.coverage_ci, abs=0.01)
    assert tp.conversion_coverage_boot_ci == pytest.approx(tp.conversion_coverage_ci, abs=0.015)
    assert top_paths(one, k=3, n_boot=1000, random_state=1) == tp  # reproducible
    # every customer takes the same path twice: Wilson counts 3000 independent journeys, the
    # bootstrap 1500 customers, so its interval is about sqrt(2) wider
    twice = pd.DataFrame([(c, t, "touch", p[0]) for c, p in enumerate(paths) for t in (0, 2)]
                         + [(c, 1, "conversion", None) for c in range(len(paths))],
                         columns=["customer_id", "timestamp", "event", "channel"])
    tw = top_paths(twice, k=3, n_boot=1000, random_state=2)
    assert tw.n_journeys == 3000
    ratio = np.diff(tw.coverage_boot_ci)[0] / np.diff(tw.coverage_ci)[0]
    assert 1.25 < ratio < 1.6, ratio
    assert {"cum_boot_ci_low", "cum_conversion_boot_ci_high"} <= set(tw.table.columns)
    json.dumps(tw.to_dict(), allow_nan=False)
    for bad in (dict(n_boot=-1), dict(n_boot=True)):
        with pytest.raises(ValidationError, match="n_boot"):
            top_paths(one, **bad)
    with pytest.raises(ValidationError, match="path table"):
        top_paths(path_table(one), n_boot=10)
