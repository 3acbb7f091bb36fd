"""Contract examples for the step matrices of cjmodels.analytics (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.analytics import StepMatrix, StepMatrixComparison, step_matrix
from cjmodels.data import JourneySpec
from tests.contract._cases import EstimatorCase


@cache
def _log() -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4],
        "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0, 0.0, 1.0, 2.0],
        "event": ["touch", "touch", "conversion", "touch", "touch", "drop_out", "touch",
                  "touch", "touch", "touch", "conversion"],
        "channel": ["email", "search", None, "email", "social", None, "social", "email",
                    "email", "email", None],
        "segment": ["a", "a", "a", "a", "a", "a", "b", "b", "b", "b", "b"],
    })


_SPEC = JourneySpec(sequence="channel")

#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    StepMatrix: lambda: step_matrix(_log(), anchor="email", before=1, after=2, spec=_SPEC),
    StepMatrixComparison: lambda: step_matrix(_log(), anchor="email", before=1, after=2,
                                              spec=_SPEC, group="segment"),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}
