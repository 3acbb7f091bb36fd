"""The experiments section of the demo report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def test_report_section(tmp_path):
    from cjmodels.report import Context
    from cjmodels.report.experiments import section

    s = section(Context(tmp_path))
    assert s.lines[0].strip().startswith("sample ratio ok")
    json.dumps(s.values, allow_nan=False)
    assert isinstance(s.values["sample_size_30pct_lift"], int) and s.values["sample_size_30pct_lift"] > 0
    assert s.values["variance_reduction"]["value"]["effective_sample_size_factor"] > 1
    assert any(f.endswith(".png") for f in s.files)
    assert np.isfinite(pd.read_csv(tmp_path / "experiment_tests.csv")["pvalue"]).all()
