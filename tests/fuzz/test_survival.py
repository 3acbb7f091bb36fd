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
from tests.fuzz.harness import call, count, fuzz, refused, strict_json
from tests.fuzz.strategies import event_logs


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
        strict_json(fit.result_ if not refused(fit) else fit)
    if "monetary_value" in rfm.columns:
        strict_json(call(sv.GammaGammaModel(maxiter=50).fit, rfm))
    subs = call(cd.subscription_lifetimes, log.frame)
    if not refused(subs) and len(subs):
        strict_json(call(sv.kaplan_meier, subs))
