"""Brier score, integrated Brier score and concordance against scikit-survival and lifelines."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines.utils import concordance_index

from cjmodels.errors import ValidationError
from cjmodels.survival import (
    brier_score,
    concordance_index_ipcw,
    concordance_td,
    integrated_brier_score,
)

from .conftest import REFERENCE

# make_sksurv_reference.py (scikit-survival 0.28.0 in a scratch venv, not a dependency):
# brier_score, integrated_brier_score, concordance_index_ipcw on metrics_input.csv (durations
# on a half-day grid, so events and censorings tie).
REF = json.loads((REFERENCE / "sksurv_reference.json").read_text())
DATA = pd.read_csv(REFERENCE / "metrics_input.csv")
TRAIN, TEST = DATA[DATA["set"] == "train"], DATA[DATA["set"] == "test"]
TIMES = REF["times"]
EST = TEST[[f"s_{t:g}" for t in TIMES]].to_numpy()


def test_brier_and_integrated_brier_match_sksurv():
    bs = brier_score(TRAIN, TEST, EST, TIMES)
    np.testing.assert_allclose(bs.to_numpy(), REF["brier"], rtol=1e-12)
    assert integrated_brier_score(TRAIN, TEST, EST, TIMES) == pytest.approx(REF["ibs"],
                                                                            rel=1e-12)


@pytest.mark.parametrize(("tau", "key"), [(None, "uno"), (12.0, "uno_tau12")])
def test_uno_concordance_matches_sksurv(tau, key):
    res = concordance_index_ipcw(TRAIN, TEST, TEST["x"], tau=tau)
    ref = REF[key]
    assert res.cindex == pytest.approx(ref[0], rel=1e-12)
    assert [res.concordant, res.discordant, res.tied_risk, res.tied_time] == ref[1:]


def test_antolini_equals_harrell_for_proportional_curves():
    # With curves that never cross (proportional hazards) and no tied times, Antolini's C is
    # Harrell's C of the risk score (lifelines.utils.concordance_index of -risk).
    rng = np.random.default_rng(1)
    n = 300
    x = rng.standard_normal(n)
    t = rng.exponential(1 / np.exp(0.8 * x))
    c = rng.exponential(2.0, n)
    d = pd.DataFrame({"duration": np.minimum(t, c), "event": (t <= c).astype(int)})
    grid = np.sort(d["duration"].to_numpy())
    s = pd.DataFrame(np.exp(-grid[None, :] * np.exp(0.5 * x)[:, None]), columns=grid)
    ours = concordance_td(d, s)
    ref = concordance_index(d["duration"], -x, d["event"])
    assert ours == pytest.approx(ref, abs=1e-12)


def test_antolini_by_hand_with_crossing_curves():
    # three customers; pairs (1,2), (1,3), (2,3) are comparable. At T1 = 1: S1 = .5 < S2 = .6
    # and < S3 = .9 (2 concordant). At T2 = 2: S2 = .3 vs S3 = .3 (tie: 1/2). C = 2.5 / 3.
    d = pd.DataFrame({"duration": [1.0, 2, 3], "event": [1, 1, 0]})
    s = pd.DataFrame([[0.5, 0.1], [0.6, 0.3], [0.9, 0.3]], columns=[1.0, 2.0])
    assert concordance_td(d, s) == pytest.approx(2.5 / 3)


def test_perfect_and_useless_predictions_and_bad_input():
    d = TEST
    perfect = np.column_stack([(d["duration"] > t).astype(float) for t in TIMES])
    # predictions equal to the observed status: only censored customers contribute error
    assert (brier_score(TRAIN, d, perfect, TIMES) < brier_score(TRAIN, d, EST, TIMES)).all()
    with pytest.raises(ValidationError, match="shape"):
        brier_score(TRAIN, d, EST[:, :2], TIMES)
    with pytest.raises(ValidationError, match="censoring distribution"):
        brier_score(TRAIN, d, EST, [2.0, 4.0, 6.5, 9.0, 12.0, 99.0])
    with pytest.raises(ValidationError, match=r"\[0, 1\]"):
        brier_score(TRAIN, d, EST + 1, TIMES)
    with pytest.raises(ValidationError, match="increasing"):
        integrated_brier_score(TRAIN, d, EST, TIMES[::-1])
