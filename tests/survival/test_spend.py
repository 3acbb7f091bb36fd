"""Gamma-gamma spend and CLV against the published CDNOW fit and lifetimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.errors import ValidationError
from cjmodels.survival import BetaGeoModel, GammaGammaModel, customer_lifetime_value
from cjmodels.synthetic import simulate_transactions

FIXED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
FIXED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_gamma_gamma_reproduces_fader_hardie_lee_2005(cdnow_spend):
    # Fader, Hardie & Lee (2005), "RFM and CLV", J. Marketing Research 42(4), and Fader &
    # Hardie (2013) gamma-gamma note: p = 6.25, q = 3.74, gamma = 15.44 on the 946 CDNOW
    # customers with repeat purchases; abs tolerance 0.01 (published to 2 decimals).
    m = GammaGammaModel().fit(cdnow_spend, frequency="x", monetary_value="zbar")
    for k, v in FIXED_GG.items():
        assert m.result_.params[k] == pytest.approx(v, abs=0.011)
    assert m.result_.n_customers == 946
    assert m.result_.n_excluded == 2357 - 946


def test_gamma_gamma_matches_lifetimes(lifetimes_ref, synthetic_rfm):
    # lifetimes 0.11.3 GammaGammaFitter (make_lifetimes_reference.py): the fit on the synthetic
    # RFM table (rtol 1e-3) and conditional_expected_average_profit at fixed params (rtol 1e-10).
    ref = lifetimes_ref["gamma_gamma"]
    m = GammaGammaModel().fit(synthetic_rfm)
    assert m.result_.params["p"] == pytest.approx(ref["fit_params"]["p"], rel=1e-3)
    assert m.result_.params["q"] == pytest.approx(ref["fit_params"]["q"], rel=1e-3)
    assert m.result_.params["gamma"] == pytest.approx(ref["fit_params"]["v"], rel=1e-3)
    sub = synthetic_rfm.iloc[: lifetimes_ref["n_predicted"]]
    f = GammaGammaModel.from_params(FIXED_GG)
    np.testing.assert_allclose(
        f.conditional_expected_spend(sub["frequency"], sub["monetary_value"]),
        ref["conditional_expected_spend"],
        rtol=1e-10,
    )


def test_clv_matches_lifetimes(lifetimes_ref, synthetic_rfm):
    # lifetimes 0.11.3 GammaGammaFitter.customer_lifetime_value(BetaGeoFitter, ..., time=12,
    # discount_rate=0.01, freq="W") at fixed params; rtol 1e-8.
    sub = synthetic_rfm.iloc[: lifetimes_ref["n_predicted"]]
    clv = customer_lifetime_value(
        sub, BetaGeoModel.from_params(FIXED_BG), GammaGammaModel.from_params(FIXED_GG),
        horizon=12, period=4.345, discount_rate=0.01,
    )
    np.testing.assert_allclose(clv["clv"], lifetimes_ref["clv_bgnbd_12_months"], rtol=1e-8)


def test_recovers_synthetic_spend():
    w = simulate_transactions(20_000, random_state=4)
    m = GammaGammaModel().fit(w.customers)
    for k in ("p", "q", "gamma"):
        assert abs(m.result_.params[k] - w.truth["spend"][k]) < 4 * m.result_.se[k]
    assert m.expected_spend() == pytest.approx(w.truth["expected_spend"], rel=0.05)


def test_bad_spend():
    df = pd.DataFrame({"frequency": [1, 2, 0], "monetary_value": [10.0, 0.0, 0.0]})
    with pytest.raises(ValidationError, match="monetary_value <= 0"):
        GammaGammaModel().fit(df)
    with pytest.raises(ValidationError, match="no customer has a repeat"):
        GammaGammaModel().fit(pd.DataFrame({"frequency": [0], "monetary_value": [0.0]}))


def test_fit_from_event_log_equals_fit_on_its_rfm_table():
    from cjmodels.data import rfm_summary

    log = simulate_transactions(600, random_state=5).event_log()
    a = GammaGammaModel().fit(log, unit="W", period="D")
    b = GammaGammaModel().fit(rfm_summary(log, unit="W", period="D"))
    assert a.result_ == b.result_
    assert a.result_.n_excluded > 0
    with pytest.raises(ValidationError, match="only when data is an EventLog"):
        GammaGammaModel().fit(rfm_summary(log, unit="W", period="D"), unit="W")
