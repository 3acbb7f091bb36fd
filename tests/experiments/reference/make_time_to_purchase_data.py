"""The fixed table behind the time-to-purchase references (run once; the CSV is committed).

    /work/main/.venv/bin/python tests/experiments/reference/make_time_to_purchase_data.py

Three arms of 120 customers with staggered entry (administrative censoring after 0-30 days),
exponential purchase times with a cure fraction, durations rounded to 0.5 days so that there
are ties. ``time_to_purchase_reference.R`` computes the reference values from this file.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20251122)
rows = []
for arm, rate, mean in (("control", 0.35, 6.0), ("treatment", 0.45, 5.0), ("other", 0.35, 9.0)):
    n = 120
    buys = rng.random(n) < rate
    t = rng.exponential(mean, n)
    follow = rng.uniform(0, 30, n)
    event = buys & (t <= follow)
    dur = np.where(event, t, follow)
    rows.append(pd.DataFrame({"variant": arm, "duration": np.round(dur * 2) / 2,
                              "event": event.astype(int)}))
pd.concat(rows, ignore_index=True).to_csv(
    Path(__file__).with_name("time_to_purchase_table.csv"), index=False)
