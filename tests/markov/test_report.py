"""The demo-report section of the stage chains runs on the shipped data and is JSON-safe."""

from __future__ import annotations

import json
from pathlib import Path

from cjmodels.markov._report import section
from cjmodels.report import Context


def test_section_runs_on_shipped_journeys(tmp_path):
    s = section(Context(tmp_path))
    text = "\n".join(s.lines)
    assert "most customers are lost at decision" in text
    assert "buys again with probability" in text
    json.dumps(s.values, allow_nan=False)
    assert s.values["most_lost"] == "decision"
    assert 0 < s.values["repeat_purchase"]["quantities"]["probability"]["estimate"] < 1
    assert [Path(f).name for f in s.files] == ["stage_chain.png", "stage_funnel.csv"]
    assert all(Path(f).stat().st_size > 0 for f in s.files)
