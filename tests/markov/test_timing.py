"""Stage visits, dwell times (vs lifelines) and intensities (vs a simulated CTMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cjmodels.data import JourneySpec
from cjmodels.markov import dwell_times, transition_intensities

LOG = pd.DataFrame({
    "customer_id": [1, 1, 1, 1, 2, 2, 3],
    "timestamp": [0.0, 1.0, 3.0, 4.0, 0.0, 2.0, 5.0],
    "event": ["touch", "touch", "touch", "conversion", "touch", "drop_out", "touch"],
    "stage": ["a", "a", "b", None, "a", None, "a"],
})


def test_dwell_median_matches_lifelines():
    d = dwell_times(LOG, observation_end=10.0)
    km = KaplanMeierFitter().fit([3.0, 2.0, 5.0], [1, 1, 0])
    assert d.table.loc["a", "median"] == km.median_survival_time_
    assert d.table.loc["a", "mean"] == pytest.approx(10.0 / 2)  # exposure 10, two ended


def test_intensities_recover_ctmc():
    # a -> b at rate 0.3, a -> null 0.1; b -> conversion 0.2, b -> null 0.2 (per day)
    rng = np.random.default_rng(8)
    rows = []
    for c in range(3000):
        t = 0.0
        rows.append((c, t, "touch", "a"))
        t += rng.exponential(1 / 0.4)
        if rng.random() < 0.25:
            rows.append((c, t, "drop_out", None))
            continue
        rows.append((c, t, "touch", "b"))
        t += rng.exponential(1 / 0.4)
        rows.append((c, t, "conversion" if rng.random() < 0.5 else "drop_out", None))
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])
    # every exit is an explicit event with its time, so q = n / T is the exact MLE
    res = transition_intensities(df)
    tab = res.table.set_index(["from_state", "to_state"])
    for (f, t), q in {("a", "b"): 0.3, ("a", "(null)"): 0.1, ("b", "(conversion)"): 0.2,
                      ("b", "(null)"): 0.2}.items():
        assert tab.loc[(f, t), "ci_low"] <= q <= tab.loc[(f, t), "ci_high"], (f, t)
    times = res.times
    # exact: E[days to end | a] = 1/0.4 + 0.75 * 1/0.4 = 4.375; P(conversion | a) = 0.375;
    # E[days | conversion, a] = 2.5 + 2.5 = 5
    for col, val in (("expected_days", 4.375), ("p_conversion", 0.375),
                     ("days_to_conversion", 5.0)):
        assert times.loc["a", f"{col}_low"] <= val <= times.loc["a", f"{col}_high"], col


def test_intensities_of_stages_that_only_feed_each_other_are_refused():
    # found by the long fuzz run: search and email only lead to each other (the journey is
    # censored, never ends), so -Q over the stages is singular; the error names them
    import pandas as pd
    import pytest

    from cjmodels.errors import ValidationError
    from cjmodels.markov import transition_intensities

    df = pd.DataFrame({"customer_id": [0, 0, 0, 1, 1], "timestamp": [0, 1, 2, 0, 1],
                       "event": ["touch", "touch", "touch", "touch", "drop_out"],
                       "channel": ["search", "email", "search", "display", None]})
    with pytest.raises(ValidationError, match=r"stages \['search', 'email'\] never lead"):
        transition_intensities(df, spec=JourneySpec(sequence="channel"))
