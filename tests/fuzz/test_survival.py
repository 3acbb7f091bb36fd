"""Fuzz :mod:`cjmodels.survival` on tables built from adversarial event logs: curves, tests,
regressions and customer-base models.

Invariants: only our exceptions; survival curves never rise and stay in [0, 1]; p-values lie
in [0, 1]; strict JSON.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from cjmodels import survival as sv
from tests.fuzz.harness import call, count, fuzz, refused, strict_json, surface
from tests.fuzz.strategies import event_logs, survival_tables


def check_curve(curve, what: str) -> None:
    strict_json(curve)
    t = curve.table
    col = next((c for c in ("survival", "estimate") if c in t.columns), None)
    if curve.kind == "kaplan-meier" and col is not None:
        s = t[col].to_numpy(dtype=float)
        assert np.all((s >= -1e-12) & (s <= 1 + 1e-12)), f"{what}: survival outside [0, 1]"
        assert np.all(np.diff(s) <= 1e-12), f"{what}: survival rises"


@given(log=event_logs(), origin=st.sampled_from(["first-touch", "first-event"]))
@fuzz(1)
def test_curves_and_tests(log, origin):
    count()
    t = call(cd.time_to_first_purchase, log.frame, origin=origin)
    if refused(t):
        return
    km = call(sv.kaplan_meier, t)
    if not refused(km):
        check_curve(km, "kaplan_meier")
        strict_json(km.median)
        tau = float(t["duration"].max())
        if tau > 0:
            strict_json(call(km.rmst, tau))
    strict_json(call(sv.nelson_aalen, t))
    if "first_channel" in t.columns:
        cs = call(sv.kaplan_meier_by, t, "first_channel")
        strict_json(cs)
        lr = call(sv.logrank_test, t, "first_channel")
        if not refused(lr):
            strict_json(lr)
            assert np.isnan(lr.pvalue) or 0 <= lr.pvalue <= 1, f"log-rank p-value {lr.pvalue}"
    call(sv.person_period_table, t, width=1.0)
    if "censor_reason" in t.columns:
        cause = [("purchase" if e == 1 else "drop_out" if r == "drop_out" else 0)
                 for e, r in zip(t["event"], t["censor_reason"], strict=True)]
        ci = call(sv.cumulative_incidence, t.assign(cause=pd.Series(cause, index=t.index,
                                                                    dtype=object)))
        strict_json(ci)


@given(log=event_logs(), data=st.data())
@fuzz(0.5)
def test_regressions(log, data):
    count()
    covs = [c for c in ("score", "size") if c in log.frame.columns]
    t = call(cd.time_to_first_purchase, log.frame, covariates=covs)
    if refused(t) or not covs:
        return
    for fn in (sv.cox_ph, sv.aft, sv.discrete_time_survival):
        strict_json(call(fn, t, covs))
    cp = call(cd.counting_process, log.frame, covariates=covs)
    if not refused(cp):
        strict_json(call(sv.cox_time_varying, cp, covs))


@given(log=event_logs())
@fuzz(0.5)
def test_customer_base_models(log):
    count()
    rfm = call(cd.rfm_summary, log.frame)
    if refused(rfm):
        return
    for model in (sv.BetaGeoModel(maxiter=50), sv.ParetoNBDModel(maxiter=50),
                  sv.ModifiedBetaGeoModel(maxiter=50)):
        fit = call(model.fit, rfm)
        if not refused(fit):
            assert fit is model, "fit did not return the estimator"
            surface(fit.result_, plot=False)
            strict_json(fit)
        # a parameter set to a bad value is refused at the next fit, in our words
        bad = call(model.set_params, maxiter=-1, penalizer=np.nan)
        if not refused(bad):
            assert bad is model
            call(model.fit, rfm)
        assert refused(call(model.set_params, no_such_parameter=1))
    if "monetary_value" in rfm.columns:
        strict_json(call(sv.GammaGammaModel(maxiter=50).fit, rfm))
    subs = call(cd.subscription_lifetimes, log.frame)
    if not refused(subs) and len(subs):
        strict_json(call(sv.kaplan_meier, subs))


QS = st.sampled_from([0.5, 0.25, 0.9, 0.0, 1.0, -0.1, np.nan, 1, "0.5", None])


@given(t=survival_tables(), weighting=st.sampled_from(sv.WEIGHTINGS + ("gehan", "", None)),
       p=st.sampled_from([1.0, 0.0, 2.5, -1.0, np.nan]), q=st.sampled_from([0.0, 1.0, -1.0]),
       quantile=QS, tau=st.sampled_from([None, 0.0, -1.0, np.inf, np.nan, "max", "half"]))
@fuzz(2)
def test_weighted_logrank_quantiles_and_rmst(t, weighting, p, q, quantile, tau):
    """logrank_test(weighting=...), a curve's quantile/median/rmst: p-values in [0, 1], a
    quantile's time >= 0, the restricted mean in [0, tau]."""
    count()
    km = call(sv.kaplan_meier, t)
    if not refused(km):
        surface(km)
        qq = call(km.quantile, quantile)
        if not refused(qq):
            surface(qq)
            assert np.isnan(qq.time) or qq.time >= 0, f"quantile time {qq.time}"
        surface(call(lambda: km.median))
        dmax = float(t["duration"].max()) if len(t) else 0.0
        tau_v = {"max": dmax, "half": dmax / 2}.get(tau, tau) if isinstance(tau, str) else tau
        rm = call(km.rmst, tau_v)
        if not refused(rm):
            surface(rm)
            assert -1e-9 <= rm.rmst <= float(tau_v) * (1 + 1e-12), f"RMST {rm.rmst} > {tau_v}"
    na = call(sv.nelson_aalen, t)
    if not refused(na):
        surface(na)
        assert refused(call(na.quantile, 0.5)), "a Nelson-Aalen curve gave a quantile"
    for group in ("group", "z", "nope"):
        lr = call(sv.logrank_test, t, group, weighting=weighting, p=p, q=q)
        if not refused(lr):
            surface(lr)
            assert np.isnan(lr.pvalue) or 0 <= lr.pvalue <= 1, f"log-rank p-value {lr.pvalue}"


@given(t=survival_tables(), n_test=st.integers(0, 12),
       tau=st.sampled_from([None, 1.0, 0.0, -1.0, np.nan]),
       risk=st.sampled_from(["x", "random", "constant", "nan", "short"]), data=st.data())
@fuzz(2)
def test_concordance_index_ipcw(t, n_test, tau, risk, data):
    """Uno's concordance: in [0, 1] when defined; pairs counted are >= 0."""
    count()
    test = t.iloc[:n_test]
    r = {"x": lambda: test["x"].to_numpy(),
         "random": lambda: np.array(data.draw(st.lists(st.floats(-5, 5), min_size=len(test),
                                                      max_size=len(test)))),
         "constant": lambda: np.ones(len(test)),
         "nan": lambda: np.full(len(test), np.nan),
         "short": lambda: np.ones(max(len(test) - 1, 0))}[risk]()
    c = call(sv.concordance_index_ipcw, t, test, r, tau=tau)
    if refused(c):
        return
    surface(c)
    assert np.isnan(c.cindex) or 0 <= c.cindex <= 1, f"c-index {c.cindex}"
    assert min(c.concordant, c.discordant, c.tied_risk, c.tied_time) >= 0


@given(t=survival_tables(), covs=st.sampled_from([["x"], ["z"], ["x", "z"], [], ["nope"]]),
       censor_code=st.sampled_from([0, "0", None]))
@fuzz(0.5)
def test_cause_specific_cox(t, covs, censor_code):
    """One Cox model per cause: a result for causes present in the data only, or a refusal."""
    count()
    r = call(sv.cause_specific_cox, t, covs, censor_code=censor_code)
    if refused(r):
        return
    surface(r, plot=False)
    causes = {str(c) for c in t["cause"] if not (c is None or c == censor_code)}
    assert set(r.causes) <= causes, f"causes {r.causes}, in the data {causes}"
