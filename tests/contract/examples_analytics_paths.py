"""Contract examples for the path queries of cjmodels.analytics (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.analytics import PathPattern, journey_metrics, match_paths, top_paths
from cjmodels.analytics.paths import JourneyMetrics, PathMatches, TopPaths
from tests.contract._cases import EstimatorCase


@cache
def _log() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 3],
        "timestamp": [0.0, 1.0, 2.0, 0.0, 3.0, 1.0, 2.0, 4.0],
        "event": ["touch", "touch", "conversion", "touch", "drop_out", "touch", "touch", "touch"],
        "channel": ["email", "search", None, "social", None, "search", "search", "email"],
    })


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    TopPaths: lambda: top_paths(_log(), k=2),
    PathMatches: lambda: match_paths(_log(), "search > ...(not social) > (conversion)"),
    JourneyMetrics: lambda: journey_metrics(_log(), has="email",
                                            between=("search", "(conversion)")),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    PathPattern: "a parsed path query (an input object, like JourneySpec: validated when built, "
                 "then applied to journeys by match_paths and the selections)",
}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
