"""Reference values from the ``lifetimes`` package (a test oracle only, never a dependency).

Run in a scratch environment (lifetimes 0.11.3 needs old numpy/pandas/scipy)::

    python3 -m venv /tmp/ltvenv
    /tmp/ltvenv/bin/pip install "numpy<2" "pandas<2.1" "scipy<1.12" autograd dill lifetimes==0.11.3
    /tmp/ltvenv/bin/python tests/survival/reference/make_lifetimes_reference.py

Inputs: ``transactions_rfm.csv`` (the RFM table of the shipped synthetic ``transactions`` dataset,
``rfm_summary(log, unit="W", period="D")``, in weeks) and a grid of BG/BB histories. Output:
``lifetimes_reference.json``: lifetimes' fitted parameters and log-likelihoods, and its
predictions at *fixed* parameters (so that formulas are compared exactly, independently of the
optimiser) for the first 200 customers.
"""

from __future__ import annotations

import json
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
from lifetimes import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

HERE = Path(__file__).parent
rfm = pd.read_csv(HERE / "transactions_rfm.csv")
sub = rfm.iloc[:200]
x, tx, T = sub["frequency"], sub["recency"], sub["T"]
out: dict = {"lifetimes_version": lifetimes.__version__, "n_predicted": len(sub)}

FIXED = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    "mbgnbd": {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6},
    "paretonbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
    "bgbb": {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783},
}
out["fixed_params"] = FIXED


def with_params(fitter, names, params):
    fitter.params_ = pd.Series({n: params[n] for n in names})
    return fitter


for key, cls, names in (
    ("bgnbd", BetaGeoFitter, ["r", "alpha", "a", "b"]),
    ("mbgnbd", ModifiedBetaGeoFitter, ["r", "alpha", "a", "b"]),
    ("paretonbd", ParetoNBDFitter, ["r", "alpha", "s", "beta"]),
):
    f = cls().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    res = {"fit_params": {n: float(f.params_[n]) for n in names}}
    g = with_params(cls(), names, FIXED[key])
    res["prob_alive"] = np.asarray(g.conditional_probability_alive(x, tx, T)).tolist()
    for t in (10.0, 39.0):
        res[f"conditional_expected_{int(t)}"] = np.asarray(
            g.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T)
        ).tolist()
    res["expected_t"] = [1.0, 10.0, 39.0, 78.0]
    res["expected"] = [float(g.expected_number_of_purchases_up_to_time(t)) for t in res["expected_t"]]
    out[key] = res

# lifetimes' own fits on the CDNOW summary it ships (numbers only; the data are not copied)
from lifetimes.datasets import load_cdnow_summary  # noqa: E402

cd = load_cdnow_summary(index_col=[0])
out["cdnow_fits"] = {
    key: {n: float(v) for n, v in cls().fit(cd["frequency"], cd["recency"], cd["T"]).params_.items()}
    for key, cls in (("bgnbd", BetaGeoFitter), ("paretonbd", ParetoNBDFitter),
                     ("mbgnbd", ModifiedBetaGeoFitter))
}

rep = rfm[rfm["frequency"] > 0]
gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
out["gamma_gamma"] = {
    "fit_params": {n: float(gg.params_[n]) for n in ("p", "q", "v")},
}
ggf = GammaGammaFitter()
ggf.params_ = pd.Series({"p": 6.25, "q": 3.74, "v": 15.44})
out["gamma_gamma"]["conditional_expected_spend"] = np.asarray(
    ggf.conditional_expected_average_profit(sub["frequency"], sub["monetary_value"])
).tolist()
bgf = with_params(BetaGeoFitter(), ["r", "alpha", "a", "b"], FIXED["bgnbd"])
bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
clv = ggf.customer_lifetime_value(
    bgf, x, tx, T, sub["monetary_value"], time=12, discount_rate=0.01, freq="W"
)
out["clv_bgnbd_12_months"] = np.asarray(clv).tolist()

# BG/BB on every possible history with n = 6 opportunities, at fixed parameters
grid = [(0, 0)] + [(xx, tt) for tt in range(1, 7) for xx in range(1, tt + 1)]
gx = pd.Series([g[0] for g in grid])
gt = pd.Series([g[1] for g in grid])
gn = pd.Series([6] * len(grid))
bb = BetaGeoBetaBinomFitter()
bb.params_ = pd.Series(FIXED["bgbb"])
out["bgbb"] = {
    "frequency": gx.tolist(),
    "recency": gt.tolist(),
    "n_periods": 6,
    "log_likelihood": np.asarray(
        BetaGeoBetaBinomFitter._loglikelihood(
            [FIXED["bgbb"][k] for k in ("alpha", "beta", "gamma", "delta")], gx, gt, gn
        )
    ).tolist(),
    "prob_alive_next": np.asarray(bb.conditional_probability_alive(1, gx, gt, gn)).tolist(),
    "conditional_expected_5": np.asarray(
        bb.conditional_expected_number_of_purchases_up_to_time(5, gx, gt, gn)
    ).tolist(),
}

(HERE / "lifetimes_reference.json").write_text(json.dumps(out, indent=1) + "\n")
print("wrote", HERE / "lifetimes_reference.json")
