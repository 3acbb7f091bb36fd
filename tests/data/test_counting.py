"""Counting-process (start, stop] rows from an event log against R survival's tmerge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import EventLog, counting_process
from cjmodels.errors import ValidationError
from cjmodels.survival import cox_time_varying, kaplan_meier

# the survival tests' reference files (R survival on the same inputs)
REFERENCE = Path(__file__).parents[1] / "survival" / "reference"

# make_r_reference_extra.R on touch_log.csv (make_extra_inputs.py): per customer origin =
# first_seen, entry = max(20 - origin, 0), exit = first conversion or day 120, then
# tmerge(base, base, id, purchase = event(stop, event), tstart = entry, tstop = stop) and
# tmerge(., touches, id, touches = cumtdc(time)); coxph(Surv(tstart, tstop, purchase) ~
# touches + segment).
R = json.loads((REFERENCE / "r_reference_extra.json").read_text())
LOG = pd.read_csv(REFERENCE / "touch_log.csv")
TMERGE = pd.read_csv(REFERENCE / "touch_log_tmerge.csv")
OPTS = {"observation_start": 20.0, "observation_end": 120.0}


def _ours():
    return counting_process(LOG, origin_column="first_seen", covariates=["segment"], **OPTS)


def test_rows_equal_tmerge():
    cp = _ours()
    assert len(cp) == len(TMERGE) == R["tmerge_cox"]["n_rows"]
    np.testing.assert_array_equal(cp["customer_id"], TMERGE["id"])
    np.testing.assert_allclose(cp["start"], TMERGE["tstart"], atol=1e-9)
    np.testing.assert_allclose(cp["stop"], TMERGE["tstop"], atol=1e-9)
    np.testing.assert_array_equal(cp["event"], TMERGE["purchase"])
    np.testing.assert_array_equal(cp["touches"], TMERGE["touches"])
    np.testing.assert_array_equal(cp["segment"], TMERGE["segment"])
    assert cp.attrs["n_left_truncated"] == int((TMERGE.groupby("id")["tstart"].min() > 0).sum())


def test_time_varying_cox_on_it_matches_r():
    # R rounds the times to 1e-8 before coxph (float noise would break ties), as we do: then
    # coefficients to 1e-6, model-based SEs to 1e-5 relative, log-likelihood to 1e-6
    res = cox_time_varying(_ours(), ["touches", "segment"])
    ref = R["tmerge_cox"]
    np.testing.assert_allclose(res.table["coef"], ref["coef"], atol=1e-6)
    np.testing.assert_allclose(res.table["se"], ref["se"], rtol=1e-5)
    assert res.log_likelihood == pytest.approx(ref["loglik"][1], abs=1e-6)


def test_hand_made_log():
    df = pd.DataFrame({
        "customer_id": ["a"] * 5 + ["b"] * 3 + ["c"] * 2,
        "timestamp": [0.0, 2.0, 2.0, 5.0, 5.0, 1.0, 4.0, 6.0, 3.0, 3.0],
        "event": ["touch", "touch", "touch", "touch", "conversion",
                  "touch", "touch", "drop_out", "touch", "conversion"],
        "channel": ["s", "e", "s", "e", None, "s", "s", None, "e", None],
    })
    cp = counting_process(df, by_channel=True, observation_end=10.0)
    # a: touches at 0, 2, 2 (two at once: one split), 5 (at the purchase: no split, no count)
    # b: touches at 0 and 3 (relative), censored at the drop-out at 5
    # c: purchase at its first touch: zero-length spell, kept as (0 - eps, 0]
    assert cp["customer_id"].tolist() == ["a", "a", "b", "b", "c"]
    assert cp["stop"].tolist() == [2.0, 5.0, 3.0, 5.0, 0.0]
    assert cp["start"].iloc[:4].tolist() == [0.0, 2.0, 0.0, 3.0]
    assert -1e-5 < cp["start"].iloc[4] < 0
    assert cp["event"].tolist() == [0, 1, 0, 0, 1]
    assert cp["touches"].tolist() == [1, 3, 1, 2, 1]
    assert cp["touches_s"].tolist() == [1, 2, 1, 2, 0]
    assert cp["touches_e"].tolist() == [0, 1, 0, 0, 1]
    assert cp.attrs["n_zero_length"] == 1


def test_one_spell_per_customer_agrees_with_durations():
    # collapsing the rows gives back the (entry, exit, event) of each customer: the
    # left-truncated Kaplan-Meier curve from both is the same
    cp = _ours()
    g = cp.groupby("customer_id").agg(entry=("start", "min"), duration=("stop", "max"),
                                      event=("event", "max"))
    assert (cp.groupby("customer_id")["event"].sum() <= 1).all()
    km = kaplan_meier(g, entry="entry")
    assert km.n_customers == len(g) and 0 < km.at(50.0)["estimate"].iloc[0] < 1
    # shuffling the log changes nothing
    again = counting_process(LOG.sample(frac=1, random_state=3), origin_column="first_seen",
                             covariates=["segment"], **OPTS)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), cp.reset_index(drop=True))


def test_bad_input():
    log = EventLog(LOG, **OPTS)
    with pytest.raises(ValidationError, match="not a covariate column"):
        counting_process(log, origin_column="nope")
    late = LOG.assign(first_seen=LOG["first_seen"] + 50)
    with pytest.raises(ValidationError, match="after the first recorded event"):
        counting_process(late, origin_column="first_seen", **OPTS)
    with pytest.raises(ValidationError, match="channel"):
        counting_process(log, by_channel=True)


def test_datetime_log_collapses_to_time_to_first_purchase():
    # On a datetime log (the shipped journeys) the rows of each customer tile (0, duration] of
    # time_to_first_purchase, the event sits on the last row, and the touch count on the last
    # row never exceeds n_touches.
    import warnings

    from cjmodels.data import time_to_first_purchase
    from cjmodels.datasets import load_journeys

    log = load_journeys().event_log()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ttp = time_to_first_purchase(log, unit="D").set_index("customer_id")
        cp = counting_process(log, unit="D")
    g = cp.groupby("customer_id")
    np.testing.assert_allclose(g["stop"].max().to_numpy(), ttp["duration"].to_numpy(), atol=1e-9)
    np.testing.assert_array_equal(g["event"].sum().to_numpy(), ttp["event"].to_numpy())
    gaps = cp["start"].to_numpy()[1:] - cp["stop"].to_numpy()[:-1]
    same = cp["customer_id"].to_numpy()[1:] == cp["customer_id"].to_numpy()[:-1]
    assert np.all(np.abs(gaps[same]) < 1e-9)  # contiguous rows
    assert (g["touches"].max() <= ttp["n_touches"]).all()


def test_no_customer_with_a_spell_is_a_clear_error():
    # found by the long fuzz run: every purchase before the first touch leaves no spell, and
    # the interval split met empty arrays (IndexError)
    import warnings

    import pandas as pd
    import pytest

    from cjmodels.errors import ValidationError

    df = pd.DataFrame({"customer_id": 0, "timestamp": [0, 1, 0, 1],
                       "event": ["conversion", "touch", "drop_out", "touch"],
                       "channel": [None, "search", None, "search"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the exclusion is said once upstream
        with pytest.raises(ValidationError, match="no customer has a time to first purchase"):
            counting_process(df)
