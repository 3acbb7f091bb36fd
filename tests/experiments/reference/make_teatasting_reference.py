"""Reference values for ratio metrics and CUPED from tea-tasting (a peer), on a fixed table.

Run outside the test suite, in a scratch environment with tea-tasting installed:

    python -m venv /tmp/ttvenv && /tmp/ttvenv/bin/pip install tea-tasting==1.14.0
    /tmp/ttvenv/bin/python tests/experiments/reference/make_teatasting_reference.py

It writes ``ratio_cuped_table.csv`` (the data: 3,000 customers, seed 20251) and
``teatasting_reference.json`` (tea-tasting's effects, intervals and p-values).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import tea_tasting as tt

HERE = Path(__file__).parent
rng = np.random.default_rng(20251)
n = 3000
variant = rng.integers(0, 2, n)
pre_sessions = rng.poisson(3, n) + 1
sessions = rng.poisson(pre_sessions * (1 + 0.05 * variant)) + 1
pre_orders = rng.binomial(pre_sessions, 0.1)
orders = rng.binomial(sessions, 0.1 + 0.01 * variant)
pre_revenue = pre_orders * rng.lognormal(3.5, 0.6, n)
revenue = orders * rng.lognormal(3.5, 0.6, n)
data = pd.DataFrame({
    "variant": variant, "sessions": sessions.astype(float), "orders": orders.astype(float),
    "revenue": revenue.round(4), "pre_sessions": pre_sessions.astype(float),
    "pre_orders": pre_orders.astype(float), "pre_revenue": pre_revenue.round(4),
})
data.to_csv(HERE / "ratio_cuped_table.csv", index=False)
data = pd.read_csv(HERE / "ratio_cuped_table.csv")  # analyse exactly what is stored

exp = tt.Experiment(
    revenue_mean=tt.Mean("revenue", use_t=True, equal_var=False),
    revenue_cuped=tt.Mean("revenue", "pre_revenue", use_t=False, equal_var=False),
    orders_per_session=tt.RatioOfMeans("orders", "sessions", use_t=False, equal_var=False),
    orders_per_session_cuped=tt.RatioOfMeans(
        "orders", "sessions", "pre_orders", "pre_sessions", use_t=False, equal_var=False
    ),
)
res = exp.analyze(data, control=0)
out = {}
for r in res.to_dicts():
    out[r["metric"]] = {k: float(r[k]) for k in (
        "control", "treatment", "effect_size", "effect_size_ci_lower", "effect_size_ci_upper",
        "rel_effect_size", "rel_effect_size_ci_lower", "rel_effect_size_ci_upper", "pvalue")}
out["_meta"] = {"tea_tasting": tt.__version__, "n": n, "seed": 20251}
(HERE / "teatasting_reference.json").write_text(json.dumps(out, indent=2) + "\n")
print(json.dumps(out, indent=2))
