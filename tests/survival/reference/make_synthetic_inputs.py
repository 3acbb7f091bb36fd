"""Small synthetic inputs on which R survival computes reference values (make_r_reference.R).

Run once with the project's environment; writes three CSV files next to this script:

* ``competing_risks.csv``: 400 prospects, cause-specific exponential hazards of purchase
  (cause 1) and drop-out (cause 2) depending on a binary ``group`` and a numeric ``x``,
  uniform censoring, times rounded up to whole days (so there are ties across causes);
* ``left_truncated.csv``: 300 customers with delayed entry (entered before observation began),
  Weibull event times, entry and exit in whole days, some events on the entry day + 1;
* ``counting_process.csv``: 200 customers in (start, stop] form with a time-varying touch count.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
rng = np.random.default_rng(20260101)

# --- competing risks
n = 400
group = rng.integers(0, 2, n)
x = np.round(rng.normal(0, 1, n), 3)
h1 = 0.02 * np.exp(0.5 * group + 0.3 * x)
h2 = 0.015 * np.exp(-0.4 * group)
t1 = rng.exponential(1 / h1)
t2 = rng.exponential(1 / h2)
c = rng.uniform(20, 120, n)
t = np.minimum.reduce([t1, t2, c])
cause = np.select([t == t1, t == t2], [1, 2], 0)
pd.DataFrame({"time": np.ceil(t).astype(int), "cause": cause, "group": group, "x": x}).to_csv(
    HERE / "competing_risks.csv", index=False
)

# --- left truncation
n = 300
x = rng.integers(0, 2, n)
life = np.ceil(60 * rng.weibull(1.3, n) * np.exp(-0.5 * x) + 1e-9)
entry = np.floor(rng.uniform(0, 40, n))
keep = life > entry  # only customers still there when observation begins are seen
life, entry, x = life[keep], entry[keep], x[keep]
cens = entry + np.ceil(rng.uniform(5, 80, keep.sum()))
stop = np.minimum(life, cens)
event = (life <= cens).astype(int)
pd.DataFrame({"entry": entry, "stop": stop, "event": event, "x": x}).to_csv(
    HERE / "left_truncated.csv", index=False
)

# --- counting process: touches arrive as a Poisson process; the hazard of purchase rises with
# the number of touches so far; follow-up to day 60.
rows = []
for i in range(200):
    touches = np.sort(np.ceil(rng.uniform(0, 60, rng.poisson(3))))
    touches = np.unique(touches[touches > 0])
    start, k = 0.0, 0
    for cut in [*touches, 60.0]:
        # piecewise exponential hazard 0.005 * exp(0.4 k) on (start, cut]
        h = 0.005 * np.exp(0.4 * k)
        ev_t = start + rng.exponential(1 / h)
        if ev_t <= cut:
            rows.append((i, start, np.ceil(ev_t * 10) / 10, 1, k))
            break
        rows.append((i, start, cut, 0, k))
        start, k = cut, k + 1
        if cut >= 60:
            break
cp = pd.DataFrame(rows, columns=["id", "start", "stop", "event", "touches"])
cp = cp[cp["stop"] > cp["start"]]
cp.to_csv(HERE / "counting_process.csv", index=False)
print("wrote competing_risks.csv, left_truncated.csv, counting_process.csv")
