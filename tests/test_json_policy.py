"""The package's one JSON policy (cjmodels._json): every result's ``to_dict()`` is strict JSON
(``json.dumps(..., allow_nan=False)``), NaN is null, infinities are "inf"/"-inf", and undefined
numbers come with a note that says why.

Every class in the package with a ``to_dict`` method is built here from small data, degenerate
data where it produces NaN or infinity; a test fails when a new class with ``to_dict`` is not
covered, so future results cannot slip.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import cjmodels
from cjmodels._json import to_jsonable

# ---------------------------------------------------------------------------- small data
PATHS = pd.DataFrame({
    "path": ["a > a > b", "a > b > c", "c", "b > a > a > b"],
    "total_conversions": [3, 1, 0, 2],
    "total_null": [2, 4, 5, 1],
})
SEQS = [["a", "b", "b"], ["b", "a"], ["a", "a", "c"]] * 4
LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5],
    "timestamp": [0.0, 1, 3, 0, 2, 0, 1, 0, 2, 5, 0, 4],
    "event": ["touch", "touch", "conversion", "touch", "drop_out", "touch", "conversion",
              "touch", "touch", "drop_out", "touch", "conversion"],
    "stage": ["a", "b", None, "a", None, "b", None, "a", "b", None, "b", None],
    "channel": ["x", "y", None, "y", None, "x", None, "x", "x", None, "y", None],
})
# a never-left state: 'c' only occurs at the end of censored journeys
LOG_NEVER_LEFT = pd.concat([LOG, pd.DataFrame({
    "customer_id": [6, 6], "timestamp": [0.0, 1], "event": ["touch", "touch"],
    "stage": ["a", "c"], "channel": ["x", "x"]})], ignore_index=True)
SURV = pd.DataFrame({
    "duration": [1.0, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12],
    "event": [1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0],
    "x": [0.1, 1.2, 0.3, 1.4, 0.5, 1.1, 0.2, 1.3, 0.9, 0.4, 1.0, 0.6],
    "g": ["a", "b"] * 6,
    "cause": [1, 2, 0, 1, 0, 2, 1, 0, 2, 0, 1, 0],
})
# the curve never falls to one half: its median is infinite
SURV_NO_MEDIAN = SURV.assign(event=[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
AB = pd.DataFrame({"variant": ["A"] * 40 + ["B"] * 40,
                   "converted": [0] * 40 + [1] * 6 + [0] * 34,
                   "value": np.r_[np.linspace(0, 3, 40), np.linspace(1, 4, 40)]})
MS = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
                   "t": [0, 1, 0, 2, 0, 1.5, 0, 1, 0, 3, 0, 0.5],
                   "s": [1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1],
                   "x": [0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]})


def _quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.cache
    def g(*args: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(*args)
    return g


@_quiet
def _journey_world():
    from cjmodels.synthetic import simulate_journeys

    return simulate_journeys(200, random_state=1, days=60)


@_quiet
def _transactions():
    from cjmodels.synthetic import simulate_transactions

    return simulate_transactions(300, random_state=3)


@_quiet
def _fit():
    from cjmodels.markov import fit_chain

    return fit_chain(LOG)


@_quiet
def _fit_never_left():
    from cjmodels.markov import fit_chain

    return fit_chain(LOG_NEVER_LEFT, prior="jeffreys")


@_quiet
def _lifecycle():
    from cjmodels.markov import lifecycle_chain

    return lifecycle_chain({("(start)", "a"): 10, ("a", "(conversion)"): 5, ("a", "(null)"): 5,
                            ("(conversion)", "a"): 3, ("(conversion)", "(null)"): 2},
                           restart=True)


@_quiet
def _lifecycle_unreached():
    from cjmodels.markov import lifecycle_chain

    return lifecycle_chain({("(start)", "a"): 10, ("a", "(null)"): 5, ("a", "b"): 1,
                            ("b", "(null)"): 1, ("(conversion)", "(null)"): 1}, restart=True)


@_quiet
def _hmm():
    from cjmodels.markov import HiddenMarkovModel

    return HiddenMarkovModel(2, n_init=1, max_iter=50, random_state=0).fit(SEQS).result_


@_quiet
def _multistate(covariates: tuple[str, ...] = ()):
    from cjmodels.markov import fit_multistate

    return fit_multistate(MS, [[0, 1.0], [0, 0]], customer="id", timestamp="t", stage="s",
                          covariates=list(covariates) or None)


@_quiet
def _multistate_x():
    return _multistate(("x",))


def _attribution():
    from cjmodels.attribution import attribute

    return attribute(PATHS, model="markov")


def _ground_truth():
    from cjmodels.attribution import HeuristicAttribution, ground_truth_comparison

    return ground_truth_comparison(PATHS, {"a": 0.4, "b": 0.4, "c": 0.2},
                                   {"last": HeuristicAttribution("last")}, n_boot=2)


def _attribution_order():
    from cjmodels.attribution import cross_validate_order

    return cross_validate_order(PATHS, orders=(1, 2), n_splits=2, random_state=0)


def _report():
    from cjmodels.report import Report, Section

    return Report("out", [Section("s", {"x": np.nan, "y": np.inf, "z": 2}, [])])


def _bg():
    from cjmodels.survival import BetaGeoModel

    return BetaGeoModel().fit(_transactions().customers[["frequency", "recency", "T"]])


def _gg():
    from cjmodels.survival import GammaGammaModel

    return GammaGammaModel.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})


def _cure():
    from cjmodels.survival import MixtureCureModel, simulate_mixture_cure

    d = simulate_mixture_cure(300, random_state=1).data
    return MixtureCureModel().fit(d, cure_covariates=["z"], latency_covariates=["x"])


def _ab():
    from cjmodels.experiments import analyze

    return analyze(AB, control="A", metrics=["converted"])


def _ttp():
    from cjmodels.experiments import compare_time_to_purchase

    t = pd.DataFrame({"variant": ["A"] * 6 + ["B"] * 6,
                      "duration": [1, 3, 4, 6, 8, 9, 2, 2, 3, 5, 6, 7.0],
                      "event": [1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 0, 1]})
    return compare_time_to_purchase(t, control="A", tau=7.0)


def _transitions_test():
    from cjmodels.experiments import compare_transitions

    arm = np.where(LOG["customer_id"] % 2 == 0, "A", "B")
    assigned = pd.DataFrame({"customer_id": range(1, 6), "timestamp": -1.0,
                             "event": "assignment", "variant": ["B", "A"] * 2 + ["B"]})
    df = pd.concat([assigned, LOG.assign(variant=arm)], ignore_index=True)
    return compare_transitions(df, control="A")


def _schemes():
    from cjmodels.data import SEVEN_STAGE

    return SEVEN_STAGE


def _path_table():
    from cjmodels.data import path_table

    return path_table(LOG)


def _transition_counts():
    from cjmodels.data import transition_counts

    return transition_counts(LOG)


def _journey_spec():
    from cjmodels.data import JourneySpec

    return JourneySpec(timeout=pd.Timedelta(days=30), lookback=np.timedelta64(90, "D"))


#: name -> builder of one object; builders marked degenerate produce NaN or infinity.
def _builders() -> dict[str, Callable[[], Any]]:
    from cjmodels import experiments as ex
    from cjmodels import markov as mk
    from cjmodels import survival as sv
    from cjmodels import synthetic as sy

    return {
        # data
        "JourneySpec": lambda: _journey_spec(),
        # markov
        "MarkovChain": lambda: _fit().chain,
        "FittedChain": _fit,
        "FittedChain never left": _fit_never_left,
        "TransitionIntervals": lambda: _fit_never_left().intervals(),
        "AbsorbingAnalysis": lambda: _fit().absorbing(),
        "Funnel": lambda: _fit().funnel(),
        "LifecycleChain": _lifecycle,
        "LifecycleChain unreached": _lifecycle_unreached,
        "Passage": lambda: _lifecycle().repeat_purchase(),
        "Passage unreached": lambda: _lifecycle_unreached().repeat_purchase(),
        "markov order_test": lambda: mk.order_test(LOG),
        "markov OrderSelection": lambda: mk.select_order(LOG, max_order=2),
        "DwellTimes": lambda: mk.dwell_times(LOG),
        "DwellTimes all censored": lambda: mk.dwell_times(LOG_NEVER_LEFT),
        "Intensities": lambda: mk.transition_intensities(LOG),
        "HMMFit": _hmm,
        "StateSelection": lambda: mk.select_n_states(SEQS, (1, 2), random_state=0),
        "FittedMultiState": _multistate,
        "lrtest": lambda: mk.lrtest(_multistate(), _multistate_x()),
        # attribution
        "Attribution": _attribution,
        "GroundTruthComparison": _ground_truth,
        "OrderCrossValidation": _attribution_order,
        # survival
        "SurvivalCurve": lambda: sv.kaplan_meier(SURV),
        "SurvivalCurve no median": lambda: sv.kaplan_meier(SURV_NO_MEDIAN),
        "SurvivalCurve nelson_aalen": lambda: sv.nelson_aalen(SURV),
        "CurveSet": lambda: sv.kaplan_meier_by(SURV, "g"),
        "log-rank HypothesisTest": lambda: sv.logrank_test(SURV, "g"),
        "CumulativeIncidence": lambda: sv.cumulative_incidence(SURV),
        "RegressionResult": lambda: sv.cox_ph(SURV, ["x"]),
        "DiscreteTimeResult": lambda: sv.discrete_time_survival(SURV, ["x"], width=2.0),
        "MixtureCureModel": _cure,
        "BetaGeoModel": _bg,
        "ParameterFit": lambda: _bg().result_,
        "GammaGammaModel": _gg,
        "ShiftedBetaGeometricModel": lambda: sv.ShiftedBetaGeometricModel().fit_survivors(
            [1000, 631, 468, 382, 326, 289, 262, 241]),
        # experiments
        "ExperimentResult": _ab,
        "Comparisons": lambda: _ab().tests,
        "Comparison": lambda: _ab().comparisons[0],
        "srm_check HypothesisTest": lambda: _ab().srm,
        "PowerResult": lambda: ex.power_proportions(0.1, 0.12, 1000),
        "BayesianResult": lambda: ex.beta_binomial(AB, control="A"),
        "SufficientStats": lambda: ex.sufficient_stats(AB, ["converted", "value"]),
        "GroupSequentialDesign": lambda: ex.group_sequential(3),
        "AlwaysValidResult": lambda: ex.msprt([0.1, 0.2], [0.01, 0.005], tau=0.1),
        "TimeToPurchaseResult": _ttp,
        "TransitionTestResult": _transitions_test,
        "compare_transitions HypothesisTest": lambda: _transitions_test().overall,
        # data
        "StageScheme": _schemes,
        "PathTable": _path_table,
        "TransitionCounts": _transition_counts,
        # synthetic and the rest
        "JourneyWorld": _journey_world,
        "JourneyParams": lambda: sy.JourneyParams.default(),
        "LatentWorld": lambda: sy.simulate_latent_journeys(100, random_state=0),
        "PanelWorld": lambda: sy.simulate_panel(100, random_state=0),
        "SubscriptionWorld": lambda: sy.simulate_subscriptions(100, random_state=0),
        "TransactionWorld": _transactions,
        "ExperimentWorld": lambda: sy.simulate_experiment(200, random_state=0),
        "Report": _report,
    }


BUILDERS = _builders()


def _build(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BUILDERS[name]()


def _strict(obj: Any) -> dict[str, Any]:
    d = obj.to_dict()
    json.dumps(d, allow_nan=False)
    return d


# ---------------------------------------------------------------------------- the policy
def test_to_jsonable_policy():
    with np.errstate(over="ignore"):
        overflow, big = np.float64(1e308) * 10, np.longdouble(1e308) * 10
    out = to_jsonable({
        "nan": np.nan, "inf": np.inf, "-inf": -np.inf, "overflow": overflow, "big": big, "na": pd.NA, "nat": pd.NaT,
        "ts": pd.Timestamp("2025-01-01"), "td": pd.Timedelta("1D"), "set": {2, 1},
        "frame": pd.DataFrame({"a": [1.0, np.nan]}, index=["x", "x"]),
        "series": pd.Series([np.inf], index=["s"]), (1, 2): np.array([[np.nan, 1]]),
        "object": object,
    })
    json.dumps(out, allow_nan=False)
    assert out["nan"] is None and out["na"] is None and out["nat"] is None
    assert (out["inf"], out["-inf"], out["overflow"]) == ("inf", "-inf", "inf")
    assert out["frame"] == [{"index": "x", "a": 1.0}, {"index": "x", "a": None}]
    assert out["series"] == {"s": "inf"} and out["(1, 2)"] == [[None, 1.0]]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_result_to_dict_is_strict_json(name):
    _strict(_build(name))


def _classes_with_to_dict() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(cjmodels.__path__, "cjmodels."):
        if info.name.startswith("cjmodels.cli") or info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ == mod.__name__ and "to_dict" in vars(cls):
                found.add(cls.__name__)
    return found


def test_every_class_with_to_dict_is_covered_here():
    # a new result class with to_dict must get a builder above (degenerate data too)
    built = {type(_build(name)).__name__ for name in BUILDERS}
    # abstract bases, covered through their subclasses (every Result subclass is also checked
    # by tests/contract, whose examples cover each public result)
    bases = {"_CountModel", "SyntheticWorld", "Result", "Estimator"}
    missing = _classes_with_to_dict() - built - bases
    assert not missing, f"add builders for {sorted(missing)} to tests/test_json_policy.py"


# ---------------------------------------------------------------------------- undefined numbers
def test_never_left_state_is_null_with_a_note():
    d = _strict(_build("FittedChain never left"))
    assert any("state 'c' was never left" in n for n in d["notes"])
    rows = [r for r in d["intervals"]["transitions"] if r["from_state"] == "c"]
    assert rows and all(r["ci_low"] is None for r in rows)


def test_relative_lift_with_zero_control_conversions_is_explained():
    d = _strict(_build("ExperimentResult"))
    rel = next(c for c in d["comparisons"] if c["effect_type"] == "relative")
    assert rel["effect"] is None
    assert any("relative lift undefined: the control arm has zero conversions" in n
               for n in d["notes"])
    assert rel["notes"]


def test_unreached_median_is_inf_with_a_note():
    d = _strict(_build("SurvivalCurve no median"))
    assert d["median"]["time"] == "inf"
    assert any("median" in n for n in d["notes"])


def test_passage_to_an_unreachable_state_is_null_with_a_note():
    d = _strict(_build("Passage unreached"))
    assert d["quantities"]["steps"]["estimate"] is None
    assert any("never reached" in n for n in d["notes"])


def test_lifecycle_stationary_of_a_transient_state():
    d = _strict(_build("LifecycleChain unreached"))
    assert d["stationary"]["(conversion)"]["recurrence_steps"] == "inf"
    assert any("(conversion)" in n and "recurrence" in n for n in d["notes"])


def test_dwell_time_of_a_stage_never_left_is_inf_with_a_note():
    d = _strict(_build("DwellTimes all censored"))
    c = next(r for r in d["stages"] if r["stage"] == "c")
    assert c["mean"] == "inf" and c["mean_observed"] is None
    assert any("['c']" in n and "all censored" in n for n in d["notes"])


@pytest.mark.parametrize("fit", ["cox_ph", "aft"])
def test_survival_regression_without_events_or_with_one_row_is_refused(fit):
    from cjmodels import survival as sv
    from cjmodels.errors import ValidationError

    with pytest.raises(ValidationError, match="has no events"):
        getattr(sv, fit)(SURV.assign(event=0), ["x"])
    with pytest.raises(ValidationError, match="at least two rows"):
        getattr(sv, fit)(SURV.iloc[:1], ["x"])
