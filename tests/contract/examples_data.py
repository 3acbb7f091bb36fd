"""Contract examples for the data results and estimators (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.data import (
    EventLog,
    JourneySet,
    JourneySpec,
    JourneyTransitions,
    LifecycleTransitions,
    PathTable,
    StageScheme,
    TouchSequences,
    TransitionCounts,
    journey_set,
    journey_transitions,
    lifecycle_transitions,
    path_table,
    touch_sequences,
    transition_counts,
)
from tests.contract._cases import EstimatorCase


@cache
def _log() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 3],
        "timestamp": [0.0, 1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 4.0],
        "event": ["touch", "touch", "conversion", "touch", "drop_out", "touch", "touch", "touch"],
        "channel": ["email", "search", None, "social", None, "search", "search", "email"],
        "value": [0.0, 0.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    })


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    JourneySet: lambda: journey_set(_log()),
    PathTable: lambda: path_table(_log()),
    TransitionCounts: lambda: transition_counts(_log(), censored="state"),
    JourneyTransitions: lambda: journey_transitions(_log(), spec=JourneySpec(sequence="channel")),
    TouchSequences: lambda: touch_sequences(_log()),
    LifecycleTransitions: lambda: lifecycle_transitions(
        _log(), spec=JourneySpec(sequence="channel", timeout=1.5)),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    EventLog: "the validated input of every function of the event log (an input object)",
    StageScheme: "a specification of the stages of a funnel (an input object)",
    JourneySpec: "a specification of the journeys every reduction and model reads (an input "
                 "object: frozen options, validated when built)",
}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cjmodels.data.StageScheme.__init__", "drop_out"): (
        "the name of the drop-out stage: a value of the data (a stage label), not an option "
        "string"
    ),
}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
