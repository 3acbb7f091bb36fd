"""Bagged logistic regression attribution."""

from __future__ import annotations

import numpy as np
import pytest

from cjmodels.attribution import LogisticAttribution, attribution_data, exposure_matrix
from cjmodels.attribution.truth import logistic_world


def test_single_bag_matches_statsmodels():
    # One bag with all journeys and all channels and almost no penalty is the weighted maximum
    # likelihood fit; statsmodels GLM(Binomial) with freq_weights on the same rows is the
    # reference (tolerance 1e-3 on the coefficients for the tiny L2 penalty and solver tol).
    import statsmodels.api as sm

    w = logistic_world(4000, random_state=3)
    m = LogisticAttribution(1, sample_fraction=1.0, C=1e8, random_state=0).fit(w.paths)
    d = attribution_data(w.paths)
    X = exposure_matrix(d)
    glm = sm.GLM(d.converted.astype(float), sm.add_constant(X), family=sm.families.Binomial(),
                 freq_weights=d.journeys.weight).fit()
    assert m.result_.info["intercept"] == pytest.approx(glm.params[0], abs=1e-3)
    np.testing.assert_allclose(m.result_.table["coefficient"], glm.params[1:], atol=1e-3)


def test_recovers_the_logistic_world():
    w = logistic_world(20000, random_state=1)
    res = LogisticAttribution(10, random_state=0).fit(w.paths).result_
    tv = 0.5 * np.abs(res.table["share"] - w.truth["share"]).sum()
    assert tv < 0.1
    assert res.table["conversions"].sum() == pytest.approx(w.paths.total_conversions.sum())
    assert res.table.loc["display", "share"] < 0.05


def test_needs_nulls():
    import pandas as pd

    from cjmodels.errors import ValidationError

    pt = pd.DataFrame({"path": ["a", "b"], "total_conversions": [1, 2], "total_null": [0, 0]})
    with pytest.raises(ValidationError, match="non-converting"):
        LogisticAttribution().fit(pt)
