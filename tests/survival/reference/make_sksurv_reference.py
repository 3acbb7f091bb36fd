"""Reference values of the survival-prediction metrics from scikit-survival.

Run from this folder with an interpreter that has scikit-survival (a scratch venv, not a
dependency of cjmodels)::

    python -m venv /tmp/sksurv_venv && /tmp/sksurv_venv/bin/pip install scikit-survival
    /tmp/sksurv_venv/bin/python make_sksurv_reference.py

Writes metrics_input.csv (train and test customers: duration rounded to 0.5 days so that event
and censoring times tie, event flag, covariate x; and the predicted survival of each test
customer at 6 times from a Weibull proportional-hazards formula) and sksurv_reference.json.
"""

import json

import numpy as np
import pandas as pd
import sklearn
import sksurv
from sksurv.metrics import brier_score, concordance_index_ipcw, integrated_brier_score
from sksurv.util import Surv

rng = np.random.default_rng(42)
n = 500
x = rng.standard_normal(n)
t = 10 * (rng.exponential(1, n) / np.exp(0.6 * x)) ** (1 / 1.3)
c = rng.uniform(3, 30, n)
dur = np.round(np.minimum(t, c) * 2) / 2 + 0.5
event = (t <= c).astype(int)
split = np.where(np.arange(n) < 300, "train", "test")
times = np.array([2.0, 4.0, 6.5, 9.0, 12.0, 16.0])
# predicted survival of a slightly wrong model (shape 1.1, coefficient 0.5)
surv = np.exp(-((times[None, :] / 10) ** 1.1) * np.exp(0.5 * x)[:, None])
df = pd.DataFrame({"set": split, "duration": dur, "event": event, "x": x})
for j, tt in enumerate(times):
    df[f"s_{tt:g}"] = surv[:, j]
df.to_csv("metrics_input.csv", index=False, float_format="%.12g")
df = pd.read_csv("metrics_input.csv")  # use exactly the written values
tr, te = df[df["set"] == "train"], df[df["set"] == "test"]
y_tr = Surv.from_arrays(tr["event"].astype(bool), tr["duration"])
y_te = Surv.from_arrays(te["event"].astype(bool), te["duration"])
est = te[[f"s_{tt:g}" for tt in times]].to_numpy()
_, bs = brier_score(y_tr, y_te, est, times)
ibs = integrated_brier_score(y_tr, y_te, est, times)
risk = te["x"].to_numpy()
uno = concordance_index_ipcw(y_tr, y_te, risk)
uno_tau = concordance_index_ipcw(y_tr, y_te, risk, tau=12.0)
out = {
    "sksurv": sksurv.__version__, "sklearn": sklearn.__version__,
    "calls": "brier_score(y_train, y_test, est, times); integrated_brier_score(...); "
             "concordance_index_ipcw(y_train, y_test, x[, tau=12.0])",
    "times": times.tolist(), "brier": bs.tolist(), "ibs": float(ibs),
    "uno": [float(v) for v in uno], "uno_tau12": [float(v) for v in uno_tau],
}
with open("sksurv_reference.json", "w") as fh:
    json.dump(out, fh, indent=2)
print(out)
