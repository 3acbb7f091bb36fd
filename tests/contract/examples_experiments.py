"""Contract examples for the experiments results and estimators (see _cases.py)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from cjmodels import experiments as ex
from tests.contract._cases import EstimatorCase


def _counts() -> ex.SufficientStats:
    return ex.SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})


@functools.lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame({
        "variant": np.repeat(["control", "treatment"], n // 2),
        "converted": (rng.random(n) < 0.3).astype(float),
        "value": rng.exponential(10.0, n),
        "assigned_at": np.arange(n, dtype=float),
    })


def _survival_table() -> pd.DataFrame:
    return pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 4,
                         "duration": [1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 4.0],
                         "event": [1, 0, 1, 0, 1, 1, 1, 0]})


def _transitions() -> ex.TransitionTestResult:
    df = pd.DataFrame({
        "customer_id": [c for c in range(1, 9) for _ in range(3)],
        "timestamp": [0.0, 1.0, 2.0] * 8,
        "event": ["assignment", "touch", "conversion"] * 2
        + ["assignment", "touch", "drop_out"] * 6,
        "stage": [None, "a", None] * 8,
        "variant": [v for v in "AAAABBBB" for _ in range(3)],
    })
    return ex.compare_transitions(df, control="A")


def _always_valid() -> ex.AlwaysValidResult:
    return ex.msprt([0.02, 0.03, 0.03], [1e-4, 5e-5, 3e-5], tau=0.01)


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    ex.Comparison: lambda: ex.compare_proportions(_counts(), control="A").primary,
    ex.Comparisons: lambda: ex.compare_proportions(_counts(), control="A"),
    ex.ExperimentResult: lambda: ex.analyze(_table(), control="control",
                                            metrics=["converted", "value"]),
    ex.TimeToPurchaseResult: lambda: ex.compare_time_to_purchase(_survival_table(),
                                                                 control="a", tau=3.0),
    ex.BayesianResult: lambda: ex.beta_binomial(_counts(), control="A"),
    ex.ExpectedLoss: lambda: ex.expected_loss(201, 9801, 251, 9751),
    ex.PowerResult: lambda: ex.sample_size_proportions(0.10, 0.12),
    ex.PowerSimulation: lambda: ex.power_simulation(0.10, 0.12, 500, n_simulations=200,
                                                    random_state=0),
    ex.GroupSequentialDesign: lambda: ex.group_sequential(3),
    ex.SequentialDecision: lambda: ex.group_sequential(3).test([1.2, 3.1]),
    ex.AlwaysValidResult: _always_valid,
    ex.SufficientStats: _counts,
    ex.ShiftEstimate: lambda: ex.hodges_lehmann(np.array([2.5, 3.5, 5.0, 6.0]),
                                                np.array([1.0, 2.0, 3.0, 4.0])),
    ex.TransitionTestResult: _transitions,
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {
    ex.SampleRatioMismatchWarning: "a warning (srm_check issues it on a mismatch)",
}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
