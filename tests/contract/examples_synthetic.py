"""Contract examples for the synthetic worlds and the shipped datasets (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels import datasets, synthetic
from tests.contract._cases import EstimatorCase


@cache
def _journeys() -> synthetic.JourneyWorld:
    return synthetic.simulate_journeys(60, days=30, random_state=1)


def _generic() -> synthetic.SyntheticWorld:
    w = synthetic.simulate_subscriptions(40, random_state=2)
    return synthetic.SyntheticWorld(w.name, w.events, w.truth, w.params, w.tables,
                                    w.event_log_options)


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    synthetic.SyntheticWorld: _generic,
    synthetic.JourneyWorld: _journeys,
    synthetic.SubscriptionWorld: lambda: synthetic.simulate_subscriptions(40, random_state=2),
    synthetic.TransactionWorld: lambda: synthetic.simulate_transactions(40, random_state=3),
    synthetic.ExperimentWorld: lambda: synthetic.simulate_experiment(200, random_state=4),
    synthetic.LatentWorld: lambda: synthetic.simulate_latent_journeys(30, random_state=5),
    synthetic.PanelWorld: lambda: synthetic.simulate_panel(20, random_state=6),
    datasets.Dataset: lambda: datasets.load_transactions(),
    datasets.DatasetCheck: lambda: datasets.DatasetCheck("datasets", pd.DataFrame(
        {"ok": [True, False], "recorded": ["ab", "cd"], "regenerated": ["ab", "cd"],
         "file": ["ab", ""]}, index=pd.Index(["journeys", "experiment"], name="dataset"))),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    synthetic.Arm: "a specification: one experiment arm given to simulate_experiment(arms=...)",
    synthetic.JourneyParams: "a specification: the journey model given to "
    "simulate_journeys(params=...); its exact quantities are methods of the model",
    datasets.DatasetSpec: "a specification: how a shipped dataset is generated (simulator, "
    "parameters, seed)",
}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cjmodels.synthetic.JourneyParams.transition_matrix", "segment"): (
        "a level of the simulation setting JourneyParams.segments (whose matrix to show), not a "
        "grouping column of data"
    ),
    ("cjmodels.synthetic.JourneyParams.conversion_probability", "segment"): (
        "a level of the simulation setting JourneyParams.segments (whose probability to compute),"
        " not a grouping column of data"
    ),
}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
