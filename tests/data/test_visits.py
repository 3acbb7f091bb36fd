"""Stage visits (cjmodels.data.stage_visits), by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cjmodels.data import JourneySpec, stage_visits
from cjmodels.errors import ValidationError

LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 1, 2, 2, 3],
    "timestamp": [0.0, 1.0, 3.0, 4.0, 0.0, 2.0, 5.0],
    "event": ["touch", "touch", "touch", "conversion", "touch", "drop_out", "touch"],
    "stage": ["a", "a", "b", None, "a", None, "a"],
})


def test_stage_visits_by_hand():
    v = stage_visits(LOG, observation_end=10.0)
    # customer 1: a from 0 to 3 (next stage), b from 3 to 4 (conversion); customer 2: a from 0,
    # drop_out event at 2; customer 3: a from 5, censored at 10
    assert v["duration"].tolist() == [3.0, 1.0, 2.0, 5.0]
    assert v["event"].tolist() == [1, 1, 1, 0]
    assert v["exit"].tolist()[:3] == ["b", "(conversion)", "(null)"]
    assert v["touches"].tolist() == [2, 1, 1, 1]


def test_visits_keep_the_recent_ones_and_read_the_journeys_of_the_spec():
    # a timeout of 6: customer 3's visit (day 5 of 10) is not yet resolved and stays censored,
    # whatever censor_recent says; the first journeys are every customer's only one here
    spec = JourneySpec(timeout=6, journeys="first")
    v = stage_visits(LOG, spec=spec, observation_end=10.0)
    assert v.equals(stage_visits(LOG, spec=spec.replace(censor_recent=False),
                                 observation_end=10.0))
    assert v["event"].tolist() == [1, 1, 1, 0]
    with pytest.raises(ValidationError, match="order=2 would be ignored"):
        stage_visits(LOG, spec=JourneySpec(order=2))
    with pytest.raises(ValidationError, match="collapse_repeats=True would be ignored"):
        stage_visits(LOG, spec=JourneySpec(collapse_repeats=True))
