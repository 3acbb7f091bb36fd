"""Reference calibration/holdout tables from the ``lifetimes`` package (a test oracle only).

Run in a scratch environment with lifetimes 0.11.3 and pandas 1.5.3 (under pandas 3, lifetimes
miscounts holdout periods)::

    python3 -m venv /tmp/lt15 && /tmp/lt15/bin/pip install lifetimes "pandas==1.5.3" "numpy<2"

    python tests/data/reference/make_calibration_holdout_reference.py

It reads ``rfm_transactions.csv`` (the same log as the RFM reference) and writes
``calibration_holdout_lifetimes.json`` with the outputs of
``lifetimes.utils.calibration_and_holdout_data`` for daily and weekly periods.
"""

from __future__ import annotations

import json
from pathlib import Path

import lifetimes
import pandas as pd
from lifetimes.utils import calibration_and_holdout_data

HERE = Path(__file__).resolve().parent

CASES = [
    {"name": "daily", "freq": "D", "calibration_end": "2025-02-15", "observation_end": "2025-03-31"},
    {"name": "weekly", "freq": "W", "calibration_end": "2025-02-09", "observation_end": "2025-03-30"},
]


def main() -> None:
    tx = pd.read_csv(HERE / "rfm_transactions.csv", parse_dates=["timestamp"])
    out = {"produced_by": "make_calibration_holdout_reference.py",
           "lifetimes": lifetimes.__version__, "pandas": pd.__version__, "cases": []}
    for case in CASES:
        res = calibration_and_holdout_data(
            tx, "customer_id", "timestamp",
            calibration_period_end=case["calibration_end"],
            observation_period_end=case["observation_end"],
            freq=case["freq"], monetary_value_col="value",
        )
        out["cases"].append({**case, "result": res.to_dict(orient="index")})
    (HERE / "calibration_holdout_lifetimes.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
