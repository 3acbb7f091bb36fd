"""Contract examples for the attribution results and estimators (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.attribution import (
    Attribution,
    AttributionData,
    GroundTruthComparison,
    HeuristicAttribution,
    LogisticAttribution,
    LogisticWorld,
    MarkovAttribution,
    OrderCrossValidation,
    OrderedShapley,
    ShapleyAttribution,
    cross_validate_order,
    ground_truth_comparison,
    logistic_world,
    ordered_shapley,
)
from tests.contract._cases import EstimatorCase


def _paths_a() -> pd.DataFrame:
    return pd.DataFrame({
        "path": ["a > b", "b > a > a", "a", "c > b", "b"],
        "total_conversions": [30, 12, 10, 5, 8],
        "total_null": [70, 88, 90, 95, 92],
        "total_conversion_value": [300.0, 100.0, 80.0, 60.0, 70.0],
    })


def _paths_b() -> pd.DataFrame:
    return pd.DataFrame({
        "path": ["c > a", "a > c > b", "b > b", "c"],
        "total_conversions": [20, 9, 6, 4],
        "total_null": [80, 91, 94, 96],
        "total_conversion_value": [150.0, 90.0, 40.0, 30.0],
    })


def _log(seed: int) -> pd.DataFrame:
    """A small event log with touch times (for time decay)."""
    rows = []
    channels = ["a", "b", "c"]
    for j in range(12):
        t0 = pd.Timestamp("2025-01-01") + pd.Timedelta(days=j)
        for k in range(1 + (j + seed) % 3):
            rows.append((f"u{j}", t0 + pd.Timedelta(days=k), "touch",
                         channels[(j * (seed + 1) + k) % 3], 0.0))
        if (j + seed) % 2 == 0:
            rows.append((f"u{j}", t0 + pd.Timedelta(days=4), "conversion", None, 10.0 + j))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel", "value"])


@cache
def _world() -> LogisticWorld:
    return logistic_world(400, random_state=1)


RESULTS: dict[type, Any] = {
    Attribution: lambda: MarkovAttribution(order=1).fit(_paths_a()).bootstrap(
        20, random_state=0),
    OrderCrossValidation: lambda: cross_validate_order(_paths_a(), orders=(1, 2), n_splits=2,
                                                       random_state=0),
    OrderedShapley: lambda: ordered_shapley(_paths_a()),
    LogisticWorld: _world,
    GroundTruthComparison: lambda: ground_truth_comparison(
        _world().paths, _world().truth["removal_effect"],
        {"last": HeuristicAttribution("last"), "markov": MarkovAttribution()},
        n_boot=5, random_state=0),
}

ESTIMATORS: dict[type, EstimatorCase] = {
    HeuristicAttribution: EstimatorCase(
        make=lambda: HeuristicAttribution("time-decay", half_life=2.0),
        data_a=lambda: _log(0), data_b=lambda: _log(1),
        before_fit=[("bootstrap", (5,), {})],
    ),
    MarkovAttribution: EstimatorCase(
        make=lambda: MarkovAttribution(order=2, pairs=True),
        data_a=_paths_a, data_b=_paths_b,
        before_fit=[("bootstrap", (5,), {})],
    ),
    ShapleyAttribution: EstimatorCase(
        make=lambda: ShapleyAttribution("rate", random_state=0),
        data_a=_paths_a, data_b=_paths_b,
        before_fit=[("bootstrap", (5,), {})],
    ),
    LogisticAttribution: EstimatorCase(
        make=lambda: LogisticAttribution(n_estimators=3, random_state=0),
        data_a=_paths_a, data_b=_paths_b,
        before_fit=[("bootstrap", (5,), {})],
    ),
}

NOT_RESULTS: dict[type, str] = {
    AttributionData: "an input object: the weighted journey cells every model reads",
}

VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}

COLUMN_KEYWORDS: tuple[str, ...] = ()
