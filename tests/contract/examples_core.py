"""Contract examples for cjmodels.results and cjmodels.errors (see _cases.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cjmodels.errors import CJModelsError, ConvergenceError, NotFittedError, ValidationError
from cjmodels.results import Estimator, HypothesisTest, Result
from tests.contract._cases import EstimatorCase

RESULTS: dict[type, Any] = {
    HypothesisTest: lambda: HypothesisTest(
        statistic=4.2, df=1, pvalue=0.0404, method="chi-square",
        hypothesis="the arms convert at the same rate",
        table=pd.DataFrame({"arm": ["a", "b"], "observed": [10, 20]}), info={"n": 30},
    ),
}
ESTIMATORS: dict[type, EstimatorCase] = {}
NOT_RESULTS: dict[type, str] = {
    Result: "the base class of results",
    Estimator: "the base class of estimators",
    CJModelsError: "an exception",
    ConvergenceError: "an exception",
    NotFittedError: "an exception",
    ValidationError: "an exception",
}
