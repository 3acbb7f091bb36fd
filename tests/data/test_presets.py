"""Export presets (cjmodels.data.read_export): each preset on its example export in docs/byod/,
against the hand mapping of docs/byod.rst (copied here as it is written there)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import (
    EVENT_TYPES,
    EXPORT_PRESETS,
    EventLog,
    ExportPreset,
    journeys,
    read_export,
)
from cjmodels.errors import ValidationError

BYOD = Path(__file__).resolve().parents[2] / "docs" / "byod"


def hand_ga4() -> EventLog:
    ga4 = pd.read_csv(BYOD / "ga4.csv", dtype={"user_pseudo_id": str, "user_id": str})
    ga4 = ga4[ga4["event_name"] != "page_view"]
    events = pd.DataFrame({
        "customer_id": ga4["user_pseudo_id"],
        "timestamp": pd.to_datetime(ga4["event_timestamp"], unit="us"),
        "event": ga4["event_name"].map({"session_start": "touch", "add_to_cart": "touch",
                                        "purchase": "conversion"}),
        "channel": ga4["collected_traffic_source_manual_medium"].fillna("(direct)"),
        "value": ga4["ecommerce_purchase_revenue"].fillna(0.0),
        "device": ga4["device_category"],
    })
    return EventLog(events)


def hand_amplitude() -> EventLog:
    from cjmodels.data import read_events
    amplitude_events = {"[Amplitude] Page Viewed": "touch", "Product Viewed": "touch",
                        "Add to Cart": "touch", "Order Completed": "conversion"}
    return read_events(BYOD / "amplitude.csv", customer="amplitude_id",
                       timestamp="event_time", event="event_type",
                       channel="user_properties_utm_medium", value="revenue",
                       covariates=["platform", "country"], event_map=amplitude_events)


def hand_mixpanel() -> EventLog:
    mp = pd.read_csv(BYOD / "mixpanel.csv")
    mp["utm_medium"] = mp.groupby("distinct_id")["utm_medium"].ffill()
    mp["event"] = mp["event"].map({"$mp_web_page_view": "touch", "Sign Up": "sign_up",
                                   "Purchase": "conversion"})
    mp["time"] = pd.to_datetime(mp["time"], unit="s")
    return EventLog(mp, customer="distinct_id", timestamp="time", channel="utm_medium",
                    value="amount", covariates=["mp_country_code"],
                    event_types=[*EVENT_TYPES, "sign_up"])


def hand_segment() -> EventLog:
    seg = pd.read_csv(BYOD / "segment.csv")
    seg["customer"] = (seg.groupby("anonymous_id")["user_id"].transform("first")
                       .fillna(seg["anonymous_id"]))
    seg["channel"] = seg["context_campaign_medium"].fillna("(direct)")
    seg["event"] = seg["event"].map({"Product Viewed": "touch", "Product Added": "touch",
                                     "Order Completed": "conversion"})
    return EventLog(seg, customer="customer", value="revenue", covariates=[])


CASES = {
    "ga4": (hand_ga4, {"add_to_cart": "touch", "page_view": None}, {}),
    "amplitude": (hand_amplitude, {"Product Viewed": "touch", "Add to Cart": "touch",
                                   "Order Completed": "conversion"}, {}),
    "mixpanel": (hand_mixpanel, {"Sign Up": "sign_up", "Purchase": "conversion"},
                 {"event_types": [*EVENT_TYPES, "sign_up"]}),
    "segment": (hand_segment, {"Product Viewed": "touch", "Product Added": "touch"}, {}),
}


def utc(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert("UTC") if ts.dt.tz is not None else ts.dt.tz_localize("UTC")


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("source", ["file", "frame"])
def test_preset_equals_the_hand_mapping(name, source):
    hand_fn, event_map, options = CASES[name]
    hand = hand_fn()
    data = BYOD / f"{name}.csv"
    if source == "frame":
        data = pd.read_csv(data, dtype={EXPORT_PRESETS[name].customer: str}
                           if name == "ga4" else None)
    got = read_export(data, preset=name, event_map=event_map, **options)
    a, b = hand.events, got.log.events
    assert len(a) == len(b) == got.n_events_after
    assert a["customer_id"].astype(str).tolist() == b["customer_id"].astype(str).tolist()
    assert (utc(a["timestamp"]) == b["timestamp"]).all()
    assert str(b["timestamp"].dt.tz) == "UTC"
    for col in ("event", "channel"):
        assert a[col].tolist() == b[col].tolist()
    conv = a["event"] == "conversion"
    assert a.loc[conv, "value"].tolist() == b.loc[conv, "value"].tolist()
    # the same journeys, paths, outcomes and values
    cols = ["journey", "outcome", "n_touches", "value", "path"]
    ja, jb = journeys(hand, timeout="7D"), journeys(got.log, timeout="7D")
    pd.testing.assert_frame_equal(ja[cols], jb[cols])
    json.dumps(got.to_dict(), allow_nan=False)
    assert got.n_events_before == len(pd.read_csv(BYOD / f"{name}.csv"))
    assert got.n_changed == got.n_events_before - got.n_events_after
    assert got.info["preset"] == name


def test_what_each_preset_reports():
    ga4 = read_export(BYOD / "ga4.csv", preset="ga4", event_map=CASES["ga4"][1])
    t = ga4.changes.set_index("detail")["n_rows"]
    assert t["'page_view' (event_map: None)"] == 2
    assert t["missing on 1 rows: filled '(direct)'"] == 1
    assert t["microseconds since the epoch, as UTC datetimes"] == 13
    assert ga4.info["events_dropped"] == {"page_view": 2}
    seg = read_export(BYOD / "segment.csv", preset="segment", event_map=CASES["segment"][1])
    rules = seg.changes.set_index("rule")["n_rows"]
    # anon-7f3a's two anonymous events go to user_88; anon-91c2 and anon-e812 (5 events) are
    # never identified
    assert rules["customer-resolved"] == 2 and rules["customer-device"] == 5
    mp = read_export(BYOD / "mixpanel.csv", preset="mixpanel", event_map=CASES["mixpanel"][1],
                     event_types=[*EVENT_TYPES, "sign_up"])
    raw = pd.read_csv(BYOD / "mixpanel.csv")
    carried = raw["utm_medium"].isna().sum()  # every customer's first row has a medium
    assert mp.changes.set_index("rule")["n_rows"]["channel-carried"] == carried


def test_segment_identity_with_a_repeated_index_and_a_shared_device():
    raw = pd.read_csv(BYOD / "segment.csv")
    raw.index = [0] * len(raw)  # labels repeat: identity resolution works by position
    raw["user_id"] = raw["user_id"].astype("category")
    got = read_export(raw, preset="segment", event_map=CASES["segment"][1])
    want = read_export(BYOD / "segment.csv", preset="segment", event_map=CASES["segment"][1])
    assert got.log.events["customer_id"].tolist() == want.log.events["customer_id"].tolist()
    shared = pd.read_csv(BYOD / "segment.csv")
    shared.loc[0, "user_id"] = "user_99"  # anon-7f3a also identified as user_99
    with pytest.warns(UserWarning, match="1 devices"):
        out = read_export(shared, preset="segment", event_map=CASES["segment"][1])
    assert out.changes.set_index("rule")["n_rows"]["customer-shared-device"] == 1
    # its other anonymous event goes to the first user it identified as
    assert out.log.events["customer_id"].value_counts()["user_99"] == 2


def test_duplicates_are_dropped_and_counted():
    raw = pd.read_csv(BYOD / "segment.csv")
    doubled = pd.concat([raw, raw.iloc[[3]]])
    got = read_export(doubled, preset="segment", event_map=CASES["segment"][1])
    assert got.info["duplicates_dropped"] == 1 and got.n_changed == 1
    assert got.log.n_events == 12
    mp = pd.read_csv(BYOD / "mixpanel.csv")
    same_id_other_time = pd.concat([mp, mp.iloc[[0]].assign(time=mp["time"].iloc[0] + 5)])
    kept = read_export(same_id_other_time, preset="mixpanel", event_map=CASES["mixpanel"][1],
                       event_types=[*EVENT_TYPES, "sign_up"])
    assert kept.info["duplicates_dropped"] == 0  # Mixpanel's rule: id, event, customer, time


def test_unmapped_event_names():
    with pytest.raises(ValidationError, match=r"\['add_to_cart', 'page_view'\].*unmapped='drop'"):
        read_export(BYOD / "ga4.csv", preset="ga4")
    with pytest.warns(UserWarning, match="4 rows of event names in no event map"):
        got = read_export(BYOD / "ga4.csv", preset="ga4", unmapped="drop")
    assert got.info["events_dropped"] == {"add_to_cart": 2, "page_view": 2}
    assert got.log.n_events == 9
    with pytest.raises(ValidationError, match="not event types"):
        read_export(BYOD / "ga4.csv", preset="ga4", event_map={"page_view": "view"})


def test_overrides_custom_presets_and_refusals(tmp_path):
    # the acquisition medium instead of the event's (one per user: see docs/byod.rst)
    got = read_export(BYOD / "ga4.csv", preset="ga4", event_map=CASES["ga4"][1],
                      channel="traffic_source_medium", covariates=[])
    assert got.log.events.groupby("customer_id")["channel"].nunique().max() == 1
    assert got.log.covariates == ()
    mine = EXPORT_PRESETS["ga4"].replace(name="mine", channel_fill=None)
    with pytest.raises(ValidationError, match=r"ga4.csv: .*missing on 1 touch rows.*lines"):
        read_export(BYOD / "ga4.csv", preset=mine, event_map=CASES["ga4"][1])
    floats = pd.read_csv(BYOD / "ga4.csv")
    with pytest.raises(ValidationError, match="read as floats"):
        read_export(floats, preset="ga4", event_map=CASES["ga4"][1])
    with pytest.raises(ValidationError, match="preset =="):
        read_export(floats, preset="ga5")
    with pytest.raises(ValidationError, match="preset =="):
        read_export(floats, preset={"customer": "x"})
    with pytest.raises(ValidationError, match="unknown options"):
        read_export(floats, preset="ga4", sequence="channel")
    with pytest.raises(ValidationError, match="unmapped"):
        read_export(floats, preset="ga4", unmapped="keep")
    with pytest.raises(ValidationError, match="not found"):
        read_export(BYOD / "amplitude.csv", preset="ga4")
    with pytest.raises(ValidationError, match="file path or a DataFrame"):
        read_export([1, 2], preset="ga4")
    with pytest.raises(ValidationError, match="time_unit"):
        ExportPreset("x", customer="c", timestamp="t", event="e", time_unit="minutes")
    with pytest.raises(ValidationError, match="event_map"):
        ExportPreset("x", customer="c", timestamp="t", event="e", event_map={"a": 1})
    with pytest.raises(ValidationError, match="no fields"):
        EXPORT_PRESETS["ga4"].replace(colour="red")
    # a numeric time column read by a preset that expects strings says how to fix it
    numeric = pd.DataFrame({"amplitude_id": [1], "event_time": [5],
                            "event_type": ["[Amplitude] Page Viewed"],
                            "user_properties_utm_medium": ["cpc"]})
    with pytest.raises(ValidationError, match="time_unit"):
        read_export(numeric, preset="amplitude")
    bad_time = numeric.assign(event_time=["yesterday"])
    with pytest.raises(ValidationError, match="cannot be read as times"):
        read_export(bad_time, preset="amplitude")
    ok = read_export(numeric.assign(event_time=["2025-03-01 10:00"]), preset="amplitude")
    assert ok.log.events["timestamp"].tolist() == [pd.Timestamp("2025-03-01 10:00", tz="UTC")]


def test_input_frame_unchanged():
    raw = pd.read_csv(BYOD / "mixpanel.csv")
    before = raw.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_export(raw, preset="mixpanel", event_map=CASES["mixpanel"][1],
                    event_types=[*EVENT_TYPES, "sign_up"])
    pd.testing.assert_frame_equal(raw, before)
    assert np.array_equal(raw.index, before.index)


def test_time_columns_of_python_objects():
    base = {"distinct_id": ["u1", "u1"], "event": ["$mp_web_page_view"] * 2,
            "utm_medium": ["cpc", None]}
    ints = pd.DataFrame({**base, "time": pd.Series([1740909605, 1740909821], dtype=object)})
    got = read_export(ints, preset="mixpanel")
    assert got.log.events["timestamp"].tolist() == [
        pd.Timestamp("2025-03-02 10:00:05", tz="UTC"), pd.Timestamp("2025-03-02 10:03:41",
                                                                     tz="UTC")]
    mixed = pd.DataFrame({**base, "time": pd.Series([1740909605, "2025-03-02"], dtype=object)})
    with pytest.raises(ValidationError, match="mixes"):
        read_export(mixed, preset="mixpanel")
