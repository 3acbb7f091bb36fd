"""Write the inputs of the reference values in make_r_reference_extra.R.

Run from this folder: ``python make_extra_inputs.py``; then ``Rscript make_r_reference_extra.R``.

* discrete_time.csv: 400 customers, integer days (Weibull proportional hazards, log-hazard
  ratios 0.5 for x1 and -0.3 per level of x2), delayed entry for a quarter of them, censoring
  at a uniform day.
* touch_log.csv: an event log with numeric times (days) observed in [20, 120]: each customer is
  first seen at ``first_seen`` (uniform on [0, 100]), receives touches at rate 0.15 per day, and
  buys at rate 0.01 * exp(0.25 * touches so far); customers who bought before day 20 are not in
  the log (left truncation), events outside the window are not recorded.
* cure.csv: 600 customers of a mixture cure world (see tests/survival/test_cure.py).
"""

import numpy as np
import pandas as pd

from cjmodels.survival.cure import simulate_mixture_cure

rng = np.random.default_rng(20251122)
n = 400
x1 = rng.integers(0, 2, n)
x2 = rng.integers(0, 3, n)
t = np.ceil(12 * (rng.exponential(1, n) / np.exp(0.5 * x1 - 0.3 * x2)) ** (1 / 1.2))
c = rng.integers(5, 31, n)
duration = np.minimum(t, c).astype(int)
event = (t <= c).astype(int)
entry = np.where(rng.random(n) < 0.25, rng.integers(0, 6, n), 0)
entry = np.minimum(entry, duration - 1)  # entry < duration (R's survSplit rejects ties)
pd.DataFrame({"entry": entry, "duration": duration, "event": event, "x1": x1, "x2": x2}).to_csv(
    "discrete_time.csv", index=False)

# --- touch log
rng = np.random.default_rng(7)
rows = []
for cid in range(1, 201):
    seen = round(float(rng.uniform(0, 100)), 2)
    segment = int(rng.integers(0, 2))
    t, k, events = seen, 0, [(seen, "touch")]
    k = 1
    while True:
        dt_touch = rng.exponential(1 / 0.15)
        dt_buy = rng.exponential(1 / (0.01 * np.exp(0.25 * k) * (1.5 if segment else 1.0)))
        if dt_buy < dt_touch:
            events.append((round(t + dt_buy, 2), "conversion"))
            break
        t = t + dt_touch
        if t > 130:
            break
        events.append((round(t, 2), "touch"))
        k += 1
    if any(e == "conversion" and tt < 20 for tt, e in events):
        continue  # bought before observation began: never seen
    for tt, e in events:
        if 20 <= tt <= 120:
            rows.append((cid, tt, e, seen, segment))
log = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "first_seen", "segment"])
log.to_csv("touch_log.csv", index=False)

# --- mixture cure world: cure probability expit(-0.5 + z), Weibull latency with scale
# exp(2.5 + 0.4 x) and shape 1.5, follow-up uniform on [20, 60]
cure, _ = simulate_mixture_cure(600, random_state=20251122)
cure.rename(columns={"duration": "time"})[["time", "event", "z", "x"]].to_csv(
    "cure.csv", index=False, float_format="%.10g")
