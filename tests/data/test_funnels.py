"""After-assignment outcomes per customer: deepest funnel stage and time to purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import experiment_table, funnel_table, purchase_times
from cjmodels.synthetic import simulate_experiment


def test_funnel_table_from_event_log():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3],
        "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 0.5],
        "event": ["assignment", "touch", "touch", "assignment", "touch", "touch", "assignment"],
        "stage": [None, "visit", "cart", None, "visit", "cart", None],
        "variant": ["A", "A", "A", "B", "B", "B", "B"],
    })
    f = funnel_table(df, stages=["visit", "cart", "buy"])
    # customer 3 reached 'cart' only before assignment: not counted
    assert f["max_stage"].tolist() == ["cart", "visit", "(none)"]


def test_purchase_times_origin_is_assignment_and_drop_out_does_not_censor():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3, 4],
        "timestamp": [0.0, 1.0, 2.0, 6.0, 2.0, 3.0, 9.0, 4.0, 4.0, 5.0],
        "event": ["conversion", "assignment", "drop_out", "conversion", "assignment",
                  "drop_out", "touch", "assignment", "conversion", "touch"],
        "variant": [None, "A", None, None, "B", None, None, "B", None, None],
    })
    with pytest.warns(UserWarning, match="no assignment|unassigned|assign"):
        t = purchase_times(df, observation_end=10.0)
    # customer 1: the pre-period purchase at 0 is ignored, the drop-out at 2 does not censor,
    # the purchase at 6 is 5 after assignment; customer 2: censored at the end (10 - 2);
    # customer 3: purchase at the assignment time (duration 0); customer 4 is not assigned
    assert t["customer_id"].tolist() == [1, 2, 3]
    assert t["duration"].tolist() == [5.0, 8.0, 0.0]
    assert t["event"].tolist() == [1, 0, 1]
    # window and end censor administratively, as in experiment_table
    w = purchase_times(df.loc[df.customer_id != 4], observation_end=10.0, window=4.0)
    assert w["duration"].tolist() == [4.0, 4.0, 0.0] and w["event"].tolist() == [0, 0, 1]
    e = purchase_times(df.loc[df.customer_id != 4], observation_end=10.0, end=5.0)
    assert e["duration"].tolist() == [4.0, 3.0, 0.0] and e["event"].tolist() == [0, 0, 1]


def test_purchase_times_recover_the_simulated_delays():
    # the simulated experiment records each converter's delay after assignment (days): the
    # durations equal it (timestamps are stored to the second: tolerance 1e-4 days), and the
    # event indicator equals experiment_table's converted
    w = simulate_experiment(3000, random_state=11)
    log = w.event_log()
    t = purchase_times(log)
    truth = w.tables["customers"].set_index("customer_id").loc[t["customer_id"]]
    conv = t["event"].to_numpy() == 1
    np.testing.assert_array_equal(conv, truth["converted"].to_numpy() == 1)
    np.testing.assert_allclose(t["duration"].to_numpy()[conv], truth["delay"].to_numpy()[conv],
                               atol=1e-4)
    np.testing.assert_array_equal(t["event"], experiment_table(log)["converted"])
    assert (t["duration"] >= 0).all()
