"""Fuzz sessions and data preparation (:mod:`cjmodels.data`: session_ids, sessions, relabel,
collapse_events, add_churn, read_export) on adversarial logs: only our exceptions escape, and
accepted input gives results whose counts add up and that serialise as strict JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from tests.fuzz.harness import call, count, fuzz, refused, surface
from tests.fuzz.strategies import event_logs

NUMERIC = ("int", "float", "bigint", "object_int")


def span(log, data):
    """A time span suited to the log's timestamps (numbers, or datetime spans)."""
    if log.time_kind in NUMERIC:
        return data.draw(st.sampled_from([1, 2.5, 10, 10**20]), label="span")
    return data.draw(st.sampled_from(["1h", "3h", 0.5, pd.Timedelta("2D"),
                                      np.timedelta64(90, "m")]), label="span")


@given(log=event_logs(), data=st.data())
@fuzz(2)
def test_sessions(log, data):
    count()
    inactivity = span(log, data)
    timeout = data.draw(st.sampled_from([None, span(log, data)]), label="timeout")
    spec = call(cd.JourneySpec, timeout=timeout)
    if refused(spec):
        return
    ids = call(cd.session_ids, log.frame, inactivity=inactivity, spec=spec)
    if refused(ids):
        return
    el = call(cd.EventLog, log.frame)
    assert len(ids) == el.n_events
    cust = el.customer_codes
    first = np.r_[True, cust[1:] != cust[:-1]]
    assert (ids[first] == 1).all(), "a customer's first event is not in session 1"
    step = np.diff(ids)[~first[1:]]
    assert ((step == 0) | (step == 1)).all(), "session numbers skip or go back"
    res = call(cd.sessions, log.frame, inactivity=inactivity, spec=spec)
    assert not refused(res), f"sessions refused what session_ids accepted: {res}"
    surface(res)
    t = res.table
    assert int(t["n_events"].sum()) == el.n_events == res.n_events
    assert len(t) == res.n_sessions == int(first.sum() + (step == 1).sum())
    assert int(t["n_touches"].sum()) == int(el.is_event("touch").sum())
    assert int(t["converted"].sum()) <= int(el.is_event("conversion").sum())
    shuffled = call(cd.session_ids, log.frame.sample(frac=1, random_state=5),
                    inactivity=inactivity, spec=spec)
    assert list(shuffled) == list(ids), "session ids depend on the input's row order"


@given(log=event_logs(), other=st.sampled_from([None, "other"]), data=st.data())
@fuzz(2)
def test_relabel(log, other, data):
    count()
    el = call(cd.EventLog, log.frame)
    if refused(el) or not el.has_channel:
        return
    labels = [str(lab) for lab in el.codes("channel")[1]] + ["not-a-label"]
    keys = data.draw(st.lists(st.sampled_from(labels), max_size=3, unique=True), label="keys")
    target = data.draw(st.sampled_from(["grouped", "x", "email"]), label="target")
    out = call(cd.relabel, el, mapping={k: target for k in keys}, other=other)
    if refused(out):
        return
    surface(out)
    assert out.log.n_events == el.n_events == out.n_events_after
    assert int(out.changes["n_events"].sum()) == out.n_changed
    before = el.events["channel"].reset_index(drop=True)
    # events at one time are ordered by their labels (the log's tie rule): renaming may reorder
    # them, and source_index maps each row of the new log to its row of the input log
    after = pd.Series(out.log.events["channel"].to_numpy(), index=out.log.source_index)
    after = after.sort_index().reset_index(drop=True)
    assert (before.isna() == after.isna()).all(), "relabel changed which channels are missing"
    moved = int((before.notna() & (before != after)).sum())
    assert moved == out.n_changed


@given(log=event_logs(), keep=st.sampled_from(["first", "last"]),
       sequence=st.sampled_from(["channel", "stage"]), data=st.data())
@fuzz(2)
def test_collapse_events(log, keep, sequence, data):
    count()
    within = data.draw(st.sampled_from([None, span(log, data)]), label="within")
    out = call(cd.collapse_events, log.frame, sequence=sequence, keep=keep, within=within)
    if refused(out):
        return
    surface(out)
    assert out.n_events_after == out.n_events_before - out.n_changed
    assert int(out.changes["events_removed"].sum()) == out.n_changed
    assert (out.changes["runs"] <= out.changes["events_removed"]).all()
    if within is None and sequence == "channel" and out.log.has_channel:
        js = call(cd.journey_set, out.log, sequence="channel")
        if not refused(js):
            s, off = js.symbols, js.offsets
            same = s[1:] == s[:-1]
            inner = np.ones(len(s), dtype=bool)
            inner[off[:-1][off[:-1] < len(s)]] = False
            assert not (same & inner[1:]).any(), "a repeat survived collapse_events"


@given(log=event_logs(), at=st.sampled_from(["last-event", "every-gap"]), data=st.data())
@fuzz(2)
def test_add_churn(log, at, data):
    count()
    after = span(log, data)
    out = call(cd.add_churn, log.frame, after=after, at=at)
    if refused(out):
        return
    surface(out)
    el = call(cd.EventLog, log.frame)
    added = out.info["added"]
    assert out.n_events_after == el.n_events + added == out.log.n_events
    assert len(out.changes) == added == out.n_changed
    churns = out.log.is_event("churn").sum() - el.is_event("churn").sum()
    assert churns == added
    assert out.log.observation_end == el.observation_end
    if at == "last-event":
        assert out.info["customers_churned"] == added
        assert added + out.info["not_covered"] + out.info["already_ended"] <= el.n_customers


@given(log=event_logs(), unit=st.sampled_from([None, "s", "us"]),
       unmapped=st.sampled_from(["error", "drop"]), data=st.data())
@fuzz(2)
def test_read_export(log, unit, unmapped, data):
    count()
    frame = log.frame
    identity = data.draw(st.booleans(), label="identity")
    if identity:  # some rows anonymous: the device (customer_id) resolves them
        known = np.array(data.draw(st.lists(st.booleans(), min_size=len(frame),
                                            max_size=len(frame)), label="known"), dtype=bool)
        frame = frame.assign(user=frame["customer_id"].astype(object).where(known, None))
    preset = cd.ExportPreset("fuzz", customer="user" if identity else "customer_id",
                             timestamp="timestamp", event="event", time_unit=unit,
                             channel="channel", value="value",
                             event_map={"click": "touch", "": None},
                             identity="customer_id" if identity else None,
                             dedupe=data.draw(st.sampled_from([(), ("customer_id",)])))
    out = call(cd.read_export, frame, preset=preset, unmapped=unmapped)
    if refused(out):
        return
    surface(out)
    assert out.n_events_before == len(log.frame)
    assert out.n_events_after + out.n_changed == out.n_events_before
    dropped = out.info["duplicates_dropped"] + sum(out.info["events_dropped"].values())
    assert dropped == out.n_changed
    assert str(out.log.events["timestamp"].dt.tz) == "UTC"
