"""Contract examples for the sessions and data-preparation results of cjmodels.data."""

from __future__ import annotations

from functools import cache
from typing import Any

import pandas as pd

from cjmodels.data import ExportPreset, PreparedLog, SessionTable, relabel, sessions
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
    SessionTable: lambda: sessions(_log(), inactivity=1.5),
    PreparedLog: lambda: relabel(_log(), mapping={"search": "paid"}),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    ExportPreset: "a specification of an analytics export's columns and rules (an input "
                  "object: frozen, validated when built)",
}
