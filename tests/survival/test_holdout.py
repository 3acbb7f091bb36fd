"""Calibration versus holdout on a BG/NBD world with known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import calibration_holdout
from cjmodels.errors import ValidationError
from cjmodels.survival import BetaGeoModel, holdout_comparison
from cjmodels.synthetic import simulate_transactions


def test_true_model_predicts_the_holdout_of_its_world():
    # A BG/NBD world with the CDNOW parameters of Fader, Hardie & Lee (2005); at the true
    # parameters, the conditional expectation of eq. (10) summed over customers must match the
    # realised holdout purchases within a few standard errors (Poisson-type SE of the total).
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    world = simulate_transactions(6000, model="bgnbd", days=546, params=params, random_state=11)
    log = world.event_log()
    start = pd.Timestamp(log.observation_start)
    table = calibration_holdout(
        log, calibration_end=start + pd.Timedelta(weeks=39), unit="W", period=None
    )
    assert np.allclose(table["duration_holdout"], 39.0)
    comp = holdout_comparison(table, BetaGeoModel.from_params(params))
    n = comp.loc["all", "customers"]
    actual, predicted = comp.loc["all", "actual"] * n, comp.loc["all", "predicted"] * n
    se = np.sqrt(actual * 2.5)  # over-dispersed counts: generous Poisson-type SE
    assert abs(actual - predicted) < 4 * se, (actual, predicted)
    assert comp["customers"].iloc[:-1].sum() == n
    # customers who bought more in calibration buy more in the holdout, model and data alike
    assert comp.loc["0", "predicted"] < comp.loc["3", "predicted"]
    assert comp.loc["0", "actual"] < comp.loc["3", "actual"]


def test_missing_columns():
    m = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    with pytest.raises(ValidationError, match="calibration_holdout"):
        holdout_comparison(pd.DataFrame({"frequency": [1]}), m)
