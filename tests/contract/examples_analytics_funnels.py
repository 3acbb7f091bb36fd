"""Contract examples for the funnel results of cjmodels.analytics (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.analytics import (
    FunnelComparison,
    FunnelDefinitions,
    FunnelResult,
    WindowConversion,
    compare_funnel_definitions,
    compare_funnels,
    funnel,
    window_conversion,
)
from tests.contract._cases import EstimatorCase


@cache
def _log() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 4],
        "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 5.0, 0.0, 1.0, 9.0],
        "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "conversion",
                  "touch", "touch", "conversion"],
        "stage": ["visit", "cart", "buy", "cart", "visit", "visit", "buy", "visit", "cart",
                  "buy"],
        "segment": ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"],
    })


_STEPS = ["visit", "cart", "buy"]

#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    FunnelResult: lambda: funnel(_log(), _STEPS),
    FunnelDefinitions: lambda: compare_funnel_definitions(_log(), _STEPS),
    FunnelComparison: lambda: compare_funnels(_log(), _STEPS, group="segment"),
    WindowConversion: lambda: window_conversion(_log(), "visit", ("event", "conversion"),
                                                window=4),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}
