"""Per-arm reductions of an experiment's log: arm codes and one event log per arm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import arm_event_logs, experiment_table
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError


def test_arm_event_logs_keep_post_assignment_events_only():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 2, 2, 3],
        "timestamp": [0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 1.0],
        "event": ["touch", "assignment", "touch", "conversion", "assignment", "touch", "touch",
                  "touch"],
        "stage": ["a", None, "b", None, None, "a", "b", "a"],
        "variant": [None, "A", None, None, "B", None, None, None],
    })
    with pytest.warns(UserWarning):  # customer 3 has no assignment and is left out
        logs = arm_event_logs(df)
    assert logs["A"].events["timestamp"].tolist() == [2.0, 3.0]
    assert logs["B"].events["stage"].tolist() == ["a", "b"]
    assert set(logs["A"].events["customer_id"]) == {1}


def test_arm_event_logs_keep_arm_labels_as_their_str():
    # the event-log path gives the same labels as the data layer's experiment table
    log = pd.DataFrame({"customer_id": [1, 2, 1, 2], "timestamp": [0, 0, 1, 1],
                        "event": ["assignment", "assignment", "touch", "touch"],
                        "channel": [None, None, "a", "b"],
                        "variant": pd.Series([0, 1, None, None], dtype=object)})
    assert list(arm_event_logs(log)) == ["0", "1"]
    # the per-customer table keeps the arm values as given (told apart by their labels)
    assert experiment_table(log)["variant"].tolist() == [0, 1]
    log_float = log.assign(variant=[0.0, 1.0, np.nan, np.nan])
    assert list(arm_event_logs(log_float)) == ["0", "1"]


def test_arm_event_logs_refuses_arms_mixing_types():
    log = pd.DataFrame({"customer_id": [1, 2, 1, 2], "timestamp": [0, 0, 1, 1],
                        "event": ["assignment", "assignment", "touch", "touch"],
                        "channel": [None, None, "a", "b"],
                        "variant": pd.Series([1, "1", None, None], dtype=object)})
    with pytest.raises(ValidationError, match=r"mixes types.*astype\(str\)"):
        arm_event_logs(log)


def test_arm_codes_declared_arms_and_errors():
    t = pd.DataFrame({"variant": ["B", "A", "B"]})
    names, codes = arm_codes(t, "variant", ["B", "A"])
    assert names == ("B", "A") and codes.tolist() == [0, 1, 0]
    with pytest.raises(ValidationError, match="not among the declared arms"):
        arm_codes(t, "variant", ["A", "C"])
    with pytest.raises(ValidationError, match="zero customers"):
        arm_codes(t, "variant", ["A", "B", "C"])
    with pytest.raises(ValidationError, match="only one arm"):
        arm_codes(t.iloc[:1], "variant", None)
    with pytest.raises(ValidationError, match="is missing at rows"):
        arm_codes(pd.DataFrame({"variant": ["A", None, "B"]}), "variant", None)
