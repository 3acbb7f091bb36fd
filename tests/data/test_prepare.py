"""Preparing an event log (cjmodels.data.relabel, collapse_events, add_churn): by hand, and
recounted in plain pandas on the shipped data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import (
    EventLog,
    JourneySpec,
    PreparedLog,
    add_churn,
    collapse_events,
    journeys,
    path_table,
    relabel,
)
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError

LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 1, 1, 1, 2, 2, 2],
    "timestamp": [0, 1, 2, 3, 4, 20, 0, 1, 2],
    "event": ["touch", "touch", "assignment", "touch", "conversion", "touch",
              "touch", "touch", "touch"],
    "channel": ["email", "email", None, "email", None, "email", "fb", "ig", "fb"],
    "segment": ["x", "x", "x", "x", "x", "x", "y", "y", "y"],
})


@pytest.fixture(scope="module")
def shipped() -> EventLog:
    return load_journeys().event_log()


def surface(p: PreparedLog) -> None:
    json.dumps(p.to_dict(), allow_nan=False)
    assert p.summary().equals(p.changes)
    assert repr(p).startswith(f"PreparedLog(step='{p.step}'")


# ----------------------------------------------------------------------------------- relabel
def test_relabel_by_hand_and_input_unchanged():
    before = LOG.copy()
    log = EventLog(LOG)
    p = relabel(log, mapping={"fb": "social", "ig": "social"})
    pd.testing.assert_frame_equal(LOG, before)
    assert log.events["channel"].tolist()[6:] == ["fb", "ig", "fb"]
    assert p.log is not log
    assert p.log.events["channel"].tolist()[6:] == ["social", "social", "social"]
    assert p.changes.to_dict(orient="list") == {
        "column": ["channel", "channel"], "label": ["fb", "ig"],
        "new_label": ["social", "social"], "n_events": [2, 1]}
    assert p.n_changed == 3 and p.info["labels_before"] == 3 and p.info["labels_after"] == 2
    assert p.log.observation_start == log.observation_start
    assert p.log.events["segment"].tolist() == LOG["segment"].tolist()
    surface(p)


def test_relabel_other_callable_and_warnings():
    p = relabel(LOG, mapping={"email": "email"}, other="other")
    assert p.log.events["channel"].fillna("-").tolist() == [
        "email", "email", "-", "email", "-", "email", "other", "other", "other"]
    q = relabel(LOG, mapping=str.upper)
    assert q.log.events["channel"].dropna().unique().tolist() == ["EMAIL", "FB", "IG"]
    with pytest.warns(UserWarning, match=r"change nothing: \['emial'\]"):
        r = relabel(LOG, mapping={"emial": "mail"})
    assert r.n_changed == 0 and r.info["unused_keys"] == ["emial"]


def test_relabel_events_and_stages():
    p = relabel(LOG, mapping={"assignment": "subscribe"}, column="event")
    assert p.log.events["event"].tolist()[2] == "subscribe"
    with pytest.raises(ValidationError, match="not event types of the log"):
        relabel(LOG, mapping={"touch": "click"}, column="event")
    staged = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0, 1],
                           "event": ["touch", "touch"], "stage": ["need", "purchase"]})
    log = EventLog(staged, scheme="five")
    with pytest.raises(ValidationError, match="not stages of the declared scheme"):
        relabel(log, mapping={"need": "needs"}, column="stage")
    assert relabel(log, mapping={"purchase": "need"}, column="stage").log.events[
        "stage"].tolist() == ["need", "need"]


@pytest.mark.parametrize("bad", [
    {"mapping": [1, 2]}, {"mapping": {"fb": 3}}, {"mapping": {"fb": "a > b"}},
    {"mapping": lambda s: 1 / 0}, {"mapping": {}, "column": "value"},
    {"mapping": {}, "column": "stage"}, {"mapping": {}, "other": 5},
])
def test_relabel_refuses(bad):
    with pytest.raises(ValidationError):
        relabel(LOG, **bad)


def test_relabel_shipped_data_against_pandas(shipped):
    mapping = {"email": "owned", "sms": "owned", "organic_search": "search",
               "paid_search": "search"}
    p = relabel(shipped, mapping=mapping)
    want = shipped.events["channel"].map(lambda c: mapping.get(c, c) if c is not None else None)
    assert p.log.events["channel"].tolist() == want.tolist()
    counts = shipped.events["channel"].value_counts()
    assert dict(zip(p.changes["label"], p.changes["n_events"], strict=True)) == {
        k: int(counts[k]) for k in mapping}
    # journeys keep their outcomes; paths are the relabelled ones
    a, b = journeys(shipped), journeys(p.log)
    assert a["outcome"].tolist() == b["outcome"].tolist()
    assert b["path"].str.contains("paid_search").sum() == 0


# ---------------------------------------------------------------------------- collapse_events
def test_collapse_by_hand():
    p = collapse_events(LOG)
    # customer 1: email, email, (assignment), email | conversion | email: the first journey's
    # three emails collapse to one (the assignment does not separate them); the conversion
    # ends the journey, so the email after it stays. Customer 2: fb, ig, fb: no repeat.
    assert p.log.events["event"].tolist() == [
        "touch", "assignment", "conversion", "touch", "touch", "touch", "touch"]
    assert p.log.events["timestamp"].tolist() == [0, 2, 4, 20, 0, 1, 2]
    assert p.changes.to_dict(orient="list") == {"label": ["email"], "runs": [1],
                                                "events_removed": [2]}
    assert p.info["events_removed"] == 2 == p.n_changed
    last = collapse_events(LOG, keep="last")
    assert last.log.events["timestamp"].tolist() == [2, 3, 4, 20, 0, 1, 2]
    surface(p)


def test_collapse_within_and_timeout():
    # within 1: the email at 3 is 2 after the one at 1, so a new run starts there
    p = collapse_events(LOG, within=1)
    assert p.log.events["timestamp"].tolist()[:5] == [0, 2, 3, 4, 20]
    assert p.changes["runs"].tolist() == [1] and p.n_changed == 1
    # a timeout of 1.5 ends the journey at the gap 1 -> 3: the email at 3 opens a new one
    q = collapse_events(LOG, spec=JourneySpec(timeout=1.5))
    assert q.log.events["timestamp"].tolist()[:5] == [0, 2, 3, 4, 20]
    with pytest.raises(ValidationError, match="within"):
        collapse_events(LOG, within="1h")
    with pytest.raises(ValidationError, match="keep"):
        collapse_events(LOG, keep="middle")
    with pytest.raises(ValidationError, match="stage"):
        collapse_events(LOG, sequence="stage")
    unchanged = collapse_events(LOG.iloc[6:])
    assert unchanged.n_changed == 0 and len(unchanged.changes) == 0


def _repeats_in_paths(paths: pd.Series) -> dict[str, int]:
    """Removed touches per channel: a token equal to the one before it in a path."""
    out: dict[str, int] = {}
    for path in paths:
        tokens = path.split(" > ") if path else []
        for a, b in zip(tokens, tokens[1:], strict=False):
            if a == b:
                out[b] = out.get(b, 0) + 1
    return out


@pytest.mark.parametrize("timeout", [None, "14D"])
def test_collapse_shipped_data_against_paths(shipped, timeout):
    spec = JourneySpec(timeout=timeout)
    with warnings.catch_warnings():  # the timeout's warning is tested below
        warnings.simplefilter("ignore")
        p = collapse_events(shipped, spec=spec)
        stages = collapse_events(shipped, sequence="stage", spec=spec)
    want = _repeats_in_paths(journeys(shipped, timeout=timeout)["path"])
    assert dict(zip(p.changes["label"], p.changes["events_removed"], strict=True)) == want
    assert p.n_events_before - p.n_events_after == sum(want.values())
    if timeout is None:  # what path_table does to paths, done to the log
        pd.testing.assert_frame_equal(
            path_table(p.log).table, path_table(shipped, collapse_repeats=True).table)
    else:  # removed touches bridged gaps: the collapsed log has more journeys, and says so
        with pytest.warns(UserWarning, match="journeys where the input had"):
            again = collapse_events(shipped, spec=spec)
        assert again.info["journeys_before"] == len(journeys(shipped, timeout=timeout))
        assert again.info["journeys_after"] == len(journeys(p.log, timeout=timeout))
        assert again.info["journeys_after"] > again.info["journeys_before"]
    j = journeys(shipped, timeout=timeout)
    want_s = _repeats_in_paths(j["stages"])
    assert dict(zip(stages.changes["label"], stages.changes["events_removed"],
                    strict=True)) == want_s


# ---------------------------------------------------------------------------------- add_churn
def test_add_churn_by_hand():
    # observation end 30: customer 1's last event (20) + 5 = 25 <= 30: churn at 25; customer
    # 2's last event at 2: churn at 7. every-gap: also the gap 4 -> 20 (churn at 9)
    log = EventLog(LOG, observation_end=30)
    p = add_churn(log, after=5)
    ev = p.log.events
    churn = ev[ev["event"] == "churn"]
    assert churn["timestamp"].tolist() == [25, 7]
    assert churn["segment"].tolist() == ["x", "y"]  # the covariates of the event they follow
    assert p.info == {"after": "5", "at": "last-event", "added": 2, "customers_churned": 2,
                      "not_covered": 0, "already_ended": 0}
    assert p.changes["next"].tolist() == [30, 30]
    g = add_churn(log, after=5, at="every-gap")
    assert g.log.events.query("event == 'churn'")["timestamp"].tolist() == [9, 25, 7]
    assert g.changes["next"].tolist() == [20, 30, 30]
    # exactly `after` before the end: not covered (the rule of a timeout: strictly longer)
    q = add_churn(log, after=10)
    assert q.info["added"] == 1 and q.info["not_covered"] == 1
    assert log.observation_end == p.log.observation_end == 30
    surface(p)
    # a churn already there is not followed by another
    again = add_churn(p.log, after=1)
    assert again.info["added"] == 0 and again.info["already_ended"] == 2


def test_add_churn_refuses():
    with pytest.raises(ValidationError, match="after"):
        add_churn(LOG, after=None)
    with pytest.raises(ValidationError, match="after"):
        add_churn(LOG, after=-1)
    with pytest.raises(ValidationError, match="numbers"):
        add_churn(LOG, after="3D")
    with pytest.raises(ValidationError, match="at =="):
        add_churn(LOG, after=3, at="last")
    with pytest.raises(ValidationError, match="'churn'"):
        add_churn(LOG, after=3, event_types=["assignment", "touch", "conversion"])


@pytest.mark.parametrize("after", ["20D", "60D"])
def test_add_churn_shipped_data_against_pandas(shipped, after):
    span = pd.Timedelta(after)
    ev = shipped.events
    last = ev.groupby("customer_id")["timestamp"].max()
    covered = (shipped.observation_end - last) > span
    p = add_churn(shipped, after=after)
    assert p.info["added"] == int(covered.sum())
    assert p.info["not_covered"] == int((~covered).sum())
    added = p.log.events.query("event == 'churn'").set_index("customer_id")["timestamp"]
    pd.testing.assert_series_equal(added.sort_index(), (last[covered] + span).sort_index(),
                                   check_names=False)
    gaps = ev.groupby("customer_id")["timestamp"].diff().shift(-1)
    g = add_churn(shipped, after=after, at="every-gap")
    assert g.info["added"] == int((gaps > span).sum()) + int(covered.sum())
    # churns in every gap longer than `after` end journeys as a timeout of `after` does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = journeys(g.log)
        b = journeys(shipped, timeout=after)
    cols = ["customer_id", "journey", "outcome", "n_touches", "path"]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_add_churn_keeps_time_zones_and_units():
    # customer 2's last event is on 29 March; two days of 24 hours later crosses the change
    # to summer time on 30 March (churn at 01:00 local time)
    df = LOG.assign(timestamp=pd.to_datetime(LOG["timestamp"], unit="D", origin="2025-03-27")
                    .dt.tz_localize("Europe/Berlin"))
    p = add_churn(df, after="2D")
    churn = p.log.events.query("event == 'churn'")["timestamp"]
    assert str(churn.dt.tz) == "Europe/Berlin"
    assert churn.tolist() == [pd.Timestamp("2025-03-31 01:00", tz="Europe/Berlin")]
    us = LOG.assign(timestamp=pd.to_datetime(LOG["timestamp"], unit="D").astype("M8[us]"))
    q = add_churn(us, after=np.timedelta64(36, "h"))
    assert q.log.events["timestamp"].dtype == us["timestamp"].dtype
    assert q.log.events.query("event == 'churn'")["timestamp"].tolist() == [
        pd.Timestamp("1970-01-04 12:00")]
