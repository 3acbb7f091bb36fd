"""A two-arm journey experiment for the tests: two simulated journey worlds, one per arm.

The treatment world raises the decision -> purchase step (and lowers decision -> drop-out by as
much); every customer gets an ``assignment`` event at their first touch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cjmodels.synthetic import JourneyParams, simulate_journeys


def journey_experiment(n: int, seed: int, purchase: float | None = None,
                       days: float = 120.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seeds = rng.integers(2**31, size=2)
    base = JourneyParams.default("seven")
    rows = {k: dict(v) for k, v in base.transitions.items()}
    if purchase is not None:
        row = rows["decision"]
        row["drop_out"] -= purchase - row["purchase"]
        row["purchase"] = purchase
    parts = []
    for k, (arm, params) in enumerate((("control", None),
                                       ("treatment", {"transitions": rows}))):
        w = simulate_journeys(n, random_state=int(seeds[k]), params=params, days=days)
        ev = w.events.drop(columns=["segment", "region"])
        ev["customer_id"] += k * n
        ev["variant"] = None
        first = ev.groupby("customer_id", sort=False).head(1).copy()
        first["event"] = "assignment"
        first[["channel", "stage"]] = None
        first["value"] = np.nan
        first["variant"] = arm
        parts += [ev, first]
    return pd.concat(parts, ignore_index=True)
