"""Time the msm manual's cav model in cjmodels and in R's msm, side by side.

Usage::

    python benchmarks/bench_multistate.py [--repeats 7] [--no-r] [--out FILE]

Both sides fit the 4-state model of the msm manual (``qmatrix = Q``, ``deathexact = 4``) to the
cav data (``datasets/cav/cav.csv``, exported from msm), with and without ``covariates = ~ sex``.
cjmodels: :func:`cjmodels.markov.multistate.fit_multistate` end to end (validation, BFGS with the
analytic gradient, numerical Hessian of the gradient). msm: ``msm(...)`` timed inside R with
``system.time`` (R's start-up and ``library(msm)`` not counted), its default BFGS with analytic
derivatives and the Hessian from ``optimHess``. Each timing is the median of ``--repeats`` runs;
a larger panel world (``simulate_panel``, 5000 customers, 6 states, 2 covariate effects) is timed
on the cjmodels side only. Results go to ``benchmarks/results/multistate.json`` with the command
and the machine.
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
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from cjmodels.markov.multistate import fit_multistate
from cjmodels.synthetic.panel import simulate_panel

ROOT = Path(__file__).resolve().parents[1]
CAV = ROOT / "datasets" / "cav" / "cav.csv"
Q = np.array([[0, 0.25, 0, 0.25], [0.166, 0, 0.166, 0.166], [0, 0.25, 0, 0.25], [0, 0, 0, 0]])

R_SCRIPT = r"""
suppressPackageStartupMessages(library(msm))
args <- commandArgs(trailingOnly = TRUE)
reps <- as.integer(args[1])
cav <- read.csv(args[2])
Q <- rbind(c(0, 0.25, 0, 0.25), c(0.166, 0, 0.166, 0.166), c(0, 0.25, 0, 0.25), c(0, 0, 0, 0))
t1 <- t2 <- numeric(reps)
for (i in seq_len(reps)) {
  t1[i] <- system.time(m1 <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q,
                                 deathexact = 4))[["elapsed"]]
  t2[i] <- system.time(m2 <- msm(state ~ years, subject = PTNUM, data = cav, qmatrix = Q,
                                 deathexact = 4, covariates = ~ sex))[["elapsed"]]
}
cat(sprintf('{"cav": %s, "cavsex": %s, "m2ll_cav": %.6f, "m2ll_cavsex": %.6f, "msm": "%s", "R": "%s"}\n',
            paste0("[", paste(t1, collapse = ","), "]"), paste0("[", paste(t2, collapse = ","), "]"),
            m1$minus2loglik, m2$minus2loglik, as.character(packageVersion("msm")),
            R.version.string))
"""


def _time(fn, repeats: int) -> tuple[float, list[float], object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--no-r", action="store_true", help="skip the R/msm side")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "multistate.json"))
    a = ap.parse_args(argv)
    cav = pd.read_csv(CAV)
    args = {"customer": "PTNUM", "timestamp": "years", "stage": "state", "deathexact": [4]}
    res: dict = {
        "command": "python benchmarks/bench_multistate.py " + " ".join(argv or sys.argv[1:]),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "date": time.strftime("%Y-%m-%d"),
        "repeats": a.repeats,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cavsex flags its unidentified 2-4 effect
        fit_multistate(cav, Q, **args)  # warm-up (imports)
        med1, t1, f1 = _time(lambda: fit_multistate(cav, Q, **args), a.repeats)
        med2, t2, f2 = _time(lambda: fit_multistate(cav, Q, covariates=["sex"], **args),
                             a.repeats)
        world = simulate_panel(5000, random_state=1)
        log = world.event_log()
        med3, t3, f3 = _time(lambda: fit_multistate(log, center=False, **world.fit_options()),
                             max(3, a.repeats // 2))
    res["cjmodels"] = {
        "cav_seconds_median": med1, "cav_seconds": t1,
        "cav_minus2loglik": -2 * f1.log_likelihood,
        "cavsex_seconds_median": med2, "cavsex_seconds": t2,
        "cavsex_minus2loglik": -2 * f2.log_likelihood,
        "panel_world_5000_seconds_median": med3, "panel_world_5000_seconds": t3,
        "panel_world_5000": {"observations": f3.panel.n_observations,
                             "intervals": f3.panel.n_intervals, "parameters": f3.n_params},
    }
    if not a.no_r:
        with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
            fh.write(R_SCRIPT)
        out = subprocess.run(["Rscript", fh.name, str(a.repeats), str(CAV)], capture_output=True,
                             text=True, check=True)
        os.unlink(fh.name)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        res["msm"] = {
            "version": r["msm"], "R": r["R"],
            "cav_seconds_median": float(np.median(r["cav"])), "cav_seconds": r["cav"],
            "cav_minus2loglik": r["m2ll_cav"],
            "cavsex_seconds_median": float(np.median(r["cavsex"])), "cavsex_seconds": r["cavsex"],
            "cavsex_minus2loglik": r["m2ll_cavsex"],
        }
        res["speedup_cav"] = res["msm"]["cav_seconds_median"] / med1
        res["speedup_cavsex"] = res["msm"]["cavsex_seconds_median"] / med2
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "machine"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
