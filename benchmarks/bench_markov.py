"""Time fitting a first-order stage chain with intervals from a large log, next to PyDTMC.

Usage::

    python benchmarks/bench_markov.py --events 10_000_000 [--pydtmc PYTHON] [--out FILE]

A stage log of about ``--events`` events is simulated from a known journey chain (four stages,
explicit conversion and drop_out events, numeric timestamps). We time building the validated
:class:`EventLog`, fitting the chain (journeys and pooled counts), Wilson and Jeffreys
intervals for every transition, the delta-method absorbing analysis and funnel, and a bootstrap
over customers; peak traced memory (``tracemalloc``) of the fit with intervals is measured in a
separate pass at three sizes to show it grows linearly with the events. For comparison, the same
journeys as one concatenated state sequence are counted with plain numpy and fitted with
PyDTMC's ``MarkovChain.fit_sequence("mle", ...)`` (run with ``--pydtmc``, the Python of a
scratch environment that has pydtmc; PyDTMC fits one sequence, so the concatenation also
invents a transition from each journey's end to the next one's start).
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
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from cjmodels.data import EventLog
from cjmodels.markov import MarkovChain, fit_chain

STATES = ("(start)", "awareness", "interest", "consideration", "decision", "(conversion)",
          "(null)")
P = np.array([
    [0, 0.75, 0.2, 0.05, 0, 0, 0],
    [0, 0.4, 0.3, 0.05, 0, 0, 0.25],
    [0, 0.05, 0.4, 0.3, 0.05, 0, 0.2],
    [0, 0, 0.05, 0.4, 0.35, 0, 0.2],
    [0, 0, 0, 0.08, 0.42, 0.15, 0.35],
    [0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 1],
])

PYDTMC = r"""
import json, sys, time
import numpy as np
import pydtmc
from pydtmc import MarkovChain
codes = np.load(sys.argv[1])
states = json.loads(sys.argv[2])
seq = codes.tolist()
t0 = time.perf_counter()
mc = MarkovChain.fit_sequence("mle", states, seq)
t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "version": pydtmc.__version__,
                  "p_awareness_interest": float(mc.p[1, 2])}))
"""


def make_log(n_events: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Journeys from the known chain: one touch per stage visit, then a conversion or drop_out
    event. Also returns the concatenated state codes of all journeys (with start and end)."""
    chain = MarkovChain(STATES, P, start="(start)")
    per = float(chain.expected_steps["(start)"])  # events per journey
    n = max(int(n_events / per), 1)
    sim = chain.simulate(n, random_state=seed)
    code = pd.Categorical(sim["state"], categories=STATES).codes.astype(np.int64)
    ev = code > 0
    state = code[ev]
    labels = np.array(STATES, dtype=object)
    event = np.where(state == 5, "conversion", np.where(state == 6, "drop_out", "touch"))
    df = pd.DataFrame({
        "customer_id": sim["walk"].to_numpy()[ev],
        "timestamp": sim["step"].to_numpy()[ev].astype(float),
        "event": event,
        "stage": np.where(state <= 4, labels[state], None),
    })
    return df, code


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def fit_with_intervals(log: EventLog):
    fit = fit_chain(log)
    fit.intervals("wilson")
    fit.intervals("jeffreys")
    fit.absorbing()
    fit.funnel()
    return fit


def peak_memory(n_events: int, seed: int) -> dict:
    df, _ = make_log(n_events, seed)
    log = EventLog(df, scheme="seven")
    del df
    tracemalloc.start()
    fit_with_intervals(log)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"events": log.n_events, "peak_mb": peak / 2**20,
            "bytes_per_event": peak / log.n_events}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--n-boot", type=int, default=100)
    ap.add_argument("--pydtmc", default=None, help="python of an environment with pydtmc")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    res: dict = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "date": time.strftime("%Y-%m-%d"),
    }
    t_make, (df, codes) = timed(lambda: make_log(args.events))
    res["events"] = len(df)
    res["customers"] = int(df["customer_id"].nunique())
    res["simulate_seconds"] = t_make
    steps: dict[str, float] = {}
    steps["EventLog(df, scheme='seven')"], log = timed(lambda: EventLog(df, scheme="seven"),
                                                      args.repeat)
    df = None  # free the frame before fitting
    steps["fit_chain(log): journeys + pooled counts"], fit = timed(lambda: fit_chain(log),
                                                                   args.repeat)
    steps["intervals('wilson') + intervals('jeffreys')"], _ = timed(
        lambda: (fit.intervals("wilson"), fit.intervals("jeffreys")), args.repeat)
    steps["absorbing() (delta) + funnel() (delta)"], _ = timed(
        lambda: (fit.absorbing(), fit.funnel()), args.repeat)
    steps["total: fit + intervals + absorbing + funnel"] = sum(list(steps.values())[1:])
    steps[f"bootstrap over customers, {args.n_boot} replicates"], _ = timed(
        lambda: fit.intervals("bootstrap", n_boot=args.n_boot, random_state=1))
    k = len(STATES)
    steps["plain numpy count of the concatenated sequence"], counts = timed(
        lambda: np.bincount(codes[:-1] * k + codes[1:], minlength=k * k), args.repeat)
    res["steps_seconds"] = steps
    res["p_awareness_interest"] = {
        "true": float(P[1, 2]),
        "cjmodels": float(fit.transition_matrix.loc["awareness", "interest"]),
    }
    if args.pydtmc:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "codes.npy"
            np.save(path, codes)
            script = Path(tmp) / "fit.py"
            script.write_text(PYDTMC)
            proc = subprocess.run([args.pydtmc, str(script), str(path), json.dumps(STATES)],
                                  capture_output=True, text=True, check=True)
        py = json.loads(proc.stdout.strip().splitlines()[-1])
        res["pydtmc"] = {
            "version": py["version"],
            "fit_sequence_seconds": py["seconds"],
            "p_awareness_interest": py["p_awareness_interest"],
            "note": "one concatenated sequence: end states lead into the next journey's start; "
            "no intervals",
        }
    res["peak_memory"] = [peak_memory(n, 1) for n in sorted({args.events // 10,
                                                              args.events // 3, args.events})]
    text = json.dumps(res, indent=2)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return res


if __name__ == "__main__":
    main()
