"""Time the attribution models on a large path table, side by side with ChannelAttribution.

Usage::

    python benchmarks/bench_attribution.py --paths 500_000 --journeys 5_000_000 \
        [--ca-python /tmp/cavenv/bin/python] [--out benchmarks/results/attribution.json]

A path table of ``--paths`` distinct paths over 10 channels (lengths 1 + Poisson(3)) is drawn,
with ``--journeys`` journeys spread over them and conversion logistic in the touches. Timed, end
to end from the path table as a DataFrame (parsing included): the heuristics, exact Markov
removal effects of orders 1-4, 200 bootstrap replicates of orders 1 and 3, and the Shapley value;
also the data layer's ``read_path_table`` (validation and the one split of all paths) alone.
Each step is the best of ``--repeat`` runs; ``seconds`` are wall-clock, ``cpu_seconds`` the
process CPU time of the same run (less sensitive to other jobs on a shared machine).
Peak traced memory of the order-1 fit is recorded at a fifth and at the full number of paths.
With ``--ca-python`` (a Python that has ``channelattribution`` installed; it is GPL, so it stays
in a scratch environment) ChannelAttribution's ``markov_model`` runs on the same table, in a
subprocess, with its default settings and one core, right after ours.
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
import warnings

import numpy as np
import pandas as pd

from cjmodels.attribution import MarkovAttribution, attribute, attribution_data
from cjmodels.data import read_path_table

CHANNELS = np.array(["organic_search", "paid_search", "social", "email", "display", "referral",
                     "direct", "sms", "phone", "store"])


def make_table(n_paths: int, n_journeys: int, seed: int = 0) -> pd.DataFrame:
    """Distinct random paths with journey counts and conversions (not timed)."""
    rng = np.random.default_rng(seed)
    rows: list[str] = []
    seen: set[str] = set()
    p = np.array([0.25, 0.15, 0.12, 0.12, 0.08, 0.08, 0.1, 0.04, 0.03, 0.03])
    beta = np.array([0.3, 0.5, 0.1, 0.4, 0.0, 0.6, 0.2, 0.2, 0.7, 0.8])
    while len(rows) < n_paths:
        k = n_paths - len(rows)
        lengths = 1 + rng.poisson(3.0, k + k // 4)
        sym = rng.choice(10, lengths.sum(), p=p)
        offs = np.r_[0, np.cumsum(lengths)]
        for j in range(len(lengths)):
            s = " > ".join(CHANNELS[sym[offs[j]:offs[j + 1]]])
            if s not in seen:
                seen.add(s)
                rows.append(s)
                if len(rows) == n_paths:
                    break
    counts = 1 + rng.multinomial(n_journeys - n_paths, np.full(n_paths, 1.0 / n_paths))
    x = np.array([sum(beta[np.flatnonzero(CHANNELS == c)[0]] for c in r.split(" > "))
                  for r in rows])
    conv = rng.binomial(counts, 1 / (1 + np.exp(-(-3.0 + x))))
    return pd.DataFrame({"path": rows, "total_conversions": conv, "total_null": counts - conv,
                         "total_conversion_value": conv * 50.0})


CPU: dict[str, float] = {}


def timed(fn, repeat: int = 1, name: str | None = None) -> tuple[float, object]:
    """Best wall-clock time of ``repeat`` runs (its CPU time goes to ``CPU[name]``)."""
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    if name:
        CPU[name] = cpu
    return best, out


CA_SCRIPT = """
import sys, time, json, pandas as pd
from ChannelAttribution import markov_model
df = pd.read_csv(sys.argv[1])
out = {}
for order in [int(o) for o in sys.argv[2].split(",")]:
    c0, t0 = time.process_time(), time.perf_counter()
    r = markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                     var_null="total_null", order=order, out_more=True, ncore=1, verbose=False,
                     flg_pro=False)
    out[order] = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
                  "removal_effects": r["removal_effects"].set_index("channel_name")
                  ["removal_effects_conversion"].to_dict()}
print(json.dumps(out))
"""


def _pyarrow_version() -> str | None:
    """pyarrow splits the paths when installed (else a pure numpy/pandas path)."""
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow.__version__


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=500_000)
    ap.add_argument("--journeys", type=int, default=5_000_000)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--ca-python", default=None)
    ap.add_argument("--ca-orders", default="1,3")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (not bootstrap)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    df = make_table(a.paths, a.journeys)
    res: dict[str, object] = {
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": _pyarrow_version(),
            "load_average_at_start": os.getloadavg(),
            "note": "a shared 2-core machine: other jobs ran at the same time",
        },
        "data": {
            "distinct_paths": len(df),
            "journeys": int(df.total_conversions.sum() + df.total_null.sum()),
            "conversions": int(df.total_conversions.sum()),
            "channels": 10,
            "mean_path_length": float(df.path.str.count(">").mean() + 1),
            "generation_seconds": time.perf_counter() - t0,
        },
        "seconds": {},
    }
    sec: dict[str, float] = res["seconds"]  # type: ignore[assignment]
    rep = a.repeat
    attribute(df.head(1000), order=1, collapse_repeats=True)  # imports and first-call costs outside the timings
    sec["read_path_table"], _ = timed(lambda: read_path_table(df), rep, "read_path_table")
    sec["parse_path_table"], data = timed(lambda: attribution_data(df), rep, "parse_path_table")
    for h in ("first", "last", "linear", "position"):
        name = f"heuristic_{h}_end_to_end"
        sec[name], _ = timed(lambda h=h: attribute(df, model=h), rep, name)
    exact = {}
    # repeats merged into one state, as ChannelAttribution does (its removal effects are
    # compared with ours below)
    for k in (1, 2, 3, 4):
        name = f"markov_order{k}_end_to_end"
        sec[name], r = timed(lambda k=k: attribute(df, order=k, collapse_repeats=True), rep, name)
        name = f"markov_order{k}_from_parsed"
        sec[name], _ = timed(lambda k=k: attribute(data, order=k, collapse_repeats=True), rep, name)
        exact[k] = r.table["removal_effect"].to_dict()
        res[f"markov_order{k}_states"] = r.info["n_states"]
    for k in (1, 3):
        m = MarkovAttribution(order=k, collapse_repeats=True).fit(data)
        name = f"markov_order{k}_bootstrap_{a.boot}"
        sec[name], _ = timed(lambda m=m: m.bootstrap(a.boot, random_state=0), 1, name)
    name = "shapley_exact_end_to_end"
    sec[name], _ = timed(lambda: attribute(df, model="shapley"), rep, name)
    # memory of the order-1 fit at a fifth and at all the paths
    mem = {}
    for n in (len(df) // 5, len(df)):
        sub = df.iloc[:n]
        tracemalloc.start()
        attribute(sub, order=1, collapse_repeats=True)
        mem[n] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    res["peak_traced_memory_mib_order1"] = mem
    res["exact_removal_effects"] = exact
    res["load_average_at_end"] = os.getloadavg()
    if a.ca_python:
        with tempfile.TemporaryDirectory() as tmp:
            f = os.path.join(tmp, "paths.csv")
            df.to_csv(f, index=False)
            out = subprocess.run([a.ca_python, "-c", CA_SCRIPT, f, a.ca_orders],
                                 capture_output=True, text=True, check=True)
            line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
            ca = json.loads(line)
        res["channelattribution"] = ca
        for k, v in ca.items():
            sec[f"channelattribution_order{k}"] = v["seconds"]
            CPU[f"channelattribution_order{k}"] = v["cpu_seconds"]
            diffs = [abs(v["removal_effects"][c] - exact[int(k)][c]) for c in exact[int(k)]]
            res[f"channelattribution_order{k}_max_abs_removal_effect_difference"] = max(diffs)
    res["cpu_seconds"] = dict(CPU)
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        main()
