"""Time the customer-base models and the survival wrappers on large synthetic data.

Usage::

    python benchmarks/bench_survival.py --customers 1_000_000 [--repeat 3] [--out FILE]
        [--lifetimes-python /tmp/ltvenv/bin/python]

A BG/NBD world of ``--customers`` customers (CDNOW parameters, 78 weeks) is simulated; we time
the BG/NBD, MBG/NBD and Pareto/NBD fits from its RFM table (weeks) and a Kaplan-Meier curve of
time to first purchase. With ``--lifetimes-python`` (an interpreter with lifetimes 0.11.3
installed, see tests/survival/reference/make_lifetimes_reference.py) the same BG/NBD fit is
timed in lifetimes for comparison. Results are printed as JSON (and written to ``--out``)
with the machine they ran on.
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

from cjmodels.survival import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, kaplan_meier
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=None)
    ap.add_argument("--lifetimes-python", default=None)
    a = ap.parse_args()
    w = simulate_transactions(a.customers, random_state=1)
    rfm = w.customers[["frequency", "recency", "T"]]
    res: dict = {
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "numpy": np.__version__, "pandas": pd.__version__},
        "customers": a.customers,
        "seconds": {},
    }
    for name, cls in (("bgnbd_fit", BetaGeoModel), ("mbgnbd_fit", ModifiedBetaGeoModel),
                      ("paretonbd_fit", ParetoNBDModel)):
        sec, m = best_of(lambda cls=cls: cls().fit(rfm), 1 if name == "paretonbd_fit" else a.repeat)
        res["seconds"][name] = round(sec, 3)
        res[name.replace("_fit", "_params")] = {k: round(float(v), 4) for k, v in m.params_.items()}
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
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
