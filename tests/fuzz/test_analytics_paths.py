"""Fuzz the path queries (:mod:`cjmodels.analytics.paths`) on adversarial event logs and
patterns.

Each test asserts that only :mod:`cjmodels.errors` exceptions escape and, where the input is
accepted, that the counts add up (journeys and conversions of the top paths, the parts of a
journey's length), shares and intervals lie in [0, 1], results serialise as strict JSON, and a
selection of every journey gives the same journeys back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import analytics as ca
from cjmodels import data as cd
from tests.fuzz.harness import call, count, fuzz, refused, strict_json, surface
from tests.fuzz.strategies import event_logs

PATTERN_PIECES = ["^", "$", ">", " > ", "...", "*", "(", ")", "|", "not ", "email", "search",
                  "'", "(conversion)", "(censored)", " ", "a b", "x"]


@given(log=event_logs(), k=st.integers(1, 5), collapse=st.booleans(),
       rank=st.sampled_from(["journeys", "conversions"]))
@fuzz(2)
def test_top_paths_add_up(log, k, collapse, rank):
    count()
    spec = cd.JourneySpec(sequence="channel", collapse_repeats=collapse)
    full = call(ca.top_paths, log.frame, k=10_000, rank=rank, spec=spec)
    if refused(full):
        return
    surface(full)
    t = full.table
    assert t["journeys"].sum() == full.n_journeys and full.coverage == 1.0
    assert t["conversions"].sum() == full.n_conversions
    j = call(cd.journeys, log.frame)
    assert full.n_journeys + full.info["journeys_without_touches"] == len(j)
    assert full.n_conversions <= log.n_conversions
    for col in ("share", "ci_low", "ci_high", "cum_share", "conversion_rate"):
        x = t[col].dropna()
        assert ((x >= 0) & (x <= 1)).all(), col
    assert (t["ci_low"] <= t["share"] + 1e-12).all() and (t["share"] <= t["ci_high"] + 1e-12).all()
    assert (np.diff(t["cum_share"]) >= 0).all()
    top = call(ca.top_paths, log.frame, k=k, rank=rank, spec=spec)
    strict_json(top)
    pd.testing.assert_frame_equal(top.table, t.head(k))


@given(log=event_logs(), collapse=st.booleans())
@fuzz(2)
def test_journey_metrics_add_up(log, collapse):
    count()
    spec = cd.JourneySpec(sequence="channel", collapse_repeats=collapse)
    m = call(ca.journey_metrics, log.frame, spec=spec, has=["email"],
             between=[("email", "search"), ("email", "(conversion)")])
    if refused(m):
        return
    surface(m, plot=False)
    t = m.table
    assert (t["length"] == t["distinct"] + t["repeats"] + t["loops"]).all()
    assert (t["duration"] >= 0).all()
    if not collapse:
        assert t["length"].sum() == log.n_touches
        assert (t["repeats"] == 0).all() or not collapse
    for col in ("time_email_to_search", "time_email_to_conversion"):
        x = t[col].dropna()
        assert (x >= 0).all() and (x <= t.loc[x.index, "duration"] + 1e-9).all()
    every = call(ca.match_paths, log.frame, "...", spec=spec)
    surface(every, plot=False)
    assert every.matched.all() and every.n_matched == len(t) and every.share == 1.0
    has = call(ca.match_paths, log.frame, "email", spec=spec)
    assert has.matched.tolist() == t["has_email"].tolist()
    tab = has.table
    assert tab.loc["matched", "journeys"] + tab.loc["other", "journeys"] == len(t)
    assert tab.loc["all", "conversions"] == (t["outcome"] == "conversion").sum()


@given(log=event_logs(), data=st.data())
@fuzz(2)
def test_selecting_every_journey_gives_them_back(log, data):
    count()
    m = call(ca.journey_metrics, log.frame)
    if refused(m):
        return
    sub = call(ca.select_journeys, log.frame, "...")
    if refused(sub):  # only journeys without events? never: every journey has one
        raise AssertionError(f"selecting every journey was refused: {sub}")
    again = call(ca.journey_metrics, sub)
    cols = ["customer_id", "journey", "outcome", "path", "length", "loops", "duration"]
    pd.testing.assert_frame_equal(again.table[cols], m.table[cols])
    some = np.asarray(data.draw(st.lists(st.booleans(), min_size=len(m.table),
                                         max_size=len(m.table))), dtype=bool)
    part = call(ca.select_journeys, log.frame, some)
    if refused(part):
        assert not some.any()
        return
    got = call(ca.journey_metrics, part)
    want = m.table.loc[some].reset_index(drop=True)
    pd.testing.assert_series_equal(got.table["path"], want["path"])
    pd.testing.assert_series_equal(got.table["outcome"], want["outcome"])
    cust = call(ca.select_customers, log.frame, some)
    assert cust.n_customers == want["customer_id"].nunique()


@given(log=event_logs(clean=True),
       pieces=st.lists(st.sampled_from(PATTERN_PIECES), min_size=0, max_size=8),
       text=st.text(max_size=12))
@fuzz(2)
def test_any_pattern_is_parsed_or_refused(log, pieces, text):
    count()
    for pattern in ("".join(pieces), text):
        out = call(ca.match_paths, log.frame, pattern)
        if not refused(out):
            assert out.matched.dtype == bool and 0 <= out.share <= 1
            strict_json(out)
