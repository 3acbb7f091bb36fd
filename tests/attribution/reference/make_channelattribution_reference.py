"""Reference values from ChannelAttribution (Python package ``channelattribution`` 2.2.5).

Run outside the test suite, in a scratch environment (ChannelAttribution is GPL and an
optional oracle, never a dependency):

    python -m venv /tmp/cavenv
    /tmp/cavenv/bin/pip install channelattribution==2.2.5 pandas numpy matplotlib
    /tmp/cavenv/bin/python tests/attribution/reference/make_channelattribution_reference.py

Inputs (in this folder):

* ``journeys_paths.csv.gz``: the path table of the shipped journeys dataset,
  ``cjmodels.data.path_table(cjmodels.datasets.load_journeys().event_log())`` with
  ``total_conversion_value`` rounded to cents (3142 paths, 10 channels).
* ``random_paths.csv``: 3000 random journeys over 4 channels, written by :func:`random_table`
  below (seed 20250601).
* ``tiny`` (inline): 4 paths, checked by hand in ``test_markov.py``.

Output: ``channelattribution_reference.json`` with, per input, ``heuristic_models`` (exact) and,
for orders 1-4, ``markov_model(..., var_null="total_null", out_more=True)`` run with seeds 0-4
(``nsim_start=1e6``, other settings default), so that the tests can use the spread across seeds
as the Monte-Carlo error.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def random_table() -> pd.DataFrame:
    """The random path table of ``random_paths.csv``."""
    rng = np.random.default_rng(20250601)
    ch = np.array(["alpha", "beta", "gamma", "delta"])
    rows: dict[str, list[float]] = {}
    for _ in range(3000):
        n = rng.geometric(0.35)
        p = " > ".join(ch[rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])])
        conv = rng.random() < 0.1 + 0.05 * p.count("beta") + 0.1 * ("delta" in p)
        c = rows.setdefault(p, [0, 0, 0.0])
        if conv:
            c[0] += 1
            c[2] += round(float(rng.gamma(2.0, 25.0)), 2)
        else:
            c[1] += 1
    df = pd.DataFrame(
        [(k, *v) for k, v in rows.items()],
        columns=["path", "total_conversions", "total_null", "total_conversion_value"],
    )
    return df.sort_values("path")


def main() -> None:
    from ChannelAttribution import heuristic_models, markov_model

    tiny = pd.DataFrame(
        {
            "path": ["a > a > b", "a > b > c", "c", "b > a > a > b"],
            "total_conversions": [3, 1, 0, 2],
            "total_null": [2, 4, 5, 1],
            "total_conversion_value": [30.0, 10.0, 0.0, 25.0],
        }
    )
    inputs = {
        "tiny": tiny,
        "random": pd.read_csv(HERE / "random_paths.csv"),
        "journeys": pd.read_csv(HERE / "journeys_paths.csv.gz"),
    }
    regen = random_table().reset_index(drop=True)
    assert (regen["path"] == inputs["random"]["path"]).all(), "random_paths.csv is stale"
    out: dict[str, dict] = {"package": "channelattribution 2.2.5", "inputs": {}}
    for name, df in inputs.items():
        df = df.copy()
        df["total_conversions"] = df["total_conversions"].astype(int)
        df["total_null"] = df["total_null"].astype(int)
        h = heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value",
                             sep=">", flg_pro=False)
        rec = {"heuristic_models": h.set_index("channel_name").to_dict(orient="index"),
               "markov_model": {}}
        for order in (1, 2, 3, 4):
            runs = []
            for seed in range(5):
                t0 = time.perf_counter()
                r = markov_model(df, "path", "total_conversions",
                                 var_value="total_conversion_value", var_null="total_null",
                                 order=order, nsim_start=1e6, out_more=True, sep=">",
                                 seed=seed, verbose=False, flg_pro=False)
                secs = time.perf_counter() - t0
                res = r["result"].set_index("channel_name")
                re = r["removal_effects"].set_index("channel_name")
                runs.append({
                    "seed": seed,
                    "seconds": secs,
                    "total_conversions": res["total_conversions"].to_dict(),
                    "total_conversion_value": res["total_conversion_value"].to_dict(),
                    "removal_effects_conversion": re["removal_effects_conversion"].to_dict(),
                    "removal_effects_conversion_value":
                        re["removal_effects_conversion_value"].to_dict(),
                })
            rec["markov_model"][str(order)] = runs
            print(name, order, f"{np.mean([r['seconds'] for r in runs]):.2f}s", file=sys.stderr)
        out["inputs"][name] = rec
    (HERE / "channelattribution_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
