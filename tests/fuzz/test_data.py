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
from cjmodels.data.journeys import journey_index
from cjmodels.data.journeyset import subset
from cjmodels.data.transitions import decode_states, state_keys
from cjmodels.errors import ValidationError
from tests.fuzz.harness import call, count, fuzz, refused, same_frame, strict_json, surface
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
        assert (v["duration"] >= 0).all(), f"stage_visits: negative durations\n{v}"
        assert set(v["event"]) <= {0, 1} and (v["touches"] >= 1).all()
        w = call(cd.stage_visits, frame.sample(frac=1, random_state=10), spec=spec)
        same_frame(v.reset_index(drop=True), w.reset_index(drop=True),
                   "stage_visits after shuffling rows")
    jt = call(cd.journey_transitions, frame, spec=spec, times=True)
    if not refused(jt):
        surface(jt)
        pooled, kept = float(jt.counts.table["count"].sum()), float(np.sum(jt.weight))
        recent = float(jt.info.get("censored_recent", 0))
        assert kept + recent == pooled, "journey_transitions: transitions and counts disagree"
    lt = call(cd.lifecycle_transitions, frame, spec=spec)
    if not refused(lt):
        surface(lt)
        assert len(lt.frm) == len(lt.to) == len(lt.gap) == len(lt.unit)
    ts = call(cd.touch_sequences, frame, spec=spec.replace(censor_recent=True))
    if not refused(ts):
        surface(ts)
        assert (ts.journeys.lengths > 0).all() and len(ts.keys) == ts.journeys.n



#: Values of every kind for a JourneySpec field: valid ones, near misses and wrong types.
ANY_VALUE = st.one_of(
    st.sampled_from(["stage", "channel", "all", "first", "repeat", "drop", "null", "state",
                     "Stage", " channel", "", "30D", "-1D", "0D", "abc", "1 day", "NaT"]),
    st.integers(-3, 3), st.sampled_from([2**70, True, False, np.bool_(True), np.int64(2)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([None, pd.Timedelta("1h"), pd.Timedelta(0), pd.NaT, np.timedelta64(1, "D"),
                     np.timedelta64("NaT"), [1], {"a": 1}, object(), b"stage", 1j]),
)
SPEC_FIELDS = ("sequence", "order", "timeout", "lookback", "journeys", "censored",
               "censor_recent", "collapse_repeats")


@given(field=st.sampled_from(SPEC_FIELDS), value=ANY_VALUE, other=st.sampled_from(SPEC_FIELDS),
       value2=ANY_VALUE)
@fuzz(4)
def test_journey_spec_fields(field, value, other, value2):
    """JourneySpec refuses a bad field with a ValidationError naming it, and nothing else;
    an accepted spec has the surface of a value object (repr, ==, hash, replace)."""
    count()
    spec = call(cd.JourneySpec, **{field: value})
    if refused(spec):
        assert isinstance(spec.exc, ValidationError), f"JourneySpec({field}=...) raised {spec}"
        assert field in str(spec.exc), f"the refusal does not name {field!r}: {spec.exc}"
    else:
        assert isinstance(spec, cd.JourneySpec)
        assert spec == call(cd.JourneySpec, **{field: getattr(spec, field)})
        hash(spec)
        repr(spec)
        base = spec
        spec = call(base.replace, **{other: value2})
        if refused(spec):
            assert isinstance(spec.exc, ValidationError), f"replace({other}=...) raised {spec}"
            assert other in str(spec.exc), f"the refusal does not name {other!r}: {spec.exc}"
    bad = call(cd.JourneySpec().replace, no_such_field=1)
    assert refused(bad) and isinstance(bad.exc, ValidationError), f"replace(no_such_field): {bad}"
    positional = call(cd.stage_visits, pd.DataFrame(), spec={"sequence": "stage"})
    assert refused(positional), "stage_visits took a dict as spec"


@given(log=event_logs(), unit=st.sampled_from(["D", "h"]),
       origin=st.sampled_from(["first-touch", "first-event"]), by_channel=st.booleans(),
       drop=st.booleans())
@fuzz(2)
def test_counting_process(log, unit, origin, by_channel, drop):
    """counting_process: the rows account for every customer of time_to_first_purchase, the
    intervals are ordered (start <= stop), and each customer buys at most once."""
    count()
    kw = {"unit": unit, "origin": origin, "censor_at_drop_out": drop}
    cp = call(cd.counting_process, log.frame, by_channel=by_channel, **kw)
    if refused(cp):
        return
    t = call(cd.time_to_first_purchase, log.frame, **kw)
    assert not refused(t), f"counting_process accepted what time_to_first_purchase refused: {t}"
    assert cp["customer_id"].nunique() == len(t) == cp.attrs["n_customers"], (
        f"{cp['customer_id'].nunique()} customers in the rows, {len(t)} spells, "
        f"attrs {cp.attrs.get('n_customers')}")
    assert (cp["stop"] >= cp["start"]).all(), "counting_process: stop before start"
    per = cp.groupby(cp["customer_id"].astype(str))["event"].sum()
    assert (per <= 1).all(), "counting_process: a customer buys twice"
    assert int(per.sum()) == int(t["event"].sum()), "purchases lost by counting_process"
    assert (cp["touches"] >= 0).all()


@given(log=event_logs(variant=True, max_rows=30),
       stages=st.sampled_from([None, ["a", "b"], ["search", "email", "a"], ["a", "a"], ["x"]]),
       window=st.sampled_from([None, 1.0, "2D", -1.0, "abc"]),
       variant=st.sampled_from(["variant", "nope", "channel"]))
@fuzz(2)
def test_arm_reductions(log, stages, window, variant):
    """funnel_table, purchase_times, arm_event_logs: every assigned customer once, durations
    >= 0, the deepest stage among the stages given, arms never renamed."""
    count()
    frame = log.frame
    ft = call(cd.funnel_table, frame, stages=stages, window=window, variant=variant)
    if not refused(ft) and len(ft):
        assert ft["max_stage_index"].between(-1, len(stages) - 1).all()
        assert ft["customer_id"].is_unique, "funnel_table: a customer twice"
    pt = call(cd.purchase_times, frame, window=window, variant=variant)
    if not refused(pt) and len(pt):
        assert (pt["duration"] >= 0).all(), f"purchase_times: negative durations\n{pt}"
        assert set(pt["event"]) <= {0, 1} and pt["customer_id"].is_unique
        if not refused(ft):
            assert len(ft) == len(pt), "funnel_table and purchase_times disagree on customers"
    logs = call(cd.arm_event_logs, frame, variant=variant)
    if not refused(logs):
        arms = {str(a) for a in frame[variant].dropna()} if variant in frame else set()
        assert set(logs) <= arms, "arm_event_logs renamed arms"
        assert all(isinstance(v, cd.EventLog) for v in logs.values())


@given(log=event_logs(clean=True), order=st.integers(1, 3), data=st.data())
@fuzz(2)
def test_journey_set_helpers(log, order, data):
    """journey_index, state_keys, decode_states, subset and engine_of on the journeys of a log:
    equal keys are equal states, decoded names end with the touch's symbol, a subset keeps the
    journeys it is asked for."""
    count()
    assert cd.engine_of(log.frame) == "memory" and cd.engine_of(None) == "memory"
    ev = call(cd.EventLog, log.frame)
    if refused(ev):
        return
    ji = call(journey_index, ev)
    if not refused(ji):
        _, pos, jid, _ = ji
        assert len(pos) == len(jid) and (np.diff(jid) >= 0).all()
    js = call(cd.journey_set, log.frame)
    if refused(js) or len(js.symbols) == 0:
        return
    keys, pos = state_keys(js, order)
    assert len(keys) == len(pos) == len(js.symbols) and (pos >= 0).all()
    uniq, first = np.unique(keys, return_index=True)
    names = decode_states(uniq, js, order, first)
    assert len(set(names)) == len(names), f"distinct keys decode to equal states: {names}"
    for name, i in zip(names, first, strict=True):
        assert name.split(cd.PATH_SEPARATOR)[-1] == js.labels[js.symbols[i]] or (
            cd.PATH_SEPARATOR in js.labels[js.symbols[i]])
    if order == 1:
        assert np.array_equal(keys == keys[0], js.symbols == js.symbols[0])
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=js.n, max_size=js.n)), dtype=bool)
    sub = subset(js, keep)
    assert sub.n == int(keep.sum())
    assert len(sub.symbols) == int(js.lengths[keep].sum())
    assert np.array_equal(sub.lengths, js.lengths[keep])


@given(times=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                st.sampled_from([None, "1", "x", True])), max_size=8),
       end=st.sampled_from([10.0, 0.0, -1.0, np.nan, np.inf, None, "10", 10]),
       timeout=st.sampled_from([2.0, 0.0, -1.0, np.nan, np.inf, None, True, 2]))
@fuzz(1)
def test_censor_recent(times, end, timeout):
    """censor_recent: a boolean per transition, True exactly for times within timeout of the
    end; NaN times never censored; bad arguments refused in our words."""
    count()
    out = call(cd.censor_recent, times, observation_end=end, timeout=timeout)
    if refused(out):
        return
    t = np.asarray(times, dtype=float)
    assert out.dtype == bool and out.shape == t.shape
    assert not out[np.isnan(t)].any(), "a NaN time censored"
    assert np.array_equal(out, t > float(end) - float(timeout))
