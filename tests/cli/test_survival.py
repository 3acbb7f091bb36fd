"""The survival CLI subcommand and demo-report section."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cjmodels.cli import main
from cjmodels.cli.survival import analyse
from cjmodels.data import EventLog


def _log(tmp_path):
    df = pd.DataFrame({
        "customer_id": [1, 1, 2, 2, 3, 3, 4],
        "timestamp": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-02", "2025-01-04",
                                     "2025-01-01", "2025-01-09", "2025-01-03"]),
        "event": ["touch", "conversion", "touch", "drop_out", "touch", "conversion", "touch"],
    })
    path = tmp_path / "ev.csv"
    df.to_csv(path, index=False)
    return df, path


def test_cli_json_and_text(tmp_path, capsys):
    df, path = _log(tmp_path)
    assert main(["survival", str(path), "--horizons", "3,10", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    t = out["time_to_purchase"]
    assert t["n_purchases"] == 2 and t["n_drop_outs"] == 1
    # by hand: 4 customers at risk from their first touch; a drop-out at day 2 -> CIF 1/4
    assert t["incidence"]["drop_out"]["3.0"] == pytest.approx(0.25)
    assert main(["survival", str(path)]) == 0
    assert "median" in capsys.readouterr().out


def test_cli_bad_horizons(tmp_path, capsys):
    _, path = _log(tmp_path)
    assert main(["survival", str(path), "--horizons", "-1"]) == 2
    assert "horizons" in capsys.readouterr().err


def test_analyse_matches_direct_km(tmp_path):
    df, _ = _log(tmp_path)
    res = analyse(EventLog(df), horizons=[5.0])
    assert np.isfinite(res["time_to_purchase"]["median"]["time"])
