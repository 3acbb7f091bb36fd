"""Time the customer-base models and the survival wrappers on large synthetic data.

Usage::

    python benchmarks/bench_survival.py --customers 1_000_000 [--repeat 3] [--out FILE]
        [--lifetimes-python /tmp/ltvenv/bin/python] [--part {customer_base,discrete,all}]

A BG/NBD world of ``--customers`` customers (CDNOW parameters, 78 weeks) is simulated; we time
the BG/NBD, MBG/NBD and Pareto/NBD fits from its RFM table (weeks) and a Kaplan-Meier curve of
time to first purchase. With ``--lifetimes-python`` (an interpreter with lifetimes 0.11.3
installed, see tests/survival/reference/make_lifetimes_reference.py) the same BG/NBD fit is
timed in lifetimes for comparison. Results are printed as JSON (and written to ``--out``)
with the machine they ran on. ``--models bgnbd,mbgnbd`` skips the slow Pareto/NBD fit. On this
shared 2-core machine OpenBLAS threads contend with other jobs: run with
``OPENBLAS_NUM_THREADS=1`` (recorded in the output) for stable timings.

``--part discrete`` times the scale path instead: ``--customers`` customers with a four-level
first channel and a binary segment, Weibull proportional-hazards times to purchase in days
(continuous, so about one distinct time per customer), censored at 90 days. We time the
aggregation to daily person-period counts plus the cloglog GLM (``discrete_time_survival(...,
width=1.0)``) and, once, lifelines' Cox fit (``cox_ph``) on the same data, and record both sets
of hazard ratios with the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from cjmodels.survival import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    cox_ph,
    discrete_time_survival,
    kaplan_meier,
)
from cjmodels.synthetic import simulate_transactions

LIFETIMES_SNIPPET = """
import sys, time, pandas as pd
from lifetimes import BetaGeoFitter
d = pd.read_parquet(sys.argv[1]) if sys.argv[1].endswith('.parquet') else pd.read_csv(sys.argv[1])
t = time.perf_counter()
f = BetaGeoFitter().fit(d['frequency'], d['recency'], d['T'])
print(time.perf_counter() - t)
print(dict(f.params_))
"""


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


DISCRETE_TRUTH = {"channel_email": 0.3, "channel_search": 0.5, "channel_social": -0.2,
                  "segment": 0.4}


def discrete_part(n: int, repeat: int, with_cox: bool = True) -> dict:
    """Aggregated discrete-time fit versus lifelines Cox on ``n`` customers."""
    rng = np.random.default_rng(2)
    ch = rng.choice(["display", "email", "search", "social"], n, p=[0.25, 0.25, 0.3, 0.2])
    d = pd.get_dummies(pd.Series(ch, name="channel"), prefix="channel", drop_first=True,
                       dtype=float)
    d["segment"] = rng.integers(0, 2, n).astype(float)
    lp = d[list(DISCRETE_TRUTH)].to_numpy() @ np.array(list(DISCRETE_TRUTH.values()))
    t = 40.0 * (rng.exponential(1.0, n) / np.exp(lp)) ** (1 / 1.3)
    d["duration"] = np.minimum(t, 90.0)
    d["event"] = (t <= 90.0).astype(int)
    covs = list(DISCRETE_TRUTH)
    out: dict = {"customers": n, "distinct_times": int(d["duration"].nunique()),
                 "truth": DISCRETE_TRUTH, "seconds": {}}
    sec, res = best_of(lambda: discrete_time_survival(d, covs, width=1.0), repeat)
    out["seconds"]["discrete_time_cloglog_daily"] = round(sec, 3)
    out["aggregated_rows"] = res.n_rows
    out["discrete_time_coef"] = {k: round(float(v), 4) for k, v in res.table["coef"].items()}
    if with_cox:
        sec, cox = best_of(lambda: cox_ph(d, covs), 1)
        out["seconds"]["lifelines_cox_efron"] = round(sec, 3)
        out["cox_coef"] = {k: round(float(v), 4) for k, v in cox.table["coef"].items()}
        out["cox_se"] = {k: round(float(v), 4) for k, v in cox.table["se"].items()}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--lifetimes-python", default=None)
    ap.add_argument("--part", choices=("customer_base", "discrete", "all"),
                    default="customer_base")
    ap.add_argument("--models", default="bgnbd,mbgnbd,paretonbd",
                    help="customer-base models to time (comma-separated)")
    a = ap.parse_args()
    machine = {"platform": platform.platform(), "python": platform.python_version(),
               "cpus": os.cpu_count(), "numpy": np.__version__, "pandas": pd.__version__,
               "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")}
    if a.part == "discrete":
        res = {"command": " ".join([os.path.basename(sys.executable), *sys.argv]),
               "machine": machine, **discrete_part(a.customers, a.repeat)}
        text = json.dumps(res, indent=2)
        print(text)
        if a.out:
            with open(a.out, "w") as fh:
                fh.write(text + "\n")
        return 0
    w = simulate_transactions(a.customers, random_state=1)
    rfm = w.customers[["frequency", "recency", "T"]]
    res: dict = {
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": machine,
        "customers": a.customers,
        "seconds": {},
    }
    wanted = {m.strip() for m in a.models.split(",")}
    for name, cls in (("bgnbd_fit", BetaGeoModel), ("mbgnbd_fit", ModifiedBetaGeoModel),
                      ("paretonbd_fit", ParetoNBDModel)):
        if name.removesuffix("_fit") not in wanted:
            continue
        sec, m = best_of(lambda cls=cls: cls().fit(rfm), 1 if name == "paretonbd_fit" else a.repeat)
        res["seconds"][name] = round(sec, 3)
        res[name.replace("_fit", "_params")] = {
            k: round(float(v), 4) for k, v in m.result_.params.items()}
    km_data = pd.DataFrame({"duration": w.customers["lifetime"].clip(upper=78.0),
                            "event": (w.customers["lifetime"] <= 78.0).astype(int)})
    sec, _ = best_of(lambda: kaplan_meier(km_data), a.repeat)
    res["seconds"]["kaplan_meier"] = round(sec, 3)
    if a.lifetimes_python:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rfm.csv")
            rfm.to_csv(path, index=False)
            out = subprocess.run([a.lifetimes_python, "-c", LIFETIMES_SNIPPET, path],
                                 capture_output=True, text=True, check=True).stdout.split("\n")
        res["seconds"]["lifetimes_bgnbd_fit"] = round(float(out[0]), 3)
        res["lifetimes_bgnbd_params"] = out[1]
    if a.part == "all":
        res["discrete"] = discrete_part(a.customers, a.repeat)
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
