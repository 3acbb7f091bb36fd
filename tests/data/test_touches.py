"""Touch sequences of an event log (cjmodels.data.touch_sequences), the HMM's input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import JourneySpec, touch_sequences
from cjmodels.errors import ValidationError

LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 2, 2, 3],
    "timestamp": [0.0, 1.0, 9.0, 0.0, 1.0, 0.0],
    "event": ["touch", "touch", "touch", "conversion", "touch", "touch"],
    "channel": ["email", "search", "email", None, "display", "search"],
    "stage": ["a", "b", "a", None, "a", "b"],
    "device": ["m", "d", "m", None, "d", "d"],
})


def test_sequences_by_hand():
    # customer 2 converts with no touch before it: that journey is left out with a warning
    with pytest.warns(UserWarning, match="1 of 5 journeys have no touches"):
        ts = touch_sequences(LOG, spec=JourneySpec(sequence="channel", timeout=5.0))
    js = ts.journeys
    seqs = [js.labels[js.symbols[a:b]].tolist()
            for a, b in zip(js.offsets[:-1], js.offsets[1:], strict=True)]
    assert seqs == [["email", "search"], ["email"], ["display"], ["search"]]
    assert ts.keys.to_dict(orient="list") == {"customer_id": [1, 1, 2, 3],
                                              "journey": [1, 2, 2, 1]}
    assert ts.info["journeys_without_touches"] == 1
    assert ts.summary()["touches"].tolist() == [2, 1, 1, 1]


def test_stages_and_covariates_at_every_touch():
    with pytest.warns(UserWarning, match="no touches"):
        ts = touch_sequences(LOG, spec=JourneySpec(sequence="stage"), covariates=["device"])
    js = ts.journeys
    assert np.asarray(js.labels, dtype=object)[js.symbols].tolist() == ["a", "b", "a", "a", "b"]
    assert ts.covariates["device"].tolist() == ["m", "d", "m", "d", "d"]
    with pytest.raises(ValidationError, match="not columns of the event log"):
        touch_sequences(LOG, covariates="segment")


def test_fields_a_sequence_does_not_read_are_refused():
    for spec in (JourneySpec(order=2), JourneySpec(journeys="first"),
                 JourneySpec(collapse_repeats=True)):
        with pytest.raises(ValidationError, match="would be ignored"):
            touch_sequences(LOG, spec=spec)
