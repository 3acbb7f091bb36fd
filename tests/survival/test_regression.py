"""Cox and AFT wrappers against R survival (coxph, survreg) on lung and synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_lung

from cjmodels.errors import ValidationError
from cjmodels.survival import aft, cox_ph, cox_time_varying
from cjmodels.synthetic import simulate_subscriptions

from .conftest import REFERENCE

# tests/survival/reference/make_r_reference.R (R 4.2.2, survival 3.5-3).
R = json.loads((REFERENCE / "r_reference.json").read_text())
LUNG = load_lung()
KW = {"duration": "time", "event": "status"}


def _check(res, ref, coef_tol=1e-5, se_tol=1e-5, ll_tol=1e-6):
    np.testing.assert_allclose(res.table["coef"], ref["coef"], atol=coef_tol)
    np.testing.assert_allclose(res.table["se"], ref["se"], rtol=se_tol)
    assert res.log_likelihood == pytest.approx(ref["loglik"][1], abs=ll_tol * 1e3)


def test_cox_efron_matches_r():
    # coxph(Surv(time, status) ~ age + sex, lung, ties="efron"): coef 0.017045, -0.513219;
    # se 0.009223, 0.167458; loglik -742.848; concordance 0.60285.
    res = cox_ph(LUNG, ["age", "sex"], **KW)
    _check(res, R["cox_efron"])
    assert res.concordance == pytest.approx(R["cox_efron"]["concordance"], abs=1e-8)


def test_cox_strata_matches_r():
    # coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), lung) (the row with missing
    # ph.ecog dropped, as R does).
    res = cox_ph(LUNG.dropna(subset=["ph.ecog"]), ["age", "ph.ecog"], strata="sex", **KW)
    _check(res, R["cox_strata"])


def test_cox_weights_matches_r():
    # coxph(..., weights = 1 + (row %% 3)): model-based standard errors.
    d = LUNG.assign(w=1 + np.arange(1, len(LUNG) + 1) % 3)
    _check(cox_ph(d, ["age", "sex"], weight="w", **KW), R["cox_weights"])


def test_cox_cluster_robust_matches_r():
    # coxph(..., cluster = inst) on rows with inst known. lifelines' sandwich differs from R's
    # (which uses dfbeta residuals with Efron tie weights) in the 4th digit: rtol 2e-3.
    d = LUNG.dropna(subset=["inst"])
    res = cox_ph(d, ["age", "sex"], cluster="inst", **KW)
    np.testing.assert_allclose(res.table["coef"], R["cox_cluster"]["coef"], atol=1e-5)
    np.testing.assert_allclose(res.table["se"], R["cox_cluster"]["se"], rtol=2e-3)


def test_cox_left_truncation_matches_r():
    # coxph(Surv(entry, stop, event) ~ x, left_truncated.csv).
    lt = pd.read_csv(REFERENCE / "left_truncated.csv")
    res = cox_ph(lt, ["x"], duration="stop", entry="entry")
    ref = R["left_truncated_cox"]
    assert res.table["coef"].iloc[0] == pytest.approx(ref["coef"], abs=1e-6)
    assert res.table["se"].iloc[0] == pytest.approx(ref["se"], rel=1e-5)


def test_time_varying_cox_matches_r():
    # coxph(Surv(start, stop, event) ~ touches, counting_process.csv): coef and naive se.
    cp = pd.read_csv(REFERENCE / "counting_process.csv")
    res = cox_time_varying(cp, ["touches"], customer="id")
    ref = R["time_varying_cox"]
    assert res.table["coef"].iloc[0] == pytest.approx(ref["coef"], abs=1e-6)
    assert res.table["se"].iloc[0] == pytest.approx(ref["naive_se"], rel=1e-5)
    assert res.log_likelihood == pytest.approx(ref["loglik"][1], abs=1e-4)


@pytest.mark.parametrize(
    ("dist", "coef_tol"),
    # log-logistic: lifelines stops ~3e-5 below R's maximum of the log-likelihood, which moves
    # the intercept by 2.4e-3; Weibull agrees to 1e-5, log-normal to 2e-5 (optimiser tolerance).
    [("weibull", 1e-5), ("loglogistic", 3e-3), ("lognormal", 5e-5)],
)
def test_aft_matches_survreg(dist, coef_tol):
    # survreg(Surv(time, status) ~ age + sex, lung, dist=...): coefficients on log time,
    # log(scale) and log-likelihood.
    ref = R[f"aft_{dist}"]
    res = aft(LUNG, ["age", "sex"], distribution=dist, **KW)
    t = res.table["coef"]
    first = t.index.get_level_values(0)[0]
    ours = [t[(first, "Intercept")], t[(first, "age")], t[(first, "sex")]]
    np.testing.assert_allclose(ours, ref["coef"], atol=coef_tol)
    second = [p for p in t.index.get_level_values(0) if p != first][0]
    shape = t[(second, "Intercept")]
    expected = ref["log_scale"] if dist == "lognormal" else -ref["log_scale"]
    assert shape == pytest.approx(expected, abs=max(coef_tol, 1e-5))
    assert res.log_likelihood == pytest.approx(ref["loglik"], abs=1e-4)


def test_cox_recovers_weibull_ph_truth():
    # Synthetic subscriptions: Weibull PH with known log-hazard ratios (no frailty): each
    # estimate within 4 standard errors of the truth.
    w = simulate_subscriptions(4000, random_state=7)
    c = w.customers
    d = pd.get_dummies(c[["plan", "acquisition_channel"]], drop_first=True, dtype=float)
    d["age"] = c["age"] - 45.0
    d["duration"] = c["duration"]
    d["event"] = c["churned"].astype(int)
    res = cox_ph(d, [k for k in w.truth["coefficients"]])
    for k, v in w.truth["coefficients"].items():
        assert abs(res.table.loc[k, "coef"] - v) < 4 * res.table.loc[k, "se"], k


def test_ph_test_and_outputs():
    res = cox_ph(LUNG, ["age", "sex"], **KW)
    ph = res.ph_test()
    assert ((ph.table["pvalue"] >= 0) & (ph.table["pvalue"] <= 1)).all()
    assert ph.pvalue == pytest.approx(min(1.0, 2 * ph.table["pvalue"].min()))
    json.dumps(ph.to_dict(), allow_nan=False)
    json.dumps(res.to_dict())
    json.dumps(aft(LUNG, ["age"], **KW).to_dict())
    assert repr(res).startswith("RegressionResult(model='cox'")


def test_bad_input():
    with pytest.raises(ValidationError, match="missing or infinite"):
        cox_ph(LUNG, ["age", "ph.karno"], **KW)
    with pytest.raises(ValidationError, match="not numeric"):
        cox_ph(LUNG.assign(g="a"), ["g"], **KW)
    with pytest.raises(ValidationError, match="zero or negative"):
        aft(LUNG.assign(time=LUNG["time"] - 5), ["age"], **KW)


def test_singular_fit_names_the_collinear_covariates():
    # fuzz finding 12: two covariates equal on every row -> scipy's LinAlgError escaped from
    # cox_time_varying; and a log without any event gave a KeyError inside lifelines
    from cjmodels.data import counting_process
    from cjmodels.errors import ConvergenceError

    df = pd.DataFrame({"customer_id": [0, 0, 0, 1, 0], "timestamp": [0, 0, 0, 0, 1],
                       "event": ["touch"] * 4 + ["conversion"], "channel": ["a"] * 4 + [None],
                       "score": [0, 0, 0, 1, 0], "size": [0.0, 0, 0, 1, 0]})
    cp = counting_process(df, covariates=["score", "size"])
    with pytest.raises(ConvergenceError, match=r"Covariates \['size'\] are linear combinations"):
        cox_time_varying(cp, ["score", "size"])
    none = df.assign(event=["touch"] * 5, channel=["a"] * 5)
    with pytest.raises(ValidationError, match="has no events"):
        cox_time_varying(counting_process(none, covariates=["score"]), ["score"])


def test_concordance_is_nan_when_no_pair_is_comparable():
    """Every event at one time and nobody at risk after it: Harrell's concordance is undefined
    (lifelines raises ZeroDivisionError; found by the fuzz suite through cause_specific_cox).
    The fit stands, its concordance is NaN, written as null in strict JSON."""
    from cjmodels.survival import cause_specific_cox

    t = pd.DataFrame({"duration": [1.0, 1.0], "event": [1, 1], "z": [0, 1]})
    r = cox_ph(t, ["z"])
    assert np.isnan(r.concordance)
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False))["concordance"] is None
    cs = cause_specific_cox(t.assign(cause=[1, 1]), ["z"])
    assert np.isnan(cs["1"].concordance)


@pytest.mark.parametrize("fit", ["cox_time_varying", "aft"])
def test_negative_penalizer_is_refused_like_cox_ph(fit):
    """cox_ph checks penalizer >= 0; the time-varying Cox model and AFT passed it to lifelines."""
    import cjmodels.survival as sv
    from cjmodels.errors import ValidationError

    df = pd.DataFrame({"id": [1, 2, 3, 4], "start": [0.0, 0.0, 0.0, 0.0],
                       "stop": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1],
                       "x": [0.1, 0.4, 0.2, 0.9]})
    with pytest.raises(ValidationError, match="penalizer"):
        if fit == "aft":
            sv.aft(df, ["x"], duration="stop", event="event", penalizer=-1.0)
        else:
            sv.cox_time_varying(df, ["x"], customer="id", start="start", stop="stop",
                                event="event", penalizer=-1.0)
