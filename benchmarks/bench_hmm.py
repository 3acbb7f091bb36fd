"""Time Baum-Welch for the hidden Markov model of latent stages, next to hmmlearn.

Usage::

    python benchmarks/bench_hmm.py --customers 50000 [--hmmlearn PYTHON] [--out FILE]

A latent-stage world (:func:`cjmodels.synthetic.latent.simulate_latent_journeys`, 3 stages, 6
channels, one journey per customer) is simulated. Both libraries fit the same 3-state categorical
HMM to the channel sequences from the same start values for a fixed number of EM iterations
(``tol`` disabled), so the work is identical; we record the wall time, the time per iteration and
the final log-likelihoods (which agree to ~1e-8 relative). hmmlearn runs in the Python given by
``--hmmlearn`` (a scratch environment: ``pip install hmmlearn``), never as a cjmodels dependency;
it gets the same flat array and lengths through a temporary ``.npz`` file. Also timed: the
default cjmodels fit (end states, 5 restarts, run to convergence), Viterbi decoding and posteriors
of all touches.
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

from cjmodels.data import journey_set
from cjmodels.markov.hmm import HiddenMarkovModel, HMMConvergenceWarning
from cjmodels.synthetic.latent import simulate_latent_journeys

HMMLEARN = r"""
import json, sys, time
import numpy as np
import hmmlearn
from hmmlearn.hmm import CategoricalHMM
d = np.load(sys.argv[1])
n_iter = int(sys.argv[2])
X = d["obs"].reshape(-1, 1)
lengths = d["lengths"]
m = CategoricalHMM(n_components=d["startprob"].shape[0], n_features=d["emissionprob"].shape[1],
                   n_iter=n_iter, tol=-np.inf, init_params="", params="ste",
                   implementation=sys.argv[3])
m.startprob_ = d["startprob"].copy()
m.transmat_ = d["transmat"].copy()
m.emissionprob_ = d["emissionprob"].copy()
t0 = time.perf_counter()
m.fit(X, lengths)
t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "version": hmmlearn.__version__,
                  "loglik": float(m.score(X, lengths))}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=50_000)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--implementations", default="scaling,log",
                    help="hmmlearn implementations to time (comma-separated)")
    ap.add_argument("--hmmlearn", default=None, help="Python of a scratch env with hmmlearn")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    world = simulate_latent_journeys(args.customers, random_state=2026)
    sim_s = time.perf_counter() - t0
    log = world.event_log()
    js = journey_set(log)
    keep = js.lengths > 0
    lengths = js.lengths[keep]
    obs = js.symbols  # codes into js.labels (sorted channel names), journeys concatenated
    k, m = 3, len(js.labels)
    rng = np.random.default_rng(1)
    start = {
        "startprob": rng.dirichlet(np.ones(k)),
        "transmat": rng.dirichlet(np.ones(k), k),
        "emissionprob": rng.dirichlet(np.ones(m), k),
    }
    result: dict = {
        "command": "python " + " ".join(sys.argv),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "load_average_at_start": list(os.getloadavg()),
        },
        "date": time.strftime("%Y-%m-%d"),
        "customers": args.customers,
        "sequences": int(len(lengths)),
        "touches": int(lengths.sum()),
        "max_length": int(lengths.max()),
        "em_iterations": args.iterations,
        "simulate_seconds": sim_s,
    }

    # the same fixed work as hmmlearn: plain 3-state HMM, same start, fixed iterations
    model = HiddenMarkovModel(k, n_init=1, max_iter=args.iterations, tol=0.0, init=start,
                              order="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HMMConvergenceWarning)
        t0 = time.perf_counter()
        model.fit(obs, lengths, symbols=range(m))
        fit_s = time.perf_counter() - t0
    result["cjmodels"] = {
        "fixed_iterations_seconds": fit_s,
        "seconds_per_iteration": fit_s / args.iterations,
        "loglik": model.result_.log_likelihood,
    }
    t0 = time.perf_counter()
    model.predict(obs, lengths)
    result["cjmodels"]["viterbi_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.predict_proba(obs, lengths)
    result["cjmodels"]["posteriors_seconds"] = time.perf_counter() - t0

    # the default analysis: end states from the outcomes, 5 seeded restarts, to convergence
    t0 = time.perf_counter()
    full = HiddenMarkovModel(3, end_states=True, n_init=5, random_state=0).fit(log)
    result["cjmodels"]["default_fit_end_states_5_restarts_seconds"] = time.perf_counter() - t0
    result["cjmodels"]["default_fit_iterations"] = full.result_.restarts["n_iter"].tolist()

    if args.hmmlearn:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.npz"
            np.savez(path, obs=obs, lengths=lengths, **start)
            for impl in args.implementations.split(","):
                out = subprocess.run(
                    [args.hmmlearn, "-c", HMMLEARN, str(path), str(args.iterations), impl],
                    capture_output=True, text=True, check=True,
                )
                res = json.loads(out.stdout.strip().splitlines()[-1])
                result.setdefault("hmmlearn", {"version": res["version"]})
                result["hmmlearn"][f"{impl}_seconds"] = res["seconds"]
                result["hmmlearn"][f"{impl}_seconds_per_iteration"] = (
                    res["seconds"] / args.iterations)
                result["hmmlearn"][f"{impl}_loglik"] = res["loglik"]
        for impl in args.implementations.split(","):
            result[f"loglik_relative_difference_{impl}"] = abs(
                result["hmmlearn"][f"{impl}_loglik"] - model.result_.log_likelihood
            ) / abs(model.result_.log_likelihood)
            result[f"speedup_vs_hmmlearn_{impl}"] = result["hmmlearn"][f"{impl}_seconds"] / fit_s
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    text = json.dumps(result, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
