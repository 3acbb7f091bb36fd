"""Contract examples for cjmodels.analytics.edges (see _cases.py)."""

from __future__ import annotations

import functools

import pandas as pd

from cjmodels import analytics as an
from tests.contract._cases import EstimatorCase


@functools.lru_cache(maxsize=1)
def _log() -> pd.DataFrame:
    rows = []
    for c in range(1, 13):
        seg = "A" if c % 2 else "B"
        rows += [(c, 0.0, "touch", "email", seg), (c, 1.0 + c % 3, "touch", "search", seg)]
        if c % 3:
            rows.append((c, 3.0 + c % 4, "conversion", None, seg))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel",
                                       "segment"])


#: {ResultClass: factory returning a small instance}
RESULTS = {
    an.EdgeTimes: lambda: an.edge_times(_log(), n_boot=20, random_state=0),
    an.TransitionDifferences: lambda: an.transition_differences(_log(), group="segment"),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}
