"""Produce the reference RFM tables in this folder with the ``lifetimes`` package.

``lifetimes`` is NOT a dependency of cjmodels; it is only used here, once, to compute reference
values that ``tests/data/test_customers.py`` compares with ``cjmodels.data.customers.rfm_summary``.

Run it in a scratch environment (it was run with lifetimes 0.11.3, pandas 1.5.3, numpy 1.26):

    python3 -m venv /tmp/lt15
    /tmp/lt15/bin/pip install lifetimes "pandas==1.5.3" "numpy<2"
    /tmp/lt15/bin/python tests/data/reference/make_rfm_reference.py

It writes ``rfm_transactions.csv`` (the input log) and ``rfm_lifetimes.json`` (settings and
outputs of ``lifetimes.utils.summary_data_from_transaction_data``).
"""

from __future__ import annotations

import json
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data

HERE = Path(__file__).resolve().parent


def make_transactions() -> pd.DataFrame:
    """A small deterministic log: hand-made edge cases plus seeded random customers."""
    rows = [
        # single purchase
        ("c01", "2025-01-03 10:15:00", 12.50),
        # two purchases on one calendar day, then one a week later
        ("c02", "2025-01-02 09:00:00", 10.00),
        ("c02", "2025-01-02 18:30:00", 5.00),
        ("c02", "2025-01-09 07:45:00", 20.00),
        # purchases on both sides of midnight (1 h 30 min apart, different days)
        ("c03", "2025-01-05 23:30:00", 7.00),
        ("c03", "2025-01-06 01:00:00", 3.00),
        # three purchases at the very same second (a split order)
        ("c04", "2025-01-10 12:00:00", 1.00),
        ("c04", "2025-01-10 12:00:00", 2.00),
        ("c04", "2025-01-10 12:00:00", 3.00),
        ("c04", "2025-02-20 16:20:00", 4.00),
        # single purchase close to the end of the calibration day used below
        ("c05", "2025-02-15 21:00:00", 9.99),
        # purchases in the same ISO week (Mon 2025-01-13 .. Sun 2025-01-19) and later weeks
        ("c06", "2025-01-13 08:00:00", 15.00),
        ("c06", "2025-01-19 22:00:00", 25.00),
        ("c06", "2025-01-20 00:30:00", 30.00),
        ("c06", "2025-03-30 11:11:11", 40.00),
        # zero-valued repeat purchase
        ("c07", "2025-01-04 06:00:00", 0.00),
        ("c07", "2025-02-01 06:00:00", 0.00),
        # first purchase after the calibration end used below
        ("c08", "2025-03-01 14:00:00", 50.00),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "value"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    rng = np.random.default_rng(20250101)
    extra = []
    start = pd.Timestamp("2025-01-01")
    for i in range(9, 41):
        n = int(rng.integers(1, 7))
        secs = np.sort(rng.integers(0, 88 * 86400, size=n))
        # every third random customer buys in bursts: repeats within the same day
        if i % 3 == 0 and n > 1:
            secs[1:] = secs[0] + np.sort(rng.integers(0, 6 * 3600, size=n - 1))
        vals = np.round(rng.gamma(2.0, 15.0, size=n), 2)
        for s, v in zip(secs, vals, strict=True):
            extra.append((f"c{i:02d}", start + pd.Timedelta(int(s), unit="s"), float(v)))
    df = pd.concat([df, pd.DataFrame(extra, columns=df.columns)], ignore_index=True)
    return df.sort_values(["customer_id", "timestamp"], kind="stable").reset_index(drop=True)


# Each case: lifetimes keyword arguments and the equivalent rfm_summary keyword arguments.
CASES = [
    {
        "name": "daily_periods_days",
        "lifetimes": {"freq": "D", "freq_multiplier": 1, "observation_period_end": "2025-03-31"},
        "cjmodels": {"period": "D", "unit": "D", "observation_end": "2025-03-31"},
    },
    {
        "name": "daily_periods_weeks",
        "lifetimes": {"freq": "D", "freq_multiplier": 7, "observation_period_end": "2025-03-31"},
        "cjmodels": {"period": "D", "unit": "W", "observation_end": "2025-03-31"},
    },
    {
        "name": "weekly_periods_weeks",
        "lifetimes": {"freq": "W", "freq_multiplier": 1, "observation_period_end": "2025-03-31"},
        "cjmodels": {"period": "W", "unit": "W", "observation_end": "2025-03-31"},
    },
    {
        "name": "hourly_periods_days",
        "lifetimes": {"freq": "h", "freq_multiplier": 24, "observation_period_end": "2025-03-31"},
        "cjmodels": {"period": "h", "unit": "D", "observation_end": "2025-03-31"},
    },
    {
        # seconds are the resolution of the data: binning by second only merges purchases at
        # one and the same time (customer c04), which rfm_summary(period=None) merges too
        "name": "exact_times_days",
        "lifetimes": {
            "freq": "s", "freq_multiplier": 86400, "observation_period_end": "2025-03-31",
        },
        "cjmodels": {"period": None, "unit": "D", "observation_end": "2025-03-31"},
    },
    {
        # lifetimes keeps every purchase of the end day 2025-02-15; rfm_summary keeps purchases
        # up to observation_end exactly, so the same day is the end 2025-02-15 23:59:59
        "name": "calibration_end_daily",
        "lifetimes": {"freq": "D", "freq_multiplier": 1, "observation_period_end": "2025-02-15"},
        "cjmodels": {"period": "D", "unit": "D", "observation_end": "2025-02-15 23:59:59"},
    },
    {
        # lifetimes then also counts the first purchase in frequency (frequency + 1 here)
        "name": "include_first_daily",
        "lifetimes": {
            "freq": "D", "freq_multiplier": 1, "observation_period_end": "2025-03-31",
            "include_first_transaction": True,
        },
        "cjmodels": {
            "period": "D", "unit": "D", "observation_end": "2025-03-31", "include_first": True,
        },
    },
]


def main() -> None:
    tx = make_transactions()
    tx.to_csv(HERE / "rfm_transactions.csv", index=False)
    out = {
        "produced_by": "tests/data/reference/make_rfm_reference.py",
        "function": "lifetimes.utils.summary_data_from_transaction_data",
        "versions": {
            "lifetimes": lifetimes.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
        },
        "input": "rfm_transactions.csv",
        "cases": [],
    }
    for case in CASES:
        res = summary_data_from_transaction_data(
            tx, "customer_id", "timestamp", monetary_value_col="value", **case["lifetimes"]
        )
        out["cases"].append(
            {
                **case,
                "result": {
                    str(cid): {k: float(v) for k, v in row.items()}
                    for cid, row in res.sort_index().iterrows()
                },
            }
        )
    with open(HERE / "rfm_lifetimes.json", "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
