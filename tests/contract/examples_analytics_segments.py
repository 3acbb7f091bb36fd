"""Contract examples for behavioural segments (cjmodels.analytics.segments; see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.analytics import (
    KMeansSegments,
    MarkovMixture,
    MarkovMixtureFit,
    MixtureConvergenceWarning,
    SegmentAgreement,
    SegmentSelection,
    kmeans_segments,
    segment_agreement,
    select_n_segments,
)
from cjmodels.synthetic import simulate_segment_journeys
from tests.contract._cases import EstimatorCase


@cache
def _events_a() -> pd.DataFrame:
    return simulate_segment_journeys(120, random_state=1).events


@cache
def _events_b() -> pd.DataFrame:
    return simulate_segment_journeys(90, random_state=2).events


@cache
def _mixture() -> MarkovMixture:
    return MarkovMixture(2, n_init=2, n_boot=5, random_state=0).fit(_events_a())


RESULTS: dict[type, Any] = {
    MarkovMixtureFit: lambda: _mixture().result_,
    SegmentSelection: lambda: select_n_segments(_events_a(), n_segments=(1, 2), n_init=2,
                                                 random_state=0),
    KMeansSegments: lambda: kmeans_segments(_events_a(), n_segments=2, n_init=2,
                                            random_state=0),
    SegmentAgreement: lambda: segment_agreement([0, 0, 1, 1, 2], ["a", "a", "b", "c", "c"]),
}
ESTIMATORS: dict[type, EstimatorCase] = {
    MarkovMixture: EstimatorCase(
        make=lambda: MarkovMixture(2, n_init=2, random_state=0),
        data_a=_events_a,
        data_b=_events_b,
        before_fit=[("predict", (_events_a(),), {}), ("predict_proba", (_events_a(),), {})],
    ),
}
NOT_RESULTS: dict[type, str] = {
    MixtureConvergenceWarning: "a warning: EM of a MarkovMixture stopped at max_iter",
}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cjmodels.analytics.MarkovMixtureFit.matrix", "segment"): (
        "one of the fitted segments (whose matrix to show), not a grouping column of data"
    ),
}
