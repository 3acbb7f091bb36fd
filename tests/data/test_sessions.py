"""Sessions (cjmodels.data.session_ids, cjmodels.data.sessions): by hand, and against a plain
Python recount written as a per-customer state machine (not the vectorised rule)."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

from cjmodels.data import EventLog, JourneySpec, journeys, session_ids, sessions
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError

matplotlib.use("Agg")

T = pd.to_datetime


def reference_sessions(events: pd.DataFrame, inactivity, timeout=None) -> list[int]:
    """Session numbers by walking each customer's events one at a time.

    A journey opens at a touch or conversion when none is open, or after a gap between
    journey events longer than ``timeout``; a conversion closes it, and so do a drop-out and a
    churn (which belong to no journey when none is open). A session opens at the customer's
    first event, after a gap longer than ``inactivity`` and wherever a journey opens.
    """
    out: list[int] = []
    for _, ev in events.groupby("customer_id", sort=False):
        session = 0
        prev_t = None
        open_journey = False
        last_journey_t = None
        for t, kind in zip(ev["timestamp"].tolist(), ev["event"].tolist(), strict=True):
            opens = False
            if kind in ("touch", "conversion", "drop_out", "churn"):
                if (open_journey and timeout is not None and last_journey_t is not None
                        and t - last_journey_t > timeout):
                    open_journey = False
                if kind in ("touch", "conversion") and not open_journey:
                    opens = True
                    open_journey = True
                if kind != "touch":
                    open_journey = False
                last_journey_t = t
            if prev_t is None or t - prev_t > inactivity or opens:
                session += 1
            prev_t = t
            out.append(session)
    return out


LOG = pd.DataFrame({
    "customer_id": ["a"] * 7 + ["b"] * 3,
    "timestamp": T(["2025-01-01 10:00:00", "2025-01-01 10:30:00", "2025-01-01 11:00:01",
                    "2025-01-01 11:10:00", "2025-01-01 11:12:00", "2025-01-01 11:20:00",
                    "2025-01-03 09:00:00",
                    "2025-01-01 08:00:00", "2025-01-01 08:10:00", "2025-01-01 08:15:00"]),
    "event": ["touch", "touch", "touch", "conversion", "touch", "drop_out", "touch",
              "assignment", "touch", "churn"],
    "channel": ["s", "e", "e", None, "d", None, "s", None, "e", None],
})


def test_session_ids_by_hand():
    # a: 10:00, 10:30 (gap = 30 min: same session), 11:00:01 (gap > 30 min: new), conversion
    # 11:10 (same), touch 11:12 (opens journey 2: new session), drop_out 11:20 (same), touch
    # two days later (new). b: assignment, touch 10 min later opens a journey (new session),
    # churn 5 min later (same)
    assert session_ids(LOG).tolist() == [1, 1, 2, 2, 3, 3, 4, 1, 2, 2]
    # a gap of exactly the inactivity stays; one tick more starts a new session
    two = LOG.iloc[:2].assign(timestamp=T(["2025-01-01 10:00", "2025-01-01 10:30"]))
    assert session_ids(two).tolist() == [1, 1]
    two["timestamp"] = two["timestamp"].dt.as_unit("ns")
    two.loc[1, "timestamp"] += pd.Timedelta(1, unit="ns")
    assert session_ids(two).tolist() == [1, 2]
    assert session_ids(two, inactivity=pd.Timedelta("30min") + pd.Timedelta(1, "ns")).tolist() \
        == [1, 1]


def test_session_ids_follow_the_log_order_and_not_the_input_order():
    shuffled = LOG.sample(frac=1, random_state=3)
    log = EventLog(shuffled)
    ids = session_ids(log)
    assert ids.tolist() == session_ids(LOG).tolist()
    assert log.events.assign(session=ids).groupby("customer_id")["session"].max().to_dict() \
        == {"a": 4, "b": 2}


def test_inactivity_units_and_numeric_logs():
    log = LOG.assign(timestamp=(LOG["timestamp"] - LOG["timestamp"].min())
                     / pd.Timedelta(1, "min"))
    with pytest.raises(ValidationError, match="inactivity is required"):
        session_ids(log)
    with pytest.raises(ValidationError, match="must be a number"):
        session_ids(log, inactivity="30min")
    assert session_ids(log, inactivity=30).tolist() == session_ids(LOG).tolist()
    # a bare number is days for datetime logs (the package's convention)
    assert session_ids(LOG, inactivity=0.5).tolist() == session_ids(LOG, inactivity="12h").tolist()
    assert session_ids(LOG, inactivity=0.5).tolist() != session_ids(LOG).tolist()
    # the drop_out ends journey 2: the touch two days later opens journey 3 (a new session)
    assert session_ids(LOG, inactivity="3D").tolist() == [1, 1, 1, 1, 2, 2, 3, 1, 2, 2]
    for bad in (0, -1, "soon", True, float("nan"), [1]):
        with pytest.raises(ValidationError, match="inactivity"):
            session_ids(LOG, inactivity=bad)


def test_sessions_nest_in_the_journeys_of_the_spec():
    # without a's drop_out, the touch two days later continues journey 2 and (inactivity 3
    # days) its session; a timeout of 1 hour ends journey 2, so the touch opens journey 3 and
    # a new session
    log = LOG.drop(index=5)
    assert session_ids(log, inactivity="3D").tolist() == [1, 1, 1, 1, 2, 2, 1, 2, 2]
    spec = JourneySpec(timeout="1h")
    assert session_ids(log, inactivity="3D", spec=spec).tolist() == [1, 1, 1, 1, 2, 3, 1, 2, 2]
    # a timeout longer than the gap changes nothing
    assert session_ids(log, inactivity="3D", spec=JourneySpec(timeout="2D")).tolist() == [
        1, 1, 1, 1, 2, 2, 1, 2, 2]
    # a shared specification is accepted (sequence, order... do not move journey boundaries)
    assert session_ids(LOG, spec=JourneySpec(sequence="channel", order=2)).tolist() \
        == session_ids(LOG).tolist()
    with pytest.raises(ValidationError, match="journeys='first' would be ignored"):
        session_ids(LOG, spec=JourneySpec(journeys="first"))
    with pytest.raises(ValidationError, match="JourneySpec"):
        session_ids(LOG, spec={"timeout": "1h"})


@pytest.fixture(scope="module")
def shipped():
    return load_journeys().event_log()


@pytest.mark.parametrize(("inactivity", "timeout"), [("1D", None), ("7D", "2D")])
def test_shipped_data_against_the_reference(shipped, inactivity, timeout):
    log = shipped
    ev = log.events
    spec = JourneySpec(timeout=timeout)
    got = session_ids(log, inactivity=inactivity, spec=spec)
    # integer nanoseconds: the walk compares plain ints
    ns = ev.assign(timestamp=ev["timestamp"].dt.as_unit("ns").astype("int64"))
    want = reference_sessions(ns, pd.Timedelta(inactivity).value,
                              None if timeout is None else pd.Timedelta(timeout).value)
    assert got.tolist() == want
    table = sessions(log, inactivity=inactivity, spec=spec).table
    # the sessions' journeys are exactly the journeys of journeys(): same count, same starts
    j = journeys(log, timeout=timeout)
    in_j = table.dropna(subset=["journey"])
    first = in_j.groupby(["customer_id", "journey"])["start"].min().reset_index()
    merged = j.merge(first, on=["customer_id", "journey"], suffixes=("", "_session"))
    assert len(merged) == len(j) == len(first)
    assert (merged["start"] == merged["start_session"]).all()


def test_sessions_table_recounted_in_pandas(shipped):
    log = shipped
    res = sessions(log, inactivity="1D")
    t = res.table
    ev = log.events.assign(session=session_ids(log, inactivity="1D"),
                           is_touch=lambda d: d["event"] == "touch",
                           is_conv=lambda d: d["event"] == "conversion")
    key = ["customer_id", "session"]
    want = ev.groupby(key, sort=True).agg(
        start=("timestamp", "min"), end=("timestamp", "max"), n_events=("event", "size"),
        n_touches=("is_touch", "sum"), converted=("is_conv", "any"))
    paths = ev[ev["is_touch"]].groupby(key)["channel"].agg(" > ".join)
    want["channels"] = paths.reindex(want.index).fillna("")
    want = want.reset_index()
    got = t[want.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert res.n_sessions == len(want) and res.n_events == log.n_events
    assert res.n_converted == int(want["converted"].sum())
    assert (t["duration"] == t["end"] - t["start"]).all()
    assert t["n_events"].sum() == log.n_events


def test_session_table_surface():
    res = sessions(LOG)
    t = res.table
    assert t["session"].tolist() == [1, 2, 3, 4, 1, 2]
    assert t["journey"].tolist()[:4] == [1, 1, 2, 3]
    assert pd.isna(t["journey"].iloc[4])  # b's assignment alone: outside any journey
    assert t["channels"].tolist() == ["s > e", "e", "d", "s", "", "e"]
    assert t["converted"].tolist() == [False, True, False, False, False, False]
    assert repr(res) == ("SessionTable(n_sessions=6, n_customers=2, n_events=10, "
                         "inactivity='30min')")
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["table"]["journey"][4] is None
    s = res.summary()
    assert s.loc[s["quantity"] == "sessions per customer", "max"].item() == 4.0
    ax = res.plot()
    assert len(ax.patches) == 2  # sessions of 1 and of 2 events
    with pytest.raises(ValidationError):
        res.plot(color="red")


def test_log_without_channels_and_with_only_other_events():
    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 5, 0],
                       "event": ["subscribe", "subscribe", "assignment"]})
    res = sessions(df, inactivity=2)
    assert "channels" not in res.table
    assert res.table["journey"].isna().all()
    assert res.table["session"].tolist() == [1, 2, 1]


def test_channels_joined_also_for_labels_arrow_cannot_encode():
    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 1, 0],
                       "event": ["touch", "touch", "touch"],
                       "channel": pd.Series(["\ud800", "e", "e"], dtype=object)})
    assert sessions(df, inactivity=5).table["channels"].tolist() == ["\ud800 > e", "e"]
