"""Contract examples for the survival results and estimators (see _cases.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from cjmodels import survival as sv
from tests.contract._cases import EstimatorCase


@cache
def _durations() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    x = rng.integers(0, 2, n).astype(float)
    t = np.ceil(rng.exponential(8 / np.exp(0.5 * x)))
    c = rng.integers(5, 20, n)
    return pd.DataFrame({
        "duration": np.minimum(t, c).astype(float),
        "event": (t <= c).astype(int),
        "x": x,
        "g": np.where(x == 1, "paid", "organic"),
        "cause": np.where(t <= c, np.where(rng.random(n) < 0.6, "purchase", "drop-out"), "0"),
    })


def _competing() -> pd.DataFrame:
    d = _durations()
    return d.assign(cause=d["cause"].where(d["cause"] != "0", 0))


@cache
def _rfm(seed: int) -> pd.DataFrame:
    from cjmodels.synthetic import simulate_transactions

    w = simulate_transactions(300, random_state=seed)
    return w.customers[["frequency", "recency", "T", "monetary_value"]]


@cache
def _bgbb(seed: int) -> pd.DataFrame:
    """Histories of a BG/BB world (the donation parameters of Fader, Hardie & Shang 2010)."""
    rng = np.random.default_rng(seed)
    n, n_periods = 1500, 6
    p = rng.beta(1.2, 0.75, n)
    theta = rng.beta(0.66, 2.78, n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n, dtype=int)
    tx = np.zeros(n, dtype=int)
    for t in range(1, n_periods + 1):
        alive &= rng.random(n) >= theta
        buy = alive & (rng.random(n) < p)
        x += buy
        tx = np.where(buy, t, tx)
    d = pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n_periods})
    return d.value_counts().rename("count").reset_index()


def _sbg(shift: int) -> pd.DataFrame:
    periods = [1, 1, 1, 2, 2, 3, 4, 5, 5, 5, 6, 6]
    event = [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0]
    return pd.DataFrame({"periods": periods, "event": event,
                         "count": [30 + shift, 20, 10, 12, 9, 8, 6, 20, 20, 3, 40, 40 - shift]})


@cache
def _cure(seed: int) -> pd.DataFrame:
    return sv.simulate_mixture_cure(600, random_state=seed).data


def _curve_set() -> sv.CurveSet:
    return sv.kaplan_meier_by(_durations(), "g")


_BEFORE_FIT_RFM = [("prob_alive", (1, 5.0, 10.0), {}),
                   ("expected_transactions", ([1.0, 2.0],), {})]


def _count_case(cls: type, before: list) -> EstimatorCase:
    return EstimatorCase(
        make=lambda: cls(maxiter=2000),
        data_a=lambda: _rfm(1),
        data_b=lambda: _rfm(2),
        before_fit=before,
    )


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    sv.SurvivalCurve: lambda: sv.kaplan_meier(_durations()),
    sv.SurvivalQuantile: lambda: sv.kaplan_meier(_durations()).median,
    sv.RestrictedMean: lambda: sv.kaplan_meier(_durations()).rmst(10.0),
    sv.CurveSet: _curve_set,
    sv.RegressionResult: lambda: sv.cox_ph(_durations(), ["x"]),
    sv.CumulativeIncidence: lambda: sv.cumulative_incidence(_competing()),
    sv.CauseSpecificCox: lambda: sv.cause_specific_cox(_competing(), ["x"]),
    sv.DiscreteTimeResult: lambda: sv.discrete_time_survival(_durations(), ["x"], width=2.0),
    sv.Concordance: lambda: sv.concordance_index_ipcw(_durations(), _durations(),
                                                      _durations()["x"].to_numpy()),
    sv.ParameterFit: lambda: sv.ShiftedBetaGeometricModel().fit_survivors(
        [1000, 631, 468, 382, 326, 289]).result_,
    sv.MixtureCureResult: lambda: sv.MixtureCureModel().fit(
        _cure(1), cure_covariates=["z"]).result_,
    sv.CureWorld: lambda: sv.simulate_mixture_cure(50, random_state=3),
}

#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {
    sv.BetaGeoModel: _count_case(sv.BetaGeoModel, _BEFORE_FIT_RFM),
    sv.ModifiedBetaGeoModel: _count_case(sv.ModifiedBetaGeoModel, _BEFORE_FIT_RFM),
    sv.ParetoNBDModel: _count_case(sv.ParetoNBDModel, _BEFORE_FIT_RFM),
    sv.GammaGammaModel: _count_case(
        sv.GammaGammaModel, [("conditional_expected_spend", (2, 20.0), {}),
                             ("expected_spend", (), {})]),
    sv.BGBBModel: EstimatorCase(
        make=lambda: sv.BGBBModel(),
        data_a=lambda: _bgbb(1),
        data_b=lambda: _bgbb(2),
        fit_kwargs={"weight": "count"},
        before_fit=[("prob_alive", (3, 5, 6), {}), ("expected_transactions", (6,), {})],
    ),
    sv.ShiftedBetaGeometricModel: EstimatorCase(
        make=lambda: sv.ShiftedBetaGeometricModel(),
        data_a=lambda: _sbg(0),
        data_b=lambda: _sbg(15),
        fit_kwargs={"weight": "count"},
        before_fit=[("survival", ([1, 2],), {}), ("project", (5,), {}),
                    ("derl", (0.1,), {})],
    ),
    sv.MixtureCureModel: EstimatorCase(
        make=lambda: sv.MixtureCureModel(),
        data_a=lambda: _cure(1),
        data_b=lambda: _cure(2),
        fit_kwargs={"cure_covariates": ["z"]},
        before_fit=[("cure_probability", (), {}),
                    ("predict_survival", (None, [1.0, 2.0]), {})],
    ),
}

#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}

#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("cjmodels.survival.brier_score", "train"): (
        "two data sets: the training outcomes (for the censoring distribution) and the test "
        "outcomes whose predictions are scored"
    ),
    ("cjmodels.survival.integrated_brier_score", "train"): (
        "two data sets: training outcomes (censoring distribution) and test outcomes"
    ),
    ("cjmodels.survival.concordance_index_ipcw", "train"): (
        "two data sets: training outcomes (censoring distribution) and test outcomes"
    ),
}

#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ("periods", "origin_column", "latency_covariates",
                                    "cure_covariates", "cluster")
