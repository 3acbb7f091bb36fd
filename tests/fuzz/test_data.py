"""Fuzz the data layer (:mod:`cjmodels.data`): every function that takes an event log, a path
table, journeys or transition counts, on adversarial input.

Each test asserts that only :mod:`cjmodels.errors` exceptions escape and, where the input is
accepted, that nothing is lost (events in = events accounted for), that the result does not
depend on row order or on customers' names, and that results serialise as strict JSON.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from tests.fuzz.harness import call, count, fuzz, refused, same_frame, strict_json
from tests.fuzz.strategies import event_logs, path_tables, relabel


def canon(df: pd.DataFrame, drop: tuple[str, ...] = ("customer_id",)) -> pd.DataFrame:
    """A frame without customer names, rows in a canonical order, for comparing results."""
    out = df.drop(columns=[c for c in drop if c in df.columns]).reset_index(drop=True)
    key = out.apply(lambda r: "\x1f".join(repr(v) for v in r), axis=1) if len(out) else []
    return out.iloc[np.argsort(np.asarray(key, dtype=object), kind="stable")].reset_index(drop=True)


def n_tokens(path: str, sep: str) -> int:
    return 0 if path == "" else path.count(sep) + 1


@given(log=event_logs(), data=st.data())
@fuzz(3)
def test_event_log(log, data):
    count()
    out = call(cd.EventLog, log.frame)
    if refused(out):
        return
    assert len(out) == len(log.frame), "EventLog dropped or added rows"
    assert list(out.events["event"]).count("conversion") == log.n_conversions
    call(out.report)
    again = call(cd.EventLog, log.frame.sample(frac=1, random_state=1))
    assert not refused(again), f"shuffled rows refused: {again}"
    same_frame(out.events, again.events, "EventLog events after shuffling rows")


@given(log=event_logs(), data=st.data())
@fuzz(3)
def test_journeys_account_for_every_event(log, data):
    count()
    j = call(cd.journeys, log.frame)
    if refused(j):
        return
    assert int(j["n_touches"].sum()) == log.n_touches, "touches lost by journeys()"
    assert int((j["outcome"] == "conversion").sum()) == log.n_conversions, (
        "conversions lost by journeys()")
    assert np.isclose(j["value"].sum(), log.conversion_value, rtol=1e-9, equal_nan=True)
    shuffled = call(cd.journeys, log.frame.sample(frac=1, random_state=2))
    same_frame(j, shuffled, "journeys after shuffling rows")
    renamed = call(cd.journeys, relabel(log.frame, data.draw))
    assert not refused(renamed), f"relabelled customers refused: {renamed}"
    same_frame(canon(j), canon(renamed), "journeys after renaming customers")


@given(log=event_logs(), collapse=st.booleans(), data=st.data())
@fuzz(3)
def test_path_table_accounts_for_every_event(log, collapse, data):
    count()
    pt = call(cd.path_table, log.frame, collapse_repeats=collapse)
    if refused(pt):
        return
    strict_json(pt)
    t, info = pt.table, pt.info
    conv = t["total_conversions"].sum() + info.get("conversions_without_touches", 0)
    assert conv == log.n_conversions, f"path table counts {conv} of {log.n_conversions} conversions"
    if not collapse:
        # total_censored counts journeys that are already in total_null (PathTable docs)
        assert (t.get("total_censored", 0 * t["total_null"]) <= t["total_null"]).all()
        touches = sum(
            n_tokens(p, pt.separator) * (c + n)
            for p, c, n in zip(t["path"], t["total_conversions"], t["total_null"], strict=True)
        )
        assert touches == log.n_touches, (
            f"paths hold {touches} touches, the log {log.n_touches} (labels split or merged?)")
    back = call(cd.read_path_table, t, separator=pt.separator)
    assert not refused(back), f"a path table cjmodels wrote is refused when read back: {back}"
    shuffled = call(cd.path_table, log.frame.sample(frac=1, random_state=3),
                    collapse_repeats=collapse)
    same_frame(t, shuffled.table, "path table after shuffling rows")
    renamed = call(cd.path_table, relabel(log.frame, data.draw), collapse_repeats=collapse)
    same_frame(t, renamed.table, "path table after renaming customers")


@given(log=event_logs(), sequence=st.sampled_from(["channel", "stage"]), order=st.integers(1, 2),
       censored=st.sampled_from(["drop", "null", "state"]), data=st.data())
@fuzz(3)
def test_transition_counts(log, sequence, order, censored, data):
    count()
    tc = call(cd.transition_counts, log.frame, sequence=sequence, order=order,
              censored=censored)
    if refused(tc):
        return
    strict_json(tc)
    if order == 1 and censored != "drop":
        into_conv = tc.table.loc[tc.table["to_state"] == cd.CONVERSION, "count"].sum()
        assert into_conv == log.n_conversions, (
            f"{into_conv} transitions into (conversion), {log.n_conversions} conversions")
    shuffled = call(cd.transition_counts, log.frame.sample(frac=1, random_state=4),
                    sequence=sequence,
                    order=order, censored=censored)
    same_frame(tc.table, shuffled.table, "transition counts after shuffling rows")
    renamed = call(cd.transition_counts, relabel(log.frame, data.draw), sequence=sequence,
                   order=order, censored=censored)
    same_frame(tc.table, renamed.table, "transition counts after renaming customers")


@given(log=event_logs(), data=st.data())
@fuzz(2)
def test_journey_set_and_its_inputs(log, data):
    count()
    out = call(cd.journey_set, log.frame)
    if refused(out):
        return
    js = out
    strict_json(js)
    # a channel named like a start/end state ('(start)', '(null)') is refused by the transition
    # counts, and refused the same way whether they start from the log, its journeys or its
    # path table
    from_log = refused(call(cd.transition_counts, log.frame))
    pt = call(cd.path_table, log.frame)
    if not refused(pt) and len(pt.table):
        assert refused(call(cd.transition_counts, pt)) == from_log, (
            "transition_counts treats a log and its own path table differently")
    assert refused(call(cd.transition_counts, js)) == from_log, (
        "transition_counts treats a log and its own JourneySet differently")


@given(table=path_tables(), sep=st.sampled_from([" > ", ">", None]))
@fuzz(3)
def test_read_path_table(table, sep):
    count()
    kwargs = {} if sep is None else {"separator": sep}
    pt = call(cd.read_path_table, table, **kwargs)
    if refused(pt):
        return
    strict_json(pt)
    t = pt.table
    assert np.isclose(t["total_conversions"].sum(), table["total_conversions"].sum()), (
        "read_path_table changed the number of conversions")
    assert np.isclose(t["total_null"].sum(), table["total_null"].sum()), (
        "read_path_table changed the number of non-conversions")
    for p in t["path"]:
        for label in (p.split(pt.separator) if p else []):
            assert ">" not in label, f"label {label!r} holds the separator after reading"
    tc = call(cd.transition_counts, pt)
    labels = set(pt.channels)  # as read: trimmed around a separator without blanks
    if refused(tc):
        assert labels & {"(start)", "(conversion)", "(null)"}, (
            f"transition_counts refused a path table it read: {tc}")
        return
    # every journey with a channel leaves (start) once; each one not censored (censored
    # journeys are a part of total_null, dropped by default) ends once
    tt = tc.table
    starts = tt.loc[tt["from_state"] == "(start)", "count"].sum()
    ends = tt.loc[tt["to_state"].isin(["(conversion)", "(null)"]), "count"].sum()
    with_channel = (t["path"].str.len() > 0).to_numpy()
    journeys = (t["total_conversions"] + t["total_null"])[with_channel].sum()
    censored = t["total_censored"][with_channel].sum() if "total_censored" in t else 0
    assert np.isclose(ends, journeys - censored), (
        f"{ends} journey ends, {journeys} journeys of which {censored} censored")
    assert np.isclose(starts, journeys), f"{starts} journey starts, {journeys} journeys"


@given(log=event_logs(), origin=st.sampled_from(["first-touch", "first-event"]),
       unit=st.sampled_from(["D", "h", "s"]), data=st.data())
@fuzz(2)
def test_time_to_first_purchase(log, origin, unit, data):
    count()
    covs = [c for c in ("segment", "score") if c in log.frame.columns]
    t = call(cd.time_to_first_purchase, log.frame, origin=origin, unit=unit, covariates=covs)
    if refused(t):
        return
    assert (t["duration"].dropna() >= 0).all(), "negative time to first purchase"
    shuffled = call(cd.time_to_first_purchase, log.frame.sample(frac=1, random_state=5),
                    origin=origin, unit=unit, covariates=covs)
    same_frame(canon(t), canon(shuffled), "time_to_first_purchase after shuffling rows")
    renamed = call(cd.time_to_first_purchase, relabel(log.frame, data.draw), origin=origin,
                   unit=unit, covariates=covs)
    same_frame(canon(t), canon(renamed), "time_to_first_purchase after renaming customers")
    counts = call(cd.first_purchase_counts, log.frame, origin=origin, unit=unit)
    if not refused(counts) and "customers" in counts.columns:
        assert counts["customers"].sum() == len(t), "first_purchase_counts lost customers"


@given(log=event_logs(), data=st.data())
@fuzz(2)
def test_customer_tables(log, data):
    count()
    frame = log.frame
    for fn, kwargs in [
        (cd.rfm_summary, {}),
        (cd.rfm_summary, {"include_first": True, "unit": "h"}),
        (cd.interpurchase_times, {}),
        (cd.subscription_lifetimes, {}),
    ]:
        a = call(fn, frame, **kwargs)
        if refused(a):
            continue
        b = call(fn, frame.sample(frac=1, random_state=6), **kwargs)
        same_frame(canon(a), canon(b), f"{fn.__name__} after shuffling rows")
        c = call(fn, relabel(frame, data.draw), **kwargs)
        same_frame(canon(a), canon(c), f"{fn.__name__} after renaming customers")
    ev = call(cd.EventLog, frame)
    if not refused(ev) and len(ev):
        mid = ev.events["timestamp"].iloc[len(ev) // 2]
        call(cd.calibration_holdout, frame, calibration_end=mid)


@given(log=event_logs(variant=True), data=st.data())
@fuzz(2)
def test_experiment_table(log, data):
    count()
    t = call(cd.experiment_table, log.frame)
    if refused(t):
        return
    # arms are labels: each kept as its str (the package's rule for labels), never merged
    arms_in = {str(v) for v in log.frame["variant"].dropna()}
    arms_out = {str(v) for v in t["variant"]}
    assert arms_out <= arms_in, f"arms changed: {arms_in} -> {arms_out}"
    shuffled = call(cd.experiment_table, log.frame.sample(frac=1, random_state=7))
    same_frame(canon(t), canon(shuffled), "experiment_table after shuffling rows")


@given(log=event_logs(max_rows=20), fmt=st.sampled_from(["csv", "csv.gz", "parquet"]))
@fuzz(1)
def test_read_events(log, fmt):
    count()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"events.{fmt}"
        try:
            if fmt == "parquet":
                log.frame.to_parquet(path)
            else:
                log.frame.to_csv(path, index=False)
        except Exception:  # pyarrow cannot write every mixed object column: not our concern
            return
        out = call(cd.read_events, path)
        if refused(out):
            return
        assert len(out) == len(log.frame), "read_events dropped or added rows"


@given(log=event_logs(), sequence=st.sampled_from(["channel", "stage"]),
       timeout=st.sampled_from([None, 2.0, 30.0]), censor=st.booleans())
@fuzz(2)
def test_journey_reductions(log, sequence, timeout, censor):
    count()
    frame = log.frame
    spec = call(cd.JourneySpec, sequence=sequence, timeout=timeout, censor_recent=censor)
    if refused(spec):  # a datetime log's numeric timeout is read in days: both are valid
        return
    v = call(cd.stage_visits, frame, spec=spec)
    if not refused(v):
        w = call(cd.stage_visits, frame.sample(frac=1, random_state=10), spec=spec)
        same_frame(v.reset_index(drop=True), w.reset_index(drop=True),
                   "stage_visits after shuffling rows")
    jt = call(cd.journey_transitions, frame, spec=spec, times=True)
    if not refused(jt):
        strict_json(jt)
        pooled, kept = float(jt.counts.table["count"].sum()), float(np.sum(jt.weight))
        recent = float(jt.info.get("censored_recent", 0))
        assert kept + recent == pooled, "journey_transitions: transitions and counts disagree"
    lt = call(cd.lifecycle_transitions, frame, spec=spec)
    if not refused(lt):
        strict_json(lt)
        assert len(lt.frm) == len(lt.to) == len(lt.gap) == len(lt.unit)
    ts = call(cd.touch_sequences, frame, spec=spec.replace(censor_recent=True))
    if not refused(ts):
        strict_json(ts)
        assert (ts.journeys.lengths > 0).all() and len(ts.keys) == ts.journeys.n

